// The platform builder's bus masters (dmasim,bus-master): model, register and buffer windows,
// interrupt, and the DMA device the kernel configures for it.
#include "platforms/builder/platform_builder.h"

namespace platform {

namespace {

// The one stream ID a bus master behind an IOMMU emits: its `iommus` entry's (the SMR mask, if any,
// is the SMMU's business); dmasim,stream-id, if also given, must agree.
uint32_t iommu_stream_id(const DtNode& node, const models::PropertyTable<models::BusMasterConfig>& properties,
                         const dma::IommuFwspec& fwspec) {
    if (fwspec.ids.size() != 1)
        node.fail("iommus", fmt::format("one <&iommu stream-id> entry (the bus master emits one stream ID), got {}",
                                        fwspec.ids.size()));
    uint32_t stream_id = fwspec.ids[0] & 0xffff;
    if (node.has("dmasim,stream-id") && read_property(node, properties.at("dmasim,stream-id")) != stream_id)
        node.fail("dmasim,stream-id", fmt::format("the stream ID of iommus ({:#x}) or no dmasim,stream-id, got {:#x}",
                                                  stream_id, read_property(node, properties.at("dmasim,stream-id"))));
    return stream_id;
}

}  // namespace

void Platform::Builder::add_bus_master(const DtNode& node) {
    const models::PropertyTable<models::BusMasterConfig>& properties = models::BusMaster::properties();
    models::BusMasterConfig config = properties.defaults;
    config.id = static_cast<uint32_t>(p_.masters_.size());
    config.stream_id = config.id;
    read_properties(node, properties.properties, config);
    OfDmaConfig dma = of_dma_configure_device(node);
    add_warnings(dma);
    if (dma.iommu)
        config.stream_id = iommu_stream_id(node, properties, *dma.iommu);
    config.snoop = dma.coherent;
    for (const dma::DmaRange& range : dma.ranges)
        config.inbound.push_back(models::InboundWindow{range.dma_start, range.cpu_start, range.size});
    std::vector<RegEntry> reg = node.reg();
    if (reg.empty() || reg.size() > 2 || reg[0].size < bus_master::register_space)
        node.fail("reg", fmt::format("the registers (at least {:#x} bytes), then optionally the data buffer",
                                     bus_master::register_space));
    if (reg.size() == 2 && (reg[1].size == 0 || reg[1].size > models::BusMaster::max_buffer_size))
        node.fail("reg", fmt::format("a data buffer (its second entry) of 1 byte to {} MiB, got {:#x} bytes",
                                     models::BusMaster::max_buffer_size >> 20, reg[1].size));
    sw::BusMasterInfo info{node.name(), system_address(node, reg[0].address),
                           reg[0].size, 0,
                           0,           read_level_interrupt(node)};
    if (reg.size() == 2) {
        info.buffer = system_address(node, reg[1].address);
        info.buffer_size = config.buffer_size = reg[1].size;
    }
    std::string name = fmt::format("dma{}", config.id);
    std::optional<std::string> pool;
    if (std::optional<std::string> region = memory_region(node))
        pool_nodes_.push_back({node, *region});
    p_.dma_devices_.push_back(DmaDeviceSpec{node.name(), node.path(), name, dma, pool});
    p_.masters_.push_back(std::make_unique<models::BusMaster>(name.c_str(), config, instr_));
    models::BusMaster& master = *p_.masters_.back();
    models::TargetTiming timing = read_properties(node, models::register_timing_properties());
    add_register_target(name + "_regs", node.path(), info.registers, info.registers_size, timing, master.mmio_in);
    if (info.buffer_size)
        add_register_target(name + "_buffer", node.path(), info.buffer, info.buffer_size, timing, master.buffer_in,
                            "buffer");
    masters_json_.push_back({{"name", name},
                             {"node", node.path()},
                             {"stream_id", property_json(properties.at("dmasim,stream-id"), config)},
                             {"burst_size", property_json(properties.at("dmasim,burst-size"), config)},
                             {"coherent", config.snoop},
                             {"registers", hex(info.registers)},
                             {"buffer", info.buffer_size ? nlohmann::ordered_json(hex(info.buffer)) : nullptr},
                             {"buffer_size", info.buffer_size},
                             {"irq", info.irq ? nlohmann::ordered_json(*info.irq) : nullptr}});
    p_.bus_master_infos_.push_back(std::move(info));
}

}  // namespace platform
