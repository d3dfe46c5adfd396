#include "models/usb/usb_device.h"

#include <algorithm>

namespace models {

using namespace usb;

UsbDevice::UsbDevice(std::string name, uint16_t vendor, uint16_t product, Instrumentation& instr)
    : instr_(instr), name_(std::move(name)) {
    device_.bLength = USB_DT_DEVICE_SIZE;
    device_.bDescriptorType = USB_DT_DEVICE;
    device_.bcdUSB = 0x0200;
    device_.bDeviceClass = USB_CLASS_PER_INTERFACE;
    device_.bMaxPacketSize0 = 64;
    device_.idVendor = vendor;
    device_.idProduct = product;
    device_.bcdDevice = 0x0100;
    device_.bNumConfigurations = 1;
}

void UsbDevice::set_configuration_descriptor(const usb_interface_descriptor& interface,
                                             const std::vector<uint8_t>& class_descriptors,
                                             const std::vector<usb_endpoint_descriptor>& endpoints) {
    usb_config_descriptor config{};
    config.bLength = USB_DT_CONFIG_SIZE;
    config.bDescriptorType = USB_DT_CONFIG;
    config.bNumInterfaces = 1;
    config.bConfigurationValue = 1;
    config.bmAttributes = USB_CONFIG_ATT_ONE;
    config.bMaxPower = 50;  // 100 mA
    config.wTotalLength = static_cast<uint16_t>(USB_DT_CONFIG_SIZE + USB_DT_INTERFACE_SIZE + class_descriptors.size() +
                                                endpoints.size() * USB_DT_ENDPOINT_SIZE);
    config_.clear();
    append_bytes(config_, config);
    append_bytes(config_, interface);
    config_.insert(config_.end(), class_descriptors.begin(), class_descriptors.end());
    for (const usb_endpoint_descriptor& endpoint : endpoints)
        append_bytes(config_, endpoint);
}

void UsbDevice::bus_reset() {
    address_ = 0;
    configuration_ = 0;
    halted_.clear();
    reset_function();
}

const usb_endpoint_descriptor* UsbDevice::endpoint(uint8_t address) const {
    for (size_t at = 0; at + 2 <= config_.size() && config_[at] >= 2; at += config_[at])
        if (config_[at + 1] == USB_DT_ENDPOINT) {
            const auto* descriptor = reinterpret_cast<const usb_endpoint_descriptor*>(config_.data() + at);
            if (descriptor->bEndpointAddress == address)
                return descriptor;
        }
    return nullptr;
}

uint64_t UsbDevice::polling_period_ps(uint8_t address) const {
    const usb_endpoint_descriptor* descriptor = endpoint(address);
    if (!descriptor || (descriptor->bmAttributes & USB_ENDPOINT_XFERTYPE_MASK) != USB_ENDPOINT_XFER_INT)
        return 0;
    unsigned exponent = std::clamp<unsigned>(descriptor->bInterval, 1, 16) - 1;
    return (uint64_t(1) << exponent) * microframe_ps;
}

bool UsbDevice::usable(uint8_t endpoint_address, uint8_t direction) const {
    return configuration_ && (endpoint_address & USB_DIR_IN) == direction && endpoint(endpoint_address) &&
           !halted_.count(endpoint_address);
}

UsbHandshake UsbDevice::transfer_out(unsigned number, const std::vector<uint8_t>& data) {
    auto address = static_cast<uint8_t>(number & USB_ENDPOINT_NUMBER_MASK);
    return usable(address, USB_DIR_OUT) ? data_out(address, data) : UsbHandshake::stall;
}

UsbHandshake UsbDevice::transfer_in(unsigned number, uint32_t max_length, std::vector<uint8_t>& data) {
    auto address = static_cast<uint8_t>((number & USB_ENDPOINT_NUMBER_MASK) | USB_DIR_IN);
    data.clear();
    return usable(address, USB_DIR_IN) ? data_in(address, max_length, data) : UsbHandshake::stall;
}

UsbHandshake UsbDevice::control(const usb_ctrlrequest& setup, std::vector<uint8_t>& data, uint32_t in_length) {
    if (is_in_request(setup))
        data.clear();
    UsbHandshake handshake = (setup.bRequestType & USB_TYPE_MASK) == USB_TYPE_STANDARD ? standard_request(setup, data)
                             : (setup.bRequestType & USB_TYPE_MASK) == USB_TYPE_CLASS  ? class_request(setup, data)
                                                                                       : UsbHandshake::stall;
    if (is_in_request(setup) && data.size() > std::min<uint32_t>(setup.wLength, in_length))
        data.resize(std::min<uint32_t>(setup.wLength, in_length));
    return handshake;
}

UsbHandshake UsbDevice::standard_request(const usb_ctrlrequest& setup, std::vector<uint8_t>& data) {
    uint8_t recipient = setup.bRequestType & USB_RECIP_MASK;
    switch (setup.bRequest) {
    case USB_REQ_GET_DESCRIPTOR: return is_in_request(setup) ? get_descriptor(setup.wValue, data) : UsbHandshake::stall;
    case USB_REQ_SET_ADDRESS:
        if (setup.wValue > 127)
            return UsbHandshake::stall;
        address_ = static_cast<uint8_t>(setup.wValue);
        return UsbHandshake::ack;
    case USB_REQ_SET_CONFIGURATION:
        if (!address_ || setup.wValue > 1)
            return UsbHandshake::stall;  // only an addressed device takes a configuration, and it has one
        configuration_ = static_cast<uint8_t>(setup.wValue);
        halted_.clear();
        reset_function();
        return UsbHandshake::ack;
    case USB_REQ_GET_CONFIGURATION: data.push_back(configuration_); return UsbHandshake::ack;
    case USB_REQ_GET_STATUS: data = {0, 0}; return UsbHandshake::ack;
    case USB_REQ_CLEAR_FEATURE:
        if (recipient != USB_RECIP_ENDPOINT || setup.wValue != USB_ENDPOINT_HALT ||
            !endpoint(static_cast<uint8_t>(setup.wIndex)))
            return UsbHandshake::stall;
        halted_.erase(static_cast<uint8_t>(setup.wIndex));
        return UsbHandshake::ack;
    default: return UsbHandshake::stall;
    }
}

UsbHandshake UsbDevice::get_descriptor(uint16_t value, std::vector<uint8_t>& data) {
    switch (value >> 8) {
    case USB_DT_DEVICE: append_bytes(data, device_); return UsbHandshake::ack;
    case USB_DT_CONFIG:
        if ((value & 0xff) != 0)
            return UsbHandshake::stall;
        data = config_;
        return UsbHandshake::ack;
    default: return UsbHandshake::stall;  // no string descriptors
    }
}

UsbHandshake UsbDevice::class_request(const usb_ctrlrequest&, std::vector<uint8_t>&) { return UsbHandshake::stall; }

}  // namespace models
