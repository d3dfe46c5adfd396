// The hypervisor's DMA-constraints function as software sees it (seed 001: "a hypervisor dummy
// virtual device sitting on the pci bus [that] would perhaps provide pci information detailing what
// GFP masks needing to allocate coherent memory"): a configuration header with these IDs and class,
// no BAR, no interrupt, and one vendor-specific capability giving the address bits buffers for the
// guest's devices must fit. Shared by the model and its driver. The IDs are dmasim's, not PCI-SIG
// assignments.
#pragma once

#include <cstdint>

namespace hv_dma_constraints {

constexpr uint16_t PCI_VENDOR_ID_DMASIM = 0x1234;
constexpr uint16_t PCI_DEVICE_ID_HV_DMA_CONSTRAINTS = 0x0580;
constexpr uint32_t PCI_CLASS_MEMORY_OTHER = 0x058000;  // memory controller, other

// The vendor-specific capability (pci::PCI_CAP_ID_VNDR), offsets from its start.
constexpr unsigned CAP_LENGTH = 2;    // its length in bytes: CAP_SIZEOF
constexpr unsigned CAP_DMA_BITS = 3;  // the address bits of the constraint (a DMA mask's width)
constexpr unsigned CAP_SIZEOF = 4;

}  // namespace hv_dma_constraints
