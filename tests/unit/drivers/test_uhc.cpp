// dmasim's USB host controller and its devices on arm-pci-noncoherent.dts (a 32-bit controller
// behind a bridge with a 1 GiB inbound window; a bulk storage device on port 1, a mouse on
// port 2): the device models' USB framework and Bulk-Only Transport, the controller's register
// interface and a TD run by hand, the kernel's enumeration, storage and mouse transfers, the
// delegation of the USB devices' DMA to the controller, a USB device with a DMA setup of its own,
// removal with dma-debug's leak check, and device-tree errors.
#include "config_error.h"
#include "pci_sim.h"

#include "dma/mapping.h"
#include "models/usb/uhc.h"
#include "models/usb/usb_mouse.h"
#include "models/usb/usb_storage.h"
#include "sw/drivers/usb/uhc_hcd.h"
#include "sw/drivers/usb/usb_mouse.h"
#include "sw/drivers/usb/usb_storage.h"
#include "sw/kernel/kernel.h"

#include <cerrno>
#include <cstring>

using namespace usb;
using namespace uhc;
using pci_sim::PciSim;

namespace {

const char* controller = "0000:00:04.0";
const char* usb_node = "/pcie@40000000/usb@4,0";
constexpr uint64_t window_size = 0x40000000;  // the bridge's inbound window: PCI 0..1 GiB -> RAM base

// Enumeration, then only the USB host controller's driver (the other functions stay idle).
void boot(PciSim& sim) {
    static const sw::PciDriverRegistry usb_only = [] {
        sw::PciDriverRegistry registry;
        registry.add(sw::uhc_hcd_driver());
        return registry;
    }();
    sim.pci.scan();
    sim.pci.probe_drivers(usb_only);
}

models::Uhc& controller_model(PciSim& sim) {
    for (const auto& endpoint : sim.platform().pci_endpoints())
        if (auto* model = dynamic_cast<models::Uhc*>(endpoint.get()))
            return *model;
    FAIL("no USB host controller on the platform");
    throw std::logic_error("unreachable");
}

std::string stat_of(PciSim& sim, const std::string& name) {
    return controller_model(sim).name() + std::string(".") + name;
}

sw::UhcHcd& hcd(PciSim& sim) {
    sw::PciDev* pdev = sim.pci.find(controller);
    REQUIRE(pdev);
    sw::UhcHcd* driver = sw::UhcHcd::of(*pdev);
    REQUIRE(driver);
    return *driver;
}

sw::UsbDevice& usb_device(PciSim& sim, const std::string& name) {
    sw::UsbDevice* udev = hcd(sim).bus().find(name);
    REQUIRE(udev);
    return *udev;
}

sw::UsbStorage& storage(PciSim& sim) {
    sw::UsbStorage* driver = sw::UsbStorage::of(usb_device(sim, "1-1"));
    REQUIRE(driver);
    return *driver;
}

// Pages from ZONE_NORMAL: above 4 GiB on this platform, out of the controller's reach.
uint64_t high_buffer(PciSim& sim, uint64_t size) {
    std::optional<uint64_t> pa = sim.kernel.page_allocator().alloc_pages(sw::PageAllocator::get_order(size));
    REQUIRE(pa);
    REQUIRE(*pa >= (1ULL << 32));
    return sw::Kernel::phys_to_virt(*pa);
}

uint8_t block_pattern(uint64_t i) { return static_cast<uint8_t>(0x3c + i * 7 + (i >> 9)); }

void fill(PciSim& sim, uint64_t va, uint64_t size, uint8_t (*pattern)(uint64_t)) {
    std::vector<uint8_t> data(size);
    for (uint64_t i = 0; i < size; ++i)
        data[i] = pattern(i);
    sim.cpu.write_block(va, data.data(), size);
}

std::vector<uint8_t> cpu_read(PciSim& sim, uint64_t va, uint64_t size) {
    std::vector<uint8_t> data(size);
    sim.cpu.read_block(va, data.data(), size);
    return data;
}

// A USB device framework request, for the device models.
usb_ctrlrequest setup(uint8_t type, uint8_t request, uint16_t value, uint16_t index, uint16_t length) {
    return usb_ctrlrequest{type, request, value, index, length};
}

std::vector<uint8_t> cbw(uint32_t tag, uint8_t opcode, uint32_t lba, uint16_t blocks, bool in) {
    bulk_cb_wrap wrapper{
        US_BULK_CB_SIGN, tag, uint32_t(blocks) * storage_block_size, in ? US_BULK_FLAG_IN : uint8_t(0), 0, 10,
        {opcode}};
    put_be32(wrapper.CDB + 2, lba);
    put_be16(wrapper.CDB + 7, blocks);
    std::vector<uint8_t> bytes(sizeof wrapper);
    std::memcpy(bytes.data(), &wrapper, sizeof wrapper);
    return bytes;
}

bulk_cs_wrap csw_of(const std::vector<uint8_t>& bytes) {
    bulk_cs_wrap csw{};
    REQUIRE(bytes.size() == sizeof csw);
    std::memcpy(&csw, bytes.data(), sizeof csw);
    return csw;
}

// An addressed, configured device, as enumeration leaves it.
void configure(models::UsbDevice& device) {
    std::vector<uint8_t> none;
    device.bus_reset();
    REQUIRE(device.control(setup(USB_DIR_OUT, USB_REQ_SET_ADDRESS, 5, 0, 0), none, 0) == models::UsbHandshake::ack);
    REQUIRE(device.control(setup(USB_DIR_OUT, USB_REQ_SET_CONFIGURATION, 1, 0, 0), none, 0) ==
            models::UsbHandshake::ack);
}

void clear_halt(models::UsbDevice& device, uint8_t endpoint) {
    std::vector<uint8_t> none;
    REQUIRE(device.control(setup(USB_RECIP_ENDPOINT, USB_REQ_CLEAR_FEATURE, USB_ENDPOINT_HALT, endpoint, 0), none, 0) ==
            models::UsbHandshake::ack);
}

}  // namespace

// --- device models ---

TEST_CASE("usb devices: descriptors, SET_ADDRESS, SET_CONFIGURATION, and nothing but endpoint 0 before it", "[usb]") {
    models::Instrumentation instr;
    models::UsbStorage disk("disk", 0x1234, 0x0008, 16, instr);
    std::vector<uint8_t> data, none;
    CHECK(disk.transfer_out(2, {1, 2, 3}) == models::UsbHandshake::stall);  // not configured
    REQUIRE(disk.control(setup(USB_DIR_IN, USB_REQ_GET_DESCRIPTOR, USB_DT_DEVICE << 8, 0, 64), data, 64) ==
            models::UsbHandshake::ack);
    REQUIRE(data.size() == USB_DT_DEVICE_SIZE);
    usb_device_descriptor device;
    std::memcpy(&device, data.data(), sizeof device);
    CHECK(device.idVendor == 0x1234);
    CHECK(device.idProduct == 0x0008);
    REQUIRE(disk.control(setup(USB_DIR_IN, USB_REQ_GET_DESCRIPTOR, USB_DT_CONFIG << 8, 0, 9), data, 64) ==
            models::UsbHandshake::ack);
    CHECK(data.size() == 9);  // wLength cuts it
    usb_config_descriptor config;
    std::memcpy(&config, data.data(), sizeof config);
    CHECK(config.wTotalLength == USB_DT_CONFIG_SIZE + USB_DT_INTERFACE_SIZE + 2 * USB_DT_ENDPOINT_SIZE);
    CHECK(disk.control(setup(USB_DIR_OUT, USB_REQ_SET_CONFIGURATION, 1, 0, 0), none, 0) ==
          models::UsbHandshake::stall);  // not addressed yet
    CHECK(disk.control(setup(USB_DIR_IN, USB_REQ_GET_DESCRIPTOR, 3 << 8, 0, 64), data, 64) ==
          models::UsbHandshake::stall);  // no string descriptors
    configure(disk);
    CHECK(disk.address() == 5);
    CHECK(disk.configuration() == 1);
    CHECK(disk.transfer_out(5, {1}) == models::UsbHandshake::stall);  // no endpoint 5
    disk.bus_reset();
    CHECK(disk.address() == 0);
    CHECK(disk.configuration() == 0);
}

TEST_CASE("usb devices: bulk storage runs Bulk-Only commands and halts both endpoints on a bad wrapper", "[usb]") {
    models::Instrumentation instr;
    models::UsbStorage disk("disk", 0x1234, 0x0008, 16, instr);
    configure(disk);
    std::vector<uint8_t> data;

    std::vector<uint8_t> block(storage_block_size);
    for (unsigned i = 0; i < storage_block_size; ++i)
        block[i] = static_cast<uint8_t>(i ^ 0x77);
    REQUIRE(disk.transfer_out(2, cbw(7, WRITE_10, 3, 1, false)) == models::UsbHandshake::ack);
    REQUIRE(disk.transfer_out(2, std::vector<uint8_t>(block.begin(), block.begin() + 200)) ==
            models::UsbHandshake::ack);
    REQUIRE(disk.transfer_out(2, std::vector<uint8_t>(block.begin() + 200, block.end())) == models::UsbHandshake::ack);
    REQUIRE(disk.transfer_in(1, 512, data) == models::UsbHandshake::ack);
    bulk_cs_wrap csw = csw_of(data);
    CHECK(csw.Signature == US_BULK_CS_SIGN);
    CHECK(csw.Tag == 7);
    CHECK(csw.Status == US_BULK_STAT_OK);
    CHECK(csw.Residue == 0);
    CHECK(disk.block(3) == block);
    CHECK(disk.block(4)[10] == models::UsbStorage::initial_byte(4, 10));

    REQUIRE(disk.transfer_out(2, cbw(8, READ_10, 3, 2, true)) == models::UsbHandshake::ack);
    REQUIRE(disk.transfer_in(1, 1024, data) == models::UsbHandshake::ack);
    REQUIRE(data.size() == 1024);
    CHECK(std::equal(block.begin(), block.end(), data.begin()));
    REQUIRE(disk.transfer_in(1, 512, data) == models::UsbHandshake::ack);
    CHECK(csw_of(data).Status == US_BULK_STAT_OK);

    // Beyond the last block: no data stage (bulk-in halted), then a failed status.
    REQUIRE(disk.transfer_out(2, cbw(9, READ_10, 15, 2, true)) == models::UsbHandshake::ack);
    CHECK(disk.transfer_in(1, 1024, data) == models::UsbHandshake::stall);
    clear_halt(disk, 0x81);
    REQUIRE(disk.transfer_in(1, 512, data) == models::UsbHandshake::ack);
    csw = csw_of(data);
    CHECK(csw.Status == US_BULK_STAT_FAIL);
    CHECK(csw.Residue == 1024);

    // A wrapper of the wrong size: both endpoints halt until the reset recovery.
    CHECK(disk.transfer_out(2, {1, 2, 3}) == models::UsbHandshake::stall);
    CHECK(disk.transfer_out(2, cbw(10, TEST_UNIT_READY, 0, 0, false)) == models::UsbHandshake::stall);
    CHECK(instr.counter_value("disk.phase_errors") == 1);
    std::vector<uint8_t> none;
    REQUIRE(disk.control(setup(USB_TYPE_CLASS | USB_RECIP_INTERFACE, US_BULK_RESET_REQUEST, 0, 0, 0), none, 0) ==
            models::UsbHandshake::ack);
    clear_halt(disk, 0x81);
    clear_halt(disk, 0x02);
    REQUIRE(disk.transfer_out(2, cbw(11, TEST_UNIT_READY, 0, 0, false)) == models::UsbHandshake::ack);
    REQUIRE(disk.transfer_in(1, 512, data) == models::UsbHandshake::ack);
    CHECK(csw_of(data).Tag == 11);
    CHECK(instr.counter_value("disk.commands") == 4);
    CHECK(instr.counter_value("disk.blocks_written") == 1);
    CHECK(instr.counter_value("disk.blocks_read") == 2);
}

TEST_CASE("usb devices: the mouse takes SET_IDLE, polls every millisecond and sends its reports in order", "[usb]") {
    models::Instrumentation instr;
    models::UsbMouse mouse("mouse", 0x1234, 0x0003, instr);
    configure(mouse);
    std::vector<uint8_t> data, none;
    CHECK(mouse.control(setup(USB_TYPE_CLASS | USB_RECIP_INTERFACE, HID_REQ_SET_IDLE, 0, 0, 0), none, 0) ==
          models::UsbHandshake::ack);
    CHECK(mouse.control(setup(USB_DIR_IN | USB_TYPE_CLASS | USB_RECIP_INTERFACE, 0x01, 0, 0, 8), data, 8) ==
          models::UsbHandshake::stall);  // GET_REPORT: not served
    CHECK(mouse.polling_period_ps(0x81) == 1000000000);
    CHECK(mouse.polling_period_ps(0x02) == 0);
    for (uint64_t n = 0; n < 3; ++n) {
        REQUIRE(mouse.transfer_in(1, 8, data) == models::UsbHandshake::ack);
        auto expected = models::UsbMouse::report(n);
        CHECK(data == std::vector<uint8_t>(expected.begin(), expected.end()));
    }
    CHECK(models::UsbMouse::report(0) != models::UsbMouse::report(1));
    CHECK(instr.counter_value("mouse.reports") == 3);
}

// --- the controller's register interface, driven by hand ---

TEST_CASE("usb controller: registers, a port reset, a TD run from a coherent ring, and a ring it cannot reach",
          "[usb]") {
    PciSim sim;
    uint32_t magic = 0, params = 0, portsc_before = 0, portsc_after = 0, status_running = 0, status_after_fatal = 0;
    uint32_t td_status[3] = {}, td_actual = 0, dequeue = 0, usbsts = 0;
    std::vector<uint8_t> descriptor;
    std::string fault = sim.run([&] {
        sim.pci.scan();  // no driver: the test is the driver
        sw::PciDev& pdev = *sim.pci.find(controller);
        sw::pci_enable_device(pdev);
        sw::pci_set_master(pdev);
        uint64_t regs = sw::pci_ioremap_bar(pdev, register_bar);
        REQUIRE(regs);
        auto readl = [&](unsigned offset) { return sim.cpu.load32(regs + offset); };
        auto writel = [&](unsigned offset, uint32_t value) { sim.cpu.store32(regs + offset, value); };
        magic = readl(UHC_MAGIC);
        params = readl(UHC_HCSPARAMS);
        portsc_before = readl(UHC_PORTSC(1));
        writel(UHC_PORTSC(1), PORT_RESET | PORT_CSC);
        portsc_after = readl(UHC_PORTSC(1));

        dma::dma_addr_t ring_dma = 0, buffer_dma = 0;
        uint64_t ring = dma::alloc_coherent(*pdev.dev, 4 * td_size, ring_dma);
        uint64_t buffer = dma::alloc_coherent(*pdev.dev, 64, buffer_dma);
        REQUIRE(ring);
        REQUIRE(buffer);
        sim.cpu.fill_block(ring, 0, 4 * td_size);
        auto put_td = [&](unsigned index, uint32_t control, uint32_t length, const usb_ctrlrequest& request) {
            uint64_t td = ring + index * td_size;
            uint64_t setup_bytes;
            std::memcpy(&setup_bytes, &request, sizeof setup_bytes);
            sim.cpu.store64(td + TD_BUFFER, buffer_dma);
            sim.cpu.store32(td + TD_LENGTH, length);
            sim.cpu.store32(td + TD_CONTROL, control);
            sim.cpu.store64(td + TD_SETUP, setup_bytes);
            sim.cpu.store32(td + TD_STATUS, TD_ACTIVE);
        };
        // GET_DESCRIPTOR(DEVICE) at the default address; then the same to an address nobody
        // has; then a bulk TD to the control endpoint.
        usb_ctrlrequest get_device = setup(USB_DIR_IN, USB_REQ_GET_DESCRIPTOR, USB_DT_DEVICE << 8, 0, 18);
        put_td(0, TD_ADDR(0) | TD_TYPE(USB_ENDPOINT_XFER_CONTROL) | TD_IOC, 18, get_device);
        put_td(1, TD_ADDR(9) | TD_TYPE(USB_ENDPOINT_XFER_CONTROL), 18, get_device);
        put_td(2, TD_ADDR(0) | TD_EP(0) | TD_TYPE(USB_ENDPOINT_XFER_BULK), 18, get_device);
        sim.cpu.dsb();
        writel(UHC_RING_LO, static_cast<uint32_t>(ring_dma));
        writel(UHC_RING_HI, static_cast<uint32_t>(ring_dma >> 32));
        writel(UHC_RING_SIZE, 4);
        writel(UHC_USBCMD, CMD_RUN);
        status_running = readl(UHC_USBSTS);
        writel(UHC_DOORBELL, 3);
        while (readl(UHC_DEQUEUE) != 3) {
        }
        for (unsigned i = 0; i < 3; ++i)
            td_status[i] = sim.cpu.load32(ring + i * td_size + TD_STATUS);
        td_actual = sim.cpu.load32(ring + TD_ACTUAL);
        descriptor = cpu_read(sim, buffer, 18);
        usbsts = readl(UHC_USBSTS);

        // A ring outside the bridge's inbound window: the first TD fetch is an unsupported
        // request, a host system error.
        writel(UHC_USBCMD, 0);
        writel(UHC_RING_LO, static_cast<uint32_t>(window_size));
        writel(UHC_RING_HI, 0);
        writel(UHC_USBCMD, CMD_RUN);
        writel(UHC_DOORBELL, 1);
        while (!(readl(UHC_USBSTS) & STS_FATAL)) {
        }
        status_after_fatal = readl(UHC_USBSTS);
        dequeue = readl(UHC_DEQUEUE);
        dma::free_coherent(*pdev.dev, 64, buffer, buffer_dma);
        dma::free_coherent(*pdev.dev, 4 * td_size, ring, ring_dma);
    });
    REQUIRE(fault.empty());
    CHECK(magic == MAGIC_VALUE);
    CHECK(HCS_MAX_PORTS(params) == 2);
    CHECK(HCS_DMA_BITS(params) == 32);
    CHECK((portsc_before & (PORT_CONNECT | PORT_CSC)) == (PORT_CONNECT | PORT_CSC));
    CHECK((portsc_before & PORT_PE) == 0);
    CHECK((portsc_after & (PORT_PE | PORT_RC)) == (PORT_PE | PORT_RC));
    CHECK((portsc_after & PORT_CSC) == 0);
    CHECK((status_running & STS_HALT) == 0);
    CHECK(td_status[0] == CC_SUCCESS);  // TD_ACTIVE clear
    CHECK(td_actual == 18);
    const usb_device_descriptor& expected = controller_model(sim).device(1)->device_descriptor();
    CHECK(std::memcmp(descriptor.data(), &expected, sizeof expected) == 0);
    CHECK(td_status[1] == CC_TRANSACTION_ERROR);
    CHECK(td_status[2] == CC_TD_ERROR);
    CHECK((usbsts & STS_EINT) != 0);  // TD 0 had IOC
    CHECK((status_after_fatal & (STS_FATAL | STS_HALT)) == (STS_FATAL | STS_HALT));
    CHECK(dequeue == 0);
    CHECK(sim.stat(stat_of(sim, "tds")) == 3);
    CHECK(sim.stat(stat_of(sim, "td_errors")) == 2);
    CHECK(sim.stat(stat_of(sim, "host_system_errors")) == 1);
    CHECK(sim.stat(stat_of(sim, "port_resets")) == 1);
    CHECK(sim.stat("pci0.unsupported_requests") == 1);
}

// --- the kernel's USB core and drivers ---

TEST_CASE("usb core: probe enumerates the root hub, binds usb-storage and usbmouse, delegates their DMA", "[usb]") {
    PciSim sim;
    std::vector<std::string> names;
    std::vector<unsigned> devnums;
    std::vector<std::string> drivers;
    bool delegated = false;
    uint64_t controller_mask = 0;
    std::vector<std::string> messages;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::UhcHcd& driver = hcd(sim);
        for (const auto& udev : driver.bus().devices()) {
            names.push_back(udev->name());
            devnums.push_back(udev->devnum);
            drivers.push_back(udev->driver ? udev->driver->name : "none");
            delegated = udev->dev->parent() == driver.pdev().dev.get() && &udev->dev->dma_dev() == &driver.sysdev();
            if (!delegated)
                break;
        }
        controller_mask = driver.sysdev().dma_mask();
        messages = driver.bus().messages();
        sim.pci.remove_drivers();
    });
    REQUIRE(fault.empty());
    CHECK(names == std::vector<std::string>{"1-1", "1-2"});
    CHECK(devnums == std::vector<unsigned>{2, 3});
    CHECK(drivers == std::vector<std::string>{"usb-storage", "usbmouse"});
    CHECK(delegated);
    CHECK(controller_mask == dma::dma_bit_mask(32));  // from HCSPARAMS
    models::Uhc& model = controller_model(sim);
    CHECK(model.device(1)->address() == 0);  // reset when the driver went away
    CHECK((model.reg(UHC_USBSTS) & STS_HALT) != 0);
    CHECK(std::count(messages.begin(), messages.end(),
                     "usb 1-1: New USB device found, idVendor=1234, idProduct=0008, bcdDevice= 1.00") == 1);
    CHECK(sim.stat("usb.buses") == 1);
    CHECK(sim.stat("usb.devices") == 2);
    CHECK(sim.stat("usb.drivers_bound") == 2);
    CHECK(sim.stat("usb.urb_errors") == 0);
    CHECK(sim.stat(stat_of(sim, "msis")) == sim.stat("usb.urbs"));  // one interrupt per TD
    CHECK(sim.stat("dma_debug.reports") == 0);
    CHECK(sim.hazards() == 0);
}

TEST_CASE("usb core: enumeration leaves the devices addressed and configured", "[usb]") {
    PciSim sim;
    unsigned address1 = 0, address2 = 0, config1 = 0;
    std::string fault = sim.run([&] {
        boot(sim);
        models::Uhc& model = controller_model(sim);
        address1 = model.device(1)->address();
        address2 = model.device(2)->address();
        config1 = model.device(1)->configuration();
        sim.pci.remove_drivers();
    });
    REQUIRE(fault.empty());
    CHECK(address1 == 2);
    CHECK(address2 == 3);
    CHECK(config1 == 1);
    CHECK(sim.stat(stat_of(sim, "port_resets")) == 2);
}

TEST_CASE("usb-storage: blocks written from memory above 4 GiB reach the device and read back, bounced", "[usb]") {
    PciSim sim;
    constexpr uint32_t blocks = 16, lba = 100;
    constexpr uint64_t size = blocks * storage_block_size;
    uint32_t capacity = 0;
    int rc_write = 1, rc_read = 1, rc_fresh = 1;
    std::vector<uint8_t> read_back, fresh;
    uint64_t maps_before = 0, maps_after = 0;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::UsbStorage& disk = storage(sim);
        REQUIRE(disk.read_capacity(capacity) == 0);
        uint64_t va = high_buffer(sim, size);
        fill(sim, va, size, block_pattern);
        maps_before = sim.stat("swiotlb.maps");
        rc_write = disk.write_blocks(lba, blocks, va);
        sim.cpu.fill_block(va, 0, size);
        rc_read = disk.read_blocks(lba, blocks, va);
        maps_after = sim.stat("swiotlb.maps");
        read_back = cpu_read(sim, va, size);
        rc_fresh = disk.read_blocks(3000, 1, va);
        fresh = cpu_read(sim, va, storage_block_size);
        sim.pci.remove_drivers();
    });
    REQUIRE(fault.empty());
    CHECK(capacity == 4096);
    CHECK(rc_write == 0);
    CHECK(rc_read == 0);
    CHECK(rc_fresh == 0);
    CHECK(maps_after - maps_before == 2);  // the data stages; the wrappers live in coherent memory
    uint64_t wrong = 0;
    for (uint64_t i = 0; i < size; ++i)
        wrong += read_back[i] != block_pattern(i);
    CHECK(wrong == 0);
    auto& disk_model = dynamic_cast<models::UsbStorage&>(*controller_model(sim).device(1));
    for (uint32_t b = 0; b < blocks; ++b) {
        std::vector<uint8_t> contents = disk_model.block(lba + b);
        uint64_t mismatches = 0;
        for (unsigned i = 0; i < storage_block_size; ++i)
            mismatches += contents[i] != block_pattern(b * storage_block_size + i);
        CHECK(mismatches == 0);
    }
    for (unsigned i = 0; i < storage_block_size; ++i)
        if (fresh[i] != models::UsbStorage::initial_byte(3000, i))
            FAIL("block 3000 byte " << i << " reads " << int(fresh[i]));
    CHECK(sim.stat("swiotlb.bounced_bytes") >= 3 * size);
    CHECK(sim.stat("usb.storage.commands") == 4);
    CHECK(sim.stat("usb.storage.resets") == 0);
    CHECK(sim.hazards() == 0);
    CHECK(sim.stat("dma_debug.reports") == 0);
}

TEST_CASE("usb-storage: a command the device fails has its stalled data stage cleared and reports -EIO", "[usb]") {
    PciSim sim;
    int rc_beyond = 0, rc_after = 1;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::UsbStorage& disk = storage(sim);
        uint64_t va = high_buffer(sim, 2 * storage_block_size);
        rc_beyond = disk.read_blocks(4095, 2, va);  // past the last block
        rc_after = disk.test_unit_ready();
        sim.pci.remove_drivers();
    });
    REQUIRE(fault.empty());
    CHECK(rc_beyond == -EIO);
    CHECK(rc_after == 0);
    CHECK(sim.stat("usb.storage.resets") == 0);  // a stall is not a transport error
    CHECK(sim.stat("usb.urb_errors") == 1);      // the stalled data stage (-EPIPE)
}

TEST_CASE("usbmouse: reports arrive in order, one per polling interval, in coherent memory", "[usb]") {
    PciSim sim;
    std::array<std::array<uint8_t, hid_boot_mouse_report_size>, 3> reports{};
    int rc = 1;
    uint64_t first_ps = 0, last_ps = 0;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::UsbMouse* mouse = sw::UsbMouse::of(usb_device(sim, "1-2"));
        REQUIRE(mouse);
        uint64_t maps_before = sim.stat("swiotlb.maps");
        for (size_t n = 0; n < reports.size(); ++n) {
            rc = mouse->read_report(reports[n]);
            if (rc)
                break;
            (n == 0 ? first_ps : last_ps) = sim.cpu.now_ps();
        }
        CHECK(sim.stat("swiotlb.maps") == maps_before);  // URB_NO_TRANSFER_DMA_MAP: nothing mapped
        sim.pci.remove_drivers();
    });
    REQUIRE(fault.empty());
    REQUIRE(rc == 0);
    for (size_t n = 0; n < reports.size(); ++n)
        CHECK(reports[n] == models::UsbMouse::report(n));
    CHECK(last_ps - first_ps >= 1900000000);  // two more polling intervals of 1 ms
    CHECK(sim.stat(stat_of(sim, "port2.reports")) == 3);
    CHECK(sim.stat("dma_debug.reports") == 0);
}

TEST_CASE("usb core: without MSI the controller interrupts on INTx, acknowledged through USBSTS", "[usb]") {
    PciSim sim({std::string(usb_node) + ":dmasim,msi-vectors=<0>"});
    uint32_t capacity = 0;
    bool intx_low = false;
    std::string fault = sim.run([&] {
        boot(sim);
        REQUIRE(storage(sim).read_capacity(capacity) == 0);
        intx_low = !controller_model(sim).intx_asserted();
        sim.pci.remove_drivers();
    });
    REQUIRE(fault.empty());
    CHECK(capacity == 4096);
    CHECK(intx_low);
    CHECK(sim.stat(stat_of(sim, "msis")) == 0);
    CHECK(sim.stat(stat_of(sim, "intx_asserts")) == sim.stat("usb.urbs"));
}

// --- delegation ---

TEST_CASE("usb delegation: a USB device maps through the controller's mask and window, and bounces", "[usb]") {
    PciSim sim;
    dma::dma_addr_t high = 0, low = 0, coherent = 0;
    uint64_t low_pa = 0, bounces_for_high = 0, bounces_for_low = 0, mask_seen_by_controller = 0;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::UsbDevice& udev = usb_device(sim, "1-1");
        dma::Device& dev = *udev.dev;
        uint64_t high_va = high_buffer(sim, 4096);
        uint64_t maps = sim.stat("swiotlb.maps");
        high = dma::map_single(dev, high_va, 4096, dma::DmaDirection::to_device);
        REQUIRE_FALSE(dma::mapping_error(dev, high));
        bounces_for_high = sim.stat("swiotlb.maps") - maps;
        dma::unmap_single(dev, high, 4096, dma::DmaDirection::to_device);

        low_pa = *sim.kernel.page_allocator().alloc_pages(0, sw::Zone::dma);
        maps = sim.stat("swiotlb.maps");
        low = dma::map_single(dev, sw::Kernel::phys_to_virt(low_pa), 4096, dma::DmaDirection::to_device);
        REQUIRE_FALSE(dma::mapping_error(dev, low));
        bounces_for_low = sim.stat("swiotlb.maps") - maps;
        dma::unmap_single(dev, low, 4096, dma::DmaDirection::to_device);

        uint64_t va = dma::alloc_coherent(dev, 4096, coherent);
        REQUIRE(va);
        dma::free_coherent(dev, 4096, va, coherent);

        REQUIRE(dma::set_mask(dev, dma::dma_bit_mask(31)) == 0);  // a mask set on the USB device is the controller's
        mask_seen_by_controller = hcd(sim).sysdev().dma_mask();
        REQUIRE(dma::set_mask(dev, dma::dma_bit_mask(32)) == 0);
        sim.pci.remove_drivers();
    });
    REQUIRE(fault.empty());
    CHECK(bounces_for_high == 1);
    CHECK(high < window_size);
    CHECK(bounces_for_low == 0);
    CHECK(low == low_pa - 0x80000000);  // the bridge's dma-ranges offset
    CHECK(coherent < window_size);
    CHECK(mask_seen_by_controller == dma::dma_bit_mask(31));
    CHECK(sim.stat("dma_debug.reports") == 0);
}

TEST_CASE("usb delegation: a USB device with a 64-bit DMA setup of its own hands the controller addresses it "
          "refuses, the transfers fail cleanly, delegation restores them",
          "[usb]") {
    PciSim sim;
    int rc_write = 0, rc_unit = 0, rc_restored = 1;
    uint64_t maps_broken = 1;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::UsbDevice& udev = usb_device(sim, "1-1");
        uint64_t va = high_buffer(sim, 4096);
        fill(sim, va, 4096, block_pattern);
        udev.bus.unbind(udev);
        udev.dev = std::make_unique<dma::Device>(udev.name(), sim.context);
        REQUIRE(dma::set_mask_and_coherent(*udev.dev, dma::dma_bit_mask(64)) == 0);
        REQUIRE(udev.bus.bind(udev) == 0);
        uint64_t maps = sim.stat("swiotlb.maps");
        rc_write = storage(sim).write_blocks(0, 8, va);
        rc_unit = storage(sim).test_unit_ready();
        maps_broken = sim.stat("swiotlb.maps") - maps;

        udev.bus.unbind(udev);
        udev.dev = std::make_unique<dma::Device>(udev.name(), hcd(sim).sysdev());
        REQUIRE(udev.bus.bind(udev) == 0);
        rc_restored = storage(sim).write_blocks(8, 8, va);
        sim.pci.remove_drivers();
    });
    REQUIRE(fault.empty());     // no crash: errors all the way up
    CHECK(rc_write == -ENOSR);  // the controller could not read the command wrapper
    CHECK(rc_unit == -ENOSR);
    CHECK(maps_broken == 0);  // a 64-bit mask, no dma-ranges: nothing bounces
    CHECK(rc_restored == 0);
    CHECK(sim.stat(stat_of(sim, "dma_refused")) == 2);
    CHECK(sim.stat(stat_of(sim, "td_dma_errors")) == 2);
    CHECK(sim.stat("usb.dma_errors") == 2);
    CHECK(sim.stat("usb.storage.resets") == 2);
    auto& disk_model = dynamic_cast<models::UsbStorage&>(*controller_model(sim).device(1));
    CHECK(disk_model.block(0)[0] == models::UsbStorage::initial_byte(0, 0));  // never written
    CHECK(disk_model.block(8)[1] == block_pattern(1));
    CHECK(sim.stat("dma_debug.reports") == 0);  // dma-debug cannot tell: the mappings were consistent
}

// --- removal ---

TEST_CASE("usb core: removal checks each USB device for leaked mappings", "[usb]") {
    PciSim sim;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::UsbDevice& udev = usb_device(sim, "1-1");
        uint64_t va = high_buffer(sim, 4096);
        dma::dma_addr_t addr = dma::map_single(*udev.dev, va, 4096, dma::DmaDirection::to_device);
        REQUIRE_FALSE(dma::mapping_error(*udev.dev, addr));  // and never unmapped
        sim.pci.remove_drivers();
    });
    REQUIRE(fault.empty());
    CHECK(sim.stat("dma_debug.leaked_at_driver_removal") == 1);
    REQUIRE(sim.context.debug().reports().size() == 1);
    CHECK(sim.context.debug().reports()[0].device == "1-1");
}

// --- device tree ---

TEST_CASE("usb controller: device-tree errors name the node and what was expected", "[usb]") {
    std::string node(usb_node);
    auto build = [](const std::vector<std::string>& overrides) {
        return [overrides] {
            models::Instrumentation instr;
            platform::DeviceTree tree = pci_sim::load_tree(pci_sim::shipped("arm-pci-noncoherent.dts"), overrides);
            platform::Platform platform(tree, platform::PlatformOptions{}, instr);
        };
    };
    std::string ports = config_error(build({node + ":dmasim,ports=<0>"}));
    CHECK_THAT(ports, Catch::Contains("usb@4,0") && Catch::Contains("dmasim,ports") && Catch::Contains("got 0"));
    std::string port = config_error(build({node + "/mouse@2:reg=<3>"}));
    CHECK_THAT(port, Catch::Contains("mouse@2") && Catch::Contains("from 1 to 2, got 3"));
    std::string taken = config_error(build({node + "/mouse@2:reg=<1>"}));
    CHECK_THAT(taken, Catch::Contains("a port no other device uses"));
    std::string unknown = config_error(build({node + "/mouse@2:compatible=\"usb1234,9999\""}));
    CHECK_THAT(unknown, Catch::Contains("usb1234,0008") && Catch::Contains("usb1234,9999"));
}
