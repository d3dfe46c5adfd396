#include "sw/kernel/gic_v2.h"

#include "models/irq/interrupt_controller_regs.h"

#include <algorithm>

namespace sw {

namespace {

constexpr uint32_t gicd_enable = 1, gicc_enable = 1;
constexpr uint32_t gicc_int_pri_threshold = 0xf0;  // Linux's GICC_INT_PRI_THRESHOLD

}  // namespace

// Linux's gic_dist_init and gic_cpu_init, for what differs from the reset state: enable the
// distributor and the CPU interface, and let every priority through the mask.
void GicV2::init() {
    uint32_t typer = cpu_.load32(gicd_va_ + gic::gicd_typer);
    gic_irqs_ = std::min<unsigned>(((typer & 0x1f) + 1) * 32, gic::max_ids);
    cpu_.store32(gicd_va_ + gic::gicd_ctlr, gicd_enable);
    cpu_.store32(gicc_va_ + gic::gicc_pmr, gicc_int_pri_threshold);
    cpu_.store32(gicc_va_ + gic::gicc_ctlr, gicc_enable);
}

void GicV2::unmask(unsigned irq) { gic_poke_irq(cpu_, gicd_va_ + gic::gicd_isenabler, irq); }

void GicV2::mask(unsigned irq) { gic_poke_irq(cpu_, gicd_va_ + gic::gicd_icenabler, irq); }

void GicV2::set_edge(unsigned irq, bool edge) { gic_configure_irq(cpu_, gicd_va_ + gic::gicd_icfgr, irq, edge); }

uint32_t GicV2::acknowledge() { return cpu_.load32(gicc_va_ + gic::gicc_iar); }

void GicV2::end_of_interrupt(uint32_t iar) { cpu_.store32(gicc_va_ + gic::gicc_eoir, iar); }

}  // namespace sw
