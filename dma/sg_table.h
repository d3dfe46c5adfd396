// A scatter-gather table (Linux's struct sg_table) and the DMA API calls that take one whole
// (Linux's dma_map_sgtable, dma_unmap_sgtable, dma_sync_sgtable_for_cpu/_for_device): the CPU's
// entries (`orig_nents` of them) and how many DMA segments the last map produced (`nents`).
#pragma once

#include "dma/scatterlist.h"
#include "dma/types.h"

#include <vector>

namespace dma {

class Device;

struct SgTable {
    std::vector<Scatterlist> sgl;
    int orig_nents = 0;  // CPU entries
    int nents = 0;       // DMA segments once mapped (0 while unmapped)
};

// Linux's sg_alloc_table + sg_set_page for each page run: one entry per run, nothing mapped.
SgTable sg_table_from_runs(const std::vector<PhysExtent>& runs);

// Linux's dma_map_sgtable: maps every entry with dev's ops; 0, or -EIO when the mapping failed
// (the table is then left unmapped, nents 0).
int map_sgtable(Device& dev, SgTable& table, DmaDirection dir, Attrs attrs = 0);
void unmap_sgtable(Device& dev, SgTable& table, DmaDirection dir, Attrs attrs = 0);
void sync_sgtable_for_cpu(Device& dev, SgTable& table, DmaDirection dir);
void sync_sgtable_for_device(Device& dev, SgTable& table, DmaDirection dir);

}  // namespace dma
