// Contiguous memory (CMA) under the DMA layer, as Linux's dma_alloc_contiguous uses it: the default
// area (`linux,cma-default`) for allocations of more than a page, a device's own area (memory-region
// naming a reusable shared-dma-pool) for any size, the coherent mask checked with a fallback to
// the buddy allocator, and the pages given back to the area on free. Also the attributes that only
// concern how an allocation is assembled (FORCE_CONTIGUOUS, ALLOC_SINGLE_PAGES), and the device
// tree's memory-region errors.
#include "cli_runner.h"
#include "dma_sim.h"
#include "platforms/builder/dma_system.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

using namespace dma_sim;
using dma::DmaDirection;

namespace {

constexpr uint64_t page = 4096;
const std::string cma_stat = "mm.cma.linux,cma.pages_used";

sw::CmaArea& default_cma(Sim& sim) {
    sw::CmaArea* area = sim.kernel.page_allocator().default_cma();
    REQUIRE(area);
    return *area;
}

bool inside(const sw::CmaArea& area, uint64_t pa, uint64_t size) {
    return area.contains(pa) && area.contains(pa + size - 1);
}

// arm-noncoherent.dts plus `extra` (nodes and node references).
std::string platform_with(const std::string& extra) {
    return "/include/ \"" DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts\"\n" + extra;
}

}  // namespace

TEST_CASE("cma: a multi-page coherent allocation comes from the default CMA area and goes back", "[dma][cma]") {
    Sim sim;
    sw::CmaArea& area = default_cma(sim);
    dma::dma_addr_t handle = 0;
    uint64_t used_while_allocated = 0, errors = 0, buddy_before = 0, buddy_during = 0;
    std::string fault = sim.run([&] {
        buddy_before = sim.kernel.page_allocator().nr_allocated_pages();
        uint64_t cpu_addr = dma::alloc_coherent(sim.dev, 3 * page, handle);
        REQUIRE(cpu_addr);
        used_while_allocated = sim.stat(cma_stat);
        buddy_during = sim.kernel.page_allocator().nr_allocated_pages();
        sim.device_write(handle, 3 * page, device_pattern);
        errors = sim.cpu_errors(cpu_addr, 3 * page, device_pattern);  // the uncached remap sees memory
        dma::free_coherent(sim.dev, 3 * page, cpu_addr, handle);
    });
    REQUIRE(fault.empty());
    CHECK(inside(area, sim.dev.dma_to_phys(handle), 3 * page));
    CHECK(used_while_allocated == 3);
    CHECK(buddy_during == buddy_before);  // no buddy page was taken
    CHECK(area.used_pages() == 0);
    CHECK(sim.stat(cma_stat) == 0);
    CHECK(errors == 0);
    CHECK(sim.hazards() == 0);
}

TEST_CASE("cma: a single page, an atomic caller and an area out of reach use the buddy allocator", "[dma][cma]") {
    Sim sim;
    sw::CmaArea& area = default_cma(sim);
    dma::dma_addr_t single = 0, atomic = 0, narrow = 0;
    uint64_t used_single = 0, used_atomic = 0, used_narrow = 0;
    std::string fault = sim.run([&] {
        uint64_t a = dma::alloc_coherent(sim.dev, page, single);  // one page is contiguous anyway
        used_single = area.used_pages();
        dma::free_coherent(sim.dev, page, a, single);

        sim.dev.set_coherent(true);  // an atomic caller on a coherent device needs no pool, but may not block
        uint64_t b = dma::alloc_coherent(sim.dev, 2 * page, atomic, dma::Gfp::atomic);
        used_atomic = area.used_pages();
        dma::free_coherent(sim.dev, 2 * page, b, atomic);
        sim.dev.set_coherent(false);

        sim.dev.set_bus_dma_limit(area.base() - 1);  // the interconnect stops below the area
        uint64_t c = dma::alloc_coherent(sim.dev, 2 * page, narrow);
        used_narrow = area.used_pages();
        REQUIRE(c);
        dma::free_coherent(sim.dev, 2 * page, c, narrow);
    });
    REQUIRE(fault.empty());
    CHECK(used_single == 0);
    CHECK_FALSE(area.contains(sim.dev.dma_to_phys(single)));
    CHECK(used_atomic == 0);
    CHECK_FALSE(area.contains(sim.dev.dma_to_phys(atomic)));
    CHECK(used_narrow == 0);  // tried, found out of reach, released
    CHECK(narrow + 2 * page - 1 < area.base());
    CHECK(area.used_pages() == 0);
    CHECK(sim.stat("dma.alloc_failures") == 0);
}

TEST_CASE("cma: a device's own area serves every size, alloc_pages included", "[dma][cma]") {
    Sim sim;
    sw::CmaArea& area = default_cma(sim);
    sim.dev.set_cma_area(&area);  // as a memory-region naming the reusable region would
    dma::dma_addr_t single = 0, pages = 0;
    uint64_t used_single = 0, used_both = 0, pa = 0;
    std::string fault = sim.run([&] {
        uint64_t cpu_addr = dma::alloc_coherent(sim.dev, 64, single);
        used_single = area.used_pages();
        pa = dma::alloc_pages(sim.dev, 4 * page, pages, DmaDirection::from_device);
        used_both = area.used_pages();
        dma::free_pages(sim.dev, 4 * page, pa, pages, DmaDirection::from_device);
        dma::free_coherent(sim.dev, 64, cpu_addr, single);
    });
    REQUIRE(fault.empty());
    CHECK(used_single == 1);
    CHECK(inside(area, sim.dev.dma_to_phys(single), page));
    CHECK(used_both == 5);
    CHECK(inside(area, pa, 4 * page));
    CHECK(pa % (4 * page) == 0);  // aligned to its order, as cma_alloc_aligned asks
    CHECK(area.used_pages() == 0);
}

TEST_CASE("cma: a full area falls back to the buddy allocator", "[dma][cma]") {
    Sim sim;
    sw::CmaArea& area = default_cma(sim);
    dma::dma_addr_t handle = 0;
    uint64_t used = 0;
    std::string fault = sim.run([&] {
        std::optional<uint64_t> all = sim.kernel.page_allocator().cma_alloc(area, area.pages());
        REQUIRE(all);
        uint64_t cpu_addr = dma::alloc_coherent(sim.dev, 2 * page, handle);
        REQUIRE(cpu_addr);
        used = area.used_pages();
        dma::free_coherent(sim.dev, 2 * page, cpu_addr, handle);
        sim.kernel.page_allocator().cma_release(area, *all, area.pages());
    });
    REQUIRE(fault.empty());
    CHECK(used == area.pages());
    CHECK_FALSE(area.contains(sim.dev.dma_to_phys(handle)));
    CHECK(sim.stat("dma.alloc_failures") == 0);
    CHECK(area.used_pages() == 0);
}

// Direct allocations are physically contiguous whatever the attributes: FORCE_CONTIGUOUS (which
// stops IOMMU ops assembling a buffer from scattered pages) and ALLOC_SINGLE_PAGES (an IOMMU ops'
// hint against building the mapping from large pages) change nothing here, as in Linux's dma-direct.
TEST_CASE("cma: FORCE_CONTIGUOUS and ALLOC_SINGLE_PAGES allocate as without them", "[dma][cma]") {
    Sim sim;
    sw::CmaArea& area = default_cma(sim);
    std::vector<dma::Attrs> cases = {0, dma::attr::force_contiguous, dma::attr::alloc_single_pages};
    std::vector<dma::dma_addr_t> handles(cases.size()), single(cases.size());
    std::vector<uint64_t> used(cases.size());
    std::vector<models::MemType> types(cases.size());
    std::string fault = sim.run([&] {
        for (size_t i = 0; i < cases.size(); ++i) {
            uint64_t cpu_addr = dma::alloc_attrs(sim.dev, 8 * page, handles[i], cases[i]);
            REQUIRE(cpu_addr);
            used[i] = area.used_pages();
            types[i] = sim.type_of(cpu_addr);
            uint64_t one = dma::alloc_attrs(sim.dev, page, single[i], cases[i]);
            dma::free_attrs(sim.dev, page, one, single[i], cases[i]);
            dma::free_attrs(sim.dev, 8 * page, cpu_addr, handles[i], cases[i]);
        }
    });
    REQUIRE(fault.empty());
    for (size_t i = 0; i < cases.size(); ++i) {
        INFO("attrs " << cases[i]);
        CHECK(inside(area, sim.dev.dma_to_phys(handles[i]), 8 * page));
        CHECK(handles[i] == handles[0]);  // freed in between: the same run again
        CHECK(used[i] == 8);
        CHECK(types[i] == models::MemType::write_combined);          // pgprot_dmacoherent: Normal NC, as write-combined
        CHECK_FALSE(area.contains(sim.dev.dma_to_phys(single[i])));  // one page: never CMA
    }
    CHECK(sim.stat("dma.alloc_failures") == 0);
}

TEST_CASE("cma: a memory-region naming a reusable shared-dma-pool gives the device its own area", "[dma][cma]") {
    TempDir dir;
    std::string dts = dir.write("cma.dts", platform_with(R"(
/ {
	reserved-memory {
		agent_cma: agent-cma@b0000000 {
			compatible = "shared-dma-pool";
			reusable;
			reg = <0x0 0xb0000000 0x0 0x400000>;
		};
	};
};

&{/soc/dma-agent@1000000} {
	memory-region = <&agent_cma>;
};
)"));
    Result described = dmasim(dir, "describe " + quote(dts));
    REQUIRE(described.code == 0);
    CHECK_THAT(described.out, Catch::Contains("coherent pool: none (system memory)\n    CMA area: agent-cma@b0000000 "
                                              "(4 MiB, the device's own, tried first by every allocation)"));

    models::Instrumentation instr;
    platform::DeviceTree tree = platform::DeviceTree::load(dts);
    platform::Platform platform(tree, platform::PlatformOptions{}, instr);
    sw::Kernel kernel(platform.core(), instr, platform.kernel_ram(), platform.kernel_reserved(),
                      platform.outer_cache_registers(), platform.zone_dma_limit(),
                      platform.interrupt_controller_info());
    platform::DmaSystem system(platform, kernel, instr);
    dma::Device& dev = *system.devices().at(0);
    REQUIRE(dev.cma_area());
    CHECK(dev.cma_area()->name() == "agent-cma@b0000000");
    CHECK_FALSE(dev.dma_mem());  // a CMA area, not a coherent pool
    dma::dma_addr_t handle = 0;
    uint64_t used = 0;
    platform.core().set_program([&](models::Core&) {
        uint64_t cpu_addr = dma::alloc_coherent(dev, 256, handle);
        used = instr.counter_value("mm.cma.agent-cma@b0000000.pages_used");
        dma::free_coherent(dev, 256, cpu_addr, handle);
    });
    sc_core::sc_start();
    REQUIRE(platform.core().fault().empty());
    CHECK(handle == 0xb0000000);
    CHECK(used == 1);
    CHECK(instr.counter_value("mm.cma.agent-cma@b0000000.pages_used") == 0);
    CHECK(instr.counter_value("mm.cma.linux,cma.pages_used") == 0);  // the default area is not tried
}

TEST_CASE("cma: a memory-region phandle no node has is a configuration error naming the node", "[dma][cma][cli]") {
    TempDir dir;
    std::string dts = dir.write("bad.dts", platform_with(R"(
&{/soc/dma-agent@1000000} {
	memory-region = <0x999>;
};
)"));
    for (const char* command : {"describe ", "run --workload dma-selftest --quiet --platform "}) {
        Result r = dmasim(dir, command + quote(dts));
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("node /soc/dma-agent@1000000: property 'memory-region'") &&
                              Catch::Contains("0x999 which no node has"));
    }
    std::string not_a_pool = dir.write("sram.dts", platform_with(R"(
&{/soc/dma-agent@1000000} {
	memory-region = <&{/soc/sram@0}>;
};
)"));
    Result r = dmasim(dir, "describe " + quote(not_a_pool));
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("node /soc/dma-agent@1000000: property 'memory-region'") &&
                          Catch::Contains("reusable (a CMA area), got /soc/sram@0"));
}
