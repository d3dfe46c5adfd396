#include "dma/streaming_sync.h"

#include "dma/context.h"
#include "dma/device.h"

#include <fmt/format.h>

namespace dma {

void arch_sync_for_device(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir) {
    if (!dev.is_coherent())
        dev.context().cache().for_device(pa, size, dir);
}

void arch_sync_for_cpu(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir) {
    if (!dev.is_coherent())
        dev.context().cache().for_cpu(pa, size, dir);
}

void sync_phys_for_cpu(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir) {
    arch_sync_for_cpu(dev, pa, size, dir);
    Swiotlb& swiotlb = dev.context().swiotlb();
    if (swiotlb.is_swiotlb_buffer(pa))
        swiotlb.sync_single_for_cpu(dev, pa, size, dir);
}

void sync_phys_for_device(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir) {
    Swiotlb& swiotlb = dev.context().swiotlb();
    if (swiotlb.is_swiotlb_buffer(pa))
        swiotlb.sync_single_for_device(dev, pa, size, dir);
    arch_sync_for_device(dev, pa, size, dir);
}

bool is_error_handle(Device& dev, dma_addr_t addr, const char* operation) {
    if (addr != DMA_MAPPING_ERROR)
        return false;
    Context& context = dev.context();
    context.warn(dev, fmt::format("{} of DMA_MAPPING_ERROR: the mapping failed and was not checked", operation),
                 context.stat_bad_handles);
    return true;
}

}  // namespace dma
