// The kernel services software on the simulated core relies on: the RAM layout and reserved
// memory, the page allocator (zones, CMA) and kmalloc, ioremap, and the outer-cache (PL310 /
// l2x0) operations that software must issue itself after maintaining the L1.
#pragma once

#include "models/access_extension.h"
#include "models/core.h"
#include "models/instrumentation.h"
#include "sw/kmalloc.h"
#include "sw/memory_layout.h"
#include "sw/page_allocator.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace sw {

class Kernel {
public:
    // `ram`: memory the kernel may allocate from (no-map reserved regions already removed).
    // `reserved`: the reserved-memory table, in device-tree order (dynamic regions are placed
    // here; ReservedMemoryError when that is impossible).
    // `outer_cache_registers`: physical base of a PL310's registers, if the platform has one.
    Kernel(models::Core& cpu, models::Instrumentation& instr, std::vector<PhysRange> ram,
           std::vector<ReservedArea> reserved, std::optional<uint64_t> outer_cache_registers);

    models::Core& cpu() { return cpu_; }
    const std::vector<PhysRange>& ram() const { return ram_; }
    PageAllocator& page_allocator() { return pages_; }
    Kmalloc& kmalloc() { return kmalloc_; }  // e.g. kmalloc().set_min_align(64)
    // The reserved-memory table with the bases the kernel chose for dynamic regions.
    const std::vector<ReservedArea>& reserved() const { return pages_.reserved(); }

    static uint64_t phys_to_virt(uint64_t pa) { return models::Mmu::linear_va(pa); }
    static uint64_t virt_to_phys(uint64_t va) { return va - models::Mmu::linear_base; }

    // Physically contiguous pages for `size` bytes (page-granular, at least one page), from the
    // page allocator: alloc_pages_exact up to the largest buddy block, alloc_contig_pages beyond.
    // Throws std::runtime_error when memory runs out. Free with free_contiguous(pa, size).
    uint64_t alloc_contiguous(uint64_t size, Zone highest = Zone::normal);
    void free_contiguous(uint64_t pa, uint64_t size);

    // Maps [pa, pa+size) at a fresh virtual address with the given memory type.
    uint64_t ioremap(uint64_t pa, uint64_t size, models::MemType type = models::MemType::device);
    // Removes a mapping ioremap returned (`va` and `size` as given to / returned by it).
    void iounmap(uint64_t va, uint64_t size);

    // Outer cache maintenance by physical range (no-ops without an outer cache). Linux's order
    // applies: L1 clean before outer clean; outer invalidate before L1 invalidate.
    bool has_outer_cache() const { return l2_registers_va_ != 0; }
    void outer_clean_range(uint64_t pa, uint64_t size);
    void outer_inv_range(uint64_t pa, uint64_t size);
    void outer_flush_range(uint64_t pa, uint64_t size);  // clean + invalidate

private:
    void outer_op(uint32_t register_offset, uint64_t pa, uint64_t size);

    models::Core& cpu_;
    std::vector<PhysRange> ram_;
    PageAllocator pages_;
    Kmalloc kmalloc_;
    uint64_t next_vmalloc_ = models::Mmu::vmalloc_base;
    uint64_t l2_registers_va_ = 0;
};

}  // namespace sw
