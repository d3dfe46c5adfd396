#include "models/mfd/mfd.h"

#include "models/common/register_transport.h"
#include "models/mfd/mfd_fw_regs.h"
#include "models/mfd/mfd_regs.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

namespace models {

using namespace mfd;

namespace {

constexpr uint64_t clocks_per_machine_cycle = 12;
constexpr uint64_t never = std::numeric_limits<uint64_t>::max();
constexpr uint8_t tcon_tr0 = 0x10;  // timer 0 runs: an idle core wakes on its overflow, so it keeps stepping

const char* state_name(uint8_t state) {
    static const char* const names[] = {"reset", "running", "idle"};
    return names[state];
}

bool in_window(uint16_t addr) { return addr >= MFD_WINDOW0 && addr < MFD_WINDOW1 + MFD_WINDOW_SIZE; }

}  // namespace

const PropertyTable<MfdConfig>& Mfd::properties() {
    using Spec = PropertySpec<MfdConfig>;
    static const PropertyTable<MfdConfig> table{
        MfdConfig{},
        {Spec::number(PropertyType::u64, "clock-frequency", "clock_hz", &MfdConfig::clock_hz)
             .range(clocks_per_machine_cycle, 1'000'000'000)
             .with_unit("Hz")
             .with_doc("the 8051's clock: a machine cycle takes 12 clocks"),
         Spec::number(PropertyType::u32, "dmasim,burst-size", "burst_size", &MfdConfig::burst_size)
             .power_of_two_up_to(4096)
             .with_unit("bytes")
             .with_doc("the DMA engine's largest system-side burst; bursts do not cross a multiple of it"),
         Spec::number(
             PropertyType::u64, "dmasim,sram-latency-ns", "sram_latency_ps",
             [](const MfdConfig& c) { return c.sram_latency_ps / ps_per_ns; },
             [](MfdConfig& c, uint64_t ns) { c.sram_latency_ps = ns * ps_per_ns; })
             .range(0, 1'000'000)
             .with_unit("ns")
             .with_doc("the DMA engine's SRAM side, per burst and per descriptor fetched"),
         Spec::number(
             PropertyType::u64, "dmasim,quantum-ns", "quantum_ps",
             [](const MfdConfig& c) { return c.quantum_ps / ps_per_ns; },
             [](MfdConfig& c, uint64_t ns) { c.quantum_ps = ns * ps_per_ns; })
             .range(1, 1'000'000'000)
             .with_unit("ns")
             .with_doc("how far the 8051 runs ahead of the SystemC kernel")}};
    return table;
}

Mfd::Mfd(sc_core::sc_module_name name, const MfdConfig& config, Instrumentation& instr)
    : sc_module(name), dma_out("dma_out"), mmio_in("mmio_in"), sram_in("sram_in"), code_in("code_in"), config_(config),
      instr_(instr), mcs51_track_(std::string(this->name()) + ".mcs51"), sram_(config.sram_size), xdata_(0x10000),
      decoder_(std::string(this->name()) + ".decoder", mcs51_track_, config.sram_bus_base, config.sram_size),
      dma_(dma_out, sram_, MfdDmaConfig{config.id, config.burst_size, config.sram_latency_ps}, instr, this->name()),
      mcs51_(*this), machine_cycle_ps_(clocks_per_machine_cycle * ps_per_s / config.clock_hz),
      stat_instructions_(instr.counter(std::string(this->name()) + ".mcs51_instructions")),
      stat_cycles_(instr.counter(std::string(this->name()) + ".mcs51_cycles")),
      stat_window_switches_(instr.counter(std::string(this->name()) + ".window_switches")),
      stat_h2f_(instr.counter(std::string(this->name()) + ".mailbox_messages_h2f")),
      stat_f2h_(instr.counter(std::string(this->name()) + ".mailbox_messages_f2h")),
      stat_code_writes_ignored_(instr.counter(std::string(this->name()) + ".code_writes_ignored")),
      stat_syncs_(instr.counter(std::string(this->name()) + ".quantum_syncs")),
      ev_phase_(instr.declare_event("mfd.phase", "an MFD's firmware phase (a slice on its 8051's track: phase, the "
                                                 "value the firmware wrote to FWPHASE)")),
      ev_window_(instr.declare_event("mfd.window", "an MFD's 8051 changes a window (window 0 or 1, enabled, page)")),
      ev_mailbox_(instr.declare_event("mfd.mailbox", "an MFD mailbox message is posted (op: h2f, the host's "
                                                     "doorbell, raising the 8051's INT0; f2h, the firmware's "
                                                     "MBSEND, raising the host's interrupt)")),
      ev_state_(instr.declare_event("mfd.state", "an MFD's 8051 changes state (op: reset, running or idle)")) {
    mmio_in.register_b_transport(this, &Mfd::mmio_transport);
    sram_in.register_b_transport(this, &Mfd::sram_transport);
    code_in.register_b_transport(this, &Mfd::code_transport);
    SC_THREAD(run_mcs51);
}

void Mfd::set_irq_level(IrqLevel irq_level) { irq_level_ = std::move(irq_level); }

void Mfd::set_local_memory_observer(LocalMemoryObserver* observer) { decoder_.set_observer(observer); }

const MfdConfig& Mfd::config() const { return config_; }

// ---- The host's side -------------------------------------------------------------------------

void Mfd::mmio_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    transport_registers32(
        payload, delay,
        [this](unsigned offset, uint64_t time_ps) {
            settle(time_ps);
            return read_register(offset);
        },
        [this](unsigned offset, uint32_t value, uint64_t time_ps) {
            settle(time_ps);
            write_register(offset, value, time_ps);
        });
}

void Mfd::sram_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time&) {
    transport_bytes(payload, sram_.data(), sram_.size());
}

// Code memory behind the window: writes land while CPUCS holds the core in reset, else are ignored
// (and counted), as the EZ-USB's loader arranges; reads always see it.
void Mfd::code_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time&) {
    uint64_t offset = payload.get_address();
    unsigned length = payload.get_data_length();
    if (offset > config_.code_size || length > config_.code_size - offset || payload.get_byte_enable_ptr()) {
        payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    unsigned char* data = payload.get_data_ptr();
    if (payload.is_write() && !cpucs_reset_)
        ++stat_code_writes_ignored_;
    else if (payload.is_write())
        for (unsigned i = 0; i < length; ++i)
            mcs51_.write_code(static_cast<uint16_t>(offset + i), data[i]);
    else
        for (unsigned i = 0; i < length; ++i)
            data[i] = mcs51_.code(static_cast<uint16_t>(offset + i));
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

uint32_t Mfd::read_register(unsigned offset) {
    if (offset >= MFD_H2F0 && offset < MFD_H2F0 + 4 * mailbox_words)
        return mailbox_.h2f_word((offset - MFD_H2F0) / 4);
    if (offset >= MFD_F2H0 && offset < MFD_F2H0 + 4 * mailbox_words)
        return mailbox_.f2h_word((offset - MFD_F2H0) / 4);
    switch (offset) {
    case MFD_ID: return ID_VALUE;
    case MFD_SRAM_SIZE: return static_cast<uint32_t>(config_.sram_size);
    case MFD_CODE_SIZE: return static_cast<uint32_t>(config_.code_size);
    case MFD_CPUCS: return cpucs_reset_ ? CPUCS_RESET : 0;
    case MFD_IRQ_STATUS: return irq_status_;
    case MFD_IRQ_ENABLE: return irq_enable_;
    case MFD_H2F_DOORBELL: return mailbox_.h2f_pending() ? 1 : 0;
    case MFD_DMA_DESC: return dma_desc_;
    case MFD_DMA_STATUS: return dma_.status();
    case MFD_DMA_ERROR_ADDR: return static_cast<uint32_t>(dma_.error_addr());
    default: return 0;
    }
}

void Mfd::write_register(unsigned offset, uint32_t value, uint64_t time_ps) {
    if (offset >= MFD_H2F0 && offset < MFD_H2F0 + 4 * mailbox_words) {
        mailbox_.write_h2f_word((offset - MFD_H2F0) / 4, value);
        return;
    }
    switch (offset) {
    case MFD_CPUCS: write_cpucs(value, time_ps); break;
    case MFD_IRQ_STATUS:
        if (value & irq_status_ & IRQ_MBOX)  // the host has read the firmware's message
            mailbox_.acknowledge_f2h();
        irq_status_ &= ~value;
        drive_irq(time_ps);
        break;
    case MFD_IRQ_ENABLE:
        irq_enable_ = value & (IRQ_MBOX | IRQ_DMA_DONE | IRQ_DMA_ERROR);
        drive_irq(time_ps);
        break;
    case MFD_H2F_DOORBELL:
        mailbox_.ring_doorbell(time_ps);
        ++stat_h2f_;
        if (ev_mailbox_.enabled())
            instr_.emit(ev_mailbox_, Event{time_ps, nullptr, mcs51_track_, {{"op", std::string("h2f")}}});
        wake_mcs51(time_ps);
        break;
    case MFD_DMA_DESC:
        dma_desc_ = value;
        start_dma(value, MfdDmaEngine::Starter::host, time_ps);
        break;
    default: break;  // read-only or no register
    }
}

void Mfd::write_cpucs(uint32_t value, uint64_t time_ps) {
    bool reset = value & CPUCS_RESET;
    if (reset == cpucs_reset_)
        return;
    cpucs_reset_ = reset;
    if (reset) {
        if (!reset_at_ps_)
            reset_at_ps_ = time_ps;
    } else {
        released_ps_ = time_ps;
    }
    next_poll_ps_ = 0;
    uint64_t now = sc_core::sc_time_stamp().value();
    cpucs_event_.notify(sc_core::sc_time::from_value(time_ps - now));
    wake_event_.notify(sc_core::sc_time::from_value(time_ps - now));
}

void Mfd::settle(uint64_t time_ps) {
    if (f2h_posted_ps_ && time_ps >= *f2h_posted_ps_) {
        irq_status_ |= IRQ_MBOX;
        f2h_posted_ps_.reset();
    }
    if (std::optional<MfdDmaEngine::Ended> ended = dma_.settle(time_ps)) {
        bool error = ended->status & DMA_STATUS_ERROR;
        if (ended->starter == MfdDmaEngine::Starter::host)
            irq_status_ |= error ? IRQ_DMA_ERROR : IRQ_DMA_DONE;
        else
            dmactl_ |= error ? MFD_DMACTL_ERROR : MFD_DMACTL_DONE;
        next_poll_ps_ = 0;
    }
}

// Sends the level now and the level it will have at each pending cause's time, in time order: the
// interrupt controller applies changes in time order, the last one sent for a time winning.
void Mfd::drive_irq(uint64_t time_ps) {
    if (!irq_level_)
        return;
    uint64_t now = sc_core::sc_time_stamp().value();
    std::vector<std::pair<uint64_t, uint32_t>> pending;  // (time, cause)
    if (f2h_posted_ps_)
        pending.emplace_back(std::max(*f2h_posted_ps_, time_ps), IRQ_MBOX);
    if (dma_.running() && dma_.pending().starter == MfdDmaEngine::Starter::host)
        pending.emplace_back(std::max(dma_.end_ps(), time_ps),
                             dma_.pending().status & DMA_STATUS_ERROR ? IRQ_DMA_ERROR : IRQ_DMA_DONE);
    std::sort(pending.begin(), pending.end());
    uint32_t status = irq_status_;
    irq_level_((status & irq_enable_) != 0, time_ps - now);
    for (const auto& [at, cause] : pending) {
        status |= cause;
        irq_level_((status & irq_enable_) != 0, at - now);
    }
}

void Mfd::start_dma(uint32_t first, MfdDmaEngine::Starter starter, uint64_t time_ps) {
    if (!dma_.start(first, starter, time_ps)) {  // refused: a chain is running
        if (starter == MfdDmaEngine::Starter::host)
            irq_status_ |= IRQ_DMA_ERROR;
        else
            dmactl_ |= MFD_DMACTL_ERROR;
    }
    next_poll_ps_ = 0;
    drive_irq(time_ps);
    settle(time_ps);  // a chain refused at once has ended already
    if (dma_.running())
        wake_mcs51(dma_.end_ps());
}

void Mfd::wake_mcs51(uint64_t time_ps) {
    next_poll_ps_ = std::min(next_poll_ps_, time_ps);
    wake_event_.notify(sc_core::sc_time::from_value(time_ps - sc_core::sc_time_stamp().value()));
}

// ---- The 8051's thread -----------------------------------------------------------------------

void Mfd::run_mcs51() {
    for (;;) {
        set_state(State::reset);
        reset_at_ps_.reset();
        while (cpucs_reset_)
            sc_core::wait(cpucs_event_);
        uint64_t now = sc_core::sc_time_stamp().value();
        if (released_ps_ > now)  // a release the kernel has not reached: the event fired for an earlier change
            sc_core::wait(sc_core::sc_time::from_value(released_ps_ - now));
        synced_ps_ = sc_core::sc_time_stamp().value();
        local_ps_ = 0;
        mcs51_.reset();
        reset_firmware_side();
        execute();
        sync();
        close_phase(mcs51_time());
    }
}

void Mfd::execute() {
    next_poll_ps_ = 0;
    for (;;) {
        uint64_t time_ps = mcs51_time();
        if (time_ps >= next_poll_ps_) {
            if (reset_due(time_ps))
                return;
            poll(time_ps);
        }
        if (state_ != State::running)
            set_state(State::running);
        uint64_t instructions = mcs51_.instructions();
        bool was_idle = mcs51_.idle();
        unsigned cycles = mcs51_.step();
        stat_instructions_ += mcs51_.instructions() - instructions;
        stat_cycles_ += cycles;
        local_ps_ += cycles * machine_cycle_ps_;
        // Sleeps after an idle step that took no interrupt: an enabled interrupt already pending when
        // the core enters idle mode ends it at once (the firmware's re-enable-then-idle relies on it).
        if (was_idle && mcs51_.idle() && !(mcs51_.sfr(sfr::TCON) & tcon_tr0))
            sleep();
        else if (local_ps_ >= config_.quantum_ps)
            sync();
    }
}

void Mfd::sync() {
    ++stat_syncs_;
    sc_core::wait(sc_core::sc_time::from_value(local_ps_));
    synced_ps_ = sc_core::sc_time_stamp().value();
    local_ps_ = 0;
}

void Mfd::poll(uint64_t time_ps) {
    settle(time_ps);
    mcs51_.set_int0(mailbox_.h2f_visible(time_ps));
    mcs51_.set_int1(dmactl_ & (MFD_DMACTL_DONE | MFD_DMACTL_ERROR));
    next_poll_ps_ = never;
    if (mailbox_.h2f_pending() && !mailbox_.h2f_visible(time_ps))
        next_poll_ps_ = mailbox_.h2f_posted_ps();
    if (dma_.running())
        next_poll_ps_ = std::min(next_poll_ps_, dma_.end_ps());
    if (reset_at_ps_)
        next_poll_ps_ = std::min(next_poll_ps_, *reset_at_ps_);
}

// Idle with nothing that could wake it by itself: sleeps until an interrupt source may change.
void Mfd::sleep() {
    sync();
    set_state(State::idle);
    poll(mcs51_time());
    if (next_poll_ps_ > mcs51_time()) {
        if (next_poll_ps_ == never)
            sc_core::wait(wake_event_);
        else
            sc_core::wait(sc_core::sc_time::from_value(next_poll_ps_ - mcs51_time()), wake_event_);
        synced_ps_ = sc_core::sc_time_stamp().value();
    }
    next_poll_ps_ = 0;
}

void Mfd::reset_firmware_side() {
    winsel_ = {};
    dma_first_ = 0;
    dmactl_ = 0;
    mailbox_.set_index(0);
}

void Mfd::set_state(State state) {
    if (state == state_ && state_emitted_)
        return;
    state_ = state;
    state_emitted_ = true;
    if (ev_state_.enabled())
        instr_.emit(ev_state_, Event{mcs51_time(),
                                     nullptr,
                                     mcs51_track_,
                                     {{"op", std::string(state_name(static_cast<uint8_t>(state)))}}});
}

void Mfd::close_phase(uint64_t time_ps) {
    if (!phase_start_ps_)
        return;
    if (ev_phase_.enabled())
        instr_.emit(ev_phase_, Event{*phase_start_ps_,
                                     nullptr,
                                     mcs51_track_,
                                     {{"phase", uint64_t(phase_)}, {"duration_ps", time_ps - *phase_start_ps_}}});
    phase_start_ps_.reset();
}

// ---- Mcs51Io: what the 8051 reaches ----------------------------------------------------------

std::optional<uint64_t> Mfd::window_offset(uint16_t addr) const {
    if (!in_window(addr))
        return std::nullopt;
    uint8_t winsel = winsel_[(addr - MFD_WINDOW0) / MFD_WINDOW_SIZE];
    if (!(winsel & MFD_WINSEL_ENABLE))
        return std::nullopt;
    return uint64_t(winsel & MFD_WINSEL_PAGE_MASK) << MFD_SRAM_PAGE_SHIFT | (addr & (MFD_WINDOW_SIZE - 1));
}

// A window on a page past the SRAM reads 0xff and drops writes, as an undecoded local-bus access.
uint8_t Mfd::read_xdata(uint16_t addr) {
    if (std::optional<uint64_t> offset = window_offset(addr))
        return *offset < sram_.size() ? sram_[*offset] : 0xff;
    return xdata_[addr];
}

void Mfd::write_xdata(uint16_t addr, uint8_t value) {
    if (std::optional<uint64_t> offset = window_offset(addr)) {
        if (*offset < sram_.size())
            sram_[*offset] = value;
        return;
    }
    xdata_[addr] = value;
}

bool Mfd::read_sfr(uint8_t addr, uint8_t& value) {
    uint64_t time_ps = mcs51_time();
    switch (addr) {
    case MFD_SFR_WINSEL0: value = winsel_[0]; return true;
    case MFD_SFR_WINSEL1: value = winsel_[1]; return true;
    case MFD_SFR_MBSTAT:
        value = (mailbox_.h2f_visible(time_ps) ? MFD_MBSTAT_H2F : 0) | (mailbox_.f2h_busy() ? MFD_MBSTAT_F2H_BUSY : 0);
        return true;
    case MFD_SFR_MBIDX: value = mailbox_.index(); return true;
    case MFD_SFR_MBDATA: value = mailbox_.read_data(); return true;
    case MFD_SFR_MBSEND: value = 0; return true;
    case MFD_SFR_XADDR0:
    case MFD_SFR_XADDR1:
    case MFD_SFR_XADDR2:
    case MFD_SFR_XADDR3: value = decoder_.address_byte(addr - MFD_SFR_XADDR0); return true;
    case MFD_SFR_XPAGE: value = decoder_.page(time_ps); return true;
    case MFD_SFR_XOFFL: value = decoder_.offset_low(time_ps); return true;
    case MFD_SFR_XOFFH: value = decoder_.offset_high(time_ps); return true;
    case MFD_SFR_DMADL: value = static_cast<uint8_t>(dma_first_); return true;
    case MFD_SFR_DMADH: value = static_cast<uint8_t>(dma_first_ >> 8); return true;
    case MFD_SFR_DMACTL:
        settle(time_ps);
        value = dmactl_ |
                (dma_.running() && dma_.pending().starter == MfdDmaEngine::Starter::firmware ? MFD_DMACTL_BUSY : 0);
        return true;
    case MFD_SFR_FWPHASE: value = phase_; return true;
    default: return false;
    }
}

bool Mfd::write_sfr(uint8_t addr, uint8_t value) {
    uint64_t time_ps = mcs51_time();
    switch (addr) {
    case MFD_SFR_WINSEL0: write_winsel(0, value); return true;
    case MFD_SFR_WINSEL1: write_winsel(1, value); return true;
    case MFD_SFR_MBSTAT:
        if (value & MFD_MBSTAT_H2F) {
            mailbox_.acknowledge_h2f();
            next_poll_ps_ = 0;
        }
        return true;
    case MFD_SFR_MBIDX: mailbox_.set_index(value); return true;
    case MFD_SFR_MBDATA: mailbox_.write_data(value); return true;
    case MFD_SFR_MBSEND:
        mailbox_.send();
        ++stat_f2h_;
        if (!f2h_posted_ps_)
            f2h_posted_ps_ = time_ps;
        if (ev_mailbox_.enabled())
            instr_.emit(ev_mailbox_, Event{time_ps, nullptr, mcs51_track_, {{"op", std::string("f2h")}}});
        drive_irq(time_ps);
        return true;
    case MFD_SFR_XADDR0:
    case MFD_SFR_XADDR1:
    case MFD_SFR_XADDR2:
    case MFD_SFR_XADDR3: decoder_.write_address_byte(addr - MFD_SFR_XADDR0, value); return true;
    case MFD_SFR_XPAGE:
    case MFD_SFR_XOFFL:
    case MFD_SFR_XOFFH: return true;  // read-only
    case MFD_SFR_DMADL: dma_first_ = static_cast<uint16_t>((dma_first_ & 0xff00) | value); return true;
    case MFD_SFR_DMADH: dma_first_ = static_cast<uint16_t>((dma_first_ & 0x00ff) | value << 8); return true;
    case MFD_SFR_DMACTL: write_dmactl(value); return true;
    case MFD_SFR_FWPHASE:
        close_phase(time_ps);
        phase_ = value;
        phase_start_ps_ = time_ps;
        return true;
    default: return false;
    }
}

void Mfd::write_winsel(unsigned window, uint8_t value) {
    if (winsel_[window] == value)
        return;
    winsel_[window] = value;
    ++stat_window_switches_;
    if (ev_window_.enabled())
        instr_.emit(ev_window_, Event{mcs51_time(),
                                      nullptr,
                                      mcs51_track_,
                                      {{"window", uint64_t(window)},
                                       {"enabled", uint64_t(value & MFD_WINSEL_ENABLE ? 1 : 0)},
                                       {"page", uint64_t(value & MFD_WINSEL_PAGE_MASK)}}});
}

void Mfd::write_dmactl(uint8_t value) {
    uint64_t time_ps = mcs51_time();
    settle(time_ps);
    if (value & MFD_DMACTL_CLEAR)
        dmactl_ = 0;
    if (value & MFD_DMACTL_START)
        start_dma(dma_first_, MfdDmaEngine::Starter::firmware, time_ps);
    next_poll_ps_ = 0;
}

}  // namespace models
