// What the device tree says about the IOMMU a device translates through, read as Linux's
// drivers/iommu/of_iommu.c reads it, with the SMMU driver's of_xlate (arm_smmu_of_xlate) turning
// each specifier into a fwspec ID: the stream ID in bits 15:0, the SMR mask in bits 31:16.
//   iommus = <&smmu sid>, or <&smmu sid mask> when the SMMU has #iommu-cells = <2>: a platform
//     device's stream IDs (Linux's of_iommu_configure_device); with one cell the mask is the
//     SMMU node's stream-match-mask, if any;
//   iommu-map = <rid-base &smmu sid-base length> ..., iommu-map-mask: a PCI host bridge's
//     requester IDs to stream IDs (Linux's of_map_id, for of_pci_iommu_init).
// The IOMMUs dmasim models are Arm SMMU-500s ("arm,mmu-500", Linux's arm_smmu_of_match entry).
#pragma once

#include "dma/iommu.h"
#include "platforms/devicetree/device_tree.h"
#include "sw/drivers/pci/pci_host_bridge.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace platform {

constexpr const char* smmu_compatible = "arm,mmu-500";

bool is_iommu(const DtNode& node);

// The IOMMU node's #iommu-cells: 1 (stream ID) or 2 (stream ID, SMR mask); ConfigError otherwise.
uint32_t iommu_cells(const DtNode& iommu);

// Linux's arm_smmu_of_xlate: the fwspec ID of the specifier `args` of `iommu`. ConfigError (naming
// `node` and `prop`) for an ID or mask wider than the SMR's 16-bit fields.
uint32_t arm_smmu_of_xlate(const DtNode& node, const std::string& prop, const DtNode& iommu,
                           const std::vector<uint32_t>& args);

// A device node's `iommus`, or nullopt without one. ConfigError naming the node and `iommus` for a
// phandle to a node that is not an IOMMU, a truncated specifier, or entries naming two IOMMUs (a
// device has one fwspec: Linux's iommu_fwspec_init refuses a second IOMMU). An IOMMU that is
// disabled or not modelled gives nullopt and a warning, as Linux's of_iommu_xlate gives NO_IOMMU.
std::optional<dma::IommuFwspec> of_iommu_configure_device(const DtNode& node, std::vector<std::string>& warnings);

// A PCI host bridge's `iommu-map` and `iommu-map-mask`, or nullopt without iommu-map. ConfigError
// naming the node and property for a length that is not whole <rid-base &iommu sid-base length>
// entries (Linux's of_map_id: "Bad iommu-map length"), a rid-base the mask ignores (of_map_id
// refuses the map), a phandle to a node that is not an IOMMU, entries naming two IOMMUs (the
// bridge's inbound path goes through one), an empty entry, or stream IDs past 16 bits; nullopt and
// a warning for an IOMMU that is disabled or not modelled, as for iommus.
std::optional<sw::PciIommuMap> of_pci_iommu_map(const DtNode& host, std::vector<std::string>& warnings);

}  // namespace platform
