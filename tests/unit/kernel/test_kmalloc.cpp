// kmalloc as plain C++ over a page allocator: size classes, line sharing and the minimum
// alignment policy, kfree and reuse, large allocations, ksize.
#include "models/cpu/mmu.h"
#include "sw/kernel/kmalloc.h"

#include <catch2/catch.hpp>
#include <set>

namespace {

using sw::Kmalloc;
using sw::PageAllocator;

constexpr uint64_t MiB = 1024 * 1024;
constexpr uint64_t page = PageAllocator::page_size;
constexpr uint64_t ram_base = 0x80000000, ram_size = 8 * MiB;

struct Fixture {
    models::Instrumentation instr;
    PageAllocator pages{{{ram_base, ram_size}}, {}, instr};
    Kmalloc kmalloc{pages, instr};
};

uint64_t pa_of(uint64_t va) { return va - models::Mmu::linear_base; }

}  // namespace

TEST_CASE("kmalloc: objects are linear-map addresses of RAM the page allocator handed out", "[mm]") {
    Fixture f;
    uint64_t va = f.kmalloc.kmalloc(100);
    REQUIRE(va != 0);
    CHECK(va == models::Mmu::linear_va(ram_base));  // the first object of the first slab page
    CHECK(f.pages.is_allocated(pa_of(va)));
    CHECK(f.pages.nr_allocated_pages() == 1);
}

TEST_CASE("kmalloc: requests round up to the size classes", "[mm]") {
    Fixture f;
    std::vector<std::pair<uint64_t, uint64_t>> expected{{1, 8},       {8, 8},       {9, 16},      {17, 32},
                                                        {33, 64},     {65, 96},     {97, 128},    {129, 192},
                                                        {193, 256},   {257, 512},   {1000, 1024}, {2049, 4096},
                                                        {4097, 8192}, {8192, 8192}, {8193, 16384}};
    for (const auto& [size, rounded] : expected) {
        INFO("size " << size);
        CHECK(f.kmalloc.kmalloc_size_roundup(size) == rounded);
        uint64_t va = f.kmalloc.kmalloc(size);
        REQUIRE(va != 0);
        CHECK(f.kmalloc.ksize(va) == rounded);
        CHECK(va % std::min<uint64_t>(rounded & -rounded, page) == 0);  // naturally aligned to the class
    }
}

TEST_CASE("kmalloc: without a minimum alignment two small objects share a cache line", "[mm]") {
    Fixture f;
    REQUIRE(f.kmalloc.min_align() == 8);
    uint64_t a = f.kmalloc.kmalloc(32), b = f.kmalloc.kmalloc(32);
    REQUIRE(a != 0);
    REQUIRE(b != 0);
    CHECK(b == a + 32);
    CHECK(a / 64 == b / 64);
    uint64_t c = f.kmalloc.kmalloc(8), d = f.kmalloc.kmalloc(8);
    CHECK(c / 64 == d / 64);
}

TEST_CASE("kmalloc: with a 64-byte minimum alignment no two objects share a line", "[mm]") {
    Fixture f;
    f.kmalloc.set_min_align(64);
    std::set<uint64_t> lines;
    for (uint64_t size : {1, 8, 16, 32, 33, 64, 65, 96, 100, 129, 192}) {
        for (int i = 0; i < 40; ++i) {
            uint64_t va = f.kmalloc.kmalloc(size);
            REQUIRE(va != 0);
            CHECK(va % 64 == 0);
            CHECK(f.kmalloc.ksize(va) % 64 == 0);
            CHECK(f.kmalloc.ksize(va) >= size);
            for (uint64_t line = va / 64; line < (va + f.kmalloc.ksize(va)) / 64; ++line)
                REQUIRE(lines.insert(line).second);  // no line seen before
        }
    }
    CHECK(f.kmalloc.kmalloc_size_roundup(32) == 64);
    CHECK(f.kmalloc.kmalloc_size_roundup(65) == 128);  // kmalloc-96 retired, as with KMALLOC_MIN_SIZE 64
    CHECK(f.kmalloc.kmalloc_size_roundup(129) == 192);
}

TEST_CASE("kmalloc: the minimum alignment must be a power of two from 8 to a page", "[mm]") {
    Fixture f;
    CHECK_THROWS_AS(f.kmalloc.set_min_align(48), std::invalid_argument);
    CHECK_THROWS_AS(f.kmalloc.set_min_align(4), std::invalid_argument);
    CHECK_THROWS_AS(f.kmalloc.set_min_align(2 * page), std::invalid_argument);
    CHECK(f.kmalloc.min_align() == 8);
    f.kmalloc.set_min_align(128);
    CHECK(f.kmalloc.kmalloc_size_roundup(1) == 128);
    CHECK(f.kmalloc.kmalloc_size_roundup(129) == 256);  // 192 is no multiple of 128
}

TEST_CASE("kmalloc: a freed object is reused and an empty slab goes back to the page allocator", "[mm]") {
    Fixture f;
    uint64_t a = f.kmalloc.kmalloc(64), b = f.kmalloc.kmalloc(64);
    REQUIRE(b == a + 64);
    f.kmalloc.kfree(a);
    CHECK(f.kmalloc.kmalloc(64) == a);
    // 4096 / 32 objects fill one page; the next takes another.
    std::vector<uint64_t> objects;
    for (int i = 0; i < 129; ++i)
        objects.push_back(f.kmalloc.kmalloc(32));
    CHECK(objects[127] == objects[0] + 127 * 32);
    CHECK(objects[128] / page != objects[0] / page);
    CHECK(f.pages.nr_allocated_pages() == 3);
    for (uint64_t va : objects)
        f.kmalloc.kfree(va);
    f.kmalloc.kfree(a);
    f.kmalloc.kfree(b);
    CHECK(f.kmalloc.live_objects() == 0);
    CHECK(f.kmalloc.slab_count() == 0);
    CHECK(f.pages.nr_allocated_pages() == 0);
    CHECK(f.pages.nr_free_pages() == ram_size / page);
}

TEST_CASE("kmalloc: large requests take whole pages", "[mm]") {
    Fixture f;
    uint64_t va = f.kmalloc.kmalloc(10000);
    REQUIRE(va != 0);
    CHECK(va % (4 * page) == 0);
    CHECK(f.kmalloc.ksize(va) == 4 * page);
    CHECK(f.pages.nr_allocated_pages() == 4);
    f.kmalloc.kfree(va);
    CHECK(f.pages.nr_allocated_pages() == 0);
    CHECK(f.kmalloc.kmalloc(PageAllocator::max_block_size) != 0);
    CHECK(f.kmalloc.kmalloc(PageAllocator::max_block_size + 1) == 0);  // beyond the largest block: NULL
    CHECK(f.kmalloc.kmalloc(PageAllocator::max_block_size) != 0);
    CHECK(f.kmalloc.kmalloc(PageAllocator::max_block_size) == 0);  // RAM exhausted: NULL
}

TEST_CASE("kmalloc: zero-size, NULL, double free and bad pointers", "[mm]") {
    Fixture f;
    CHECK(f.kmalloc.kmalloc(0) == Kmalloc::zero_size_ptr);
    CHECK(f.kmalloc.ksize(Kmalloc::zero_size_ptr) == 0);
    f.kmalloc.kfree(0);
    f.kmalloc.kfree(Kmalloc::zero_size_ptr);
    uint64_t a = f.kmalloc.kmalloc(64), b = f.kmalloc.kmalloc(64);
    REQUIRE(a != 0);
    CHECK_THROWS_WITH(f.kmalloc.kfree(a + 8), Catch::Contains("not the start"));
    f.kmalloc.kfree(a);
    CHECK_THROWS_WITH(f.kmalloc.kfree(a), Catch::Contains("double free"));
    CHECK_THROWS_AS(f.kmalloc.ksize(a), std::logic_error);
    f.kmalloc.kfree(b);
    CHECK_THROWS_AS(f.kmalloc.kfree(b), std::logic_error);  // its slab is gone too
    uint64_t large = f.kmalloc.kmalloc(3 * page);
    f.kmalloc.kfree(large);
    CHECK_THROWS_AS(f.kmalloc.kfree(large), std::logic_error);
}

TEST_CASE("kmalloc: stats count live objects and their bytes", "[mm]") {
    Fixture f;
    uint64_t a = f.kmalloc.kmalloc(20);     // kmalloc-32
    uint64_t b = f.kmalloc.kmalloc(5000);   // kmalloc-8192
    uint64_t c = f.kmalloc.kmalloc(20000);  // 8 pages
    CHECK(f.instr.counter_value("mm.kmalloc.objects") == 3);
    CHECK(f.instr.counter_value("mm.kmalloc.allocated_bytes") == 32 + 8192 + 8 * page);
    f.kmalloc.kfree(b);
    CHECK(f.instr.counter_value("mm.kmalloc.objects") == 2);
    CHECK(f.instr.counter_value("mm.kmalloc.allocated_bytes") == 32 + 8 * page);
    f.kmalloc.kfree(a);
    f.kmalloc.kfree(c);
    CHECK(f.instr.counter_value("mm.kmalloc.objects") == 0);
    CHECK(f.instr.counter_value("mm.kmalloc.allocated_bytes") == 0);
}

TEST_CASE("kmalloc: GFP_DMA objects come from ZONE_DMA slabs of their own", "[mm]") {
    models::Instrumentation instr;
    PageAllocator pages{{{ram_base, ram_size}}, {}, instr, ram_base + MiB};  // ZONE_DMA: the first MiB
    Kmalloc kmalloc{pages, instr};
    uint64_t normal = kmalloc.kmalloc(32);
    uint64_t dma = kmalloc.kmalloc(32, sw::Zone::dma);
    uint64_t dma_next = kmalloc.kmalloc(32, sw::Zone::dma);
    uint64_t large = kmalloc.kmalloc(3 * page, sw::Zone::dma);
    CHECK(pages.zone_of(pa_of(normal)) != sw::Zone::dma);
    CHECK(pages.zone_of(pa_of(dma)) == sw::Zone::dma);
    CHECK(dma_next == dma + 32);  // the kmalloc-dma-32 cache packs its own slab
    CHECK(pages.zone_of(pa_of(large)) == sw::Zone::dma);
    kmalloc.kfree(dma);
    CHECK(kmalloc.kmalloc(32) != dma);                 // a normal request never takes a GFP_DMA object
    CHECK(kmalloc.kmalloc(32, sw::Zone::dma) == dma);  // a GFP_DMA one reuses it
}
