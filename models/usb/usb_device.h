// A USB device on the root hub of dmasim's USB host controller (models/usb/uhc.h), the base of
// every device model. Devices have no DMA of their own: the controller moves their data between
// the USB and memory; a device only answers transactions on its endpoints. Each has the USB device
// framework's state (default after a bus reset, addressed, configured), answers the standard
// requests on endpoint 0 (GET_DESCRIPTOR for its device and configuration descriptors,
// SET_ADDRESS, SET_CONFIGURATION, GET_CONFIGURATION, GET_STATUS, CLEAR_FEATURE(ENDPOINT_HALT)), and
// stalls what it does not know. Stats go under the device's name (<controller>.port<N>).
#pragma once

#include "models/common/instrumentation.h"
#include "models/usb/usb_protocol.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace models {

// How a device ends a transaction: it takes or gives the data (ack), or refuses (stall).
enum class UsbHandshake { ack, stall };

class UsbDevice {
public:
    UsbDevice(std::string name, uint16_t vendor, uint16_t product, Instrumentation& instr);
    virtual ~UsbDevice() = default;
    UsbDevice(const UsbDevice&) = delete;
    UsbDevice& operator=(const UsbDevice&) = delete;

    const std::string& name() const { return name_; }
    virtual std::string kind() const = 0;  // "bulk storage"
    uint8_t address() const { return address_; }
    uint8_t configuration() const { return configuration_; }
    const usb::usb_device_descriptor& device_descriptor() const { return device_; }

    // A bus reset (the port's): address 0, not configured, no endpoint halted, function state reset.
    void bus_reset();
    // A control transfer on endpoint 0: the setup packet; the OUT data stage in `data`, or the
    // IN data stage returned in it (at most `in_length` bytes).
    UsbHandshake control(const usb::usb_ctrlrequest& setup, std::vector<uint8_t>& data, uint32_t in_length);
    // A bulk or interrupt transfer on endpoint `number`: the host's data, or up to `max_length`
    // bytes from the device (fewer: a short packet ends the transfer). Stalls an endpoint the
    // configuration does not have, or one that is halted.
    UsbHandshake transfer_out(unsigned number, const std::vector<uint8_t>& data);
    UsbHandshake transfer_in(unsigned number, uint32_t max_length, std::vector<uint8_t>& data);
    // The endpoint's descriptor in the current configuration, or nullptr.
    const usb::usb_endpoint_descriptor* endpoint(uint8_t address) const;
    // How often the host polls an interrupt endpoint (its bInterval), in picoseconds.
    uint64_t polling_period_ps(uint8_t address) const;

protected:
    // The subclass's configuration: one interface with its endpoints (and class descriptors
    // placed before the endpoints).
    void set_configuration_descriptor(const usb::usb_interface_descriptor& interface,
                                      const std::vector<uint8_t>& class_descriptors,
                                      const std::vector<usb::usb_endpoint_descriptor>& endpoints);
    virtual UsbHandshake class_request(const usb::usb_ctrlrequest& setup, std::vector<uint8_t>& data);
    virtual UsbHandshake data_out(uint8_t endpoint, const std::vector<uint8_t>& data) = 0;
    virtual UsbHandshake data_in(uint8_t endpoint, uint32_t max_length, std::vector<uint8_t>& data) = 0;
    // Back to the function's power-on state (bus reset, a new configuration).
    virtual void reset_function() = 0;
    void halt(uint8_t endpoint) { halted_.insert(endpoint); }

    Instrumentation& instr_;

private:
    UsbHandshake standard_request(const usb::usb_ctrlrequest& setup, std::vector<uint8_t>& data);
    UsbHandshake get_descriptor(uint16_t value, std::vector<uint8_t>& data);
    bool usable(uint8_t endpoint, uint8_t direction) const;

    std::string name_;
    usb::usb_device_descriptor device_{};
    std::vector<uint8_t> config_;
    uint8_t address_ = 0;
    uint8_t configuration_ = 0;
    std::set<uint8_t> halted_;
};

}  // namespace models
