#include "sw/drivers/usb/usb_driver.h"

#include "sw/drivers/usb/usb.h"
#include "sw/drivers/usb/usb_mouse.h"
#include "sw/drivers/usb/usb_storage.h"

namespace sw {

const UsbDriverRegistry& UsbDriverRegistry::builtin() {
    static const UsbDriverRegistry registry = [] {
        UsbDriverRegistry r;
        r.add(usb_storage_driver());
        r.add(usb_mouse_driver());
        return r;
    }();
    return registry;
}

const UsbDriver* UsbDriverRegistry::match(const UsbDevice& udev, const UsbDeviceId*& id) const {
    return DriverRegistry::match(
        [&](const UsbDeviceId& entry) {
            return entry.interface_class == udev.interface.bInterfaceClass &&
                   entry.interface_subclass == udev.interface.bInterfaceSubClass &&
                   entry.interface_protocol == udev.interface.bInterfaceProtocol;
        },
        id);
}

}  // namespace sw
