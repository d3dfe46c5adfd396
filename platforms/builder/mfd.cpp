// The platform builder's multi-function devices (dmasim,mfd, docs/models/mfd.md): the model with
// its three windows on the router, its interrupt, its DMA engine on the bus, what its driver is
// told (sw::MfdInfo) and its own DMA device. The node, as the MFD's binding has it:
//   reg, reg-names     "regs" (at least mfd::register_space bytes), "sram" (whole 4 KiB pages, at
//                      most 128) and "code" (at most 64 KiB), in any order
//   clock-frequency    the 8051's clock (default 48 MHz, the EZ-USB FX2's CPU clock)
//   firmware-name      the image its driver loads (default "dmasim-mfd.ihx")
//   interrupts         one level-high SPI (optional: the driver polls without it)
//   memory-region      a no-map shared-dma-pool, the MFD's coherent memory: named for the driver,
//                      which assigns it at probe (Linux's of_reserved_mem_device_init_by_idx);
//                      not used when bootargs has dmasim_mfd.declare_sram=1 (sw/drivers/mfd/mfd.h)
//   child nodes        the cells (mfd-core's), each with a compatible
//   dmasim,*           the model's (models::Mfd::properties())
#include "platforms/builder/platform_builder.h"

#include "models/mfd/mfd_regs.h"
#include "sw/drivers/mfd/mfd.h"

namespace platform {

namespace {

constexpr const char* default_firmware = "dmasim-mfd.ihx";
constexpr uint64_t sram_page = 4096;
constexpr uint64_t max_sram_pages = 128;  // WINSEL's page field
constexpr uint64_t max_code_size = 0x10000;
constexpr uint32_t first_initiator_id = 0x40;  // MFD n's engine is device 0x40 + n, apart from the bus masters'

// The `reg` entry reg-names gives `name`; node.fail when there is none or more than one.
RegEntry named_reg(const DtNode& node, const std::vector<RegEntry>& reg, const std::vector<std::string>& names,
                   const std::string& name) {
    if (std::count(names.begin(), names.end(), name) != 1)
        node.fail("reg-names", fmt::format("\"regs\", \"sram\" and \"code\", each once, naming the reg entries, got "
                                           "\"{}\"",
                                           fmt::join(names, "\", \"")));
    return reg[std::find(names.begin(), names.end(), name) - names.begin()];
}

}  // namespace

void Platform::Builder::add_mfd(const DtNode& node) {
    size_t index = p_.mfds_.size();
    std::string name = fmt::format("mfd{}", index);
    const models::PropertyTable<models::MfdConfig>& properties = models::Mfd::properties();
    models::MfdConfig config = read_properties(node, properties);
    config.id = first_initiator_id + static_cast<uint32_t>(index);
    std::vector<RegEntry> reg = node.reg();
    std::vector<std::string> names = node.strings("reg-names");
    if (reg.size() != 3 || names.size() != 3)
        node.fail(reg.size() != 3 ? "reg" : "reg-names",
                  fmt::format("three windows named by reg-names \"regs\", \"sram\" and \"code\", got {} reg entries "
                              "and {} names",
                              reg.size(), names.size()));
    RegEntry regs = named_reg(node, reg, names, "regs"), sram = named_reg(node, reg, names, "sram"),
             code = named_reg(node, reg, names, "code");
    if (regs.size < mfd::register_space)
        node.fail("reg",
                  fmt::format("a \"regs\" window of at least {:#x} bytes, got {:#x}", mfd::register_space, regs.size));
    if (sram.size == 0 || sram.size % sram_page || sram.size / sram_page > max_sram_pages)
        node.fail("reg", fmt::format("an \"sram\" window of whole 4 KiB pages, 1 to {} of them, got {:#x} bytes",
                                     max_sram_pages, sram.size));
    if (code.size == 0 || code.size > max_code_size)
        node.fail("reg", fmt::format("a \"code\" window of 1 byte to 64 KiB, got {:#x} bytes", code.size));
    OfDmaConfig dma = of_dma_configure_device(node);
    add_warnings(dma);
    if (dma.coherent)
        node.fail("dma-coherent", fmt::format("a non-coherent device (the MFD's DMA engine never snoops the CPU's "
                                              "caches), got dma-coherent from {}",
                                              dma.coherent_node.value_or(node.path())));

    MfdSpec spec;
    spec.model = name;
    sw::MfdInfo& info = spec.info;
    info.name = node.name();
    info.node = node.path();
    info.registers = system_address(node, regs.address);
    info.registers_size = regs.size;
    info.sram = system_address(node, sram.address);
    info.sram_size = config.sram_size = sram.size;
    info.code = system_address(node, code.address);
    info.code_size = config.code_size = code.size;
    info.irq = read_level_interrupt(node);
    info.clock_hz = config.clock_hz;
    info.firmware_name = node.string_or("firmware-name", default_firmware);
    for (const DtNode& child : node.children()) {
        if (!child.is_available())  // mfd_add_device: "Ignore disabled devices error free"
            continue;
        std::vector<std::string> compatible = child.compatible();
        if (compatible.empty())
            child.fail("compatible", "a cell of the MFD: a child node with a compatible");
        info.cells.push_back(sw::MfdCellInfo{child.name(), child.path(), compatible[0],
                                             of_dma_configure_device(child).dma_config()});
    }
    skipped_.push_back(node.path());  // the cells are the MFD's, not models of their own
    // Where the host's DMA API places the SRAM: its bus address through the dma-ranges, if any.
    config.sram_bus_base = info.sram;
    for (const dma::DmaRange& range : dma.ranges)
        if (info.sram >= range.cpu_start && info.sram - range.cpu_start < range.size)
            config.sram_bus_base = range.dma_start + (info.sram - range.cpu_start);
    mfd_pool_nodes_.push_back(memory_region(node).value_or(""));
    spec.dma = DmaDeviceSpec{node.name(), node.path(), name, dma, std::nullopt};

    p_.mfds_.push_back(std::make_unique<models::Mfd>(name.c_str(), config, instr_));
    models::Mfd& mfd = *p_.mfds_.back();
    models::TargetTiming timing = read_properties(node, models::register_timing_properties());
    add_register_target(name + "_regs", node.path(), info.registers, info.registers_size, timing, mfd.mmio_in);
    add_target(MemoryRegion{name + "_sram", node.path(), info.sram, info.sram_size, false, timing, true}, "sram");
    register_sockets_[name + "_sram"] = &mfd.sram_in;
    add_register_target(name + "_code", node.path(), info.code, info.code_size, timing, mfd.code_in, "code");
    p_.mfd_specs_.push_back(std::move(spec));
}

void Platform::Builder::resolve_mfd_pools() {
    for (size_t i = 0; i < p_.mfd_specs_.size(); ++i) {
        MfdSpec& spec = p_.mfd_specs_[i];
        spec.info.declare_sram = p_.boot_params_.mfd_declare_sram;
        const std::string& region_node = mfd_pool_nodes_[i];
        if (region_node.empty())
            continue;
        auto region = std::find_if(p_.reserved_.begin(), p_.reserved_.end(),
                                   [&](const ReservedRegion& r) { return r.node == region_node; });
        bool pool = region != p_.reserved_.end() && region->no_map &&
                    std::count(region->compatible.begin(), region->compatible.end(), "shared-dma-pool");
        if (!pool)
            tree_.at(spec.info.node)
                .fail("memory-region", fmt::format("a phandle to a /reserved-memory node with compatible "
                                                   "\"shared-dma-pool\" and no-map (the MFD's coherent memory), got {}",
                                                   region_node));
        DmaDeviceSpec checked = spec.dma;
        checked.coherent_pool = region->name;
        p_.check_coherent_pool(checked, region->base, region->size);
        spec.info.memory_region = region->name;
    }
}

void Platform::Builder::wire_mfd(models::Mfd& mfd, const MfdSpec& spec) {
    mfd.dma_out.bind(p_.bus_->in);  // no snooped caches: the engine never snoops
    if (auto drive = wire_level_interrupt(tree_.at(spec.info.node), spec.info.irq, mfd.name()))
        mfd.set_irq_level(std::move(drive));
}

nlohmann::ordered_json Platform::Builder::mfds_json() const {
    const models::PropertyTable<models::MfdConfig>& properties = models::Mfd::properties();
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (size_t i = 0; i < p_.mfd_specs_.size(); ++i) {
        const MfdSpec& spec = p_.mfd_specs_[i];
        const sw::MfdInfo& info = spec.info;
        const models::MfdConfig& config = p_.mfds_[i]->config();
        nlohmann::ordered_json pool = nullptr;
        for (const ReservedRegion& region : p_.reserved_)
            if (info.memory_region && region.name == *info.memory_region)
                pool = pool_json(region.name, region.size);
        // Under dmasim_mfd.declare_sram, each cell's slice of the SRAM, as its driver declares it.
        std::vector<sw::MfdMemResource> slices = info.declare_sram ? sw::Mfd::sram_slices(info)
                                                                   : std::vector<sw::MfdMemResource>{};
        nlohmann::ordered_json cells = nlohmann::ordered_json::array();
        for (size_t c = 0; c < info.cells.size(); ++c) {
            const sw::MfdCellInfo& cell = info.cells[c];
            nlohmann::ordered_json declared = nullptr;
            if (c < slices.size())
                declared = {{"start", hex(slices[c].start)},
                            {"size", slices[c].size},
                            {"bus", hex(config.sram_bus_base + (slices[c].start - slices[c].parent_start))}};
            cells.push_back({{"name", cell.name},
                             {"node", cell.node},
                             {"compatible", cell.compatible},
                             {"declared_pool", declared}});
        }
        list.push_back({{"name", spec.model},
                        {"node", info.node},
                        {"registers", hex(info.registers)},
                        {"sram", hex(info.sram)},
                        {"sram_size", info.sram_size},
                        {"sram_bus", hex(config.sram_bus_base)},
                        {"code", hex(info.code)},
                        {"code_size", info.code_size},
                        {"pool", pool},
                        {"declare_sram", info.declare_sram},
                        {"cells", cells},
                        {"firmware", info.firmware_name},
                        {"clock_hz", property_json(properties.at("clock-frequency"), config)},
                        {"burst_size", property_json(properties.at("dmasim,burst-size"), config)},
                        {"sram_latency_ns", property_json(properties.at("dmasim,sram-latency-ns"), config)},
                        {"quantum_ns", property_json(properties.at("dmasim,quantum-ns"), config)},
                        {"irq", info.irq ? nlohmann::ordered_json(*info.irq) : nullptr},
                        {"dma_mask", hex(spec.dma.dma.mask)},
                        {"ops", spec.dma.dma.ops}});
    }
    return list;
}

}  // namespace platform
