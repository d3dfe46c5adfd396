// DirectOps: coherent and noncoherent allocations (streaming mappings: direct_ops.cpp).
#include "dma/context.h"
#include "dma/contiguous.h"
#include "dma/device.h"
#include "dma/direct_ops.h"
#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <fmt/format.h>
#include <optional>
#include <stdexcept>

namespace dma {

namespace {

uint64_t page_align(uint64_t size) { return (size + models::Mmu::page_size - 1) & ~(models::Mmu::page_size - 1); }

}  // namespace

// Linux's dma_direct_alloc plus ARM's remap: zeroed pages; on a non-coherent device, flushed from
// the caches and remapped uncached, the linear alias kept or retyped per the alias policy. The
// remap may block, so a non-blocking caller gets memory remapped at boot: the atomic pool's.
// NO_KERNEL_MAPPING comes first, on any device, as in Linux.
uint64_t DirectOps::alloc(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs, Gfp gfp) {
    dma_handle = DMA_MAPPING_ERROR;
    if (attrs & attr::no_kernel_mapping)
        return alloc_no_mapping(dev, size, dma_handle, attrs, gfp);
    bool remap = !dev.is_coherent() && !(attrs & attr::non_consistent);
    if (remap && gfp == Gfp::atomic)
        return alloc_from_pool(dev, size, dma_handle, attrs);
    uint64_t pa = allocate_pages(dev, size, attrs, gfp);
    if (!pa)
        return 0;
    Allocation allocation{pa, page_align(size), 0, false};
    uint64_t cpu_addr = sw::Kernel::phys_to_virt(pa);
    zero_through_cpu(dev, pa, allocation.size);
    if (remap) {
        allocation.alias_removed = prepare_uncached(dev.context(), pa, allocation.size);
        cpu_addr = remap_uncached(dev, pa, allocation.size, attrs, allocation);
    }
    allocations_[cpu_addr] = allocation;
    dma_handle = dev.phys_to_dma(pa);
    return cpu_addr;
}

// The pages are not zeroed (Linux clears __GFP_ZERO here) and get no new mapping; they are only
// flushed (arch_dma_prep_coherent), so no dirty line of the linear alias is written back over
// what the device writes. The linear alias keeps its type whatever the alias policy, and its
// address is the cookie the driver must not dereference.
uint64_t DirectOps::alloc_no_mapping(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs, Gfp gfp) {
    uint64_t pa = allocate_pages(dev, size, attrs, gfp);
    if (!pa)
        return 0;
    dev.context().cache().flush(pa, page_align(size));
    uint64_t cookie = sw::Kernel::phys_to_virt(pa);
    allocations_[cookie] = Allocation{pa, page_align(size), 0, false};
    dma_handle = dev.phys_to_dma(pa);
    return cookie;
}

void DirectOps::free(Device& dev, uint64_t size, uint64_t cpu_addr, dma_addr_t dma_handle, Attrs) {
    if (dev.context().atomic_pool().free(dev, cpu_addr, size))
        return;
    auto found = allocations_.find(cpu_addr);
    if (found == allocations_.end())
        return warn_unknown_free(dev, cpu_addr, dma_handle, size);
    Allocation allocation = found->second;
    if (page_align(size) != allocation.size || dma_handle != dev.phys_to_dma(allocation.pa))
        return warn_mismatched_free(dev, cpu_addr, dma_handle, size, dev.phys_to_dma(allocation.pa), allocation.size);
    models::Core& cpu = dev.context().cpu();
    if (allocation.remap_va) {
        cpu.dsb();  // drain write-combined stores before the mapping goes
        dev.context().kernel().iounmap(allocation.remap_va, allocation.size);
    }
    if (allocation.alias_removed)
        cpu.mmu().set_linear_type(allocation.pa, allocation.size, models::MemType::normal_wb);
    allocations_.erase(found);
    dma_free_contiguous(dev, allocation.pa, allocation.size);
}

bool DirectOps::prepare_uncached(Context& context, uint64_t pa, uint64_t size) {
    context.cache().flush(pa, size);
    if (context.policy().alias != AliasPolicy::removed)
        return false;
    context.cpu().mmu().set_linear_type(pa, size, models::MemType::normal_nc);
    return true;
}

uint64_t DirectOps::alloc_from_pool(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs) {
    uint64_t pa = 0;
    uint64_t cpu_addr = dev.context().atomic_pool().alloc(dev, size, pa, attrs, [&](uint64_t page_pa, uint64_t bytes) {
        return coherent_ok(dev, page_pa, bytes);
    });
    if (cpu_addr)
        dma_handle = dev.phys_to_dma(pa);
    return cpu_addr;
}

// Linux's dma_direct_alloc_pages: zeroed cacheable pages, no cache maintenance (the caller syncs).
uint64_t DirectOps::alloc_pages(Device& dev, uint64_t size, dma_addr_t& dma_handle, DmaDirection) {
    dma_handle = DMA_MAPPING_ERROR;
    uint64_t pa = allocate_pages(dev, size, 0, Gfp::kernel);
    if (!pa)
        return 0;
    zero_through_cpu(dev, pa, page_align(size));
    dma_handle = dev.phys_to_dma(pa);
    return pa;
}

void DirectOps::free_pages(Device& dev, uint64_t size, uint64_t pa, dma_addr_t, DmaDirection) {
    dma_free_contiguous(dev, pa, page_align(size));
}

sw::Zone dma_direct_optimal_zone(Device& dev, uint64_t limit) {
    uint64_t phys_limit = dev.dma_to_phys(limit);
    uint64_t zone_dma_limit = dev.context().kernel().page_allocator().zone_dma_limit();
    if (zone_dma_limit && phys_limit <= zone_dma_limit - 1)
        return sw::Zone::dma;
    if (phys_limit <= dma_bit_mask(32))
        return sw::Zone::dma32;
    return sw::Zone::normal;
}

uint64_t DirectOps::allocate_pages(Device& dev, uint64_t size, Attrs attrs, Gfp gfp) {
    Context& context = dev.context();
    auto fail = [&](const std::string& why) {
        if (attrs & attr::no_warn)
            ++context.stat_alloc_failures;
        else
            context.warn(dev, fmt::format("allocation of {} bytes failed: {}", size, why), context.stat_alloc_failures);
        return uint64_t(0);
    };
    if (size == 0)
        return fail("the size is 0");
    if (uint64_t pa = alloc_from_cma(dev, size, gfp))
        return pa;
    uint64_t limit = min_not_zero(dev.coherent_dma_mask(), dev.bus_dma_limit());
    uint64_t phys_limit = dev.dma_to_phys(limit);
    uint64_t zone_dma_limit = context.kernel().page_allocator().zone_dma_limit();
    sw::Zone zone = dma_direct_optimal_zone(dev, limit);
    for (;;) {
        uint64_t pa;
        try {
            pa = context.kernel().alloc_contiguous(size, zone);
        } catch (const std::runtime_error& error) {
            return fail(error.what());
        }
        if (coherent_ok(dev, pa, page_align(size)))
            return pa;
        context.kernel().free_contiguous(pa, page_align(size));
        // __dma_direct_alloc_pages' retry: normal -> DMA32 -> DMA (when there is a ZONE_DMA).
        if (zone == sw::Zone::normal && phys_limit < dma_bit_mask(64))
            zone = sw::Zone::dma32;
        else if (zone_dma_limit && zone != sw::Zone::dma)
            zone = sw::Zone::dma;
        else
            return fail(fmt::format("no {}-zone page at or below the coherent mask {:#x} (bus limit {:#x})",
                                    sw::to_string(zone), dev.coherent_dma_mask(), dev.bus_dma_limit()));
    }
}

uint64_t DirectOps::alloc_from_cma(Device& dev, uint64_t size, Gfp gfp) {
    std::optional<uint64_t> pa = dma_alloc_contiguous(dev, size, gfp);
    if (!pa)
        return 0;
    if (coherent_ok(dev, *pa, page_align(size)))
        return *pa;
    dma_free_contiguous(dev, *pa, page_align(size));
    return 0;
}

bool DirectOps::coherent_ok(Device& dev, uint64_t pa, uint64_t size) {
    dma_addr_t addr = dev.phys_to_dma(pa);
    return addr != DMA_MAPPING_ERROR && addr + size - 1 <= min_not_zero(dev.coherent_dma_mask(), dev.bus_dma_limit());
}

void DirectOps::zero_through_cpu(Device& dev, uint64_t pa, uint64_t size) {
    dev.context().cpu().fill_block(sw::Kernel::phys_to_virt(pa), 0, size);
}

uint64_t DirectOps::remap_uncached(Device& dev, uint64_t pa, uint64_t size, Attrs attrs, Allocation& allocation) {
    models::MemType type = coherent_mem_type(dev.context().policy(), attrs & attr::write_combine);
    allocation.remap_va = dev.context().kernel().ioremap(pa, size, type);
    return allocation.remap_va;
}

}  // namespace dma
