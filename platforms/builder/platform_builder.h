// The builder behind Platform's constructor (platforms/builder/platform.h), shared by its files: one
// per family of models (cpu.cpp, interrupt_controller.cpp, memory.cpp, bus_master.cpp,
// pci_host_bridge.cpp), and platform.cpp, which visits the tree and wires what they add. Internal to
// platforms/builder/.
#pragma once

#include "dma/coherent_memory.h"
#include "platforms/builder/interrupts.h"
#include "platforms/builder/platform.h"
#include "platforms/builder/properties.h"

#include <algorithm>
#include <fmt/format.h>
#include <map>

namespace platform {

class Platform::Builder {
public:
    Builder(Platform& platform, const DeviceTree& tree, const PlatformOptions& options, models::Instrumentation& instr)
        : p_(platform), tree_(tree), options_(options), instr_(instr) {}

    void build();

private:
    // Formatting and checks the family files share.
    static constexpr uint64_t max_target_size = 1ULL << 40;  // bounds the sparse memory's page directory
    static std::string hex(uint64_t value);
    // The three cache properties `prefix` + size, line-size and sets (models::cache_geometry_properties)
    // must describe a whole set-associative array.
    static void check_geometry(const DtNode& node, const models::CacheGeometry& geometry, const std::string& prefix);
    static nlohmann::ordered_json geometry_json(const models::CacheGeometry& geometry);

    bool under(const DtNode& node, const std::string& prefix) const;

    void visit(const DtNode& node);

    // The builder of the model `node` describes, or nullptr when dmasim has none.
    using Adder = void (Builder::*)(const DtNode&);
    Adder adder_for(const DtNode& node) const;
    // `iommus` and `iommu-map` only on the masters that translate through an IOMMU: a bus master
    // and a PCI host bridge.
    void check_iommu_properties(const DtNode& node, Adder adder) const;
    // simple-bus: its children are visited; their reg is translated through its ranges.
    void add_simple_bus(const DtNode&) {}

    // Translates a bus address of `node` (in its parent's address space) to a system address.
    uint64_t system_address(const DtNode& node, uint64_t address) const;

    // system_address, for the readers of whole subtrees (PCI hosts, reserved memory).
    SystemAddress system_addresses() const;

    void add_core(const DtNode& node);

    void add_outer_cache(const DtNode& node);

    // A GIC-400 (GICv2) with its GICv2m frame child: reg = distributor, CPU interface (the
    // virtualization regions after them are not modelled).
    void add_interrupt_controller(const DtNode& node);

    // arm,msi-base-spi is an interrupt ID (>= 32), as Linux's gicv2m reads it.
    sw::MsiFrameInfo msi_frame(const DtNode& node, unsigned num_ids);

    void check_msi_frame_parent(const DtNode& node);

    void add_register_target(const std::string& name, const std::string& node, uint64_t base, uint64_t size,
                             models::TargetTiming timing, tlm::tlm_base_target_socket_b<>& socket,
                             const std::string& kind = "registers", const std::string& prop = "reg");

    // A PCI host bridge and the endpoints below it; its children are not visited as nodes.
    void add_pci_host(const DtNode& node);
    // A PCI host bridge dmasim has no model for (device_type "pci", not ECAM): reported, its
    // subtree skipped; its dma-ranges still count towards ZONE_DMA (of_dma_get_max_cpu_address).
    void report_unmodelled_pci_host(const DtNode& node);

    // INTx lines to the GIC's level inputs; bridges share nothing, endpoints of one bridge that
    // reach one ID share its line (the bridge ORs them).
    void wire_pci_interrupts(models::PciHostBridge& bridge, const PciHostSpec& spec);

    void add_memory(const DtNode& node);

    void add_smmu(const DtNode& node);

    // The global fault line (the model's index 0) and context bank n's (index 1 + n) to the GIC.
    void wire_smmu_interrupts(models::Smmu& smmu, const SmmuSpec& spec);

    // The SMMU `iommu` (a node path) that a master's `prop` (iommus, iommu-map) names.
    models::Smmu& smmu_of(const DtNode& master, const std::string& prop, const std::string& iommu);

    // Each master in front of an SMMU translates through it.
    void attach_iommu_masters();

    nlohmann::ordered_json iommus_json() const;

    void add_sram(const DtNode& node);

    void add_warnings(const OfDmaConfig& dma);

    void add_bus_master(const DtNode& node);

    // A device's line `line` to the GIC's level input its `interrupts` names (`irq`, as
    // read_level_interrupt read it): what drives it, or an empty function without an interrupt.
    std::function<void(bool asserted, uint64_t delay_ps)> wire_level_interrupt(const DtNode& node,
                                                                               std::optional<unsigned> irq,
                                                                               const std::string& line);

    // A multi-function device (platforms/builder/mfd.cpp); its cells are not visited as nodes.
    void add_mfd(const DtNode& node);
    // Its memory-region: a no-map shared-dma-pool, named for its driver.
    void resolve_mfd_pools();
    void wire_mfd(models::Mfd& mfd, const MfdSpec& spec);
    nlohmann::ordered_json mfds_json() const;

    void configure_kernel();

    // memory-region must name a shared-dma-pool: no-map, the device's own coherent memory
    // (rmem_dma_device_init), or reusable, its own CMA area (rmem_cma_device_init).
    void check_coherent_pools();
    // The path of the region `node`'s memory-region names, or nullopt without one or (with a
    // warning) when that region is not available.
    std::optional<std::string> memory_region(const DtNode& node);

    void add_reserved(const DtNode& node);

    // `prop`: the property that placed the region, named by its errors (`ranges` for a PCI window).
    void add_target(MemoryRegion region, const std::string& kind, const std::string& prop = "reg");

    void warn_reserved_outside_ram();

    void connect_outer_cache();

    void bind_targets();

    void attach_monitor(const DtNode& root);

    nlohmann::ordered_json dma_devices_json() const;

    nlohmann::ordered_json pci_json() const;

    // A bridge's iommu-map as describe shows it.
    static nlohmann::ordered_json iommu_map_json(const sw::PciIommuMap& map);

    // A device's IOMMU and stream IDs (with the SMR mask in bits 31:16) as describe shows them.
    static nlohmann::ordered_json fwspec_json(const dma::IommuFwspec& fwspec);

    // A per-device coherent pool as describe shows it.
    static nlohmann::ordered_json pool_json(const std::string& name, uint64_t size);

    // What the kernel will configure for the function (pci_dma_configure), its engine's and the bus's
    // limits and what the lower one reaches; its coherent pool is the bridge's local memory.
    nlohmann::ordered_json pci_endpoint_json(const PciHostSpec& spec, const PciEndpointSpec& endpoint) const;

    static nlohmann::ordered_json dma_profile_json(const BootParams& boot);
    nlohmann::ordered_json kernel_json() const;

    nlohmann::ordered_json reserved_json() const;

    Platform& p_;
    const DeviceTree& tree_;
    const PlatformOptions& options_;
    models::Instrumentation& instr_;
    std::vector<std::string> skipped_;
    std::vector<std::string> placed_by_;                      // per memories_ entry: the property that placed it
    std::vector<std::pair<DtNode, std::string>> pool_nodes_;  // device node, its memory-region's path
    std::vector<std::string> mfd_pool_nodes_;                 // per MFD: its memory-region's path, or empty
    std::optional<DtNode> outer_node_;
    models::OuterCacheConfig outer_config_;
    uint32_t outer_level_ = 2;
    RegEntry outer_registers_;
    std::string outer_phandle_node_;
    std::string cpu_node_;
    std::map<std::string, tlm::tlm_base_target_socket_b<>*> register_sockets_;  // register targets by region name
    nlohmann::ordered_json gic_json_;                                           // null without an interrupt controller
    unsigned dram_count_ = 0, sram_count_ = 0;
    nlohmann::ordered_json memory_map_json_ = nlohmann::ordered_json::array();
    nlohmann::ordered_json cores_json_ = nlohmann::ordered_json::array();
    nlohmann::ordered_json caches_json_ = nlohmann::ordered_json::array();
    nlohmann::ordered_json masters_json_ = nlohmann::ordered_json::array();
    nlohmann::ordered_json unmodelled_pci_json_ = nlohmann::ordered_json::array();
};

}  // namespace platform
