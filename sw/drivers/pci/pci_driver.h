// PCI drivers (Linux's struct pci_driver): a name, the vendor/device IDs the driver takes, and
// probe/remove. The registry is every driver dmasim ships; the PCI core binds each enumerated
// function to the first driver whose table has its IDs. A new driver is a probe/remove pair and
// one line in PciDriverRegistry::builtin().
#pragma once

#include "sw/drivers/base/bus.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sw {

struct PciDev;

constexpr uint16_t PCI_ANY_ID = 0xffff;

struct PciDeviceId {
    uint16_t vendor = PCI_ANY_ID;
    uint16_t device = PCI_ANY_ID;
};

struct PciDriver {
    std::string name;
    std::vector<PciDeviceId> id_table;
    // 0, or a negative errno: the device stays unbound.
    std::function<int(PciDev& pdev, const PciDeviceId& id)> probe;
    // Undoes probe: everything the driver mapped and allocated for the device is released.
    std::function<void(PciDev& pdev)> remove;
};

class PciDriverRegistry : public DriverRegistry<PciDriver> {
public:
    static const PciDriverRegistry& builtin();

    // The first driver with an id_table entry matching the device (Linux's pci_match_id), and
    // that entry in `id`; nullptr if none.
    const PciDriver* match(const PciDev& pdev, const PciDeviceId*& id) const;
};

}  // namespace sw
