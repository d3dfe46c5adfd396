// The GICv2 driver (Linux's irq-gic.c) for the GIC-400, Cortex-A9's and Cortex-A15's GICs:
// distributor and CPU interface as memory-mapped registers through the core.
#pragma once

#include "models/cpu/core.h"
#include "sw/kernel/gic_chip.h"

namespace sw {

class GicV2 : public GicChip {
public:
    // The distributor's and the CPU interface's registers, ioremap'd.
    GicV2(models::Core& cpu, uint64_t distributor_va, uint64_t cpu_interface_va)
        : cpu_(cpu), gicd_va_(distributor_va), gicc_va_(cpu_interface_va) {}

    void init() override;
    unsigned num_irqs() const override { return gic_irqs_; }
    void unmask(unsigned irq) override;
    void mask(unsigned irq) override;
    void set_edge(unsigned irq, bool edge) override;
    uint32_t acknowledge() override;
    void end_of_interrupt(uint32_t iar) override;

private:
    models::Core& cpu_;
    uint64_t gicd_va_, gicc_va_;
    unsigned gic_irqs_ = 0;
};

}  // namespace sw
