// The kernel services software on the simulated core relies on. For now: the RAM layout, an
// early (memblock-style) allocator, ioremap, and the outer-cache (PL310 / l2x0) operations that
// software must issue itself after maintaining the L1.
#pragma once

#include "models/access_extension.h"
#include "models/core.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace sw {

struct PhysRange {
    uint64_t base = 0;
    uint64_t size = 0;
    uint64_t end() const { return base + size; }
};

class Kernel {
public:
    // `ram`: memory the kernel may allocate from (no-map reserved regions already removed).
    // `outer_cache_registers`: physical base of a PL310's registers, if the platform has one.
    Kernel(models::Core& cpu, std::vector<PhysRange> ram, std::optional<uint64_t> outer_cache_registers);

    models::Core& cpu() { return cpu_; }
    const std::vector<PhysRange>& ram() const { return ram_; }

    static uint64_t phys_to_virt(uint64_t pa) { return models::Mmu::linear_va(pa); }
    static uint64_t virt_to_phys(uint64_t va) { return va - models::Mmu::linear_base; }

    // Early allocator: page-granular, never freed; throws std::runtime_error when RAM runs out.
    uint64_t memblock_alloc(uint64_t size, uint64_t align = models::Mmu::page_size);

    // Maps [pa, pa+size) at a fresh virtual address with the given memory type.
    uint64_t ioremap(uint64_t pa, uint64_t size, models::MemType type = models::MemType::device);

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
    std::vector<PhysRange> free_;  // what memblock has not handed out yet
    uint64_t next_vmalloc_ = models::Mmu::vmalloc_base;
    uint64_t l2_registers_va_ = 0;
};

}  // namespace sw
