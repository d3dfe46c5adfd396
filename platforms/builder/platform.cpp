#include "platforms/builder/platform_builder.h"

#include "platforms/boot/of_iommu.h"

namespace platform {

std::string Platform::Builder::hex(uint64_t value) { return fmt::format("{:#x}", value); }

void Platform::Builder::check_geometry(const DtNode& node, const models::CacheGeometry& geometry,
                                       const std::string& prefix) {
    std::string problem = geometry.check();
    if (!problem.empty())
        node.fail(prefix + "size",
                  "a consistent geometry with " + prefix + "line-size and " + prefix + "sets: " + problem);
}

nlohmann::ordered_json Platform::Builder::geometry_json(const models::CacheGeometry& geometry) {
    return {{"size", geometry.size},
            {"ways", geometry.ways()},
            {"sets", geometry.sets},
            {"line_size", geometry.line_size}};
}

void Platform::Builder::build() {
    p_.bus_ = std::make_unique<models::Router>("bus", instr_);
    DtNode root = tree_.root();
    p_.source_name_ = tree_.source_name();
    p_.description_["platform"] = tree_.source_name();
    p_.description_["model"] = root.string_or("model", "");
    for (const DtNode& node : tree_.available_nodes())
        visit(node);
    if (!p_.core_)
        throw ConfigError(tree_.source_name() + ": no /cpus/cpu@N node with device_type = \"cpu\"");
    if (std::none_of(p_.memories_.begin(), p_.memories_.end(), [](const MemoryRegion& m) { return m.ram; })) {
        // Linux's early_init_dt_scan_memory skips entries of size 0: a bootloader fills them in
        // (the Raspberry Pi's memory@0 { reg = <0 0 0>; }), so the user has to, with an override.
        std::string empty;
        for (const DtNode& node : tree_.available_nodes())
            if (empty.empty() && node.string_or("device_type", "") == "memory")
                empty = fmt::format(" (node {} has only entries of size 0, which the bootloader fills in: give "
                                    "them, e.g. -c '{}:reg=<...>')",
                                    node.path(), node.path());
        throw ConfigError(tree_.source_name() +
                          ": no memory node (device_type = \"memory\") with a reg of non-zero "
                          "size" +
                          empty);
    }
    connect_outer_cache();
    attach_iommu_masters();
    warn_reserved_outside_ram();
    configure_kernel();
    check_coherent_pools();
    resolve_mfd_pools();
    bind_targets();
    attach_monitor(root);
    std::stable_sort(memory_map_json_.begin(), memory_map_json_.end(), [](const auto& a, const auto& b) {
        return std::stoull(a["base"].template get<std::string>(), nullptr, 16) <
               std::stoull(b["base"].template get<std::string>(), nullptr, 16);
    });
    p_.description_["memory_map"] = memory_map_json_;
    p_.description_["cores"] = cores_json_;
    p_.description_["caches"] = caches_json_;
    p_.description_["bus_masters"] = masters_json_;
    p_.description_["dma_devices"] = dma_devices_json();
    p_.description_["interrupt_controller"] = gic_json_;
    p_.description_["pci_host_bridges"] = pci_json();
    if (!unmodelled_pci_json_.empty())  // as iommus: platforms without one describe themselves as before
        p_.description_["pci_hosts_not_modelled"] = unmodelled_pci_json_;
    if (!p_.smmus_.empty())  // platforms without an IOMMU describe themselves as before there was one
        p_.description_["iommus"] = iommus_json();
    if (!p_.mfds_.empty())  // as iommus: platforms without an MFD describe themselves as before
        p_.description_["mfds"] = mfds_json();
    p_.description_["reserved_memory"] = reserved_json();
    p_.description_["kernel"] = kernel_json();
    p_.description_["warnings"] = p_.warnings_;
}

bool Platform::Builder::under(const DtNode& node, const std::string& prefix) const {
    std::string path = node.path();
    return path.compare(0, prefix.size(), prefix) == 0 && path.size() > prefix.size() && path[prefix.size()] == '/';
}

void Platform::Builder::visit(const DtNode& node) {
    std::string path = node.path();
    for (const std::string& skipped : skipped_)
        if (under(node, skipped))
            return;
    if (path == "/")
        return;
    Adder adder = adder_for(node);
    if (adder) {
        check_iommu_properties(node, adder);
        return (this->*adder)(node);
    }
    std::vector<std::string> compatible = node.compatible();
    if (compatible.empty())
        return;
    if (node.string_or("device_type", "") == "pci")
        return report_unmodelled_pci_host(node);
    p_.warnings_.push_back(fmt::format("{}: node {}: no model for compatible \"{}\"; node skipped", tree_.source_name(),
                                       path, fmt::join(compatible, "\", \"")));
    skipped_.push_back(path);
}

Platform::Builder::Adder Platform::Builder::adder_for(const DtNode& node) const {
    if (node.path().rfind("/cpus/", 0) == 0 && node.string_or("device_type", "") == "cpu")
        return &Builder::add_core;
    if (node.string_or("device_type", "") == "memory")
        return &Builder::add_memory;
    if (under(node, "/reserved-memory"))
        return &Builder::add_reserved;
    for (const std::string& compat : node.compatible()) {
        if (compat == "arm,pl310-cache")
            return &Builder::add_outer_cache;
        if (std::find(gic_compatibles().begin(), gic_compatibles().end(), compat) != gic_compatibles().end())
            return &Builder::add_interrupt_controller;
        if (compat == "arm,gic-v2m-frame")
            return &Builder::check_msi_frame_parent;
        if (compat == "mmio-sram")
            return &Builder::add_sram;
        if (compat == "dmasim,bus-master")
            return &Builder::add_bus_master;
        if (compat == "dmasim,mfd")
            return &Builder::add_mfd;
        if (compat == "pci-host-ecam-generic")
            return &Builder::add_pci_host;
        if (compat == smmu_compatible)
            return &Builder::add_smmu;
        if (compat == "simple-bus")
            return &Builder::add_simple_bus;
    }
    return nullptr;
}

void Platform::Builder::check_iommu_properties(const DtNode& node, Adder adder) const {
    if (node.has("iommus") && adder != &Builder::add_bus_master)
        node.fail("iommus", adder == &Builder::add_pci_host
                                ? "no iommus on a PCI host bridge: its functions are the masters, each translated "
                                  "by its requester ID through the bridge's iommu-map"
                                : "no iommus: only a DMA master (dmasim,bus-master) translates through an IOMMU");
    if (node.has("iommu-map") && adder != &Builder::add_pci_host)
        node.fail("iommu-map", "no iommu-map: only a PCI host bridge (pci-host-ecam-generic) maps requester IDs to "
                               "an IOMMU's stream IDs; a platform master names its IOMMU with iommus");
}

// Translates a bus address of `node` (in its parent's address space) to a system address.
uint64_t Platform::Builder::system_address(const DtNode& node, uint64_t address) const {
    for (std::optional<DtNode> bus = node.parent(); bus && bus->path() != "/"; bus = bus->parent()) {
        auto ranges = bus->ranges();
        if (!ranges)
            bus->fail("ranges", "a ranges property mapping the addresses of child " + node.path());
        if (ranges->empty())
            continue;  // identity
        auto hit = std::find_if(ranges->begin(), ranges->end(), [&](const RangeEntry& r) {
            return address >= r.child_address && address - r.child_address < r.size;
        });
        if (hit == ranges->end())
            node.fail("reg", fmt::format("an address inside the ranges of {}, got {:#x}", bus->path(), address));
        address = hit->parent_address + (address - hit->child_address);
    }
    return address;
}

// system_address, for the readers of whole subtrees (PCI hosts, reserved memory).
SystemAddress Platform::Builder::system_addresses() const {
    return [this](const DtNode& n, uint64_t address) { return system_address(n, address); };
}

void Platform::Builder::add_register_target(const std::string& name, const std::string& node, uint64_t base,
                                            uint64_t size, models::TargetTiming timing,
                                            tlm::tlm_base_target_socket_b<>& socket, const std::string& kind,
                                            const std::string& prop) {
    add_target(MemoryRegion{name, node, base, size, false, timing}, kind, prop);
    register_sockets_[name] = &socket;
}

void Platform::Builder::add_warnings(const OfDmaConfig& dma) {
    for (const std::string& warning : dma.warnings)
        p_.warnings_.push_back(tree_.source_name() + ": " + warning);
}

void Platform::Builder::configure_kernel() {
    p_.boot_params_ = parse_boot_params(tree_);
    for (const std::string& warning : p_.boot_params_.warnings)
        p_.warnings_.push_back(warning);
    uint64_t ram_start = ~0ULL, ram_end = 0;
    for (const MemoryRegion& region : p_.memories_) {
        if (!region.ram)
            continue;
        ram_start = std::min(ram_start, region.base);
        ram_end = std::max(ram_end, region.base + region.size);
    }
    p_.zone_dma_ = arm64_zone_dma(tree_, ram_start, ram_end);
}

// Linux's of_reserved_mem_device_init_by_idx returns 0 for a region that is not available: the
// device goes on without memory of its own and allocates from system memory.
std::optional<std::string> Platform::Builder::memory_region(const DtNode& node) {
    if (!node.has("memory-region"))
        return std::nullopt;
    const DtNode region = node.phandle_target("memory-region");
    if (region.is_available())
        return region.path();
    p_.warnings_.push_back(fmt::format("{}: node {}: property 'memory-region': {} is disabled; the device has no "
                                       "memory of its own and allocates from system memory",
                                       tree_.source_name(), node.path(), region.path()));
    return std::nullopt;
}

// memory-region must name a shared-dma-pool: no-map, the device's own coherent memory
// (rmem_dma_device_init), or reusable, its own CMA area (rmem_cma_device_init).
void Platform::Builder::check_coherent_pools() {
    for (const auto& [device, region_node] : pool_nodes_) {
        auto region = std::find_if(p_.reserved_.begin(), p_.reserved_.end(),
                                   [&](const ReservedRegion& r) { return r.node == region_node; });
        bool shared_pool = region != p_.reserved_.end() &&
                           std::count(region->compatible.begin(), region->compatible.end(), "shared-dma-pool");
        if (!shared_pool || !(region->no_map || region->reusable))
            device.fail("memory-region", fmt::format("a phandle to a /reserved-memory node with compatible "
                                                     "\"shared-dma-pool\" and no-map (a coherent pool) or "
                                                     "reusable (a CMA area), got {}",
                                                     region_node));
        for (DmaDeviceSpec& spec : p_.dma_devices_) {
            if (spec.node != device.path())
                continue;
            (region->reusable ? spec.cma_area : spec.coherent_pool) = region->name;
            if (region->no_map)
                p_.check_coherent_pool(spec, region->base, region->size);
        }
    }
}

void Platform::Builder::add_reserved(const DtNode& node) {
    if (node.parent()->path() != "/reserved-memory")
        return;
    p_.reserved_.push_back(read_reserved_region(node, system_addresses()));
}

// `prop`: the property that placed the region, named by its errors (`ranges` for a PCI window).
void Platform::Builder::add_target(MemoryRegion region, const std::string& kind, const std::string& prop) {
    const DtNode node = tree_.at(region.node);
    if (region.size - 1 > ~0ULL - region.base)
        node.fail(prop,
                  fmt::format("a region that ends below 2^64, got base {:#x} size {:#x}", region.base, region.size));
    if (region.size > max_target_size)
        node.fail(prop, fmt::format("a region of at most 1 TiB, got size {:#x}", region.size));
    placed_by_.push_back(prop);
    memory_map_json_.push_back({{"name", region.name},
                                {"kind", kind},
                                {"base", hex(region.base)},
                                {"size", region.size},
                                {"node", region.node},
                                {"latency_ns", property_json(models::target_latency_property(), region.timing)},
                                {"bandwidth_mbps", property_json(models::target_bandwidth_property(), region.timing)}});
    p_.memories_.push_back(std::move(region));
}

void Platform::Builder::warn_reserved_outside_ram() {
    for (const ReservedRegion& region : p_.reserved_) {
        if (!region.base)
            continue;
        bool device_pool = region.no_map && p_.inside_device_memory(*region.base, region.size) &&
                           std::count(region.compatible.begin(), region.compatible.end(), "shared-dma-pool");
        if (!p_.inside_ram(*region.base, region.size) && !device_pool)  // device memory, as Linux reserves it
            p_.warnings_.push_back(fmt::format("{}: node {}: reserved region [{:#x}, {:#x}) lies outside every "
                                               "memory node; it reserves nothing",
                                               tree_.source_name(), region.node, *region.base,
                                               *region.base + region.size));
    }
}

void Platform::Builder::bind_targets() {
    p_.core_->out.bind(p_.bus_->in);
    if (p_.outer_)
        p_.outer_->out.bind(p_.bus_->in);
    for (size_t i = 0; i < p_.masters_.size(); ++i) {
        models::BusMaster& master = *p_.masters_[i];
        master.dma_out.bind(p_.bus_->in);
        master.add_snooped_cache(&p_.core_->l1d());
        if (p_.outer_)
            master.add_snooped_cache(&p_.outer_->cache());
        if (auto drive = wire_level_interrupt(tree_.at(p_.dma_devices_[i].node), p_.bus_master_infos_[i].irq,
                                              master.name()))
            master.set_irq_level(std::move(drive));
    }
    for (size_t i = 0; i < p_.mfds_.size(); ++i)
        wire_mfd(*p_.mfds_[i], p_.mfd_specs_[i]);
    if (p_.gic_)
        p_.core_->set_interrupt_controller(p_.gic_.get());
    for (size_t i = 0; i < p_.pci_bridges_.size(); ++i) {
        models::PciHostBridge& bridge = *p_.pci_bridges_[i];
        bridge.dma_out.bind(p_.bus_->in);
        bridge.add_snooped_cache(&p_.core_->l1d());
        if (p_.outer_)
            bridge.add_snooped_cache(&p_.outer_->cache());
        wire_pci_interrupts(bridge, p_.pci_hosts_[i]);
    }
    for (size_t i = 0; i < p_.smmus_.size(); ++i) {
        models::Smmu& smmu = *p_.smmus_[i];
        smmu.walk_out.bind(p_.bus_->in);
        if (smmu.config().coherent_walk) {
            smmu.add_snooped_cache(&p_.core_->l1d());
            if (p_.outer_)
                smmu.add_snooped_cache(&p_.outer_->cache());
        }
        wire_smmu_interrupts(smmu, p_.smmu_specs_[i]);
    }
    unsigned port = 0;
    for (size_t i = 0; i < p_.memories_.size(); ++i) {
        const MemoryRegion& region = p_.memories_[i];
        auto registers = register_sockets_.find(region.name);
        if (registers != register_sockets_.end()) {
            p_.bus_->out.bind(*registers->second);
        } else {
            p_.memory_models_.push_back(std::make_unique<models::Memory>(region.name.c_str(), region.size, instr_));
            p_.bus_->out.bind(p_.memory_models_.back()->in);
        }
        try {
            p_.bus_->map_target(port++, region.name, region.base, region.size, region.timing,
                                registers == register_sockets_.end());
        } catch (const std::invalid_argument& overlap) {
            throw ConfigError(fmt::format("{}: node {}: property '{}': expected a region that overlaps no other, "
                                          "got {}",
                                          tree_.source_name(), region.node, placed_by_[i], overlap.what()));
        }
    }
    // Linux's linear map covers memblock memory less no-map regions (the kernel cuts out dynamic
    // ones when it places them).
    for (const sw::PhysRange& range : p_.kernel_ram())
        p_.core_->mmu().add_linear_region(range.base, range.size);
}

void Platform::Builder::attach_monitor(const DtNode& root) {
    bool enabled = options_.monitor.value_or(read_properties(root, models::CoherenceMonitor::properties()).enabled);
    p_.description_["coherence_monitor"] = enabled;
    if (!enabled)
        return;
    auto& core = *p_.core_;
    p_.monitor_ = std::make_unique<models::CoherenceMonitor>(instr_, *p_.bus_, core.l1d().line_size(),
                                                             options_.max_hazard_details);
    p_.monitor_->add_cache(&core.l1d());
    core.set_observer(p_.monitor_.get());
    if (p_.outer_) {
        p_.monitor_->add_cache(&p_.outer_->cache());
        p_.outer_->set_observer(p_.monitor_.get());
    }
    p_.bus_->add_observer(p_.monitor_.get());
    for (const auto& smmu : p_.smmus_)  // stale_iotlb: IOTLB entries whose descriptors changed since
        smmu->set_iotlb_observer(p_.monitor_.get());
    for (const auto& mfd : p_.mfds_)  // outside_local_memory: its decoder given an address outside its SRAM
        mfd->set_local_memory_observer(p_.monitor_.get());
}

nlohmann::ordered_json Platform::Builder::dma_devices_json() const {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const DmaDeviceSpec& spec : p_.dma_devices_) {
        nlohmann::ordered_json ranges = nlohmann::ordered_json::array();
        for (const dma::DmaRange& range : spec.dma.ranges)
            ranges.push_back({{"cpu", hex(range.cpu_start)}, {"bus", hex(range.dma_start)}, {"size", range.size}});
        const ReservedRegion *pool = nullptr, *cma = nullptr;
        for (const ReservedRegion& region : p_.reserved_) {
            if (spec.coherent_pool && region.name == *spec.coherent_pool)
                pool = &region;
            if (spec.cma_area && region.name == *spec.cma_area)
                cma = &region;
        }
        list.push_back(
            {{"name", spec.name},
             {"node", spec.node},
             {"model", spec.model},
             {"ops", spec.dma.ops},
             {"dma_mask", hex(spec.dma.mask)},
             {"coherent_dma_mask", hex(spec.dma.mask)},
             {"bus_dma_limit", spec.dma.bus_dma_limit ? nlohmann::ordered_json(hex(spec.dma.bus_dma_limit)) : nullptr},
             {"dma_ranges", ranges},
             {"dma_ranges_node", spec.dma.ranges_node ? nlohmann::ordered_json(*spec.dma.ranges_node) : nullptr},
             {"coherent", spec.dma.coherent},
             {"coherent_from", spec.dma.coherent_node ? nlohmann::ordered_json(*spec.dma.coherent_node) : nullptr},
             {"coherent_pool", pool ? pool_json(pool->name, pool->size) : nullptr},
             {"cma_area", cma ? pool_json(cma->name, cma->size) : nullptr}});
        if (spec.dma.iommu)
            list.back()["iommu"] = fwspec_json(*spec.dma.iommu);
    }
    return list;
}

nlohmann::ordered_json Platform::Builder::fwspec_json(const dma::IommuFwspec& fwspec) {
    nlohmann::ordered_json ids = nlohmann::ordered_json::array();
    for (uint32_t id : fwspec.ids)
        ids.push_back(hex(id));
    return {{"node", fwspec.iommu}, {"stream_ids", ids}};
}

// A per-device coherent pool as describe shows it.
nlohmann::ordered_json Platform::Builder::pool_json(const std::string& name, uint64_t size) {
    return {{"region", name}, {"size", size}};
}

// The architecture profile and each of its choices with what set it.
nlohmann::ordered_json Platform::Builder::dma_profile_json(const BootParams& boot) {
    nlohmann::ordered_json choices = nlohmann::ordered_json::array();
    for (const DmaChoice& choice : boot.dma_choices)
        choices.push_back({{"property", choice.property}, {"value", choice.value}, {"set_by", choice.set_by}});
    return {{"arch", models::to_string(boot.arch)}, {"set_by", boot.arch_set_by}, {"choices", choices}};
}

nlohmann::ordered_json Platform::Builder::kernel_json() const {
    const BootParams& boot = p_.boot_params_;
    nlohmann::ordered_json kernel = {
        {"bootargs", boot.bootargs},
        {"swiotlb_slots", boot.dma.swiotlb_slots},
        {"swiotlb_force", boot.dma.swiotlb_force},
        {"swiotlb_disabled", boot.dma.swiotlb_disabled},
        {"atomic_pool_size", boot.dma.atomic_pool_size ? nlohmann::ordered_json(boot.dma.atomic_pool_size) : nullptr},
        {"dma_debug", boot.dma.debug},
        {"dma_pool_debug", boot.dma.pool_debug},
        {"dma_alias", dma::to_string(boot.dma.alias)},
        {"dma_profile", dma_profile_json(boot)},
        {"zone_dma_limit", p_.zone_dma_.limit ? nlohmann::ordered_json(hex(p_.zone_dma_.limit)) : nullptr},
        {"zone_dma_set_by", p_.zone_dma_.limit ? nlohmann::ordered_json(p_.zone_dma_.set_by) : nullptr},
        {"zone_dma_node", p_.zone_dma_.node.empty() ? nullptr : nlohmann::ordered_json(p_.zone_dma_.node)}};
    if (!p_.smmus_.empty()) {  // as iommus: only where there is an IOMMU
        kernel["iommu_strict"] = boot.dma.iommu_strict;
        kernel["arm_smmu_disable_bypass"] = boot.arm_smmu_disable_bypass;
    }
    if (!p_.mfds_.empty())  // as iommus: only where there is an MFD
        kernel["dmasim_mfd_declare_sram"] = boot.mfd_declare_sram;
    return kernel;
}

nlohmann::ordered_json Platform::Builder::reserved_json() const {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const ReservedRegion& region : p_.reserved_) {
        list.push_back({{"name", region.name},
                        {"node", region.node},
                        {"base", region.base ? nlohmann::ordered_json(hex(*region.base)) : nullptr},
                        {"size", region.size},
                        {"alignment", region.alignment},
                        {"no_map", region.no_map},
                        {"reusable", region.reusable},
                        {"cma_default", region.cma_default},
                        {"compatible", region.compatible}});
    }
    return list;
}

Platform::Platform(const DeviceTree& tree, const PlatformOptions& options, models::Instrumentation& instr) {
    Builder(*this, tree, options, instr).build();
}

Platform::~Platform() = default;

std::string Platform::zone_dma_bound() const {
    return zone_dma_.limit ? zone_dma_bound_text(zone_dma_.set_by, zone_dma_.node) : std::string();
}

std::vector<models::BusMaster*> Platform::bus_masters() const {
    std::vector<models::BusMaster*> masters;
    for (const auto& master : masters_)
        masters.push_back(master.get());
    return masters;
}

std::vector<models::Smmu*> Platform::smmus() const {
    std::vector<models::Smmu*> smmus;
    for (const auto& smmu : smmus_)
        smmus.push_back(smmu.get());
    return smmus;
}

std::vector<sw::ArmSmmuInfo> Platform::kernel_iommus() const {
    std::vector<sw::ArmSmmuInfo> infos;
    for (const SmmuSpec& spec : smmu_specs_) {
        infos.push_back(spec.info);
        infos.back().disable_bypass = boot_params_.arm_smmu_disable_bypass;
    }
    return infos;
}

std::vector<sw::PhysRange> Platform::kernel_ram() const {
    std::vector<sw::PhysRange> ram;
    for (const MemoryRegion& region : memories_)
        if (region.ram)
            ram.push_back(sw::PhysRange{region.base, region.size});
    return without_no_map(std::move(ram), reserved_);
}

std::vector<sw::ReservedArea> Platform::kernel_reserved() const {
    std::vector<sw::ReservedArea> areas;
    for (const ReservedRegion& region : reserved_)
        areas.push_back(region.kernel_area());
    return areas;
}

bool Platform::inside_ram(uint64_t base, uint64_t size) const {
    return std::any_of(memories_.begin(), memories_.end(), [&](const MemoryRegion& ram) {
        return ram.ram && base >= ram.base && base - ram.base + size <= ram.size;
    });
}

bool Platform::inside_device_memory(uint64_t base, uint64_t size) const {
    return std::any_of(memories_.begin(), memories_.end(), [&](const MemoryRegion& sram) {
        return sram.device_memory && base >= sram.base && base - sram.base + size <= sram.size;
    });
}

std::vector<models::Mfd*> Platform::mfd_models() const {
    std::vector<models::Mfd*> models;
    for (const auto& mfd : mfds_)
        models.push_back(mfd.get());
    return models;
}

void Platform::check_coherent_pool(const DmaDeviceSpec& spec, std::optional<uint64_t> placed, uint64_t size) const {
    auto fail = [&](const std::string& expected) {
        std::string where = placed ? fmt::format("at [{:#x}, {:#x})", *placed, *placed + size)
                                   : fmt::format("of {:#x} bytes (dynamic)", size);
        throw ConfigError(fmt::format("{}: node {}: property 'memory-region': expected {}, got {} {}", source_name_,
                                      spec.node, expected, spec.coherent_pool.value_or("?"), where));
    };
    if (!dma::CoherentMemory::valid_region(placed.value_or(0), size))
        fail(fmt::format("a shared-dma-pool with a base and size in whole pages of {} bytes", models::Mmu::page_size));
    if (!placed)
        return;
    uint64_t base = *placed;
    if (!inside_ram(base, size) && !inside_device_memory(base, size))
        fail("a shared-dma-pool inside a memory node or an on-chip SRAM (mmio-sram, an MFD's sram)");
    const std::vector<dma::DmaRange>& ranges = spec.dma.ranges;
    bool reached = ranges.empty() || std::any_of(ranges.begin(), ranges.end(), [&](const dma::DmaRange& range) {
                       return base >= range.cpu_start && base - range.cpu_start + size <= range.size;
                   });
    if (!reached) {
        std::vector<std::string> windows;
        for (const dma::DmaRange& range : ranges)
            windows.push_back(fmt::format("[{:#x}, {:#x})", range.cpu_start, range.cpu_start + range.size));
        fail(fmt::format("a shared-dma-pool the device reaches through the dma-ranges of {} (CPU {})",
                         spec.dma.ranges_node.value_or("?"), fmt::join(windows, ", ")));
    }
}

std::vector<models::PciHostBridge*> Platform::pci_bridges() const {
    std::vector<models::PciHostBridge*> bridges;
    for (const auto& bridge : pci_bridges_)
        bridges.push_back(bridge.get());
    return bridges;
}

std::vector<sw::PciHostBridgeInfo> Platform::kernel_pci_hosts() const {
    std::vector<sw::PciHostBridgeInfo> hosts;
    for (size_t i = 0; i < pci_hosts_.size(); ++i)
        hosts.push_back(pci_hosts_[i].kernel_info(static_cast<unsigned>(i)));
    return hosts;
}

}  // namespace platform
