// The platform builder's CPU family: the core with its L1 (/cpus/cpu@N) and the PL310 outer cache.
#include "platforms/builder/platform_builder.h"

#include "models/cpu/cpu_part.h"

namespace platform {

namespace {

constexpr const char* l1d_properties[] = {"d-cache-size", "d-cache-line-size", "d-cache-sets"};

std::string known_parts() {
    std::vector<std::string> names;
    for (const models::CpuPart& part : models::cpu_parts())
        names.push_back(part.compatible);
    return fmt::format("{}", fmt::join(names, ", "));
}

// Linux reads the L1D's geometry from the hardware (CCSIDR); the table of parts stands for it
// (models/cpu/cpu_part.h). Each d-cache-* property the node has overrides its field. Returns where
// the geometry came from, for describe.
std::string l1d_geometry_of_part(const DtNode& node, models::CacheGeometry& l1) {
    std::vector<std::string> missing, given;
    for (const char* name : l1d_properties)
        (node.has(name) ? given : missing).push_back(name);
    if (missing.empty())
        return "device tree";
    const models::CpuPart* part = models::find_cpu_part(node.compatible());
    if (!part)
        node.fail(missing[0],
                  fmt::format("{} (the L1 data cache's geometry), or a compatible dmasim knows the "
                              "geometry of ({}), got compatible \"{}\"",
                              fmt::join(missing, ", "), known_parts(), fmt::join(node.compatible(), "\", \"")));
    l1 = part->l1d;
    std::string from = part->reference;
    if (!given.empty())
        from += fmt::format("; {} from the device tree", fmt::join(given, ", "));
    if (!node.has("d-cache-size") && *part->l1d_size_options)
        from += fmt::format("; size assumed (the manual allows {})", part->l1d_size_options);
    return from;
}

}  // namespace

void Platform::Builder::add_core(const DtNode& node) {
    if (p_.core_) {
        p_.warnings_.push_back(fmt::format("{}: node {}: only one core is modelled; node skipped", tree_.source_name(),
                                           node.path()));
        return;
    }
    const models::PropertyTable<models::CoreConfig>& properties = models::Core::properties();
    models::CoreConfig config = properties.defaults;
    const std::string l1d_from = l1d_geometry_of_part(node, config.l1);
    read_properties(node, properties.properties, config);
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
                           {"l1d_from", l1d_from},
                           {"next_level_cache", outer_phandle_node_},
                           {"prefetch", property_json(properties.at("dmasim,prefetch"), config)},
                           {"alias_policy", property_json(properties.at("dmasim,alias-policy"), config)},
                           {"quantum_ns", property_json(properties.at("dmasim,quantum-ns"), config)}});
}

void Platform::Builder::add_outer_cache(const DtNode& node) {
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

void Platform::Builder::connect_outer_cache() {
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

}  // namespace platform
