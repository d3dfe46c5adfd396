// What the kernel is told about physical memory at boot: the RAM ranges it may manage and the
// `reserved-memory` table, in sw/'s own terms (platforms/ converts its device-tree view into these).
#pragma once

#include "models/common/address_range.h"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sw {

using PhysRange = models::AddressRange;

// One child of /reserved-memory, as Linux's of_reserved_mem sees it.
struct ReservedArea {
    std::string name;              // node name, e.g. "linux,cma"; names the CMA area and its stats
    std::string node;              // device-tree path, for messages
    std::optional<uint64_t> base;  // static (`reg`); for a dynamic one, set once the kernel placed it
    uint64_t size = 0;
    uint64_t alignment = 0;               // dynamic placement only; 0 = page
    bool no_map = false;                  // not allocatable, not in the linear map
    bool reusable = false;                // a CMA area
    bool cma_default = false;             // `linux,cma-default`: the global CMA area
    bool dynamic = false;                 // set by the kernel when it placed the region (no `reg`)
    std::vector<PhysRange> alloc_ranges;  // `alloc-ranges`: a dynamic placement lies in the first that fits
};

// The reserved-memory table cannot be honoured (a dynamic region does not fit, a CMA area lies
// outside RAM, ...). The message names the node; callers turn it into a configuration error.
class ReservedMemoryError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace sw
