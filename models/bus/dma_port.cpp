#include "models/bus/dma_port.h"

#include <algorithm>

namespace models {

const InboundWindow* find_inbound_window(const std::vector<InboundWindow>& windows, uint64_t addr, uint64_t length) {
    for (const InboundWindow& window : windows)
        if (addr >= window.bus_start && addr - window.bus_start < window.size &&
            length <= window.size - (addr - window.bus_start))
            return &window;
    return nullptr;
}

DmaPort::DmaPort(tlm::tlm_initiator_socket<>& socket, Instrumentation& instr, const std::string& owner)
    : port_(socket), stat_bursts_(instr.counter(owner + ".bursts")),
      stat_snoops_(instr.counter(owner + ".snooped_lines")) {}

void DmaPort::snoop_caches(MaintOp op, uint64_t pa, uint64_t length, const Initiator& who, uint64_t& delay_ps) {
    if (snooped_.empty())
        return;
    uint32_t line = snooped_.front()->line_size();
    for (uint64_t address = pa & ~uint64_t(line - 1); address < pa + length; address += line) {
        ++stat_snoops_;
        for (Cache* cache : snooped_)
            cache->maintain_line(op, address, who, delay_ps);
    }
}

tlm::tlm_response_status DmaPort::in_bursts(tlm::tlm_command command, uint64_t pa, uint8_t* data, uint64_t length,
                                            const Initiator& who, uint32_t burst_size, bool snoop, uint64_t& delay_ps,
                                            uint64_t* failed_pa) {
    constexpr uint64_t page = 4096;  // the IOMMU's translation granule
    bool write = command == tlm::TLM_WRITE_COMMAND;
    for (uint64_t done = 0; done < length;) {
        uint64_t address = pa + done;
        auto chunk = static_cast<unsigned>(std::min<uint64_t>(length - done, burst_size - address % burst_size));
        uint64_t target = address;  // the burst's physical address
        tlm::tlm_response_status status = tlm::TLM_OK_RESPONSE;
        if (translator_) {
            chunk = static_cast<unsigned>(std::min<uint64_t>(chunk, page - address % page));
            status = translator_->translate(stream_id_, address, chunk, write, who, target, delay_ps);
            if (status == tlm::TLM_OK_RESPONSE && snoop)
                snoop_caches(write ? MaintOp::clean_invalidate : MaintOp::clean, target, chunk, who, delay_ps);
        }
        if (status == tlm::TLM_OK_RESPONSE) {
            ++stat_bursts_;
            status = port_.try_transfer(command, target, data + done, chunk, who, MemType::normal_wb, delay_ps, snoop);
        }
        if (status != tlm::TLM_OK_RESPONSE) {
            if (failed_pa)
                *failed_pa = address;
            return status;
        }
        done += chunk;
    }
    return tlm::TLM_OK_RESPONSE;
}

tlm::tlm_response_status DmaPort::read(uint64_t pa, void* dst, uint64_t length, const Initiator& who,
                                       uint32_t burst_size, bool snoop, uint64_t& delay_ps, uint64_t* failed_pa) {
    if (snoop && !translator_)  // behind a translator, each burst is snooped once translated
        snoop_caches(MaintOp::clean, pa, length, who, delay_ps);
    return in_bursts(tlm::TLM_READ_COMMAND, pa, static_cast<uint8_t*>(dst), length, who, burst_size, snoop, delay_ps,
                     failed_pa);
}

tlm::tlm_response_status DmaPort::write(uint64_t pa, const void* src, uint64_t length, const Initiator& who,
                                        uint32_t burst_size, bool snoop, uint64_t& delay_ps, uint64_t* failed_pa) {
    if (snoop && !translator_)
        snoop_caches(MaintOp::clean_invalidate, pa, length, who, delay_ps);
    return in_bursts(tlm::TLM_WRITE_COMMAND, pa, const_cast<uint8_t*>(static_cast<const uint8_t*>(src)), length, who,
                     burst_size, snoop, delay_ps, failed_pa);
}

}  // namespace models
