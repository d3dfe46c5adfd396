#include "platforms/builder/pci_host_bridge.h"

#include "platforms/builder/platform_builder.h"

#include "models/pci/pci_regs.h"
#include "platforms/boot/of_iommu.h"
#include "platforms/builder/interrupts.h"
#include "platforms/builder/properties.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fmt/format.h>
#include <optional>

namespace platform {

namespace {

constexpr uint32_t space_code_mask = 0x03000000;
constexpr uint32_t space_io = 0x01000000;
constexpr uint32_t space_mem32 = 0x02000000;
constexpr uint32_t space_mem64 = 0x03000000;
constexpr uint32_t prefetchable_bit = 0x40000000;
constexpr unsigned pci_address_cells = 3;
constexpr unsigned pci_size_cells = 2;

uint64_t join(const std::vector<uint32_t>& cells, size_t first, size_t count) {
    uint64_t value = 0;
    for (size_t i = first; i < first + count; ++i)
        value = value << 32 | cells[i];
    return value;
}

void check_pci_cells(const DtNode& node) {
    if (node.address_cells() != pci_address_cells)
        node.fail("#address-cells", "<3> (PCI addresses: phys.hi, phys.mid, phys.lo)");
    if (node.size_cells() != pci_size_cells)
        node.fail("#size-cells", "<2>");
}

void read_reg(const DtNode& node, const SystemAddress& system_address, PciHostSpec& spec) {
    std::vector<RegEntry> reg = node.reg();
    std::vector<std::string> names = node.strings("reg-names");
    if (names.empty()) {
        if (reg.size() != 1)
            node.fail("reg", "one (address, size) entry, ECAM; name a second one with reg-names = \"ecam\", "
                             "\"local-memory\"");
        names = {"ecam"};
    }
    if (names.size() != reg.size())
        node.fail("reg-names", fmt::format("one name per reg entry ({}), got {}", reg.size(), names.size()));
    bool have_ecam = false;
    for (size_t i = 0; i < reg.size(); ++i) {
        RegEntry entry{system_address(node, reg[i].address), reg[i].size};
        if (entry.size == 0)
            node.fail("reg", "non-empty regions");
        if (names[i] == "ecam") {
            spec.ecam = entry;
            have_ecam = true;
        } else if (names[i] == "local-memory") {
            if (entry.address % 4096 || entry.size % 4096)
                node.fail("reg", fmt::format("page-aligned local memory, got base {:#x} size {:#x}", entry.address,
                                             entry.size));
            spec.local_memory = entry;
        } else {
            node.fail("reg-names", fmt::format("\"ecam\" or \"local-memory\", got \"{}\"", names[i]));
        }
    }
    if (!have_ecam)
        node.fail("reg-names", "an entry named \"ecam\"");
}

void read_bus_range(const DtNode& node, PciHostSpec& spec) {
    uint64_t ecam_buses = spec.ecam.size / pci::PCIE_ECAM_BUS_SIZE;
    if (ecam_buses == 0)
        node.fail("reg", fmt::format("an ECAM region of at least 1 MiB (one bus), got {:#x}", spec.ecam.size));
    unsigned start = 0, end = static_cast<unsigned>(std::min<uint64_t>(255, ecam_buses - 1));
    if (node.has("bus-range")) {
        std::vector<uint32_t> range = node.cells("bus-range");
        if (range.size() != 2 || range[0] > range[1] || range[1] > 255)
            node.fail("bus-range", "<first last> with first <= last <= 255");
        start = range[0];
        end = range[1];
        if (end - start + 1 > ecam_buses)
            node.fail("bus-range", fmt::format("buses ECAM covers ({} MiB: {} buses), got {} buses",
                                               spec.ecam.size >> 20, ecam_buses, end - start + 1));
    }
    spec.bridge.bus_start = start;
    spec.bridge.bus_end = end;
    spec.ecam.size = uint64_t(end - start + 1) * pci::PCIE_ECAM_BUS_SIZE;
}

void read_ranges(const DtNode& node, const SystemAddress& system_address, PciHostSpec& spec) {
    std::vector<uint32_t> cells = node.cells("ranges");
    uint32_t parent_cells = node.parent()->address_cells();
    size_t entry_cells = pci_address_cells + parent_cells + pci_size_cells;
    if (cells.empty() || cells.size() % entry_cells)
        node.fail("ranges", fmt::format("(PCI address, CPU address, size) entries of 3+{}+2 cells, got {} cells",
                                        parent_cells, cells.size()));
    for (size_t i = 0; i < cells.size(); i += entry_cells) {
        uint32_t phys_hi = cells[i];
        models::PciOutboundWindow window;
        window.pci_base = join(cells, i + 1, 2);
        window.cpu_base = system_address(node, join(cells, i + pci_address_cells, parent_cells));
        window.size = join(cells, i + pci_address_cells + parent_cells, pci_size_cells);
        window.prefetchable = phys_hi & prefetchable_bit;
        uint32_t space = phys_hi & space_code_mask;
        if (space == space_io) {
            spec.warnings.push_back(fmt::format("node {}: property 'ranges': I/O window at {:#x} ignored (no I/O "
                                                "space is modelled)",
                                                node.path(), window.cpu_base));
            continue;
        }
        if (space != space_mem32 && space != space_mem64)
            node.fail("ranges",
                      fmt::format("memory windows (phys.hi space code 0x02 or 0x03), got phys.hi {:#010x}", phys_hi));
        window.mem64 = space == space_mem64;
        if (window.size == 0 || window.size - 1 > ~0ULL - window.cpu_base || window.size - 1 > ~0ULL - window.pci_base)
            node.fail("ranges", fmt::format("non-empty windows that end below 2^64, got PCI {:#x} size {:#x}",
                                            window.pci_base, window.size));
        // Linux takes the space code as flags only (of_bus_pci_get_flags) and never checks a 0x02
        // window against 4 GiB: Juno's prefetchable window at PCI 0x40_0000_0000 is one. Only a
        // 64-bit BAR can be placed there, so it is a 64-bit window here.
        if (!window.mem64 && window.pci_base + window.size > (1ULL << 32)) {
            spec.warnings.push_back(fmt::format("node {}: property 'ranges': window at PCI {:#x} has the 32-bit "
                                                "space code (0x02) but lies above 4 GiB; only 64-bit BARs can use it",
                                                node.path(), window.pci_base));
            window.mem64 = true;
        }
        spec.bridge.outbound.push_back(window);
    }
    if (spec.bridge.outbound.empty())
        node.fail("ranges", "at least one memory window");
}

// The inbound windows: dma-ranges, or identity without them, and the local memory at its CPU
// address.
void read_inbound(const DtNode& node, PciHostSpec& spec) {
    spec.dma = of_dma_configure(node);
    spec.bridge.coherent = spec.dma.coherent;
    for (const dma::DmaRange& range : spec.dma.ranges)
        spec.bridge.inbound.push_back(models::InboundWindow{range.dma_start, range.cpu_start, range.size});
    if (spec.dma.ranges.empty())
        spec.bridge.inbound.push_back(models::InboundWindow{0, 0, ~0ULL});
    if (!spec.local_memory)
        return;
    const RegEntry& local = *spec.local_memory;
    if (!spec.dma.ranges.empty())
        for (const models::InboundWindow& window : spec.bridge.inbound)
            if (local.address < window.bus_start + window.size && window.bus_start < local.address + local.size)
                node.fail("reg", fmt::format("local memory whose PCI addresses (its CPU addresses, [{:#x}, {:#x})) "
                                             "no dma-ranges window also uses, got an overlap with bus [{:#x}, {:#x})",
                                             local.address, local.address + local.size, window.bus_start,
                                             window.bus_start + window.size));
    spec.bridge.inbound.insert(spec.bridge.inbound.begin(),
                               models::InboundWindow{local.address, local.address, local.size});
}

void read_interrupt_map(const DeviceTree& tree, const DtNode& node, PciHostSpec& spec) {
    if (!node.has("interrupt-map"))
        return;
    if (node.u32_or("#interrupt-cells", 1) != 1)
        node.fail("#interrupt-cells", "<1> (the INTx pin)");
    if (node.has("interrupt-map-mask")) {
        std::vector<uint32_t> mask = node.cells("interrupt-map-mask");
        if (mask.size() != pci_address_cells + 1)
            node.fail("interrupt-map-mask", "4 cells: phys.hi phys.mid phys.lo pin");
        spec.intx_map.phys_hi_mask = mask[0];
        spec.intx_map.pin_mask = mask[3];
    }
    std::vector<uint32_t> cells = node.cells("interrupt-map");
    for (size_t i = 0; i < cells.size();) {
        if (cells.size() - i < pci_address_cells + 2)
            node.fail("interrupt-map", "entries of a unit address (3 cells), a pin, a phandle and the parent's "
                                       "unit address and interrupt specifier");
        sw::PciIntxMapEntry entry;
        entry.phys_hi = cells[i] & spec.intx_map.phys_hi_mask;
        entry.pin = cells[i + 3] & spec.intx_map.pin_mask;
        std::optional<DtNode> parent = tree.by_phandle(cells[i + 4]);
        if (!parent)
            node.fail("interrupt-map", fmt::format("a phandle of an interrupt controller, got {:#x}", cells[i + 4]));
        size_t address_cells = parent->u32_or("#address-cells", 0);
        size_t interrupt_cells = parent->u32("#interrupt-cells");
        size_t first = i + pci_address_cells + 2 + address_cells;
        if (cells.size() < first + interrupt_cells)
            node.fail("interrupt-map", fmt::format("an entry for {} with {} address and {} interrupt cells, got a "
                                                   "truncated one",
                                                   parent->path(), address_cells, interrupt_cells));
        entry.irq = gic_interrupt_id(node, "interrupt-map", *parent,
                                     std::vector<uint32_t>(cells.begin() + first,
                                                           cells.begin() + first + interrupt_cells));
        spec.intx_map.entries.push_back(entry);
        i = first + interrupt_cells;
    }
}

void read_msi_parent(const DtNode& node, const SystemAddress& system_address, PciHostSpec& spec) {
    if (!node.has("msi-parent"))
        return;
    DtNode frame = node.phandle_target("msi-parent");
    if (!frame.is_compatible("arm,gic-v2m-frame"))
        node.fail("msi-parent", fmt::format("a GICv2m frame (compatible \"arm,gic-v2m-frame\"), got {}", frame.path()));
    std::vector<RegEntry> reg = frame.reg();
    if (reg.empty())
        frame.fail("reg", "the frame's registers");
    spec.msi_parent = frame.path();
    spec.bridge.msi_page = system_address(frame, reg[0].address) & ~(models::PciHostBridge::msi_page_size - 1);
}

// `min` to `max` hex digits -> the value; nullopt otherwise.
std::optional<uint32_t> parse_hex(const std::string& digits, size_t min, size_t max) {
    if (digits.size() < min || digits.size() > max ||
        !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isxdigit(c); }))
        return std::nullopt;
    return static_cast<uint32_t>(std::stoul(digits, nullptr, 16));
}

// One entry of a PCI function's `compatible` in the IEEE 1275 PCI binding's forms (rev 2.1),
// most specific first: pciVVVV,DDDD.SSSS.ssss.RR, pciVVVV,DDDD.SSSS.ssss, pciSSSS,ssss,
// pciVVVV,DDDD.RR, pciVVVV,DDDD (IDs of 1 to 4 hex digits, leading zeros suppressed; RR of 1 or 2),
// pciclass,CCSSPP and pciclass,CCSS. An ID entry gives `vendor` and `device` (the first pair).
struct PciCompatible {
    bool is_class = false;
    uint16_t vendor = 0, device = 0;
};

std::optional<PciCompatible> parse_pci_compatible(const std::string& compatible) {
    constexpr const char* class_prefix = "pciclass,";
    if (compatible.rfind(class_prefix, 0) == 0) {
        std::string code = compatible.substr(std::strlen(class_prefix));
        if ((code.size() != 4 && code.size() != 6) || !parse_hex(code, 4, 6))
            return std::nullopt;
        return PciCompatible{true, 0, 0};
    }
    size_t comma = compatible.find(',');
    if (compatible.rfind("pci", 0) != 0 || comma == std::string::npos)
        return std::nullopt;
    std::optional<uint32_t> vendor = parse_hex(compatible.substr(3, comma - 3), 1, 4);
    std::vector<std::string> parts;  // DDDD, then .SSSS.ssss and/or .RR
    for (size_t start = comma + 1;;) {
        size_t dot = compatible.find('.', start);
        parts.push_back(compatible.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        if (dot == std::string::npos)
            break;
        start = dot + 1;
    }
    bool well_formed = vendor && parts.size() <= 4;
    for (size_t i = 0; well_formed && i < parts.size(); ++i) {
        bool revision = (parts.size() == 2 || parts.size() == 4) && i == parts.size() - 1;
        well_formed = revision ? bool(parse_hex(parts[i], 1, 2)) : bool(parse_hex(parts[i], 1, 4));
    }
    if (!well_formed)
        return std::nullopt;
    return PciCompatible{false, static_cast<uint16_t>(*vendor), static_cast<uint16_t>(*parse_hex(parts[0], 1, 4))};
}

// The model of the first ID entry whose vendor and device IDs have one, or nullptr.
const PciEndpointModel* find_endpoint_model(const std::vector<PciCompatible>& entries) {
    for (const PciCompatible& entry : entries)
        for (const PciEndpointModel& model : pci_endpoint_models()) {
            std::optional<PciCompatible> id = parse_pci_compatible(model.compatible);
            if (!entry.is_class && id && id->vendor == entry.vendor && id->device == entry.device)
                return &model;
        }
    return nullptr;
}

void read_endpoint(const DtNode& child, PciHostSpec& spec, uint32_t number) {
    // Every entry of the binding's ("pci...") must be well formed; other bindings' strings are
    // left alone, but one entry at least must be the PCI binding's.
    std::vector<std::string> compatible = child.compatible();
    std::vector<PciCompatible> entries;
    for (const std::string& entry : compatible) {
        if (entry.rfind("pci", 0) != 0)
            continue;
        std::optional<PciCompatible> parsed = parse_pci_compatible(entry);
        if (!parsed)
            child.fail("compatible",
                       fmt::format("PCI binding entries \"pciVVVV,DDDD\", \"pciVVVV,DDDD.RR\", "
                                   "\"pciVVVV,DDDD.SSSS.ssss[.RR]\" (IDs of 1 to 4 hex digits, RR of 1 or 2) or "
                                   "\"pciclass,CCSS[PP]\", got \"{}\"",
                                   entry));
        entries.push_back(*parsed);
    }
    if (entries.empty())
        child.fail("compatible", fmt::format("a PCI binding entry (\"pciVVVV,DDDD\" or \"pciclass,CCSS\" forms), got "
                                             "\"{}\"",
                                             fmt::join(compatible, "\", \"")));
    // A well-formed ID without a model is an empty slot, as a device without a driver is unbound;
    // so is a function named by class only (no ID to pick a model by).
    const PciEndpointModel* type = find_endpoint_model(entries);
    if (!type) {
        bool class_only = std::all_of(entries.begin(), entries.end(),
                                      [](const PciCompatible& e) { return e.is_class; });
        spec.warnings.push_back(fmt::format("node {}: {} \"{}\"; node skipped", child.path(),
                                            class_only ? "no vendor and device ID to choose a PCI endpoint model by, "
                                                         "only class entries in compatible"
                                                       : "no PCI endpoint model for compatible",
                                            fmt::join(compatible, "\", \"")));
        return;
    }
    PciEndpointSpec endpoint;
    endpoint.model = fmt::format("ep{}", number);
    endpoint.node = child.path();
    endpoint.compatible = type->compatible;
    endpoint.type = type;
    models::PciEndpointConfig& config = endpoint.config = type->properties.defaults;
    config.number = number;
    PciCompatible id = *parse_pci_compatible(type->compatible);
    config.vendor_id = id.vendor;
    config.device_id = id.device;
    std::vector<uint32_t> reg = child.cells("reg");
    if (reg.size() < pci_address_cells + pci_size_cells)
        child.fail("reg", "<phys.hi 0 0 0 0> with phys.hi = bus << 16 | devfn << 8");
    unsigned bus = reg[0] >> 16 & 0xff;
    config.devfn = static_cast<uint8_t>(reg[0] >> 8 & 0xff);
    if (bus != spec.bridge.bus_start)
        child.fail("reg", fmt::format("a function on the root bus {:02x} (no PCI-to-PCI bridges are modelled), got bus "
                                      "{:02x}",
                                      spec.bridge.bus_start, bus));
    for (const PciEndpointSpec& other : spec.endpoints)
        if (other.config.devfn == config.devfn)
            child.fail("reg", fmt::format("a devfn no other function uses, got {:02x}.{} (also {})",
                                          pci::PCI_SLOT(config.devfn), pci::PCI_FUNC(config.devfn), other.node));
    if (pci::PCI_FUNC(config.devfn) != 0 &&
        std::none_of(spec.endpoints.begin(), spec.endpoints.end(), [&](const PciEndpointSpec& other) {
            return other.config.devfn == pci::PCI_DEVFN(pci::PCI_SLOT(config.devfn), 0);
        }))
        child.fail("reg", fmt::format("function 0 of slot {:02x} before function {} (enumeration finds a slot by "
                                      "its function 0)",
                                      pci::PCI_SLOT(config.devfn), pci::PCI_FUNC(config.devfn)));
    if (child.has("iommus"))
        child.fail("iommus", "no iommus on a PCI function: it translates by its requester ID through its host "
                             "bridge's iommu-map");
    read_properties(child, type->properties.properties, config);
    uint32_t pin = child.u32_or("interrupts", 1);
    if (pin > 4)
        child.fail("interrupts", fmt::format("the INTx pin: 1..4 (INTA..INTD), or 0 for none, got {}", pin));
    config.interrupt_pin = static_cast<uint8_t>(pin);
    if (pin)
        endpoint.intx_irq = spec.intx_map.lookup(bus, config.devfn, pin);
    spec.endpoints.push_back(endpoint);
}

}  // namespace

std::vector<dma::BusRange> iova_reserve_pci_windows(const PciHostSpec& spec) {
    std::vector<dma::BusRange> reserved;
    for (const models::PciOutboundWindow& window : spec.bridge.outbound)
        reserved.push_back({window.pci_base, window.pci_base + window.size - 1});
    std::vector<dma::DmaRange> ranges = spec.dma.ranges;
    std::sort(ranges.begin(), ranges.end(),  // iommu_dma_ranges_sort
              [](const dma::DmaRange& a, const dma::DmaRange& b) { return a.dma_start < b.dma_start; });
    uint64_t start = 0;
    for (const dma::DmaRange& range : ranges) {
        if (range.dma_start > start)  // Linux's reserved range ends at the window's first address, inclusive
            reserved.push_back({start, range.dma_start});
        start = range.dma_start + (range.size - 1) + 1;
    }
    if (!ranges.empty() && start != 0)  // above the last window (start wraps to 0 when it ends the space)
        reserved.push_back({start, ~0ULL});
    return reserved;
}

PciHostSpec read_pci_host(const DeviceTree& tree, const DtNode& node, const std::string& name, uint32_t first_endpoint,
                          const SystemAddress& system_address) {
    PciHostSpec spec;
    spec.name = name;
    spec.node = node.path();
    if (node.string_or("device_type", "") != "pci")
        node.fail("device_type", "\"pci\"");
    check_pci_cells(node);
    read_reg(node, system_address, spec);
    read_bus_range(node, spec);
    read_ranges(node, system_address, spec);
    read_inbound(node, spec);
    spec.iommu_map = of_pci_iommu_map(node, spec.warnings);
    // Linux's external-facing (bindings/pci/pci.txt, on a port; here the bridge stands for its root
    // port): every function behind it is untrusted (set_pcie_untrusted).
    spec.dma.untrusted = node.flag("external-facing");
    read_interrupt_map(tree, node, spec);
    read_msi_parent(node, system_address, spec);
    spec.timing = read_properties(node, models::PciHostBridge::timing_properties());
    uint32_t number = first_endpoint;
    // A function whose node is not available is not added: Linux's pci_set_of_node returns -ENODEV
    // for it and pci_setup_device gives up (6fffbc7ae137 "PCI: Honor firmware's device disabled
    // status", Linux 6.2; before, the node was attached and the function enumerated regardless).
    for (const DtNode& child : node.children())
        if (child.is_available() && !child.compatible().empty()) {
            size_t before = spec.endpoints.size();
            read_endpoint(child, spec, number);
            number += spec.endpoints.size() - before;
        }
    return spec;
}

sw::PciHostBridgeInfo PciHostSpec::kernel_info(unsigned domain) const {
    sw::PciHostBridgeInfo info;
    info.name = name;
    info.node = node;
    info.domain = domain;
    info.ecam_base = ecam.address;
    info.ecam_size = ecam.size;
    info.bus_start = bridge.bus_start;
    info.bus_end = bridge.bus_end;
    for (const models::PciOutboundWindow& window : bridge.outbound)
        info.windows.push_back({window.cpu_base, window.pci_base, window.size, window.mem64, window.prefetchable});
    info.dma = dma.dma_config();
    info.iommu_map = iommu_map;
    if (iommu_map)
        info.dma.iova_reserved = iova_reserve_pci_windows(*this);
    info.intx_map = intx_map;
    info.msi = msi_parent.has_value();
    if (local_memory)
        info.local_memory = sw::PhysRange{local_memory->address, local_memory->size};
    return info;
}

// --- the platform builder's PCI family: host bridges, their endpoints and interrupts ---

// A PCI host bridge and the endpoints below it; its children are not visited as nodes.
void Platform::Builder::add_pci_host(const DtNode& node) {
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
        add_target(MemoryRegion{name + "_mem", node.path(), spec.local_memory->address, spec.local_memory->size, false,
                                spec.timing},
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
void Platform::Builder::wire_pci_interrupts(models::PciHostBridge& bridge, const PciHostSpec& spec) {
    models::InterruptController* gic = p_.gic_.get();
    std::vector<unsigned> lines;
    for (const PciEndpointSpec& endpoint : spec.endpoints) {
        if (!endpoint.intx_irq || std::count(lines.begin(), lines.end(), *endpoint.intx_irq))
            continue;
        if (!gic || *endpoint.intx_irq >= gic->config().num_ids)
            tree_.at(spec.node).fail("interrupt-map",
                                     fmt::format("interrupts the GIC has (IDs below {}), got {} "
                                                 "for {}",
                                                 gic ? gic->config().num_ids : 0, *endpoint.intx_irq, endpoint.node));
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

void Platform::Builder::report_unmodelled_pci_host(const DtNode& node) {
    const std::string compatible = fmt::format("\"{}\"", fmt::join(node.compatible(), "\", \""));
    nlohmann::ordered_json inbound = nlohmann::ordered_json::array();
    // What of_dma_configure would give the functions behind it, had they been enumerated.
    for (const dma::DmaRange& range : of_dma_configure(node).ranges)
        inbound.push_back({{"pci", hex(range.dma_start)}, {"cpu", hex(range.cpu_start)}, {"size", range.size}});
    unmodelled_pci_json_.push_back({{"node", node.path()}, {"compatible", node.compatible()}, {"inbound", inbound}});
    p_.warnings_.push_back(fmt::format("{}: node {}: PCI host bridge {} is not modelled (only pci-host-ecam-generic "
                                       "is): nothing behind it is enumerated; its dma-ranges still bound ZONE_DMA",
                                       tree_.source_name(), node.path(), compatible));
    skipped_.push_back(node.path());
}

nlohmann::ordered_json Platform::Builder::pci_json() const {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const PciHostSpec& spec : p_.pci_hosts_) {
        nlohmann::ordered_json outbound = nlohmann::ordered_json::array(), inbound = nlohmann::ordered_json::array();
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
        if (spec.iommu_map)
            list.back()["iommu_map"] = iommu_map_json(*spec.iommu_map);
    }
    return list;
}

nlohmann::ordered_json Platform::Builder::iommu_map_json(const sw::PciIommuMap& map) {
    nlohmann::ordered_json entries = nlohmann::ordered_json::array();
    for (const models::IommuMapEntry& entry : map.entries)
        entries.push_back({{"rid_base", hex(entry.rid_base)},
                           {"sid_base", hex(entry.sid_base)},
                           {"length", entry.length}});
    return {{"iommu", map.iommu}, {"mask", hex(map.mask)}, {"entries", entries}};
}

// What the kernel will configure for the function (pci_dma_configure), its engine's and the bus's
// limits and what the lower one reaches; its coherent pool is the bridge's local memory.
nlohmann::ordered_json Platform::Builder::pci_endpoint_json(const PciHostSpec& spec,
                                                            const PciEndpointSpec& endpoint) const {
    const models::PciEndpointConfig& config = endpoint.config;
    const models::PropertyTable<models::PciEndpointConfig>& properties = endpoint.type->properties;
    uint64_t engine_limit = config.dma_bits >= 64 ? ~0ULL : (1ULL << config.dma_bits) - 1;
    uint64_t limit = dma::min_not_zero(engine_limit, spec.dma.bus_dma_limit);
    std::optional<dma::IommuFwspec> fwspec;
    if (spec.iommu_map)
        fwspec = spec.iommu_map->fwspec(spec.bridge.bus_start << 8 | config.devfn);
    // What the limit reaches directly; behind an IOMMU, its IOVAs reach whatever pages it maps.
    nlohmann::ordered_json reach = nlohmann::ordered_json::array();
    for (const dma::DmaRange& range : spec.dma.ranges)
        if (range.dma_start <= limit && !fwspec)
            reach.push_back({{"cpu", hex(range.cpu_start)},
                             {"size", std::min(range.size - 1, limit - range.dma_start) + 1}});
    nlohmann::ordered_json json = {
        {"name", endpoint.model},
        {"node", endpoint.node},
        {"compatible", endpoint.compatible},
        {"kind", p_.pci_endpoints_.at(config.number)->device_kind()},
        {"bdf", fmt::format("{:02x}:{:02x}.{}", spec.bridge.bus_start, pci::PCI_SLOT(config.devfn),
                            pci::PCI_FUNC(config.devfn))},
        {"dma_bits", property_json(properties.at("dmasim,dma-bits"), config)},
        {"dma_limit", hex(limit)},
        {"engine_dma_limit", hex(engine_limit)},
        {"bus_dma_limit", spec.dma.bus_dma_limit ? nlohmann::ordered_json(hex(spec.dma.bus_dma_limit)) : nullptr},
        {"reaches", reach},
        {"ops", fwspec ? dma::IommuOps::ops_name : spec.dma.ops},
        {"coherent", spec.dma.coherent},
        {"dma_mask", hex(spec.dma.mask)},
        {"coherent_dma_mask", hex(spec.dma.mask)},
        {"coherent_pool",
         spec.local_memory ? pool_json(sw::local_memory_pool_name(spec.name), spec.local_memory->size) : nullptr},
        {"burst_size", property_json(properties.at("dmasim,burst-size"), config)},
        {"bandwidth_mbps", property_json(properties.at("dmasim,bandwidth-mbps"), config)},
        {"interrupt_pin", config.interrupt_pin},
        {"intx_irq", endpoint.intx_irq ? nlohmann::ordered_json(*endpoint.intx_irq) : nullptr},
        {"msi_vectors", property_json(properties.at("dmasim,msi-vectors"), config)}};
    if (fwspec)  // only behind an IOMMU, so that platforms without one describe themselves as before
        json["iommu"] = fwspec_json(*fwspec);
    if (spec.dma.untrusted)
        json["untrusted"] = true;
    return json;
}

}  // namespace platform
