#include "platforms/app/describe.h"

#include "platforms/boot/zone_dma.h"

#include <fmt/format.h>
#include <sstream>
#include <vector>

namespace platform {

namespace {

std::string human_size(uint64_t bytes) {
    if (bytes && bytes % (1ULL << 30) == 0)
        return fmt::format("{} GiB", bytes >> 30);
    if (bytes && bytes % (1ULL << 20) == 0)
        return fmt::format("{} MiB", bytes >> 20);
    if (bytes && bytes % (1ULL << 10) == 0)
        return fmt::format("{} KiB", bytes >> 10);
    return fmt::format("{} B", bytes);
}

// A device's ops: "direct ops", or "iommu ops via /iommu@..., stream ID 0x100" for a device behind an
// IOMMU (its fwspec IDs: the SMR mask, if any, in bits 31:16).
std::string ops_text(const nlohmann::ordered_json& dev) {
    if (!dev.contains("iommu"))
        return dev["ops"].get<std::string>() + " ops";
    const nlohmann::ordered_json& iommu = dev["iommu"];
    std::vector<std::string> ids = iommu["stream_ids"].get<std::vector<std::string>>();
    return fmt::format("{} ops via {}, stream ID{} {}", dev["ops"].get<std::string>(), iommu["node"].get<std::string>(),
                       ids.size() > 1 ? "s" : "", fmt::join(ids, ", "));
}

// What the kernel gives a DMA device (a device-tree node's or a PCI function's): ops, coherence, masks.
std::string dma_setup_text(const nlohmann::ordered_json& dev) {
    return fmt::format("{}{}, {}, dma mask {}, coherent mask {}", ops_text(dev),
                       dev.value("untrusted", false) ? ", untrusted" : "",
                       dev["coherent"].get<bool>() ? "coherent" : "non-coherent", dev["dma_mask"].get<std::string>(),
                       dev["coherent_dma_mask"].get<std::string>());
}

// The kernel's ZONE_DMA and what set its limit.
std::string swiotlb_text(const nlohmann::ordered_json& kernel) {
    if (kernel["swiotlb_disabled"].get<bool>())
        return "none (swiotlb=noforce)";
    uint64_t slots = kernel["swiotlb_slots"].get<uint64_t>();
    return fmt::format("{} slots ({}){}", slots, human_size(slots * 2048),
                       kernel["swiotlb_force"].get<bool>() ? ", forced" : "");
}

std::string zone_dma_text(const nlohmann::ordered_json& kernel) {
    if (kernel["zone_dma_limit"].is_null())
        return "none (DMA32 is the lowest zone)";
    const nlohmann::ordered_json& node = kernel["zone_dma_node"];
    return fmt::format("below {} ({})", kernel["zone_dma_limit"].get<std::string>(),
                       zone_dma_bound_text(kernel["zone_dma_set_by"].get<std::string>(),
                                           node.is_null() ? std::string() : node.get<std::string>()));
}

// The SMMUs: what their drivers find (context banks, stream matching), how they walk and cache.
std::string iommus_text(const nlohmann::ordered_json& iommus) {
    std::string text = "\nIOMMUs:\n";
    for (const auto& i : iommus) {
        std::vector<unsigned> context = i["context_irqs"].get<std::vector<unsigned>>();
        text += fmt::format("  {} ({}, {}): registers at {} ({}); {} context banks, {} stream-match groups, {}-bit "
                            "stream IDs, #iommu-cells {}; {}\n",
                            i["name"].get<std::string>(), i["node"].get<std::string>(),
                            i["compatible"].get<std::string>(), i["registers"].get<std::string>(),
                            human_size(i["registers_size"].get<uint64_t>()), i["context_banks"].get<unsigned>(),
                            i["stream_match_groups"].get<unsigned>(), i["stream_id_bits"].get<unsigned>(),
                            i["iommu_cells"].get<unsigned>(),
                            i["coherent_walk"].get<bool>()
                                ? "coherent walk (snoops the caches, from " + i["coherent_from"].get<std::string>() +
                                      ")"
                                : std::string("non-coherent walk (its driver cleans each descriptor it writes)"));
        text += fmt::format("    IOTLB {} entries, {}-way, {} ns a hit; walks {} ns a level; {}-bit IOVAs, {}-bit "
                            "output; global fault interrupt {}, context interrupts {}\n",
                            i["iotlb_entries"].get<unsigned>(), i["iotlb_ways"].get<unsigned>(),
                            i["iotlb_latency_ns"].get<uint64_t>(), i["walk_level_latency_ns"].get<uint64_t>(),
                            i["input_address_bits"].get<unsigned>(), i["output_address_bits"].get<unsigned>(),
                            fmt::join(i["global_irqs"].get<std::vector<unsigned>>(), ", "), fmt::join(context, ", "));
    }
    return text;
}

// The MFDs: their windows, the 8051, the firmware the driver loads, the pool and the cells.
std::string mfds_text(const nlohmann::ordered_json& mfds) {
    std::string text = "\nmulti-function devices:\n";
    for (const auto& m : mfds) {
        text += fmt::format(
            "  {} ({}, dmasim,mfd): registers at {}, {} SRAM at {} (bus {}), {} code window at {}; {}\n",
            m["name"].get<std::string>(), m["node"].get<std::string>(), m["registers"].get<std::string>(),
            human_size(m["sram_size"].get<uint64_t>()), m["sram"].get<std::string>(), m["sram_bus"].get<std::string>(),
            human_size(m["code_size"].get<uint64_t>()), m["code"].get<std::string>(),
            m["irq"].is_null() ? std::string("no interrupt (polled)")
                               : fmt::format("interrupt {}", m["irq"].get<unsigned>()));
        text += fmt::format("    8051 at {} MHz (quantum {} ns), firmware \"{}\"; DMA engine {} B bursts, SRAM {} ns, "
                            "non-coherent, mask {}, {} ops\n",
                            m["clock_hz"].get<uint64_t>() / 1000000.0, m["quantum_ns"].get<uint64_t>(),
                            m["firmware"].get<std::string>(), m["burst_size"].get<uint32_t>(),
                            m["sram_latency_ns"].get<uint64_t>(), m["dma_mask"].get<std::string>(),
                            m["ops"].get<std::string>());
        std::string pool = m["pool"].is_null()
                               ? std::string("none (no memory-region: system memory)")
                               : fmt::format("{} ({}, assigned by the driver at probe, shared by the cells)",
                                             m["pool"]["region"].get<std::string>(),
                                             human_size(m["pool"]["size"].get<uint64_t>()));
        if (m["declare_sram"].get<bool>())
            pool = "a slice of the SRAM per cell, declared by its driver at probe (dmasim_mfd.declare_sram=1)" +
                   (m["pool"].is_null()
                        ? std::string()
                        : fmt::format("; memory-region {} not used", m["pool"]["region"].get<std::string>()));
        text += fmt::format("    coherent pool: {}\n", pool);
        for (const auto& cell : m["cells"]) {
            text += fmt::format("    cell {} ({}): {}", cell["name"].get<std::string>(),
                                cell["node"].get<std::string>(), cell["compatible"].get<std::string>());
            const auto& declared = cell["declared_pool"];
            if (!declared.is_null())
                text += fmt::format("; declared pool {} of SRAM at {} (bus {})",
                                    human_size(declared["size"].get<uint64_t>()), declared["start"].get<std::string>(),
                                    declared["bus"].get<std::string>());
            text += "\n";
        }
    }
    return text;
}

std::string coherent_pool_text(const nlohmann::ordered_json& pool) {
    if (pool.is_null())
        return "none (system memory)";
    return fmt::format("{} ({}, per-device, no fallback)", pool["region"].get<std::string>(),
                       human_size(pool["size"].get<uint64_t>()));
}

}  // namespace

std::string describe_text(const nlohmann::ordered_json& d) {
    std::ostringstream out;
    out << fmt::format("platform {}", d.value("platform", std::string()));
    if (!d.value("model", std::string()).empty())
        out << fmt::format(" (\"{}\")", d.value("model", std::string()));
    out << "\n\nmemory map:\n";
    for (const auto& t : d["memory_map"]) {
        uint64_t base = std::stoull(t["base"].get<std::string>(), nullptr, 16);
        uint64_t size = t["size"].get<uint64_t>();
        out << fmt::format("  {:#012x}-{:#012x}  {:<8} {:<9} {:>8}  latency {} ns, bandwidth {}  {}\n", base,
                           base + size - 1, t["name"].get<std::string>(), t["kind"].get<std::string>(),
                           human_size(size), t["latency_ns"].get<uint64_t>(),
                           t["bandwidth_mbps"].get<uint64_t>()
                               ? fmt::format("{} MB/s", t["bandwidth_mbps"].get<uint64_t>())
                               : std::string("unlimited"),
                           t["node"].get<std::string>());
    }
    out << "\nbus masters:\n";
    if (d["bus_masters"].empty())
        out << "  (none)\n";
    for (const auto& m : d["bus_masters"])
        out << fmt::format("  {} ({}) stream id {:#x}, {} B bursts, {}; registers at {}, {}, {}\n",
                           m["name"].get<std::string>(), m["node"].get<std::string>(), m["stream_id"].get<uint32_t>(),
                           m["burst_size"].get<uint32_t>(),
                           m["coherent"].get<bool>() ? "coherent (snoops the caches)" : "non-coherent",
                           m["registers"].get<std::string>(),
                           m["buffer"].is_null()
                               ? std::string("no buffer")
                               : fmt::format("a {} buffer at {}", human_size(m["buffer_size"].get<uint64_t>()),
                                             m["buffer"].get<std::string>()),
                           m["irq"].is_null() ? std::string("no interrupt (polled)")
                                              : fmt::format("interrupt {}", m["irq"].get<unsigned>()));
    out << "\nDMA devices (of_dma_configure):\n";
    if (d["dma_devices"].empty())
        out << "  (none)\n";
    for (const auto& dev : d["dma_devices"]) {
        out << fmt::format("  {} ({}, DMA by {}): {}, bus limit {}\n", dev["name"].get<std::string>(),
                           dev["node"].get<std::string>(), dev["model"].get<std::string>(), dma_setup_text(dev),
                           dev["bus_dma_limit"].is_null() ? "none" : dev["bus_dma_limit"].get<std::string>());
        for (const auto& range : dev["dma_ranges"])
            out << fmt::format("    dma-range: bus {} -> cpu {}, {}\n", range["bus"].get<std::string>(),
                               range["cpu"].get<std::string>(), human_size(range["size"].get<uint64_t>()));
        out << fmt::format("    coherent pool: {}\n", coherent_pool_text(dev["coherent_pool"]));
        if (dev.contains("cma_area") && !dev["cma_area"].is_null())
            out << fmt::format("    CMA area: {} ({}, the device's own, tried first by every allocation)\n",
                               dev["cma_area"]["region"].get<std::string>(),
                               human_size(dev["cma_area"]["size"].get<uint64_t>()));
    }
    const auto& k = d["kernel"];
    out << fmt::format("\nkernel: bootargs \"{}\"; swiotlb {}, atomic pool {}, dma-debug {}, dma_pool debug {}, "
                       "coherent alias {}, ZONE_DMA {}\n",
                       k["bootargs"].get<std::string>(), swiotlb_text(k),
                       k["atomic_pool_size"].is_null() ? std::string("Linux's default (128 KiB per GiB of RAM)")
                                                       : human_size(k["atomic_pool_size"].get<uint64_t>()),
                       k["dma_debug"].get<bool>() ? "on" : "off", k["dma_pool_debug"].get<bool>() ? "on" : "off",
                       k["dma_alias"].get<std::string>(), zone_dma_text(k));
    const auto& profile = k["dma_profile"];
    out << fmt::format("DMA profile {} ({}):\n", profile["arch"].get<std::string>(),
                       profile["set_by"].get<std::string>());
    for (const auto& choice : profile["choices"])
        out << fmt::format("  {} = {} ({})\n", choice["property"].get<std::string>(),
                           choice["value"].get<std::string>(), choice["set_by"].get<std::string>());
    out << "\ncores:\n";
    for (const auto& c : d["cores"]) {
        const auto& l1 = c["l1d"];
        out << fmt::format("  {} ({}, {}) {} MHz; L1D {}, {}-way, {} sets, {} B lines; prefetch {}, alias policy {}, "
                           "quantum {} ns\n",
                           c["name"].get<std::string>(), c["node"].get<std::string>(),
                           c["compatible"].get<std::string>(), c["clock_mhz"].get<uint64_t>(),
                           human_size(l1["size"].get<uint64_t>()), l1["ways"].get<uint32_t>(),
                           l1["sets"].get<uint32_t>(), l1["line_size"].get<uint32_t>(),
                           c["prefetch"].get<std::string>(), c["alias_policy"].get<std::string>(),
                           c["quantum_ns"].get<uint64_t>());
        out << fmt::format("    L1D geometry from: {}\n", c["l1d_from"].get<std::string>());
    }
    out << "\ncaches:\n";
    for (const auto& c : d["caches"]) {
        out << fmt::format("  {} ({}, {}) level {}: {}, {}-way, {} sets, {} B lines; maintenance registers at {}\n",
                           c["name"].get<std::string>(), c["node"].get<std::string>(),
                           c["compatible"].get<std::string>(), c["level"].get<uint32_t>(),
                           human_size(c["size"].get<uint64_t>()), c["ways"].get<uint32_t>(), c["sets"].get<uint32_t>(),
                           c["line_size"].get<uint32_t>(), c["registers"].get<std::string>());
    }
    const auto& gic = d["interrupt_controller"];
    if (gic.is_null()) {
        out << "\ninterrupt controller: none\n";
    } else {
        std::string registers = gic.contains("redistributor")
                                    ? "redistributor at " + gic["redistributor"].get<std::string>() +
                                          " (GICv3: the CPU interface as system registers; no ITS, no MSI)"
                                    : "CPU interface at " + gic["cpu_interface"].get<std::string>();
        out << fmt::format("\ninterrupt controller: {} ({}, {}) {} interrupt IDs; distributor at {}, {}\n",
                           gic["name"].get<std::string>(), gic["node"].get<std::string>(),
                           gic["compatible"].get<std::string>(), gic["interrupt_ids"].get<unsigned>(),
                           gic["distributor"].get<std::string>(), registers);
        const auto& frame = gic["msi_frame"];
        if (!frame.is_null())
            out << fmt::format("  MSI frame ({}) at {}: doorbell {}, IDs {}-{}{}\n", frame["node"].get<std::string>(),
                               frame["base"].get<std::string>(), frame["doorbell"].get<std::string>(),
                               frame["first_id"].get<unsigned>(),
                               frame["first_id"].get<unsigned>() + frame["count"].get<unsigned>() - 1,
                               frame["range_from"] == "MSI_TYPER"
                                   ? " (MSI_TYPER's reset value: the tree has no arm,msi-base-spi / arm,msi-num-spis)"
                                   : "");
        else if (!gic.contains("redistributor"))
            out << "  no GICv2m frame: no MSI\n";
    }
    if (d.contains("iommus"))
        out << iommus_text(d["iommus"]);
    if (d.contains("mfds"))
        out << mfds_text(d["mfds"]);
    out << "\nPCI host bridges:\n";
    const nlohmann::ordered_json unmodelled = d.contains("pci_hosts_not_modelled") ? d["pci_hosts_not_modelled"]
                                                                                   : nlohmann::ordered_json::array();
    if (d["pci_host_bridges"].empty() && unmodelled.empty())
        out << "  (none)\n";
    for (const auto& b : unmodelled) {
        out << fmt::format("  {} ({}): not modelled, nothing behind it enumerated\n", b["node"].get<std::string>(),
                           fmt::join(b["compatible"].get<std::vector<std::string>>(), ", "));
        for (const auto& w : b["inbound"])
            out << fmt::format("    inbound:  pci {} -> cpu {}, {}\n", w["pci"].get<std::string>(),
                               w["cpu"].get<std::string>(), human_size(w["size"].get<uint64_t>()));
    }
    for (const auto& b : d["pci_host_bridges"]) {
        out << fmt::format("  {} ({}, pci-host-ecam-generic): ECAM at {} ({}, buses {:02x}-{:02x}), {}, MSI {}\n",
                           b["name"].get<std::string>(), b["node"].get<std::string>(), b["ecam"].get<std::string>(),
                           human_size(b["ecam_size"].get<uint64_t>()), b["bus_start"].get<unsigned>(),
                           b["bus_end"].get<unsigned>(),
                           b["coherent"].get<bool>() ? "coherent (snoops the caches)" : "non-coherent",
                           b["msi_parent"].is_null() ? std::string("none")
                                                     : "via " + b["msi_parent"].get<std::string>());
        for (const auto& w : b["outbound"])
            out << fmt::format("    outbound: cpu {} -> pci {}, {} ({}{})\n", w["cpu"].get<std::string>(),
                               w["pci"].get<std::string>(), human_size(w["size"].get<uint64_t>()),
                               w["type"].get<std::string>(), w["prefetchable"].get<bool>() ? ", prefetchable" : "");
        if (b["inbound"].empty())
            out << "    inbound:  identity (no dma-ranges)\n";
        for (const auto& w : b["inbound"])
            out << fmt::format("    inbound:  pci {} -> cpu {}, {}\n", w["pci"].get<std::string>(),
                               w["cpu"].get<std::string>(), human_size(w["size"].get<uint64_t>()));
        if (b.contains("iommu_map")) {
            const auto& map = b["iommu_map"];
            for (const auto& e : map["entries"])
                out << fmt::format("    iommu-map: requester IDs {}+{} -> stream IDs {}+ of {} (iommu-map-mask {})\n",
                                   e["rid_base"].get<std::string>(), e["length"].get<uint32_t>(),
                                   e["sid_base"].get<std::string>(), map["iommu"].get<std::string>(),
                                   map["mask"].get<std::string>());
        }
        if (!b["local_memory"].is_null())
            out << fmt::format("    local memory: {} at {} (coherent pool of its functions)\n",
                               human_size(b["local_memory"]["size"].get<uint64_t>()),
                               b["local_memory"]["base"].get<std::string>());
        for (const auto& e : b["endpoints"]) {
            std::string reach;
            for (const auto& r : e["reaches"])
                reach += fmt::format("{}cpu {:#x}-{:#x}", reach.empty() ? "" : ", ",
                                     std::stoull(r["cpu"].get<std::string>(), nullptr, 16),
                                     std::stoull(r["cpu"].get<std::string>(), nullptr, 16) + r["size"].get<uint64_t>() -
                                         1);
            out << fmt::format("    {} {} ({}, {}) {}: {}-bit DMA: engine limit {}, bus limit {}, so limit {}{}; {} "
                               "until the driver sets them\n",
                               e["name"].get<std::string>(), e["bdf"].get<std::string>(), e["node"].get<std::string>(),
                               e["compatible"].get<std::string>(), e["kind"].get<std::string>(),
                               e["dma_bits"].get<unsigned>(), e["engine_dma_limit"].get<std::string>(),
                               e["bus_dma_limit"].is_null() ? "none" : e["bus_dma_limit"].get<std::string>(),
                               e["dma_limit"].get<std::string>(),
                               e.contains("iommu") ? " (IOVAs below it, mapped by the IOMMU to any RAM)"
                               : reach.empty()     ? ""
                                                   : " (reaches " + reach + ")",
                               dma_setup_text(e));
            out << fmt::format("      coherent pool: {}\n", coherent_pool_text(e["coherent_pool"]));
            unsigned pin = e["interrupt_pin"].get<unsigned>();
            out << fmt::format("      INT{} -> {}, {} MSI vector(s); {} B bursts, {}\n",
                               pin ? std::string(1, char('A' + pin - 1)) : std::string("x none"),
                               e["intx_irq"].is_null() ? std::string("not routed")
                                                       : "IRQ " + std::to_string(e["intx_irq"].get<unsigned>()),
                               e["msi_vectors"].get<unsigned>(), e["burst_size"].get<uint32_t>(),
                               e["bandwidth_mbps"].get<uint64_t>()
                                   ? fmt::format("{} MB/s", e["bandwidth_mbps"].get<uint64_t>())
                                   : std::string("unlimited bandwidth"));
        }
    }
    out << "\nreserved memory:\n";
    if (d["reserved_memory"].empty())
        out << "  (none)\n";
    for (const auto& r : d["reserved_memory"]) {
        std::string placement = r["base"].is_null() ? "dynamic" : "at " + r["base"].get<std::string>();
        std::string flags;
        for (const char* flag : {"no_map", "reusable", "cma_default"})
            if (r[flag].get<bool>())
                flags += std::string(" ") + flag;
        out << fmt::format("  {} ({}): {} {}, alignment {}{}; compatible {}\n", r["name"].get<std::string>(),
                           r["node"].get<std::string>(), human_size(r["size"].get<uint64_t>()), placement,
                           r["alignment"].get<uint64_t>(), flags, r["compatible"].dump());
    }
    out << fmt::format("\ncoherence monitor: {}\n", d["coherence_monitor"].get<bool>() ? "on" : "off");
    return out.str();
}

}  // namespace platform
