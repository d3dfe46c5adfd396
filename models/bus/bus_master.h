// A simple DMA agent standing in for devices until PCI lands: reads, writes and copies memory in
// bursts with its own initiator id. A non-snooping master sees memory only, as a non-coherent
// device does; a snooping one has the interconnect clean or invalidate cached copies first, as a
// coherent interconnect would, and so produces no hazards. Each read, write and copy is the event
// dma.read / dma.write / dma.copy, stamped with its start and carrying its duration, so the
// timeline shows it as a slice on the master's track and the waveform as its busy line.
#pragma once

#include "models/cpu/cache.h"
#include "models/bus/dma_port.h"
#include "models/common/instrumentation.h"
#include "models/common/property_table.h"

#include <systemc>
#include <tlm>
#include <vector>

namespace models {

struct BusMasterConfig {
    uint32_t id = 0;
    uint32_t stream_id = 0;
    uint32_t burst_size = 64;
    bool snoop = false;
    std::vector<InboundWindow> inbound;  // empty: bus addresses are system addresses
};

class BusMaster : public sc_core::sc_module {
public:
    tlm::tlm_initiator_socket<> dma_out;

    BusMaster(sc_core::sc_module_name name, const BusMasterConfig& config, Instrumentation& instr);

    // A dmasim,bus-master node's properties.
    static const PropertyTable<BusMasterConfig>& properties();

    // Caches a snooping master keeps coherent, innermost first.
    void add_snooped_cache(Cache* cache) { dma_.add_snooped_cache(cache); }
    const BusMasterConfig& config() const { return config_; }

    // Each operation runs from `delay_ps` (the caller's local-time offset) and advances it to
    // completion. `as` lets the agent stand in for another kind of initiator (an IOMMU walker).
    // Addresses are the master's bus addresses; a range outside every inbound window throws
    // AccessFault (bus_error), as the interconnect answers it with an error.
    void read(uint64_t addr, void* dst, uint64_t length, uint64_t& delay_ps,
              InitiatorKind as = InitiatorKind::device);
    void write(uint64_t addr, const void* src, uint64_t length, uint64_t& delay_ps);
    void copy(uint64_t src_addr, uint64_t dst_addr, uint64_t length, uint64_t& delay_ps);

    // The system address a bus address range reaches (identity without inbound windows).
    uint64_t to_system(uint64_t addr, uint64_t length);

private:
    void read_memory(uint64_t addr, void* dst, uint64_t length, uint64_t& delay_ps, InitiatorKind as);
    void write_memory(uint64_t addr, const void* src, uint64_t length, uint64_t& delay_ps);
    // The transfer that started at `start_ps` and ends where `delay_ps` now stands.
    void emit_transfer(const EventKind& kind, uint64_t start_ps, uint64_t delay_ps, std::vector<Field> fields);

    BusMasterConfig config_;
    Instrumentation& instr_;
    DmaPort dma_;
    uint64_t& stat_read_bytes_;
    uint64_t& stat_write_bytes_;
    uint64_t& stat_window_errors_;
    EventKind ev_read_;
    EventKind ev_write_;
    EventKind ev_copy_;
};

}  // namespace models
