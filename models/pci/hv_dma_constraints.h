// A hypervisor's DMA-constraints function (seed 001, after Thomas Hellstrom's proposal): a PCI
// function with only a configuration space, which describes the constraints the guest's buffer
// memory must meet and does no DMA itself. Its vendor-specific capability
// (models/pci/hv_dma_constraints_regs.h) carries the address bits (`dmasim,dma-bits`); the rest
// of its constraints are where any function's are, in the tree: the bridge's dma-ranges and
// iommu-map. No BAR, no interrupt pin, no MSI: a node that asks for an interrupt is refused.
// Stats: none of its own (the endpoint base's stay zero).
#pragma once

#include "models/pci/pci_endpoint.h"

namespace models {

class HvDmaConstraints : public PciEndpoint {
public:
    // std::invalid_argument when `config` gives it an interrupt pin or MSI vectors.
    HvDmaConstraints(sc_core::sc_module_name name, const PciEndpointConfig& config, Instrumentation& instr);

    std::string device_kind() const override { return "hypervisor's DMA-constraints function"; }
    // Never called: it decodes no address.
    void bar_read(unsigned bar, uint64_t offset, uint8_t* data, unsigned length, uint64_t& delay_ps) override;
    void bar_write(unsigned bar, uint64_t offset, const uint8_t* data, unsigned length, uint64_t& delay_ps) override;
};

}  // namespace models
