// The GIC-400's and GICv2m's register interface (their TRMs) and the architecture's interrupt-ID
// constants, shared by the model (models/irq/interrupt_controller.h) and the kernel's GIC driver
// (sw/kernel/irq.h), which drives it only through these registers.
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
    gicd_icfgr = 0xc00,  // two bits per ID, 16 IDs per register; the upper bit set: edge-triggered
};
enum CpuInterfaceRegister : uint32_t {
    gicc_ctlr = 0x00,
    gicc_pmr = 0x04,
    gicc_iar = 0x0c,
    gicc_eoir = 0x10,
};
enum MsiFrameRegister : uint32_t {
    msi_typer = 0x008,  // base ID << 16 | count
    msi_setspi_ns = 0x040,
    msi_iidr = 0xfcc,
};
constexpr uint64_t distributor_space = 0x1000;
constexpr uint64_t cpu_interface_space = 0x2000;
constexpr uint64_t msi_frame_space = 0x1000;
constexpr unsigned first_spi = 32;
constexpr unsigned max_ids = 1020;  // 1020..1023 are special
constexpr unsigned spurious_id = 1023;
constexpr uint32_t default_priority = 0xa0;    // Linux's GICD_INT_DEF_PRI, for every ID
constexpr uint32_t priority_mask_bits = 0xf8;  // the GIC-400's 32 priority levels

}  // namespace gic
