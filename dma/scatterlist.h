// One scatter-gather entry (Linux's struct scatterlist): a run of bytes in a page, and what
// map_sg filled in for it.
#pragma once

#include "dma/types.h"

#include <cstdint>

namespace dma {

struct Scatterlist {
    uint64_t pa = 0;      // the page's physical address (sg_page)
    uint64_t offset = 0;  // of the data within the page
    uint64_t length = 0;
    dma_addr_t dma_address = DMA_MAPPING_ERROR;  // sg_dma_address, set by map_sg
    uint64_t dma_length = 0;                     // sg_dma_len, set by map_sg
};

}  // namespace dma
