#include "platforms/builder/platform.h"

#include "dma/coherent_memory.h"
#include "platforms/builder/interrupts.h"
#include "platforms/builder/properties.h"

#include <algorithm>
#include <fmt/format.h>
#include <map>

namespace platform {

namespace {

constexpr uint64_t max_target_size = 1ULL << 40;  // bounds the sparse memory's page directory

std::string hex(uint64_t value) { return fmt::format("{:#x}", value); }

// The three cache properties `prefix` + size, line-size and sets (models::cache_geometry_properties)
// must describe a whole set-associative array.
void check_geometry(const DtNode& node, const models::CacheGeometry& geometry, const std::string& prefix) {
    std::string problem = geometry.check();
    if (!problem.empty())
        node.fail(prefix + "size",
                  "a consistent geometry with " + prefix + "line-size and " + prefix + "sets: " + problem);
}

nlohmann::ordered_json geometry_json(const models::CacheGeometry& geometry) {
    return {{"size", geometry.size},
            {"ways", geometry.ways()},
            {"sets", geometry.sets},
            {"line_size", geometry.line_size}};
}

}  // namespace

class Platform::Builder {
public:
    Builder(Platform& platform, const DeviceTree& tree, const PlatformOptions& options, models::Instrumentation& instr)
        : p_(platform), tree_(tree), options_(options), instr_(instr) {}

    void build() {
        p_.bus_ = std::make_unique<models::Router>("bus", instr_);
        DtNode root = tree_.root();
        p_.source_name_ = tree_.source_name();
        p_.description_["platform"] = tree_.source_name();
        p_.description_["model"] = root.string_or("model", "");
        for (const DtNode& node : tree_.all_nodes())
            visit(node);
        if (!p_.core_)
            throw ConfigError(tree_.source_name() + ": no /cpus/cpu@N node with device_type = \"cpu\"");
        if (std::none_of(p_.memories_.begin(), p_.memories_.end(), [](const MemoryRegion& m) { return m.ram; }))
            throw ConfigError(tree_.source_name() + ": no memory node (device_type = \"memory\") with a reg");
        connect_outer_cache();
        warn_reserved_outside_ram();
        configure_kernel();
        check_coherent_pools();
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
        p_.description_["reserved_memory"] = reserved_json();
        p_.description_["kernel"] = kernel_json();
        p_.description_["warnings"] = p_.warnings_;
    }

private:
    bool under(const DtNode& node, const std::string& prefix) const {
        std::string path = node.path();
        return path.compare(0, prefix.size(), prefix) == 0 && path.size() > prefix.size() && path[prefix.size()] == '/';
    }

    void visit(const DtNode& node) {
        std::string path = node.path();
        for (const std::string& skipped : skipped_)
            if (under(node, skipped))
                return;
        if (path == "/")
            return;
        if (path.rfind("/cpus/", 0) == 0 && node.string_or("device_type", "") == "cpu")
            return add_core(node);
        if (node.string_or("device_type", "") == "memory")
            return add_memory(node);
        if (under(node, "/reserved-memory"))
            return add_reserved(node);
        std::vector<std::string> compatible = node.compatible();
        if (compatible.empty())
            return;
        for (const std::string& compat : compatible) {
            if (compat == "arm,pl310-cache")
                return add_outer_cache(node);
            if (compat == "arm,gic-400" || compat == "arm,cortex-a15-gic")
                return add_interrupt_controller(node);
            if (compat == "arm,gic-v2m-frame")
                return check_msi_frame_parent(node);
            if (compat == "mmio-sram")
                return add_sram(node);
            if (compat == "dmasim,bus-master")
                return add_bus_master(node);
            if (compat == "pci-host-ecam-generic")
                return add_pci_host(node);
            if (compat == "simple-bus")
                return;  // its children are visited; their reg is translated through its ranges
        }
        p_.warnings_.push_back(fmt::format("{}: node {}: no model for compatible \"{}\"; node skipped",
                                           tree_.source_name(), path, fmt::join(compatible, "\", \"")));
        skipped_.push_back(path);
    }

    // Translates a bus address of `node` (in its parent's address space) to a system address.
    uint64_t system_address(const DtNode& node, uint64_t address) const {
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
    SystemAddress system_addresses() const {
        return [this](const DtNode& n, uint64_t address) { return system_address(n, address); };
    }

    void add_core(const DtNode& node) {
        if (p_.core_) {
            p_.warnings_.push_back(fmt::format("{}: node {}: only one core is modelled; node skipped",
                                               tree_.source_name(), node.path()));
            return;
        }
        const models::PropertyTable<models::CoreConfig>& properties = models::Core::properties();
        models::CoreConfig config = read_properties(node, properties);
        check_geometry(node, config.l1, "d-cache-");
        config.id = 0;
        if (options_.quantum_ps)
            config.quantum_ps = *options_.quantum_ps;
        config.prefetch.seed = options_.seed * 0x100000001b3ULL + config.id;
        p_.core_ = std::make_unique<models::Core>("cpu0", config, instr_);
        if (node.has("next-level-cache"))
            outer_phandle_node_ = node.phandle_target("next-level-cache").path();
        cpu_node_ = node.path();
        cores_json_.push_back({{"name", "cpu0"},
                               {"node", node.path()},
                               {"compatible", node.string_or("compatible", "")},
                               {"clock_mhz", properties.value(config, "clock-frequency") / 1000000},
                               {"l1d", geometry_json(config.l1)},
                               {"next_level_cache", outer_phandle_node_},
                               {"prefetch", property_json(properties.at("dmasim,prefetch"), config)},
                               {"alias_policy", property_json(properties.at("dmasim,alias-policy"), config)},
                               {"quantum_ns", property_json(properties.at("dmasim,quantum-ns"), config)}});
    }

    void add_outer_cache(const DtNode& node) {
        if (p_.outer_) {
            p_.warnings_.push_back(fmt::format("{}: node {}: only one outer cache is modelled; node skipped",
                                               tree_.source_name(), node.path()));
            return;
        }
        models::OuterCacheConfig config = read_properties(node, models::OuterCache::properties());
        const models::CacheGeometry& geometry = config.geometry;
        check_geometry(node, geometry, "cache-");
        uint32_t level = node.u32("cache-level");
        if (level != 2)
            node.fail("cache-level", fmt::format("2 (an outer cache below the L1), got {}", level));
        std::vector<RegEntry> reg = node.reg();
        if (reg.empty() || reg[0].size < outer_cache::register_space)
            node.fail("reg", fmt::format("one region of at least {:#x} bytes for the maintenance registers",
                                         outer_cache::register_space));
        if (geometry.ways() > 16)
            node.fail("cache-sets", fmt::format("at most 16 ways (cache-size / (cache-line-size x cache-sets)) as "
                                                "on a PL310, got {}",
                                                geometry.ways()));
        outer_node_ = node;
        outer_config_ = config;
        outer_level_ = level;
        outer_registers_ = RegEntry{system_address(node, reg[0].address), reg[0].size};
    }

    // A GIC-400 (GICv2) with its GICv2m frame child: reg = distributor, CPU interface (the
    // virtualization regions after them are not modelled).
    void add_interrupt_controller(const DtNode& node) {
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
        add_register_target("gicc", node.path(), info.cpu_interface, gic::cpu_interface_space, timing,
                            p_.gic_->gicc_in);
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
    sw::MsiFrameInfo msi_frame(const DtNode& node, unsigned num_ids) {
        if (!node.flag("msi-controller"))
            node.fail("msi-controller", "the empty property that marks an MSI controller");
        std::vector<RegEntry> reg = node.reg();
        if (reg.empty() || reg[0].size < gic::msi_frame_space)
            node.fail("reg", fmt::format("one region of at least {:#x} bytes for the frame's registers",
                                         gic::msi_frame_space));
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

    void check_msi_frame_parent(const DtNode& node) const {
        std::optional<DtNode> parent = node.parent();
        if (!parent->is_compatible("arm,gic-400") && !parent->is_compatible("arm,cortex-a15-gic"))
            node.fail("compatible", "\"arm,gic-v2m-frame\" only in a child of an \"arm,gic-400\" node, got one under " +
                                        parent->path());
    }

    void add_register_target(const std::string& name, const std::string& node, uint64_t base, uint64_t size,
                             models::TargetTiming timing, tlm::tlm_base_target_socket_b<>& socket,
                             const std::string& kind = "registers", const std::string& prop = "reg") {
        add_target(MemoryRegion{name, node, base, size, false, timing}, kind, prop);
        register_sockets_[name] = &socket;
    }

    // A PCI host bridge and the endpoints below it; its children are not visited as nodes.
    void add_pci_host(const DtNode& node) {
        std::string name = fmt::format("pci{}", p_.pci_hosts_.size());
        PciHostSpec spec = read_pci_host(tree_, node, name, static_cast<uint32_t>(p_.pci_endpoints_.size()),
                                         system_addresses());
        skipped_.push_back(node.path());
        for (const std::string& warning : spec.warnings)
            p_.warnings_.push_back(tree_.source_name() + ": " + warning);
        add_warnings(spec.dma);
        auto bridge = std::make_unique<models::PciHostBridge>(name.c_str(), spec.bridge, instr_);
        add_register_target(name + "_ecam", node.path(), spec.ecam.address, spec.ecam.size, spec.timing, bridge->cfg_in,
                            "pci-ecam");
        for (size_t i = 0; i < spec.bridge.outbound.size(); ++i)
            add_register_target(fmt::format("{}_win{}", name, i), node.path(), spec.bridge.outbound[i].cpu_base,
                                spec.bridge.outbound[i].size, spec.timing, *bridge->mmio_in[i], "pci-window", "ranges");
        if (spec.local_memory)
            add_target(MemoryRegion{name + "_mem", node.path(), spec.local_memory->address, spec.local_memory->size,
                                    false, spec.timing},
                       "pci-memory");
        for (const PciEndpointSpec& endpoint : spec.endpoints) {
            p_.pci_endpoints_.push_back(endpoint.type->create(endpoint.model, endpoint.config, tree_.at(endpoint.node),
                                                              options_.seed, instr_));
            bridge->attach(*p_.pci_endpoints_.back(), endpoint.intx_irq);
        }
        p_.pci_bridges_.push_back(std::move(bridge));
        p_.pci_hosts_.push_back(std::move(spec));
    }

    // INTx lines to the GIC's level inputs; bridges share nothing, endpoints of one bridge that
    // reach one ID share its line (the bridge ORs them).
    void wire_pci_interrupts(models::PciHostBridge& bridge, const PciHostSpec& spec) {
        models::InterruptController* gic = p_.gic_.get();
        std::vector<unsigned> lines;
        for (const PciEndpointSpec& endpoint : spec.endpoints) {
            if (!endpoint.intx_irq || std::count(lines.begin(), lines.end(), *endpoint.intx_irq))
                continue;
            if (!gic || *endpoint.intx_irq >= gic->config().num_ids)
                tree_.at(spec.node).fail("interrupt-map", fmt::format("interrupts the GIC has (IDs below {}), got {} "
                                                                      "for {}",
                                                                      gic ? gic->config().num_ids : 0,
                                                                      *endpoint.intx_irq, endpoint.node));
            try {
                gic->connect_line(*endpoint.intx_irq, fmt::format("{}.intx{}", spec.name, *endpoint.intx_irq));
            } catch (const std::invalid_argument& taken) {
                tree_.at(spec.node).fail("interrupt-map", fmt::format("interrupts no other device drives, got {} for "
                                                                      "{} ({})",
                                                                      *endpoint.intx_irq, endpoint.node, taken.what()));
            }
            lines.push_back(*endpoint.intx_irq);
        }
        if (gic)
            bridge.set_irq_level([gic](unsigned id, bool asserted, uint64_t delay_ps) {
                gic->set_level(id, asserted, sc_core::sc_time::from_value(delay_ps));
            });
    }

    void add_memory(const DtNode& node) {
        for (const RegEntry& entry : node.reg()) {
            if (entry.size == 0)
                continue;
            add_target(MemoryRegion{fmt::format("dram{}", dram_count_++), node.path(),
                                    system_address(node, entry.address), entry.size, true,
                                    read_properties(node, models::Memory::dram_properties())},
                       "ram");
        }
    }

    void add_sram(const DtNode& node) {
        std::vector<RegEntry> reg = node.reg();
        if (reg.empty() || reg[0].size == 0)
            node.fail("reg", "one non-empty (address, size) region");
        add_target(MemoryRegion{fmt::format("sram{}", sram_count_++), node.path(), system_address(node, reg[0].address),
                                reg[0].size, false, read_properties(node, models::Memory::sram_properties())},
                   "sram");
    }

    void add_warnings(const OfDmaConfig& dma) {
        for (const std::string& warning : dma.warnings)
            p_.warnings_.push_back(tree_.source_name() + ": " + warning);
    }

    void add_bus_master(const DtNode& node) {
        const models::PropertyTable<models::BusMasterConfig>& properties = models::BusMaster::properties();
        models::BusMasterConfig config = properties.defaults;
        config.id = static_cast<uint32_t>(p_.masters_.size());
        config.stream_id = config.id;
        read_properties(node, properties.properties, config);
        OfDmaConfig dma = of_dma_configure_device(node);
        add_warnings(dma);
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
        if (node.has("memory-region"))
            pool_nodes_.push_back({node, node.phandle_target("memory-region").path()});
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

    // The bus master's line to the GIC's level input its `interrupts` names.
    void wire_bus_master_interrupt(models::BusMaster& master, const sw::BusMasterInfo& info, const DtNode& node) {
        if (!info.irq)
            return;
        unsigned id = *info.irq;
        models::InterruptController* gic = p_.gic_.get();
        if (!gic || id < gic::first_spi || id >= gic->config().num_ids)
            node.fail("interrupts", fmt::format("an SPI of the GIC (interrupt IDs 32 to {}), got {}",
                                                gic ? gic->config().num_ids - 1 : 0, id));
        try {
            gic->connect_line(id, master.name());
        } catch (const std::invalid_argument& taken) {
            node.fail("interrupts", fmt::format("an interrupt no other device drives, got {} ({})", id, taken.what()));
        }
        master.set_irq_level([gic, id](bool asserted, uint64_t delay_ps) {
            gic->set_level(id, asserted, sc_core::sc_time::from_value(delay_ps));
        });
    }

    void configure_kernel() {
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

    // memory-region must name a shared-dma-pool: no-map, the device's own coherent memory
    // (rmem_dma_device_init), or reusable, its own CMA area (rmem_cma_device_init).
    void check_coherent_pools() {
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

    void add_reserved(const DtNode& node) {
        if (node.parent()->path() != "/reserved-memory")
            return;
        p_.reserved_.push_back(read_reserved_region(node, system_addresses()));
    }

    // `prop`: the property that placed the region, named by its errors (`ranges` for a PCI window).
    void add_target(MemoryRegion region, const std::string& kind, const std::string& prop = "reg") {
        const DtNode node = tree_.at(region.node);
        if (region.size - 1 > ~0ULL - region.base)
            node.fail(prop, fmt::format("a region that ends below 2^64, got base {:#x} size {:#x}", region.base,
                                        region.size));
        if (region.size > max_target_size)
            node.fail(prop, fmt::format("a region of at most 1 TiB, got size {:#x}", region.size));
        placed_by_.push_back(prop);
        memory_map_json_.push_back({{"name", region.name},
                                    {"kind", kind},
                                    {"base", hex(region.base)},
                                    {"size", region.size},
                                    {"node", region.node},
                                    {"latency_ns", property_json(models::target_latency_property(), region.timing)},
                                    {"bandwidth_mbps",
                                     property_json(models::target_bandwidth_property(), region.timing)}});
        p_.memories_.push_back(std::move(region));
    }

    void warn_reserved_outside_ram() {
        for (const ReservedRegion& region : p_.reserved_) {
            if (!region.base)
                continue;
            if (!p_.inside_ram(*region.base, region.size))
                p_.warnings_.push_back(fmt::format("{}: node {}: reserved region [{:#x}, {:#x}) lies outside every "
                                                   "memory node; it reserves nothing",
                                                   tree_.source_name(), region.node, *region.base,
                                                   *region.base + region.size));
        }
    }

    void connect_outer_cache() {
        if (!outer_node_)
            return;
        if (outer_phandle_node_ != outer_node_->path()) {
            p_.warnings_.push_back(fmt::format("{}: node {}: no cpu names it in next-level-cache; node skipped",
                                               tree_.source_name(), outer_node_->path()));
            return;
        }
        models::CacheGeometry l1 = p_.core_->l1d().geometry();
        const models::CacheGeometry& geometry = outer_config_.geometry;
        if (geometry.line_size != l1.line_size)
            outer_node_->fail("cache-line-size", fmt::format("the L1 line size of {} ({} bytes), got {}", cpu_node_,
                                                             l1.line_size, geometry.line_size));
        models::CacheTiming timing = models::cache_timing(outer_config_.hit_cycles, outer_config_.maint_cycles,
                                                          p_.core_->config().cycle_ps);
        p_.outer_ = std::make_unique<models::OuterCache>("l2", geometry, timing, instr_);
        p_.core_->set_outer_cache(&p_.outer_->cache());
        uint64_t base = outer_registers_.address;
        p_.outer_registers_ = base;
        add_register_target("l2_regs", outer_node_->path(), base, outer_registers_.size,
                            read_properties(*outer_node_, models::register_timing_properties()), p_.outer_->cfg_in);
        caches_json_.push_back({{"name", "l2"},
                                {"node", outer_node_->path()},
                                {"level", outer_level_},
                                {"compatible", "arm,pl310-cache"},
                                {"registers", hex(base)}});
        nlohmann::ordered_json geometry_fields = geometry_json(geometry);
        for (auto& [key, value] : geometry_fields.items())
            caches_json_.back()[key] = value;
    }

    void bind_targets() {
        p_.core_->out.bind(p_.bus_->in);
        if (p_.outer_)
            p_.outer_->out.bind(p_.bus_->in);
        for (size_t i = 0; i < p_.masters_.size(); ++i) {
            models::BusMaster& master = *p_.masters_[i];
            master.dma_out.bind(p_.bus_->in);
            master.add_snooped_cache(&p_.core_->l1d());
            if (p_.outer_)
                master.add_snooped_cache(&p_.outer_->cache());
            wire_bus_master_interrupt(master, p_.bus_master_infos_[i], tree_.at(p_.dma_devices_[i].node));
        }
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

    void attach_monitor(const DtNode& root) {
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
    }

    nlohmann::ordered_json dma_devices_json() const {
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
            list.push_back({{"name", spec.name},
                            {"node", spec.node},
                            {"model", spec.model},
                            {"ops", spec.dma.ops},
                            {"dma_mask", hex(spec.dma.mask)},
                            {"coherent_dma_mask", hex(spec.dma.mask)},
                            {"bus_dma_limit",
                             spec.dma.bus_dma_limit ? nlohmann::ordered_json(hex(spec.dma.bus_dma_limit)) : nullptr},
                            {"dma_ranges", ranges},
                            {"dma_ranges_node",
                             spec.dma.ranges_node ? nlohmann::ordered_json(*spec.dma.ranges_node) : nullptr},
                            {"coherent", spec.dma.coherent},
                            {"coherent_from",
                             spec.dma.coherent_node ? nlohmann::ordered_json(*spec.dma.coherent_node) : nullptr},
                            {"coherent_pool", pool ? pool_json(pool->name, pool->size) : nullptr},
                            {"cma_area", cma ? pool_json(cma->name, cma->size) : nullptr}});
        }
        return list;
    }

    nlohmann::ordered_json pci_json() const {
        nlohmann::ordered_json list = nlohmann::ordered_json::array();
        for (const PciHostSpec& spec : p_.pci_hosts_) {
            nlohmann::ordered_json outbound = nlohmann::ordered_json::array(),
                                   inbound = nlohmann::ordered_json::array();
            for (const models::PciOutboundWindow& window : spec.bridge.outbound)
                outbound.push_back({{"cpu", hex(window.cpu_base)},
                                    {"pci", hex(window.pci_base)},
                                    {"size", window.size},
                                    {"type", window.mem64 ? "mem64" : "mem32"},
                                    {"prefetchable", window.prefetchable}});
            for (const dma::DmaRange& range : spec.dma.ranges)
                inbound.push_back({{"pci", hex(range.dma_start)}, {"cpu", hex(range.cpu_start)}, {"size", range.size}});
            nlohmann::ordered_json endpoints = nlohmann::ordered_json::array();
            for (const PciEndpointSpec& endpoint : spec.endpoints)
                endpoints.push_back(pci_endpoint_json(spec, endpoint));
            list.push_back({{"name", spec.name},
                            {"node", spec.node},
                            {"ecam", hex(spec.ecam.address)},
                            {"ecam_size", spec.ecam.size},
                            {"bus_start", spec.bridge.bus_start},
                            {"bus_end", spec.bridge.bus_end},
                            {"outbound", outbound},
                            {"inbound", inbound},
                            {"coherent", spec.dma.coherent},
                            {"coherent_from",
                             spec.dma.coherent_node ? nlohmann::ordered_json(*spec.dma.coherent_node) : nullptr},
                            {"local_memory", spec.local_memory
                                                 ? nlohmann::ordered_json({{"base", hex(spec.local_memory->address)},
                                                                           {"size", spec.local_memory->size}})
                                                 : nullptr},
                            {"msi_parent", spec.msi_parent ? nlohmann::ordered_json(*spec.msi_parent) : nullptr},
                            {"endpoints", endpoints}});
        }
        return list;
    }

    // A per-device coherent pool as describe shows it.
    static nlohmann::ordered_json pool_json(const std::string& name, uint64_t size) {
        return {{"region", name}, {"size", size}};
    }

    // What the kernel will configure for the function (pci_dma_configure), its engine's and the bus's
    // limits and what the lower one reaches; its coherent pool is the bridge's local memory.
    nlohmann::ordered_json pci_endpoint_json(const PciHostSpec& spec, const PciEndpointSpec& endpoint) const {
        const models::PciEndpointConfig& config = endpoint.config;
        const models::PropertyTable<models::PciEndpointConfig>& properties = endpoint.type->properties;
        uint64_t engine_limit = config.dma_bits >= 64 ? ~0ULL : (1ULL << config.dma_bits) - 1;
        uint64_t limit = dma::min_not_zero(engine_limit, spec.dma.bus_dma_limit);
        nlohmann::ordered_json reach = nlohmann::ordered_json::array();
        for (const dma::DmaRange& range : spec.dma.ranges)
            if (range.dma_start <= limit)
                reach.push_back({{"cpu", hex(range.cpu_start)},
                                 {"size", std::min(range.size - 1, limit - range.dma_start) + 1}});
        return {{"name", endpoint.model},
                {"node", endpoint.node},
                {"compatible", endpoint.compatible},
                {"kind", p_.pci_endpoints_.at(config.number)->device_kind()},
                {"bdf", fmt::format("{:02x}:{:02x}.{}", spec.bridge.bus_start, pci::PCI_SLOT(config.devfn),
                                    pci::PCI_FUNC(config.devfn))},
                {"dma_bits", property_json(properties.at("dmasim,dma-bits"), config)},
                {"dma_limit", hex(limit)},
                {"engine_dma_limit", hex(engine_limit)},
                {"bus_dma_limit",
                 spec.dma.bus_dma_limit ? nlohmann::ordered_json(hex(spec.dma.bus_dma_limit)) : nullptr},
                {"reaches", reach},
                {"ops", spec.dma.ops},
                {"coherent", spec.dma.coherent},
                {"dma_mask", hex(spec.dma.mask)},
                {"coherent_dma_mask", hex(spec.dma.mask)},
                {"coherent_pool", spec.local_memory
                                      ? pool_json(sw::local_memory_pool_name(spec.name), spec.local_memory->size)
                                      : nullptr},
                {"burst_size", property_json(properties.at("dmasim,burst-size"), config)},
                {"bandwidth_mbps", property_json(properties.at("dmasim,bandwidth-mbps"), config)},
                {"interrupt_pin", config.interrupt_pin},
                {"intx_irq", endpoint.intx_irq ? nlohmann::ordered_json(*endpoint.intx_irq) : nullptr},
                {"msi_vectors", property_json(properties.at("dmasim,msi-vectors"), config)}};
    }

    nlohmann::ordered_json kernel_json() const {
        const BootParams& boot = p_.boot_params_;
        return {{"bootargs", boot.bootargs},
                {"swiotlb_slots", boot.dma.swiotlb_slots},
                {"swiotlb_force", boot.dma.swiotlb_force},
                {"atomic_pool_size", boot.dma.atomic_pool_size},
                {"dma_debug", boot.dma.debug},
                {"dma_pool_debug", boot.dma.pool_debug},
                {"dma_from_device_map", dma::to_string(boot.dma.from_device_map)},
                {"dma_alias", dma::to_string(boot.dma.alias)},
                {"kmalloc_min_align", boot.kmalloc_min_align},
                {"zone_dma_limit", p_.zone_dma_.limit ? nlohmann::ordered_json(hex(p_.zone_dma_.limit)) : nullptr},
                {"zone_dma_set_by", p_.zone_dma_.limit ? nlohmann::ordered_json(p_.zone_dma_.set_by) : nullptr},
                {"zone_dma_node", p_.zone_dma_.node.empty() ? nullptr : nlohmann::ordered_json(p_.zone_dma_.node)}};
    }

    nlohmann::ordered_json reserved_json() const {
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

    Platform& p_;
    const DeviceTree& tree_;
    const PlatformOptions& options_;
    models::Instrumentation& instr_;
    std::vector<std::string> skipped_;
    std::vector<std::string> placed_by_;                      // per memories_ entry: the property that placed it
    std::vector<std::pair<DtNode, std::string>> pool_nodes_;  // device node, its memory-region's path
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
};

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
    if (!inside_ram(base, size))
        fail("a shared-dma-pool inside a memory node");
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
