// What Linux's of_dma_configure derives from the device tree for one device node: the range map
// and bus limit from the nearest non-empty `dma-ranges` up the tree, the DMA mask that limit
// implies, and coherence from `dma-coherent` / `dma-noncoherent` up the tree.
#pragma once

#include "dma/device.h"
#include "platforms/device_tree.h"

#include <optional>
#include <vector>

namespace platform {

struct OfDmaConfig {
    std::vector<dma::DmaRange> ranges;  // empty: the device sees system addresses unchanged
    uint64_t bus_dma_limit = 0;         // the highest bus address of the ranges; 0 without ranges
    // The default 32-bit mask cut to the ranges' end (Linux: DMA_BIT_MASK(ilog2(end) + 1)).
    uint64_t mask = dma::dma_bit_mask(32);
    bool coherent = false;  // ARM's default: DMA does not snoop
    std::optional<std::string> ranges_node;  // the node whose dma-ranges apply
    std::optional<std::string> coherent_node;  // the node whose dma-coherent / dma-noncoherent decided

    // What the kernel applies to the device (dma::dma_configure).
    dma::DmaConfig dma_config() const { return dma::DmaConfig{ranges, bus_dma_limit, mask, coherent}; }
};

OfDmaConfig of_dma_configure(const DtNode& node);

// Linux's of_dma_get_max_cpu_address: the lowest CPU address limit any dma-ranges in the tree
// imposes (the end of its highest range), or nullopt when no dma-ranges limits anything. arm64
// sizes ZONE_DMA with it.
std::optional<uint64_t> of_dma_get_max_cpu_address(const DeviceTree& tree);

}  // namespace platform
