// Linux's drivers/mfd/mfd-core.c for dmasim's MFD: each cell (a child node of the MFD) becomes a
// device of its own, as mfd_add_device makes a platform device: its DMA mask and dma_parms are the
// parent's (the same pointers: a mask set through the cell is the parent's), its coherent mask a
// copy of the parent's. The cell's own node's DMA configuration (coherence, the dma-ranges above
// it) is applied when a driver probes it, as platform_dma_configure does (of_dma_configure on
// dev->of_node). A cell has no coherent pool of its own: its driver reaches the parent's with
// of_reserved_mem_device_init on the parent's node (dma/reserved_mem.h).
#pragma once

#include "dma/device.h"
#include "sw/drivers/mfd/mfd_info.h"

#include <memory>
#include <vector>

namespace sw {

class MfdCellDevice {
public:
    // mfd_add_device.
    MfdCellDevice(dma::Device& parent, MfdCellInfo info);
    MfdCellDevice(const MfdCellDevice&) = delete;
    MfdCellDevice& operator=(const MfdCellDevice&) = delete;

    const MfdCellInfo& info() const { return info_; }
    dma::Device& dev() { return dev_; }
    dma::Device& parent() { return parent_; }

    // platform_dma_configure, at the first probe: of_dma_configure on the cell's node.
    void dma_configure();

private:
    MfdCellInfo info_;
    dma::Device& parent_;
    dma::Device dev_;
    bool configured_ = false;
};

using MfdCells = std::vector<std::unique_ptr<MfdCellDevice>>;

// mfd_add_devices: a device per cell, in the order given.
MfdCells mfd_add_devices(dma::Device& parent, const std::vector<MfdCellInfo>& cells);
// mfd_remove_devices: the cells leave their pool (of_reserved_mem_device_release, as a cell
// driver's remove does) and go.
void mfd_remove_devices(MfdCells& cells);

}  // namespace sw
