#include "sw/drivers/usb/usb.h"

#include "dma/mapping.h"
#include "sw/drivers/usb/usb_bus.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <cerrno>
#include <fmt/format.h>

namespace sw {

using namespace usb;

std::string UsbDevice::name() const { return fmt::format("{}-{}", bus.busnum(), port); }

Kernel& UsbDevice::kernel() const { return bus.kernel(); }

const usb_endpoint_descriptor* UsbDevice::find_endpoint(uint8_t type, uint8_t direction) const {
    for (const usb_endpoint_descriptor& endpoint : endpoints)
        if ((endpoint.bmAttributes & USB_ENDPOINT_XFERTYPE_MASK) == type &&
            (endpoint.bEndpointAddress & USB_ENDPOINT_DIR_MASK) == direction)
            return &endpoint;
    return nullptr;
}

bool usb_urb_dir_in(const Urb& urb) {
    return urb.pipe.type == USB_ENDPOINT_XFER_CONTROL ? urb.setup_packet.bRequestType & USB_DIR_IN : urb.pipe.in();
}

namespace {

dma::DmaDirection urb_direction(const Urb& urb) {
    return usb_urb_dir_in(urb) ? dma::DmaDirection::from_device : dma::DmaDirection::to_device;
}

// Linux's usb_hcd_map_urb_for_dma / usb_hcd_unmap_urb_for_dma, through the URB's device (which
// delegates to the controller's).
bool core_maps(const Urb& urb) { return urb.transfer_buffer_length && !(urb.transfer_flags & URB_NO_TRANSFER_DMA_MAP); }

void unmap_urb_for_dma(Urb& urb) {
    if (core_maps(urb))
        dma::unmap_single(*urb.dev->dev, urb.transfer_dma, urb.transfer_buffer_length, urb_direction(urb));
}

}  // namespace

int usb_submit_urb(Urb& urb) {
    UsbDevice& udev = *urb.dev;
    if (core_maps(urb)) {
        urb.transfer_dma = dma::map_single(*udev.dev, urb.transfer_buffer, urb.transfer_buffer_length,
                                           urb_direction(urb));
        if (dma::mapping_error(*udev.dev, urb.transfer_dma))
            return -EAGAIN;
    }
    urb.status = -EINPROGRESS;
    urb.actual_length = 0;
    udev.bus.count_submit();
    int rc = udev.bus.hcd().urb_enqueue(urb);
    if (rc < 0) {
        urb.status = rc;
        unmap_urb_for_dma(urb);
    }
    return rc;
}

void usb_hcd_giveback_urb(Urb& urb, int status) {
    unmap_urb_for_dma(urb);
    urb.status = status;
    urb.dev->bus.count_completion(status);
    if (urb.complete)
        urb.complete(urb);
}

int usb_start_wait_urb(Urb& urb) {
    if (int rc = usb_submit_urb(urb); rc < 0)
        return rc;
    while (urb.status == -EINPROGRESS)
        urb.dev->kernel().wait_for_interrupt();
    return urb.status;
}

int usb_control_msg(UsbDevice& udev, UsbPipe pipe, uint8_t request, uint8_t requesttype, uint16_t value, uint16_t index,
                    uint64_t data, uint16_t size) {
    Urb urb;
    urb.dev = &udev;
    urb.pipe = pipe;
    urb.setup_packet = usb_ctrlrequest{requesttype, request, value, index, size};
    urb.transfer_buffer = data;
    urb.transfer_buffer_length = size;
    int rc = usb_start_wait_urb(urb);
    return rc < 0 ? rc : static_cast<int>(urb.actual_length);
}

int usb_bulk_msg(UsbDevice& udev, UsbPipe pipe, uint64_t data, uint32_t len, uint32_t& actual) {
    Urb urb;
    urb.dev = &udev;
    urb.pipe = pipe;
    urb.transfer_buffer = data;
    urb.transfer_buffer_length = len;
    int rc = usb_start_wait_urb(urb);
    actual = urb.actual_length;
    return rc;
}

int usb_clear_halt(UsbDevice& udev, UsbPipe pipe) {
    int rc = usb_control_msg(udev, usb_sndctrlpipe(0), USB_REQ_CLEAR_FEATURE, USB_RECIP_ENDPOINT, USB_ENDPOINT_HALT,
                             pipe.endpoint, 0, 0);
    return rc < 0 ? rc : 0;
}

uint64_t usb_kmalloc_dma_safe(Kernel& kernel, uint64_t size) {
    models::Core& cpu = kernel.cpu();
    uint64_t line = cpu.l1d().line_size();
    if (cpu.outer_cache())
        line = std::max<uint64_t>(line, cpu.outer_cache()->line_size());
    return kernel.kmalloc().kmalloc((size + line - 1) / line * line);
}

uint64_t usb_alloc_coherent(UsbDevice& udev, uint64_t size, dma::dma_addr_t& dma) {
    return dma::alloc_coherent(*udev.dev, size, dma);
}

void usb_free_coherent(UsbDevice& udev, uint64_t size, uint64_t va, dma::dma_addr_t dma) {
    dma::free_coherent(*udev.dev, size, va, dma);
}

}  // namespace sw
