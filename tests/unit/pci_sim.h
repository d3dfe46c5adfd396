// Fixture for PCI tests: a PCI platform (platforms/arm-pci-noncoherent.dts by default, with
// overrides, or a tree a test wrote), a booted kernel with its interrupt controller, the DMA layer
// with the platform's boot parameters, and the PCI core. The program runs on the core; it usually
// starts with boot(). One simulation per test case.
#pragma once

#include "dma/context.h"
#include "models/pci/pci_endpoint_test.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"
#include "sw/drivers/pci/pci_endpoint_test.h"
#include "sw/drivers/pci/pci_subsystem.h"

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <systemc>
#include <vector>

namespace pci_sim {

inline platform::DeviceTree load_tree(const std::string& file, const std::vector<std::string>& overrides) {
    platform::DeviceTree tree = platform::DeviceTree::load(file);
    for (const std::string& spec : overrides)
        tree.apply_override(spec);
    return tree;
}

inline std::string shipped(const std::string& name) { return std::string(DMASIM_SOURCE_DIR "/platforms/") + name; }

class PciSim {
public:
    explicit PciSim(const std::vector<std::string>& overrides = {},
                    const std::string& file = shipped("arm-pci-noncoherent.dts"))
        : tree_(load_tree(file, overrides)), platform_(tree_, platform::PlatformOptions{}, instr_),
          kernel(platform_.core(), instr_, platform_.kernel_ram(), platform_.kernel_reserved(),
                 platform_.outer_cache_registers(), platform_.zone_dma_limit(), platform_.interrupt_controller_info()),
          context(kernel, instr_, platform_.boot_params().dma),
          pci(kernel, context, instr_, platform_.kernel_pci_hosts()), cpu(platform_.core()) {
        kernel.kmalloc().set_min_align(platform_.boot_params().dma.kmalloc_min_align);  // as a run boots it
        test_driver_only_.add(sw::pci_endpoint_test_driver());
    }

    // Runs `program` on the core; the simulation ends when it returns. The fault, if any.
    std::string run(const std::function<void()>& program) {
        cpu.set_program([&](models::Core&) { program(); });
        sc_core::sc_start();
        return cpu.fault();
    }

    // --- inside the program ---
    // Enumeration, then only the test endpoint's driver: other endpoints of the platform stay
    // unbound, so they do no DMA of their own.
    void boot() {
        pci.scan();
        pci.probe_drivers(test_driver_only_);
    }
    // The driver instance of function `name` ("0000:00:01.0"); fails the test if none.
    sw::PciEndpointTest& test_device(const std::string& name) {
        sw::PciDev* pdev = pci.find(name);
        REQUIRE(pdev);
        sw::PciEndpointTest* test = sw::PciEndpointTest::of(*pdev);
        REQUIRE(test);
        return *test;
    }

    // --- models and results ---
    models::PciHostBridge& bridge() { return *platform_.pci_bridges().at(0); }
    models::PciEndpointTest& endpoint(size_t index) {
        return dynamic_cast<models::PciEndpointTest&>(*platform_.pci_endpoints().at(index));
    }
    platform::Platform& platform() { return platform_; }
    uint64_t stat(const std::string& path) const { return instr_.counter_value(path); }
    models::Instrumentation& instrumentation() { return instr_; }
    uint64_t hazards() { return platform_.monitor()->total(); }
    // Back-door reads of system memory, for checking what a device wrote.
    std::vector<uint8_t> memory(uint64_t pa, uint64_t size) {
        std::vector<uint8_t> data(size);
        REQUIRE(platform_.bus().backdoor_read(pa, data.data(), size));
        return data;
    }

private:
    sw::PciDriverRegistry test_driver_only_;  // bound drivers point into it
    models::Instrumentation instr_;
    platform::DeviceTree tree_;
    platform::Platform platform_;

public:
    sw::Kernel kernel;
    dma::Context context;
    sw::PciSubsystem pci;
    models::Core& cpu;
};

}  // namespace pci_sim
