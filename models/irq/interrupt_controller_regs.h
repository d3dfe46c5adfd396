// The GIC-400's and GICv2m's register interface (their TRMs), the GICv3's (the GIC architecture
// specification, IHI 0069: distributor, redistributor, the CPU interface's system registers) and
// the architecture's interrupt-ID constants, shared by the model (models/irq/interrupt_controller.h)
// and the kernel's GIC drivers (sw/kernel/gic_v2.h, gic_v3.h), which drive it only through these
// registers.
#pragma once

#include <cstdint>

namespace gic {

// Register offsets, as in the GIC-400 and GICv2m TRMs. All registers are 32-bit.
enum DistributorRegister : uint32_t {
    gicd_ctlr = 0x000,
    gicd_typer = 0x004,
    gicd_isenabler = 0x100,  // one bit per ID, 32 IDs per register
    gicd_icenabler = 0x180,
    gicd_ispendr = 0x200,
    gicd_icpendr = 0x280,
    gicd_isactiver = 0x300,
    gicd_ipriorityr = 0x400,  // one byte per ID
    gicd_icfgr = 0xc00,       // two bits per ID, 16 IDs per register; the upper bit set: edge-triggered
    gicd_irouter = 0x6000,    // GICv3: 64 bits per SPI (the first at 0x6000 + 8 * 32)
    gicd_pidr2 = 0xffe8,      // GICv3: ArchRev in bits 7:4
};
// GICD_CTLR's bits as the non-secure side sees a GICv3 (Linux's arm-gic-v3.h).
constexpr uint32_t gicd_ctlr_enable_g1 = 1u << 0;
constexpr uint32_t gicd_ctlr_enable_g1a = 1u << 1;
constexpr uint32_t gicd_ctlr_are_ns = 1u << 4;
constexpr uint32_t gicd_ctlr_rwp = 1u << 31;
constexpr uint64_t irouter_affinity_mask = 0xff00ffffffULL;  // Aff3, Aff2, Aff1, Aff0
constexpr uint64_t irouter_any_core = 1ULL << 31;            // Interrupt_Routing_Mode
constexpr uint32_t pidr2_arch_gicv3 = 0x30;                  // GIC_PIDR2_ARCH_GICv3
constexpr uint32_t pidr2_arch_mask = 0xf0;

// GICv3 redistributor: the RD_base frame, then the SGI_base frame (its SGIs' and PPIs' banks, at
// the distributor's offsets).
enum RedistributorRegister : uint32_t {
    gicr_ctlr = 0x0000,
    gicr_typer = 0x0008,  // 64 bits: affinity in 63:32, Last in bit 4
    gicr_waker = 0x0014,
    gicr_pidr2 = 0xffe8,
    gicr_sgi_base = 0x10000,
};
constexpr uint32_t gicr_typer_last = 1u << 4;
constexpr uint32_t gicr_waker_processor_sleep = 1u << 1;
constexpr uint32_t gicr_waker_children_asleep = 1u << 2;

// GICv3 CPU interface: system registers, by their encoding as Linux's sys_reg(op0, op1, CRn, CRm,
// op2) gives it.
constexpr uint32_t sys_reg(uint32_t op0, uint32_t op1, uint32_t crn, uint32_t crm, uint32_t op2) {
    return op0 << 19 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5;
}
enum CpuSystemRegister : uint32_t {
    icc_pmr_el1 = sys_reg(3, 0, 4, 6, 0),
    icc_iar1_el1 = sys_reg(3, 0, 12, 12, 0),
    icc_eoir1_el1 = sys_reg(3, 0, 12, 12, 1),
    icc_bpr1_el1 = sys_reg(3, 0, 12, 12, 3),
    icc_ctlr_el1 = sys_reg(3, 0, 12, 12, 4),
    icc_sre_el1 = sys_reg(3, 0, 12, 12, 5),
    icc_igrpen1_el1 = sys_reg(3, 0, 12, 12, 7),
};
constexpr uint64_t icc_sre_el1_sre = 1;
constexpr uint64_t icc_ctlr_el1_eoimode = 1u << 1;
enum CpuInterfaceRegister : uint32_t {
    gicc_ctlr = 0x00,
    gicc_pmr = 0x04,
    gicc_iar = 0x0c,
    gicc_eoir = 0x10,
};
enum MsiFrameRegister : uint32_t {
    msi_typer = 0x008,  // base ID in bits 25:16, count in 9:0
    msi_setspi_ns = 0x040,
    msi_iidr = 0xfcc,
};
constexpr uint64_t distributor_space = 0x1000;
constexpr uint64_t cpu_interface_space = 0x2000;
constexpr uint64_t msi_frame_space = 0x1000;
constexpr uint64_t gicv3_distributor_space = 0x10000;
constexpr uint64_t redistributor_space = 0x20000;  // RD_base and SGI_base
constexpr uint32_t msi_typer_base_shift = 16, msi_typer_mask = 0x3ff;
constexpr unsigned first_ppi = 16;
constexpr unsigned first_spi = 32;
constexpr unsigned max_ids = 1020;      // 1020..1023 are special
constexpr unsigned v2m_max_spi = 1019;  // the last ID Linux's gicv2m takes (V2M_MAX_SPI)
constexpr unsigned spurious_id = 1023;
constexpr uint32_t default_priority = 0xa0;    // Linux's GICD_INT_DEF_PRI, for every ID
constexpr uint32_t priority_mask_bits = 0xf8;  // the GIC-400's 32 priority levels

}  // namespace gic
