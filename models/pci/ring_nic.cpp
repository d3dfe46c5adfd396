#include "models/pci/ring_nic.h"

#include <algorithm>
#include <cstring>

namespace models {

using namespace ring_nic;

const RingNic::Ring RingNic::tx_ring{RING_TX_BASE_LO, RING_TX_BASE_HI, RING_TX_SIZE, RING_TX_HEAD, RING_TX_TAIL};
const RingNic::Ring RingNic::rx_ring{RING_RX_BASE_LO, RING_RX_BASE_HI, RING_RX_SIZE, RING_RX_HEAD, RING_RX_TAIL};

namespace {

std::array<PciBarSpec, pci::PCI_STD_NUM_BARS> ring_nic_bars() {
    std::array<PciBarSpec, pci::PCI_STD_NUM_BARS> bars{};
    bars[register_bar] = PciBarSpec{register_bar_size, false, false};
    return bars;
}

const char* const outcome_names[] = {"sent", "looped_back", "dropped", "not_owned", "dma_error"};
const char* const reason_names[] = {"count", "timer", "error"};

uint64_t now_ps() { return sc_core::sc_time_stamp().value(); }

sc_core::sc_time ps(uint64_t value) { return sc_core::sc_time::from_value(value); }

}  // namespace

RingNic::RingNic(sc_core::sc_module_name name, const PciEndpointConfig& config, Instrumentation& instr)
    : PciEndpoint(name, config, ring_nic_bars(), instr),
      stat_tx_frames_(instr.counter(std::string(this->name()) + ".tx_frames")),
      stat_tx_bytes_(instr.counter(std::string(this->name()) + ".tx_bytes")),
      stat_rx_frames_(instr.counter(std::string(this->name()) + ".rx_frames")),
      stat_rx_bytes_(instr.counter(std::string(this->name()) + ".rx_bytes")),
      stat_rx_dropped_(instr.counter(std::string(this->name()) + ".rx_dropped")),
      stat_irqs_(instr.counter(std::string(this->name()) + ".irqs")),
      stat_irqs_by_count_(instr.counter(std::string(this->name()) + ".irqs_by_count")),
      stat_irqs_by_timer_(instr.counter(std::string(this->name()) + ".irqs_by_timer")),
      stat_not_owned_(instr.counter(std::string(this->name()) + ".not_owned")),
      stat_bad_doorbells_(instr.counter(std::string(this->name()) + ".bad_doorbells")),
      ev_frame_(instr.declare_event("ring.frame", "the ring device takes a TX descriptor (a slice: len, outcome "
                                                  "sent/looped_back/dropped/not_owned/dma_error, duration_ps)")),
      ev_irq_(instr.declare_event("ring.irq", "the ring device raises its interrupt (reason: count, timer or "
                                              "error; int_status)")) {
    reset();
    SC_THREAD(engine);
    SC_THREAD(coalesce_timer);
    SC_METHOD(apply_posted);
    sensitive << posted_event_;
    dont_initialize();
}

void RingNic::reset() {
    regs_ = {};
    regs_[RING_ID / 4] = ID_VALUE;
    regs_[RING_DMA_BITS / 4] = config().dma_bits;
    regs_[RING_INT_MASK / 4] = INT_ALL;
    pending_ = {};
    timer_event_.cancel();
    timer_armed_ = false;
    intx_raised_ = false;
    update_intx(0);
}

void RingNic::bar_read(unsigned bar, uint64_t offset, uint8_t* data, unsigned length, uint64_t& delay_ps) {
    std::memset(data, 0, length);
    if (bar != register_bar || length != 4 || offset % 4)
        return;
    // A read pushes the writes posted before it (PCI ordering).
    while (!posted_.empty() && posted_.front().time_ps <= now_ps() + delay_ps) {
        apply(posted_.front());
        posted_.pop_front();
    }
    std::memcpy(data, &regs_[offset / 4], 4);
}

void RingNic::bar_write(unsigned bar, uint64_t offset, const uint8_t* data, unsigned length, uint64_t& delay_ps) {
    if (bar != register_bar || length != 4 || offset % 4)
        return;
    uint32_t value;
    std::memcpy(&value, data, 4);
    posted_.push_back(PostedWrite{now_ps() + delay_ps, static_cast<unsigned>(offset), value});
    posted_event_.notify(ps(delay_ps));
}

void RingNic::apply_posted() {
    while (!posted_.empty() && posted_.front().time_ps <= now_ps()) {
        apply(posted_.front());
        posted_.pop_front();
    }
    if (!posted_.empty())
        posted_event_.notify(ps(posted_.front().time_ps - now_ps()));
}

void RingNic::apply(const PostedWrite& write) {
    write_register(write.offset, write.value, write.time_ps > now_ps() ? write.time_ps - now_ps() : 0);
}

void RingNic::write_register(unsigned offset, uint32_t value, uint64_t delay_ps) {
    uint32_t& reg = regs_[offset / 4];
    auto set_tail = [&](const Ring& ring) {
        if (value >= regs_[ring.size / 4]) {
            ++stat_bad_doorbells_;
            return;
        }
        reg = value;
        if (&ring == &tx_ring)
            tx_doorbell_ps_ = now_ps() + delay_ps;
        work_event_.notify(ps(delay_ps));
    };
    switch (offset) {
    case RING_CTRL:
        if (value & CTRL_RESET) {
            reset();
            return;
        }
        reg = value & (CTRL_TX_ENABLE | CTRL_RX_ENABLE | CTRL_LOOPBACK);
        work_event_.notify(ps(delay_ps));
        return;
    case RING_INT_STATUS: reg &= ~value; return update_intx(delay_ps);
    case RING_INT_MASK: reg = value & INT_ALL; return update_intx(delay_ps);
    case RING_COAL_COUNT:
    case RING_COAL_TIMER_NS:
    case RING_TX_BASE_HI:
    case RING_RX_BASE_HI: reg = value; return;
    case RING_TX_BASE_LO:
    case RING_RX_BASE_LO: reg = value & ~uint32_t(desc_size - 1); return;
    case RING_TX_SIZE:
    case RING_RX_SIZE:
        reg = value >= 2 && value <= max_ring_size ? value : 0;
        regs_[(offset + 4) / 4] = 0;  // head
        regs_[(offset + 8) / 4] = 0;  // tail
        return;
    case RING_TX_TAIL: return set_tail(tx_ring);
    case RING_RX_TAIL: return set_tail(rx_ring);
    default: return;  // read-only or unused
    }
}

bool RingNic::ring_empty(const Ring& ring) const { return reg(ring.size) == 0 || reg(ring.head) == reg(ring.tail); }

bool RingNic::tx_pending() const {
    return (reg(RING_CTRL) & CTRL_TX_ENABLE) && !(reg(RING_STATUS) & STATUS_DMA_ERROR) && !ring_empty(tx_ring);
}

void RingNic::engine() {
    for (;;) {
        sc_core::wait(work_event_);
        while (tx_pending()) {
            if (tx_doorbell_ps_ > now_ps()) {  // a read pushed the doorbell ahead of its time
                sc_core::wait(ps(tx_doorbell_ps_ - now_ps()));
                continue;
            }
            uint64_t start_ps = now_ps();
            uint64_t delay_ps = 0;
            uint32_t length = 0, received = 0;
            Outcome outcome = transmit_one(delay_ps, length, received);
            sc_core::wait(ps(delay_ps));
            account(outcome, length, received);
            emit_frame(start_ps, length, outcome);
            if (outcome == Outcome::not_owned || outcome == Outcome::dma_error)
                break;  // until the next doorbell (or a reset)
        }
    }
}

uint64_t RingNic::desc_address(const Ring& ring) const {
    return (uint64_t(reg(ring.base_hi)) << 32 | reg(ring.base_lo)) + uint64_t(reg(ring.head)) * desc_size;
}

void RingNic::advance(const Ring& ring) { regs_[ring.head / 4] = (reg(ring.head) + 1) % reg(ring.size); }

bool RingNic::fetch(const Ring& ring, Descriptor& desc, uint64_t& delay_ps) {
    uint8_t raw[desc_size];
    if (dma_read(desc_address(ring), raw, desc_size, delay_ps) != PciDmaStatus::ok)
        return false;
    std::memcpy(&desc.addr, raw + DESC_ADDR, 8);
    std::memcpy(&desc.len, raw + DESC_LEN, 2);
    std::memcpy(&desc.flags, raw + DESC_FLAGS, 2);
    return true;
}

bool RingNic::hand_back(const Ring& ring, const Descriptor& desc, uint32_t status, uint64_t& delay_ps) {
    uint8_t raw[desc_size - DESC_LEN];
    uint16_t flags = desc.flags & ~DESC_OWN;
    std::memcpy(raw, &desc.len, 2);
    std::memcpy(raw + DESC_FLAGS - DESC_LEN, &flags, 2);
    std::memcpy(raw + DESC_STATUS - DESC_LEN, &status, 4);
    return dma_write(desc_address(ring) + DESC_LEN, raw, sizeof raw, delay_ps) == PciDmaStatus::ok;
}

RingNic::Outcome RingNic::transmit_one(uint64_t& delay_ps, uint32_t& length, uint32_t& received) {
    Descriptor tx;
    if (!fetch(tx_ring, tx, delay_ps))
        return Outcome::dma_error;
    if (!(tx.flags & DESC_OWN))
        return Outcome::not_owned;
    length = tx.len;
    std::vector<uint8_t> frame(length);
    if (length && dma_read(tx.addr, frame.data(), length, delay_ps) != PciDmaStatus::ok)
        return Outcome::dma_error;
    Outcome outcome = reg(RING_CTRL) & CTRL_LOOPBACK ? receive(frame, delay_ps, received) : Outcome::sent;
    if (outcome == Outcome::dma_error || !hand_back(tx_ring, tx, DESC_STATUS_DONE | length, delay_ps))
        return Outcome::dma_error;
    advance(tx_ring);
    return outcome;
}

RingNic::Outcome RingNic::receive(const std::vector<uint8_t>& frame, uint64_t& delay_ps, uint32_t& received) {
    if (!(reg(RING_CTRL) & CTRL_RX_ENABLE) || ring_empty(rx_ring))
        return Outcome::dropped;
    Descriptor rx;
    if (!fetch(rx_ring, rx, delay_ps))
        return Outcome::dma_error;
    if (!(rx.flags & DESC_OWN)) {
        ++stat_not_owned_;
        return Outcome::dropped;
    }
    received = std::min<uint32_t>(static_cast<uint32_t>(frame.size()), rx.len);
    uint32_t status = DESC_STATUS_DONE | received | (frame.size() > rx.len ? DESC_STATUS_TRUNCATED : 0);
    if ((received && dma_write(rx.addr, frame.data(), received, delay_ps) != PciDmaStatus::ok) ||
        !hand_back(rx_ring, rx, status, delay_ps))
        return Outcome::dma_error;
    advance(rx_ring);
    return Outcome::looped_back;
}

void RingNic::account(Outcome outcome, uint32_t length, uint32_t received) {
    if (outcome == Outcome::not_owned) {
        ++stat_not_owned_;
        return;
    }
    if (outcome == Outcome::dma_error) {
        regs_[RING_STATUS / 4] |= STATUS_DMA_ERROR;
        regs_[RING_CTRL / 4] &= ~(CTRL_TX_ENABLE | CTRL_RX_ENABLE);
        return raise_now(INT_DMA_ERROR);
    }
    if (outcome == Outcome::looped_back) {
        ++stat_rx_frames_;
        stat_rx_bytes_ += received;
        ++regs_[RING_RX_FRAMES / 4];
        complete(INT_RX_DONE);
    } else if (outcome == Outcome::dropped) {
        ++stat_rx_dropped_;
        ++regs_[RING_RX_DROPPED / 4];
        raise_now(INT_RX_NO_BUFFER);
    }
    ++stat_tx_frames_;
    stat_tx_bytes_ += length;
    ++regs_[RING_TX_FRAMES / 4];
    complete(INT_TX_DONE);
}

void RingNic::complete(uint32_t cause) {
    regs_[RING_INT_STATUS / 4] |= cause;
    uint32_t& pending = pending_[cause == INT_TX_DONE ? 0 : 1];
    ++pending;
    if (!unmasked(cause))
        return;  // counted, but it neither raises nor starts the timer
    if (pending >= std::max<uint32_t>(1, reg(RING_COAL_COUNT)))
        return fire(IrqReason::count);
    if (!timer_armed_ && reg(RING_COAL_TIMER_NS)) {
        timer_armed_ = true;
        timer_event_.notify(reg(RING_COAL_TIMER_NS), sc_core::SC_NS);
    }
}

void RingNic::raise_now(uint32_t cause) {
    regs_[RING_INT_STATUS / 4] |= cause;
    if (unmasked(cause))
        fire(IrqReason::error);
}

void RingNic::coalesce_timer() {
    for (;;) {
        sc_core::wait(timer_event_);
        timer_armed_ = false;
        if ((pending_[0] && unmasked(INT_TX_DONE)) || (pending_[1] && unmasked(INT_RX_DONE)))
            fire(IrqReason::timer);
    }
}

void RingNic::fire(IrqReason reason) {
    pending_ = {};
    timer_event_.cancel();
    timer_armed_ = false;
    ++stat_irqs_;
    if (reason == IrqReason::count)
        ++stat_irqs_by_count_;
    else if (reason == IrqReason::timer)
        ++stat_irqs_by_timer_;
    if (ev_irq_.enabled())
        instr_.emit(ev_irq_, Event{now_ps(),
                                   nullptr,
                                   name(),
                                   {{"reason", std::string(reason_names[static_cast<int>(reason)])},
                                    {"int_status", uint64_t(reg(RING_INT_STATUS))}}});
    if (msi_enabled()) {
        uint64_t delay_ps = 0;
        raise_msi(0, delay_ps);
        return;
    }
    intx_raised_ = true;
    update_intx(0);
}

void RingNic::update_intx(uint64_t delay_ps) {
    bool level = intx_raised_ && unmasked(reg(RING_INT_STATUS));
    intx_raised_ = level;
    if (level != intx_asserted())
        set_intx(level, delay_ps);
}

void RingNic::emit_frame(uint64_t start_ps, uint32_t length, Outcome outcome) {
    if (!ev_frame_.enabled())
        return;
    instr_.emit(ev_frame_, Event{start_ps,
                                 nullptr,
                                 name(),
                                 {{"len", uint64_t(length)},
                                  {"outcome", std::string(outcome_names[static_cast<int>(outcome)])},
                                  {"duration_ps", now_ps() - start_ps}}});
}

}  // namespace models
