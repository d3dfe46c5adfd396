#include "sw/drivers/mfd/mfd_core.h"

#include "dma/reserved_mem.h"

namespace sw {

MfdCellDevice::MfdCellDevice(dma::Device& parent, MfdCellInfo info, std::optional<MfdMemResource> memory)
    : info_(std::move(info)), parent_(parent), memory_(memory), dev_(info_.name, parent.context()) {
    // pdev->dev.dma_mask = parent->dma_mask; dma_parms = parent->dma_parms;
    // coherent_dma_mask = parent->coherent_dma_mask.
    dev_.share_dma_mask(parent);
}

void MfdCellDevice::dma_configure() {
    if (configured_)
        return;
    dma::dma_configure(dev_, info_.dma);
    configured_ = true;
}

MfdCells mfd_add_devices(dma::Device& parent, const std::vector<MfdCellInfo>& cells,
                         const std::vector<MfdMemResource>& memory) {
    MfdCells devices;
    for (size_t i = 0; i < cells.size(); ++i)
        devices.push_back(std::make_unique<MfdCellDevice>(parent, cells[i],
                                                          i < memory.size() ? std::optional<MfdMemResource>(memory[i])
                                                                            : std::nullopt));
    return devices;
}

void mfd_remove_devices(MfdCells& cells) {
    for (auto& cell : cells)
        dma::of_reserved_mem_device_release(cell->dev());
    cells.clear();
}

}  // namespace sw
