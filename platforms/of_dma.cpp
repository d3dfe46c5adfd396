#include "platforms/of_dma.h"

#include <algorithm>
#include <fmt/format.h>

namespace platform {

namespace {

// The node itself, then its ancestors (Linux's of_get_next_dma_parent without interconnects).
std::vector<DtNode> self_and_ancestors(const DtNode& node) {
    std::vector<DtNode> chain{node};
    for (std::optional<DtNode> parent = node.parent(); parent; parent = parent->parent())
        chain.push_back(*parent);
    return chain;
}

// A parent-side address of `bus`'s dma-ranges, carried up through the dma-ranges above it
// (Linux's of_translate_dma_address); identity where a level has none or an empty one.
uint64_t translate_to_cpu(const DtNode& bus, uint64_t address, uint64_t size) {
    for (std::optional<DtNode> level = bus.parent(); level; level = level->parent()) {
        std::optional<std::vector<RangeEntry>> ranges = level->ranges("dma-ranges");
        if (!ranges || ranges->empty())
            continue;
        auto hit = std::find_if(ranges->begin(), ranges->end(), [&](const RangeEntry& r) {
            return address >= r.child_address && address - r.child_address + size <= r.size;
        });
        if (hit == ranges->end())
            bus.fail("dma-ranges", fmt::format("parent addresses inside the dma-ranges of {}, got [{:#x}, {:#x})",
                                               level->path(), address, address + size));
        address = hit->parent_address + (address - hit->child_address);
    }
    return address;
}

std::optional<DtNode> nearest_dma_ranges(const DtNode& node) {
    for (const DtNode& level : self_and_ancestors(node)) {
        std::optional<std::vector<RangeEntry>> ranges = level.ranges("dma-ranges");
        if (ranges && !ranges->empty())
            return level;
    }
    return std::nullopt;
}

std::vector<dma::DmaRange> dma_range_map(const DtNode& bus) {
    std::vector<dma::DmaRange> map;
    std::vector<RangeEntry> entries = bus.ranges("dma-ranges").value_or(std::vector<RangeEntry>{});
    for (const RangeEntry& entry : entries) {
        if (entry.size == 0 || entry.size - 1 > ~0ULL - entry.child_address)
            bus.fail("dma-ranges", fmt::format("non-empty ranges that end below 2^64, got bus address {:#x} size "
                                               "{:#x}", entry.child_address, entry.size));
        map.push_back({translate_to_cpu(bus, entry.parent_address, entry.size), entry.child_address, entry.size});
    }
    return map;
}

unsigned ilog2(uint64_t value) { return 63 - __builtin_clzll(value | 1); }

}  // namespace

OfDmaConfig of_dma_configure(const DtNode& node) {
    OfDmaConfig config;
    if (std::optional<DtNode> bus = nearest_dma_ranges(node)) {
        config.ranges = dma_range_map(*bus);
        config.ranges_node = bus->path();
        uint64_t dma_start = ~0ULL, end = 0;
        for (const dma::DmaRange& range : config.ranges) {
            dma_start = std::min(dma_start, range.dma_start);
            end = std::max(end, range.dma_start + range.size - 1);
        }
        config.bus_dma_limit = end;
        config.mask &= dma::dma_bit_mask(ilog2(end) + 1);
    }
    for (const DtNode& level : self_and_ancestors(node)) {
        if (level.flag("dma-coherent") || level.flag("dma-noncoherent")) {
            config.coherent = level.flag("dma-coherent");
            config.coherent_node = level.path();
            break;
        }
    }
    return config;
}

std::optional<uint64_t> of_dma_get_max_cpu_address(const DeviceTree& tree) {
    std::optional<uint64_t> lowest;
    for (const DtNode& node : tree.all_nodes()) {
        std::optional<std::vector<RangeEntry>> ranges = node.ranges("dma-ranges");
        if (!ranges || ranges->empty())
            continue;
        uint64_t highest_end = 0;
        for (const dma::DmaRange& range : dma_range_map(node))
            highest_end = std::max(highest_end, range.cpu_start + range.size - 1);
        lowest = std::min(lowest.value_or(~0ULL), highest_end);
    }
    return lowest;
}

}  // namespace platform
