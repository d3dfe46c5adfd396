// The driver of the hypervisor's DMA-constraints function (models/pci/hv_dma_constraints_regs.h;
// seed 001): probe reads the address bits from its vendor-specific capability and sets the
// function's DMA masks to them; the bridge's dma-ranges and iommu-map already shaped its
// dma::Device as any function's. The function does no DMA: its device only stands for the
// hypervisor's constraints, for allocations made through it (dma_alloc_attrs), such as the TTM
// pool of anonymous buffer objects (sw/drivers/gpu/ttm_anon_pool.h). Probe fails with -ENODEV
// without the capability, -EINVAL when it is malformed, or set_mask_and_coherent's error.
#pragma once

#include "sw/drivers/pci/pci.h"
#include "sw/drivers/pci/pci_driver.h"

namespace sw {

class PciSubsystem;

class HvDmaConstraints {
public:
    static constexpr const char* driver_name = "hv-dma-constraints";

    explicit HvDmaConstraints(PciDev& pdev) : pdev_(pdev) {}
    HvDmaConstraints(const HvDmaConstraints&) = delete;
    HvDmaConstraints& operator=(const HvDmaConstraints&) = delete;

    int probe();
    void remove() {}
    // The driver's instance of a bound device, or nullptr.
    static HvDmaConstraints* of(PciDev& pdev);
    // The first bound function of `pci` (null: no PCI), or nullptr: bare metal.
    static HvDmaConstraints* find(const PciSubsystem* pci);

    PciDev& pdev() { return pdev_; }
    dma::Device& dev() { return *pdev_.dev; }
    unsigned dma_bits() const { return dma_bits_; }

private:
    PciDev& pdev_;
    unsigned dma_bits_ = 0;
};

// The driver's entry for the registry: dmasim's vendor and device ID.
PciDriver hv_dma_constraints_driver();

}  // namespace sw
