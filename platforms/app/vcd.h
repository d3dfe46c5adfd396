// --vcd: the run's waveforms as a SystemC VCD file (GTKWave opens it), written by the kernel's
// tracing as simulated time advances:
//   busy.<master>            a wire per bus master and per PCI endpoint, high while one of its
//                            transfers (dma.read, dma.write, dma.copy) is in flight;
//   irq.<line>               a wire per interrupt line (every irq.* event declared before the run,
//                            see models/irq/interrupt_line.h);
//   mcs51.<mfd>.<state>      per MFD, a wire per state of its 8051 (reset, running, idle), high
//                            while it is in that state (the mfd.state events);
//   fault.<smmu>             a wire per IOMMU, high while one of its fault interrupts (the global
//                            one or a context bank's) is asserted: from a fault until its driver
//                            has read and cleared the syndrome;
//   counters.<path>          sampled every period: each cache's dirty lines, dma.active_mappings
//                            (from the DMA layer's records of its calls: the writer is a
//                            dma::MappingListener, add it to the dma::Context), the swiotlb, atomic
//                            pool and per-device pool use the platform has, and
//                            dma_pool.blocks_in_use (0 until a driver creates a pool).
// Models run ahead of the kernel on a core's local time, so wire changes are queued with their
// own simulated times and applied when the kernel gets there; counters read the models' state as
// the core left it at its last quantum sync, so they move in steps of the quantum. SystemC writes a
// temporary file beside the path (its name always ends in ".vcd"), renamed to the path when the
// writer is destroyed, and the header's $date is blanked then, so that a run's file depends on its
// inputs only.
#pragma once

#include "dma/mapping_listener.h"
#include "models/common/instrumentation.h"
#include "models/cpu/cache.h"

#include <cstdint>
#include <deque>
#include <map>
#include <queue>
#include <set>
#include <string>
#include <systemc>
#include <tuple>
#include <utility>
#include <vector>

namespace platform {

class Platform;

struct VcdConfig {
    std::string path;                  // the file, with any suffix
    uint64_t period_ps = 1000000;      // counter sampling period
    std::vector<std::string> masters;  // a busy wire each
    std::vector<std::string> mcs51s;   // per MFD, its 8051's track (mfd.state's source): a wire per state
    // An interrupt line's event (irq.<line>) -> the fault wire it drives with the others it is
    // listed with (fault.<smmu>: high while one of them is).
    std::map<std::string, std::string> fault_lines;
    std::vector<const models::Cache*> caches;  // a dirty-lines counter each
};

// The bus masters, IOMMUs and caches of a built platform.
VcdConfig vcd_config(Platform& platform, const std::string& path, uint64_t period_ps);

class VcdWriter : public sc_core::sc_module, public models::EventSink, public dma::MappingListener {
public:
    // Before the simulation starts. ConfigError if the file cannot be written or the period is 0.
    // Subscribes itself to the events it needs; counters are looked up in `instr` now.
    VcdWriter(sc_core::sc_module_name name, models::Instrumentation& instr, const VcdConfig& config);
    ~VcdWriter() override;  // closes the file
    SC_HAS_PROCESS(VcdWriter);

    void on_event(const models::Event& event) override;
    void on_mapping_call(const dma::MappingRecord& record) override;

private:
    struct Wire {
        bool value = false;
        unsigned active = 0;  // transfers in flight, or the line's level
    };
    struct Change {
        uint64_t time_ps;
        uint64_t sequence;  // keeps changes at one time in the order they were made
        Wire* wire;
        int step;       // +1 / -1 on a busy wire's count
        bool is_level;  // else set the count to `step`
        bool operator>(const Change& other) const {
            return std::tie(time_ps, sequence) > std::tie(other.time_ps, other.sequence);
        }
    };
    struct Counter {
        const uint64_t* source = nullptr;  // an instrumentation counter, else a cache or the mappings
        const models::Cache* cache = nullptr;
        std::string late_path;  // a counter not created yet: looked up until it is (0 till then)
        sc_dt::uint64 value = 0;
    };

    Wire& add_wire(const std::string& name);
    void add_counter(const std::string& name, Counter counter);
    void schedule(uint64_t time_ps, Wire& wire, int step, bool is_level);
    void apply_changes();  // SC_THREAD
    void sample();         // SC_THREAD

    models::Instrumentation& instr_;
    std::string path_;
    std::string temporary_;  // SystemC's file until it is closed
    uint64_t period_ps_;
    sc_core::sc_trace_file* file_ = nullptr;
    std::deque<Wire> wires_;  // stable addresses: the trace file holds references
    std::map<std::string, Wire*> wire_of_;
    std::map<std::string, Wire*> fault_wire_of_;             // by interrupt line event
    std::map<std::string, std::vector<Wire*>> state_wires_;  // by 8051 track: its reset, running and idle wires
    std::deque<Counter> counters_;
    std::priority_queue<Change, std::vector<Change>, std::greater<Change>> changes_;
    uint64_t next_sequence_ = 0;
    sc_core::sc_event wake_;
    std::set<std::pair<std::string, uint64_t>> live_mappings_;  // device, DMA address
    uint64_t active_mappings_ = 0;
};

}  // namespace platform
