#include "sw/drivers/usb/usb_bus.h"

#include "dma/context.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace sw {

using namespace usb;

namespace {

// A descriptor buffer for the length of an enumeration step.
class DescriptorBuffer {
public:
    DescriptorBuffer(Kernel& kernel, uint64_t size) : kernel_(kernel), va_(usb_kmalloc_dma_safe(kernel, size)) {}
    ~DescriptorBuffer() { kernel_.kmalloc().kfree(va_); }
    DescriptorBuffer(const DescriptorBuffer&) = delete;
    DescriptorBuffer& operator=(const DescriptorBuffer&) = delete;
    uint64_t va() const { return va_; }

private:
    Kernel& kernel_;
    uint64_t va_;
};

int get_descriptor(UsbDevice& udev, uint8_t type, uint64_t buffer, uint16_t size) {
    return usb_control_msg(udev, usb_rcvctrlpipe(0), USB_REQ_GET_DESCRIPTOR, USB_DIR_IN, uint16_t(type << 8), 0, buffer,
                           size);
}

// A short read is an error, as the kernel's hub code treats it.
int expect_length(int rc, unsigned length) { return rc < 0 ? rc : static_cast<unsigned>(rc) < length ? -EMSGSIZE : 0; }

}  // namespace

UsbBus::UsbBus(UsbHcd& hcd, Kernel& kernel, models::Instrumentation& instr, unsigned busnum)
    : hcd_(hcd), kernel_(kernel), instr_(instr), busnum_(busnum), stat_devices_(instr.counter("usb.devices")),
      stat_enumeration_failures_(instr.counter("usb.enumeration_failures")),
      stat_bound_(instr.counter("usb.drivers_bound")), stat_probe_failures_(instr.counter("usb.probe_failures")),
      stat_urbs_(instr.counter("usb.urbs")), stat_urb_errors_(instr.counter("usb.urb_errors")),
      stat_dma_errors_(instr.counter("usb.dma_errors")), ev_log_(declare_log_event(instr)) {}

models::EventKind UsbBus::declare_log_event(models::Instrumentation& instr) {
    return instr.declare_event("usb.log", "the kernel's USB core or a USB driver logged a message");
}

UsbBus::~UsbBus() = default;

void UsbBus::log(const std::string& who, const std::string& message) {
    messages_.push_back(who + ": " + message);
    if (ev_log_.enabled())
        instr_.emit(ev_log_, models::Event{kernel_.cpu().now_ps(), nullptr, who, {{"message", message}}});
}

void UsbBus::count_completion(int status) {
    stat_urb_errors_ += status != 0;
    stat_dma_errors_ += status == -ECOMM || status == -ENOSR;
}

UsbDevice* UsbBus::find(const std::string& name) const { return bus_find_device_by_name(devices_, name); }

std::vector<UsbDevice*> UsbBus::bound_to(const std::string& driver) const {
    return bus_devices_bound_to(devices_, driver);
}

void UsbBus::enumerate(const UsbDriverRegistry& registry) {
    for (unsigned port = 1; port <= hcd_.root_hub_ports(); ++port)
        if (hcd_.port_connected(port))
            new_device(port);
    for (const auto& udev : devices_)
        if (!udev->driver)
            bind(*udev, registry);
}

// Linux's hub_port_init and usb_new_device for a device on a root-hub port.
void UsbBus::new_device(unsigned port) {
    std::string port_name = fmt::format("usb usb{}-port{}", busnum_, port);
    if (int rc = hcd_.port_reset(port); rc < 0) {
        ++stat_enumeration_failures_;
        log(port_name, fmt::format("cannot reset (err = {})", rc));
        return;
    }
    auto udev = std::make_unique<UsbDevice>(*this, port, nullptr);
    udev->dev = std::make_unique<dma::Device>(udev->name(), hcd_.sysdev());
    log("usb " + udev->name(),
        fmt::format("new high-speed USB device number {} using {}", next_devnum_, hcd_.driver_name()));
    if (int rc = read_descriptors(*udev, next_devnum_); rc < 0) {
        ++stat_enumeration_failures_;
        log(port_name, fmt::format("unable to enumerate USB device (error {})", rc));
        return;
    }
    ++next_devnum_;
    ++stat_devices_;
    log("usb " + udev->name(),
        fmt::format("New USB device found, idVendor={:04x}, idProduct={:04x}, bcdDevice={:2x}.{:02x}",
                    udev->descriptor.idVendor, udev->descriptor.idProduct, udev->descriptor.bcdDevice >> 8,
                    udev->descriptor.bcdDevice & 0xff));
    log("usb " + udev->name(), fmt::format("interface class {:02x} subclass {:02x} protocol {:02x}, {} endpoint(s)",
                                           udev->interface.bInterfaceClass, udev->interface.bInterfaceSubClass,
                                           udev->interface.bInterfaceProtocol, udev->endpoints.size()));
    devices_.push_back(std::move(udev));
}

int UsbBus::read_descriptors(UsbDevice& udev, unsigned devnum) {
    std::string who = "usb " + udev.name();
    DescriptorBuffer buffer(kernel_, USB_DT_DEVICE_SIZE);
    if (!buffer.va())
        return -ENOMEM;
    if (int rc = expect_length(get_descriptor(udev, USB_DT_DEVICE, buffer.va(), USB_DT_DEVICE_SIZE),
                               USB_DT_DEVICE_SIZE);
        rc < 0) {
        log(who, fmt::format("device descriptor read/all, error {}", rc));
        return rc;
    }
    kernel_.cpu().read_block(buffer.va(), &udev.descriptor, sizeof udev.descriptor);
    int rc = usb_control_msg(udev, usb_sndctrlpipe(0), USB_REQ_SET_ADDRESS, USB_DIR_OUT, uint16_t(devnum), 0, 0, 0);
    if (rc < 0) {
        log(who, fmt::format("device not accepting address {}, error {}", devnum, rc));
        return rc;
    }
    udev.devnum = devnum;
    if ((rc = read_configuration(udev, buffer.va())) < 0)
        return rc;
    usb_config_descriptor config;
    std::memcpy(&config, udev.rawdescriptor.data(), sizeof config);
    rc = usb_control_msg(udev, usb_sndctrlpipe(0), USB_REQ_SET_CONFIGURATION, USB_DIR_OUT, config.bConfigurationValue,
                         0, 0, 0);
    if (rc < 0)
        log(who, fmt::format("can't set config #{}, error {}", config.bConfigurationValue, rc));
    return rc < 0 ? rc : 0;
}

// Linux's usb_get_configuration: the 9-byte header for wTotalLength, then everything; the first
// interface and its endpoints are kept.
int UsbBus::read_configuration(UsbDevice& udev, uint64_t header) {
    std::string who = "usb " + udev.name();
    if (int rc = expect_length(get_descriptor(udev, USB_DT_CONFIG, header, USB_DT_CONFIG_SIZE), USB_DT_CONFIG_SIZE);
        rc < 0) {
        log(who, fmt::format("unable to read config index 0 descriptor/start: {}", rc));
        return rc;
    }
    usb_config_descriptor config;
    kernel_.cpu().read_block(header, &config, sizeof config);
    if (config.wTotalLength < USB_DT_CONFIG_SIZE + USB_DT_INTERFACE_SIZE) {
        log(who, fmt::format("config index 0 descriptor too short (expected at least {}, got {})",
                             USB_DT_CONFIG_SIZE + USB_DT_INTERFACE_SIZE, config.wTotalLength));
        return -EINVAL;
    }
    DescriptorBuffer all(kernel_, config.wTotalLength);
    if (!all.va())
        return -ENOMEM;
    if (int rc = expect_length(get_descriptor(udev, USB_DT_CONFIG, all.va(), config.wTotalLength), config.wTotalLength);
        rc < 0) {
        log(who, fmt::format("unable to read config index 0 descriptor/all, error {}", rc));
        return rc;
    }
    udev.rawdescriptor.resize(config.wTotalLength);
    kernel_.cpu().read_block(all.va(), udev.rawdescriptor.data(), config.wTotalLength);
    bool in_first_interface = false;
    const std::vector<uint8_t>& raw = udev.rawdescriptor;
    for (size_t at = 0; at + 2 <= raw.size() && raw[at] >= 2 && at + raw[at] <= raw.size(); at += raw[at]) {
        if (raw[at + 1] == USB_DT_INTERFACE && raw[at] >= USB_DT_INTERFACE_SIZE) {
            if (in_first_interface)
                break;
            std::memcpy(&udev.interface, raw.data() + at, sizeof udev.interface);
            in_first_interface = true;
        } else if (raw[at + 1] == USB_DT_ENDPOINT && raw[at] >= USB_DT_ENDPOINT_SIZE && in_first_interface) {
            usb_endpoint_descriptor endpoint;
            std::memcpy(&endpoint, raw.data() + at, sizeof endpoint);
            udev.endpoints.push_back(endpoint);
        }
    }
    if (!in_first_interface) {
        log(who, "config index 0 has no interface descriptor");
        return -EINVAL;
    }
    return 0;
}

int UsbBus::bind(UsbDevice& udev, const UsbDriverRegistry& registry) {
    const UsbDeviceId* id = nullptr;
    const UsbDriver* driver = registry.match(udev, id);
    if (!driver || udev.driver)
        return -ENODEV;
    if (int rc = driver->probe(udev, *id); rc < 0) {
        ++stat_probe_failures_;
        log(driver->name + " " + udev.name(), fmt::format("probe failed with error {}", rc));
        return rc;
    }
    udev.driver = driver;
    ++stat_bound_;
    log(driver->name + " " + udev.name(), "bound");
    return 0;
}

void UsbBus::unbind(UsbDevice& udev) {
    if (!udev.driver)
        return;
    udev.driver->disconnect(udev);
    log(udev.driver->name + " " + udev.name(), "unbound");
    udev.driver = nullptr;
    udev.driver_data.reset();
    udev.dev->context().debug().check_leaks(*udev.dev);
}

void UsbBus::disconnect_all() {
    for (const auto& udev : devices_) {
        log("usb " + udev->name(), fmt::format("USB disconnect, device number {}", udev->devnum));
        unbind(*udev);
    }
    devices_.clear();
}

}  // namespace sw
