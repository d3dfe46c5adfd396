#include "platforms/builder/uhc.h"

#include "models/usb/uhc.h"
#include "models/usb/usb_mouse.h"
#include "models/usb/usb_storage.h"
#include "platforms/builder/properties.h"

#include <cstdio>
#include <fmt/format.h>

namespace platform {

const std::vector<UsbDeviceModel>& usb_device_models() {
    static const std::vector<UsbDeviceModel> models = {
        {"usb1234,0008",
         [](const std::string& name, uint16_t vendor, uint16_t product, const DtNode& node,
            models::Instrumentation& instr) -> std::unique_ptr<models::UsbDevice> {
             models::UsbStorageConfig config = read_properties(node, models::UsbStorage::properties());
             return std::make_unique<models::UsbStorage>(name, vendor, product, config.blocks, instr);
         }},
        {"usb1234,0003",
         [](const std::string& name, uint16_t vendor, uint16_t product, const DtNode&,
            models::Instrumentation& instr) -> std::unique_ptr<models::UsbDevice> {
             return std::make_unique<models::UsbMouse>(name, vendor, product, instr);
         }},
    };
    return models;
}

namespace {

const UsbDeviceModel* find_usb_device_model(const DtNode& node, uint16_t& vendor, uint16_t& product) {
    for (const std::string& compatible : node.compatible())
        for (const UsbDeviceModel& model : usb_device_models()) {
            unsigned v = 0, p = 0;
            if (model.compatible == compatible && std::sscanf(compatible.c_str(), "usb%4x,%4x", &v, &p) == 2) {
                vendor = static_cast<uint16_t>(v);
                product = static_cast<uint16_t>(p);
                return &model;
            }
        }
    return nullptr;
}

std::string known_models() {
    std::vector<std::string> names;
    for (const UsbDeviceModel& model : usb_device_models())
        names.push_back("\"" + model.compatible + "\"");
    return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

std::unique_ptr<models::PciEndpoint> create_uhc(const std::string& name, const models::PciEndpointConfig& config,
                                                const DtNode& node, models::Instrumentation& instr) {
    unsigned ports = read_properties(node, models::Uhc::properties()).ports;
    std::vector<DtNode> children;
    // Status is not read here, as Linux's USB core does not read it: a device on a port is
    // enumerated whatever its node says (usb_of_get_device_node only attaches the node).
    for (const DtNode& child : node.children())
        if (!child.compatible().empty())
            children.push_back(child);
    if (!children.empty() && (node.address_cells() != 1 || node.size_cells() != 0))
        node.fail("#address-cells", "<1> with #size-cells = <0> (children are USB devices addressed by port)");
    auto controller = std::make_unique<models::Uhc>(name.c_str(), config, ports, instr);
    for (const DtNode& child : children) {
        uint16_t vendor = 0, product = 0;
        const UsbDeviceModel* model = find_usb_device_model(child, vendor, product);
        if (!model)
            child.fail("compatible", fmt::format("a USB device dmasim models ({}), got \"{}\"", known_models(),
                                                 fmt::join(child.compatible(), "\", \"")));
        uint32_t port = child.u32("reg");
        if (port == 0 || port > ports)
            child.fail("reg", fmt::format("a root-hub port from 1 to {}, got {}", ports, port));
        if (controller->device(port))
            child.fail("reg", fmt::format("a port no other device uses, got {} (also {})", port,
                                          controller->device(port)->name()));
        controller->connect(port, model->create(fmt::format("{}.port{}", name, port), vendor, product, child, instr));
    }
    return controller;
}

}  // namespace platform
