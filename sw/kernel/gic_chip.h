// What the kernel's interrupt core (sw/kernel/irq.h) asks of a GIC driver: Linux's irq_chip
// callbacks for the one core dmasim models, each a register access through the core.
#pragma once

#include "models/cpu/core.h"

#include <cstdint>

namespace sw {

class GicChip {
public:
    virtual ~GicChip() = default;
    // The driver's init at boot (gic_of_init): enables the distributor and the CPU interface.
    virtual void init() = 0;
    // Interrupt IDs the distributor has (from GICD_TYPER), valid after init().
    virtual unsigned num_irqs() const = 0;
    virtual void unmask(unsigned irq) = 0;  // irq_unmask: GICD_ISENABLER
    virtual void mask(unsigned irq) = 0;    // irq_mask: GICD_ICENABLER
    // irq_set_type: whether the upper bit of the ID's GICD_ICFGR field is set (edge).
    virtual void set_edge(unsigned irq, bool edge) = 0;
    // The acknowledge (IAR), then the end of interrupt (EOIR) with what it returned.
    virtual uint32_t acknowledge() = 0;
    virtual void end_of_interrupt(uint32_t iar) = 0;
};

// Linux's irq-gic-common.c, shared by both drivers: the ID's bit in a one-bit-per-ID bank at
// `bank` (GICD_ISENABLER, ICENABLER...), and gic_configure_irq, a read-modify-write of the ID's
// two bits in the GICD_ICFGR bank at `icfgr`.
inline void gic_poke_irq(models::Core& cpu, uint64_t bank, unsigned irq) {
    cpu.store32(bank + irq / 32 * 4, 1u << (irq % 32));
}
inline void gic_configure_irq(models::Core& cpu, uint64_t icfgr, unsigned irq, bool edge) {
    uint64_t reg = icfgr + irq / 16 * 4;
    uint32_t edge_bit = 2u << (irq % 16 * 2);
    uint32_t value = cpu.load32(reg);
    cpu.store32(reg, edge ? value | edge_bit : value & ~edge_bit);
}

}  // namespace sw
