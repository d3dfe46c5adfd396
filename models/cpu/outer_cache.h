// An outer (L2) cache in the style of the Arm PL310: a Cache array between the core's L1 and the
// bus, and maintenance registers by physical address, index/way and way that software must drive
// itself (clean inner then outer; invalidate outer then inner).
//
// Event cache.maint, a slice per operation: software writes a by-PA or by-index register once per
// line, so consecutive writes of one register (by PA: to consecutive lines) are one slice (op, pa
// and length; or op and lines), which ends at the next Cache Sync, as Linux's range operations
// end, at any other register write, or when the simulation ends (a last run without a Cache Sync,
// or cut short by a data abort or SIGINT); a by-way operation is a slice of its own (op, way_mask).
#pragma once

#include "models/bus/bus_port.h"
#include "models/cpu/cache.h"
#include "models/cpu/outer_cache_regs.h"

#include <systemc>
#include <tlm>

namespace models {

// What a PL310's node configures: its geometry, and its costs in the core's cycles (they become a
// CacheTiming once the core's clock is known).
struct OuterCacheConfig {
    CacheGeometry geometry;
    uint32_t hit_cycles = 8;
    MaintCycles maint_cycles{4, 3, 4};
};

class OuterCache : public sc_core::sc_module, public tlm::tlm_fw_transport_if<> {
public:
    tlm::tlm_target_socket<> cfg_in;
    tlm::tlm_initiator_socket<> out;

    OuterCache(sc_core::sc_module_name name, CacheGeometry geometry, CacheTiming timing, Instrumentation& instr);

    // An arm,pl310-cache node's properties (its registers' timing: register_timing_properties()).
    static const PropertyTable<OuterCacheConfig>& properties();

    Cache& cache() { return cache_; }
    void set_observer(CoherenceObserver* observer);

    void b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) override;
    bool get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi&) override { return false; }
    unsigned int transport_dbg(tlm::tlm_generic_payload&) override { return 0; }
    tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload&, tlm::tlm_phase&, sc_core::sc_time&) override {
        return tlm::TLM_COMPLETED;
    }

private:
    // A run of by-PA or by-index writes to one register, not emitted yet.
    struct MaintRun {
        uint32_t reg = 0;  // 0: none
        MaintOp op = MaintOp::clean;
        uint64_t pa = 0;    // by PA: the first line
        uint64_t next = 0;  // by PA: the line after the last
        uint64_t lines = 0;
        uint64_t start_ps = 0;
        uint64_t end_ps = 0;
    };

    bool write_register(uint32_t offset, uint64_t value, const Initiator& who, uint64_t& delay_ps);
    bool read_register(uint32_t offset, uint64_t& value) const;
    void maintain_ways(MaintOp op, uint64_t way_mask, const Initiator& who, uint64_t& delay_ps);
    // One line's operation through `reg`, by PA (set, way ignored) or by index.
    void maintain_one(uint32_t reg, MaintOp op, uint64_t pa, uint32_t set, uint32_t way, const Initiator& who,
                      uint64_t& delay_ps);
    void end_run();  // emits the pending run, if any
    // SystemC calls it inside sc_start, when the core's sc_stop ends the run: before the caller
    // finishes the trace.
    void end_of_simulation() override { end_run(); }

    Cache cache_;
    BusPort port_;
    Instrumentation& instr_;
    EventKind ev_maint_;
    MaintRun run_;
    uint32_t control_ = 1;
};

}  // namespace models
