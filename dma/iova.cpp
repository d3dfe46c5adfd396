#include "dma/iova.h"

#include <algorithm>
#include <fmt/format.h>
#include <iterator>
#include <stdexcept>

namespace dma {

namespace {

constexpr uint64_t iova_anchor = ~0ULL;  // Linux's IOVA_ANCHOR: above the usable space

// Linux's fls_long: the 1-based index of the highest set bit, 0 for 0.
unsigned fls_long(uint64_t value) { return value ? 64 - __builtin_clzll(value) : 0; }

}  // namespace

IovaDomain::IovaDomain(uint64_t granule, uint64_t start_pfn) : granule_(granule), start_pfn_(start_pfn) {
    if (granule == 0 || (granule & (granule - 1)) != 0)
        throw std::invalid_argument(fmt::format("IOVA granule {:#x} is not a power of two", granule));
    shift_ = fls_long(granule) - 1;
    dma_32bit_pfn_ = 1ULL << (32 - shift_);
    max32_alloc_size_ = dma_32bit_pfn_;
    anchor_ = ranges_.emplace(iova_anchor, iova_anchor).first;
    cached_node_ = anchor_;
    cached32_node_ = anchor_;
}

std::optional<Iova> IovaDomain::alloc_iova(uint64_t size, uint64_t limit_pfn, bool size_aligned) {
    if (size == 0)
        return std::nullopt;
    uint64_t align_mask = size_aligned ? ~0ULL << fls_long(size - 1) : ~0ULL;
    Iova result;
    if (!insert_range(size, limit_pfn + 1, align_mask, result))
        return std::nullopt;
    return result;
}

uint64_t IovaDomain::alloc_iova_fast(uint64_t size, uint64_t limit_pfn) {
    // Linux rounds every cacheable size so that a range freed into the caches fits any request of
    // its order; the rounding stays although the caches are not modelled, so addresses match.
    if (size > 0 && size < (1ULL << (range_cache_max_size - 1)))
        size = 1ULL << fls_long(size - 1);
    std::optional<Iova> iova = alloc_iova(size, limit_pfn, true);
    return iova ? iova->pfn_lo : 0;
}

// Linux's __alloc_and_insert_iova_range; `limit_pfn` is exclusive here, as there.
bool IovaDomain::insert_range(uint64_t size, uint64_t limit_pfn, uint64_t align_mask, Iova& result) {
    uint64_t high_pfn = limit_pfn;
    uint64_t low_pfn = start_pfn_;
    if (limit_pfn <= dma_32bit_pfn_ && size >= max32_alloc_size_)
        return false;
    Node curr = cached_node(limit_pfn);
    uint64_t retry_pfn = curr->second;
    Node prev;
    uint64_t new_pfn;
    for (;;) {
        // Walk down the ranges from `curr` until the gap below one of them holds the request.
        for (;;) {
            high_pfn = std::min(high_pfn, curr->first);
            new_pfn = (high_pfn - size) & align_mask;
            prev = curr;
            if (curr == ranges_.begin())
                break;
            curr = std::prev(curr);
            if (!(new_pfn <= curr->second && new_pfn >= low_pfn))
                break;
        }
        if (high_pfn >= size && new_pfn >= low_pfn)
            break;
        // Nothing below the cached node: once more from the limit down to where that walk began.
        if (low_pfn == start_pfn_ && retry_pfn < limit_pfn) {
            high_pfn = limit_pfn;
            low_pfn = retry_pfn + 1;
            curr = find_limit(limit_pfn);
            continue;
        }
        max32_alloc_size_ = size;
        return false;
    }
    result = Iova{new_pfn, new_pfn + size - 1};
    Node node = ranges_.emplace_hint(prev, result.pfn_lo, result.pfn_hi);
    cached_insert_update(node);
    return true;
}

// Linux's iova_find_limit finds a range at or above the limit to walk down from; the first whose
// end reaches the limit gives the same walk.
IovaDomain::Node IovaDomain::find_limit(uint64_t limit_pfn) {
    if (limit_pfn > dma_32bit_pfn_)
        return anchor_;
    Node node = ranges_.upper_bound(limit_pfn);
    if (node != ranges_.begin() && std::prev(node)->second >= limit_pfn)
        return std::prev(node);
    return node;
}

IovaDomain::Node IovaDomain::find_node(uint64_t pfn) {
    Node node = ranges_.upper_bound(pfn);
    if (node == ranges_.begin())
        return ranges_.end();
    --node;
    return pfn <= node->second ? node : ranges_.end();
}

// Linux's __cached_rbnode_insert_update.
void IovaDomain::cached_insert_update(Node node) {
    if (node->second < dma_32bit_pfn_)
        cached32_node_ = node;
    else
        cached_node_ = node;
}

// Linux's __cached_rbnode_delete_update: a range freed at or above a cached node moves the cache up
// to the range after it, so the next walk sees the gap.
void IovaDomain::cached_delete_update(Node node) {
    if (node == cached32_node_ || (node->second < dma_32bit_pfn_ && node->first >= cached32_node_->first))
        cached32_node_ = std::next(node);
    if (node->first < dma_32bit_pfn_)
        max32_alloc_size_ = dma_32bit_pfn_;
    if (node->first >= cached_node_->first)
        cached_node_ = std::next(node);
}

bool IovaDomain::free_iova(uint64_t pfn) {
    Node node = find_node(pfn);
    if (node == ranges_.end() || node == anchor_)
        return false;
    cached_delete_update(node);
    ranges_.erase(node);
    return true;
}

std::optional<Iova> IovaDomain::find_iova(uint64_t pfn) const {
    auto node = ranges_.upper_bound(pfn);
    if (node == ranges_.begin())
        return std::nullopt;
    --node;
    if (pfn > node->second || node->first == iova_anchor)
        return std::nullopt;
    return Iova{node->first, node->second};
}

// Linux's reserve_iova with __adjust_overlap_range: a range the reservation overlaps grows down to
// its start, and only what lies above the overlapped ranges is inserted.
void IovaDomain::reserve_iova(uint64_t pfn_lo, uint64_t pfn_hi) {
    bool overlap = false;
    for (Node node = ranges_.begin(); node != ranges_.end(); ++node) {
        if (pfn_lo <= node->second && pfn_hi >= node->first) {
            if (pfn_lo < node->first) {
                bool cached = node == cached_node_, cached32 = node == cached32_node_;
                uint64_t hi = node->second;
                node = ranges_.emplace_hint(ranges_.erase(node), pfn_lo, hi);
                if (cached)
                    cached_node_ = node;
                if (cached32)
                    cached32_node_ = node;
            }
            if (pfn_hi > node->second)
                pfn_lo = node->second + 1;
            if (pfn_lo >= node->first && pfn_hi <= node->second)
                return;
            overlap = true;
        } else if (overlap) {
            break;
        }
    }
    ranges_.emplace(pfn_lo, pfn_hi);
}

}  // namespace dma
