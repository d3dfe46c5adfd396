#include "models/usb/usb_mouse.h"

#include <algorithm>

namespace models {

using namespace usb;

UsbMouse::UsbMouse(std::string name, uint16_t vendor, uint16_t product, Instrumentation& instr)
    : UsbDevice(std::move(name), vendor, product, instr), stat_reports_(instr.counter(this->name() + ".reports")) {
    usb_interface_descriptor interface {
        USB_DT_INTERFACE_SIZE, USB_DT_INTERFACE, 0, 0, 1, USB_CLASS_HID, USB_INTERFACE_SUBCLASS_BOOT,
            USB_INTERFACE_PROTOCOL_MOUSE, 0
    };
    // The HID descriptor: HID 1.11, no country, one report descriptor of the boot mouse's 50 bytes.
    std::vector<uint8_t> hid = {9, HID_DT_HID, 0x11, 0x01, 0, 1, 0x22, 50, 0};
    set_configuration_descriptor(interface, hid,
                                 {{USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, interrupt_in, USB_ENDPOINT_XFER_INT,
                                   hid_boot_mouse_report_size, b_interval}});
}

std::array<uint8_t, hid_boot_mouse_report_size> UsbMouse::report(uint64_t n) {
    return {static_cast<uint8_t>(n & 7), static_cast<uint8_t>(static_cast<int8_t>(n * 7 % 11) - 5),
            static_cast<uint8_t>(static_cast<int8_t>(n * 5 % 9) - 4), static_cast<uint8_t>(n % 4 == 3)};
}

UsbHandshake UsbMouse::class_request(const usb_ctrlrequest& setup, std::vector<uint8_t>&) {
    bool to_interface = (setup.bRequestType & USB_RECIP_MASK) == USB_RECIP_INTERFACE && !is_in_request(setup);
    if (to_interface && (setup.bRequest == HID_REQ_SET_IDLE || setup.bRequest == HID_REQ_SET_PROTOCOL))
        return UsbHandshake::ack;  // the boot protocol is all it speaks; idle rates are ignored
    return UsbHandshake::stall;
}

UsbHandshake UsbMouse::data_out(uint8_t, const std::vector<uint8_t>&) { return UsbHandshake::stall; }

UsbHandshake UsbMouse::data_in(uint8_t, uint32_t max_length, std::vector<uint8_t>& data) {
    std::array<uint8_t, hid_boot_mouse_report_size> next = report(sent_++);
    data.assign(next.begin(), next.begin() + std::min<uint32_t>(max_length, hid_boot_mouse_report_size));
    ++stat_reports_;
    return UsbHandshake::ack;
}

}  // namespace models
