// A simple DMA agent standing in for devices until PCI lands: reads, writes and copies memory in
// bursts with its own initiator id. A non-snooping master sees memory only, as a non-coherent
// device does; a snooping one has the interconnect clean or invalidate cached copies first, as a
// coherent interconnect would, and so produces no hazards.
#pragma once

#include "models/bus_port.h"
#include "models/cache.h"
#include "models/instrumentation.h"

#include <systemc>
#include <tlm>
#include <vector>

namespace models {

struct BusMasterConfig {
    uint32_t id = 0;
    uint32_t stream_id = 0;
    uint32_t burst_size = 64;
    bool snoop = false;
};

class BusMaster : public sc_core::sc_module {
public:
    tlm::tlm_initiator_socket<> dma_out;

    BusMaster(sc_core::sc_module_name name, const BusMasterConfig& config, Instrumentation& instr);

    // Caches a snooping master keeps coherent, innermost first.
    void add_snooped_cache(Cache* cache) { snooped_.push_back(cache); }
    const BusMasterConfig& config() const { return config_; }

    // Each operation runs from `delay_ps` (the caller's local-time offset) and advances it to
    // completion. `as` lets the agent stand in for another kind of initiator (an IOMMU walker).
    void read(uint64_t pa, void* dst, uint64_t length, uint64_t& delay_ps,
              InitiatorKind as = InitiatorKind::device);
    void write(uint64_t pa, const void* src, uint64_t length, uint64_t& delay_ps);
    void copy(uint64_t src_pa, uint64_t dst_pa, uint64_t length, uint64_t& delay_ps);

private:
    void snoop(MaintOp op, uint64_t pa, uint64_t length, uint64_t& delay_ps);
    template <typename Burst>
    void in_bursts(uint64_t pa, uint64_t length, Burst burst);

    BusMasterConfig config_;
    BusPort port_;
    std::vector<Cache*> snooped_;
    uint64_t& stat_read_bytes_;
    uint64_t& stat_write_bytes_;
    uint64_t& stat_bursts_;
    uint64_t& stat_snoops_;
};

}  // namespace models
