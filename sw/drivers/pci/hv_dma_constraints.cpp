#include "sw/drivers/pci/hv_dma_constraints.h"

#include "dma/mapping.h"
#include "models/pci/hv_dma_constraints_regs.h"
#include "sw/drivers/pci/pci_subsystem.h"

#include <cerrno>
#include <fmt/format.h>

namespace sw {

using namespace hv_dma_constraints;

PciDriver hv_dma_constraints_driver() {
    return pci_driver_of<HvDmaConstraints>(HvDmaConstraints::driver_name,
                                           {{PCI_VENDOR_ID_DMASIM, PCI_DEVICE_ID_HV_DMA_CONSTRAINTS}});
}

HvDmaConstraints* HvDmaConstraints::of(PciDev& pdev) { return bus_driver_data<HvDmaConstraints>(pdev, driver_name); }

HvDmaConstraints* HvDmaConstraints::find(const PciSubsystem* pci) {
    std::vector<PciDev*> bound = pci ? pci->bound_to(driver_name) : std::vector<PciDev*>{};
    return bound.empty() ? nullptr : of(*bound.front());
}

int HvDmaConstraints::probe() {
    unsigned cap = pci_find_capability(pdev_, pci::PCI_CAP_ID_VNDR);
    if (!cap) {
        pci_err(pdev_, "no vendor-specific capability: the DMA constraints it carries are missing");
        return -ENODEV;
    }
    if (unsigned length = pci_read_config_byte(pdev_, cap + CAP_LENGTH); length < CAP_SIZEOF) {
        pci_err(pdev_, fmt::format("vendor-specific capability of {} bytes, expected at least {}", length, CAP_SIZEOF));
        return -EINVAL;
    }
    unsigned bits = pci_read_config_byte(pdev_, cap + CAP_DMA_BITS);
    if (bits == 0 || bits > 64) {
        pci_err(pdev_, fmt::format("DMA address bits {} in the capability, expected 1 to 64", bits));
        return -EINVAL;
    }
    if (int rc = dma::set_mask_and_coherent(dev(), dma::dma_bit_mask(bits)); rc < 0)
        return rc;
    dma_bits_ = bits;
    return 0;
}

}  // namespace sw
