// The platform builder's IOMMUs (arm,mmu-500, docs/models/iommu.md): the SMMU model with its
// register file on the router and its walker on the bus, its interrupts, what its driver is told,
// its own DMA device, and the masters in front of it (a bus master's `iommus`, a PCI host bridge's
// `iommu-map`), as Linux's arm-smmu binding and arm_smmu_device_probe read the node:
//   reg                 the register file (at least the model's register_file_size())
//   #global-interrupts  required: the global fault interrupts leading `interrupts` (the model has one)
//   interrupts          the global fault interrupt, then the context interrupts: at least one per
//                       context bank (Linux refuses fewer; the ones past the banks are ignored)
//   #iommu-cells        1 (stream ID) or 2 (stream ID, SMR mask); stream-match-mask with 1
//   dma-coherent        table walks snoop the CPU's caches (ID0.CTTW); the SMMU's own DMA device
//                       is coherent, so its driver does not clean the descriptors it writes
//   dmasim,*            the model's (models::Smmu::properties())
#include "platforms/builder/platform_builder.h"

#include "platforms/boot/of_iommu.h"

namespace platform {

void Platform::Builder::add_smmu(const DtNode& node) {
    std::string name = fmt::format("smmu{}", p_.smmus_.size());
    models::SmmuConfig config = read_properties(node, models::Smmu::properties());
    config.id = static_cast<uint32_t>(p_.smmus_.size());
    OfDmaConfig dma = of_dma_configure_device(node);
    add_warnings(dma);
    config.coherent_walk = dma.coherent;
    std::string problem = models::Smmu::config_error(config);
    if (!problem.empty())
        throw ConfigError(fmt::format("{}: node {}: {}", tree_.source_name(), node.path(), problem));
    uint32_t cells = iommu_cells(node);
    auto smmu = std::make_unique<models::Smmu>(name.c_str(), config, instr_);
    std::vector<RegEntry> reg = node.reg();
    if (reg.size() != 1 || reg[0].size < smmu->register_file_size())
        node.fail("reg", fmt::format("one region for the register file, of at least {:#x} bytes ({} context banks)",
                                     smmu->register_file_size(), config.context_banks));
    uint32_t global_count = node.u32("#global-interrupts");
    if (global_count != 1)
        node.fail("#global-interrupts",
                  fmt::format("<1>: the model raises one global fault interrupt, got <{}>", global_count));
    std::vector<unsigned> irqs = read_level_interrupts(node);
    if (irqs.size() < global_count + config.context_banks)
        node.fail("interrupts", fmt::format("{} global fault interrupt(s), then one per context bank ({}), as Linux's "
                                            "arm-smmu requires; got {} interrupt(s)",
                                            global_count, config.context_banks, irqs.size()));
    SmmuSpec spec;
    spec.model = name;
    spec.dma = DmaDeviceSpec{node.name(), node.path(), name, dma, std::nullopt};
    spec.iommu_cells = cells;
    spec.info.name = node.name();
    spec.info.node = node.path();
    spec.info.registers = system_address(node, reg[0].address);
    spec.info.registers_size = reg[0].size;
    spec.info.global_irqs.assign(irqs.begin(), irqs.begin() + global_count);
    spec.info.context_irqs.assign(irqs.begin() + global_count, irqs.begin() + global_count + config.context_banks);
    spec.irq_lines.push_back(name + ".global");
    for (unsigned bank = 0; bank < config.context_banks; ++bank)
        spec.irq_lines.push_back(fmt::format("{}.context{}", name, bank));
    models::TargetTiming timing = read_properties(node, models::register_timing_properties());
    add_register_target(name + "_regs", node.path(), spec.info.registers, spec.info.registers_size, timing,
                        smmu->cfg_in);
    p_.smmus_.push_back(std::move(smmu));
    p_.smmu_specs_.push_back(std::move(spec));
}

// The global fault line (the model's index 0) and context bank n's (index 1 + n) to the GIC.
void Platform::Builder::wire_smmu_interrupts(models::Smmu& smmu, const SmmuSpec& spec) {
    models::InterruptController* gic = p_.gic_.get();
    const DtNode node = tree_.at(spec.info.node);
    std::vector<unsigned> ids = spec.info.global_irqs;
    ids.insert(ids.end(), spec.info.context_irqs.begin(), spec.info.context_irqs.end());
    for (size_t index = 0; index < ids.size(); ++index) {
        if (!gic || ids[index] < gic::first_spi || ids[index] >= gic->config().num_ids)
            node.fail("interrupts", fmt::format("SPIs of the GIC (interrupt IDs 32 to {}), got {}",
                                                gic ? gic->config().num_ids - 1 : 0, ids[index]));
        const std::string& line = spec.irq_lines[index];
        try {
            gic->connect_line(ids[index], line);
        } catch (const std::invalid_argument& taken) {
            node.fail("interrupts", fmt::format("interrupts no other line drives, got {} for {} ({})", ids[index], line,
                                                taken.what()));
        }
    }
    smmu.set_irq_level([gic, ids](unsigned index, bool asserted, uint64_t delay_ps) {
        gic->set_level(ids.at(index), asserted, sc_core::sc_time::from_value(delay_ps));
    });
}

// The SMMU a master's `prop` (iommus, iommu-map) names.
models::Smmu& Platform::Builder::smmu_of(const DtNode& master, const std::string& prop, const std::string& iommu) {
    for (size_t i = 0; i < p_.smmu_specs_.size(); ++i)
        if (p_.smmu_specs_[i].info.node == iommu)
            return *p_.smmus_[i];
    master.fail(prop, fmt::format("an IOMMU the platform has built, got {} (skipped: see the warnings)", iommu));
}

// Each master in front of an SMMU translates through it: a bus master with its one stream ID, a
// PCI host bridge's inbound path with its requester IDs mapped by the iommu-map.
void Platform::Builder::attach_iommu_masters() {
    for (size_t i = 0; i < p_.masters_.size(); ++i) {
        const DmaDeviceSpec& spec = p_.dma_devices_[i];
        if (spec.dma.iommu)
            p_.masters_[i]->set_iommu(smmu_of(tree_.at(spec.node), "iommus", spec.dma.iommu->iommu),
                                      p_.masters_[i]->config().stream_id);
    }
    for (size_t i = 0; i < p_.pci_hosts_.size(); ++i) {
        const PciHostSpec& host = p_.pci_hosts_[i];
        if (host.iommu_map)
            p_.pci_bridges_[i]->set_iommu(smmu_of(tree_.at(host.node), "iommu-map", host.iommu_map->iommu),
                                          host.iommu_map->entries, host.iommu_map->mask);
    }
}

nlohmann::ordered_json Platform::Builder::iommus_json() const {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (size_t i = 0; i < p_.smmu_specs_.size(); ++i) {
        const SmmuSpec& spec = p_.smmu_specs_[i];
        const models::SmmuConfig& config = p_.smmus_[i]->config();
        const std::optional<std::string>& coherent_node = spec.dma.dma.coherent_node;
        list.push_back({{"name", spec.model},
                        {"node", spec.info.node},
                        {"compatible", smmu_compatible},
                        {"registers", hex(spec.info.registers)},
                        {"registers_size", spec.info.registers_size},
                        {"context_banks", config.context_banks},
                        {"stream_match_groups", config.stream_match_groups},
                        {"stream_id_bits", config.stream_id_bits},
                        {"input_address_bits", config.input_address_bits},
                        {"output_address_bits", config.output_address_bits},
                        {"iommu_cells", spec.iommu_cells},
                        {"coherent_walk", config.coherent_walk},
                        {"coherent_from", coherent_node ? nlohmann::ordered_json(*coherent_node) : nullptr},
                        {"iotlb_entries", config.iotlb_entries},
                        {"iotlb_ways", config.iotlb_ways},
                        {"iotlb_latency_ns", config.iotlb_hit_latency_ps / 1000},
                        {"walk_level_latency_ns", config.walk_level_latency_ps / 1000},
                        {"global_irqs", spec.info.global_irqs},
                        {"context_irqs", spec.info.context_irqs}});
    }
    return list;
}

}  // namespace platform
