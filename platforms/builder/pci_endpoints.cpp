#include "platforms/builder/pci_endpoints.h"

#include "models/pci/hv_dma_constraints.h"
#include "models/pci/hv_dma_constraints_regs.h"
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

// The hypervisor's function has no interrupt: no MSI capability unless the node asks (and the
// model then refuses it).
models::PropertyTable<models::PciEndpointConfig> hv_dma_constraints_properties() {
    models::PropertyTable<models::PciEndpointConfig> table =
        endpoint_properties(hv_dma_constraints::PCI_CLASS_MEMORY_OTHER);
    table.defaults.msi_vectors = 0;
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
        {"pci1234,0580", hv_dma_constraints_properties(),
         [](const std::string& name, const models::PciEndpointConfig& config, const DtNode& node, uint64_t,
            models::Instrumentation& instr) -> std::unique_ptr<models::PciEndpoint> {
             if (config.interrupt_pin)
                 node.fail("interrupts", "<0>: the hypervisor's DMA-constraints function has no interrupt");
             if (config.msi_vectors)
                 node.fail("dmasim,msi-vectors", "<0>: the hypervisor's DMA-constraints function has no interrupt");
             return std::make_unique<models::HvDmaConstraints>(name.c_str(), config, instr);
         }},
    };
    return models;
}

}  // namespace platform
