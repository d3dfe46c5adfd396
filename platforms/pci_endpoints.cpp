#include "platforms/pci_endpoints.h"

#include "models/pci_test_endpoint.h"

namespace platform {

const std::vector<PciEndpointModel>& pci_endpoint_models() {
    static const std::vector<PciEndpointModel> models = {
        {"pci104c,b500", 0xff0000, 1,
         [](const std::string& name, const models::PciEndpointConfig& config, const DtNode&, uint64_t seed,
            models::Instrumentation& instr) -> std::unique_ptr<models::PciEndpoint> {
             return std::make_unique<models::PciTestEndpoint>(name.c_str(), config, seed, instr);
         }},
    };
    return models;
}

const PciEndpointModel* find_pci_endpoint_model(const DtNode& node) {
    for (const std::string& compatible : node.compatible())
        for (const PciEndpointModel& model : pci_endpoint_models())
            if (model.compatible == compatible)
                return &model;
    return nullptr;
}

}  // namespace platform
