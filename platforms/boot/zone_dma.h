// Where ZONE_DMA ends, by arm64's rule (zone_sizes_init, max_zone_phys), and what set that limit.
#pragma once

#include "platforms/devicetree/device_tree.h"

#include <cstdint>
#include <string>

namespace platform {

struct ZoneDma {
    uint64_t limit = 0;  // 0: the limit lies below RAM (ZONE_DMA empty)
    std::string set_by;  // "dma-ranges", "4 GiB cap" or "end of RAM"; empty without ZONE_DMA
    std::string node;    // the node whose dma-ranges set it, when they did
};

// The lowest CPU address any dma-ranges of `tree` reaches, capped at 4 GiB when RAM starts below
// it, and at the end of RAM; RAM spans [ram_start, ram_end) of the memory nodes (ram_end 0: none).
ZoneDma arm64_zone_dma(const DeviceTree& tree, uint64_t ram_start, uint64_t ram_end);

// What ended ZONE_DMA (ZoneDma::set_by and, for dma-ranges, their node), as people read it.
std::string zone_dma_bound_text(const std::string& set_by, const std::string& node);

}  // namespace platform
