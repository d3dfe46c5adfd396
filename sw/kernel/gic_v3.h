// The GICv3 driver (Linux's irq-gic-v3.c) for wired interrupts on the one core: the distributor
// and the core's redistributor as memory-mapped registers, the CPU interface as system registers
// (ICC_*_EL1), all through the core. No ITS: LPIs and MSIs are not driven.
#pragma once

#include "models/cpu/core.h"
#include "sw/kernel/gic_chip.h"

namespace sw {

class GicV3 : public GicChip {
public:
    // The distributor's and the core's redistributor's registers (RD_base, then SGI_base), ioremap'd.
    GicV3(models::Core& cpu, uint64_t distributor_va, uint64_t redistributor_va)
        : cpu_(cpu), gicd_va_(distributor_va), gicr_va_(redistributor_va) {}

    // std::runtime_error with Linux's message when the registers are not a GICv3's.
    void init() override;
    unsigned num_irqs() const override { return gic_irqs_; }
    void unmask(unsigned irq) override;
    void mask(unsigned irq) override;
    void set_edge(unsigned irq, bool edge) override;
    uint32_t acknowledge() override;
    void end_of_interrupt(uint32_t iar) override;

private:
    void dist_init();
    void enable_redist();
    void cpu_sys_reg_init();
    void wait_for_rwp();
    // The register holding `irq`'s bit or field: the redistributor's SGI frame for IDs below 32,
    // else the distributor.
    uint64_t bank(unsigned irq) const;

    models::Core& cpu_;
    uint64_t gicd_va_, gicr_va_;
    unsigned gic_irqs_ = 0;
};

}  // namespace sw
