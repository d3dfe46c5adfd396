// The platform builder's interrupt controller: the GIC-400 and its GICv2m frame.
#include "platforms/builder/platform_builder.h"

namespace platform {

// A GIC-400 (GICv2) with its GICv2m frame child: reg = distributor, CPU interface (the
// virtualization regions after them are not modelled).
void Platform::Builder::add_interrupt_controller(const DtNode& node) {
    if (p_.gic_) {
        p_.warnings_.push_back(fmt::format("{}: node {}: only one interrupt controller is modelled; node skipped",
                                           tree_.source_name(), node.path()));
        skipped_.push_back(node.path());
        return;
    }
    using Gic = models::InterruptController;
    if (!node.flag("interrupt-controller"))
        node.fail("interrupt-controller", "the empty property that marks an interrupt controller");
    uint32_t cells = node.u32("#interrupt-cells");
    if (cells != 3)
        node.fail("#interrupt-cells", fmt::format("3 (SPI/PPI, number, trigger flags), got {}", cells));
    std::vector<RegEntry> reg = node.reg();
    if (reg.size() < 2 || reg[0].size < gic::distributor_space || reg[1].size < gic::cpu_interface_space)
        node.fail("reg", fmt::format("the distributor (at least {:#x} bytes) then the CPU interface (at least "
                                     "{:#x} bytes)",
                                     gic::distributor_space, gic::cpu_interface_space));
    models::InterruptControllerConfig config = read_properties(node, Gic::properties());
    sw::InterruptControllerInfo info{system_address(node, reg[0].address), system_address(node, reg[1].address),
                                     std::nullopt};
    std::string frame_node;
    for (const DtNode& child : node.children()) {
        if (!child.is_compatible("arm,gic-v2m-frame"))
            continue;
        if (info.msi_frame) {
            p_.warnings_.push_back(fmt::format("{}: node {}: only one GICv2m frame is modelled; node skipped",
                                               tree_.source_name(), child.path()));
            continue;
        }
        info.msi_frame = msi_frame(child, config.num_ids);
        config.msi_frame = models::MsiFrameConfig{info.msi_frame->base_id, info.msi_frame->count};
        frame_node = child.path();
    }
    p_.gic_ = std::make_unique<Gic>("gic", config, instr_);
    models::TargetTiming timing = read_properties(node, models::register_timing_properties());
    add_register_target("gicd", node.path(), info.distributor, gic::distributor_space, timing, p_.gic_->gicd_in);
    add_register_target("gicc", node.path(), info.cpu_interface, gic::cpu_interface_space, timing, p_.gic_->gicc_in);
    gic_json_ = {{"name", "gic"},
                 {"node", node.path()},
                 {"compatible", node.compatible().front()},
                 {"interrupt_ids", property_json(Gic::properties().at("dmasim,num-irqs"), config)},
                 {"distributor", hex(info.distributor)},
                 {"cpu_interface", hex(info.cpu_interface)},
                 {"msi_frame", nullptr}};
    if (info.msi_frame) {
        add_register_target("v2m", frame_node, info.msi_frame->base, gic::msi_frame_space, timing, p_.gic_->msi_in);
        gic_json_["msi_frame"] = {{"node", frame_node},
                                  {"base", hex(info.msi_frame->base)},
                                  {"doorbell", hex(info.msi_frame->base + gic::msi_setspi_ns)},
                                  {"first_id", info.msi_frame->base_id},
                                  {"count", info.msi_frame->count}};
    }
    p_.gic_info_ = info;
}

// arm,msi-base-spi is an interrupt ID (>= 32), as Linux's gicv2m reads it.
sw::MsiFrameInfo Platform::Builder::msi_frame(const DtNode& node, unsigned num_ids) {
    if (!node.flag("msi-controller"))
        node.fail("msi-controller", "the empty property that marks an MSI controller");
    std::vector<RegEntry> reg = node.reg();
    if (reg.empty() || reg[0].size < gic::msi_frame_space)
        node.fail("reg",
                  fmt::format("one region of at least {:#x} bytes for the frame's registers", gic::msi_frame_space));
    unsigned last_id = std::min(num_ids, gic::max_ids) - 1;
    uint32_t base_id = node.u32("arm,msi-base-spi");
    if (base_id < gic::first_spi || base_id > last_id)
        node.fail("arm,msi-base-spi",
                  fmt::format("the interrupt ID of an SPI of the parent GIC (32 to {}), got {}", last_id, base_id));
    uint32_t count = node.u32("arm,msi-num-spis");
    if (count == 0 || count > last_id - base_id + 1)
        node.fail("arm,msi-num-spis", fmt::format("1 to {} SPIs (the parent GIC's IDs end at {}), got {}",
                                                  last_id - base_id + 1, last_id, count));
    return sw::MsiFrameInfo{system_address(node, reg[0].address), base_id, count};
}

void Platform::Builder::check_msi_frame_parent(const DtNode& node) {
    std::optional<DtNode> parent = node.parent();
    if (!is_gic(*parent))
        node.fail("compatible",
                  "\"arm,gic-v2m-frame\" only in a child of an \"arm,gic-400\" node, got one under " + parent->path());
}

std::function<void(bool, uint64_t)> Platform::Builder::wire_level_interrupt(const DtNode& node,
                                                                            std::optional<unsigned> irq,
                                                                            const std::string& line) {
    if (!irq)
        return {};
    unsigned id = *irq;
    models::InterruptController* gic = p_.gic_.get();
    if (!gic || id < gic::first_spi || id >= gic->config().num_ids)
        node.fail("interrupts", fmt::format("an SPI of the GIC (interrupt IDs 32 to {}), got {}",
                                            gic ? gic->config().num_ids - 1 : 0, id));
    try {
        gic->connect_line(id, line);
    } catch (const std::invalid_argument& taken) {
        node.fail("interrupts", fmt::format("an interrupt no other device drives, got {} ({})", id, taken.what()));
    }
    return [gic, id](bool asserted, uint64_t delay_ps) {
        gic->set_level(id, asserted, sc_core::sc_time::from_value(delay_ps));
    };
}

}  // namespace platform
