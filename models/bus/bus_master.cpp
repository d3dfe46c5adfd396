#include "models/bus/bus_master.h"

#include "models/common/access_fault.h"
#include "models/common/shared_events.h"

#include <algorithm>
#include <fmt/format.h>

namespace models {

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
    : sc_module(name), dma_out("dma_out"), config_(config), instr_(instr),
      dma_(dma_out, instr, this->name(), DmaPort::OnError::raise),
      stat_read_bytes_(instr.counter(std::string(this->name()) + ".read_bytes")),
      stat_write_bytes_(instr.counter(std::string(this->name()) + ".write_bytes")),
      stat_window_errors_(instr.counter(std::string(this->name()) + ".window_errors")),
      ev_read_(declare_dma_read(instr)), ev_write_(declare_dma_write(instr)),
      ev_copy_(instr.declare_event("dma.copy", "a bus master copies memory to memory (a slice: start and "
                                               "duration_ps)")) {}

uint64_t BusMaster::to_system(uint64_t addr, uint64_t length) {
    if (config_.inbound.empty())
        return addr;
    if (const InboundWindow* window = find_inbound_window(config_.inbound, addr, length))
        return window->system_start + (addr - window->bus_start);
    ++stat_window_errors_;
    throw AccessFault(AccessFault::Kind::bus_error, addr,
                      fmt::format("{}: DMA to bus addresses [{:#x}, {:#x}) outside every inbound window (dma-ranges)",
                                  name(), addr, addr + length));
}

void BusMaster::read_memory(uint64_t addr, void* dst, uint64_t length, uint64_t& delay_ps, InitiatorKind as) {
    uint64_t pa = to_system(addr, length);
    Initiator self{as, config_.id, config_.stream_id};
    dma_.read(pa, dst, length, self, config_.burst_size, config_.snoop, delay_ps);
    stat_read_bytes_ += length;
}

void BusMaster::write_memory(uint64_t addr, const void* src, uint64_t length, uint64_t& delay_ps) {
    uint64_t pa = to_system(addr, length);
    Initiator self{InitiatorKind::device, config_.id, config_.stream_id};
    dma_.write(pa, src, length, self, config_.burst_size, config_.snoop, delay_ps);
    stat_write_bytes_ += length;
}

void BusMaster::emit_transfer(const EventKind& kind, uint64_t start_ps, uint64_t delay_ps, std::vector<Field> fields) {
    uint64_t end_ps = sc_core::sc_time_stamp().value() + delay_ps;
    fields.push_back({"duration_ps", end_ps - start_ps});
    instr_.emit(kind, Event{start_ps, nullptr, name(), std::move(fields)});
}

void BusMaster::read(uint64_t addr, void* dst, uint64_t length, uint64_t& delay_ps, InitiatorKind as) {
    uint64_t start_ps = sc_core::sc_time_stamp().value() + delay_ps;
    read_memory(addr, dst, length, delay_ps, as);
    if (ev_read_.enabled())
        emit_transfer(ev_read_, start_ps, delay_ps, {{"addr", addr}, {"length", length}});
}

void BusMaster::write(uint64_t addr, const void* src, uint64_t length, uint64_t& delay_ps) {
    uint64_t start_ps = sc_core::sc_time_stamp().value() + delay_ps;
    write_memory(addr, src, length, delay_ps);
    if (ev_write_.enabled())
        emit_transfer(ev_write_, start_ps, delay_ps, {{"addr", addr}, {"length", length}});
}

void BusMaster::copy(uint64_t src_addr, uint64_t dst_addr, uint64_t length, uint64_t& delay_ps) {
    uint64_t start_ps = sc_core::sc_time_stamp().value() + delay_ps;
    std::vector<uint8_t> staging(config_.burst_size);
    for (uint64_t done = 0; done < length; done += staging.size()) {
        uint64_t chunk = std::min<uint64_t>(staging.size(), length - done);
        read_memory(src_addr + done, staging.data(), chunk, delay_ps, InitiatorKind::device);
        write_memory(dst_addr + done, staging.data(), chunk, delay_ps);
    }
    if (ev_copy_.enabled())
        emit_transfer(ev_copy_, start_ps, delay_ps,
                      {{"src_addr", src_addr}, {"dst_addr", dst_addr}, {"length", length}});
}

}  // namespace models
