// Contiguous pages for DMA from CMA (Linux's kernel/dma/contiguous.c), shared by the direct and
// IOMMU ops: the device's own area (Linux's dev->cma_area) for any size, else the default area for
// more than a page (a single page is contiguous anyway). CMA may block, so only a blocking caller
// uses it.
#pragma once

#include "dma/types.h"

#include <cstdint>
#include <optional>

namespace dma {

class Device;

// Linux's dma_alloc_contiguous: `size` bytes of whole pages from the device's CMA area, aligned to
// min(order, CONFIG_CMA_ALIGNMENT) pages; nullopt without an area, for a non-blocking caller, or
// when the area has no such run (the caller falls back to the buddy allocator).
std::optional<uint64_t> dma_alloc_contiguous(Device& dev, uint64_t size, Gfp gfp);
// Linux's dma_free_contiguous: pages of the device's area (or, for a device without one, of the
// default area) go back there, any others to the buddy allocator.
void dma_free_contiguous(Device& dev, uint64_t pa, uint64_t size);

}  // namespace dma
