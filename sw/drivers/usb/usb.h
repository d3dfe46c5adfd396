// The kernel's USB core (Linux's drivers/usb/core): a usb_device per device found on a host
// controller's root hub, URBs submitted to the host controller driver, and the synchronous
// messages drivers use (usb_control_msg, usb_bulk_msg).
//
// A USB device does no DMA of its own: its host controller moves its data. So each usb_device's
// dma::Device is created with the controller's PCI device as its parent (seed 003's delegation:
// "all USB devices connected to a given bus would normally delegate to the PCI device underlying
// that bus"): masks, dma-ranges, coherence, ops, swiotlb bouncing and coherent pools are the
// controller's. The core maps an URB's transfer buffer through the URB's device (urb->dev), unless
// the driver mapped it itself (URB_NO_TRANSFER_DMA_MAP with transfer_dma, e.g. memory from
// usb_alloc_coherent), and unmaps it before the completion runs.
#pragma once

#include "dma/device.h"
#include "dma/types.h"
#include "models/usb/usb_protocol.h"
#include "sw/drivers/usb/usb_driver.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sw {

class Kernel;
class UsbBus;
struct UsbDriver;

// Where an URB goes: an endpoint address (number | USB_DIR_IN) and its transfer type
// (USB_ENDPOINT_XFER_*); Linux packs the same into an unsigned int.
struct UsbPipe {
    uint8_t endpoint = 0;
    uint8_t type = usb::USB_ENDPOINT_XFER_CONTROL;
    bool in() const { return endpoint & usb::USB_DIR_IN; }
    unsigned number() const { return endpoint & usb::USB_ENDPOINT_NUMBER_MASK; }
};
inline UsbPipe usb_sndctrlpipe(unsigned endpoint) {
    return {static_cast<uint8_t>(endpoint & 0xf), usb::USB_ENDPOINT_XFER_CONTROL};
}
inline UsbPipe usb_rcvctrlpipe(unsigned endpoint) {
    return {static_cast<uint8_t>((endpoint & 0xf) | usb::USB_DIR_IN), usb::USB_ENDPOINT_XFER_CONTROL};
}
inline UsbPipe usb_sndbulkpipe(unsigned endpoint) {
    return {static_cast<uint8_t>(endpoint & 0xf), usb::USB_ENDPOINT_XFER_BULK};
}
inline UsbPipe usb_rcvbulkpipe(unsigned endpoint) {
    return {static_cast<uint8_t>((endpoint & 0xf) | usb::USB_DIR_IN), usb::USB_ENDPOINT_XFER_BULK};
}
inline UsbPipe usb_rcvintpipe(unsigned endpoint) {
    return {static_cast<uint8_t>((endpoint & 0xf) | usb::USB_DIR_IN), usb::USB_ENDPOINT_XFER_INT};
}

struct UsbDevice {
    UsbDevice(UsbBus& bus, unsigned port, std::unique_ptr<dma::Device> dev)
        : bus(bus), port(port), dev(std::move(dev)) {}

    UsbBus& bus;
    unsigned port;        // on the root hub, 1-based
    unsigned devnum = 0;  // the USB address: 0 until SET_ADDRESS
    usb::usb_device_descriptor descriptor{};
    std::vector<uint8_t> rawdescriptor;                   // the configuration, as the device sent it
    usb::usb_interface_descriptor interface {};           // its first interface, which drivers bind to
    std::vector<usb::usb_endpoint_descriptor> endpoints;  // the interface's
    // The device's DMA: delegated to the host controller's PCI device.
    std::unique_ptr<dma::Device> dev;
    const UsbDriver* driver = nullptr;
    std::shared_ptr<void> driver_data;

    // Linux's dev_name: bus number and root-hub port, e.g. "1-1".
    std::string name() const;
    Kernel& kernel() const;
    // The interface's endpoint of that type and direction (USB_DIR_IN or USB_DIR_OUT), or nullptr.
    const usb::usb_endpoint_descriptor* find_endpoint(uint8_t type, uint8_t direction) const;
};

// URB transfer flags, Linux's values.
constexpr unsigned URB_SHORT_NOT_OK = 0x0001;         // a short IN transfer completes with -EREMOTEIO
constexpr unsigned URB_NO_TRANSFER_DMA_MAP = 0x0004;  // transfer_dma is the driver's mapping

struct Urb {
    UsbDevice* dev = nullptr;
    UsbPipe pipe;
    unsigned transfer_flags = 0;
    uint64_t transfer_buffer = 0;  // kernel VA
    dma::dma_addr_t transfer_dma = 0;
    uint32_t transfer_buffer_length = 0;
    uint32_t actual_length = 0;
    usb::usb_ctrlrequest setup_packet{};  // control URBs
    int status = 0;                       // -EINPROGRESS while the host controller has it
    std::function<void(Urb&)> complete;
};

// What the USB core needs of a host controller driver (Linux's struct hc_driver and the root hub).
class UsbHcd {
public:
    virtual ~UsbHcd() = default;
    virtual const char* driver_name() const = 0;
    // The controller's device: USB devices delegate their DMA to it (Linux's hcd->self.sysdev).
    virtual dma::Device& sysdev() = 0;
    // Queues a mapped URB: 0, or a negative errno (nothing queued). The HCD completes it with
    // usb_hcd_giveback_urb.
    virtual int urb_enqueue(Urb& urb) = 0;
    virtual unsigned root_hub_ports() = 0;
    virtual bool port_connected(unsigned port) = 0;
    // A bus reset of the port: 0 when the port is enabled afterwards, else a negative errno.
    virtual int port_reset(unsigned port) = 0;
};

// Whether the URB moves data from the device (a control URB: its setup packet's direction).
bool usb_urb_dir_in(const Urb& urb);

// Maps the transfer buffer (unless URB_NO_TRANSFER_DMA_MAP) and queues the URB: 0, or -EAGAIN
// when the mapping fails, or the HCD's error (the mapping is then undone).
int usb_submit_urb(Urb& urb);
// For HCDs: unmaps the buffer and runs the completion with `status`.
void usb_hcd_giveback_urb(Urb& urb, int status);
// Submits and waits for the completion (interrupts are taken meanwhile): the URB's status.
int usb_start_wait_urb(Urb& urb);

// Linux's synchronous messages; `data` is a DMA-able kernel VA (kmalloc'd, not on the stack).
// usb_control_msg returns the bytes of the data stage or a negative errno; usb_bulk_msg 0 or a
// negative errno, with the bytes transferred in `actual`.
int usb_control_msg(UsbDevice& udev, UsbPipe pipe, uint8_t request, uint8_t requesttype, uint16_t value, uint16_t index,
                    uint64_t data, uint16_t size);
int usb_bulk_msg(UsbDevice& udev, UsbPipe pipe, uint64_t data, uint32_t len, uint32_t& actual);
// CLEAR_FEATURE(ENDPOINT_HALT) to the pipe's endpoint.
int usb_clear_halt(UsbDevice& udev, UsbPipe pipe);

// kmalloc for a buffer a device writes by DMA: whole cache lines, so its data shares no line with
// the CPU's other data (this kernel's kmalloc packs small objects into lines unless its minimum
// alignment says otherwise; Linux's kmalloc is DMA-safe by ARCH_DMA_MINALIGN). Free with kfree.
uint64_t usb_kmalloc_dma_safe(Kernel& kernel, uint64_t size);

// Coherent memory for URBs with URB_NO_TRANSFER_DMA_MAP (Linux's hcd_buffer_alloc on the
// controller's device): allocated through the USB device's dma::Device, so from the controller's
// reach. The VA, or 0.
uint64_t usb_alloc_coherent(UsbDevice& udev, uint64_t size, dma::dma_addr_t& dma);
void usb_free_coherent(UsbDevice& udev, uint64_t size, uint64_t va, dma::dma_addr_t dma);

// The UsbDriver of a driver class T of the usual shape (bus_driver_of); disconnect runs
// T::disconnect().
template <typename T>
UsbDriver usb_driver_of(std::string name, std::vector<UsbDeviceId> id_table) {
    UsbDriver driver = bus_driver_of<T, UsbDriver>(std::move(name), std::move(id_table));
    driver.disconnect = [](UsbDevice& udev) { static_cast<T*>(udev.driver_data.get())->disconnect(); };
    return driver;
}

}  // namespace sw
