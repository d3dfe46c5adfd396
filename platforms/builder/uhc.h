// A USB host controller's PCI node (models/usb/uhc.h) read into the model and its
// devices, with Linux's USB device binding (Documentation/devicetree/bindings/usb/usb-device.yaml):
// the controller node has #address-cells = <1>, #size-cells = <0>, and a child per device with
// compatible = "usbVVVV,PPPP" and reg = <port>. Properties:
//   dmasim,ports    the root hub's ports (2; 1 to 15)
//   children        a model per compatible (usb_device_models()); dmasim,blocks on the bulk
//                   storage device: its 512-byte blocks (2048)
// Device models are named <controller>.port<N>. ConfigError names the node and property.
#pragma once

#include "models/common/instrumentation.h"
#include "models/pci/pci_endpoint.h"
#include "models/usb/usb_device.h"
#include "platforms/devicetree/device_tree.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace platform {

struct UsbDeviceModel {
    std::string compatible;  // "usb1234,0008"
    // Builds the device; `node` is there for properties of its own.
    std::function<std::unique_ptr<models::UsbDevice>(const std::string& name, uint16_t vendor, uint16_t product,
                                                     const DtNode& node, models::Instrumentation& instr)>
        create;
};
const std::vector<UsbDeviceModel>& usb_device_models();

std::unique_ptr<models::PciEndpoint> create_uhc(const std::string& name, const models::PciEndpointConfig& config,
                                                const DtNode& node, models::Instrumentation& instr);

}  // namespace platform
