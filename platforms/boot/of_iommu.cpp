#include "platforms/boot/of_iommu.h"

#include <fmt/format.h>

namespace platform {

namespace {

constexpr uint32_t smr_field_max = 0xffff;  // the fwspec's ID and mask fields (Linux's ARM_SMMU_SMR_ID / _MASK)

// The IOMMU a phandle names, or nullopt (with a warning) when it is an IOMMU (it has
// #iommu-cells) that is disabled or that dmasim does not model: Linux's of_iommu_xlate then returns
// NO_IOMMU (no available node, or no driver for it) and the device does DMA without an IOMMU.
// A phandle to anything else stays an error.
std::optional<DtNode> iommu_target(const DtNode& node, const std::string& prop, uint32_t phandle,
                                   std::vector<std::string>& warnings) {
    std::optional<DtNode> target = node.tree().by_phandle(phandle);
    if (!target)
        node.fail(prop, fmt::format("the phandle of an IOMMU node, got {:#x} which no node has", phandle));
    const std::string compatible = fmt::format("\"{}\"", fmt::join(target->compatible(), "\", \""));
    if (target->has("#iommu-cells") && (!is_iommu(*target) || !target->is_available())) {
        warnings.push_back(fmt::format("node {}: property '{}': IOMMU {} ({}) is {}; DMA goes without it, as Linux's "
                                       "of_iommu_xlate leaves a device with no IOMMU driver (NO_IOMMU)",
                                       node.path(), prop, target->path(), compatible,
                                       target->is_available() ? "not modelled" : "disabled"));
        return std::nullopt;
    }
    if (!is_iommu(*target))
        node.fail(prop, fmt::format("a phandle to an IOMMU (compatible \"{}\"), got {} (compatible {})",
                                    smmu_compatible, target->path(), compatible));
    return target;
}

}  // namespace

bool is_iommu(const DtNode& node) { return node.is_compatible(smmu_compatible); }

uint32_t iommu_cells(const DtNode& iommu) {
    uint32_t cells = iommu.u32("#iommu-cells");
    if (cells != 1 && cells != 2)
        iommu.fail("#iommu-cells",
                   fmt::format("<1> (a stream ID) or <2> (a stream ID and an SMR mask), got <{}>", cells));
    return cells;
}

uint32_t arm_smmu_of_xlate(const DtNode& node, const std::string& prop, const DtNode& iommu,
                           const std::vector<uint32_t>& args) {
    if (args.at(0) > smr_field_max)
        node.fail(prop, fmt::format("a stream ID of at most 16 bits for {}, got {:#x}", iommu.path(), args[0]));
    if (args.size() > 1 && args[1] > smr_field_max)
        node.fail(prop, fmt::format("an SMR mask of at most 16 bits for {}, got {:#x}", iommu.path(), args[1]));
    uint32_t mask = args.size() > 1 ? args[1] : iommu.u32_or("stream-match-mask", 0);
    if (mask > smr_field_max)
        iommu.fail("stream-match-mask", fmt::format("an SMR mask of at most 16 bits, got {:#x}", mask));
    return args[0] | mask << 16;
}

std::optional<dma::IommuFwspec> of_iommu_configure_device(const DtNode& node, std::vector<std::string>& warnings) {
    if (!node.has("iommus"))
        return std::nullopt;
    std::vector<uint32_t> cells = node.cells("iommus");
    if (cells.empty())
        node.fail("iommus", "<&iommu stream-id> entries, got an empty property");
    dma::IommuFwspec fwspec;
    for (size_t i = 0; i < cells.size();) {
        std::optional<DtNode> target = iommu_target(node, "iommus", cells[i], warnings);
        if (!target)
            return std::nullopt;
        const DtNode& iommu = *target;
        uint32_t args = iommu_cells(iommu);
        if (cells.size() - i - 1 < args)
            node.fail("iommus", fmt::format("entries of a phandle and {} cell(s) (#iommu-cells of {}), got a "
                                            "truncated one",
                                            args, iommu.path()));
        if (!fwspec.iommu.empty() && fwspec.iommu != iommu.path())
            node.fail("iommus", fmt::format("entries naming one IOMMU (a device translates through one), got {} and {}",
                                            fwspec.iommu, iommu.path()));
        fwspec.iommu = iommu.path();
        fwspec.ids.push_back(arm_smmu_of_xlate(node, "iommus", iommu,
                                               std::vector<uint32_t>(cells.begin() + i + 1,
                                                                     cells.begin() + i + 1 + args)));
        i += 1 + args;
    }
    return fwspec;
}

std::optional<sw::PciIommuMap> of_pci_iommu_map(const DtNode& host, std::vector<std::string>& warnings) {
    if (!host.has("iommu-map"))
        return std::nullopt;
    constexpr size_t entry_cells = 4;
    std::vector<uint32_t> cells = host.cells("iommu-map");
    if (cells.empty() || cells.size() % entry_cells)
        host.fail("iommu-map",
                  fmt::format("entries of 4 cells, <rid-base &iommu sid-base length>, got {} cells", cells.size()));
    sw::PciIommuMap map;
    map.mask = host.u32_or("iommu-map-mask", map.mask);
    for (size_t i = 0; i < cells.size(); i += entry_cells) {
        uint32_t rid_base = cells[i], sid_base = cells[i + 2], length = cells[i + 3];
        if (rid_base & ~map.mask)
            host.fail("iommu-map",
                      fmt::format("rid-bases the iommu-map-mask ({:#x}) keeps, got rid-base {:#x} (Linux's "
                                  "of_map_id refuses the map)",
                                  map.mask, rid_base));
        std::optional<DtNode> target = iommu_target(host, "iommu-map", cells[i + 1], warnings);
        if (!target)
            return std::nullopt;
        const DtNode& iommu = *target;
        iommu_cells(iommu);
        if (!map.iommu.empty() && map.iommu != iommu.path())
            host.fail("iommu-map", fmt::format("entries naming one IOMMU (the bridge's inbound path goes through one), "
                                               "got {} and {}",
                                               map.iommu, iommu.path()));
        if (length == 0 || uint64_t(sid_base) + length - 1 > smr_field_max)
            host.fail("iommu-map", fmt::format("entries of 1 or more IDs mapped to 16-bit stream IDs, got sid-base "
                                               "{:#x} length {:#x}",
                                               sid_base, length));
        map.iommu = iommu.path();
        map.smr_mask = arm_smmu_of_xlate(host, "iommu-map", iommu, {0}) >> 16;  // what it adds to a one-cell ID
        map.entries.push_back(models::IommuMapEntry{rid_base, sid_base, length});
    }
    return map;
}

}  // namespace platform
