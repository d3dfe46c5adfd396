#include "platforms/pci_endpoints.h"

#include "models/pci_ring_device.h"
#include "models/pci_test_endpoint.h"
#include "models/usb_host_controller_regs.h"
#include "platforms/usb_host.h"

namespace platform {

const std::vector<PciEndpointModel>& pci_endpoint_models() {
    static const std::vector<PciEndpointModel> models = {
        {"pci104c,b500", 0xff0000, 1,
         [](const std::string& name, const models::PciEndpointConfig& config, const DtNode&, uint64_t seed,
            models::Instrumentation& instr) -> std::unique_ptr<models::PciEndpoint> {
             return std::make_unique<models::PciTestEndpoint>(name.c_str(), config, seed, instr);
         }},
        {"pci1234,0c03", usb_hc::PCI_CLASS_SERIAL_USB_OTHER, 1,
         [](const std::string& name, const models::PciEndpointConfig& config, const DtNode& node, uint64_t,
            models::Instrumentation& instr) { return create_usb_host_controller(name, config, node, instr); }},
        {"pci1234,0201", 0x020000, 1,
         [](const std::string& name, const models::PciEndpointConfig& config, const DtNode&, uint64_t,
            models::Instrumentation& instr) -> std::unique_ptr<models::PciEndpoint> {
             return std::make_unique<models::PciRingDevice>(name.c_str(), config, instr);
         }},
    };
    return models;
}

}  // namespace platform
