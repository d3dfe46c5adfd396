// Children of /reserved-memory (Linux's reserved-memory binding) read into what the platform
// describes and what the kernel is told (sw::ReservedArea, and RAM less the no-map regions):
//   reg or size    static placement, or a dynamic one the kernel makes (non-zero size)
//   alignment      of a dynamic placement (a power of two; default: page)
//   no-map         left out of the kernel's RAM and linear map
//   reusable       a CMA area; at most one of no-map and reusable
//   linux,cma-default  the global CMA area
//   alloc-ranges   of a dynamic region: (address, size) pairs in the root's cells, tried in order
#pragma once

#include "platforms/devicetree/device_tree.h"
#include "sw/kernel/memory_layout.h"

#include <optional>
#include <string>
#include <vector>

namespace platform {

struct ReservedRegion {
    std::string name;
    std::string node;
    std::optional<uint64_t> base;  // static placement from `reg`, else dynamic (`size`)
    uint64_t size = 0;
    uint64_t alignment = 0;
    bool no_map = false;
    bool reusable = false;
    bool cma_default = false;
    std::vector<sw::PhysRange> alloc_ranges;  // of a dynamic region: where it may be placed
    std::vector<std::string> compatible;

    sw::ReservedArea kernel_area() const;
};

// A direct child of /reserved-memory; ConfigError naming the node and property if malformed.
ReservedRegion read_reserved_region(const DtNode& node, const SystemAddress& system_address);

// `ram` less the no-map regions placed in it.
std::vector<sw::PhysRange> without_no_map(std::vector<sw::PhysRange> ram, const std::vector<ReservedRegion>& reserved);

}  // namespace platform
