// A USB bus as the kernel runs it (Linux's usb_bus with its root hub's hub driver and the driver
// core's binding): created by a host controller driver once its controller runs.
//   enumerate():      each connected root-hub port reset and its device set up as Linux's
//                     hub_port_init and usb_new_device do: GET_DESCRIPTOR(DEVICE) at address 0,
//                     SET_ADDRESS (device numbers from 2; the root hub is 1), the configuration
//                     descriptor (first its 9 bytes, then wTotalLength), SET_CONFIGURATION; its
//                     usb_device gets a dma::Device delegating to the controller's; then the first
//                     matching driver is bound. Descriptors are read into usb_kmalloc_dma_safe
//                     buffers, mapped through the new device.
//   bind()/unbind():  probe / disconnect one device; unbind then runs dma-debug's leak check on
//                     the device.
//   disconnect_all(): every device unbound and gone (Linux's usb_disconnect), for the HCD's remove.
// Messages as Linux prints them ("usb 1-1: new high-speed USB device number 2 using dmasim-uhc")
// are kept and emitted as the event usb.log. Stats: usb.devices, usb.enumeration_failures,
// usb.drivers_bound, usb.probe_failures, usb.urbs, usb.urb_errors (completed with an error),
// usb.dma_errors (completed with -ECOMM or -ENOSR: the controller could not reach the buffer).
#pragma once

#include "models/common/instrumentation.h"
#include "sw/drivers/usb/usb.h"
#include "sw/drivers/usb/usb_driver.h"

#include <memory>
#include <string>
#include <vector>

namespace sw {

class UsbBus {
public:
    UsbBus(UsbHcd& hcd, Kernel& kernel, models::Instrumentation& instr, unsigned busnum);
    ~UsbBus();
    // usb.log. A bus exists only once a host controller's driver probed; the run declares the event
    // before it starts, so that --trace can select it.
    static models::EventKind declare_log_event(models::Instrumentation& instr);
    UsbBus(const UsbBus&) = delete;
    UsbBus& operator=(const UsbBus&) = delete;

    UsbHcd& hcd() { return hcd_; }
    Kernel& kernel() { return kernel_; }
    models::Instrumentation& instr() { return instr_; }
    unsigned busnum() const { return busnum_; }

    void enumerate(const UsbDriverRegistry& registry = UsbDriverRegistry::builtin());
    int bind(UsbDevice& udev, const UsbDriverRegistry& registry = UsbDriverRegistry::builtin());
    void unbind(UsbDevice& udev);
    void disconnect_all();

    const std::vector<std::unique_ptr<UsbDevice>>& devices() const { return devices_; }
    UsbDevice* find(const std::string& name) const;  // by dev_name, e.g. "1-1"
    std::vector<UsbDevice*> bound_to(const std::string& driver) const;
    const std::vector<std::string>& messages() const { return messages_; }
    // "<who>: <message>", kept and emitted as usb.log.
    void log(const std::string& who, const std::string& message);

    // For the core's URB paths.
    void count_submit() { ++stat_urbs_; }
    void count_completion(int status);

private:
    void new_device(unsigned port);
    int read_descriptors(UsbDevice& udev, unsigned devnum);
    int read_configuration(UsbDevice& udev, uint64_t buffer);

    UsbHcd& hcd_;
    Kernel& kernel_;
    models::Instrumentation& instr_;
    unsigned busnum_;
    unsigned next_devnum_ = 2;
    std::vector<std::unique_ptr<UsbDevice>> devices_;
    std::vector<std::string> messages_;
    uint64_t& stat_devices_;
    uint64_t& stat_enumeration_failures_;
    uint64_t& stat_bound_;
    uint64_t& stat_probe_failures_;
    uint64_t& stat_urbs_;
    uint64_t& stat_urb_errors_;
    uint64_t& stat_dma_errors_;
    models::EventKind ev_log_;
};

}  // namespace sw
