// The atomic pool (Linux's kernel/dma/pool.c): memory set aside at boot for coherent allocations
// that may not block (Gfp::atomic) on a non-coherent device, whose usual path (remapping pages
// uncached) may sleep. Policy::atomic_pool_size bytes (coherent_pool=; when 0, Linux's default
// from the RAM the allocator manages, default_atomic_pool_size), rounded up to a power of
// two and capped at the largest buddy block as Linux's atomic_pool_expand does, come from the lowest
// zone with memory (ZONE_DMA where there is one, else DMA32);
// the pages are flushed from the caches, their linear alias handled per Policy::alias, and remapped
// uncached once. Allocations are page runs aligned to their rounded-up size (gen_pool's
// first_fit_order_align), zeroed through the CPU. The pool neither grows nor shrinks.
//
// Stats: dma.atomic_pool.size (bytes), .used (bytes), .allocs, .failures.
#pragma once

#include "dma/page_bitmap.h"
#include "dma/types.h"

#include <cstdint>
#include <functional>
#include <string>

namespace models {
class Instrumentation;
}

namespace dma {

class Context;
class Device;

class AtomicPool {
public:
    // Takes the pool's pages from the page allocator (boot time: no CPU access). An empty pool
    // (size 0, or no block even of one page in its zone) fails every allocation with the reason.
    AtomicPool(Context& context, models::Instrumentation& instr);
    AtomicPool(const AtomicPool&) = delete;
    AtomicPool& operator=(const AtomicPool&) = delete;

    uint64_t size() const { return bitmap_.pages() * page_size; }
    uint64_t phys_base() const { return phys_base_; }

    // Linux's dma_alloc_from_pool: `size` bytes zeroed through the CPU, at an uncached CPU address
    // (returned) over the physical pages in `pa`. The pages must satisfy `phys_addr_ok` (the
    // device's reach) or the allocation is undone. 0 on failure, with a warning unless NO_WARN.
    uint64_t alloc(Device& dev, uint64_t size, uint64_t& pa, Attrs attrs,
                   const std::function<bool(uint64_t pa, uint64_t size)>& phys_addr_ok);
    // Linux's dma_free_from_pool: false when `cpu_addr` is not the pool's. Pages of the pool that
    // were not allocated (gen_pool_free's BUG) are warned about and counted in dma.bad_frees.
    bool free(Device& dev, uint64_t cpu_addr, uint64_t size);

private:
    static constexpr uint64_t page_size = 4096;
    // The boot-time set-up that needs the core (cache flush, remap), done on first use since the
    // core runs nothing before the simulation starts.
    void prepare();
    uint64_t fail(Device& dev, uint64_t size, Attrs attrs, const std::string& why);
    void update_stats();

    Context& context_;
    uint64_t phys_base_ = 0;
    uint64_t virt_base_ = 0;  // 0 until prepared
    std::string boot_error_;  // why the pool is empty
    PageBitmap bitmap_;
    uint64_t& stat_size_;
    uint64_t& stat_used_;
    uint64_t& stat_allocs_;
    uint64_t& stat_failures_;
};

}  // namespace dma
