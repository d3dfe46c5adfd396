#include "platforms/boot/reserved_memory.h"

namespace platform {

sw::ReservedArea ReservedRegion::kernel_area() const {
    sw::ReservedArea area;
    area.name = name;
    area.node = node;
    area.base = base;
    area.size = size;
    area.alignment = alignment;
    area.no_map = no_map;
    area.reusable = reusable;
    area.cma_default = cma_default;
    area.alloc_ranges = alloc_ranges;
    return area;
}

ReservedRegion read_reserved_region(const DtNode& node, const SystemAddress& system_address) {
    ReservedRegion region;
    region.name = node.name();
    region.node = node.path();
    region.no_map = node.flag("no-map");
    region.reusable = node.flag("reusable");
    region.cma_default = node.flag("linux,cma-default");
    region.compatible = node.compatible();
    region.alignment = node.u64_or("alignment", 0);
    if (region.no_map && region.reusable)
        node.fail("reusable", "at most one of no-map and reusable");
    if (node.has("reg")) {
        std::vector<RegEntry> reg = node.reg();
        if (reg.empty())
            node.fail("reg", "one (address, size) region");
        region.base = system_address(node, reg[0].address);
        region.size = reg[0].size;
    } else {
        region.size = node.u64("size");
        // Linux's __reserved_mem_alloc_size reads it with the root's cell counts (dt_root_addr_cells,
        // dt_root_size_cells), untranslated: CPU physical addresses.
        if (node.has("alloc-ranges")) {
            const DtNode root = node.tree().root();
            const uint32_t address_cells = root.address_cells(), size_cells = root.size_cells();
            const std::vector<uint32_t> cells = node.cells("alloc-ranges");
            const size_t entry = address_cells + size_cells;
            if (cells.empty() || cells.size() % entry)
                node.fail("alloc-ranges", "(address, size) pairs of " + std::to_string(address_cells) + "+" +
                                              std::to_string(size_cells) +
                                              " cells (the root's #address-cells and #size-cells)");
            auto join = [&](size_t at, uint32_t count) {
                uint64_t value = 0;
                for (uint32_t i = 0; i < count; ++i)
                    value = value << 32 | cells[at + i];
                return value;
            };
            for (size_t i = 0; i < cells.size(); i += entry)
                region.alloc_ranges.push_back(sw::PhysRange{join(i, address_cells),
                                                            join(i + address_cells, size_cells)});
        }
    }
    if (region.size == 0)
        node.fail(node.has("reg") ? "reg" : "size", "a non-zero size");
    if (region.alignment & (region.alignment - 1))
        node.fail("alignment", "a power of two");
    return region;
}

std::vector<sw::PhysRange> without_no_map(std::vector<sw::PhysRange> ram, const std::vector<ReservedRegion>& reserved) {
    for (const ReservedRegion& hole : reserved) {
        if (!hole.no_map || !hole.base)
            continue;
        std::vector<sw::PhysRange> cut;
        for (const sw::PhysRange& range : ram) {
            uint64_t hole_end = *hole.base + hole.size;
            if (hole_end <= range.base || *hole.base >= range.end()) {
                cut.push_back(range);
                continue;
            }
            if (*hole.base > range.base)
                cut.push_back(sw::PhysRange{range.base, *hole.base - range.base});
            if (hole_end < range.end())
                cut.push_back(sw::PhysRange{hole_end, range.end() - hole_end});
        }
        ram = std::move(cut);
    }
    return ram;
}

}  // namespace platform
