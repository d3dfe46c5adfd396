#include "sw/kernel.h"

#include "models/outer_cache.h"

#include <fmt/format.h>
#include <stdexcept>

namespace sw {

Kernel::Kernel(models::Core& cpu, std::vector<PhysRange> ram, std::optional<uint64_t> outer_cache_registers)
    : cpu_(cpu), ram_(std::move(ram)), free_(ram_) {
    if (outer_cache_registers)
        l2_registers_va_ = ioremap(*outer_cache_registers, models::OuterCache::register_space);
}

uint64_t Kernel::memblock_alloc(uint64_t size, uint64_t align) {
    uint64_t rounded = (size + models::Mmu::page_size - 1) & ~(models::Mmu::page_size - 1);
    for (PhysRange& range : free_) {
        uint64_t start = (range.base + align - 1) & ~(align - 1);
        if (start < range.end() && range.end() - start >= rounded) {
            range.size = range.end() - (start + rounded);
            range.base = start + rounded;
            return start;
        }
    }
    throw std::runtime_error(fmt::format("memblock: out of memory allocating {} bytes", size));
}

uint64_t Kernel::ioremap(uint64_t pa, uint64_t size, models::MemType type) {
    uint64_t page = models::Mmu::page_size;
    uint64_t first = pa & ~(page - 1);
    uint64_t length = ((pa + size + page - 1) & ~(page - 1)) - first;
    uint64_t va = next_vmalloc_;
    next_vmalloc_ += length + page;  // a guard page between mappings
    cpu_.mmu().map(va, first, length, type);
    return va + (pa - first);
}

void Kernel::outer_op(uint32_t register_offset, uint64_t pa, uint64_t size) {
    if (!l2_registers_va_ || size == 0)
        return;
    uint64_t line = cpu_.outer_cache()->line_size();
    for (uint64_t address = pa & ~(line - 1); address < pa + size; address += line) {
        if (address >> 32)
            cpu_.store64(l2_registers_va_ + register_offset, address);
        else
            cpu_.store32(l2_registers_va_ + register_offset, static_cast<uint32_t>(address));
    }
    cpu_.store32(l2_registers_va_ + models::OuterCache::cache_sync, 0);
}

void Kernel::outer_clean_range(uint64_t pa, uint64_t size) { outer_op(models::OuterCache::clean_pa, pa, size); }

void Kernel::outer_inv_range(uint64_t pa, uint64_t size) { outer_op(models::OuterCache::invalidate_pa, pa, size); }

void Kernel::outer_flush_range(uint64_t pa, uint64_t size) {
    outer_op(models::OuterCache::clean_invalidate_pa, pa, size);
}

}  // namespace sw
