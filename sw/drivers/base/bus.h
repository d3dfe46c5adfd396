// What every bus's core does the same way (Linux's driver core, drivers/base/): a registry of
// drivers matched by their ID tables, and lookups over the devices a bus enumerated. The PCI
// core (sw/drivers/pci/) and the USB core (sw/drivers/usb/) use these; each brings its own driver
// and device types and says what an ID-table entry matches.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sw {

// Drivers of one bus, in the order added. `Driver` has `name` and `id_table` (a vector of IDs).
template <typename Driver>
class DriverRegistry {
public:
    using Id = typename decltype(Driver::id_table)::value_type;

    void add(Driver driver) { drivers_.push_back(std::move(driver)); }
    const std::vector<Driver>& drivers() const { return drivers_; }

    // The first driver with an id_table entry that `matches` accepts, and that entry in `id`;
    // nullptr if none (as the bus's match callback finds it: pci_match_id, usb_match_id).
    template <typename Matches>
    const Driver* match(Matches matches, const Id*& id) const {
        for (const Driver& driver : drivers_)
            for (const Id& entry : driver.id_table)
                if (matches(entry)) {
                    id = &entry;
                    return &driver;
                }
        return nullptr;
    }

private:
    std::vector<Driver> drivers_;
};

// A `Driver` for a driver class T of the usual shape: probe makes a T for the device (T(Device&))
// and runs T::probe(), keeping the T as the device's driver data if it succeeds (Linux's
// pci_set_drvdata / usb_set_intfdata). The bus adds the undoing callback (remove, disconnect).
template <typename T, typename Driver>
Driver bus_driver_of(std::string name, std::vector<typename DriverRegistry<Driver>::Id> id_table) {
    Driver driver;
    driver.name = std::move(name);
    driver.id_table = std::move(id_table);
    driver.probe = [](auto& device, const auto&) {
        auto instance = std::make_shared<T>(device);
        int rc = instance->probe();
        if (rc == 0)
            device.driver_data = instance;
        return rc;
    };
    return driver;
}

// The driver data of a device bound to the driver named `driver_name`, or nullptr when another
// driver (or none) has it.
template <typename T, typename Device>
T* bus_driver_data(Device& device, const std::string& driver_name) {
    return device.driver && device.driver->name == driver_name ? static_cast<T*>(device.driver_data.get()) : nullptr;
}

// The device named `name` (Linux's bus_find_device_by_name), or nullptr.
template <typename Device>
Device* bus_find_device_by_name(const std::vector<std::unique_ptr<Device>>& devices, const std::string& name) {
    for (const auto& device : devices)
        if (device->name() == name)
            return device.get();
    return nullptr;
}

// The devices bound to the driver named `driver` (Linux's driver_for_each_device), in bus order.
template <typename Device>
std::vector<Device*> bus_devices_bound_to(const std::vector<std::unique_ptr<Device>>& devices,
                                          const std::string& driver) {
    std::vector<Device*> bound;
    for (const auto& device : devices)
        if (device->driver && device->driver->name == driver)
            bound.push_back(device.get());
    return bound;
}

}  // namespace sw
