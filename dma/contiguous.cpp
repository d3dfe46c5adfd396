#include "dma/contiguous.h"

#include "dma/context.h"
#include "dma/device.h"
#include "models/cpu/mmu.h"
#include "sw/kernel/kernel.h"

#include <algorithm>

namespace dma {

namespace {

constexpr unsigned cma_alignment = 8;  // CONFIG_CMA_ALIGNMENT: runs aligned to at most 2^8 pages

uint64_t page_count(uint64_t size) { return (size + models::Mmu::page_size - 1) / models::Mmu::page_size; }

}  // namespace

std::optional<uint64_t> dma_alloc_contiguous(Device& dev, uint64_t size, Gfp gfp) {
    sw::PageAllocator& pages = dev.context().kernel().page_allocator();
    sw::CmaArea* area = dev.cma_area();
    if (!area && size > models::Mmu::page_size)
        area = pages.default_cma();
    if (!area || gfp != Gfp::kernel)
        return std::nullopt;
    return pages.cma_alloc(*area, page_count(size), std::min(sw::PageAllocator::get_order(size), cma_alignment));
}

void dma_free_contiguous(Device& dev, uint64_t pa, uint64_t size) {
    sw::PageAllocator& pages = dev.context().kernel().page_allocator();
    sw::CmaArea* area = dev.cma_area() ? dev.cma_area() : pages.default_cma();
    if (area && pages.cma_release(*area, pa, page_count(size)))
        return;
    dev.context().kernel().free_contiguous(pa, size);
}

}  // namespace dma
