// Linux's drivers/mfd/mfd-core.c for dmasim's MFD: each cell (a child node of the MFD) becomes a
// device of its own, as mfd_add_device makes a platform device: its DMA mask and dma_parms are the
// parent's (the same pointers: a mask set through the cell is the parent's), its coherent mask a
// copy of the parent's. The cell's own node's DMA configuration (coherence, the dma-ranges above
// it) is applied when a driver probes it, as platform_dma_configure does (of_dma_configure on
// dev->of_node). A cell has no coherent pool of its own: its driver reaches the parent's with
// of_reserved_mem_device_init on the parent's node (dma/reserved_mem.h), or declares the memory
// resource the parent gave it (dma_declare_coherent_memory, as SM501's cells do).
#pragma once

#include "dma/device.h"
#include "sw/drivers/mfd/mfd_info.h"

#include <memory>
#include <optional>
#include <vector>

namespace sw {

// A cell's memory resource (Linux's struct resource, IORESOURCE_MEM) carved out of a window of the
// parent's, as drivers/mfd/sm501.c sm501_create_mem gives its USB host a slice of local memory:
// [start, start+size) in CPU physical addresses, and the start of the window it lies in
// (res->parent->start).
struct MfdMemResource {
    uint64_t start = 0;
    uint64_t size = 0;
    uint64_t parent_start = 0;
};

class MfdCellDevice {
public:
    // mfd_add_device; `memory`: the cell's memory resource, if the parent gives it one.
    MfdCellDevice(dma::Device& parent, MfdCellInfo info, std::optional<MfdMemResource> memory = std::nullopt);
    MfdCellDevice(const MfdCellDevice&) = delete;
    MfdCellDevice& operator=(const MfdCellDevice&) = delete;

    const MfdCellInfo& info() const { return info_; }
    dma::Device& dev() { return dev_; }
    dma::Device& parent() { return parent_; }
    // platform_get_resource(pdev, IORESOURCE_MEM, ...): its slice of the parent's memory, or none.
    const std::optional<MfdMemResource>& memory() const { return memory_; }

    // platform_dma_configure, at the first probe: of_dma_configure on the cell's node.
    void dma_configure();

private:
    MfdCellInfo info_;
    dma::Device& parent_;
    std::optional<MfdMemResource> memory_;
    dma::Device dev_;
    bool configured_ = false;
};

using MfdCells = std::vector<std::unique_ptr<MfdCellDevice>>;

// mfd_add_devices: a device per cell, in the order given; cell i gets memory[i] when there is one.
MfdCells mfd_add_devices(dma::Device& parent, const std::vector<MfdCellInfo>& cells,
                         const std::vector<MfdMemResource>& memory = {});
// mfd_remove_devices: the cells leave their pool (of_reserved_mem_device_release, as a cell
// driver's remove does) and go.
void mfd_remove_devices(MfdCells& cells);

}  // namespace sw
