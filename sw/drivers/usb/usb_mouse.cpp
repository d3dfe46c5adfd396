#include "sw/drivers/usb/usb_mouse.h"

#include "sw/drivers/usb/usb_bus.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <cerrno>

namespace sw {

using namespace usb;

UsbDriver usb_mouse_driver() {
    return usb_driver_of<UsbMouse>(UsbMouse::driver_name,
                                   {{USB_CLASS_HID, USB_INTERFACE_SUBCLASS_BOOT, USB_INTERFACE_PROTOCOL_MOUSE}});
}

UsbMouse* UsbMouse::of(UsbDevice& udev) { return bus_driver_data<UsbMouse>(udev, driver_name); }

int UsbMouse::probe() {
    const usb_endpoint_descriptor* endpoint = udev_.find_endpoint(USB_ENDPOINT_XFER_INT, USB_DIR_IN);
    if (!endpoint) {
        udev_.bus.log(std::string(driver_name) + " " + udev_.name(), "no interrupt-in endpoint to poll");
        return -ENODEV;
    }
    pipe_ = usb_rcvintpipe(endpoint->bEndpointAddress);
    maxp_ = std::min<uint32_t>(endpoint->wMaxPacketSize, data_size);
    data_ = usb_alloc_coherent(udev_, data_size, data_dma_);
    if (!data_)
        return -ENOMEM;
    udev_.bus.log(std::string(driver_name) + " " + udev_.name(), "boot-protocol mouse");
    return 0;
}

void UsbMouse::disconnect() {
    usb_free_coherent(udev_, data_size, data_, data_dma_);
    data_ = 0;
}

int UsbMouse::read_report(std::array<uint8_t, hid_boot_mouse_report_size>& report) {
    Urb urb;
    urb.dev = &udev_;
    urb.pipe = pipe_;
    urb.transfer_flags = URB_NO_TRANSFER_DMA_MAP;
    urb.transfer_buffer = data_;
    urb.transfer_dma = data_dma_;
    urb.transfer_buffer_length = maxp_;
    if (int rc = usb_start_wait_urb(urb); rc < 0)
        return rc;
    if (urb.actual_length < report.size())
        return -EPROTO;
    udev_.kernel().cpu().read_block(data_, report.data(), report.size());
    return 0;
}

}  // namespace sw
