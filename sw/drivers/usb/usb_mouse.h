// usbmouse for boot-protocol mice (Linux's drivers/hid/usbhid/usbmouse.c): the interrupt IN
// endpoint's reports land in a small coherent buffer (usb_alloc_coherent, URB_NO_TRANSFER_DMA_MAP),
// allocated through the USB device and so from its host controller's reach. Linux keeps the URB
// submitted and resubmits it from its completion; here read_report() submits one and waits for
// the next report.
#pragma once

#include "sw/drivers/usb/usb.h"
#include "sw/drivers/usb/usb_driver.h"

#include <array>
#include <cstdint>

namespace sw {

class UsbMouse {
public:
    static constexpr const char* driver_name = "usbmouse";
    static constexpr uint32_t data_size = 8;  // usbmouse's buffer (the report is 4 bytes)

    explicit UsbMouse(UsbDevice& udev) : udev_(udev) {}
    UsbMouse(const UsbMouse&) = delete;
    UsbMouse& operator=(const UsbMouse&) = delete;

    int probe();
    void disconnect();
    static UsbMouse* of(UsbDevice& udev);

    // The next report (buttons, X, Y, wheel): 0 or a negative errno.
    int read_report(std::array<uint8_t, usb::hid_boot_mouse_report_size>& report);

private:
    UsbDevice& udev_;
    UsbPipe pipe_;
    uint32_t maxp_ = 0;
    uint64_t data_ = 0;
    dma::dma_addr_t data_dma_ = 0;
};

// Binds to HID interfaces of the boot subclass with the mouse protocol.
UsbDriver usb_mouse_driver();

}  // namespace sw
