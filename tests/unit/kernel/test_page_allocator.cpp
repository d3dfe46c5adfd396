// The page allocator as plain C++: zones, buddy split and merge, reserved memory and CMA.
#include "sw/kernel/page_allocator.h"

#include <catch2/catch.hpp>
#include <set>

namespace {

using sw::PageAllocator;
using sw::PhysRange;
using sw::ReservedArea;
using sw::Zone;

constexpr uint64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;
constexpr uint64_t page = PageAllocator::page_size;
constexpr uint64_t four_gib = 4 * GiB;

ReservedArea static_area(const std::string& name, uint64_t base, uint64_t size) {
    ReservedArea area;
    area.name = name;
    area.node = "/reserved-memory/" + name;
    area.base = base;
    area.size = size;
    return area;
}

ReservedArea dynamic_area(const std::string& name, uint64_t size, uint64_t alignment) {
    ReservedArea area;
    area.name = name;
    area.node = "/reserved-memory/" + name;
    area.size = size;
    area.alignment = alignment;
    return area;
}

// Every page-order allocation the allocator grants until it refuses.
std::vector<uint64_t> drain(PageAllocator& pages, Zone highest, unsigned order = 0) {
    std::vector<uint64_t> got;
    while (auto pa = pages.alloc_pages(order, highest))
        got.push_back(*pa);
    return got;
}

}  // namespace

TEST_CASE("page allocator: a fresh allocator hands out the lowest page first", "[mm]") {
    models::Instrumentation instr;
    PageAllocator pages({{0x80000000, 64 * MiB}}, {}, instr);
    CHECK(pages.managed_pages(Zone::dma32) == 64 * MiB / page);
    CHECK(pages.managed_pages(Zone::normal) == 0);
    CHECK(pages.alloc_pages(0) == std::optional<uint64_t>(0x80000000));
    CHECK(pages.alloc_pages(0) == std::optional<uint64_t>(0x80001000));
    CHECK(pages.alloc_pages(1) == std::optional<uint64_t>(0x80002000));
}

TEST_CASE("page allocator: a block of order n is aligned to its size", "[mm]") {
    models::Instrumentation instr;
    // RAM that starts on an odd page, so the first blocks are small ones.
    PageAllocator pages({{0x80003000, 64 * MiB}}, {}, instr);
    for (unsigned round = 0; round < 3; ++round) {
        for (unsigned order = 0; order <= PageAllocator::max_order; ++order) {
            std::optional<uint64_t> pa = pages.alloc_pages(order);
            REQUIRE(pa);
            CHECK(*pa % (page << order) == 0);
            CHECK(*pa >= 0x80003000);
            CHECK(*pa + (page << order) <= 0x80003000 + 64 * MiB);
        }
    }
}

TEST_CASE("page allocator: DMA32 requests never get memory at or above 4 GiB", "[mm]") {
    models::Instrumentation instr;
    // 8 MiB below 4 GiB and 8 MiB above, in one range across the boundary.
    PageAllocator pages({{four_gib - 8 * MiB, 16 * MiB}}, {}, instr);
    CHECK(pages.managed_pages(Zone::dma32) == 8 * MiB / page);
    CHECK(pages.managed_pages(Zone::normal) == 8 * MiB / page);
    std::vector<uint64_t> got = drain(pages, Zone::dma32);
    CHECK(got.size() == 8 * MiB / page);
    for (uint64_t pa : got)
        REQUIRE(pa < four_gib);
    CHECK(pages.nr_free_pages(Zone::normal) == 8 * MiB / page);  // untouched
    CHECK_FALSE(pages.alloc_pages(0, Zone::dma32));
    // The normal zone still serves normal requests.
    std::optional<uint64_t> normal = pages.alloc_pages(0, Zone::normal);
    REQUIRE(normal);
    CHECK(*normal == four_gib);
}

TEST_CASE("page allocator: normal requests prefer normal and fall back to DMA32", "[mm]") {
    models::Instrumentation instr;
    PageAllocator pages({{0x80000000, 4 * MiB}, {0x880000000, 4 * MiB}}, {}, instr);
    std::optional<uint64_t> first = pages.alloc_pages(0);
    REQUIRE(first);
    CHECK(*first == 0x880000000);  // the highest zone allowed comes first
    for (uint64_t i = 1; i < 4 * MiB / page; ++i)
        REQUIRE(*pages.alloc_pages(0) >= four_gib);
    CHECK(pages.nr_free_pages(Zone::normal) == 0);
    std::optional<uint64_t> fallback = pages.alloc_pages(0);
    REQUIRE(fallback);
    CHECK(*fallback == 0x80000000);
    CHECK(drain(pages, Zone::normal).size() == 4 * MiB / page - 1);
    CHECK_FALSE(pages.alloc_pages(0));
}

TEST_CASE("page allocator: splitting and merging restore the max-order blocks", "[mm]") {
    models::Instrumentation instr;
    PageAllocator pages({{0x80000000, 8 * MiB}}, {}, instr);
    const unsigned top = PageAllocator::max_order;
    REQUIRE(pages.nr_free_blocks(Zone::dma32, top) == 2);

    // One page splits one max-order block into one free block of each lower order.
    std::optional<uint64_t> single = pages.alloc_pages(0);
    REQUIRE(single);
    for (unsigned order = 0; order < top; ++order)
        CHECK(pages.nr_free_blocks(Zone::dma32, order) == 1);
    CHECK(pages.nr_free_blocks(Zone::dma32, top) == 1);

    // A mix of orders, freed in another order than allocated.
    std::vector<std::pair<uint64_t, unsigned>> blocks{{*single, 0}};
    unsigned orders[] = {3, 0, 5, 1, 0, 7, 2, 9, 4, 0, 6, 1, 8, 3};
    for (unsigned order : orders) {
        std::optional<uint64_t> pa = pages.alloc_pages(order);
        REQUIRE(pa);
        blocks.push_back({*pa, order});
    }
    CHECK(pages.nr_free_blocks(Zone::dma32, top) < 2);
    for (size_t i = 0; i < blocks.size(); i += 2)
        pages.free_pages(blocks[i].first, blocks[i].second);
    for (size_t i = 1; i < blocks.size(); i += 2)
        pages.free_pages(blocks[i].first, blocks[i].second);

    CHECK(pages.nr_free_blocks(Zone::dma32, top) == 2);
    for (unsigned order = 0; order < top; ++order)
        CHECK(pages.nr_free_blocks(Zone::dma32, order) == 0);
    CHECK(pages.nr_free_pages() == 8 * MiB / page);
    CHECK(pages.nr_allocated_pages() == 0);
}

TEST_CASE("page allocator: exhaustion and impossible orders give nullopt", "[mm]") {
    models::Instrumentation instr;
    PageAllocator pages({{0x80000000, 4 * MiB}}, {}, instr);
    CHECK_FALSE(pages.alloc_pages(PageAllocator::max_order + 1));
    std::optional<uint64_t> all = pages.alloc_pages(PageAllocator::max_order);
    REQUIRE(all);
    CHECK_FALSE(pages.alloc_pages(0));
    pages.free_pages(*all, PageAllocator::max_order);
    CHECK(pages.alloc_pages(0));
}

TEST_CASE("page allocator: freeing what is not allocated is a logic error naming the address", "[mm]") {
    models::Instrumentation instr;
    PageAllocator pages({{0x80000000, 4 * MiB}}, {}, instr);
    uint64_t pa = *pages.alloc_pages(1);
    REQUIRE(pa == 0x80000000);
    CHECK_THROWS_WITH(pages.free_pages(pa, 0),
                      Catch::Contains("0x80000000") && Catch::Contains("allocated with order 1"));
    CHECK_THROWS_WITH(pages.free_pages(pa + page, 0), Catch::Contains("0x80001000") && Catch::Contains("inside"));
    CHECK(pages.is_allocated(pa + 2 * page - 1));  // the block's last byte
    CHECK_FALSE(pages.is_allocated(pa + 2 * page));
    CHECK_THROWS_WITH(pages.free_contig_range(pa, 2), Catch::Contains("not a page allocated on its own"));
    CHECK_THROWS_WITH(pages.free_pages(0x80200000, 2),
                      Catch::Contains("0x80200000") && Catch::Contains("order 2") && Catch::Contains("not allocated"));
    pages.free_pages(pa, 1);
    CHECK_THROWS_AS(pages.free_pages(pa, 1), std::logic_error);  // double free
    CHECK_THROWS_WITH(pages.free_pages(pa, 1), Catch::Contains("double free"));
    CHECK(pages.nr_free_pages() == 4 * MiB / page);  // the failed frees changed nothing
}

TEST_CASE("page allocator: no-map and other static reserved regions are never handed out", "[mm]") {
    models::Instrumentation instr;
    ReservedArea no_map = static_area("fw", 0x80100000, 1 * MiB);
    no_map.no_map = true;
    ReservedArea kept = static_area("ramoops", 0x80801000, 2 * page);  // in the linear map, still reserved
    PageAllocator pages({{0x80000000, 16 * MiB}}, {no_map, kept}, instr);
    CHECK(pages.managed_pages(Zone::dma32) == (16 * MiB - 1 * MiB) / page - 2);
    std::vector<uint64_t> got = drain(pages, Zone::normal);
    CHECK(got.size() == pages.managed_pages(Zone::dma32));
    for (uint64_t pa : got) {
        REQUIRE_FALSE((pa >= 0x80100000 && pa < 0x80200000));
        REQUIRE_FALSE((pa >= 0x80801000 && pa < 0x80803000));
    }
}

TEST_CASE("page allocator: a CMA area is served by cma_alloc, never by alloc_pages", "[mm]") {
    models::Instrumentation instr;
    ReservedArea cma = static_area("linux,cma", 0x81000000, 4 * MiB);
    cma.reusable = true;
    cma.cma_default = true;
    PageAllocator pages({{0x80000000, 32 * MiB}}, {cma}, instr);
    sw::CmaArea* area = pages.default_cma();
    REQUIRE(area);
    CHECK(area->name() == "linux,cma");
    CHECK(pages.cma_area("linux,cma") == area);
    CHECK(area->base() == 0x81000000);
    CHECK(area->pages() == 4 * MiB / page);

    std::vector<uint64_t> got = drain(pages, Zone::normal);
    CHECK(got.size() == 28 * MiB / page);
    for (uint64_t pa : got)
        REQUIRE_FALSE(area->contains(pa));

    // Lowest fit, with the first page aligned to 2^align_order pages.
    CHECK(pages.cma_alloc(*area, 1, 0) == std::optional<uint64_t>(0x81000000));
    std::optional<uint64_t> aligned = pages.cma_alloc(*area, 3, 4);
    REQUIRE(aligned);
    CHECK(*aligned == 0x81010000);
    CHECK(*aligned % (page << 4) == 0);
    CHECK(pages.cma_alloc(*area, 15, 0) == std::optional<uint64_t>(0x81001000));  // exactly the gap
    CHECK(area->used_pages() == 19);
    CHECK(instr.counter_value("mm.cma.linux,cma.pages_used") == 19);
    CHECK_FALSE(pages.cma_alloc(*area, area->pages(), 0));

    CHECK_THROWS_AS(pages.free_pages(0x81000000, 0), std::logic_error);  // not a buddy page
    CHECK_FALSE(pages.cma_release(*area, 0x80000000, 1));                // not in the area
    CHECK(pages.cma_release(*area, 0x81000000, 1));
    CHECK_THROWS_WITH(pages.cma_release(*area, 0x81000000, 1), Catch::Contains("0x81000000"));
    CHECK(pages.cma_release(*area, *aligned, 3));
    CHECK(pages.cma_release(*area, 0x81001000, 15));
    CHECK(area->used_pages() == 0);
    CHECK(instr.counter_value("mm.cma.linux,cma.pages_used") == 0);
    CHECK(pages.cma_alloc(*area, area->pages(), 0) == std::optional<uint64_t>(0x81000000));
}

TEST_CASE("page allocator: CMA alignment is by physical address, not offset in the area", "[mm]") {
    models::Instrumentation instr;
    ReservedArea cma = static_area("pool", 0x80003000, 1 * MiB);
    cma.reusable = true;
    PageAllocator pages({{0x80000000, 8 * MiB}}, {cma}, instr);
    CHECK(pages.default_cma() == nullptr);  // reusable, but not linux,cma-default
    sw::CmaArea* area = pages.cma_area("pool");
    REQUIRE(area);
    CHECK(pages.cma_alloc(*area, 1, 4) == std::optional<uint64_t>(0x80010000));
    CHECK(pages.cma_alloc(*area, 2, 0) == std::optional<uint64_t>(0x80003000));
}

TEST_CASE("page allocator: dynamic regions go to the top of DMA32, aligned", "[mm]") {
    models::Instrumentation instr;
    ReservedArea first = dynamic_area("first", 0x123000, 1 * MiB);
    ReservedArea cma = dynamic_area("linux,cma", 16 * MiB, 0);
    cma.reusable = true;
    cma.cma_default = true;
    ReservedArea small = dynamic_area("small", 5000, 0);
    PageAllocator pages({{0x80000000, 1 * GiB}, {0x100000000, 1 * GiB}}, {first, cma, small}, instr);

    const ReservedArea* placed = pages.find_reserved("first");
    REQUIRE(placed);
    REQUIRE(placed->base);
    CHECK(placed->dynamic);
    CHECK(*placed->base == 0xbfe00000);  // the highest 1 MiB-aligned fit below 0xc0000000
    const ReservedArea* placed_cma = pages.find_reserved("linux,cma");
    REQUIRE(placed_cma->base);
    CHECK(*placed_cma->base < four_gib);
    CHECK(*placed_cma->base % (4 * MiB) == 0);  // CMA areas at least max-order aligned
    CHECK(*placed_cma->base + 16 * MiB <= 0xbfe00000);
    CHECK(*placed_cma->base == 0xbec00000);
    const ReservedArea* placed_small = pages.find_reserved("small");
    REQUIRE(placed_small->base);
    CHECK(*placed_small->base == 0xbfffe000);  // 5000 bytes take two pages, in the gap above "first"

    REQUIRE(pages.default_cma());
    CHECK(pages.default_cma()->base() == *placed_cma->base);
    CHECK(pages.managed_pages(Zone::dma32) == (1 * GiB - 0x123000 - 16 * MiB - 2 * page) / page);
    CHECK(pages.managed_pages(Zone::normal) == 1 * GiB / page);
    std::vector<uint64_t> got = drain(pages, Zone::dma32);
    CHECK(got.size() == pages.managed_pages(Zone::dma32));
    for (uint64_t pa : got) {
        for (const ReservedArea* area : {placed, placed_cma, placed_small})
            REQUIRE_FALSE((pa >= *area->base && pa < *area->base + area->size));
    }
}

TEST_CASE("page allocator: a dynamic region with no room below 4 GiB goes to the top of RAM", "[mm]") {
    models::Instrumentation instr;
    ReservedArea big = dynamic_area("big", 64 * MiB, 0);
    PageAllocator pages({{0x80000000, 32 * MiB}, {0x100000000, 128 * MiB}}, {big}, instr);
    CHECK(*pages.find_reserved("big")->base == 0x100000000 + 64 * MiB);
}

TEST_CASE("page allocator: __reserved_mem_alloc_size places a dynamic region in the first alloc-ranges entry that "
          "fits, top-down",
          "[mm]") {
    models::Instrumentation instr;
    // The Raspberry Pi 4's CMA: alloc-ranges = <0x0 0x00000000 0x40000000> keeps it in the first GiB
    // although RAM reaches 4 GiB and beyond.
    ReservedArea cma = dynamic_area("linux,cma", 64 * MiB, 0);
    cma.reusable = cma.cma_default = true;
    cma.alloc_ranges = {PhysRange{0, 1 * GiB}};
    PageAllocator rpi({{0, 0x3b400000}, {0x40000000, 0xbc000000}, {0x100000000, 2 * GiB}}, {cma}, instr);
    CHECK(*rpi.find_reserved("linux,cma")->base == 0x3b400000 - 64 * MiB);

    // A first range without room is passed over; the next one is used from its top.
    ReservedArea pool = dynamic_area("pool", 16 * MiB, 0);
    pool.alloc_ranges = {PhysRange{0x80000000, 8 * MiB}, PhysRange{0x90000000, 0x10000000}};
    PageAllocator pages({{0x80000000, 1 * GiB}}, {pool}, instr);
    CHECK(*pages.find_reserved("pool")->base == 0xa0000000 - 16 * MiB);

    ReservedArea nowhere = dynamic_area("nowhere", 16 * MiB, 0);
    nowhere.alloc_ranges = {PhysRange{0x10000000, 0x10000000}};
    CHECK_THROWS_WITH(PageAllocator({{0x80000000, 1 * GiB}}, {nowhere}, instr),
                      Catch::Contains("/reserved-memory/nowhere") && Catch::Contains("inside its alloc-ranges"));
}

TEST_CASE("page allocator: a reserved-memory table it cannot honour is a ReservedMemoryError", "[mm]") {
    models::Instrumentation instr;
    ReservedArea huge = dynamic_area("huge", 1 * GiB, 0);
    CHECK_THROWS_WITH(PageAllocator({{0x80000000, 32 * MiB}}, {huge}, instr),
                      Catch::Contains("/reserved-memory/huge") && Catch::Contains("no free RAM"));
    ReservedArea outside = static_area("outside", 0x10000000, 1 * MiB);
    outside.reusable = true;
    CHECK_THROWS_AS(PageAllocator({{0x80000000, 32 * MiB}}, {outside}, instr), sw::ReservedMemoryError);
    ReservedArea a = dynamic_area("a", 4 * MiB, 0), b = dynamic_area("b", 4 * MiB, 0);
    a.reusable = b.reusable = a.cma_default = b.cma_default = true;
    CHECK_THROWS_WITH(PageAllocator({{0x80000000, 32 * MiB}}, {a, b}, instr),
                      Catch::Contains("/reserved-memory/b") && Catch::Contains("linux,cma-default"));
}

TEST_CASE("page allocator: alloc_pages_exact gives back the pages past the size", "[mm]") {
    models::Instrumentation instr;
    PageAllocator pages({{0x80000000, 4 * MiB}}, {}, instr);
    std::optional<uint64_t> pa = pages.alloc_pages_exact(3 * page - 100);
    REQUIRE(pa);
    CHECK(*pa == 0x80000000);
    CHECK(pages.nr_allocated_pages() == 3);
    CHECK(pages.alloc_pages(0) == std::optional<uint64_t>(0x80003000));  // the tail page came back
    pages.free_pages(0x80003000, 0);
    pages.free_pages_exact(*pa, 3 * page - 100);
    CHECK(pages.nr_free_blocks(Zone::dma32, PageAllocator::max_order) == 1);
    CHECK_THROWS_AS(pages.free_pages_exact(*pa, page), std::logic_error);
}

TEST_CASE("page allocator: alloc_contig_pages serves runs beyond the largest block", "[mm]") {
    models::Instrumentation instr;
    PageAllocator pages({{0x80000000, 16 * MiB}}, {}, instr);
    std::optional<uint64_t> hole = pages.alloc_pages(0);  // the first page is taken
    const uint64_t count = 1500;                          // more than 1024 pages
    std::optional<uint64_t> pa = pages.alloc_contig_pages(count);
    REQUIRE(pa);
    CHECK(*pa == 0x80001000);
    CHECK(pages.nr_allocated_pages() == count + 1);
    for (uint64_t i = 0; i < count; ++i)
        REQUIRE(pages.is_allocated(*pa + i * page));
    CHECK_FALSE(pages.is_allocated(*pa + count * page));
    CHECK_FALSE(pages.alloc_contig_pages(16 * MiB / page));
    pages.free_contig_range(*pa, count);
    pages.free_pages(*hole, 0);
    CHECK(pages.nr_free_blocks(Zone::dma32, PageAllocator::max_order) == 4);
    CHECK(pages.nr_free_pages() == 16 * MiB / page);
}

TEST_CASE("page allocator: stats follow the free and allocated pages", "[mm]") {
    models::Instrumentation instr;
    PageAllocator pages({{0x80000000, 8 * MiB}}, {}, instr);
    CHECK(instr.counter_value("mm.pages_free") == 2048);
    CHECK(instr.counter_value("mm.pages_allocated") == 0);
    uint64_t pa = *pages.alloc_pages(3);
    CHECK(instr.counter_value("mm.pages_free") == 2040);
    CHECK(instr.counter_value("mm.pages_allocated") == 8);
    pages.free_pages(pa, 3);
    CHECK(instr.counter_value("mm.pages_free") == 2048);
    CHECK(instr.counter_value("mm.pages_allocated") == 0);
}

// --- ZONE_DMA ---

TEST_CASE("page allocator: ZONE_DMA is the RAM below its limit, DMA32 the rest below 4 GiB", "[mm][swiotlb]") {
    models::Instrumentation instr;
    // 2 GiB from 0x80000000 plus 64 MiB above 4 GiB; ZONE_DMA ends at 0xc0000000 (a 30-bit reach).
    PageAllocator pages({{0x80000000, 2 * GiB}, {four_gib, 64 * MiB}}, {}, instr, 0xc0000000);
    CHECK(pages.zone_dma_limit() == 0xc0000000);
    CHECK(pages.managed_pages(Zone::dma) == 1 * GiB / page);
    CHECK(pages.managed_pages(Zone::dma32) == 1 * GiB / page);
    CHECK(pages.managed_pages(Zone::normal) == 64 * MiB / page);
    CHECK(pages.zone_of(0xbffff000) == Zone::dma);
    CHECK(pages.zone_of(0xc0000000) == Zone::dma32);
    CHECK(pages.zone_of(four_gib) == Zone::normal);
    CHECK(pages.lowest_populated_zone() == Zone::dma);
    CHECK(std::string(sw::to_string(Zone::dma)) == "DMA");
}

TEST_CASE("page allocator: DMA requests stay below the limit - higher zones fall back to DMA last", "[mm][swiotlb]") {
    models::Instrumentation instr;
    PageAllocator pages({{0x80000000, 8 * MiB}, {four_gib, 4 * MiB}}, {}, instr, 0x80400000);
    std::vector<uint64_t> dma = drain(pages, Zone::dma);
    CHECK(dma.size() == 4 * MiB / page);
    for (uint64_t pa : dma)
        REQUIRE(pa < 0x80400000);
    CHECK(pages.nr_free_pages(Zone::dma32) == 4 * MiB / page);  // untouched
    for (uint64_t pa : dma)
        pages.free_pages(pa, 0);

    // GFP_DMA32 takes DMA32 first, then DMA; a normal request takes normal, DMA32, then DMA.
    std::vector<uint64_t> dma32 = drain(pages, Zone::dma32);
    REQUIRE(dma32.size() == 8 * MiB / page);
    CHECK(dma32.front() == 0x80400000);
    CHECK(dma32[4 * MiB / page] == 0x80000000);
    for (uint64_t pa : dma32)
        pages.free_pages(pa, 0);
    std::vector<uint64_t> any = drain(pages, Zone::normal);
    REQUIRE(any.size() == 12 * MiB / page);
    CHECK(any.front() == four_gib);
    CHECK(any[4 * MiB / page] == 0x80400000);
    CHECK(any[8 * MiB / page] == 0x80000000);
}

TEST_CASE("page allocator: no buddy block spans the ZONE_DMA limit", "[mm][swiotlb]") {
    models::Instrumentation instr;
    const uint64_t limit = 0x80000000 + 1 * MiB + page;  // not a max-order boundary
    PageAllocator pages({{0x80000000, 16 * MiB}}, {}, instr, limit);
    CHECK(pages.managed_pages(Zone::dma) == (1 * MiB + page) / page);
    for (unsigned order = 0; order <= PageAllocator::max_order; ++order) {
        while (auto pa = pages.alloc_pages(order, Zone::dma))
            REQUIRE(*pa + (page << order) <= limit);
    }
    for (unsigned order = PageAllocator::max_order + 1; order-- > 0;) {
        while (auto pa = pages.alloc_pages(order, Zone::dma32))
            REQUIRE(*pa >= limit);
    }
    CHECK(pages.nr_free_pages() == 0);
}

TEST_CASE("page allocator: without a ZONE_DMA limit the DMA zone is empty", "[mm][swiotlb]") {
    models::Instrumentation instr;
    PageAllocator pages({{0x80000000, 8 * MiB}}, {}, instr);
    CHECK(pages.zone_dma_limit() == 0);
    CHECK(pages.managed_pages(Zone::dma) == 0);
    CHECK(pages.lowest_populated_zone() == Zone::dma32);
    CHECK_FALSE(pages.alloc_pages(0, Zone::dma));
    CHECK(pages.alloc_pages(0, Zone::dma32) == std::optional<uint64_t>(0x80000000));
    CHECK_THROWS_WITH(PageAllocator({{0x80000000, 8 * MiB}}, {}, instr, 0x80000800),
                      "ZONE_DMA limit 0x80000800 is not page-aligned");
}
