// The kernel's interrupt handling, on the core: the GIC driver (GicV2, Linux's irq-gic.c, or GicV3,
// irq-gic-v3.c: init, enable, trigger type, acknowledge and end of interrupt), handlers by Linux
// IRQ number (here the GIC interrupt ID, so SPI n is 32 + n), the idle loop's WFI, and the GICv2m
// MSI vectors (GicV2m, irq-gic-v2m.c). Every register access goes through the core: MMIO on an
// ioremap'd mapping, or a GICv3 CPU interface's system registers.
#pragma once

#include "models/common/instrumentation.h"
#include "models/cpu/core.h"
#include "sw/kernel/gic_chip.h"
#include "sw/kernel/gic_v2m.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sw {

// Linux's trigger types (include/dt-bindings/interrupt-controller/irq.h), as in the third cell
// of a GIC interrupt specifier. The GIC takes SPIs as rising edges or high levels only.
constexpr unsigned IRQ_TYPE_EDGE_RISING = 1;
constexpr unsigned IRQ_TYPE_LEVEL_HIGH = 4;

enum class GicVersion { v2, v3 };

// What the platform tells the kernel about its interrupt controller (physical addresses).
struct InterruptControllerInfo {
    GicVersion version = GicVersion::v2;
    uint64_t distributor = 0;               // GICD
    uint64_t cpu_interface = 0;             // GICv2: GICC
    uint64_t redistributor = 0;             // GICv3: the core's GICR (RD_base)
    std::optional<MsiFrameInfo> msi_frame;  // GICv2 only
};

using irq_handler_t = std::function<void()>;

class Interrupts {
public:
    // The kernel's ioremap(pa, size), for the controller's registers.
    using Ioremap = std::function<uint64_t(uint64_t, uint64_t)>;
    Interrupts(models::Core& cpu, models::Instrumentation& instr, const InterruptControllerInfo& info,
               const Ioremap& ioremap);

    // 0, -EINVAL (no handler, or not an SPI this GIC has) or -EBUSY (already requested). Enables
    // the interrupt in the distributor; the handler runs in the core's thread.
    int request_irq(unsigned irq, irq_handler_t handler, const std::string& name);
    // Disables the interrupt and forgets its handler; warns for an IRQ that is not requested.
    void free_irq(unsigned irq);
    // IRQ_TYPE_EDGE_RISING or IRQ_TYPE_LEVEL_HIGH into GICD_ICFGR: 0 or -EINVAL.
    int irq_set_irq_type(unsigned irq, unsigned type);

    // The idle loop (Linux's cpu_do_idle: DSB then WFI), then the interrupts that woke the core.
    void wait_for_interrupt();
    // While the core's IRQ input is asserted: IAR, the handler, EOIR. Whether any was handled.
    bool handle_pending_irqs();

    // GICv2m. The doorbell (MSI_SETSPI_NS) is what a device writes an MSI's data (the ID) to.
    // has_msi: a frame whose range gicv2m_init_one accepted (the GIC's init runs first).
    bool has_msi();
    // Why there is no MSI (has_msi() false), for a driver's message: e.g. "the GIC has no GICv2m frame".
    std::string no_msi_reason() const;
    uint64_t msi_doorbell() const;  // std::logic_error without a usable frame
    // `count` consecutive IDs from the frame, aligned to count rounded up to a power of two as
    // multi-MSI needs, configured as edges: 0, -EINVAL (count 0), -ENODEV (no usable frame) or -ENOSPC.
    int alloc_msi_vectors(unsigned count, unsigned& first_irq);
    void free_msi_vectors(unsigned first_irq, unsigned count);

    // What the kernel would have printed with pr_warn, in order.
    const std::vector<std::string>& warnings() const { return warnings_; }

private:
    struct IrqAction {
        irq_handler_t handler;
        std::string name;
        uint64_t* count;
    };

    // Once, at the first call that needs the GIC (boot runs before the core does): the chip's
    // init, then the GICv2m frame's (gicv2m_init, from the GIC's).
    void gic_init();
    void handle_irq(unsigned irq);
    void warn(const std::string& message);

    models::Core& cpu_;
    models::Instrumentation& instr_;
    InterruptControllerInfo info_;
    std::unique_ptr<GicChip> chip_;
    std::optional<GicV2m> v2m_;
    std::string v2m_error_;  // gicv2m_init_one's, if the frame's range was refused
    bool initialized_ = false;
    std::map<unsigned, IrqAction> actions_;
    std::vector<std::string> warnings_;
    uint64_t& stat_handled_;
    uint64_t& stat_unhandled_;
    models::EventKind ev_irq_;
    models::EventKind ev_warning_;
};

}  // namespace sw
