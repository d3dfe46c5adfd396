// DirectOps: streaming mappings, syncs and mask queries (allocations: direct_alloc.cpp).
#include "dma/direct_ops.h"

#include "dma/context.h"
#include "dma/device.h"
#include "dma/kmalloc_bounce.h"
#include "dma/streaming_sync.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <fmt/format.h>

namespace dma {

namespace {

// Linux's is_swiotlb_force_bounce: the device's own flag or swiotlb=force.
bool force_bounce(Device& dev) { return dev.force_bounce() || dev.context().policy().swiotlb_force; }

}  // namespace

dma_addr_t DirectOps::map_page(Device& dev, uint64_t page_pa, uint64_t offset, uint64_t size, DmaDirection dir,
                               Attrs attrs) {
    uint64_t pa = page_pa + offset;
    dma_addr_t addr = dev.phys_to_dma(pa);
    if (force_bounce(dev))
        return swiotlb_map(dev, pa, size, dir, attrs);
    if (!dma_capable(dev, addr, size) || dma_kmalloc_needs_bounce(dev, size, dir)) {
        if (dev.context().swiotlb().is_active())
            return swiotlb_map(dev, pa, size, dir, attrs);
        report_unreachable(dev, pa, addr, size, "");
        return DMA_MAPPING_ERROR;
    }
    if (!(attrs & attr::skip_cpu_sync))
        arch_sync_for_device(dev, pa, size, dir);
    return addr;
}

void DirectOps::unmap_page(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir, Attrs attrs) {
    uint64_t pa = handle_to_phys(dev, addr, "unmap_page");
    if (pa == invalid_phys_addr)
        return;
    if (!(attrs & attr::skip_cpu_sync))
        sync_phys_for_cpu(dev, pa, size, dir);
    Swiotlb& swiotlb = dev.context().swiotlb();
    if (swiotlb.is_swiotlb_buffer(pa))
        swiotlb.tbl_unmap_single(dev, pa, size, dir, attrs | attr::skip_cpu_sync);
}

// Linux's dma_direct_map_sg / dma_direct_unmap_sg.
int DirectOps::map_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) {
    return map_sg_by_page(*this, dev, sgl, nents, dir, attrs);
}

void DirectOps::unmap_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) {
    unmap_sg_by_page(*this, dev, sgl, nents, dir, attrs);
}

void DirectOps::sync_single_for_cpu(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) {
    uint64_t pa = handle_to_phys(dev, addr, "sync_single_for_cpu");
    if (pa != invalid_phys_addr)
        sync_phys_for_cpu(dev, pa, size, dir);
}

void DirectOps::sync_single_for_device(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) {
    uint64_t pa = handle_to_phys(dev, addr, "sync_single_for_device");
    if (pa != invalid_phys_addr)
        sync_phys_for_device(dev, pa, size, dir);
}

void DirectOps::sync_sg_for_cpu(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) {
    for (int i = 0; i < nents; ++i)
        sync_single_for_cpu(dev, sgl[i].dma_address, sgl[i].dma_length, dir);
}

void DirectOps::sync_sg_for_device(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) {
    for (int i = 0; i < nents; ++i)
        sync_single_for_device(dev, sgl[i].dma_address, sgl[i].dma_length, dir);
}

std::vector<PhysExtent> DirectOps::phys_extents(Device& dev, dma_addr_t addr, uint64_t size) const {
    return {PhysExtent{dev.dma_to_phys(addr), size}};
}

// Linux's dma_direct_supported: 32-bit masks are always satisfiable (ZONE_DMA32); a smaller mask
// must reach all of RAM, or all of ZONE_DMA when there is one (swiotlb bounces the rest).
bool DirectOps::dma_supported(Device& dev, uint64_t mask) {
    if (mask >= dma_bit_mask(32))
        return true;
    uint64_t min_mask = dev.context().max_ram_pa() & ~uint64_t(4095);  // (max_pfn - 1) << PAGE_SHIFT
    uint64_t zone_dma_limit = dev.context().kernel().page_allocator().zone_dma_limit();
    if (zone_dma_limit)
        min_mask = std::min(min_mask, zone_dma_limit - 1);
    return mask >= dev.phys_to_dma(min_mask);
}

// Linux's dma_direct_get_required_mask: the smallest all-ones mask covering the last RAM page.
uint64_t DirectOps::get_required_mask(Device& dev) {
    uint64_t max_dma = dev.phys_to_dma(dev.context().max_ram_pa() & ~uint64_t(4095));
    if (max_dma == DMA_MAPPING_ERROR)
        return dma_bit_mask(64);
    unsigned bits = 64 - __builtin_clzll(max_dma | 1);
    return dma_bit_mask(bits);
}

// Linux's dma_direct_max_mapping_size: a mapping that may bounce must fit one swiotlb segment.
// A device may bounce when bouncing is forced or its reach is below the required mask
// (dma_addressing_limited).
uint64_t DirectOps::max_mapping_size(Device& dev) {
    bool addressing_limited = min_not_zero(dev.dma_mask(), dev.bus_dma_limit()) < get_required_mask(dev);
    if (dev.context().swiotlb().is_active() && (addressing_limited || force_bounce(dev)))
        return Swiotlb::max_mapping_size;
    return ~0ULL;
}

dma_addr_t DirectOps::swiotlb_map(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir, Attrs attrs) {
    Swiotlb& swiotlb = dev.context().swiotlb();
    uint64_t tlb_addr = swiotlb.tbl_map_single(dev, pa, size, attrs);
    if (tlb_addr == invalid_phys_addr)
        return DMA_MAPPING_ERROR;
    dma_addr_t addr = dev.phys_to_dma(tlb_addr);
    if (!dma_capable(dev, addr, size)) {
        swiotlb.tbl_unmap_single(dev, tlb_addr, size, dir, attrs | attr::skip_cpu_sync);
        report_unreachable(dev, tlb_addr, addr, size, fmt::format("; it is the swiotlb buffer for PA {:#x}", pa));
        return DMA_MAPPING_ERROR;
    }
    if (!(attrs & attr::skip_cpu_sync))
        arch_sync_for_device(dev, tlb_addr, size, dir);
    return addr;
}

void DirectOps::report_unreachable(Device& dev, uint64_t pa, dma_addr_t addr, uint64_t size, const std::string& note) {
    Context& context = dev.context();
    if (addr == DMA_MAPPING_ERROR)
        context.warn(dev,
                     fmt::format("cannot map PA {:#x}+{}: the address is outside every dma-range{}", pa, size, note),
                     context.stat_mapping_errors);
    else
        context.warn(dev,
                     fmt::format("DMA addr {:#x}+{} overflow (mask {:#x}, bus limit {:#x}){}", addr, size,
                                 dev.dma_mask(), dev.bus_dma_limit(), note),
                     context.stat_mapping_errors);
}

uint64_t DirectOps::handle_to_phys(Device& dev, dma_addr_t addr, const char* operation) {
    if (is_error_handle(dev, addr, operation))
        return invalid_phys_addr;
    Context& context = dev.context();
    uint64_t pa = dev.dma_to_phys(addr);
    if (pa == invalid_phys_addr)
        context.warn(dev, fmt::format("{} of DMA addr {:#x}: it is outside every dma-range", operation, addr),
                     context.stat_bad_handles);
    return pa;
}

}  // namespace dma
