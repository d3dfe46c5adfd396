// The endpoint models a PCI child node of a host bridge names with its `compatible`
// ("pciVVVV,DDDD", the kernel's way). A new endpoint model is a models::PciEndpoint subclass and
// one entry in pci_endpoint_models().
#pragma once

#include "models/common/instrumentation.h"
#include "models/pci/pci_endpoint.h"
#include "platforms/devicetree/device_tree.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace platform {

struct PciEndpointModel {
    std::string compatible;  // "pci104c,b500"
    // Its node's properties: every endpoint's (models::PciEndpoint::properties()), from defaults
    // with its class code.
    models::PropertyTable<models::PciEndpointConfig> properties;
    // Builds the model; `node` is there for properties of its own. `seed` is the run's.
    std::function<std::unique_ptr<models::PciEndpoint>(const std::string& name, const models::PciEndpointConfig& config,
                                                       const DtNode& node, uint64_t seed,
                                                       models::Instrumentation& instr)>
        create;
};

const std::vector<PciEndpointModel>& pci_endpoint_models();

}  // namespace platform
