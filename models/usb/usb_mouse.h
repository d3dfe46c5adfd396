// A boot-protocol mouse (HID class) on dmasim's USB host controller, driven by
// sw/drivers/usb/usb_mouse.h: an interrupt IN endpoint polled every millisecond; its n-th report
// is report(n). Stats: <name>.reports.
#pragma once

#include "models/usb/usb_device.h"

#include <array>

namespace models {

class UsbMouse : public UsbDevice {
public:
    static constexpr uint8_t interrupt_in = 0x81;
    static constexpr uint8_t b_interval = 4;  // every 2^3 microframes: 1 ms

    UsbMouse(std::string name, uint16_t vendor, uint16_t product, Instrumentation& instr);
    std::string kind() const override { return "boot-protocol mouse"; }
    // The n-th report (0-based) since the last reset: buttons, X, Y, wheel.
    static std::array<uint8_t, usb::hid_boot_mouse_report_size> report(uint64_t n);

protected:
    UsbHandshake class_request(const usb::usb_ctrlrequest& setup, std::vector<uint8_t>& data) override;
    UsbHandshake data_out(uint8_t endpoint, const std::vector<uint8_t>& data) override;
    UsbHandshake data_in(uint8_t endpoint, uint32_t max_length, std::vector<uint8_t>& data) override;
    void reset_function() override { sent_ = 0; }

private:
    uint64_t sent_ = 0;
    uint64_t& stat_reports_;
};

}  // namespace models
