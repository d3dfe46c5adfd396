// kmalloc: small objects carved from pages by size class (slab-like caches), larger ones straight
// from the page allocator. Objects of the small classes pack several to a cache line, as on any
// kernel without a DMA minimum alignment; set_min_align (Linux's ARCH_DMA_MINALIGN, as
// KMALLOC_MIN_SIZE) retires the classes below it so that no two objects share a line.
//
// Addresses are kernel virtual addresses in the linear map. The caches are host bookkeeping: no
// simulated memory is touched (no poisoning, no zeroing).
#pragma once

#include "models/common/instrumentation.h"
#include "models/common/range_map.h"
#include "sw/kernel/page_allocator.h"

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

namespace sw {

class Kmalloc {
public:
    static constexpr std::array<uint64_t, 13> size_classes = {8,   16,  32,   64,   96,   128, 192,
                                                              256, 512, 1024, 2048, 4096, 8192};
    static constexpr uint64_t max_class_size = 8192;  // above: whole pages (kmalloc_large)
    static constexpr uint64_t zero_size_ptr = 16;     // what kmalloc(0) returns: not NULL, not usable
    static constexpr uint64_t default_min_align = 8;

    Kmalloc(PageAllocator& pages, models::Instrumentation& instr, uint64_t min_align = default_min_align);
    Kmalloc(const Kmalloc&) = delete;
    Kmalloc& operator=(const Kmalloc&) = delete;

    // A power of two from 8 (no policy: small objects share lines) to a page. A class is used
    // only when its size is a multiple of it (so with 64, 8..32 and 96 are retired, as Linux does
    // with KMALLOC_MIN_SIZE 64). Affects later allocations; live objects keep their class.
    void set_min_align(uint64_t align);
    uint64_t min_align() const { return min_align_; }

    // A kernel VA of at least `size` bytes; 0 (NULL) when memory runs out or size exceeds the
    // largest page block; zero_size_ptr for size 0. `highest`: the highest zone its pages may come
    // from (Zone::dma is GFP_DMA: Linux's kmalloc-dma-* caches, whose slabs are their own).
    uint64_t kmalloc(uint64_t size, Zone highest = Zone::normal);
    // Frees a kmalloc'd object; kfree(0) and kfree(zero_size_ptr) do nothing. std::logic_error
    // (a bug in the simulated kernel) for a double free or an address kmalloc did not return.
    void kfree(uint64_t va);
    // The usable size of a live object: its class size, or the pages of a large allocation.
    uint64_t ksize(uint64_t va) const;
    // The size kmalloc(size) would give, under the current policy.
    uint64_t kmalloc_size_roundup(uint64_t size) const;

    uint64_t live_objects() const { return objects_; }
    uint64_t slab_count() const { return slabs_.size(); }

private:
    struct Slab {
        size_t size_class;  // index into size_classes
        unsigned order;     // pages of the slab: 2^order
        Zone zone;          // the cache's highest zone (kmalloc's `highest`)
        std::vector<bool> used;
        uint64_t in_use = 0;
    };
    // The index of the class kmalloc(size) uses, or size_classes.size() for a page allocation.
    size_t class_for(uint64_t size) const;
    uint64_t alloc_object(size_t size_class, Zone highest);
    void account(int64_t objects, int64_t bytes);

    PageAllocator& pages_;
    uint64_t min_align_;
    models::RangeMap<Slab> slabs_;  // by the slab's physical pages
    // Slabs with a free object, per cache: highest zone and class.
    std::array<std::array<std::set<uint64_t>, size_classes.size()>, zone_count> partial_;
    std::map<uint64_t, unsigned> large_;  // PA -> order of page allocations
    uint64_t objects_ = 0, bytes_ = 0;
    uint64_t& stat_bytes_;
    uint64_t& stat_objects_;
};

}  // namespace sw
