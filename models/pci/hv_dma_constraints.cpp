#include "models/pci/hv_dma_constraints.h"

#include "models/pci/hv_dma_constraints_regs.h"

#include <fmt/format.h>
#include <stdexcept>

namespace models {

namespace {

const PciEndpointConfig& without_interrupts(const PciEndpointConfig& config, const char* name) {
    if (config.interrupt_pin || config.msi_vectors)
        throw std::invalid_argument(fmt::format("{}: the hypervisor's DMA-constraints function has no interrupt: "
                                                "expected interrupts = <0> and no MSI vectors, got pin {} and {} "
                                                "vectors",
                                                name, config.interrupt_pin, config.msi_vectors));
    return config;
}

}  // namespace

HvDmaConstraints::HvDmaConstraints(sc_core::sc_module_name name, const PciEndpointConfig& config,
                                   Instrumentation& instr)
    : PciEndpoint(name, without_interrupts(config, name), {}, instr) {
    add_vendor_capability({static_cast<uint8_t>(config.dma_bits)});
}

void HvDmaConstraints::bar_read(unsigned bar, uint64_t, uint8_t*, unsigned, uint64_t&) {
    throw std::logic_error(fmt::format("{}: a read of BAR{}, which it does not have", name(), bar));
}

void HvDmaConstraints::bar_write(unsigned bar, uint64_t, const uint8_t*, unsigned, uint64_t&) {
    throw std::logic_error(fmt::format("{}: a write of BAR{}, which it does not have", name(), bar));
}

}  // namespace models
