#include "sw/kernel/kernel.h"

#include "models/cpu/outer_cache_regs.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace sw {

Kernel::Kernel(models::Core& cpu, models::Instrumentation& instr, std::vector<PhysRange> ram,
               std::vector<ReservedArea> reserved, std::optional<uint64_t> outer_cache_registers,
               uint64_t zone_dma_limit, std::optional<InterruptControllerInfo> interrupt_controller)
    : cpu_(cpu), ram_(std::move(ram)), pages_(ram_, std::move(reserved), instr, zone_dma_limit),
      kmalloc_(pages_, instr) {
    // The platform took static no-map regions out of the linear map; dynamic ones are placed
    // only now.
    for (const ReservedArea& area : pages_.reserved())
        if (area.no_map && area.dynamic)
            cpu_.mmu().remove_linear_range(*area.base, area.size);
    text_ = allocate_boot_region(text_size);
    rodata_ = allocate_boot_region(rodata_size);
    stack_ = allocate_boot_region(thread_size);
    if (outer_cache_registers)
        l2_registers_va_ = ioremap(*outer_cache_registers, outer_cache::register_space);
    if (interrupt_controller)
        irqs_ = std::make_unique<Interrupts>(cpu_, instr, *interrupt_controller,
                                             [this](uint64_t pa, uint64_t size) { return ioremap(pa, size); });
}

Interrupts& Kernel::irqs(const char* caller) {
    if (!irqs_)
        throw std::runtime_error(fmt::format("{}: the platform has no interrupt controller (no GIC node)", caller));
    return *irqs_;
}

VirtRange Kernel::allocate_boot_region(uint64_t size) {
    uint64_t va = phys_to_virt(alloc_contiguous(size));
    return {va, va + size};
}

bool Kernel::virt_addr_valid(uint64_t va) const {
    return va >= models::Mmu::linear_base && va < models::Mmu::vmalloc_base &&
           cpu_.mmu().in_linear_map(virt_to_phys(va));
}

uint64_t Kernel::alloc_contiguous(uint64_t size, Zone highest) {
    uint64_t bytes = std::max<uint64_t>(size, PageAllocator::page_size);  // at least one page, even for 0
    std::optional<uint64_t> pa;
    if (bytes <= PageAllocator::max_block_size)
        pa = pages_.alloc_pages_exact(bytes, highest);
    else
        pa = pages_.alloc_contig_pages((bytes + PageAllocator::page_size - 1) / PageAllocator::page_size, highest);
    if (!pa)
        throw std::runtime_error(fmt::format("out of memory allocating {} contiguous bytes ({} zone or below)", size,
                                             to_string(highest)));
    return *pa;
}

void Kernel::free_contiguous(uint64_t pa, uint64_t size) {
    pages_.free_pages_exact(pa, std::max<uint64_t>(size, PageAllocator::page_size));
}

uint64_t Kernel::reserve_vmalloc(uint64_t length) {
    uint64_t va = next_vmalloc_;
    next_vmalloc_ += length + models::Mmu::page_size;  // a guard page between mappings
    return va;
}

uint64_t Kernel::vmap(const std::vector<uint64_t>& pages, models::MemType type) {
    uint64_t page = models::Mmu::page_size;
    for (uint64_t pa : pages)
        if (pa % page)
            throw std::invalid_argument(fmt::format("vmap of page {:#x}, which is not page-aligned", pa));
    uint64_t length = pages.size() * page;
    uint64_t va = reserve_vmalloc(length);
    for (size_t i = 0; i < pages.size(); ++i)
        cpu_.mmu().map(va + i * page, pages[i], page, type);
    vmap_areas_[va] = length;
    return va;
}

void Kernel::vunmap(uint64_t va) {
    auto area = vmap_areas_.find(va);
    if (area == vmap_areas_.end())
        throw std::invalid_argument(fmt::format("Trying to vunmap() nonexistent vm area ({:#x})", va));
    cpu_.mmu().unmap(va, area->second);
    vmap_areas_.erase(area);
}

uint64_t Kernel::ioremap(uint64_t pa, uint64_t size, models::MemType type) {
    uint64_t page = models::Mmu::page_size;
    uint64_t first = pa & ~(page - 1);
    uint64_t length = ((pa + size + page - 1) & ~(page - 1)) - first;
    uint64_t va = reserve_vmalloc(length);
    cpu_.mmu().map(va, first, length, type);
    return va + (pa - first);
}

void Kernel::iounmap(uint64_t va, uint64_t size) {
    uint64_t page = models::Mmu::page_size;
    uint64_t first = va & ~(page - 1);
    cpu_.mmu().unmap(first, ((va + size + page - 1) & ~(page - 1)) - first);
}

void Kernel::dcache_inv_range(uint64_t pa, uint64_t size, PartialLines partial) {
    uint64_t start = phys_to_virt(pa), end = start + size;
    if (partial == PartialLines::invalidate || size == 0) {
        cpu_.dc_invalidate(start, size);
        return;
    }
    // v7_dma_inv_range: the partial lines first, by clean and invalidate; then the whole lines
    // between them (arm64's dcache_inval_poc does the same, last line first).
    uint64_t line = cpu_.l1d().line_size();
    if (start & (line - 1)) {
        start &= ~(line - 1);
        cpu_.dc_clean_invalidate(start, line);
        start += line;
    }
    if (end & (line - 1)) {
        end &= ~(line - 1);
        cpu_.dc_clean_invalidate(end, line);
    }
    if (start < end)
        cpu_.dc_invalidate(start, end - start);
}

void Kernel::outer_line_op(uint32_t register_offset, uint64_t line_address) {
    if (line_address >> 32)
        cpu_.store64(l2_registers_va_ + register_offset, line_address);
    else
        cpu_.store32(l2_registers_va_ + register_offset, static_cast<uint32_t>(line_address));
}

void Kernel::outer_op(uint32_t register_offset, uint64_t pa, uint64_t size) {
    if (!l2_registers_va_ || size == 0)
        return;
    uint64_t line = cpu_.outer_cache()->line_size();
    for (uint64_t address = pa & ~(line - 1); address < pa + size; address += line)
        outer_line_op(register_offset, address);
    cpu_.store32(l2_registers_va_ + outer_cache::cache_sync, 0);
}

void Kernel::outer_clean_range(uint64_t pa, uint64_t size) { outer_op(outer_cache::clean_pa, pa, size); }

// l2c210_inv_range (the PL310's, arch/arm/mm/cache-l2x0.c): a partial first or last line is
// cleaned and invalidated (CLEAN_INV_LINE_PA), the whole lines between invalidated, then one sync.
void Kernel::outer_inv_range(uint64_t pa, uint64_t size, PartialLines partial) {
    if (partial == PartialLines::invalidate)
        return outer_op(outer_cache::invalidate_pa, pa, size);
    if (!l2_registers_va_ || size == 0)
        return;
    uint64_t line = cpu_.outer_cache()->line_size();
    uint64_t start = pa, end = pa + size;
    if (start & (line - 1)) {
        start &= ~(line - 1);
        outer_line_op(outer_cache::clean_invalidate_pa, start);
        start += line;
    }
    if (end & (line - 1)) {
        end &= ~(line - 1);
        outer_line_op(outer_cache::clean_invalidate_pa, end);
    }
    for (uint64_t address = start; address < end; address += line)
        outer_line_op(outer_cache::invalidate_pa, address);
    cpu_.store32(l2_registers_va_ + outer_cache::cache_sync, 0);
}

void Kernel::outer_flush_range(uint64_t pa, uint64_t size) { outer_op(outer_cache::clean_invalidate_pa, pa, size); }

}  // namespace sw
