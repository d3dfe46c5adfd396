// What the platform tells the kernel about a PCI host bridge (pci-host-ecam-generic), in the
// kernel's terms: where ECAM is, the bus range, the outbound windows BARs are assigned from, the
// DMA configuration every function behind it gets (Linux's pci_dma_configure: of_dma_configure on
// the bridge's node), the IOMMU its functions translate through (iommu-map), its interrupt-map
// for INTx, whether it has an MSI controller, and its local memory, if any.
#pragma once

#include "dma/device.h"
#include "dma/iommu.h"
#include "models/common/dma_translator.h"
#include "sw/kernel/memory_layout.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sw {

// One entry of an interrupt-map: the child unit address's first cell (phys.hi: bus << 16 |
// devfn << 8) and the pin, as masked by interrupt-map-mask, and the interrupt ID they reach.
struct PciIntxMapEntry {
    uint32_t phys_hi = 0;
    uint32_t pin = 0;
    unsigned irq = 0;
};

struct PciIntxMap {
    uint32_t phys_hi_mask = 0xffffffff;  // interrupt-map-mask (the unit address's other cells are 0)
    uint32_t pin_mask = 0x7;
    std::vector<PciIntxMapEntry> entries;

    // Linux's of_irq_parse_and_map_pci for a function on the root bus (no swizzling): the
    // interrupt ID its pin (1..4) reaches, or nullopt.
    std::optional<unsigned> lookup(unsigned bus, unsigned devfn, unsigned pin) const;
};

// An outbound window (a `ranges` entry of the bridge: Linux's resource_entry in the host bridge's
// windows): CPU addresses [cpu_base, cpu_base + size) reach PCI memory space at pci_base.
struct PciBridgeWindow {
    uint64_t cpu_base = 0;
    uint64_t pci_base = 0;
    uint64_t size = 0;
    bool mem64 = false;
    bool prefetchable = false;
};

// A bridge's iommu-map and iommu-map-mask: its functions' requester IDs (bus << 8 | devfn) to the
// stream IDs of one IOMMU.
struct PciIommuMap {
    std::string iommu;  // the IOMMU's node path
    std::vector<models::IommuMapEntry> entries;
    uint32_t mask = 0xffffffff;  // iommu-map-mask
    uint32_t smr_mask = 0;       // the IOMMU's stream-match-mask, put in bits 31:16 of each ID (arm_smmu_of_xlate)

    // Linux's of_pci_iommu_init for the function with requester ID `rid` (of_map_id, then the
    // IOMMU's of_xlate); nullopt when no entry maps it: Linux then leaves the function off the
    // IOMMU, on the direct ops.
    std::optional<dma::IommuFwspec> fwspec(uint32_t rid) const;
};

struct PciHostBridgeInfo {
    std::string name;  // the bridge model's, e.g. "pci0"
    std::string node;  // device-tree path
    unsigned domain = 0;
    uint64_t ecam_base = 0;  // physical; bus bus_start's space first
    uint64_t ecam_size = 0;
    unsigned bus_start = 0;
    unsigned bus_end = 0;
    std::vector<PciBridgeWindow> windows;
    dma::DmaConfig dma;  // every function's; with an iommu_map, each mapped function's fwspec is added
    std::optional<PciIommuMap> iommu_map;
    PciIntxMap intx_map;
    bool msi = false;  // msi-parent: functions may use the kernel's MSI frame
    // Coherent memory on the bridge, at the same address for the CPU and on the PCI bus: the
    // coherent pool of every function behind the bridge.
    std::optional<PhysRange> local_memory;
};

// The coherent pool a bridge's local memory becomes, named after the bridge ("pci0-local-memory").
inline std::string local_memory_pool_name(const std::string& bridge) { return bridge + "-local-memory"; }

}  // namespace sw
