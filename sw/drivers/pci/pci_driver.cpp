#include "sw/drivers/pci/pci_driver.h"

#include "sw/drivers/pci/hv_dma_constraints.h"
#include "sw/drivers/pci/pci.h"
#include "sw/drivers/pci/pci_endpoint_test.h"
#include "sw/drivers/pci/ring_nic.h"
#include "sw/drivers/usb/uhc_hcd.h"

namespace sw {

const PciDriverRegistry& PciDriverRegistry::builtin() {
    static const PciDriverRegistry registry = [] {
        PciDriverRegistry r;
        r.add(pci_endpoint_test_driver());
        r.add(ring_nic_driver());
        r.add(uhc_hcd_driver());
        r.add(hv_dma_constraints_driver());
        return r;
    }();
    return registry;
}

const PciDriver* PciDriverRegistry::match(const PciDev& pdev, const PciDeviceId*& id) const {
    return DriverRegistry::match(
        [&](const PciDeviceId& entry) {
            return (entry.vendor == PCI_ANY_ID || entry.vendor == pdev.vendor) &&
                   (entry.device == PCI_ANY_ID || entry.device == pdev.device);
        },
        id);
}

}  // namespace sw
