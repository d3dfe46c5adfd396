// What Linux's of_dma_configure derives from the device tree for one device: the range map and
// bus limit from the nearest non-empty `dma-ranges` up the tree (Linux's of_dma_get_range), the
// DMA mask that limit implies, coherence from `dma-coherent` / `dma-noncoherent` up the tree, and
// the ops the kernel gives the device.
#pragma once

#include "dma/device.h"
#include "dma/direct_ops.h"
#include "dma/iommu_ops.h"
#include "platforms/devicetree/device_tree.h"

#include <optional>
#include <string>
#include <vector>

namespace platform {

struct OfDmaConfig {
    std::vector<dma::DmaRange> ranges;  // empty: the device sees system addresses unchanged
    uint64_t bus_dma_limit = 0;         // the highest bus address of the ranges; 0 without ranges
    // The default 32-bit mask cut to the ranges' end (Linux: DMA_BIT_MASK(ilog2(end) + 1)).
    uint64_t mask = dma::dma_bit_mask(32);
    bool coherent = false;                     // ARM's default: DMA does not snoop
    std::optional<std::string> ranges_node;    // the node whose dma-ranges apply
    std::optional<std::string> coherent_node;  // the node whose dma-coherent / dma-noncoherent decided
    // Linux's arch_setup_dma_ops: the IOMMU's ops for a device that names one, else direct mapping.
    std::string ops = dma::DirectOps::ops_name;
    // The IOMMU the device translates through (Linux's of_iommu_configure), if any.
    std::optional<dma::IommuFwspec> iommu;
    bool untrusted = false;  // Linux's removable / untrusted device: strict unmaps, sub-page bounces
    // What Linux passes over quietly but a user should know ("node ...: ..."; the caller adds the file).
    std::vector<std::string> warnings;

    // What the kernel applies to the device (dma::dma_configure).
    dma::DmaConfig dma_config() const {
        return dma::DmaConfig{ranges, bus_dma_limit, mask, coherent, iommu, untrusted};
    }
};

// Linux's of_dma_configure(dev, np) for a device without a node of its own: a PCI function, whose
// `np` is its host bridge's node. The dma-ranges search starts at `np` itself.
OfDmaConfig of_dma_configure(const DtNode& np);
// The same for a device described by `node` (Linux's np == dev->of_node): dma-ranges is a bus
// property, so the search starts at the node's parent bus; the node's `iommus` name its IOMMU
// (platforms/boot/of_iommu.h).
OfDmaConfig of_dma_configure_device(const DtNode& node);

// Linux's of_dma_get_max_cpu_address: the lowest CPU address limit any dma-ranges in the tree
// imposes (the end of its highest range) and the node whose dma-ranges impose it, or nullopt when
// no dma-ranges limits anything. arm64 sizes ZONE_DMA with it.
struct MaxCpuAddress {
    uint64_t address = 0;
    std::string node;
};
std::optional<MaxCpuAddress> of_dma_get_max_cpu_address(const DeviceTree& tree);

}  // namespace platform
