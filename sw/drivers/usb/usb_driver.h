// USB drivers (Linux's struct usb_driver): a name, the interfaces the driver takes (class,
// subclass and protocol, as USB_INTERFACE_INFO matches them), and probe/disconnect. A driver
// binds to a device's first interface, the only one dmasim's devices have. The registry is every
// USB driver dmasim ships: usb-storage and usbmouse.
#pragma once

#include "sw/drivers/base/bus.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sw {

struct UsbDevice;

struct UsbDeviceId {
    uint8_t interface_class = 0;
    uint8_t interface_subclass = 0;
    uint8_t interface_protocol = 0;
};

struct UsbDriver {
    std::string name;
    std::vector<UsbDeviceId> id_table;
    // 0, or a negative errno: the device stays unbound.
    std::function<int(UsbDevice& udev, const UsbDeviceId& id)> probe;
    // Undoes probe: everything the driver mapped and allocated for the device is released.
    std::function<void(UsbDevice& udev)> disconnect;
};

class UsbDriverRegistry : public DriverRegistry<UsbDriver> {
public:
    static const UsbDriverRegistry& builtin();

    // The first driver whose table has the device's interface, and that entry in `id`; nullptr if none.
    const UsbDriver* match(const UsbDevice& udev, const UsbDeviceId*& id) const;
};

}  // namespace sw
