#include "sw/kernel/irq.h"

#include "models/irq/interrupt_controller_regs.h"

#include <cerrno>
#include <fmt/format.h>
#include <stdexcept>

namespace sw {

namespace {

constexpr uint32_t gicd_enable = 1, gicc_enable = 1;
constexpr uint32_t gicc_int_pri_threshold = 0xf0;  // Linux's GICC_INT_PRI_THRESHOLD
constexpr uint32_t gicc_iar_int_id_mask = 0x3ff;

unsigned count_order_size(unsigned count) {
    unsigned size = 1;
    while (size < count)
        size *= 2;
    return size;
}

}  // namespace

Interrupts::Interrupts(models::Core& cpu, models::Instrumentation& instr, const InterruptControllerInfo& info,
                       uint64_t distributor_va, uint64_t cpu_interface_va)
    : cpu_(cpu), instr_(instr), info_(info), gicd_va_(distributor_va), gicc_va_(cpu_interface_va),
      msi_allocated_(info.msi_frame ? info.msi_frame->count : 0), stat_handled_(instr.counter("irq.handled")),
      stat_unhandled_(instr.counter("irq.unhandled")),
      ev_irq_(instr.declare_event("kernel.irq", "an interrupt handler ran (a slice: start and duration_ps)")),
      ev_warning_(instr.declare_event("kernel.warning", "the kernel warned (pr_warn)")) {}

// Linux's gic_dist_init and gic_cpu_init, for what differs from the reset state: enable the
// distributor and the CPU interface, and let every priority through the mask.
void Interrupts::gic_init() {
    if (gic_irqs_)
        return;
    uint32_t typer = cpu_.load32(gicd_va_ + gic::gicd_typer);
    gic_irqs_ = std::min<unsigned>(((typer & 0x1f) + 1) * 32, gic::max_ids);
    cpu_.store32(gicd_va_ + gic::gicd_ctlr, gicd_enable);
    cpu_.store32(gicc_va_ + gic::gicc_pmr, gicc_int_pri_threshold);
    cpu_.store32(gicc_va_ + gic::gicc_ctlr, gicc_enable);
}

void Interrupts::write_distributor_bit(uint32_t bank, unsigned irq) {
    cpu_.store32(gicd_va_ + bank + irq / 32 * 4, 1u << (irq % 32));
}

void Interrupts::warn(const std::string& message) {
    warnings_.push_back(message);
    instr_.emit(ev_warning_, models::Event{cpu_.now_ps(), nullptr, "kernel", {{"message", message}}});
}

int Interrupts::request_irq(unsigned irq, irq_handler_t handler, const std::string& name) {
    gic_init();
    if (!handler || irq < gic::first_spi || irq >= gic_irqs_)
        return -EINVAL;
    if (actions_.count(irq))
        return -EBUSY;
    actions_[irq] = IrqAction{std::move(handler), name, &instr_.counter(fmt::format("irq.{}.count", irq))};
    write_distributor_bit(gic::gicd_isenabler, irq);
    return 0;
}

void Interrupts::free_irq(unsigned irq) {
    auto action = actions_.find(irq);
    if (action == actions_.end()) {
        warn(fmt::format("Trying to free already-free IRQ {}", irq));
        return;
    }
    write_distributor_bit(gic::gicd_icenabler, irq);
    actions_.erase(action);
}

// Linux's gic_configure_irq: a read-modify-write of the ID's two bits in GICD_ICFGR.
int Interrupts::irq_set_irq_type(unsigned irq, unsigned type) {
    gic_init();
    if (irq < gic::first_spi || irq >= gic_irqs_ || (type != IRQ_TYPE_EDGE_RISING && type != IRQ_TYPE_LEVEL_HIGH))
        return -EINVAL;
    uint64_t reg = gicd_va_ + gic::gicd_icfgr + irq / 16 * 4;
    uint32_t edge_bit = 2u << (irq % 16 * 2);
    uint32_t value = cpu_.load32(reg);
    cpu_.store32(reg, type == IRQ_TYPE_EDGE_RISING ? value | edge_bit : value & ~edge_bit);
    return 0;
}

void Interrupts::wait_for_interrupt() {
    gic_init();
    cpu_.dsb();
    cpu_.wfi();
    handle_pending_irqs();
}

// Linux's gic_handle_irq: each acknowledged interrupt is handled and ended (EOImode 0); a
// spurious ID means the interrupt went away between the signal and the acknowledge.
bool Interrupts::handle_pending_irqs() {
    bool handled = false;
    while (cpu_.irq_pending()) {
        uint32_t iar = cpu_.load32(gicc_va_ + gic::gicc_iar);
        unsigned irq = iar & gicc_iar_int_id_mask;
        if (irq >= gic::max_ids)
            break;
        handle_irq(irq);
        cpu_.store32(gicc_va_ + gic::gicc_eoir, iar);
        handled = true;
    }
    return handled;
}

// An interrupt nobody requested is disabled at once, as Linux does after "nobody cared": a level
// line left asserted would otherwise fire forever.
void Interrupts::handle_irq(unsigned irq) {
    auto found = actions_.find(irq);
    if (found == actions_.end()) {
        ++stat_unhandled_;
        warn(fmt::format("irq {}: nobody cared (no handler registered); Disabling IRQ #{}", irq, irq));
        write_distributor_bit(gic::gicd_icenabler, irq);
        return;
    }
    IrqAction action = found->second;  // the handler may free its own IRQ
    uint64_t start_ps = cpu_.now_ps();
    ++stat_handled_;
    ++*action.count;
    action.handler();
    if (ev_irq_.enabled())
        instr_.emit(ev_irq_, models::Event{start_ps,
                                           nullptr,
                                           "kernel",
                                           {{"irq", uint64_t(irq)},
                                            {"name", action.name},
                                            {"duration_ps", cpu_.now_ps() - start_ps}}});
}

uint64_t Interrupts::msi_doorbell() const {
    if (!info_.msi_frame)
        throw std::logic_error("msi_doorbell: the interrupt controller has no GICv2m frame (arm,gic-v2m-frame)");
    return info_.msi_frame->base + gic::msi_setspi_ns;
}

// Linux's gicv2m_irq_domain_alloc: bitmap_find_free_region of order get_count_order(count).
int Interrupts::alloc_msi_vectors(unsigned count, unsigned& first_irq) {
    if (count == 0)
        return -EINVAL;
    if (!info_.msi_frame)
        return -ENODEV;
    unsigned block = count_order_size(count);
    for (unsigned offset = 0; offset + block <= msi_allocated_.size(); offset += block) {
        bool free = true;
        for (unsigned i = 0; i < block && free; ++i)
            free = !msi_allocated_[offset + i];
        if (!free)
            continue;
        for (unsigned i = 0; i < block; ++i)
            msi_allocated_[offset + i] = true;
        first_irq = info_.msi_frame->base_id + offset;
        for (unsigned i = 0; i < count; ++i)
            irq_set_irq_type(first_irq + i, IRQ_TYPE_EDGE_RISING);
        return 0;
    }
    return -ENOSPC;
}

void Interrupts::free_msi_vectors(unsigned first_irq, unsigned count) {
    unsigned block = count_order_size(count);
    unsigned base = info_.msi_frame ? info_.msi_frame->base_id : 0;
    if (!info_.msi_frame || first_irq < base || first_irq - base + block > msi_allocated_.size() ||
        !msi_allocated_[first_irq - base]) {
        warn(fmt::format("free_msi_vectors: IRQs {} to {} are not allocated MSI vectors", first_irq,
                         first_irq + count - 1));
        return;
    }
    for (unsigned i = 0; i < block; ++i)
        msi_allocated_[first_irq - base + i] = false;
}

}  // namespace sw
