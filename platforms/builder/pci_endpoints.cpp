#include "platforms/builder/pci_endpoints.h"

#include "models/pci/pci_endpoint_test.h"
#include "models/pci/ring_nic.h"
#include "models/usb/uhc_regs.h"
#include "platforms/builder/uhc.h"

namespace platform {

namespace {

// An endpoint model's properties: every endpoint's, whose defaults are now all the model's own.
models::PropertyTable<models::PciEndpointConfig> endpoint_properties(uint32_t class_code) {
    models::PropertyTable<models::PciEndpointConfig> table = models::PciEndpoint::properties();
    table.defaults.class_code = class_code;
    for (models::PropertySpec<models::PciEndpointConfig>& spec : table.properties)
        spec.default_doc.clear();
    return table;
}

}  // namespace

const std::vector<PciEndpointModel>& pci_endpoint_models() {
    static const std::vector<PciEndpointModel> models = {
        {"pci104c,b500", endpoint_properties(0xff0000),
         [](const std::string& name, const models::PciEndpointConfig& config, const DtNode&, uint64_t seed,
            models::Instrumentation& instr) -> std::unique_ptr<models::PciEndpoint> {
             return std::make_unique<models::PciEndpointTest>(name.c_str(), config, seed, instr);
         }},
        {"pci1234,0c03", endpoint_properties(uhc::PCI_CLASS_SERIAL_USB_OTHER),
         [](const std::string& name, const models::PciEndpointConfig& config, const DtNode& node, uint64_t,
            models::Instrumentation& instr) { return create_uhc(name, config, node, instr); }},
        {"pci1234,0201", endpoint_properties(ring_nic::PCI_CLASS_NETWORK_ETHERNET),
         [](const std::string& name, const models::PciEndpointConfig& config, const DtNode&, uint64_t,
            models::Instrumentation& instr) -> std::unique_ptr<models::PciEndpoint> {
             return std::make_unique<models::RingNic>(name.c_str(), config, instr);
         }},
    };
    return models;
}

}  // namespace platform
