// Shared fixture for tests of the DMA layer: the non-coherent platform (platforms/arm-noncoherent.dts
// with overrides), a booted kernel, a dma::Context and one dma::Device for the platform's bus master,
// which stands in for the device, driven through its driver (probed when the program starts). One
// simulation per test case (sc_start at most once per process).
#pragma once

#include "dma/context.h"
#include "dma/mapping.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"
#include "sw/drivers/dma/bus_master.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <functional>
#include <stdexcept>
#include <string>
#include <systemc>
#include <vector>

namespace dma_sim {

inline uint8_t cpu_pattern(uint64_t i) { return static_cast<uint8_t>(0x11 + i); }
inline uint8_t device_pattern(uint64_t i) { return static_cast<uint8_t>(0xa0 ^ i); }
using Pattern = uint8_t (*)(uint64_t);

inline platform::DeviceTree load_tree(const std::vector<std::string>& overrides) {
    platform::DeviceTree tree = platform::DeviceTree::load(DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts");
    for (const std::string& spec : overrides)
        tree.apply_override(spec);
    return tree;
}

// The platform's CMA region (/reserved-memory/linux,cma) turned into a `no-map` shared-dma-pool
// region, memory the page allocator never hands out, for per-device pools: placed by the kernel
// (its size and alignment kept), or fixed at no_map_base, no_map_size long.
inline const std::vector<std::string> dynamic_no_map_region = {"/reserved-memory/linux,cma:reusable=false",
                                                               "/reserved-memory/linux,cma:linux,cma-default=false",
                                                               "/reserved-memory/linux,cma:no-map=true"};
constexpr uint64_t no_map_base = 0xbf000000;
constexpr uint64_t no_map_size = 0x100000;
inline std::vector<std::string> no_map_region() {
    std::vector<std::string> overrides = dynamic_no_map_region;
    for (const char* dynamic_placement : {"size", "alignment"})
        overrides.push_back(fmt::format("/reserved-memory/linux,cma:{}=false", dynamic_placement));
    overrides.push_back(fmt::format("/reserved-memory/linux,cma:reg=<0x0 {:#x} 0x0 {:#x}>", no_map_base, no_map_size));
    return overrides;
}

// The platform, a booted kernel, the DMA layer and one device for the bus master.
class Sim {
public:
    // `policy`: the DMA layer's (e.g. swiotlb_slots = 0 for no swiotlb); `zone_dma_limit`: the
    // kernel's ZONE_DMA end (0: none).
    explicit Sim(const std::vector<std::string>& overrides = {}, dma::Policy policy = {}, uint64_t zone_dma_limit = 0)
        : tree_(load_tree(overrides)), platform_(tree_, platform::PlatformOptions{}, instr_),
          kernel(platform_.core(), instr_, platform_.kernel_ram(), platform_.kernel_reserved(),
                 platform_.outer_cache_registers(), zone_dma_limit, platform_.interrupt_controller_info()),
          context(kernel, instr_, policy), dev("dma-agent@1000000", context), cpu(platform_.core()),
          master_(kernel, platform_.kernel_bus_masters().at(0)) {}

    // Runs `program` on the core, the bus master's driver bound around it; the simulation ends
    // when it returns.
    std::string run(const std::function<void()>& program) {
        cpu.set_program([&](models::Core&) {
            if (int rc = master_.probe(); rc < 0)
                throw std::runtime_error(fmt::format("bus master probe failed: {}", rc));
            program();
            master_.remove();
        });
        sc_core::sc_start();
        return cpu.fault();
    }

    // --- inside the program ---
    void cpu_write(uint64_t va, uint64_t size, Pattern pattern) {
        for (uint64_t i = 0; i < size; ++i)
            cpu.store8(va + i, pattern(i));
    }
    uint64_t cpu_errors(uint64_t va, uint64_t size, Pattern pattern) {
        uint64_t errors = 0;
        for (uint64_t i = 0; i < size; ++i)
            errors += cpu.load8(va + i) != pattern(i);
        return errors;
    }
    // The device's side: the bus master at the bus address (identity on this platform).
    void device_write(dma::dma_addr_t addr, uint64_t size, Pattern pattern) {
        std::vector<uint8_t> data(size);
        for (uint64_t i = 0; i < size; ++i)
            data[i] = pattern(i);
        transferred(master_.write(addr, data.data(), size));
    }
    uint64_t device_errors(dma::dma_addr_t addr, uint64_t size, Pattern pattern) {
        std::vector<uint8_t> data(size);
        transferred(master_.read(addr, data.data(), size));
        uint64_t errors = 0;
        for (uint64_t i = 0; i < size; ++i)
            errors += data[i] != pattern(i);
        return errors;
    }
    models::MemType type_of(uint64_t va) {
        models::Translation translation;
        REQUIRE(cpu.mmu().translate(va, translation));
        return translation.type;
    }
    models::MemType linear_type(uint64_t pa) {
        models::MemType type = models::MemType::device;
        REQUIRE(cpu.mmu().linear_type(pa, type));
        return type;
    }

    // Simulated memory behind the caches, for assertions (the code under test uses the core).
    uint64_t backdoor_read64(uint64_t pa) {
        uint64_t value = 0;
        REQUIRE(platform_.bus().backdoor_read(pa, &value, sizeof(value)));
        return value;
    }

    // --- after the run ---
    uint64_t stat(const std::string& path) const { return instr_.counter_value(path); }
    uint64_t hazards() { return platform_.monitor()->total(); }

private:
    void transferred(int rc) {
        if (rc < 0)
            throw std::runtime_error(master_.error());
    }

    models::Instrumentation instr_;
    platform::DeviceTree tree_;
    platform::Platform platform_;

public:
    sw::Kernel kernel;
    dma::Context context;
    dma::Device dev;
    models::Core& cpu;

private:
    sw::BusMaster master_;
};

}  // namespace dma_sim
