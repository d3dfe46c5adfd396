// The PCI endpoint base's configuration space, without a simulation: the type-0 header, BAR
// sizing by writing all-ones, memory decoding, the command register's writable bits, the MSI
// capability, and configurations the hardware cannot have.
#include "models/pci/pci_endpoint_test.h"
#include "models/pci/pci_endpoint_test_regs.h"
#include "models/pci/pci_host_bridge.h"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <utility>
#include <vector>

using namespace pci;

namespace {

models::PciEndpointConfig test_config() {
    models::PciEndpointConfig config;
    config.devfn = PCI_DEVFN(1, 0);
    config.vendor_id = pci_endpoint_test::PCI_VENDOR_ID_TI;
    config.device_id = pci_endpoint_test::PCI_DEVICE_ID_TI_DRA74x;
    config.class_code = 0xff0000;
    config.revision = 3;
    config.msi_vectors = 4;
    return config;
}

// A function whose INTx wire the test drives, without BARs.
class IntxFunction : public models::PciEndpoint {
public:
    IntxFunction(const char* name, uint8_t devfn, models::Instrumentation& instr)
        : PciEndpoint(name, config_for(devfn), {}, instr) {}
    std::string device_kind() const override { return "INTx source"; }
    void bar_read(unsigned, uint64_t, uint8_t*, unsigned, uint64_t&) override {}
    void bar_write(unsigned, uint64_t, const uint8_t*, unsigned, uint64_t&) override {}
    void drive(bool asserted) { set_intx(asserted, 0); }

private:
    static models::PciEndpointConfig config_for(uint8_t devfn) {
        models::PciEndpointConfig config = test_config();
        config.devfn = devfn;
        return config;
    }
};

}  // namespace

TEST_CASE("pci model: the type-0 header names the function and lists its MSI capability", "[pci]") {
    models::Instrumentation instr;
    models::PciEndpointTest ep("ep", test_config(), 1, instr);
    CHECK(ep.config_read(PCI_VENDOR_ID, 2) == 0x104c);
    CHECK(ep.config_read(PCI_DEVICE_ID, 2) == 0xb500);
    CHECK(ep.config_read(PCI_VENDOR_ID, 4) == 0xb500104c);
    CHECK(ep.config_read(PCI_CLASS_REVISION, 4) == 0xff000003);
    CHECK(ep.config_read(PCI_HEADER_TYPE, 1) == PCI_HEADER_TYPE_NORMAL);
    CHECK(ep.config_read(PCI_INTERRUPT_PIN, 1) == 1);
    CHECK(ep.config_read(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    unsigned cap = ep.config_read(PCI_CAPABILITY_LIST, 1);
    REQUIRE(cap == models::PciEndpoint::msi_capability);
    CHECK(ep.config_read(cap, 1) == PCI_CAP_ID_MSI);
    CHECK(ep.config_read(cap + PCI_CAP_LIST_NEXT, 1) == 0);
    uint16_t flags = static_cast<uint16_t>(ep.config_read(cap + PCI_MSI_FLAGS, 2));
    CHECK((flags & PCI_MSI_FLAGS_64BIT) != 0);
    CHECK((flags & PCI_MSI_FLAGS_QMASK) >> 1 == 2);  // 4 vectors
    CHECK(ep.config_read(0x100, 4) == 0);            // no extended capabilities
    // Read-only fields keep their values.
    ep.config_write(PCI_VENDOR_ID, 4, 0x12345678, 0);
    CHECK(ep.config_read(PCI_VENDOR_ID, 4) == 0xb500104c);
}

TEST_CASE("pci model: BAR sizing reads back the size mask and the type bits", "[pci]") {
    models::Instrumentation instr;
    models::PciEndpointTest ep("ep", test_config(), 1, instr);
    auto size_bar = [&](unsigned bar) {
        ep.config_write(PCI_BASE_ADDRESS_0 + 4 * bar, 4, 0xffffffff, 0);
        return ep.config_read(PCI_BASE_ADDRESS_0 + 4 * bar, 4);
    };
    CHECK(size_bar(0) == 0xfffffe00);  // 512 bytes of registers, 32-bit, non-prefetchable
    CHECK(size_bar(1) == 0);           // not implemented
    CHECK(size_bar(2) == (0xffff0000 | PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH));
    CHECK(size_bar(3) == 0xffffffff);  // the upper half of the 64-bit BAR
    CHECK(size_bar(4) == 0);
    CHECK(size_bar(5) == 0);
    ep.config_write(PCI_BASE_ADDRESS_0 + 8, 4, 0x00010000, 0);
    ep.config_write(PCI_BASE_ADDRESS_0 + 12, 4, 0x10, 0);
    CHECK(ep.bar_address(2) == 0x1000010000);
    ep.config_write(PCI_BASE_ADDRESS_0, 4, 0x50000123, 0);  // low bits below the size are not writable
    CHECK(ep.bar_address(0) == 0x50000000);
}

TEST_CASE("pci model: BARs decode only with memory decoding on, and only whole accesses inside them", "[pci]") {
    models::Instrumentation instr;
    models::PciEndpointTest ep("ep", test_config(), 1, instr);
    ep.config_write(PCI_BASE_ADDRESS_0, 4, 0x50000000, 0);
    uint64_t offset = 0;
    CHECK(ep.decode(0x50000004, 4, offset) == -1);
    ep.config_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY, 0);
    CHECK(ep.decode(0x50000004, 4, offset) == 0);
    CHECK(offset == 4);
    CHECK(ep.decode(0x500001fc, 8, offset) == -1);  // runs past the BAR's 512 bytes
    CHECK(ep.decode(0x50000200, 4, offset) == -1);
}

TEST_CASE("pci model: only memory, bus master and INTx disable are writable in the command register", "[pci]") {
    models::Instrumentation instr;
    models::PciEndpointTest ep("ep", test_config(), 1, instr);
    CHECK_FALSE(ep.bus_master());
    ep.config_write(PCI_COMMAND, 2, 0xffff, 0);
    CHECK(ep.command() == (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE));
    CHECK(ep.bus_master());
    ep.config_write(PCI_COMMAND, 2, 0, 0);
    CHECK_FALSE(ep.bus_master());
}

TEST_CASE("pci model: MSI is enabled with as many vectors as software enables, up to the capable ones", "[pci]") {
    models::Instrumentation instr;
    models::PciEndpointTest ep("ep", test_config(), 1, instr);
    unsigned flags = models::PciEndpoint::msi_capability + PCI_MSI_FLAGS;
    CHECK_FALSE(ep.msi_enabled());
    ep.config_write(flags, 2, PCI_MSI_FLAGS_ENABLE | 1 << 4, 0);  // 2 vectors
    CHECK(ep.msi_enabled());
    CHECK(ep.msi_vectors_enabled() == 2);
    ep.config_write(flags, 2, PCI_MSI_FLAGS_ENABLE | 5 << 4, 0);  // 32: more than capable
    CHECK(ep.msi_vectors_enabled() == 4);
    ep.config_write(flags, 2, 0, 0);
    CHECK(ep.msi_vectors_enabled() == 0);
}

TEST_CASE("pci model: the test endpoint's read-only registers and its reset magic", "[pci]") {
    models::Instrumentation instr;
    models::PciEndpointConfig config = test_config();
    config.dma_bits = 30;
    models::PciEndpointTest ep("ep", config, 1, instr);
    using namespace pci_endpoint_test;
    CHECK(ep.reg(PCI_ENDPOINT_TEST_MAGIC) == MAGIC_VALUE);
    CHECK(ep.reg(PCI_ENDPOINT_TEST_DMA_BITS) == 30);
    CHECK(ep.reg(PCI_ENDPOINT_TEST_CAPS) == (CAP_MSI | CAP_INTX));
    uint64_t delay = 0;
    uint8_t ones[4] = {0xff, 0xff, 0xff, 0xff};
    ep.bar_write(register_bar, PCI_ENDPOINT_TEST_DMA_BITS, ones, 4, delay);
    ep.bar_write(register_bar, PCI_ENDPOINT_TEST_MAGIC, ones, 4, delay);
    CHECK(ep.reg(PCI_ENDPOINT_TEST_DMA_BITS) == 30);
    CHECK(ep.reg(PCI_ENDPOINT_TEST_MAGIC) == 0xffffffff);  // a scratch register, as in pci-epf-test
}

TEST_CASE("pci model: an endpoint the hardware cannot have is refused", "[pci]") {
    models::Instrumentation instr;
    models::PciEndpointConfig config = test_config();
    config.msi_vectors = 3;
    CHECK_THROWS_AS(models::PciEndpointTest("ep1", config, 1, instr), std::invalid_argument);
    config = test_config();
    config.dma_bits = 0;
    CHECK_THROWS_AS(models::PciEndpointTest("ep2", config, 1, instr), std::invalid_argument);
    config = test_config();
    config.burst_size = 96;
    CHECK_THROWS_AS(models::PciEndpointTest("ep3", config, 1, instr), std::invalid_argument);
}

TEST_CASE("pci model: crc32_le is Linux's (seed ~0, no final inversion)", "[pci]") {
    const uint8_t text[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    // The standard CRC-32 of "123456789" is 0xcbf43926, i.e. ~crc32_le(~0, ...).
    CHECK(~pci_endpoint_test::crc32_le(~0u, text, sizeof text) == 0xcbf43926u);
}

TEST_CASE("pci model: two functions on one INTx line: it stays asserted until both deassert", "[pci]") {
    models::Instrumentation instr;
    models::PciHostBridge bridge("pci0", models::PciHostBridgeConfig{}, instr);
    IntxFunction first("ep0", PCI_DEVFN(1, 0), instr), second("ep1", PCI_DEVFN(2, 0), instr),
        other("ep2", PCI_DEVFN(3, 0), instr);
    bridge.attach(first, 137);
    bridge.attach(second, 137);  // e.g. slot 2's INTD swizzled onto slot 1's INTA
    bridge.attach(other, 138);
    std::vector<std::pair<unsigned, bool>> levels;  // what the interrupt controller sees
    bridge.set_irq_level([&](unsigned id, bool asserted, uint64_t) { levels.emplace_back(id, asserted); });
    using Levels = std::vector<std::pair<unsigned, bool>>;

    first.drive(true);
    CHECK(levels == Levels{{137, true}});
    second.drive(true);  // already high: no change
    other.drive(true);   // its own line
    CHECK(levels == Levels{{137, true}, {138, true}});
    first.drive(false);  // the second still holds the shared line
    CHECK(levels == Levels{{137, true}, {138, true}});
    second.drive(false);
    CHECK(levels == Levels{{137, true}, {138, true}, {137, false}});

    // INTx disable drops a function's wire: the shared line follows only when no one else drives it.
    levels.clear();
    first.drive(true);
    second.drive(true);
    first.config_write(PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE, 0);
    CHECK(levels == Levels{{137, true}});
    second.config_write(PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE, 0);
    CHECK(levels == Levels{{137, true}, {137, false}});
    first.config_write(PCI_COMMAND, 2, 0, 0);  // re-enabled while still asserted
    CHECK(levels == Levels{{137, true}, {137, false}, {137, true}});
}
