// The DMA configuration a platform gives the kernel, checked where run and describe both see it:
// no-map reserved regions out of the linear map, per-device coherent pools the device must reach,
// a swiotlb pool that must fit its zone, and the errors that name the property at fault.
#include "cli_runner.h"
#include "dma/coherent_memory.h"
#include "dma_sim.h"
#include "models/common/access_fault.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <regex>

using dma_sim::no_map_base;
using dma_sim::no_map_region;
using dma_sim::no_map_size;
using dma_sim::Sim;

namespace {

const std::string noncoherent = DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts";
const std::string device_pool = DMASIM_SOURCE_DIR "/tests/scenarios/dma/arm-noncoherent-device-pool.dts";

// `dmasim describe` and `dmasim run` (a workload that needs nothing special) of `platform` with
// the overrides `config` (each already a -c argument).
Result describe(const TempDir& dir, const std::string& platform, const std::string& config) {
    return dmasim(dir, "describe " + quote(platform) + " " + config);
}
Result run(const TempDir& dir, const std::string& platform, const std::string& config) {
    return dmasim(dir, "run -q -o out --platform " + quote(platform) + " --workload seed-missing-sync " + config);
}

}  // namespace

TEST_CASE("no-map: a no-map region is out of the linear map, so mapping it is an invalid area and touching it "
          "faults",
          "[dma-config]") {
    Sim sim(no_map_region());
    const uint64_t va = sw::Kernel::phys_to_virt(no_map_base + 0x1000);
    CHECK_FALSE(sim.kernel.virt_addr_valid(va));
    CHECK_FALSE(sim.cpu.mmu().in_linear_map(no_map_base + no_map_size - 1));
    // The RAM either side stays mapped.
    CHECK(sim.kernel.virt_addr_valid(sw::Kernel::phys_to_virt(no_map_base - 1)));
    CHECK(sim.kernel.virt_addr_valid(sw::Kernel::phys_to_virt(no_map_base + no_map_size)));

    dma::dma_addr_t handle = 0;
    uint8_t after_fault = 0;
    std::string fault = sim.run([&] {
        handle = dma::map_single(sim.dev, va, 64, dma::DmaDirection::to_device);
        after_fault = sim.cpu.load8(va);  // Linux: no page-table entry; a data abort
    });
    CHECK(handle == dma::DMA_MAPPING_ERROR);
    CHECK(sim.context.debug().count(dma::DebugCheck::map_from_invalid_area) == 1);
    CHECK_THAT(fault,
               Catch::Contains("data abort") && Catch::Contains(fmt::format("translation fault at VA {:#x}", va)));
    CHECK(after_fault == 0);  // the load never completed
}

TEST_CASE("no-map: a dynamic no-map region leaves the linear map when the kernel places it", "[dma-config]") {
    Sim sim(dma_sim::dynamic_no_map_region);
    const sw::ReservedArea& area = sim.kernel.reserved().at(0);
    REQUIRE(area.dynamic);
    CHECK_FALSE(sim.kernel.virt_addr_valid(sw::Kernel::phys_to_virt(*area.base)));
    CHECK_FALSE(sim.kernel.virt_addr_valid(sw::Kernel::phys_to_virt(*area.base + area.size - 1)));
    CHECK(sim.kernel.virt_addr_valid(sw::Kernel::phys_to_virt(*area.base - 1)));  // the RAM below
}

TEST_CASE("a per-device pool whose pages the device's dma-ranges do not carry fails its allocation cleanly",
          "[dma-config]") {
    Sim sim(no_map_region());
    // The device reaches only the pool's first page (bus 0 -> CPU no_map_base).
    sim.dev.add_dma_range(dma::DmaRange{no_map_base, 0x0, 0x1000});
    dma::Device outside("outside-agent", sim.context);
    outside.add_dma_range(dma::DmaRange{0x80000000, 0x0, 0x10000000});
    auto pool = dma::CoherentMemory::create(sim.context, "rmem", no_map_base, no_map_base, 16 * 4096, true);
    REQUIRE(pool);
    REQUIRE(dma::assign_coherent_memory(sim.dev, pool) == 0);
    REQUIRE(dma::assign_coherent_memory(outside, pool) == 0);
    dma::dma_addr_t first = 0, straddling = 1, none = 1;
    uint64_t first_va = 0, straddling_va = 1, none_va = 1;
    std::string fault = sim.run([&] {
        first_va = dma::alloc_coherent(sim.dev, 4096, first);
        straddling_va = dma::alloc_coherent(sim.dev, 8192, straddling);  // pages 2-3: past the window
        none_va = dma::alloc_coherent(outside, 4096, none);              // its windows miss the pool
    });
    REQUIRE(fault.empty());
    CHECK(first_va != 0);
    CHECK(first == 0x0);
    CHECK(straddling_va == 0);
    CHECK(straddling == dma::DMA_MAPPING_ERROR);
    CHECK(none_va == 0);
    CHECK(none == dma::DMA_MAPPING_ERROR);
    CHECK(pool->free_pages() == 15);  // the failed runs were given back
    CHECK(sim.stat("dma.coherent_pool.rmem.failures") == 2);
    REQUIRE(sim.context.warnings().size() == 2);
    CHECK_THAT(sim.context.warnings()[0], Catch::Contains("dma-agent@1000000") &&
                                              Catch::Contains("no bus address through the device's dma-ranges"));
    CHECK_THAT(sim.context.warnings()[1], Catch::Contains("outside-agent"));
}

TEST_CASE("a memory-region pool the device cannot reach, outside RAM or not page-aligned is a config error in "
          "describe and run",
          "[dma-config][cli]") {
    TempDir dir;
    // The issue's reproducer: the agent's window ends at 0x90000000, its pool is at 0x9ff00000.
    const std::string narrow = "-c '/soc:dma-ranges=<0x0 0x0 0x80000000 0x10000000>'";
    for (const Result& r : {describe(dir, device_pool, narrow), run(dir, device_pool, narrow)}) {
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("node /soc/dma-agent@1000000: property 'memory-region'") &&
                              Catch::Contains("dma-ranges of /soc") && Catch::Contains("[0x9ff00000, 0xa0000000)"));
    }
    Result unaligned = describe(dir, device_pool,
                                "-c '/reserved-memory/dma-pool@9ff00000:reg=<0x0 0x9ff00000 0x0 0x1001>'");
    CHECK(unaligned.code == 2);
    CHECK_THAT(unaligned.err, Catch::Contains("property 'memory-region'") && Catch::Contains("whole pages"));
    Result outside = describe(dir, device_pool,
                              "-c '/reserved-memory/dma-pool@9ff00000:reg=<0x0 0x40000000 0x0 0x100000>'");
    CHECK(outside.code == 2);
    CHECK_THAT(outside.err, Catch::Contains("property 'memory-region'") && Catch::Contains("inside a memory node"));
    // A dynamic pool: its size is checked by describe too, where the kernel put it by run.
    const std::string dynamic = "-c '/reserved-memory/dma-pool@9ff00000:reg=false' ";
    Result odd = describe(dir, device_pool, dynamic + "-c '/reserved-memory/dma-pool@9ff00000:size=<0x0 0x100001>'");
    CHECK(odd.code == 2);
    CHECK_THAT(odd.err, Catch::Contains("property 'memory-region'") && Catch::Contains("whole pages") &&
                            Catch::Contains("(dynamic)"));
    Result placed = run(dir, device_pool,
                        dynamic +
                            "-c '/reserved-memory/dma-pool@9ff00000:size=<0x0 0x100000>' -c "
                            "'/soc:dma-ranges=<0x0 0x0 0x80000000 0x1000000>' -c '/chosen:bootargs=\"swiotlb=1024\"'");
    CHECK(placed.code == 2);
    CHECK_THAT(placed.err, Catch::Contains("property 'memory-region'") && Catch::Contains("dma-ranges of /soc"));
    // The window that does hold the pool is fine.
    Result wide = describe(dir, device_pool, "-c '/soc:dma-ranges=<0x0 0x0 0x80000000 0x40000000>'");
    CHECK(wide.code == 0);
}

TEST_CASE("describe warns when a bus without dma-ranges keeps a device from the dma-ranges above it",
          "[dma-config][cli]") {
    TempDir dir;
    std::string source = "/include/ \"" + noncoherent + R"("
/ {
	outer {
		compatible = "simple-bus";
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
		dma-ranges = <0x0 0x0 0x0 0x80000000 0x0 0x40000000>;
		middle {
			compatible = "simple-bus";
			#address-cells = <2>;
			#size-cells = <2>;
			ranges;
			inner {
				compatible = "simple-bus";
				#address-cells = <2>;
				#size-cells = <2>;
				ranges;
				agent@20000000 {
					compatible = "dmasim,bus-master";
					reg = <0x0 0x20000000 0x0 0x1000>;
				};
			};
		};
	};
};
)";
    Result r = describe(dir, dir.write("nested.dts", source), "");
    REQUIRE(r.code == 0);
    CHECK_THAT(r.err, Catch::Contains("warning: nested.dts: node /outer/middle/inner/agent@20000000: the dma-ranges "
                                      "of /outer do not apply: /outer/middle between them has no dma-ranges"));
    CHECK_THAT(r.out, Catch::Contains("agent@20000000 (/outer/middle/inner/agent@20000000, DMA by dma1): direct ops, "
                                      "non-coherent, dma mask 0xffffffff, coherent mask 0xffffffff, bus limit none"));
}

TEST_CASE("overlapping dma-ranges are a config error in describe and run", "[dma-config][cli]") {
    TempDir dir;
    const std::string overlapping = "-c '/soc:dma-ranges=<0x0 0x0 0x80000000 0x10000000 0x20000000 0x0 0x88000000 "
                                    "0x10000000>'";
    for (const Result& r : {describe(dir, noncoherent, overlapping), run(dir, noncoherent, overlapping)}) {
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("node /soc: property 'dma-ranges'") && Catch::Contains("overlap"));
        CHECK_FALSE(contains(r.err, "internal error"));
    }
}

TEST_CASE("a swiotlb pool the lowest zone cannot hold is a config error naming bootargs and, for ZONE_DMA, the "
          "dma-ranges that set it",
          "[dma-config][cli]") {
    TempDir dir;
    Result huge = run(dir, noncoherent, "-c '/chosen:bootargs=\"swiotlb=100000000\"'");
    CHECK(huge.code == 2);
    CHECK_THAT(huge.err, Catch::Contains("node /chosen: property 'bootargs'") && Catch::Contains("swiotlb=") &&
                             Catch::Contains("100000000 slots") &&
                             Catch::Contains("ZONE_DMA, the RAM below 0xc0000000 (set by the end of RAM)"));
    // A 16 MiB inbound window makes ZONE_DMA 16 MiB: the default 64 MiB pool cannot fit.
    Result narrow = run(dir, "arm-pci-noncoherent.dts",
                        "-c '/pcie@40000000:dma-ranges=<0x02000000 0 0 0 0x80000000 0 0x1000000>'");
    CHECK(narrow.code == 2);
    CHECK_THAT(narrow.err, Catch::Contains("node /chosen: property 'bootargs'") && Catch::Contains("ZONE_DMA") &&
                               Catch::Contains("below 0x81000000") && Catch::Contains("dma-ranges of /pcie@40000000"));
    // A pool that fits runs.
    Result small = run(dir, "arm-pci-noncoherent.dts",
                       "-c '/pcie@40000000:dma-ranges=<0x02000000 0 0 0 0x80000000 0 0x1000000>' "
                       "-c '/chosen:bootargs=\"swiotlb=1024\"'");
    INFO(small.err);
    CHECK(small.code == 0);
}

TEST_CASE("swiotlb: a pool the lowest zone cannot hold throws SwiotlbPoolError with its slots and zone",
          "[dma-config][swiotlb]") {
    dma::Policy policy;
    policy.swiotlb_slots = 1000000;  // rounded up to whole segments of 128 slots: 1000064, about 2 GiB
    try {
        Sim sim({}, policy);
        FAIL("expected a SwiotlbPoolError");
    } catch (const dma::SwiotlbPoolError& error) {
        CHECK(error.nslabs == 1000064);
        CHECK(error.zone == sw::Zone::dma32);
        CHECK_THAT(error.reason, Catch::Contains("out of memory"));
        CHECK_THAT(std::string(error.what()), Catch::Contains("1000064 slots"));
    }
}

TEST_CASE("a PCI outbound window over RAM is blamed on the bridge's ranges", "[dma-config][cli]") {
    TempDir dir;
    Result r = describe(dir, "arm-pci-noncoherent.dts",
                        "-c '/pcie@40000000:ranges=<0x02000000 0x0 0x80000000 0x0 0x80000000 0x0 0x10000000>'");
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("node /pcie@40000000: property 'ranges'") && Catch::Contains("overlaps"));
}

TEST_CASE("describe shows a PCI function's ops, masks and coherent pool as for a device-tree device",
          "[dma-config][cli]") {
    TempDir dir;
    Result plain = describe(dir, "arm-pci-noncoherent.dts", "");
    REQUIRE(plain.code == 0);
    // Both masks are the bridge's (cut to its inbound windows) until the driver sets them.
    const std::regex endpoint(R"(\(reaches [^)]*\); direct ops, non-coherent, dma mask (0x[0-9a-f]+), coherent mask )"
                              R"(\1 until the driver sets them\n      coherent pool: none \(system memory\))");
    CHECK(std::regex_search(plain.out, endpoint));
    Result local = describe(dir, "arm-pci-localmem.dts", "");
    REQUIRE(local.code == 0);
    CHECK(contains(local.out, "coherent pool: pci0-local-memory (1 MiB, per-device, no fallback)"));
}
