#include "platforms/boot/zone_dma.h"

#include "dma/types.h"
#include "platforms/boot/of_dma.h"

#include <algorithm>

namespace platform {

ZoneDma arm64_zone_dma(const DeviceTree& tree, uint64_t ram_start, uint64_t ram_end) {
    // The lowest reach of any dma-ranges (none: no limit), kept below 4 GiB when RAM starts there
    // (devices that rely on a low ZONE_DMA), and no further than RAM. A limit at or above 4 GiB
    // thus puts all low RAM in ZONE_DMA and leaves DMA32 empty, as Linux does.
    std::optional<MaxCpuAddress> max_cpu = of_dma_get_max_cpu_address(tree);
    uint64_t dt_limit = max_cpu ? max_cpu->address : ~0ULL;
    uint64_t cap = ram_start < dma::dma_bit_mask(32) ? dma::dma_bit_mask(32) : ~0ULL;
    uint64_t last = std::min({dt_limit, cap, ram_end - 1});
    ZoneDma zone;
    if (ram_end == 0 || last < ram_start)
        return zone;  // ZONE_DMA would hold no RAM
    zone.limit = last + 1;
    if (max_cpu && last == dt_limit) {
        zone.set_by = "dma-ranges";
        zone.node = max_cpu->node;
    } else {
        zone.set_by = last == cap ? "4 GiB cap" : "end of RAM";
    }
    return zone;
}

std::string zone_dma_bound_text(const std::string& set_by, const std::string& node) {
    return set_by == "dma-ranges" ? "the dma-ranges of " + node : "the " + set_by;
}

}  // namespace platform
