#include "models/bus_master.h"

#include "models/access_fault.h"

#include <algorithm>
#include <fmt/format.h>

namespace models {

BusMaster::BusMaster(sc_core::sc_module_name name, const BusMasterConfig& config, Instrumentation& instr)
    : sc_module(name), dma_out("dma_out"), config_(config), port_(dma_out),
      stat_read_bytes_(instr.counter(std::string(this->name()) + ".read_bytes")),
      stat_write_bytes_(instr.counter(std::string(this->name()) + ".write_bytes")),
      stat_bursts_(instr.counter(std::string(this->name()) + ".bursts")),
      stat_snoops_(instr.counter(std::string(this->name()) + ".snooped_lines")),
      stat_window_errors_(instr.counter(std::string(this->name()) + ".window_errors")) {}

uint64_t BusMaster::to_system(uint64_t addr, uint64_t length) {
    if (config_.inbound.empty())
        return addr;
    for (const InboundWindow& window : config_.inbound)
        if (addr >= window.bus_start && addr - window.bus_start < window.size &&
            length <= window.size - (addr - window.bus_start))
            return window.system_start + (addr - window.bus_start);
    ++stat_window_errors_;
    throw AccessFault(AccessFault::Kind::bus_error, addr,
                      fmt::format("{}: DMA to bus addresses [{:#x}, {:#x}) outside every inbound window (dma-ranges)",
                                  name(), addr, addr + length));
}

// Bursts never cross a burst-size boundary, as an AXI master's would not cross its own.
template <typename Burst>
void BusMaster::in_bursts(uint64_t pa, uint64_t length, Burst burst) {
    uint64_t size = config_.burst_size;
    for (uint64_t done = 0; done < length;) {
        uint64_t address = pa + done;
        uint64_t chunk = std::min(length - done, size - address % size);
        burst(address, done, static_cast<unsigned>(chunk));
        ++stat_bursts_;
        done += chunk;
    }
}

void BusMaster::snoop(MaintOp op, uint64_t pa, uint64_t length, uint64_t& delay_ps) {
    if (!config_.snoop || snooped_.empty())
        return;
    Initiator self{InitiatorKind::device, config_.id, config_.stream_id};
    uint32_t line = snooped_.front()->line_size();
    for (uint64_t address = pa & ~uint64_t(line - 1); address < pa + length; address += line) {
        ++stat_snoops_;
        for (Cache* cache : snooped_)  // innermost first, so dirty data drains outward
            cache->maintain_line(op, address, self, delay_ps);
    }
}

void BusMaster::read(uint64_t addr, void* dst, uint64_t length, uint64_t& delay_ps, InitiatorKind as) {
    uint64_t pa = to_system(addr, length);
    snoop(MaintOp::clean, pa, length, delay_ps);
    Initiator self{as, config_.id, config_.stream_id};
    in_bursts(pa, length, [&](uint64_t address, uint64_t offset, unsigned chunk) {
        port_.transfer(tlm::TLM_READ_COMMAND, address, static_cast<uint8_t*>(dst) + offset, chunk, self,
                       MemType::normal_wb, delay_ps, config_.snoop);
    });
    stat_read_bytes_ += length;
}

void BusMaster::write(uint64_t addr, const void* src, uint64_t length, uint64_t& delay_ps) {
    uint64_t pa = to_system(addr, length);
    snoop(MaintOp::clean_invalidate, pa, length, delay_ps);
    Initiator self{InitiatorKind::device, config_.id, config_.stream_id};
    in_bursts(pa, length, [&](uint64_t address, uint64_t offset, unsigned chunk) {
        port_.transfer(tlm::TLM_WRITE_COMMAND, address,
                       const_cast<uint8_t*>(static_cast<const uint8_t*>(src)) + offset, chunk, self,
                       MemType::normal_wb, delay_ps, config_.snoop);
    });
    stat_write_bytes_ += length;
}

void BusMaster::copy(uint64_t src_addr, uint64_t dst_addr, uint64_t length, uint64_t& delay_ps) {
    std::vector<uint8_t> staging(config_.burst_size);
    for (uint64_t done = 0; done < length; done += staging.size()) {
        uint64_t chunk = std::min<uint64_t>(staging.size(), length - done);
        read(src_addr + done, staging.data(), chunk, delay_ps);
        write(dst_addr + done, staging.data(), chunk, delay_ps);
    }
}

}  // namespace models
