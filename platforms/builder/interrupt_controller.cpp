// The platform builder's interrupt controller: a GICv2 (GIC-400, Cortex-A9's, Cortex-A15's) with
// an optional GICv2m frame, or a GICv3 without its ITS.
#include "platforms/builder/platform_builder.h"

namespace platform {

namespace {

// The smallest GICv2 CPU interface region a tree gives: Cortex-A9's 256 bytes in its private
// region (the A9 MPCore TRM); boards give a Cortex-A15's 4 KiB or 8 KiB, a GIC-400's 8 KiB. The
// model's registers lie in the first 256 bytes; it is mapped over the region, at most 8 KiB.
constexpr uint64_t min_cpu_interface_size = 0x100;

}  // namespace

// GICv2: reg = distributor, CPU interface (the virtualization regions after them, which a
// Cortex-A9's GIC lacks, are not modelled). GICv3: reg = distributor, then the redistributors
// (the first, the modelled core's, is mapped; GICC/GICH/GICV after them are not modelled).
void Platform::Builder::add_interrupt_controller(const DtNode& node) {
    if (p_.gic_) {
        p_.warnings_.push_back(fmt::format("{}: node {}: only one interrupt controller is modelled; node skipped",
                                           tree_.source_name(), node.path()));
        skipped_.push_back(node.path());
        return;
    }
    using Gic = models::InterruptController;
    bool v3 = gic_architecture(node) == models::GicArchitecture::v3;
    if (!node.flag("interrupt-controller"))
        node.fail("interrupt-controller", "the empty property that marks an interrupt controller");
    uint32_t cells = node.u32("#interrupt-cells");
    if (v3 ? (cells != 3 && cells != 4) : cells != 3)
        node.fail("#interrupt-cells", fmt::format("{} (SPI/PPI, number, trigger flags{}), got {}", v3 ? "3 or 4" : "3",
                                                  v3 ? "[, PPI partition]" : "", cells));
    std::vector<RegEntry> reg = node.reg();
    uint64_t first_size = v3 ? gic::gicv3_distributor_space : gic::distributor_space;
    uint64_t second_size = v3 ? gic::redistributor_space : min_cpu_interface_size;
    if (reg.size() < 2 || reg[0].size < first_size || reg[1].size < second_size)
        node.fail("reg", fmt::format("the distributor (at least {:#x} bytes) then the {} (at least {:#x} bytes)",
                                     first_size, v3 ? "redistributors" : "CPU interface", second_size));
    models::InterruptControllerConfig config = read_properties(node, Gic::properties());
    config.architecture = v3 ? models::GicArchitecture::v3 : models::GicArchitecture::v2;
    sw::InterruptControllerInfo info;
    info.version = v3 ? sw::GicVersion::v3 : sw::GicVersion::v2;
    info.distributor = system_address(node, reg[0].address);
    (v3 ? info.redistributor : info.cpu_interface) = system_address(node, reg[1].address);
    std::string frame_node;
    for (const DtNode& child : node.children()) {
        if (v3 && child.is_compatible("arm,gic-v3-its")) {
            p_.warnings_.push_back(fmt::format("{}: node {}: the GICv3 ITS is not modelled: the platform has no MSI; "
                                               "node skipped",
                                               tree_.source_name(), child.path()));
            skipped_.push_back(child.path());
        }
        if (v3 || !child.is_compatible("arm,gic-v2m-frame") || !child.is_available())
            continue;
        if (info.msi_frame) {
            p_.warnings_.push_back(fmt::format("{}: node {}: only one GICv2m frame is modelled; node skipped",
                                               tree_.source_name(), child.path()));
            continue;
        }
        info.msi_frame = msi_frame(child, config.num_ids);
        const sw::MsiFrameInfo& frame = *info.msi_frame;
        config.msi_frame = frame.base_spi ? models::MsiFrameConfig{*frame.base_spi, *frame.num_spis}
                                          : Gic::default_msi_frame(config.num_ids);
        frame_node = child.path();
    }
    p_.gic_ = std::make_unique<Gic>("gic", config, instr_);
    models::TargetTiming timing = read_properties(node, models::register_timing_properties());
    add_register_target("gicd", node.path(), info.distributor, first_size, timing, p_.gic_->gicd_in);
    if (v3)
        add_register_target("gicr", node.path(), info.redistributor, second_size, timing, p_.gic_->gicr_in);
    else
        add_register_target("gicc", node.path(), info.cpu_interface, std::min(reg[1].size, gic::cpu_interface_space),
                            timing, p_.gic_->gicc_in);
    gic_json_ = {{"name", "gic"},
                 {"node", node.path()},
                 {"compatible", node.compatible().front()},
                 {"interrupt_ids", property_json(Gic::properties().at("dmasim,num-irqs"), config)},
                 {"distributor", hex(info.distributor)},
                 {"cpu_interface", v3 ? nlohmann::ordered_json() : nlohmann::ordered_json(hex(info.cpu_interface))},
                 {"msi_frame", nullptr}};
    if (v3)
        gic_json_["redistributor"] = hex(info.redistributor);
    if (info.msi_frame) {
        add_register_target("v2m", frame_node, info.msi_frame->base, gic::msi_frame_space, timing, p_.gic_->msi_in);
        gic_json_["msi_frame"] = {{"node", frame_node},
                                  {"base", hex(info.msi_frame->base)},
                                  {"doorbell", hex(info.msi_frame->base + gic::msi_setspi_ns)},
                                  {"first_id", config.msi_frame->base_id},
                                  {"count", config.msi_frame->count},
                                  {"range_from", info.msi_frame->base_spi ? "device tree" : "MSI_TYPER"}};
    }
    p_.gic_info_ = info;
}

// Linux's gicv2m_of_init: arm,msi-base-spi (an interrupt ID, >= 32) and arm,msi-num-spis override
// the frame's MSI_TYPER only together; one without the other is ignored, as Linux ignores it.
sw::MsiFrameInfo Platform::Builder::msi_frame(const DtNode& node, unsigned num_ids) {
    if (!node.flag("msi-controller"))
        node.fail("msi-controller", "the empty property that marks an MSI controller");
    std::vector<RegEntry> reg = node.reg();
    if (reg.empty() || reg[0].size < gic::msi_frame_space)
        node.fail("reg",
                  fmt::format("one region of at least {:#x} bytes for the frame's registers", gic::msi_frame_space));
    sw::MsiFrameInfo frame{system_address(node, reg[0].address), std::nullopt, std::nullopt};
    if (node.has("arm,msi-base-spi") != node.has("arm,msi-num-spis")) {
        p_.warnings_.push_back(fmt::format("{}: node {}: arm,msi-base-spi and arm,msi-num-spis override MSI_TYPER "
                                           "only together; the frame's MSI_TYPER is used",
                                           tree_.source_name(), node.path()));
        return frame;
    }
    if (!node.has("arm,msi-base-spi"))
        return frame;
    unsigned last_id = std::min(num_ids, gic::max_ids) - 1;
    uint32_t base_id = node.u32("arm,msi-base-spi");
    if (base_id < gic::first_spi || base_id > last_id)
        node.fail("arm,msi-base-spi",
                  fmt::format("the interrupt ID of an SPI of the parent GIC (32 to {}), got {}", last_id, base_id));
    uint32_t count = node.u32("arm,msi-num-spis");
    if (count == 0 || count > last_id - base_id + 1)
        node.fail("arm,msi-num-spis", fmt::format("1 to {} SPIs (the parent GIC's IDs end at {}), got {}",
                                                  last_id - base_id + 1, last_id, count));
    frame.base_spi = base_id;
    frame.num_spis = count;
    return frame;
}

void Platform::Builder::check_msi_frame_parent(const DtNode& node) {
    std::optional<DtNode> parent = node.parent();
    if (!is_gic(*parent) || gic_architecture(*parent) != models::GicArchitecture::v2)
        node.fail("compatible", "\"arm,gic-v2m-frame\" only in a child of a GICv2 node (\"arm,gic-400\", "
                                "\"arm,cortex-a15-gic\", \"arm,cortex-a9-gic\"), got one under " +
                                    parent->path());
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
