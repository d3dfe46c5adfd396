// dma::IovaDomain against Linux's drivers/iommu/iova.c: the addresses __alloc_and_insert_iova_range
// hands out (top-down first fit from the cached node, size alignment, the retry from the limit),
// alloc_iova_fast's rounding, reserve_iova's merging and free_iova's effect on the cached nodes.
// Expected values are worked out from Linux's code in each comment.
#include "dma/iova.h"

#include <catch2/catch.hpp>
#include <stdexcept>

using dma::Iova;
using dma::IovaDomain;

namespace {

constexpr uint64_t granule = 4096;
constexpr uint64_t limit_32bit = 0xfffff;  // DMA_BIT_MASK(32) >> PAGE_SHIFT, alloc_iova's inclusive limit

}  // namespace

TEST_CASE("alloc_iova_fast: a fresh domain gives 1, 1 and 3 pages under a 32-bit limit at Linux's addresses",
          "[iova]") {
    IovaDomain iovad(granule, 1);
    // The first walk starts at the anchor: (0x100000 - 1) = 0xfffff, then below it 0xffffe. Three
    // pages round up to four, size-aligned: (0xffffe - 4) & ~3 = 0xffff8.
    CHECK(iovad.alloc_iova_fast(1, limit_32bit) << 12 == 0xfffff000);
    CHECK(iovad.alloc_iova_fast(1, limit_32bit) << 12 == 0xffffe000);
    CHECK(iovad.alloc_iova_fast(3, limit_32bit) << 12 == 0xffff8000);
    std::optional<Iova> third = iovad.find_iova(0xffff8);
    REQUIRE(third);
    CHECK(third->pfn_hi == 0xffffb);  // four pages held, not three
    CHECK(iovad.range_count() == 3);
}

TEST_CASE("alloc_iova: size alignment is optional, alloc_iova_fast rounds only sizes under 32 pages", "[iova]") {
    IovaDomain iovad(granule, 1);
    std::optional<Iova> unaligned = iovad.alloc_iova(3, limit_32bit, false);
    REQUIRE(unaligned);
    CHECK(unaligned->pfn_lo == 0xffffd);  // 0x100000 - 3
    std::optional<Iova> aligned = iovad.alloc_iova(3, limit_32bit, true);
    REQUIRE(aligned);
    CHECK(aligned->pfn_lo == 0xffff8);  // (0xffffd - 3) & ~3
    CHECK(aligned->size() == 3);        // alloc_iova aligns but does not round

    IovaDomain fast(granule, 1);
    CHECK(fast.alloc_iova_fast(31, limit_32bit) == 0xfffe0);  // rounded to 32: (0x100000 - 32) & ~31
    CHECK(fast.find_iova(0xfffe0)->size() == 32);
    CHECK(fast.alloc_iova_fast(33, limit_32bit) == 0xfff80);  // 33 kept, aligned to 64: (0xfffe0 - 33) & ~63
    CHECK(fast.find_iova(0xfff80)->size() == 33);
}

TEST_CASE("IOVA page 0 is never handed out: start_pfn 1, and nothing is left below it", "[iova]") {
    IovaDomain iovad(granule, 1);
    CHECK(iovad.alloc_iova_fast(1, 3) == 3);
    CHECK(iovad.alloc_iova_fast(1, 3) == 2);
    CHECK(iovad.alloc_iova_fast(1, 3) == 1);
    CHECK(iovad.alloc_iova_fast(1, 3) == 0);  // failure: pfn 0 would have fitted
    CHECK(iovad.range_count() == 3);
}

TEST_CASE("an IOVA domain's start_pfn bounds allocations from below", "[iova]") {
    IovaDomain iovad(granule, 0x10);
    CHECK(iovad.alloc_iova_fast(8, 0x17) == 0x10);
    CHECK(iovad.alloc_iova_fast(1, 0x17) == 0);
}

TEST_CASE("reserve_iova: reserved ranges are skipped by allocation", "[iova]") {
    IovaDomain iovad(granule, 1);
    iovad.reserve_iova(0xfff00, 0xfffff);
    CHECK(iovad.alloc_iova_fast(1, limit_32bit) == 0xffeff);
    CHECK(iovad.alloc_iova_fast(2, limit_32bit) == 0xffefc);  // (0xffeff - 2) & ~1
    CHECK_FALSE(iovad.free_iova(0x12345));                    // nothing there
}

TEST_CASE("reserve_iova grows an overlapped range downwards and inserts only what lies above it", "[iova]") {
    IovaDomain iovad(granule, 1);
    iovad.reserve_iova(10, 20);
    iovad.reserve_iova(15, 30);  // __adjust_overlap_range: [10, 20] stays, [21, 30] is added
    CHECK(iovad.range_count() == 2);
    CHECK(iovad.find_iova(25)->pfn_lo == 21);
    iovad.reserve_iova(5, 12);  // [10, 20] grows down to 5 and holds it all
    CHECK(iovad.range_count() == 2);
    std::optional<Iova> grown = iovad.find_iova(5);
    REQUIRE(grown);
    CHECK(grown->pfn_lo == 5);
    CHECK(grown->pfn_hi == 20);
    iovad.reserve_iova(12, 14);  // inside: nothing new
    CHECK(iovad.range_count() == 2);
}

TEST_CASE("the walk continues below the cached node, past a gap an aligned allocation left above it", "[iova]") {
    IovaDomain iovad(granule, 1);
    CHECK(iovad.alloc_iova_fast(1, limit_32bit) == 0xfffff);
    CHECK(iovad.alloc_iova_fast(4, limit_32bit) == 0xffff8);  // (0xfffff - 4) & ~3: 0xffffc-0xffffe stay free
    // Linux starts at the cached node (the last allocation), not at the limit.
    CHECK(iovad.alloc_iova_fast(1, limit_32bit) == 0xffff7);
}

TEST_CASE("free_iova above the cached node moves it up, so the freed range is reused first", "[iova]") {
    IovaDomain iovad(granule, 1);
    uint64_t a = iovad.alloc_iova_fast(1, limit_32bit);
    uint64_t b = iovad.alloc_iova_fast(1, limit_32bit);
    uint64_t c = iovad.alloc_iova_fast(1, limit_32bit);
    REQUIRE(c == 0xffffd);
    REQUIRE(iovad.free_iova(b));
    CHECK_FALSE(iovad.find_iova(b));
    // __cached_rbnode_delete_update: b was at or above the cached c, so the cache is a now and the
    // walk finds b's place before anything below c.
    CHECK(iovad.alloc_iova_fast(1, limit_32bit) == b);
    CHECK(iovad.alloc_iova_fast(1, limit_32bit) == 0xffffc);
    CHECK(a == 0xfffff);
}

TEST_CASE("when nothing fits below the cached node the walk retries from the limit", "[iova]") {
    IovaDomain iovad(granule, 1);
    CHECK(iovad.alloc_iova_fast(1, 7) == 7);
    CHECK(iovad.alloc_iova_fast(2, 7) == 4);  // (7 - 2) & ~1: 6 stays free
    CHECK(iovad.alloc_iova_fast(2, 7) == 2);
    CHECK(iovad.alloc_iova_fast(1, 7) == 1);
    // Below the cached node [1] is only page 0: the retry walks [2, 8) from the limit and finds 6.
    CHECK(iovad.alloc_iova_fast(1, 7) == 6);
    CHECK(iovad.alloc_iova_fast(1, 7) == 0);
}

TEST_CASE("allocations below and above 4 GiB keep separate cached nodes", "[iova]") {
    IovaDomain iovad(granule, 1);
    const uint64_t limit_36bit = 0xffffff;
    CHECK(iovad.alloc_iova_fast(1, limit_36bit) == 0xffffff);
    CHECK(iovad.alloc_iova_fast(1, limit_32bit) == 0xfffff);
    CHECK(iovad.alloc_iova_fast(1, limit_36bit) == 0xfffffe);
    CHECK(iovad.alloc_iova_fast(1, limit_32bit) == 0xffffe);
}

TEST_CASE("after a failure below 4 GiB, freeing a range there makes the size allocatable again", "[iova]") {
    IovaDomain iovad(granule, 1);
    iovad.reserve_iova(1, 0xfffef);  // 16 pages left: 0xffff0-0xfffff
    CHECK(iovad.alloc_iova_fast(1, limit_32bit) == 0xfffff);
    CHECK(iovad.alloc_iova_fast(16, limit_32bit) == 0);  // max32_alloc_size becomes 16
    CHECK(iovad.alloc_iova_fast(16, limit_32bit) == 0);
    REQUIRE(iovad.free_iova(0xfffff));  // below 4 GiB: max32_alloc_size is reset
    CHECK(iovad.alloc_iova_fast(16, limit_32bit) == 0xffff0);
}

TEST_CASE("IovaDomain refuses a granule that is not a power of two", "[iova]") {
    CHECK_THROWS_AS(IovaDomain(3000, 1), std::invalid_argument);
    IovaDomain domain(granule, 1);
    CHECK(domain.shift() == 12);
    CHECK(domain.iova_offset(0x12345) == 0x345);
    CHECK(domain.iova_align(0x1001) == 0x2000);
    CHECK(domain.iova_pfn(0x12345) == 0x12);
}
