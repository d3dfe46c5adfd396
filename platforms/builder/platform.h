// Builds a platform from a device tree: models chosen by `compatible`, wired through one router
// whose address map is the tree's. Unknown compatibles are skipped with a warning; missing or
// malformed required properties are ConfigErrors naming the node and property.
#pragma once

#include "models/bus/bus_master.h"
#include "models/bus/memory.h"
#include "models/bus/router.h"
#include "models/coherence/coherence_monitor.h"
#include "models/cpu/core.h"
#include "models/cpu/outer_cache.h"
#include "models/iommu/smmu.h"
#include "models/irq/interrupt_controller.h"
#include "models/mfd/mfd.h"
#include "platforms/boot/boot_params.h"
#include "platforms/boot/of_dma.h"
#include "platforms/boot/reserved_memory.h"
#include "platforms/boot/zone_dma.h"
#include "platforms/builder/pci_host_bridge.h"
#include "platforms/devicetree/device_tree.h"
#include "sw/drivers/dma/bus_master.h"
#include "sw/drivers/iommu/arm_smmu.h"
#include "sw/drivers/mfd/mfd_info.h"
#include "sw/kernel/kernel.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace platform {

struct PlatformOptions {
    std::optional<bool> monitor;         // overrides the tree's dmasim,coherence-monitor
    std::optional<uint64_t> quantum_ps;  // overrides the cpu's dmasim,quantum-ns
    uint64_t seed = 1;                   // seeds the prefetchers
    size_t max_hazard_details = 100;
};

struct MemoryRegion {
    std::string name;  // model name, e.g. "dram0"
    std::string node;  // device-tree path
    uint64_t base = 0, size = 0;
    bool ram = false;  // memory nodes (the kernel's RAM and linear map, less no-map regions); false for SRAM
    models::TargetTiming timing;
    // On-chip SRAM a device's no-map shared-dma-pool may lie in (an mmio-sram, an MFD's local SRAM),
    // as Linux reserves device memory: not RAM, yet valid coherent memory.
    bool device_memory = false;
};

// A DMA-capable device node and what the kernel configures for it (Linux's of_dma_configure and
// of_reserved_mem_device_init): the layer creates one dma::Device per spec after boot.
struct DmaDeviceSpec {
    std::string name;  // the node's name, as Linux's dev_name, e.g. "dma-agent@1000000"
    std::string node;
    std::string model;  // the bus master doing its DMA, e.g. "dma0"
    OfDmaConfig dma;
    std::optional<std::string> coherent_pool;  // memory-region: a no-map shared-dma-pool's name
    std::optional<std::string> cma_area = {};  // memory-region: a reusable shared-dma-pool's name (CMA)
};

// An IOMMU node (arm,mmu-500): what its driver is told (registers, interrupts; disable_bypass comes
// from the boot parameters, see Platform::kernel_iommus) and the SMMU's own DMA device (Linux's
// smmu->dev), whose coherence (dma-coherent) decides how the driver writes its page tables.
struct SmmuSpec {
    std::string model;  // smmu<N>
    sw::ArmSmmuInfo info;
    DmaDeviceSpec dma;
    uint32_t iommu_cells = 1;
    // Its interrupt lines by the model's index (global fault, then context bank n's): smmu<N>.global,
    // smmu<N>.context<n>; each one's level is the event irq.<line>.
    std::vector<std::string> irq_lines;
};

// A multi-function device (dmasim,mfd, docs/models/mfd.md): the model, what its driver is told, and
// its own DMA device (of_dma_configure). Its coherent pool (info.memory_region) is not assigned at
// boot: the driver assigns it, as Linux's of_reserved_mem_device_init_by_idx does at probe, or its
// cells declare slices of the SRAM instead (info.declare_sram, from bootargs).
struct MfdSpec {
    std::string model;  // mfd<N>
    sw::MfdInfo info;
    DmaDeviceSpec dma;
};

class Platform {
public:
    Platform(const DeviceTree& tree, const PlatformOptions& options, models::Instrumentation& instr);
    ~Platform();

    models::Core& core() { return *core_; }
    models::OuterCache* outer_cache() { return outer_.get(); }
    models::Router& bus() { return *bus_; }
    models::CoherenceMonitor* monitor() { return monitor_.get(); }
    std::vector<models::BusMaster*> bus_masters() const;
    // The bus masters in their driver's terms (registers, buffer, interrupt), in the same order.
    const std::vector<sw::BusMasterInfo>& kernel_bus_masters() const { return bus_master_infos_; }
    // The IOMMUs (arm,mmu-500), in tree order; their own DMA devices are not among dma_devices().
    const std::vector<SmmuSpec>& iommus() const { return smmu_specs_; }
    std::vector<models::Smmu*> smmus() const;
    // The IOMMUs in their driver's terms, in the same order, with arm-smmu.disable_bypass from bootargs.
    std::vector<sw::ArmSmmuInfo> kernel_iommus() const;
    // The MFDs (dmasim,mfd), in tree order, and their models in the same order.
    const std::vector<MfdSpec>& mfds() const { return mfd_specs_; }
    std::vector<models::Mfd*> mfd_models() const;
    const std::vector<MemoryRegion>& memories() const { return memories_; }
    const std::vector<ReservedRegion>& reserved() const { return reserved_; }
    const std::vector<DmaDeviceSpec>& dma_devices() const { return dma_devices_; }
    const BootParams& boot_params() const { return boot_params_; }
    // Where ZONE_DMA ends, by arm64's rule (zone_sizes_init): the lowest CPU address any dma-ranges
    // reaches, capped at 4 GiB when RAM starts below it, and at the end of RAM; 0 when the limit
    // lies below RAM (ZONE_DMA empty).
    uint64_t zone_dma_limit() const { return zone_dma_.limit; }
    // What set that limit, as describe and errors name it: "the dma-ranges of /soc", "the 4 GiB
    // cap" or "the end of RAM"; empty without ZONE_DMA.
    std::string zone_dma_bound() const;
    // The device tree's file name, as errors name it.
    const std::string& source_name() const { return source_name_; }
    const std::vector<std::string>& warnings() const { return warnings_; }

    // RAM the kernel may use: memory nodes minus `no-map` reserved regions.
    std::vector<sw::PhysRange> kernel_ram() const;
    // The reserved-memory table in the kernel's terms (sw::Kernel places the dynamic regions).
    std::vector<sw::ReservedArea> kernel_reserved() const;
    std::optional<uint64_t> outer_cache_registers() const { return outer_registers_; }
    // The GIC (arm,gic-400) wired to the core, or null; device models raise interrupts on it.
    models::InterruptController* interrupt_controller() { return gic_.get(); }
    // Its registers and MSI frame in the kernel's terms.
    std::optional<sw::InterruptControllerInfo> interrupt_controller_info() const { return gic_info_; }

    // PCI host bridges (pci-host-ecam-generic) and their endpoint models, in tree order.
    const std::vector<PciHostSpec>& pci_hosts() const { return pci_hosts_; }
    std::vector<models::PciHostBridge*> pci_bridges() const;
    const std::vector<std::unique_ptr<models::PciEndpoint>>& pci_endpoints() const { return pci_endpoints_; }
    // The bridges in the kernel's terms (domain = index), for the PCI core's enumeration.
    std::vector<sw::PciHostBridgeInfo> kernel_pci_hosts() const;

    // Whether `spec`'s device can take [base, base+size) of its memory-region as its coherent pool:
    // page-aligned (Linux's dma_init_coherent_memory), inside a memory node or an on-chip SRAM, and inside the
    // device's dma-ranges (its handles are the device's phys_to_dma of the pages). ConfigError
    // naming the device's memory-region otherwise. The builder checks every pool, a dynamic one
    // (no `base` yet) for its size only; DmaSystem checks that one again once the kernel placed it.
    void check_coherent_pool(const DmaDeviceSpec& spec, std::optional<uint64_t> base, uint64_t size) const;
    // Whether [base, base+size) lies inside one memory node (RAM, not SRAM).
    bool inside_ram(uint64_t base, uint64_t size) const;
    // Whether [base, base+size) lies inside one on-chip SRAM (MemoryRegion::device_memory).
    bool inside_device_memory(uint64_t base, uint64_t size) const;

    // Everything `dmasim describe` prints, also recorded in config.json.
    const nlohmann::ordered_json& description() const { return description_; }

private:
    class Builder;
    std::unique_ptr<models::Router> bus_;
    std::unique_ptr<models::Core> core_;
    std::unique_ptr<models::OuterCache> outer_;
    std::vector<std::unique_ptr<models::Memory>> memory_models_;
    std::vector<std::unique_ptr<models::BusMaster>> masters_;
    std::vector<sw::BusMasterInfo> bus_master_infos_;
    std::vector<std::unique_ptr<models::Smmu>> smmus_;
    std::vector<SmmuSpec> smmu_specs_;
    std::vector<std::unique_ptr<models::Mfd>> mfds_;
    std::vector<MfdSpec> mfd_specs_;
    std::unique_ptr<models::CoherenceMonitor> monitor_;
    std::unique_ptr<models::InterruptController> gic_;
    std::vector<std::unique_ptr<models::PciHostBridge>> pci_bridges_;
    std::vector<std::unique_ptr<models::PciEndpoint>> pci_endpoints_;
    std::vector<PciHostSpec> pci_hosts_;
    std::optional<sw::InterruptControllerInfo> gic_info_;
    std::vector<MemoryRegion> memories_;
    std::vector<ReservedRegion> reserved_;
    std::vector<DmaDeviceSpec> dma_devices_;
    BootParams boot_params_;
    ZoneDma zone_dma_;
    std::string source_name_;
    std::vector<std::string> warnings_;
    std::optional<uint64_t> outer_registers_;
    nlohmann::ordered_json description_;
};

}  // namespace platform
