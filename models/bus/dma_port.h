// The memory side of a DMA engine, shared by the bus master and the PCI host bridge's inbound path:
// a transfer goes out in bursts that never cross a burst-size boundary (as an AXI master's would
// not cross its own), and on a snooping (coherent) path the interconnect first cleans, for a read,
// or cleans and invalidates, for a write, the CPU's cached copies, innermost cache first, so dirty
// data drains outward. A non-snooping path sees memory only, as a non-coherent device does. An
// error response ends the transfer and is returned, for the device to turn into an error completion.
//
// Behind an IOMMU (set_translator), addresses are IOVAs: each burst -- which then also never
// crosses a 4 KiB page -- is translated first, then snooped (on its physical address) and issued;
// a translation that faults ends the transfer with the IOMMU's error response.
//
// Stats, under the owner's name: <owner>.bursts, <owner>.snooped_lines.
#pragma once

#include "models/bus/bus_port.h"
#include "models/common/access_extension.h"
#include "models/common/dma_translator.h"
#include "models/common/instrumentation.h"
#include "models/cpu/cache.h"

#include <cstdint>
#include <string>
#include <tlm>
#include <vector>

namespace models {

// A window of the interconnect between a master and the system bus (its parent bus's
// dma-ranges): bus addresses [bus_start, bus_start + size) reach system_start onwards.
struct InboundWindow {
    uint64_t bus_start = 0;
    uint64_t system_start = 0;
    uint64_t size = 0;
};

// The window holding all of [addr, addr + length), or nullptr.
const InboundWindow* find_inbound_window(const std::vector<InboundWindow>& windows, uint64_t addr, uint64_t length);

class DmaPort {
public:
    DmaPort(tlm::tlm_initiator_socket<>& socket, Instrumentation& instr, const std::string& owner);

    // Caches the path keeps coherent when it snoops, innermost first.
    void add_snooped_cache(Cache* cache) { snooped_.push_back(cache); }
    // Translates every burst through `translator` as stream `stream_id` from now on; nullptr: none
    // (addresses are physical). A PCI host bridge sets it per request, its endpoints' stream IDs
    // differing.
    void set_translator(DmaTranslator* translator, uint32_t stream_id) {
        translator_ = translator;
        stream_id_ = stream_id;
    }

    // [pa, pa + length) from `delay_ps` on (the caller's local-time offset, advanced to
    // completion); an IOVA range behind a translator. TLM_OK_RESPONSE, or the first error response
    // (the bursts after it are not issued; `failed_pa`, if given, receives the refused burst's
    // address, the IOVA behind a translator).
    tlm::tlm_response_status read(uint64_t pa, void* dst, uint64_t length, const Initiator& who, uint32_t burst_size,
                                  bool snoop, uint64_t& delay_ps, uint64_t* failed_pa = nullptr);
    tlm::tlm_response_status write(uint64_t pa, const void* src, uint64_t length, const Initiator& who,
                                   uint32_t burst_size, bool snoop, uint64_t& delay_ps, uint64_t* failed_pa = nullptr);

private:
    void snoop_caches(MaintOp op, uint64_t pa, uint64_t length, const Initiator& who, uint64_t& delay_ps);
    tlm::tlm_response_status in_bursts(tlm::tlm_command command, uint64_t pa, uint8_t* data, uint64_t length,
                                       const Initiator& who, uint32_t burst_size, bool snoop, uint64_t& delay_ps,
                                       uint64_t* failed_pa);

    BusPort port_;
    std::vector<Cache*> snooped_;
    DmaTranslator* translator_ = nullptr;
    uint32_t stream_id_ = 0;
    uint64_t& stat_bursts_;
    uint64_t& stat_snoops_;
};

}  // namespace models
