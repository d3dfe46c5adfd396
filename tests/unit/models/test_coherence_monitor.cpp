// Each hazard kind from a minimal program plus bus master, and its absence with the correct
// maintenance. One simulation per test case: catch_discover_tests runs each in its own process.
#include "models/cpu/prefetcher.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"
#include "sw/drivers/dma/bus_master.h"
#include "sw/workloads/workload.h"

#include <catch2/catch.hpp>
#include <map>
#include <stdexcept>
#include <systemc>

namespace {

sw::Kernel boot(platform::Platform& platform, models::Instrumentation& instr) {
    return sw::Kernel(platform.core(), instr, platform.kernel_ram(), platform.kernel_reserved(),
                      platform.outer_cache_registers(), platform.zone_dma_limit(),
                      platform.interrupt_controller_info());
}

// Binds the bus master's driver, on the core.
void probe(sw::BusMaster& master) {
    if (master.probe() < 0)
        throw std::runtime_error("bus master probe failed");
}

struct Outcome {
    std::map<std::string, uint64_t> stats;
    std::vector<models::Hazard> hazards;
    uint64_t stat(const std::string& path) const {
        auto found = stats.find(path);
        REQUIRE(found != stats.end());
        return found->second;
    }
};

Outcome run_coherence_case(const std::string& name, bool fixed, const std::vector<std::string>& overrides = {}) {
    platform::DeviceTree tree = platform::DeviceTree::load(DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts");
    for (const std::string& spec : overrides)
        tree.apply_override(spec);
    models::Instrumentation instr;
    platform::Platform platform(tree, platform::PlatformOptions{}, instr);
    sw::Kernel kernel = boot(platform, instr);
    sw::BusMaster master(kernel, platform.kernel_bus_masters().at(0));
    const sw::Workload* workload = sw::WorkloadRegistry::builtin().find("coherence");
    REQUIRE(workload);
    sw::Params params = sw::WorkloadRegistry::resolve(*workload, {{"case", name}, {"fixed", fixed ? "true" : "false"}});
    uint64_t& data_errors = instr.counter("workload.data_errors");
    sw::WorkloadContext context{platform.core(), kernel, params, instr, 1, data_errors, {&master}, nullptr, {}};
    workload->check(context);  // as every run does first: the workload indexes the masters unchecked
    platform.core().set_program([&](models::Core&) {
        probe(master);
        workload->run(context);
    });
    sc_core::sc_start();
    REQUIRE(platform.core().fault().empty());
    Outcome outcome;
    for (const auto& [path, value] : instr.counters())
        outcome.stats[path] = *value;
    outcome.hazards = platform.monitor()->details();
    return outcome;
}

uint64_t all_hazards(const Outcome& outcome) {
    uint64_t sum = 0;
    for (const char* kind : {"stale_cpu_read", "lost_device_write", "stale_device_read", "mismatched_alias",
                             "stale_iommu_walk", "stale_iotlb", "outside_local_memory"})
        sum += outcome.stat(std::string("hazards.") + kind);
    return sum;
}

}  // namespace

TEST_CASE("stale_cpu_read: the CPU reads cached lines a device has overwritten", "[coherence]") {
    Outcome outcome = run_coherence_case("stale-cpu-read", false);
    CHECK(outcome.stat("hazards.stale_cpu_read") > 0);
    CHECK(outcome.stat("workload.data_errors") > 0);
    REQUIRE(!outcome.hazards.empty());
    const models::Hazard& first = outcome.hazards.front();
    CHECK(first.kind == models::HazardKind::stale_cpu_read);
    // The workload's first page: the lowest free one, above what boot allocated at the start of RAM.
    CHECK(first.address == 0x80000000 + sw::Kernel::text_size + sw::Kernel::rodata_size + sw::Kernel::thread_size);
    CHECK(first.where == "cpu0.l1d");
    CHECK(first.previous_writer.find("device0") != std::string::npos);
    CHECK(first.expected.size() == 1);  // one byte read: load8
    CHECK(first.expected[0] == 0xa0);   // what the device wrote
    CHECK(first.observed[0] == 0x11);   // what the stale line returned
    CHECK(first.previous_time_ps < first.time_ps);
}

TEST_CASE("stale_cpu_read fixed: invalidate outer then inner before reading", "[coherence]") {
    Outcome outcome = run_coherence_case("stale-cpu-read", true);
    CHECK(all_hazards(outcome) == 0);
    CHECK(outcome.stat("workload.data_errors") == 0);
    CHECK(outcome.stat("l2.maint.invalidate") > 0);
}

TEST_CASE("lost_device_write: a dirty write-back clobbers device data", "[coherence]") {
    Outcome outcome = run_coherence_case("lost-device-write", false);
    CHECK(outcome.stat("hazards.lost_device_write") == 4);  // 256 bytes = 4 lines of 64
    CHECK(outcome.stat("workload.data_errors") > 0);
    const models::Hazard& first = outcome.hazards.front();
    CHECK(first.length == 64);
    CHECK(first.where == "l2");
    CHECK(first.expected[0] == 0xa0);
    CHECK(first.observed[0] == 0x11);
}

TEST_CASE("lost_device_write fixed: flush before the DMA, invalidate after", "[coherence]") {
    Outcome outcome = run_coherence_case("lost-device-write", true);
    CHECK(all_hazards(outcome) == 0);
    CHECK(outcome.stat("workload.data_errors") == 0);
}

TEST_CASE("stale_device_read: a device reads memory while the cache holds dirty data", "[coherence]") {
    Outcome outcome = run_coherence_case("stale-device-read", false);
    CHECK(outcome.stat("hazards.stale_device_read") == 4);
    CHECK(outcome.hazards.front().actor.find("device0") != std::string::npos);
    CHECK(outcome.hazards.front().expected[1] == 0x12);  // the CPU's dirty byte
    CHECK(outcome.hazards.front().observed[1] == 0x00);  // what memory gave the device
}

TEST_CASE("stale_device_read fixed: clean inner then outer before the device reads", "[coherence]") {
    Outcome outcome = run_coherence_case("stale-device-read", true);
    CHECK(all_hazards(outcome) == 0);
    CHECK(outcome.stat("workload.data_errors") == 0);
}

TEST_CASE("mismatched_alias: an uncached read of a cached line", "[coherence]") {
    Outcome outcome = run_coherence_case("mismatched-alias", false);
    CHECK(outcome.stat("hazards.mismatched_alias") == 256);
    CHECK(outcome.stat("workload.data_errors") > 0);  // bypass: memory never got the dirty bytes
}

TEST_CASE("mismatched_alias fixed: flush the cacheable alias before mapping uncached", "[coherence]") {
    Outcome outcome = run_coherence_case("mismatched-alias", true);
    CHECK(all_hazards(outcome) == 0);
    CHECK(outcome.stat("workload.data_errors") == 0);
}

TEST_CASE("unexpected cache hit policy: the uncached read returns the cached bytes", "[coherence]") {
    Outcome outcome = run_coherence_case("mismatched-alias", false, {"/cpus/cpu@0:dmasim,alias-policy=\"hit\""});
    CHECK(outcome.stat("hazards.mismatched_alias") == 256);
    CHECK(outcome.stat("workload.data_errors") == 0);
    // One per byte read through the uncached alias, besides the bus master's probe at boot (its ID and
    // buffer size, and the GIC's type for its interrupt).
    CHECK(outcome.stat("cpu0.uncached_reads") - outcome.stat("bus.dma0_regs.reads") - outcome.stat("bus.gicd.reads") ==
          256);
    CHECK(outcome.stat("bus.dram0.reads") < 256);  // served by the cache, not the bus
}

TEST_CASE("cleaning only the L1 leaves dirty data in the outer cache", "[coherence]") {
    Outcome outcome = run_coherence_case("outer-clean-order", false);
    CHECK(outcome.stat("hazards.stale_device_read") == 4);
    CHECK(outcome.hazards.front().where == "l2");
}

TEST_CASE("cleaning inner then outer reaches memory", "[coherence]") {
    Outcome outcome = run_coherence_case("outer-clean-order", true);
    CHECK(all_hazards(outcome) == 0);
    CHECK(outcome.stat("workload.data_errors") == 0);
}

TEST_CASE("invalidating inner before outer lets a refill take the stale outer copy", "[coherence]") {
    Outcome outcome = run_coherence_case("outer-invalidate-order", false);
    CHECK(outcome.stat("hazards.stale_cpu_read") > 0);
    CHECK(outcome.stat("workload.data_errors") > 0);
}

TEST_CASE("invalidating outer then inner is safe against refills", "[coherence]") {
    Outcome outcome = run_coherence_case("outer-invalidate-order", true);
    CHECK(all_hazards(outcome) == 0);
    CHECK(outcome.stat("cpu0.l1d.prefetch_fills") > 0);  // the refill did happen, from memory
}

TEST_CASE("two buffers sharing a line but not bytes produce no report", "[coherence]") {
    Outcome outcome = run_coherence_case("shared-line", false);
    CHECK(all_hazards(outcome) == 0);
    CHECK(outcome.stat("dma0.write_bytes") == 32);
    CHECK(outcome.stat("cpu0.l1d.read_hits") > 0);  // the CPU's half really stayed cached
}

TEST_CASE("a snooping master produces no hazards for the broken program", "[coherence]") {
    Outcome outcome = run_coherence_case("lost-device-write", false, {"/soc/dma-agent@1000000:dma-coherent=true"});
    CHECK(all_hazards(outcome) == 0);
    CHECK(outcome.stat("workload.data_errors") == 0);
    CHECK(outcome.stat("dma0.snooped_lines") == 4);
}

TEST_CASE("write-combining merges stores into line bursts", "[coherence]") {
    Outcome outcome = run_coherence_case("write-combine", false);
    CHECK(outcome.stat("cpu0.wc.merged_stores") == 256 / 8);
    CHECK(outcome.stat("cpu0.wc.bursts") == 256 / 64);
    CHECK(outcome.stat("workload.data_errors") == 0);
}

TEST_CASE("prefetcher: the same seed gives the same candidates, another seed others", "[prefetch]") {
    auto draw = [](uint64_t seed) {
        models::PrefetchConfig config;
        config.mode = models::PrefetchMode::aggressive;
        config.rate_per_10k = 1000;
        config.seed = seed;
        models::Prefetcher prefetcher(config, 64);
        std::vector<uint64_t> candidates;
        for (uint64_t i = 0; i < 10000; ++i) {
            uint64_t candidate = prefetcher.random_candidate(0x80000000 + (i % 512) * 8);
            if (candidate != ~0ULL)
                candidates.push_back(candidate);
        }
        return candidates;
    };
    std::vector<uint64_t> first = draw(42), again = draw(42), other = draw(43);
    CHECK(first.size() > 500);  // about one per 10 accesses at 1000 per 10k
    CHECK(first.size() < 1500);
    CHECK(first == again);
    CHECK(first != other);
    for (uint64_t candidate : first) {
        CHECK(candidate % 64 == 0);
        CHECK(candidate + 4096 >= 0x80000000);
        CHECK(candidate <= 0x80000000 + 4096 + 4096);
    }
}

TEST_CASE("prefetcher: next-line stays within the page", "[prefetch]") {
    models::PrefetchConfig config;
    config.mode = models::PrefetchMode::next_line;
    models::Prefetcher prefetcher(config, 64);
    CHECK(prefetcher.next_line_candidate(0x80000010) == 0x80000040);
    CHECK(prefetcher.next_line_candidate(0x80000fc0) == ~0ULL);
}

TEST_CASE("a write-back that reaches memory leaves no false stale report on the L1 copy", "[coherence]") {
    platform::DeviceTree tree = platform::DeviceTree::load(DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts");
    models::Instrumentation instr;
    platform::Platform platform(tree, platform::PlatformOptions{}, instr);
    sw::Kernel kernel = boot(platform, instr);
    sw::BusMaster master(kernel, platform.kernel_bus_masters().at(0));
    platform.core().set_program([&](models::Core& cpu) {
        probe(master);
        uint64_t pa = kernel.alloc_contiguous(64);
        uint64_t va = sw::Kernel::phys_to_virt(pa);
        cpu.store64(va, 0x1111111111111111ULL);  // dirty in the L1
        uint64_t device_data = 0x2222222222222222ULL;
        CHECK(master.write(pa, &device_data, 8) == 0);
        cpu.dc_clean(va, 64);                            // L1 -> L2: the L1 copy stays, clean
        kernel.outer_clean_range(pa, 64);                // L2 -> memory: the device's bytes are lost
        CHECK(cpu.load64(va) == 0x1111111111111111ULL);  // memory now holds the L1's bytes too
    });
    sc_core::sc_start();
    REQUIRE(platform.core().fault().empty());
    CHECK(platform.monitor()->count(models::HazardKind::lost_device_write) == 1);
    CHECK(platform.monitor()->count(models::HazardKind::stale_cpu_read) == 0);
}
