#include "models/mfd/mfd_dma_engine.h"

#include "models/common/shared_events.h"
#include "models/mfd/mfd_fw_regs.h"
#include "models/mfd/mfd_regs.h"

#include <algorithm>
#include <cstring>

namespace models {

using namespace mfd;

namespace {

const char* cause_name(uint32_t cause) {
    switch (cause) {
    case DMA_CAUSE_DESCRIPTOR: return "descriptor";
    case DMA_CAUSE_SRAM: return "sram";
    case DMA_CAUSE_BUS: return "bus";
    case DMA_CAUSE_BUSY: return "busy";
    default: return "none";
    }
}

const char* starter_name(MfdDmaEngine::Starter starter) {
    return starter == MfdDmaEngine::Starter::host ? "host" : "firmware";
}

constexpr uint64_t system_space = 1ULL << 32;  // the engine drives 32-bit bus addresses

}  // namespace

MfdDmaEngine::MfdDmaEngine(tlm::tlm_initiator_socket<>& socket, std::vector<uint8_t>& sram, const MfdDmaConfig& config,
                           Instrumentation& instr, const std::string& owner)
    : sram_(sram), config_(config), instr_(instr), owner_(owner), port_(socket, instr, owner + ".dma"),
      stat_chains_(instr.counter(owner + ".dma_chains")), stat_descriptors_(instr.counter(owner + ".dma_descriptors")),
      stat_to_system_(instr.counter(owner + ".dma_bytes_to_system")),
      stat_to_sram_(instr.counter(owner + ".dma_bytes_to_sram")), stat_errors_(instr.counter(owner + ".dma_errors")),
      stat_busy_rejects_(instr.counter(owner + ".dma_busy_rejects")), ev_read_(declare_dma_read(instr)),
      ev_write_(declare_dma_write(instr)),
      ev_error_(instr.declare_event("mfd.dma_error", "an MFD's DMA chain ends in an error (starter: host or firmware; "
                                                     "cause: descriptor, sram, bus or busy; addr)")) {}

std::optional<uint64_t> MfdDmaEngine::start(uint32_t first, Starter starter, uint64_t time_ps) {
    if (running_) {
        ++stat_busy_rejects_;
        running_->refused_start = true;
        emit_error(starter, Outcome{DMA_CAUSE_BUSY, first}, time_ps);
        return std::nullopt;
    }
    ++stat_chains_;
    uint64_t now = sc_core::sc_time_stamp().value();
    uint64_t delay_ps = time_ps - now;
    Outcome outcome = run_chain(first, delay_ps);
    Ended ended{starter, DMA_STATUS_DONE, 0};
    if (outcome.cause != DMA_CAUSE_NONE) {
        ++stat_errors_;
        ended = Ended{starter, DMA_STATUS_ERROR | outcome.cause << DMA_STATUS_CAUSE_SHIFT, outcome.addr};
        emit_error(starter, outcome, now + delay_ps);
    }
    running_ = Running{now + delay_ps, ended, false};
    return now + delay_ps;
}

std::optional<MfdDmaEngine::Ended> MfdDmaEngine::settle(uint64_t time_ps) {
    if (!running_ || time_ps < running_->end_ps)
        return std::nullopt;
    Ended ended = running_->outcome;
    status_ = ended.status;
    error_addr_ = ended.error_addr;
    running_.reset();
    return ended;
}

uint32_t MfdDmaEngine::status() const {
    if (!running_)
        return status_;
    return running_->refused_start ? DMA_STATUS_BUSY | DMA_STATUS_ERROR | DMA_CAUSE_BUSY << DMA_STATUS_CAUSE_SHIFT
                                   : DMA_STATUS_BUSY;
}

uint32_t MfdDmaEngine::sram_word(uint32_t offset) const {
    uint32_t value = 0;
    for (unsigned byte = 0; byte < 4; ++byte)
        value |= uint32_t(sram_[offset + byte]) << (8 * byte);
    return value;
}

// Descriptors one after another until one with LAST; each is checked before anything it names moves.
MfdDmaEngine::Outcome MfdDmaEngine::run_chain(uint32_t first, uint64_t& delay_ps) {
    uint64_t size = sram_.size();
    for (uint64_t at = first;; at += MFD_DESC_SIZE) {
        if (at % 4 || at > size || size - at < MFD_DESC_SIZE)
            return Outcome{DMA_CAUSE_DESCRIPTOR, at};
        delay_ps += config_.sram_latency_ps;  // the descriptor's fetch
        ++stat_descriptors_;
        auto offset = static_cast<uint32_t>(at);
        uint32_t sram_offset = sram_word(offset + MFD_DESC_SRAM_OFFSET);
        uint32_t system = sram_word(offset + MFD_DESC_SYSTEM);
        uint32_t length = sram_word(offset + MFD_DESC_LENGTH);
        uint32_t control = sram_word(offset + MFD_DESC_CONTROL);
        if (length == 0 || length > size)
            return Outcome{DMA_CAUSE_DESCRIPTOR, at};
        if (sram_offset > size || length > size - sram_offset)
            return Outcome{DMA_CAUSE_SRAM, sram_offset};
        if (uint64_t(system) + length > system_space)
            return Outcome{DMA_CAUSE_BUS, system_space};
        Outcome outcome = transfer(sram_offset, system, length, control & MFD_DESC_TO_SYSTEM, delay_ps);
        if (outcome.cause != DMA_CAUSE_NONE || control & MFD_DESC_LAST)
            return outcome;
    }
}

MfdDmaEngine::Outcome MfdDmaEngine::transfer(uint32_t sram_offset, uint32_t system, uint32_t length, bool to_system,
                                             uint64_t& delay_ps) {
    uint64_t start_ps = sc_core::sc_time_stamp().value() + delay_ps;
    uint64_t burst = config_.burst_size;
    uint64_t bursts = (system % burst + length + burst - 1) / burst;
    delay_ps += bursts * config_.sram_latency_ps;
    Initiator self{InitiatorKind::device, config_.id, config_.id};
    uint8_t* data = sram_.data() + sram_offset;
    uint64_t failed = 0;
    tlm::tlm_response_status status = to_system ? port_.write(system, data, length, self, config_.burst_size, false,
                                                              delay_ps, &failed)
                                                : port_.read(system, data, length, self, config_.burst_size, false,
                                                             delay_ps, &failed);
    if (status != tlm::TLM_OK_RESPONSE)
        return Outcome{DMA_CAUSE_BUS, failed};
    (to_system ? stat_to_system_ : stat_to_sram_) += length;
    const EventKind& kind = to_system ? ev_write_ : ev_read_;
    if (kind.enabled()) {
        uint64_t end_ps = sc_core::sc_time_stamp().value() + delay_ps;
        instr_.emit(kind, Event{start_ps,
                                nullptr,
                                owner_,
                                {{"addr", uint64_t(system)},
                                 {"length", uint64_t(length)},
                                 {"sram_offset", uint64_t(sram_offset)},
                                 {"duration_ps", end_ps - start_ps}}});
    }
    return Outcome{};
}

void MfdDmaEngine::emit_error(Starter starter, const Outcome& outcome, uint64_t time_ps) {
    if (!ev_error_.enabled())
        return;
    instr_.emit(ev_error_, Event{time_ps,
                                 nullptr,
                                 owner_,
                                 {{"starter", std::string(starter_name(starter))},
                                  {"cause", std::string(cause_name(outcome.cause))},
                                  {"addr", outcome.addr}}});
}

}  // namespace models
