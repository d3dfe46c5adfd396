#include "sw/kernel/gic_v3.h"

#include "models/irq/interrupt_controller_regs.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace sw {

namespace {

constexpr uint32_t default_pmr_value = 0xf0;          // Linux's DEFAULT_PMR_VALUE
constexpr uint32_t gicd_int_def_pri_x4 = 0xa0a0a0a0;  // GICD_INT_DEF_PRI, four IDs at once
constexpr uint64_t boot_cpu_affinity = 0;             // MPIDR_EL1 of the one core

}  // namespace

// Linux's gic_of_init (gic_validate_dist_version), gic_init_bases, gic_dist_init and gic_cpu_init.
void GicV3::init() {
    if ((cpu_.load32(gicd_va_ + gic::gicd_pidr2) & gic::pidr2_arch_mask) != gic::pidr2_arch_gicv3)
        throw std::runtime_error("GIC: no distributor detected, giving up");
    uint32_t typer = cpu_.load32(gicd_va_ + gic::gicd_typer);
    gic_irqs_ = std::min<unsigned>(((typer & 0x1f) + 1) * 32, gic::max_ids);
    dist_init();
    enable_redist();
    cpu_sys_reg_init();
}

// gic_dist_init: disable, configure every SPI (gic_dist_config: level, the default priority,
// disabled), enable with affinity routing and Group 1, route every SPI to the boot CPU. The model
// puts every interrupt in non-secure Group 1, so the GICD_IGROUPR writes are left out.
void GicV3::dist_init() {
    cpu_.store32(gicd_va_ + gic::gicd_ctlr, 0);
    wait_for_rwp();
    for (unsigned id = gic::first_spi; id < gic_irqs_; id += 16)
        cpu_.store32(gicd_va_ + gic::gicd_icfgr + id / 4, 0);
    for (unsigned id = gic::first_spi; id < gic_irqs_; id += 4)
        cpu_.store32(gicd_va_ + gic::gicd_ipriorityr + id, gicd_int_def_pri_x4);
    for (unsigned id = gic::first_spi; id < gic_irqs_; id += 32)
        cpu_.store32(gicd_va_ + gic::gicd_icenabler + id / 8, ~0u);
    wait_for_rwp();
    cpu_.store32(gicd_va_ + gic::gicd_ctlr,
                 gic::gicd_ctlr_are_ns | gic::gicd_ctlr_enable_g1a | gic::gicd_ctlr_enable_g1);
    wait_for_rwp();
    for (unsigned id = gic::first_spi; id < gic_irqs_; ++id)
        cpu_.store64(gicd_va_ + gic::gicd_irouter + id * 8, boot_cpu_affinity);
}

// gic_populate_rdist (the core's redistributor, by GICR_TYPER's affinity), gic_enable_redist
// (wake it: clear ProcessorSleep, wait for ChildrenAsleep to clear) and gic_cpu_config on its SGI
// frame (every private interrupt disabled, the default priority).
void GicV3::enable_redist() {
    if ((cpu_.load32(gicr_va_ + gic::gicr_pidr2) & gic::pidr2_arch_mask) != gic::pidr2_arch_gicv3 ||
        cpu_.load64(gicr_va_ + gic::gicr_typer) >> 32 != boot_cpu_affinity)
        throw std::runtime_error(fmt::format("GICv3: CPU0: mpidr {:x} has no re-distributor!", boot_cpu_affinity));
    uint32_t waker = cpu_.load32(gicr_va_ + gic::gicr_waker);
    cpu_.store32(gicr_va_ + gic::gicr_waker, waker & ~gic::gicr_waker_processor_sleep);
    while (cpu_.load32(gicr_va_ + gic::gicr_waker) & gic::gicr_waker_children_asleep)
        cpu_.compute(1000);  // cpu_relax(); udelay(1)
    uint64_t sgi = gicr_va_ + gic::gicr_sgi_base;
    cpu_.store32(sgi + gic::gicd_icenabler, ~0u);  // GICD_INT_EN_CLR_X32
    for (unsigned id = 0; id < gic::first_spi; id += 4)
        cpu_.store32(sgi + gic::gicd_ipriorityr + id, gicd_int_def_pri_x4);
}

// gic_cpu_sys_reg_init: the system-register interface, the priority mask, BPR, EOImode 0 (EOIR
// both drops the priority and deactivates), then Group 1 on.
void GicV3::cpu_sys_reg_init() {
    uint64_t sre = cpu_.read_gic_system_register(gic::icc_sre_el1);
    cpu_.write_gic_system_register(gic::icc_sre_el1, sre | gic::icc_sre_el1_sre);
    if (!(cpu_.read_gic_system_register(gic::icc_sre_el1) & gic::icc_sre_el1_sre))
        throw std::runtime_error("GIC: unable to set SRE (disabled at EL2), panic ahead");
    cpu_.write_gic_system_register(gic::icc_pmr_el1, default_pmr_value);
    cpu_.write_gic_system_register(gic::icc_bpr1_el1, 0);
    cpu_.write_gic_system_register(gic::icc_ctlr_el1, 0);  // ICC_CTLR_EL1_EOImode_drop_dir
    cpu_.write_gic_system_register(gic::icc_igrpen1_el1, 1);
}

// gic_dist_wait_for_rwp: the distributor's writes have taken effect once GICD_CTLR.RWP reads 0.
void GicV3::wait_for_rwp() {
    while (cpu_.load32(gicd_va_ + gic::gicd_ctlr) & gic::gicd_ctlr_rwp)
        cpu_.compute(1000);
}

uint64_t GicV3::bank(unsigned irq) const { return irq < gic::first_spi ? gicr_va_ + gic::gicr_sgi_base : gicd_va_; }

// gic_unmask_irq / gic_mask_irq (gic_poke_irq), the mask waiting for the write to take effect.
void GicV3::unmask(unsigned irq) { gic_poke_irq(cpu_, bank(irq) + gic::gicd_isenabler, irq); }

void GicV3::mask(unsigned irq) {
    gic_poke_irq(cpu_, bank(irq) + gic::gicd_icenabler, irq);
    wait_for_rwp();
}

// gic_set_type: gic_configure_irq on the distributor's or the redistributor's GICD_ICFGR bank.
void GicV3::set_edge(unsigned irq, bool edge) { gic_configure_irq(cpu_, bank(irq) + gic::gicd_icfgr, irq, edge); }

// gic_handle_irq: ICC_IAR1_EL1; gic_eoi_irq: ICC_EOIR1_EL1 (EOImode 0).
uint32_t GicV3::acknowledge() { return static_cast<uint32_t>(cpu_.read_gic_system_register(gic::icc_iar1_el1)); }

void GicV3::end_of_interrupt(uint32_t iar) { cpu_.write_gic_system_register(gic::icc_eoir1_el1, iar); }

}  // namespace sw
