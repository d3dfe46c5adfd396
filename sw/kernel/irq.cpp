#include "sw/kernel/irq.h"

#include "models/irq/interrupt_controller_regs.h"
#include "sw/kernel/gic_v2.h"
#include "sw/kernel/gic_v3.h"

#include <cerrno>
#include <fmt/format.h>
#include <stdexcept>

namespace sw {

namespace {

constexpr uint32_t gic_iar_int_id_mask = 0x3ff;

}  // namespace

Interrupts::Interrupts(models::Core& cpu, models::Instrumentation& instr, const InterruptControllerInfo& info,
                       const Ioremap& ioremap)
    : cpu_(cpu), instr_(instr), info_(info), stat_handled_(instr.counter("irq.handled")),
      stat_unhandled_(instr.counter("irq.unhandled")),
      ev_irq_(instr.declare_event("kernel.irq", "an interrupt handler ran (a slice: start and duration_ps)")),
      ev_warning_(instr.declare_event("kernel.warning", "the kernel warned (pr_warn)")) {
    if (info.version == GicVersion::v3)
        chip_ = std::make_unique<GicV3>(cpu, ioremap(info.distributor, gic::gicv3_distributor_space),
                                        ioremap(info.redistributor, gic::redistributor_space));
    else
        chip_ = std::make_unique<GicV2>(cpu, ioremap(info.distributor, gic::distributor_space),
                                        ioremap(info.cpu_interface, gic::cpu_interface_space));
    if (info.msi_frame)
        v2m_.emplace(cpu, *info.msi_frame, ioremap(info.msi_frame->base, gic::msi_frame_space));
}

void Interrupts::gic_init() {
    if (initialized_)
        return;
    initialized_ = true;
    chip_->init();
    if (v2m_)
        if (std::string error = v2m_->init(); !error.empty()) {
            v2m_error_ = error;
            warn("GICv2m: " + error);
        }
}

void Interrupts::warn(const std::string& message) {
    warnings_.push_back(message);
    instr_.emit(ev_warning_, models::Event{cpu_.now_ps(), nullptr, "kernel", {{"message", message}}});
}

int Interrupts::request_irq(unsigned irq, irq_handler_t handler, const std::string& name) {
    gic_init();
    if (!handler || irq < gic::first_spi || irq >= chip_->num_irqs())
        return -EINVAL;
    if (actions_.count(irq))
        return -EBUSY;
    actions_[irq] = IrqAction{std::move(handler), name, &instr_.counter(fmt::format("irq.{}.count", irq))};
    chip_->unmask(irq);
    return 0;
}

void Interrupts::free_irq(unsigned irq) {
    auto action = actions_.find(irq);
    if (action == actions_.end()) {
        warn(fmt::format("Trying to free already-free IRQ {}", irq));
        return;
    }
    chip_->mask(irq);
    actions_.erase(action);
}

int Interrupts::irq_set_irq_type(unsigned irq, unsigned type) {
    gic_init();
    if (irq < gic::first_spi || irq >= chip_->num_irqs() ||
        (type != IRQ_TYPE_EDGE_RISING && type != IRQ_TYPE_LEVEL_HIGH))
        return -EINVAL;
    chip_->set_edge(irq, type == IRQ_TYPE_EDGE_RISING);
    return 0;
}

void Interrupts::wait_for_interrupt() {
    gic_init();
    cpu_.dsb();
    cpu_.wfi();
    handle_pending_irqs();
}

// Linux's gic_handle_irq: each acknowledged interrupt is handled and ended (EOImode 0); a
// special ID (1020-1023) means the interrupt went away between the signal and the acknowledge.
bool Interrupts::handle_pending_irqs() {
    bool handled = false;
    while (cpu_.irq_pending()) {
        uint32_t iar = chip_->acknowledge();
        unsigned irq = iar & gic_iar_int_id_mask;
        if (irq >= gic::max_ids)
            break;
        handle_irq(irq);
        chip_->end_of_interrupt(iar);
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
        chip_->mask(irq);
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

bool Interrupts::has_msi() {
    gic_init();
    return v2m_ && v2m_->usable();
}

std::string Interrupts::no_msi_reason() const {
    if (info_.version == GicVersion::v3)
        return "the GICv3 has no ITS modelled";
    if (!v2m_)
        return "the GIC has no GICv2m frame";
    if (!v2m_error_.empty())
        return "the GICv2m frame's range was refused: " + v2m_error_;
    return "";
}

uint64_t Interrupts::msi_doorbell() const {
    if (!v2m_ || !v2m_->usable())
        throw std::logic_error("msi_doorbell: no usable GICv2m frame (" + no_msi_reason() + ")");
    return v2m_->doorbell();
}

int Interrupts::alloc_msi_vectors(unsigned count, unsigned& first_irq) {
    if (count == 0)
        return -EINVAL;
    if (!has_msi())
        return -ENODEV;
    if (int rc = v2m_->alloc(count, first_irq); rc < 0)
        return rc;
    for (unsigned i = 0; i < count; ++i)
        irq_set_irq_type(first_irq + i, IRQ_TYPE_EDGE_RISING);
    return 0;
}

void Interrupts::free_msi_vectors(unsigned first_irq, unsigned count) {
    if (!v2m_ || !v2m_->free(first_irq, count))
        warn(fmt::format("free_msi_vectors: IRQs {} to {} are not allocated MSI vectors", first_irq,
                         first_irq + count - 1));
}

}  // namespace sw
