// An IOVA space (Linux's struct iova_domain, drivers/iommu/iova.c): the IOVA ranges in use, in
// pages of `granule` bytes, kept in address order with Linux's anchor node above them all. Allocation
// is Linux's __alloc_and_insert_iova_range: first fit walking down from a cached node (the last range
// allocated, one cache below 4 GiB and one above, moved up again by frees above it), below a limit and
// at or above start_pfn, optionally aligned to the size rounded up to a power of two; when that finds
// nothing it retries once from the limit down to where the cached walk began. alloc_iova_fast rounds
// sizes under 32 pages up to a power of two as Linux does. Linux's per-CPU range caches (rcache) are
// not modelled: a freed range goes straight back to the tree, so fresh domains hand out Linux's
// addresses, and reuse after frees follows the tree rather than the caches' last-freed-first order.
// Pure bookkeeping: nothing here touches simulated memory.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace dma {

// One IOVA range in use, both ends inclusive, in granules (Linux's struct iova).
struct Iova {
    uint64_t pfn_lo = 0;
    uint64_t pfn_hi = 0;
    uint64_t size() const { return pfn_hi - pfn_lo + 1; }
};

class IovaDomain {
public:
    // Linux's IOVA_RANGE_CACHE_MAX_SIZE: sizes below 2^(this - 1) pages are rounded to a power of two.
    static constexpr unsigned range_cache_max_size = 6;

    // Linux's init_iova_domain: `granule` a power of two (std::invalid_argument otherwise), IOVAs
    // handed out from `start_pfn` up (iommu_dma_init_domain passes at least 1: IOVA 0 is never valid).
    IovaDomain(uint64_t granule, uint64_t start_pfn);

    uint64_t granule() const { return granule_; }
    unsigned shift() const { return shift_; }
    uint64_t start_pfn() const { return start_pfn_; }
    // Linux's iova_offset / iova_align / iova_pfn.
    uint64_t iova_offset(uint64_t addr) const { return addr & (granule_ - 1); }
    uint64_t iova_align(uint64_t size) const { return (size + granule_ - 1) & ~(granule_ - 1); }
    uint64_t iova_pfn(uint64_t addr) const { return addr >> shift_; }

    // Linux's alloc_iova: `size` granules at or below `limit_pfn` (inclusive), aligned to
    // roundup_pow_of_two(size) when `size_aligned`; nullopt when no gap fits.
    std::optional<Iova> alloc_iova(uint64_t size, uint64_t limit_pfn, bool size_aligned);
    // Linux's alloc_iova_fast without the range caches: sizes under 32 granules rounded up to a
    // power of two, size-aligned; the first pfn, or 0 on failure.
    uint64_t alloc_iova_fast(uint64_t size, uint64_t limit_pfn);
    // Linux's free_iova (free_iova_fast without the caches): frees the range holding `pfn`; false
    // when none does.
    bool free_iova(uint64_t pfn);
    // Linux's reserve_iova: [pfn_lo, pfn_hi] never handed out, merged with ranges it overlaps.
    void reserve_iova(uint64_t pfn_lo, uint64_t pfn_hi);
    // Linux's find_iova: the range holding `pfn`.
    std::optional<Iova> find_iova(uint64_t pfn) const;

    // Ranges in use, reservations included, the anchor not.
    size_t range_count() const { return ranges_.size() - 1; }

private:
    using Ranges = std::map<uint64_t, uint64_t>;  // pfn_lo -> pfn_hi, the anchor last
    using Node = Ranges::iterator;

    bool insert_range(uint64_t size, uint64_t limit_pfn, uint64_t align_mask, Iova& result);
    Node cached_node(uint64_t limit_pfn) const { return limit_pfn <= dma_32bit_pfn_ ? cached32_node_ : cached_node_; }
    Node find_limit(uint64_t limit_pfn);
    Node find_node(uint64_t pfn);
    void cached_insert_update(Node node);
    void cached_delete_update(Node node);

    uint64_t granule_;
    unsigned shift_;
    uint64_t start_pfn_;
    uint64_t dma_32bit_pfn_;     // the first granule at 4 GiB
    uint64_t max32_alloc_size_;  // below 4 GiB nothing this large fits (Linux's max32_alloc_size)
    Ranges ranges_;
    Node anchor_;
    Node cached_node_;
    Node cached32_node_;
};

}  // namespace dma
