#include "sw/drivers/gpu/ttm_anon_pool.h"

#include "sw/drivers/pci/hv_dma_constraints.h"

namespace sw {

std::unique_ptr<TtmPool> ttm_anon_pool_create(const PciSubsystem* pci, Kernel& kernel, models::Instrumentation& instr) {
    HvDmaConstraints* hypervisor = HvDmaConstraints::find(pci);
    dma::Device* dev = hypervisor ? &hypervisor->dev() : nullptr;
    return std::make_unique<TtmPool>(ttm_anon_pool_label, dev, kernel, instr, dev != nullptr, false);
}

}  // namespace sw
