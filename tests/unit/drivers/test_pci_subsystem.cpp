// The pci-endpoint-test driver on arm-pci-noncoherent.dts: probe and remove, Linux's ioctls over
// kmalloc'd buffers (above the 1 GiB inbound window, so they bounce), dma-debug's leak check at
// removal, a mask the platform cannot give, and a coherent bridge's snooping.
#include "pci_sim.h"

#include "dma/mapping.h"
#include "models/pci/pci_endpoint_test_regs.h"
#include "sw/kernel/kernel.h"

#include <algorithm>

using namespace pci_endpoint_test;
using pci_sim::PciSim;

namespace {

const char* ep0 = "0000:00:01.0";
const char* ep1 = "0000:00:02.0";

}  // namespace

TEST_CASE("pci driver: probe enables, masters, maps, sets the masks from DMA_BITS and takes MSI, remove undoes it",
          "[pci]") {
    PciSim sim;
    uint16_t command_bound = 0, command_removed = 0, msi_flags_removed = 0;
    std::string fault = sim.run([&] {
        sim.boot();
        sw::PciEndpointTest& test = sim.test_device(ep0);
        CHECK(test.dev().dma_mask() == dma::dma_bit_mask(32));
        CHECK(test.dev().coherent_dma_mask() == dma::dma_bit_mask(32));
        CHECK(sim.test_device(ep1).dev().dma_mask() == dma::dma_bit_mask(30));
        CHECK(test.irq_type() == IRQ_TYPE_MSI);
        CHECK(test.num_irqs() == 1);
        sw::PciDev& pdev = test.pdev();
        command_bound = sw::pci_read_config_word(pdev, pci::PCI_COMMAND);
        sim.pci.remove_drivers();
        command_removed = sw::pci_read_config_word(pdev, pci::PCI_COMMAND);
        msi_flags_removed = sw::pci_read_config_word(pdev, pdev.msi_cap + pci::PCI_MSI_FLAGS);
        CHECK(pdev.driver == nullptr);
        CHECK(sw::PciEndpointTest::of(pdev) == nullptr);
    });
    REQUIRE(fault.empty());
    CHECK(sim.stat("pci.drivers_bound") == 2);
    CHECK((command_bound & pci::PCI_COMMAND_MEMORY) != 0);
    CHECK((command_bound & pci::PCI_COMMAND_MASTER) != 0);
    CHECK((command_bound & pci::PCI_COMMAND_INTX_DISABLE) != 0);  // MSI in use
    CHECK((command_removed & pci::PCI_COMMAND_MASTER) == 0);
    CHECK((command_removed & pci::PCI_COMMAND_INTX_DISABLE) == 0);
    CHECK((msi_flags_removed & pci::PCI_MSI_FLAGS_ENABLE) == 0);
    CHECK(sim.context.debug().report_count() == 0);
}

TEST_CASE("pci driver: Linux's BAR, WRITE, READ and COPY tests pass with buffers that bounce", "[pci]") {
    PciSim sim;
    bool bar0 = false, bar1 = true, bar2 = false, write = false, read = false, copy = false;
    std::string fault = sim.run([&] {
        sim.boot();
        sw::PciEndpointTest& test = sim.test_device(ep0);
        bar0 = test.bar_test(0);
        bar1 = test.bar_test(1);  // not implemented
        bar2 = test.bar_test(2);
        write = test.write_test(4096);
        read = test.read_test(4096);
        copy = test.copy_test(8192);
        sim.pci.remove_drivers();
    });
    REQUIRE(fault.empty());
    CHECK(bar0);
    CHECK_FALSE(bar1);
    CHECK(bar2);
    CHECK(write);
    CHECK(read);
    CHECK(copy);
    CHECK(sim.stat("swiotlb.bounced_bytes") > 0);  // kmalloc's pages lie above 4 GiB
    CHECK(sim.stat("ep0.dma_read_bytes") == 4096 + 8192);
    CHECK(sim.stat("ep0.dma_write_bytes") == 4096 + 8192);
    CHECK(sim.hazards() == 0);
    CHECK(sim.context.debug().report_count() == 0);
}

TEST_CASE("pci driver: a mapping left behind is reported as leaked when the driver is removed", "[pci]") {
    PciSim sim;
    std::string fault = sim.run([&] {
        sim.boot();
        sw::PciEndpointTest& test = sim.test_device(ep0);
        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        dma::dma_addr_t addr = dma::map_single(test.dev(), va, 256, dma::DmaDirection::to_device);
        CHECK_FALSE(dma::mapping_error(test.dev(), addr));
        sim.pci.remove_drivers();
    });
    REQUIRE(fault.empty());
    CHECK(sim.context.debug().count(dma::DebugCheck::leaked_at_driver_removal) == 1);
    const std::vector<dma::DebugReport>& reports = sim.context.debug().reports();
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].device == ep0);
}

TEST_CASE("pci driver: an engine narrower than the platform's ZONE_DMA cannot get its mask, so probe fails", "[pci]") {
    PciSim sim({"/pcie@40000000/ep@2,0:dmasim,dma-bits=<29>"});
    std::string fault = sim.run([&] { sim.boot(); });
    REQUIRE(fault.empty());
    CHECK(sim.stat("pci.drivers_bound") == 1);
    CHECK(sim.stat("pci.probe_failures") == 1);
    CHECK(sim.pci.find(ep1)->driver == nullptr);
    CHECK(std::any_of(sim.pci.messages().begin(), sim.pci.messages().end(), [](const std::string& m) {
        return m == "pci-endpoint-test 0000:00:02.0: probe failed with error -5";
    }));
    // The failed probe released what it took: no bus mastering, no MSI.
    CHECK_FALSE(sim.endpoint(1).bus_master());
    CHECK_FALSE(sim.endpoint(1).msi_enabled());
}

TEST_CASE("pci driver: on a coherent bridge a device write snoops the CPU's dirty lines away", "[pci]") {
    PciSim sim({}, pci_sim::shipped("arm-pci-coherent.dts"));
    uint32_t seen = 0, checksum = 0;
    std::string fault = sim.run([&] {
        sim.boot();
        sw::PciEndpointTest& test = sim.test_device(ep0);
        CHECK(test.dev().is_coherent());
        dma::dma_addr_t handle = 0;
        uint64_t va = dma::alloc_noncoherent(test.dev(), 4096, handle, dma::DmaDirection::from_device);
        REQUIRE(va);
        sim.cpu.fill_block(va, 0x5a, 4096);  // dirty lines, and no sync at all
        test.run_command(COMMAND_WRITE, 0, handle, 4096);
        checksum = test.readl(PCI_ENDPOINT_TEST_CHECKSUM);
        seen = test.cpu_crc32(va, 4096);
        dma::free_noncoherent(test.dev(), 4096, va, handle, dma::DmaDirection::from_device);
    });
    REQUIRE(fault.empty());
    CHECK(seen == checksum);
    CHECK(sim.hazards() == 0);
    CHECK(sim.stat("pci0.snooped_lines") >= 4096 / 64);
    CHECK(sim.stat("dma.maint.clean") == 0);
}
