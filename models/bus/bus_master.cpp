#include "models/bus/bus_master.h"

#include "models/common/register_transport.h"
#include "models/common/shared_events.h"

#include <algorithm>
#include <cstring>

namespace models {

using namespace bus_master;

namespace {

const char* op_name(uint32_t command) {
    switch (command & COMMAND_OP_MASK) {
    case COMMAND_READ: return "read";
    case COMMAND_WRITE: return "write";
    case COMMAND_COPY: return "copy";
    default: return "unknown";
    }
}

const char* cause_name(uint32_t cause) {
    switch (cause) {
    case CAUSE_COMMAND: return "command";
    case CAUSE_LENGTH: return "length";
    case CAUSE_WINDOW: return "window";
    case CAUSE_BUS: return "bus";
    default: return "none";
    }
}

}  // namespace

const PropertyTable<BusMasterConfig>& BusMaster::properties() {
    using Spec = PropertySpec<BusMasterConfig>;
    static const PropertyTable<BusMasterConfig> table{
        BusMasterConfig{},
        {Spec::number(PropertyType::u32, "dmasim,stream-id", "stream_id", &BusMasterConfig::stream_id)
             .default_is("its index")
             .shown_in_hex(1)
             .with_doc("the stream ID its accesses carry"),
         Spec::number(PropertyType::u32, "dmasim,burst-size", "burst_size", &BusMasterConfig::burst_size)
             .power_of_two_up_to(4096)
             .with_unit("bytes")
             .with_doc("largest burst; bursts do not cross a multiple of it")}};
    return table;
}

BusMaster::BusMaster(sc_core::sc_module_name name, const BusMasterConfig& config, Instrumentation& instr)
    : sc_module(name), dma_out("dma_out"), mmio_in("mmio_in"), buffer_in("buffer_in"), config_(config), instr_(instr),
      dma_(dma_out, instr, this->name()), buffer_(config.buffer_size),
      stat_commands_(instr.counter(std::string(this->name()) + ".commands")),
      stat_read_bytes_(instr.counter(std::string(this->name()) + ".read_bytes")),
      stat_write_bytes_(instr.counter(std::string(this->name()) + ".write_bytes")),
      stat_errors_(instr.counter(std::string(this->name()) + ".errors")),
      stat_window_errors_(instr.counter(std::string(this->name()) + ".window_errors")),
      stat_busy_rejects_(instr.counter(std::string(this->name()) + ".busy_rejects")), ev_read_(declare_dma_read(instr)),
      ev_write_(declare_dma_write(instr)),
      ev_copy_(instr.declare_event("dma.copy", "a bus master copies memory to memory (a slice: start and "
                                               "duration_ps)")),
      ev_error_(instr.declare_event("bus_master.error", "a bus master's command ends in an error (op, cause: "
                                                        "command, length, window or bus; addr, length)")) {
    mmio_in.register_b_transport(this, &BusMaster::mmio_transport);
    buffer_in.register_b_transport(this, &BusMaster::buffer_transport);
}

void BusMaster::mmio_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
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

void BusMaster::buffer_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time&) {
    transport_bytes(payload, buffer_.data(), buffer_.size());
}

uint32_t BusMaster::read_register(unsigned offset) const {
    switch (offset) {
    case BM_ID: return ID_VALUE;
    case BM_BUFFER_SIZE: return static_cast<uint32_t>(buffer_.size());
    case BM_SRC_LO: return src_lo_;
    case BM_SRC_HI: return src_hi_;
    case BM_DST_LO: return dst_lo_;
    case BM_DST_HI: return dst_hi_;
    case BM_LENGTH: return length_;
    case BM_COMMAND: return command_;
    case BM_STATUS: return running_ ? STATUS_BUSY : status_;
    case BM_IRQ_ENABLE: return irq_enable_;
    case BM_IRQ_STATUS: return irq_status_;
    case BM_ERROR_ADDR_LO: return static_cast<uint32_t>(error_addr_);
    case BM_ERROR_ADDR_HI: return static_cast<uint32_t>(error_addr_ >> 32);
    default: return 0;
    }
}

void BusMaster::write_register(unsigned offset, uint32_t value, uint64_t time_ps) {
    switch (offset) {
    case BM_SRC_LO: src_lo_ = value; break;
    case BM_SRC_HI: src_hi_ = value; break;
    case BM_DST_LO: dst_lo_ = value; break;
    case BM_DST_HI: dst_hi_ = value; break;
    case BM_LENGTH: length_ = value; break;
    case BM_COMMAND: start(value, time_ps); break;
    case BM_IRQ_ENABLE:
        irq_enable_ = value & (IRQ_DONE | IRQ_ERROR);
        drive_irq(time_ps);
        break;
    case BM_IRQ_STATUS:
        irq_status_ &= ~value;
        drive_irq(time_ps);
        break;
    default: break;  // read-only or no register
    }
}

void BusMaster::settle(uint64_t time_ps) {
    if (!running_ || time_ps < running_->end_ps)
        return;
    status_ = running_->status;
    irq_status_ |= running_->irq;
    error_addr_ = running_->error_addr;
    running_.reset();
}

// Sends the level now and, while a command runs, the level it will have when the command ends: the
// interrupt controller applies changes in time order, the last one sent for a time winning.
void BusMaster::drive_irq(uint64_t time_ps) {
    if (!irq_level_)
        return;
    uint64_t now = sc_core::sc_time_stamp().value();
    irq_level_((irq_status_ & irq_enable_) != 0, time_ps - now);
    if (running_)
        irq_level_(((irq_status_ | running_->irq) & irq_enable_) != 0, running_->end_ps - now);
}

void BusMaster::start(uint32_t command, uint64_t time_ps) {
    if (running_) {
        ++stat_busy_rejects_;
        return;
    }
    command_ = command;
    ++stat_commands_;
    uint64_t now = sc_core::sc_time_stamp().value();
    uint64_t delay_ps = time_ps - now;
    Outcome outcome = execute(command, delay_ps);
    Running done{now + delay_ps, STATUS_DONE, IRQ_DONE, 0};
    if (outcome.cause != CAUSE_NONE) {
        ++stat_errors_;
        done = Running{now + delay_ps, STATUS_ERROR | outcome.cause << STATUS_CAUSE_SHIFT, IRQ_ERROR, outcome.addr};
        emit_error(command, outcome, now + delay_ps);
    }
    running_ = done;
    drive_irq(time_ps);
    settle(time_ps);  // a command refused at once has ended already
}

BusMaster::Outcome BusMaster::execute(uint32_t command, uint64_t& delay_ps) {
    if (command & ~COMMAND_OP_MASK)
        return Outcome{CAUSE_COMMAND, 0};
    switch (command) {
    case COMMAND_READ: return device_read(delay_ps);
    case COMMAND_WRITE: return device_write(delay_ps);
    case COMMAND_COPY: return device_copy(delay_ps);
    default: return Outcome{CAUSE_COMMAND, 0};
    }
}

BusMaster::Outcome BusMaster::device_read(uint64_t& delay_ps) {
    uint64_t src = src_addr();
    if (length_ == 0 || length_ > buffer_.size())
        return Outcome{CAUSE_LENGTH, src};
    uint64_t start_ps = sc_core::sc_time_stamp().value() + delay_ps;
    Outcome outcome = read_memory(src, buffer_.data(), length_, delay_ps);
    if (outcome.cause == CAUSE_NONE && ev_read_.enabled())
        emit_transfer(ev_read_, start_ps, delay_ps, {{"addr", src}, {"length", uint64_t(length_)}});
    return outcome;
}

BusMaster::Outcome BusMaster::device_write(uint64_t& delay_ps) {
    uint64_t dst = dst_addr();
    if (length_ == 0 || length_ > buffer_.size())
        return Outcome{CAUSE_LENGTH, dst};
    uint64_t start_ps = sc_core::sc_time_stamp().value() + delay_ps;
    Outcome outcome = write_memory(dst, buffer_.data(), length_, delay_ps);
    if (outcome.cause == CAUSE_NONE && ev_write_.enabled())
        emit_transfer(ev_write_, start_ps, delay_ps, {{"addr", dst}, {"length", uint64_t(length_)}});
    return outcome;
}

BusMaster::Outcome BusMaster::device_copy(uint64_t& delay_ps) {
    uint64_t src = src_addr(), dst = dst_addr();
    if (length_ == 0)
        return Outcome{CAUSE_LENGTH, src};
    for (uint64_t addr : {src, dst}) {
        if (!to_system(addr, length_))
            return Outcome{CAUSE_WINDOW, addr};
    }
    uint64_t start_ps = sc_core::sc_time_stamp().value() + delay_ps;
    std::vector<uint8_t> staging(config_.burst_size);
    for (uint64_t done = 0; done < length_; done += staging.size()) {
        uint64_t chunk = std::min<uint64_t>(staging.size(), length_ - done);
        Outcome outcome = read_memory(src + done, staging.data(), chunk, delay_ps);
        if (outcome.cause == CAUSE_NONE)
            outcome = write_memory(dst + done, staging.data(), chunk, delay_ps);
        if (outcome.cause != CAUSE_NONE)
            return outcome;
    }
    if (ev_copy_.enabled())
        emit_transfer(ev_copy_, start_ps, delay_ps,
                      {{"src_addr", src}, {"dst_addr", dst}, {"length", uint64_t(length_)}});
    return Outcome{};
}

std::optional<uint64_t> BusMaster::to_system(uint64_t addr, uint64_t length) {
    if (config_.inbound.empty())
        return addr;
    if (const InboundWindow* window = find_inbound_window(config_.inbound, addr, length))
        return window->system_start + (addr - window->bus_start);
    ++stat_window_errors_;
    return std::nullopt;
}

BusMaster::Outcome BusMaster::read_memory(uint64_t addr, void* dst, uint64_t length, uint64_t& delay_ps) {
    std::optional<uint64_t> pa = to_system(addr, length);
    if (!pa)
        return Outcome{CAUSE_WINDOW, addr};
    Initiator self{InitiatorKind::device, config_.id, config_.stream_id};
    uint64_t failed = 0;
    if (dma_.read(*pa, dst, length, self, config_.burst_size, config_.snoop, delay_ps, &failed) != tlm::TLM_OK_RESPONSE)
        return Outcome{CAUSE_BUS, addr + (failed - *pa)};
    stat_read_bytes_ += length;
    return Outcome{};
}

BusMaster::Outcome BusMaster::write_memory(uint64_t addr, const void* src, uint64_t length, uint64_t& delay_ps) {
    std::optional<uint64_t> pa = to_system(addr, length);
    if (!pa)
        return Outcome{CAUSE_WINDOW, addr};
    Initiator self{InitiatorKind::device, config_.id, config_.stream_id};
    uint64_t failed = 0;
    if (dma_.write(*pa, src, length, self, config_.burst_size, config_.snoop, delay_ps, &failed) !=
        tlm::TLM_OK_RESPONSE)
        return Outcome{CAUSE_BUS, addr + (failed - *pa)};
    stat_write_bytes_ += length;
    return Outcome{};
}

void BusMaster::emit_transfer(const EventKind& kind, uint64_t start_ps, uint64_t delay_ps, std::vector<Field> fields) {
    uint64_t end_ps = sc_core::sc_time_stamp().value() + delay_ps;
    fields.push_back({"duration_ps", end_ps - start_ps});
    instr_.emit(kind, Event{start_ps, nullptr, name(), std::move(fields)});
}

void BusMaster::emit_error(uint32_t command, const Outcome& outcome, uint64_t time_ps) {
    if (!ev_error_.enabled())
        return;
    instr_.emit(ev_error_, Event{time_ps,
                                 nullptr,
                                 name(),
                                 {{"op", std::string(op_name(command))},
                                  {"cause", std::string(cause_name(outcome.cause))},
                                  {"addr", outcome.addr},
                                  {"length", uint64_t(length_)}}});
}

}  // namespace models
