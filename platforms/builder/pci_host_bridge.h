// A pci-host-ecam-generic node read into what the platform builds (the bridge model, its endpoint
// models, the router's targets) and what the kernel is told (sw::PciHostBridgeInfo), with Linux's
// bindings:
//   reg            ECAM, and optionally coherent local memory: with reg-names = "ecam",
//                  "local-memory" (dmasim's name); without reg-names, one entry: ECAM
//   bus-range      the root bus and the last bus ECAM covers (default: as many as ECAM holds)
//   ranges         outbound windows, PCI addresses of 3 cells (phys.hi space code: 0x02 MEM32,
//                  0x03 MEM64, 0x40000000 prefetchable; I/O windows are ignored with a warning)
//   dma-ranges     inbound windows (of_dma_configure on the bridge: every function's DMA config);
//                  none: the functions see system addresses
//   dma-coherent   inbound traffic snoops the CPU's caches
//   interrupt-map, interrupt-map-mask, #interrupt-cells = <1>: INTx to GIC interrupts
//   msi-parent     a GICv2m frame (arm,gic-v2m-frame): MSI writes to its page pass untranslated
//   iommu-map, iommu-map-mask  requester IDs to the stream IDs of an IOMMU (platforms/boot/of_iommu.h):
//                  the functions it maps translate through it and get its DMA ops
//   external-facing  the functions behind it are untrusted (strict IOMMU unmaps, sub-page buffers bounced)
//   dmasim,latency-ns  of ECAM, window and local-memory accesses (200)
// Children: compatible = "pciVVVV,DDDD" (a model in platforms/builder/pci_endpoints.h), reg = <phys.hi
// 0 0 0 0> with phys.hi = bus << 16 | devfn << 8 (bus: the root bus), and optionally
// `interrupts` (the pin, 1..4 = INTA..INTD; default 1), class-code, revision-id,
// dmasim,dma-bits (32), dmasim,burst-size (128), dmasim,bandwidth-mbps (2000; 0: unlimited),
// dmasim,msi-vectors (the model's default).
#pragma once

#include "models/bus/router.h"
#include "models/pci/pci_host_bridge.h"
#include "platforms/boot/of_dma.h"
#include "platforms/builder/pci_endpoints.h"
#include "platforms/devicetree/device_tree.h"
#include "sw/drivers/pci/pci_host_bridge.h"

#include <optional>
#include <string>
#include <vector>

namespace platform {

struct PciEndpointSpec {
    std::string model;  // ep<N>
    std::string node;
    std::string compatible;
    const PciEndpointModel* type = nullptr;
    models::PciEndpointConfig config;
    std::optional<unsigned> intx_irq;  // the interrupt ID its pin reaches through the interrupt-map
};

struct PciHostSpec {
    std::string name;  // pci<N>
    std::string node;
    RegEntry ecam;  // system address; the size covers the bus range
    std::optional<RegEntry> local_memory;
    models::PciHostBridgeConfig bridge;
    OfDmaConfig dma;
    std::optional<sw::PciIommuMap> iommu_map;
    sw::PciIntxMap intx_map;
    std::optional<std::string> msi_parent;  // the GICv2m frame's node
    models::TargetTiming timing;
    std::vector<PciEndpointSpec> endpoints;
    std::vector<std::string> warnings;

    sw::PciHostBridgeInfo kernel_info(unsigned domain) const;
};

// Linux's iova_reserve_pci_windows: the bus addresses no function behind the bridge may be given as
// IOVAs: its outbound windows (a request there is peer-to-peer, to a BAR) and, with dma-ranges, the
// gaps below, between and above them (no inbound window leads there), each gap reserved as Linux
// reserves it: up to and including the next window's first address.
std::vector<dma::BusRange> iova_reserve_pci_windows(const PciHostSpec& spec);

// ConfigError naming the node and property for anything malformed. Endpoints are numbered from
// `first_endpoint`.
PciHostSpec read_pci_host(const DeviceTree& tree, const DtNode& node, const std::string& name, uint32_t first_endpoint,
                          const SystemAddress& system_address);

}  // namespace platform
