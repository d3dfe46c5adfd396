// The kernel's interrupt handling, on the core: the GIC driver (Linux's irq-gic.c: init, enable,
// trigger type, acknowledge and end of interrupt), handlers by Linux IRQ number (here the GIC
// interrupt ID, so SPI n is 32 + n), the idle loop's WFI, and the GICv2m MSI vector allocator
// (irq-gic-v2m.c). Every register access is MMIO through the core on an ioremap'd mapping.
#pragma once

#include "models/common/instrumentation.h"
#include "models/cpu/core.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sw {

// Linux's trigger types (include/dt-bindings/interrupt-controller/irq.h), as in the third cell
// of a GIC interrupt specifier. The GIC takes SPIs as rising edges or high levels only.
constexpr unsigned IRQ_TYPE_EDGE_RISING = 1;
constexpr unsigned IRQ_TYPE_LEVEL_HIGH = 4;

// A GICv2m frame: its physical base and the interrupt IDs it raises.
struct MsiFrameInfo {
    uint64_t base = 0;
    unsigned base_id = 0;  // arm,msi-base-spi (an interrupt ID, despite the name)
    unsigned count = 0;    // arm,msi-num-spis
};

// What the platform tells the kernel about its interrupt controller (physical addresses).
struct InterruptControllerInfo {
    uint64_t distributor = 0;    // GICD
    uint64_t cpu_interface = 0;  // GICC
    std::optional<MsiFrameInfo> msi_frame;
};

using irq_handler_t = std::function<void()>;

class Interrupts {
public:
    // `distributor_va` and `cpu_interface_va`: the registers, ioremap'd by the kernel.
    Interrupts(models::Core& cpu, models::Instrumentation& instr, const InterruptControllerInfo& info,
               uint64_t distributor_va, uint64_t cpu_interface_va);

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
    bool has_msi() const { return info_.msi_frame.has_value(); }
    uint64_t msi_doorbell() const;  // std::logic_error without a frame
    // `count` consecutive IDs from the frame, aligned to count rounded up to a power of two as
    // multi-MSI needs, configured as edges: 0, -EINVAL (count 0), -ENODEV (no frame) or -ENOSPC.
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

    void gic_init();  // once, at the first call that needs the GIC: boot runs before the core does
    void handle_irq(unsigned irq);
    void write_distributor_bit(uint32_t bank, unsigned irq);
    void warn(const std::string& message);

    models::Core& cpu_;
    models::Instrumentation& instr_;
    InterruptControllerInfo info_;
    uint64_t gicd_va_, gicc_va_;
    unsigned gic_irqs_ = 0;  // from GICD_TYPER; 0 until gic_init
    std::map<unsigned, IrqAction> actions_;
    std::vector<bool> msi_allocated_;  // by ID - base_id
    std::vector<std::string> warnings_;
    uint64_t& stat_handled_;
    uint64_t& stat_unhandled_;
    models::EventKind ev_irq_;
    models::EventKind ev_warning_;
};

}  // namespace sw
