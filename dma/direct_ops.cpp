// DirectOps: streaming mappings, syncs and mask queries (allocations: direct_alloc.cpp).
#include "dma/direct_ops.h"

#include "dma/context.h"
#include "dma/device.h"

#include <fmt/format.h>

namespace dma {

dma_addr_t DirectOps::map_page(Device& dev, uint64_t page_pa, uint64_t offset, uint64_t size, DmaDirection dir,
                               Attrs attrs) {
    uint64_t pa = page_pa + offset;
    dma_addr_t addr = dev.phys_to_dma(pa);
    if (dev.force_bounce() || !dma_capable(dev, addr, size))
        return map_unreachable(dev, pa, addr, size);
    if (!(attrs & attr::skip_cpu_sync))
        cache_for_device(dev, pa, size, dir);
    return addr;
}

void DirectOps::unmap_page(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir, Attrs attrs) {
    uint64_t pa = handle_to_phys(dev, addr, "unmap_page");
    if (pa != invalid_phys_addr && !(attrs & attr::skip_cpu_sync))
        cache_for_cpu(dev, pa, size, dir);
}

int DirectOps::map_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) {
    for (int i = 0; i < nents; ++i) {
        Scatterlist& sg = sgl[i];
        sg.dma_address = map_page(dev, sg.pa, sg.offset, sg.length, dir, attrs);
        if (sg.dma_address == DMA_MAPPING_ERROR) {
            unmap_sg(dev, sgl, i, dir, attrs | attr::skip_cpu_sync);
            return 0;
        }
        sg.dma_length = sg.length;
    }
    return nents;
}

void DirectOps::unmap_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) {
    for (int i = 0; i < nents; ++i)
        unmap_page(dev, sgl[i].dma_address, sgl[i].dma_length, dir, attrs);
}

void DirectOps::sync_single_for_cpu(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) {
    uint64_t pa = handle_to_phys(dev, addr, "sync_single_for_cpu");
    if (pa != invalid_phys_addr)
        cache_for_cpu(dev, pa, size, dir);
}

void DirectOps::sync_single_for_device(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) {
    uint64_t pa = handle_to_phys(dev, addr, "sync_single_for_device");
    if (pa != invalid_phys_addr)
        cache_for_device(dev, pa, size, dir);
}

void DirectOps::sync_sg_for_cpu(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) {
    for (int i = 0; i < nents; ++i)
        sync_single_for_cpu(dev, sgl[i].dma_address, sgl[i].dma_length, dir);
}

void DirectOps::sync_sg_for_device(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) {
    for (int i = 0; i < nents; ++i)
        sync_single_for_device(dev, sgl[i].dma_address, sgl[i].dma_length, dir);
}

// Linux's dma_direct_supported: 32-bit masks are always satisfiable (ZONE_DMA32); a smaller mask
// must reach all of RAM, as this platform has no ZONE_DMA.
bool DirectOps::dma_supported(Device& dev, uint64_t mask) {
    if (mask >= dma_bit_mask(32))
        return true;
    uint64_t min_mask = dev.context().max_ram_pa() & ~uint64_t(4095);  // (max_pfn - 1) << PAGE_SHIFT
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

uint64_t DirectOps::max_mapping_size(Device&) { return ~0ULL; }

dma_addr_t DirectOps::map_unreachable(Device& dev, uint64_t pa, dma_addr_t addr, uint64_t size) {
    Context& context = dev.context();
    // swiotlb goes here: bounce when it is active (always, for force_bounce).
    if (dev.force_bounce())
        context.warn(dev, fmt::format("cannot map PA {:#x}+{}: bouncing is forced but no swiotlb is available", pa,
                                      size),
                     context.stat_mapping_errors);
    else if (addr == DMA_MAPPING_ERROR)
        context.warn(dev, fmt::format("cannot map PA {:#x}+{}: the address is outside every dma-range", pa, size),
                     context.stat_mapping_errors);
    else
        context.warn(dev, fmt::format("DMA addr {:#x}+{} overflow (mask {:#x}, bus limit {:#x})", addr, size,
                                      dev.dma_mask(), dev.bus_dma_limit()),
                     context.stat_mapping_errors);
    return DMA_MAPPING_ERROR;
}

uint64_t DirectOps::handle_to_phys(Device& dev, dma_addr_t addr, const char* operation) {
    Context& context = dev.context();
    if (addr == DMA_MAPPING_ERROR) {
        context.warn(dev, fmt::format("{} of DMA_MAPPING_ERROR: the mapping failed and was not checked", operation),
                     context.stat_bad_handles);
        return invalid_phys_addr;
    }
    uint64_t pa = dev.dma_to_phys(addr);
    if (pa == invalid_phys_addr)
        context.warn(dev, fmt::format("{} of DMA addr {:#x}: it is outside every dma-range", operation, addr),
                     context.stat_bad_handles);
    return pa;
}

void DirectOps::cache_for_device(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir) {
    if (!dev.is_coherent())
        dev.context().cache().for_device(pa, size, dir, dev.context().policy().from_device_map);
}

void DirectOps::cache_for_cpu(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir) {
    if (!dev.is_coherent())
        dev.context().cache().for_cpu(pa, size, dir);
}

}  // namespace dma
