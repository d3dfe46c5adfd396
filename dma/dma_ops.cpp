#include "dma/dma_ops.h"

#include "dma/context.h"
#include "dma/device.h"

#include <fmt/format.h>

namespace dma {

int map_sg_by_page(DmaOps& ops, Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) {
    for (int i = 0; i < nents; ++i) {
        Scatterlist& sg = sgl[i];
        sg.dma_address = ops.map_page(dev, sg.pa, sg.offset, sg.length, dir, attrs);
        if (sg.dma_address == DMA_MAPPING_ERROR) {
            unmap_sg_by_page(ops, dev, sgl, i, dir, attrs | attr::skip_cpu_sync);
            return 0;
        }
        sg.dma_length = sg.length;
    }
    return nents;
}

void unmap_sg_by_page(DmaOps& ops, Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir,
                      Attrs attrs) {
    for (int i = 0; i < nents; ++i)
        ops.unmap_page(dev, sgl[i].dma_address, sgl[i].dma_length, dir, attrs);
}

void warn_unknown_free(Device& dev, uint64_t cpu_addr, dma_addr_t dma_handle, uint64_t size) {
    Context& context = dev.context();
    context.warn(dev,
                 fmt::format("free of CPU address {:#x} (DMA addr {:#x}, {} bytes), which no coherent allocation "
                             "returned; nothing freed",
                             cpu_addr, dma_handle, size),
                 context.stat_bad_frees);
}

void warn_mismatched_free(Device& dev, uint64_t cpu_addr, dma_addr_t dma_handle, uint64_t size,
                          dma_addr_t allocated_handle, uint64_t allocated_size) {
    Context& context = dev.context();
    context.warn(dev,
                 fmt::format("free of CPU address {:#x} with DMA addr {:#x} and {} bytes, but it was allocated with "
                             "DMA addr {:#x} and {} bytes; nothing freed",
                             cpu_addr, dma_handle, size, allocated_handle, allocated_size),
                 context.stat_bad_frees);
}

}  // namespace dma
