#include "platforms/builder/pci_endpoints.h"

#include "models/pci/ring_nic.h"
#include "models/pci/pci_endpoint_test.h"
#include "models/usb/uhc_regs.h"
#include "platforms/builder/uhc.h"

namespace platform {

const std::vector<PciEndpointModel>& pci_endpoint_models() {
    static const std::vector<PciEndpointModel> models = {
        {"pci104c,b500", 0xff0000, 1,
         [](const std::string& name, const models::PciEndpointConfig& config, const DtNode&, uint64_t seed,
            models::Instrumentation& instr) -> std::unique_ptr<models::PciEndpoint> {
             return std::make_unique<models::PciEndpointTest>(name.c_str(), config, seed, instr);
         }},
        {"pci1234,0c03", uhc::PCI_CLASS_SERIAL_USB_OTHER, 1,
         [](const std::string& name, const models::PciEndpointConfig& config, const DtNode& node, uint64_t,
            models::Instrumentation& instr) { return create_uhc(name, config, node, instr); }},
        {"pci1234,0201", 0x020000, 1,
         [](const std::string& name, const models::PciEndpointConfig& config, const DtNode&, uint64_t,
            models::Instrumentation& instr) -> std::unique_ptr<models::PciEndpoint> {
             return std::make_unique<models::RingNic>(name.c_str(), config, instr);
         }},
    };
    return models;
}

}  // namespace platform
