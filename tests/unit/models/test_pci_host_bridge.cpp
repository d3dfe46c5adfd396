// The PCI host bridge on arm-pci-noncoherent.dts, driven by the kernel's PCI core on the core:
// enumeration through ECAM, BAR assignment from the outbound windows, master aborts, inbound
// translation through the 1 GiB window at an offset, unsupported requests, the DMA limit, bus
// mastering, MSI and INTx delivery, and the bridge's local memory as a coherent pool.
#include "pci_sim.h"
#include "temp_dir.h"

#include "dma/mapping.h"
#include "models/pci/pci_endpoint_test_regs.h"
#include "sw/kernel/kernel.h"

#include <algorithm>

using namespace pci_endpoint_test;
using pci_sim::PciSim;

namespace {

constexpr uint64_t ram_base = 0x80000000;  // PCI bus address 0 through dma-ranges
const char* ep0 = "0000:00:01.0";
const char* ep1 = "0000:00:02.0";

bool logged(const sw::PciSubsystem& pci, const std::string& text) {
    return std::any_of(pci.messages().begin(), pci.messages().end(),
                       [&](const std::string& m) { return m.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("pci: enumeration finds both endpoints with IDs, class, MSI and the interrupt-map's INTx", "[pci]") {
    PciSim sim;
    std::string fault = sim.run([&] {
        sim.pci.scan();
        // An empty slot reads all-ones through ECAM.
        CHECK(sw::pci_bus_read_config(*sim.pci.hosts().at(0), 0, pci::PCI_DEVFN(5, 0), pci::PCI_VENDOR_ID, 4) ==
              0xffffffff);
    });
    REQUIRE(fault.empty());
    REQUIRE(sim.pci.find(ep0));
    REQUIRE(sim.pci.find(ep1));
    const sw::PciDev& first = *sim.pci.find(ep0);
    const sw::PciDev& second = *sim.pci.find(ep1);
    CHECK(sim.pci.devices().front().get() == &first);  // slot order
    CHECK(first.vendor == PCI_VENDOR_ID_TI);
    CHECK(first.device == PCI_DEVICE_ID_TI_DRA74x);
    CHECK(first.class_code == 0xff0000);
    CHECK(first.msi_cap == models::PciEndpoint::msi_capability);
    CHECK(first.pin == 1);
    // interrupt-map-mask <0x1800 0 0 7>: slot 1 INTA -> SPI 137, slot 2 INTA -> SPI 138.
    CHECK(first.intx_irq == 32 + 137);
    CHECK(second.intx_irq == 32 + 138);
    CHECK(sim.stat("pci.functions") == sim.pci.devices().size());
    CHECK(sim.stat("pci0.cfg_reads") > 32);  // every slot's vendor ID, then the functions' headers
    // Each function's DMA device: the bridge's two windows as its range map; the bus limit is the
    // high window's end, so the default 32-bit mask stays (cut to 36 bits, Linux's ilog2 rule).
    const dma::Device& dev = *first.dev;
    CHECK(dev.name() == ep0);
    CHECK(dev.bus_dma_limit() == 0x8ffffffff);
    CHECK(dev.dma_mask() == 0xffffffff);
    CHECK(dev.phys_to_dma(ram_base + 0x1000) == 0x1000);
    CHECK(dev.phys_to_dma(0x880001000) == 0x880001000);            // the 64-bit window: bus address = system address
    CHECK(dev.phys_to_dma(0xc0000000) == dma::DMA_MAPPING_ERROR);  // low RAM between the windows
    CHECK_FALSE(dev.is_coherent());
}

TEST_CASE("pci: BARs are sized and assigned from the windows, aligned, and the endpoints decode them", "[pci]") {
    PciSim sim;
    uint32_t magic_before_enable = 0, magic = 0;
    std::string fault = sim.run([&] {
        sim.pci.scan();
        sw::PciDev& pdev = *sim.pci.find(ep0);
        uint64_t regs = sw::pci_ioremap_bar(pdev, register_bar);
        magic_before_enable = sim.cpu.load32(regs + PCI_ENDPOINT_TEST_MAGIC);  // memory decoding still off
        sw::pci_enable_device(pdev);
        magic = sim.cpu.load32(regs + PCI_ENDPOINT_TEST_MAGIC);
        sw::pci_iounmap(pdev, register_bar, regs);
    });
    REQUIRE(fault.empty());
    CHECK(magic_before_enable == 0xffffffff);
    CHECK(sim.stat("pci0.master_aborts") == 1);
    CHECK(magic == MAGIC_VALUE);
    CHECK(sim.stat("pci.bar_failures") == 0);
    for (size_t i = 0; i < 2; ++i) {
        const sw::PciDev& pdev = *sim.pci.find(i == 0 ? ep0 : ep1);
        const sw::PciResource& regs = pdev.resource[0];
        const sw::PciResource& scratch = pdev.resource[models::PciEndpointTest::scratch_bar];
        CHECK(regs.size == register_bar_size);
        CHECK_FALSE(regs.mem64);
        CHECK(regs.start >= 0x50000000);
        CHECK(regs.start + regs.size <= 0x60000000);
        CHECK(regs.start % regs.size == 0);
        CHECK(scratch.size == models::PciEndpointTest::scratch_size);
        CHECK(scratch.mem64);
        CHECK(scratch.prefetchable);
        CHECK(scratch.start >= 0x1000000000);  // the 64-bit prefetchable window
        CHECK(scratch.start % scratch.size == 0);
        CHECK_FALSE(pdev.resource[1].size);
        // The BAR holds the PCI address: identity in these windows.
        CHECK(sim.endpoint(i).bar_address(0) == regs.start);
        CHECK(sim.endpoint(i).bar_address(2) == scratch.start);
    }
    CHECK(sim.pci.find(ep0)->resource[0].start != sim.pci.find(ep1)->resource[0].start);
    CHECK(logged(sim.pci, "BAR 2 [mem 0x1000000000-0x100000ffff 64bit pref]"));
}

TEST_CASE("pci: a BAR no window can take stays unassigned and is logged", "[pci]") {
    // Only 1 KiB of 32-bit memory space: the two 512-byte register BARs fit, the 64 KiB ones do not.
    PciSim sim({"/pcie@40000000:ranges=<0x02000000 0x0 0x50000000 0x0 0x50000000 0x0 0x400>"});
    std::string fault = sim.run([&] { sim.pci.scan(); });
    REQUIRE(fault.empty());
    for (const char* name : {ep0, ep1}) {
        const sw::PciDev& pdev = *sim.pci.find(name);
        CHECK(pdev.resource[0].assigned);
        CHECK(pdev.resource[0].start + pdev.resource[0].size <= 0x50000400);
        CHECK_FALSE(pdev.resource[2].assigned);
        CHECK(logged(sim.pci, std::string("pci ") + name + ": BAR 2: no space for [mem size 0x10000 64bit]"));
    }
    CHECK(sim.stat("pci.bar_failures") >= 2);
}

TEST_CASE("pci: inbound DMA at bus address 0 reaches the start of RAM, and WRITE's checksum is the data's", "[pci]") {
    PciSim sim;
    uint32_t status = 0, checksum = 0;
    std::string fault = sim.run([&] {
        sim.boot();
        sw::PciEndpointTest& test = sim.test_device(ep0);
        status = test.run_command(COMMAND_WRITE, 0, 0x00400000, 4096);
        checksum = test.readl(PCI_ENDPOINT_TEST_CHECKSUM);
    });
    REQUIRE(fault.empty());
    CHECK((status & STATUS_WRITE_SUCCESS) != 0);
    std::vector<uint8_t> written = sim.memory(ram_base + 0x00400000, 4096);
    CHECK(crc32_le(~0u, written.data(), written.size()) == checksum);
    CHECK(sim.stat("pci0.inbound_write_bytes") == 4096);
    CHECK(sim.stat("ep0.dma_write_bytes") == 4096);
    CHECK(sim.stat("pci0.bursts") >= 4096 / 128);
    CHECK(sim.stat("pci0.unsupported_requests") == 0);
}

TEST_CASE("pci: READ checks the CRC of what the device read against CHECKSUM, COPY copies", "[pci]") {
    PciSim sim;
    uint32_t read_ok = 0, read_bad = 0, copy = 0;
    std::vector<uint8_t> pattern(2048);
    for (size_t i = 0; i < pattern.size(); ++i)
        pattern[i] = static_cast<uint8_t>(i * 7 + 3);
    std::string fault = sim.run([&] {
        sim.boot();
        sw::PciEndpointTest& test = sim.test_device(ep0);
        // The CPU writes through an uncached mapping so that memory holds the data.
        uint64_t va = sim.kernel.ioremap(ram_base + 0x00200000, 2 * pattern.size(), models::MemType::normal_nc);
        sim.cpu.write_block(va, pattern.data(), pattern.size());
        uint32_t crc = crc32_le(~0u, pattern.data(), pattern.size());
        read_ok = test.run_command(COMMAND_READ, 0x00200000, 0, 2048, crc);
        read_bad = test.run_command(COMMAND_READ, 0x00200000, 0, 2048, crc ^ 1);
        copy = test.run_command(COMMAND_COPY, 0x00200000, 0x00200800, 2048);
        sim.kernel.iounmap(va, 2 * pattern.size());
    });
    REQUIRE(fault.empty());
    CHECK((read_ok & STATUS_READ_SUCCESS) != 0);
    CHECK((read_bad & STATUS_READ_FAIL) != 0);
    CHECK((copy & STATUS_COPY_SUCCESS) != 0);
    CHECK(sim.memory(ram_base + 0x00200800, 2048) == pattern);
    CHECK(sim.stat("ep0.dma_read_bytes") == 3 * 2048);
}

TEST_CASE("pci: DMA outside every inbound window is an unsupported request, not a crash", "[pci]") {
    PciSim sim;
    uint32_t failed = 0, after = 0;
    uint16_t status_before_clear = 0, status_after_clear = 0;
    std::string fault = sim.run([&] {
        sim.boot();
        sw::PciEndpointTest& test = sim.test_device(ep0);
        failed = test.run_command(COMMAND_WRITE, 0, 0x40000000, 256);  // just past the 1 GiB window
        sw::PciDev& pdev = test.pdev();
        status_before_clear = sw::pci_read_config_word(pdev, pci::PCI_STATUS);
        sw::pci_write_config_word(pdev, pci::PCI_STATUS, pci::PCI_STATUS_REC_MASTER_ABORT);  // write 1 to clear
        status_after_clear = sw::pci_read_config_word(pdev, pci::PCI_STATUS);
        after = test.run_command(COMMAND_WRITE, 0, 0x1000, 256);
    });
    REQUIRE(fault.empty());
    CHECK((failed & STATUS_WRITE_FAIL) != 0);
    CHECK((failed & STATUS_DST_ADDR_INVALID) == 0);  // within the engine's 32 bits: the bridge refused it
    CHECK(sim.stat("pci0.unsupported_requests") == 1);
    CHECK(sim.stat("ep0.dma_errors") == 1);
    CHECK((status_before_clear & pci::PCI_STATUS_REC_MASTER_ABORT) != 0);
    CHECK((status_after_clear & pci::PCI_STATUS_REC_MASTER_ABORT) == 0);
    CHECK((after & STATUS_WRITE_SUCCESS) != 0);
    CHECK(sim.stat("pci0.inbound_write_bytes") == 256);
}

TEST_CASE("pci: an address beyond the engine's DMA bits is refused before anything moves", "[pci]") {
    PciSim sim;
    uint32_t write = 0, copy = 0;
    std::string fault = sim.run([&] {
        sim.boot();
        sw::PciEndpointTest& test = sim.test_device(ep1);  // 30 address bits
        CHECK(test.dma_bits() == 30);
        CHECK(test.dev().dma_mask() == dma::dma_bit_mask(30));
        write = test.run_command(COMMAND_WRITE, 0, 0x3fffff00, 0x200);  // ends past bit 30
        copy = test.run_command(COMMAND_COPY, 0x40000000, 0x1000, 0x100);
    });
    REQUIRE(fault.empty());
    CHECK(write == (STATUS_DST_ADDR_INVALID | STATUS_WRITE_FAIL | STATUS_IRQ_RAISED));
    CHECK(copy == (STATUS_SRC_ADDR_INVALID | STATUS_COPY_FAIL | STATUS_IRQ_RAISED));
    CHECK(sim.stat("ep1.dma_write_bytes") == 0);
    CHECK(sim.stat("ep1.dma_read_bytes") == 0);
    CHECK(sim.stat("pci0.unsupported_requests") == 0);
}

TEST_CASE("pci: INTx through the interrupt-map, asserted until the driver acknowledges, and no DMA without bus "
          "mastering",
          "[pci]") {
    PciSim sim({"/pcie@40000000:msi-parent=false"});  // no MSI: the driver falls back to INTx
    bool intx = false;
    uint32_t refused = 0;
    std::vector<uint8_t> before;
    std::string fault = sim.run([&] {
        sim.boot();
        sw::PciEndpointTest& test = sim.test_device(ep0);
        CHECK(test.irq_type() == IRQ_TYPE_INTX);
        CHECK(sw::pci_irq_vector(test.pdev(), 0) == 32 + 137);
        intx = test.intx_irq_test();
        CHECK_FALSE(sim.endpoint(0).intx_asserted());  // the handler cleared IRQ_RAISED
        sw::pci_clear_master(test.pdev());
        refused = test.run_command(COMMAND_WRITE, 0, 0x00300000, 256);
    });
    REQUIRE(fault.empty());
    CHECK(intx);
    CHECK(sim.test_device(ep0).last_irq() == 32 + 137);
    CHECK(sim.stat("ep0.intx_asserts") == 2);
    CHECK(sim.stat("pci0.msi_writes") == 0);
    CHECK((refused & STATUS_WRITE_FAIL) != 0);
    CHECK(sim.stat("ep0.dma_refused") == 1);
    CHECK(sim.stat("ep0.dma_write_bytes") == 0);
}

TEST_CASE("pci: MSI is a memory write through the bridge to the GICv2m doorbell", "[pci]") {
    PciSim sim({"/pcie@40000000/ep@1,0:dmasim,msi-vectors=<4>"});
    bool msi1 = false, msi4 = false, msi5 = false;
    std::string fault = sim.run([&] {
        sim.boot();
        sw::PciEndpointTest& test = sim.test_device(ep0);
        CHECK(test.irq_type() == IRQ_TYPE_MSI);
        CHECK(test.num_irqs() == 4);
        CHECK(sim.endpoint(0).msi_vectors_enabled() == 4);
        msi1 = test.msi_irq_test(1);
        msi4 = test.msi_irq_test(4);
        msi5 = test.msi_irq_test(5);  // a vector the device does not have
    });
    REQUIRE(fault.empty());
    CHECK(msi1);
    CHECK(msi4);
    CHECK_FALSE(msi5);
    CHECK(sim.stat("pci0.msi_writes") == 2);
    CHECK(sim.stat("ep0.msis") == 2);
    CHECK(sim.stat("pci0.unsupported_requests") == 0);
    int first = sw::pci_irq_vector(*sim.pci.find(ep0), 0);
    CHECK(first >= 64);  // the frame's IDs
    CHECK(sim.test_device(ep0).last_irq() == first + 3);
}

TEST_CASE("pci: the bridge's local memory is the coherent pool of its functions, at the same bus address", "[pci]") {
    TempDir dir;
    std::string dts = dir.write("local.dts",
                                "/include/ \"" + pci_sim::shipped("arm-pci-noncoherent.dts") +
                                    "\"\n"
                                    "&pcie {\n"
                                    "    reg = <0x0 0x40000000 0x0 0x1000000>, <0x0 0x48000000 0x0 0x100000>;\n"
                                    "    reg-names = \"ecam\", \"local-memory\";\n"
                                    "};\n");
    PciSim sim({}, dts);
    uint64_t cpu_addr = 0;
    dma::dma_addr_t handle = 0;
    uint32_t status = 0, checksum = 0, seen = 0;
    std::string fault = sim.run([&] {
        sim.boot();
        sw::PciEndpointTest& test = sim.test_device(ep0);
        cpu_addr = dma::alloc_coherent(test.dev(), 8192, handle);
        REQUIRE(cpu_addr);
        status = test.run_command(COMMAND_WRITE, 0, handle, 8192);
        checksum = test.readl(PCI_ENDPOINT_TEST_CHECKSUM);
        seen = test.cpu_crc32(cpu_addr, 8192);  // coherent: no sync needed
        dma::free_coherent(test.dev(), 8192, cpu_addr, handle);
    });
    REQUIRE(fault.empty());
    CHECK(handle >= 0x48000000);
    CHECK(handle < 0x48100000);
    CHECK((status & STATUS_WRITE_SUCCESS) != 0);
    CHECK(seen == checksum);
    CHECK(sim.hazards() == 0);
    CHECK(sim.stat("pci0.unsupported_requests") == 0);
}

TEST_CASE("pci: an endpoint's DMA bandwidth bounds how fast a command completes", "[pci]") {
    // ep0 at the platform's 2000 MB/s, ep1 at half that; memory (12800 MB/s) is faster than both.
    PciSim sim({"/pcie@40000000/ep@2,0:dmasim,bandwidth-mbps=<1000>"});
    constexpr uint32_t size = 65536;
    uint64_t full_ps = 0, half_ps = 0;
    uint32_t full_status = 0, half_status = 0;
    std::string fault = sim.run([&] {
        sim.boot();
        uint64_t start = sim.cpu.now_ps();
        full_status = sim.test_device(ep0).run_command(COMMAND_WRITE, 0, 0x00400000, size);
        full_ps = sim.cpu.now_ps() - start;
        start = sim.cpu.now_ps();
        half_status = sim.test_device(ep1).run_command(COMMAND_WRITE, 0, 0x00500000, size);
        half_ps = sim.cpu.now_ps() - start;
    });
    REQUIRE(fault.empty());
    CHECK((full_status & STATUS_WRITE_SUCCESS) != 0);
    CHECK((half_status & STATUS_WRITE_SUCCESS) != 0);
    // size / bandwidth: 1 MB/s moves a byte per microsecond.
    uint64_t at_full_ps = uint64_t(size) * 1000000 / 2000;
    CHECK(full_ps >= at_full_ps);
    CHECK(half_ps >= 2 * at_full_ps);
    // The rest of a command (registers, the interrupt) costs the same: halving the bandwidth adds
    // about size / bandwidth.
    CHECK(half_ps - full_ps >= at_full_ps * 9 / 10);
}

TEST_CASE("pci: a bus range starting at 2: ECAM offsets count from it, and BDFs and requester IDs carry it", "[pci]") {
    PciSim sim({"/pcie@40000000:bus-range=<2 3>", "/pcie@40000000/ep@1,0:reg=<0x20800 0 0 0 0>",
                "/pcie@40000000/ep@2,0:reg=<0x21000 0 0 0 0>", "/pcie@40000000/nic@3,0:reg=<0x21800 0 0 0 0>",
                "/pcie@40000000/usb@4,0:reg=<0x22000 0 0 0 0>"});
    uint32_t first_bus_id = 0, second_bus_id = 0, status = 0;
    std::string fault = sim.run([&] {
        // Raw ECAM: offset 0 is bus 2, the bus range's start; bus 3 is empty.
        uint64_t ecam = sim.kernel.ioremap(0x40000000, 2 << 20, models::MemType::device);
        first_bus_id = sim.cpu.load32(ecam + (pci::PCI_DEVFN(1, 0) << 12) + pci::PCI_VENDOR_ID);
        second_bus_id = sim.cpu.load32(ecam + (1 << 20) + (pci::PCI_DEVFN(1, 0) << 12) + pci::PCI_VENDOR_ID);
        sim.kernel.iounmap(ecam, 2 << 20);
        sim.boot();
        if (sim.pci.find("0000:02:01.0"))  // else the checks below say what enumeration missed
            status = sim.test_device("0000:02:01.0").run_command(COMMAND_WRITE, 0, 0x1000, 256);
    });
    REQUIRE(fault.empty());
    CHECK(first_bus_id == (uint32_t(PCI_DEVICE_ID_TI_DRA74x) << 16 | PCI_VENDOR_ID_TI));
    CHECK(second_bus_id == 0xffffffff);
    REQUIRE(sim.pci.find("0000:02:01.0"));
    REQUIRE(sim.pci.find("0000:02:02.0"));
    CHECK_FALSE(sim.pci.find(ep0));
    CHECK(sim.pci.find("0000:02:01.0")->bus == 2);
    CHECK(sim.endpoint(0).bus() == 2);
    CHECK(sim.endpoint(0).requester_id() == 0x0208);
    CHECK(sim.endpoint(1).requester_id() == 0x0210);
    CHECK(sim.bridge().find(2, pci::PCI_DEVFN(1, 0)) == &sim.endpoint(0));
    CHECK((status & STATUS_WRITE_SUCCESS) != 0);
    CHECK(sim.stat("pci0.inbound_write_bytes") == 256);
}

TEST_CASE("pci: with two inbound windows, a function's own mask decides what bounces - the hole between them "
          "bounces for everyone",
          "[pci]") {
    PciSim sim({"/pcie@40000000/ep@1,0:dmasim,dma-bits=<64>"});  // ep0 64-bit, ep1 30-bit
    constexpr uint64_t size = 4096;
    uint64_t high = 0, hole = 0;
    dma::dma_addr_t wide_high = 0, narrow_high = 0, wide_hole = 0;
    uint64_t maps_wide_high = 0, maps_narrow_high = 0, maps_wide_hole = 0;
    bool nic_high = true, nic_hole = true, nic_low = false;
    std::string fault = sim.run([&] {
        sim.boot();
        dma::Device& wide = sim.test_device(ep0).dev();
        dma::Device& narrow = sim.test_device(ep1).dev();
        dma::Device& nic = *sim.pci.find("0000:00:03.0")->dev;                        // 32-bit default mask, no driver
        high = sim.kernel.page_allocator().alloc_pages(0, sw::Zone::normal).value();  // above 4 GiB
        hole = sim.kernel.page_allocator().alloc_pages(0, sw::Zone::dma32).value();   // 0xc0000000 up
        auto mapped = [&](dma::Device& dev, uint64_t pa, uint64_t& maps) {
            uint64_t before = sim.stat("swiotlb.maps");
            dma::dma_addr_t handle = dma::map_single(dev, sw::Kernel::phys_to_virt(pa), size,
                                                     dma::DmaDirection::to_device);
            maps = sim.stat("swiotlb.maps") - before;
            dma::unmap_single(dev, handle, size, dma::DmaDirection::to_device);
            return handle;
        };
        wide_high = mapped(wide, high, maps_wide_high);
        narrow_high = mapped(narrow, high, maps_narrow_high);
        wide_hole = mapped(wide, hole, maps_wide_hole);
        nic_high = dma::dma_capable(nic, nic.phys_to_dma(high), size);
        nic_hole = dma::dma_capable(nic, nic.phys_to_dma(hole), size);
        nic_low = dma::dma_capable(nic, nic.phys_to_dma(ram_base + 0x100000), size);
        sim.kernel.page_allocator().free_pages(high, 0);
        sim.kernel.page_allocator().free_pages(hole, 0);
    });
    REQUIRE(fault.empty());
    CHECK(high >= 0x880000000);
    CHECK(hole >= 0xc0000000);
    CHECK(hole < 0x100000000);
    // The 64-bit engine reaches the high RAM through the 64-bit window, at its own address.
    CHECK(wide_high == high);
    CHECK(maps_wide_high == 0);
    // The 30-bit one bounces it into swiotlb, inside the low window.
    CHECK(maps_narrow_high == 1);
    CHECK(narrow_high < 0x40000000);
    // Low RAM above the low window is in no window: not dma_capable even for 64 bits.
    CHECK(maps_wide_hole == 1);
    CHECK(wide_hole < 0x40000000);
    CHECK_FALSE(nic_high);
    CHECK_FALSE(nic_hole);
    CHECK(nic_low);
    CHECK(sim.stat("pci0.unsupported_requests") == 0);
}
