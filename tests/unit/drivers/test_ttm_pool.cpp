// The TTM page pool (sw/drivers/gpu/ttm_pool.h) and the switches Linux's drivers choose for it
// (sw/drivers/gpu/ttm_device.h), on arm-pci-noncoherent.dts with its 00:01.0 test endpoint given a
// 64-bit engine (00:02.0 keeps its 30 bits): the largest order first, pool hits of a per-device
// pool, pools keyed by device, and no pooling of any caching type without dma_alloc on Arm.
#include "pci_sim.h"

#include "sw/drivers/gpu/ttm_device.h"
#include "sw/kernel/kernel.h"

using pci_sim::PciSim;
using sw::TtmCaching;
using sw::TtmDevice;
using sw::TtmPoolSwitches;
using sw::TtmTt;

namespace {

const std::vector<std::string> wide_ep1 = {"/pcie@40000000/ep@1,0:dmasim,dma-bits=<64>"};

TtmTt tt_of(uint64_t pages, TtmCaching caching = TtmCaching::cached) {
    TtmTt tt;
    tt.num_pages = pages;
    tt.caching = caching;
    return tt;
}

std::vector<unsigned> orders(const TtmTt& tt) {
    std::vector<unsigned> result;
    for (const sw::TtmBlock& block : tt.blocks)
        result.push_back(block.order);
    return result;
}

}  // namespace

TEST_CASE("ttm_pool: Linux's drivers choose dma_alloc for a device short of RAM and DMA32 for 32 bits or fewer",
          "[ttm]") {
    PciSim sim(wide_ep1);
    sim.run([&] {
        sim.boot();
        dma::Device& wide = sim.test_device("0000:00:01.0").dev();
        dma::Device& narrow = sim.test_device("0000:00:02.0").dev();
        CHECK(TtmDevice::dma_bits(wide) == 64);
        CHECK(TtmDevice::dma_bits(narrow) == 30);
        TtmPoolSwitches w = TtmDevice::linux_switches(wide);
        TtmPoolSwitches n = TtmDevice::linux_switches(narrow);
        CHECK_FALSE(w.use_dma_alloc);
        CHECK_FALSE(w.use_dma32);
        CHECK(n.use_dma_alloc);  // RAM above 4 GiB is beyond 30 bits: drm_need_swiotlb
        CHECK(n.use_dma32);
        // 32 bits: RAM ends at 0x8ffffffff, still beyond them
        CHECK(TtmDevice::drm_need_swiotlb(narrow, 32));
        CHECK_FALSE(TtmDevice::drm_need_swiotlb(narrow, 36));
        // forced
        TtmDevice forced("n", narrow, sim.kernel, sim.instrumentation(), TtmPoolSwitches{false, false});
        CHECK_FALSE(forced.pool().use_dma_alloc());
        CHECK_FALSE(forced.pool().use_dma32());
    });
}

TEST_CASE("ttm_pool: pages come in the largest order the remaining count allows, mapped at populate", "[ttm]") {
    PciSim sim(wide_ep1);
    sim.run([&] {
        sim.boot();
        TtmDevice wide("wide", sim.test_device("0000:00:01.0").dev(), sim.kernel, sim.instrumentation());
        TtmTt tt = tt_of(64);
        REQUIRE(wide.pool().alloc(tt));
        CHECK(orders(tt) == std::vector<unsigned>{6});
        CHECK(tt.mapped_for == &wide.dev());
        CHECK(tt.blocks[0].dma_addr == tt.blocks[0].pa);  // the high window maps RAM at its own address
        CHECK(sim.kernel.page_allocator().zone_of(tt.blocks[0].pa) == sw::Zone::normal);
        CHECK(sim.stat("ttm.maps") == 1);
        CHECK(sim.stat("ttm.bytes_cleaned") == 64 * 4096);  // dma_map_page BIDIRECTIONAL, non-coherent
        CHECK(sim.stat("ttm.wide.pages.cached.order6.normal") == 64);
        wide.pool().free(tt);
        CHECK(sim.stat("ttm.bytes_invalidated") == 64 * 4096);

        TtmTt odd = tt_of(13);
        REQUIRE(wide.pool().alloc(odd));
        CHECK(orders(odd) == std::vector<unsigned>{3, 2, 0});
        wide.pool().free(odd);

        TtmTt dma32 = tt_of(4);
        TtmDevice limited("limited", sim.test_device("0000:00:01.0").dev(), sim.kernel, sim.instrumentation(),
                          TtmPoolSwitches{false, true});
        REQUIRE(limited.pool().alloc(dma32));
        CHECK(dma32.blocks[0].pa + dma32.blocks[0].size() <= sw::PageAllocator::dma32_limit);
        CHECK(sim.stat("ttm.limited.pages.cached.order2.dma32") == 4);
        limited.pool().free(dma32);
    });
}

TEST_CASE("ttm_pool: a per-device pool keeps freed blocks and hands them out again, to its device only", "[ttm]") {
    PciSim sim(wide_ep1);
    sim.run([&] {
        sim.boot();
        TtmDevice a("a", sim.test_device("0000:00:02.0").dev(), sim.kernel, sim.instrumentation(),
                    TtmPoolSwitches{true, true});
        TtmDevice b("b", sim.test_device("0000:00:01.0").dev(), sim.kernel, sim.instrumentation(),
                    TtmPoolSwitches{true, false});
        TtmTt tt = tt_of(64, TtmCaching::write_combined);
        REQUIRE(a.pool().alloc(tt));
        uint64_t pa = tt.blocks[0].pa;
        CHECK(tt.blocks[0].vaddr != 0);
        CHECK_FALSE(tt.blocks[0].pool_hit);
        CHECK(sim.stat("ttm.maps") == 0);  // dma_alloc_attrs' own address
        // from the 30-bit device's reach: ZONE_DMA
        CHECK(sim.kernel.page_allocator().zone_of(pa) == sw::Zone::dma);
        a.pool().free(tt);
        CHECK(a.pool().pool_blocks(TtmCaching::write_combined, 6) == 1);
        CHECK(sim.stat("ttm.a.pool.pages") == 64);

        TtmTt other = tt_of(64, TtmCaching::write_combined);
        REQUIRE(b.pool().alloc(other));  // another device's pool: no hit
        CHECK_FALSE(other.blocks[0].pool_hit);
        CHECK(b.pool().hits() == 0);
        CHECK(other.blocks[0].pa != pa);

        TtmTt cached = tt_of(64, TtmCaching::cached);
        REQUIRE(a.pool().alloc(cached));  // another caching type: no hit
        CHECK(a.pool().hits() == 0);

        TtmTt again = tt_of(64, TtmCaching::write_combined);
        REQUIRE(a.pool().alloc(again));
        CHECK(again.blocks[0].pool_hit);
        CHECK(again.blocks[0].pa == pa);
        CHECK(a.pool().hits() == 1);
        CHECK(sim.stat("ttm.a.pool.hits") == 1);
        CHECK(sim.stat("ttm.a.pool.pages") == 0);
        CHECK(sim.stat("ttm.a.pages.wc.order6.dma") == 64);  // counted once, when allocated
        a.pool().free(again);
        a.pool().free(cached);
        b.pool().free(other);
    });
}

TEST_CASE("ttm_pool: without dma_alloc no caching type is pooled on this architecture", "[ttm]") {
    PciSim sim(wide_ep1);
    sim.run([&] {
        sim.boot();
        TtmDevice plain("plain", sim.test_device("0000:00:01.0").dev(), sim.kernel, sim.instrumentation(),
                        TtmPoolSwitches{false, true});
        for (TtmCaching caching : {TtmCaching::cached, TtmCaching::write_combined, TtmCaching::uncached}) {
            INFO(sw::to_string(caching));
            CHECK_FALSE(plain.pool().pooled(caching));
            TtmTt tt = tt_of(16, caching);
            REQUIRE(plain.pool().alloc(tt));
            uint64_t free_before = sim.kernel.page_allocator().nr_free_pages();
            plain.pool().free(tt);
            CHECK(sim.kernel.page_allocator().nr_free_pages() == free_before + 16);  // back to the allocator
            CHECK(plain.pool().pool_blocks(caching, 4) == 0);
        }
        CHECK(plain.pool().hits() == 0);
    });
}
