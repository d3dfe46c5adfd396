// arm64's bouncing of small kmalloc buffers (Linux 6.5+, CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC;
// include/linux/dma-map-ops.h): kmalloc aligns objects to 8 bytes only, so a small buffer may share
// a cache line with other objects; a mapping of such a size for a non-coherent device that the
// device may write goes through swiotlb instead (dma_direct_map_page, iommu_dma_map_page). On
// under Policy::kmalloc_bounce (the arm64 profile).
#pragma once

#include "dma/types.h"

#include <cstdint>

namespace dma {

class Device;

// dma_kmalloc_safe: DMA to any kmalloc buffer is safe when bouncing is not configured (kmalloc is
// then aligned for DMA), the device is coherent or the direction is DMA_TO_DEVICE (the cache
// maintenance is then a clean, which destroys nothing, and an eviction is benign).
bool dma_kmalloc_safe(const Device& dev, DmaDirection dir);
// dma_kmalloc_size_aligned: a kmalloc object of `size` bytes cannot share a line - it is at least
// 2 * ARCH_DMA_MINALIGN, or its kmalloc size is a multiple of dma_get_cache_alignment().
bool dma_kmalloc_size_aligned(const Device& dev, uint64_t size);
// dma_kmalloc_needs_bounce: !dma_kmalloc_safe && !dma_kmalloc_size_aligned. Decided by the size
// alone, as Linux does: any mapping of such a size bounces, kmalloc'd or not.
bool dma_kmalloc_needs_bounce(const Device& dev, uint64_t size, DmaDirection dir);

}  // namespace dma
