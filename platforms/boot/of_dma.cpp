#include "platforms/boot/of_dma.h"

#include "platforms/boot/of_iommu.h"

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

bool has_entries(const std::optional<std::vector<RangeEntry>>& ranges) { return ranges && !ranges->empty(); }

// Linux's of_translate_dma_address for a parent-side address of `bus`'s dma-ranges: carried up
// through the dma-ranges of each bus above it, below the root (whose children's addresses are CPU
// addresses). An empty or missing dma-ranges there is 1:1, as Linux's of_translate_one treats
// "dma-ranges"; an address no entry holds is Linux's failed translation, an error here.
uint64_t translate_to_cpu(const DtNode& bus, uint64_t address, uint64_t size) {
    if (!bus.parent())
        bus.fail("dma-ranges", "dma-ranges on a bus below the root (the root has no parent address space to "
                               "translate them into; Linux fails the translation)");
    for (std::optional<DtNode> level = bus.parent(); level->parent(); level = level->parent()) {
        std::optional<std::vector<RangeEntry>> ranges = level->ranges("dma-ranges");
        if (!has_entries(ranges))
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

// Where Linux's of_dma_get_range, walking up from `bus_np`, finds the dma-ranges that apply.
struct DmaRangesSearch {
    std::optional<DtNode> ranges;  // the first bus with non-empty dma-ranges
    // The bus without dma-ranges that ended the walk before any applied: past the first level, a
    // missing dma-ranges means no DMA translation through that bus (-ENODEV).
    std::optional<DtNode> stopped_at;
};

DmaRangesSearch of_dma_get_range(const DtNode& bus_np) {
    bool first = true;
    for (const DtNode& level : self_and_ancestors(bus_np)) {
        std::optional<std::vector<RangeEntry>> ranges = level.ranges("dma-ranges");
        if (has_entries(ranges))
            return {level, std::nullopt};
        if (!ranges && !first)
            return {std::nullopt, level};
        first = false;  // Linux lets the first level lack dma-ranges
    }
    return {};
}

bool overlap(uint64_t a_start, uint64_t b_start, uint64_t a_size, uint64_t b_size) {
    return a_start <= b_start + (b_size - 1) && b_start <= a_start + (a_size - 1);
}

std::vector<dma::DmaRange> dma_range_map(const DtNode& bus) {
    std::vector<dma::DmaRange> map;
    std::vector<RangeEntry> entries = bus.ranges("dma-ranges").value_or(std::vector<RangeEntry>{});
    for (const RangeEntry& entry : entries) {
        if (entry.size == 0 || entry.size - 1 > ~0ULL - entry.child_address ||
            entry.size - 1 > ~0ULL - entry.parent_address)
            bus.fail("dma-ranges", fmt::format("non-empty ranges that end below 2^64, got bus address {:#x} -> "
                                               "parent {:#x} size {:#x}",
                                               entry.child_address, entry.parent_address, entry.size));
        dma::DmaRange range{translate_to_cpu(bus, entry.parent_address, entry.size), entry.child_address, entry.size};
        // A bus address or a CPU address in two windows would make phys_to_dma / dma_to_phys ambiguous.
        for (const dma::DmaRange& other : map)
            if (overlap(range.dma_start, other.dma_start, range.size, other.size) ||
                overlap(range.cpu_start, other.cpu_start, range.size, other.size))
                bus.fail("dma-ranges",
                         fmt::format("windows that overlap neither in bus nor in CPU addresses, got bus "
                                     "{:#x} -> cpu {:#x} size {:#x} and bus {:#x} -> cpu {:#x} size {:#x}",
                                     other.dma_start, other.cpu_start, other.size, range.dma_start, range.cpu_start,
                                     range.size));
        map.push_back(range);
    }
    return map;
}

unsigned ilog2(uint64_t value) { return 63 - __builtin_clzll(value | 1); }

// Linux's of_dma_configure_id: the range map from the search starting at `bus_np` (none: no
// parent bus), coherence from `np` up.
OfDmaConfig configure(const DtNode& np, const std::optional<DtNode>& bus_np) {
    OfDmaConfig config;
    DmaRangesSearch search = bus_np ? of_dma_get_range(*bus_np) : DmaRangesSearch{};
    if (search.ranges) {
        config.ranges = dma_range_map(*search.ranges);
        config.ranges_node = search.ranges->path();
        uint64_t end = 0;
        for (const dma::DmaRange& range : config.ranges)
            end = std::max(end, range.dma_start + range.size - 1);
        config.bus_dma_limit = end;
        config.mask &= dma::dma_bit_mask(ilog2(end) + 1);
    } else if (search.stopped_at) {
        // Linux says nothing (pr_debug); dma-ranges further up that a user meant to apply do not.
        std::vector<DtNode> above = self_and_ancestors(*search.stopped_at);
        auto ignored = std::find_if(above.begin(), above.end(),
                                    [](const DtNode& level) { return has_entries(level.ranges("dma-ranges")); });
        if (ignored != above.end())
            config.warnings.push_back(fmt::format(
                "node {}: the dma-ranges of {} do not apply: {} between them has no dma-ranges, so no DMA "
                "translation passes through it (an empty `dma-ranges;` would pass addresses 1:1); the device gets "
                "no range map",
                np.path(), ignored->path(), search.stopped_at->path()));
    }
    for (const DtNode& level : self_and_ancestors(np)) {
        if (level.flag("dma-coherent") || level.flag("dma-noncoherent")) {
            config.coherent = level.flag("dma-coherent");
            config.coherent_node = level.path();
            break;
        }
    }
    return config;
}

}  // namespace

OfDmaConfig of_dma_configure(const DtNode& np) { return configure(np, np); }

// Linux's of_dma_configure_id with the device's own node: of_iommu_configure reads its `iommus`,
// and arch_setup_dma_ops gives it the IOMMU's ops when it names one.
OfDmaConfig of_dma_configure_device(const DtNode& node) {
    OfDmaConfig config = configure(node, node.parent());
    config.iommu = of_iommu_configure_device(node, config.warnings);
    if (config.iommu)
        config.ops = dma::IommuOps::ops_name;
    return config;
}

std::optional<MaxCpuAddress> of_dma_get_max_cpu_address(const DeviceTree& tree) {
    std::optional<MaxCpuAddress> lowest;
    for (const DtNode& node : tree.available_nodes()) {
        if (!has_entries(node.ranges("dma-ranges")))
            continue;
        uint64_t highest_end = 0;
        for (const dma::DmaRange& range : dma_range_map(node))
            highest_end = std::max(highest_end, range.cpu_start + range.size - 1);
        if (!lowest || highest_end < lowest->address)
            lowest = MaxCpuAddress{highest_end, node.path()};
    }
    return lowest;
}

}  // namespace platform
