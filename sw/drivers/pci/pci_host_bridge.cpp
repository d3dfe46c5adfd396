#include "sw/drivers/pci/pci_host_bridge.h"

namespace sw {

std::optional<unsigned> PciIntxMap::lookup(unsigned bus, unsigned devfn, unsigned pin) const {
    uint32_t phys_hi = (bus << 16 | devfn << 8) & phys_hi_mask;
    for (const PciIntxMapEntry& entry : entries)
        if (entry.phys_hi == phys_hi && entry.pin == (pin & pin_mask))
            return entry.irq;
    return std::nullopt;
}

std::optional<dma::IommuFwspec> PciIommuMap::fwspec(uint32_t rid) const {
    bool found = false;
    uint32_t stream_id = models::map_requester_id(entries, mask, rid, found);
    if (!found)
        return std::nullopt;
    return dma::IommuFwspec{iommu, {stream_id | smr_mask << 16}};
}

}  // namespace sw
