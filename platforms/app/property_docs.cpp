#include "platforms/app/property_docs.h"

#include "models/bus/bus_master.h"
#include "models/bus/memory.h"
#include "models/bus/target_timing.h"
#include "models/coherence/coherence_monitor.h"
#include "models/cpu/core.h"
#include "models/cpu/outer_cache.h"
#include "models/iommu/smmu.h"
#include "models/irq/interrupt_controller.h"
#include "models/mfd/mfd.h"
#include "models/pci/pci_host_bridge.h"
#include "models/usb/uhc.h"
#include "models/usb/usb_storage.h"
#include "platforms/builder/pci_endpoints.h"
#include "platforms/errors.h"

#include <fmt/format.h>

namespace platform {

namespace {

// The rows of one kind of node, each naming the config field it sets as `config_name::field`.
struct NodeTable {
    std::string node;  // how the doc names the kind of node
    std::vector<models::PropertyRow> rows;
};

template <typename Config>
std::vector<models::PropertyRow> rows(const std::string& config_name, const models::PropertyTable<Config>& table) {
    std::vector<models::PropertyRow> rows = models::property_rows(table);
    for (models::PropertyRow& row : rows)
        row.field = config_name + "::" + row.field;
    return rows;
}

std::vector<models::PropertyRow> operator+(std::vector<models::PropertyRow> first,
                                           const std::vector<models::PropertyRow>& second) {
    first.insert(first.end(), second.begin(), second.end());
    return first;
}

const models::PropertyTable<models::PciEndpointConfig>& endpoint_properties(const std::string& compatible) {
    for (const PciEndpointModel& model : pci_endpoint_models())
        if (model.compatible == compatible)
            return model.properties;
    throw std::logic_error("no PCI endpoint model " + compatible);
}

std::vector<std::pair<std::string, std::vector<NodeTable>>> pages() {
    return {
        {"core", {{"`/cpus/cpu@N` (`device_type = \"cpu\"`)", rows("CoreConfig", models::Core::properties())}}},
        {"outer_cache",
         {{"`compatible = \"arm,pl310-cache\"`", rows("OuterCacheConfig", models::OuterCache::properties()) +
                                                     rows("TargetTiming", models::register_timing_properties())}}},
        {"interrupt_controller",
         {{"`compatible = \"arm,gic-400\"`, `\"arm,cortex-a15-gic\"`, `\"arm,cortex-a9-gic\"` or "
           "`\"arm,gic-v3\"`",
           rows("InterruptControllerConfig", models::InterruptController::properties()) +
               rows("TargetTiming", models::register_timing_properties())}}},
        {"memory",
         {{"`device_type = \"memory\"` (DRAM)", rows("TargetTiming", models::Memory::dram_properties())},
          {"`compatible = \"mmio-sram\"`", rows("TargetTiming", models::Memory::sram_properties())}}},
        {"bus_master",
         {{"`compatible = \"dmasim,bus-master\"`", rows("BusMasterConfig", models::BusMaster::properties())}}},
        {"pci_host_bridge",
         {{"`compatible = \"pci-host-ecam-generic\"`",
           rows("TargetTiming", models::PciHostBridge::timing_properties())}}},
        {"pci_endpoint",
         {{"A child of a `pci-host-ecam-generic` node", rows("PciEndpointConfig", models::PciEndpoint::properties())}}},
        {"pci_endpoint_test",
         {{"`compatible = \"pci104c,b500\"`", rows("PciEndpointConfig", endpoint_properties("pci104c,b500"))}}},
        {"ring_nic",
         {{"`compatible = \"pci1234,0201\"`", rows("PciEndpointConfig", endpoint_properties("pci1234,0201"))}}},
        {"hv_dma_constraints",
         {{"`compatible = \"pci1234,0580\"`", rows("PciEndpointConfig", endpoint_properties("pci1234,0580"))}}},
        {"uhc",
         {{"`compatible = \"pci1234,0c03\"`", rows("PciEndpointConfig", endpoint_properties("pci1234,0c03")) +
                                                  rows("UhcConfig", models::Uhc::properties())}}},
        {"usb_device",
         {{"`compatible = \"usb1234,0008\"` (bulk storage)",
           rows("UsbStorageConfig", models::UsbStorage::properties())}}},
        {"smmu", {{"`compatible = \"arm,mmu-500\"`", rows("SmmuConfig", models::Smmu::properties())}}},
        {"mfd",
         {{"`compatible = \"dmasim,mfd\"`",
           rows("MfdConfig", models::Mfd::properties()) + rows("TargetTiming", models::register_timing_properties())}}},
        {"coherence_monitor",
         {{"`/` (the root node)", rows("CoherenceMonitorConfig", models::CoherenceMonitor::properties())}}},
    };
}

// A table cell: a `|` in the text would end it.
std::string cell(const std::string& text) {
    std::string escaped;
    for (char c : text)
        escaped += c == '|' ? std::string("\\|") : std::string(1, c);
    return escaped;
}

std::string markdown(const std::vector<NodeTable>& tables) {
    std::string text;
    for (const NodeTable& table : tables) {
        text += fmt::format("{}{}:\n\n", text.empty() ? "" : "\n", table.node);
        text += "| property | sets | default | allowed | unit | description |\n|---|---|---|---|---|---|\n";
        for (const models::PropertyRow& row : table.rows)
            text += fmt::format("| `{}` | `{}` | {} | {} | {} | {} |\n", row.name, row.field, cell(row.default_text),
                                cell(row.allowed), cell(row.unit), cell(row.doc));
    }
    return text;
}

}  // namespace

std::vector<std::string> property_doc_pages() {
    std::vector<std::string> names;
    for (const auto& [page, tables] : pages())
        names.push_back(page);
    return names;
}

std::string property_doc(const std::string& page) {
    for (const auto& [name, tables] : pages())
        if (name == page)
            return markdown(tables);
    throw ConfigError(fmt::format("no model doc page \"{}\" with device-tree properties; pages: {}", page,
                                  fmt::join(property_doc_pages(), ", ")));
}

}  // namespace platform
