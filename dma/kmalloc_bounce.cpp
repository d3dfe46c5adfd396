#include "dma/kmalloc_bounce.h"

#include "dma/context.h"
#include "dma/device.h"
#include "sw/kernel/kernel.h"

namespace dma {

bool dma_kmalloc_safe(const Device& dev, DmaDirection dir) {
    return !dev.context().policy().kmalloc_bounce || dev.is_coherent() || dir == DmaDirection::to_device;
}

bool dma_kmalloc_size_aligned(const Device& dev, uint64_t size) {
    Context& context = dev.context();
    uint64_t alignment = context.policy().dma_cache_alignment;  // ARCH_DMA_MINALIGN, dma_get_cache_alignment()
    return size >= 2 * alignment || context.kernel().kmalloc().kmalloc_size_roundup(size) % alignment == 0;
}

bool dma_kmalloc_needs_bounce(const Device& dev, uint64_t size, DmaDirection dir) {
    return !dma_kmalloc_safe(dev, dir) && !dma_kmalloc_size_aligned(dev, size);
}

}  // namespace dma
