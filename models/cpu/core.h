// One ARM core: an SC_THREAD that runs the software (a workload), with its L1 data cache, MMU,
// write-combining buffer and prefetcher. All memory access from software goes through here:
// loads, stores, block copies, cache maintenance by VA and set/way, and barriers. A cache hit is
// plain C++ in this thread; the core syncs with the SystemC kernel only when its quantum is spent.
#pragma once

#include "models/bus/bus_port.h"
#include "models/common/instrumentation.h"
#include "models/common/property_table.h"
#include "models/cpu/cache.h"
#include "models/cpu/mmu.h"
#include "models/cpu/prefetcher.h"

#include <cstdint>
#include <functional>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

namespace models {

// What a non-cacheable access does to a line that a cache holds (a mismatched alias).
enum class AliasPolicy { bypass, hit };
class InterruptController;

struct CoreConfig {
    uint32_t id = 0;
    uint64_t cycle_ps = 1000;  // 1 GHz
    CacheGeometry l1;
    uint32_t l1_hit_cycles = 1;
    std::array<uint32_t, 3> l1_maint_cycles{2, 1, 2};  // per line, by MaintOp
    uint32_t uncached_cycles = 4;                      // core-side cost of an uncached access, on top of the bus
    uint32_t barrier_cycles = 10;
    uint64_t quantum_ps = 10000000;  // 10 us: well under one thread switch per 1000 accesses
    AliasPolicy alias_policy = AliasPolicy::bypass;
    PrefetchConfig prefetch;
};

class Core : public sc_core::sc_module {
public:
    tlm::tlm_initiator_socket<> out;

    using Program = std::function<void(Core&)>;

    Core(sc_core::sc_module_name name, const CoreConfig& config, Instrumentation& instr);
    SC_HAS_PROCESS(Core);

    // A cpu node's properties, from CoreConfig's defaults.
    static const PropertyTable<CoreConfig>& properties();

    // Wiring (elaboration): the outer cache, if any; else L1 refills go straight to the bus.
    void set_outer_cache(Cache* outer);
    void set_observer(CoherenceObserver* observer);
    void set_program(Program program) { program_ = std::move(program); }
    // Called on the core's thread after each quantum sync, off the access path: a cheap point
    // for progress reports.
    void set_sync_hook(std::function<void()> hook) { sync_hook_ = std::move(hook); }
    // The controller whose IRQ output drives this core's IRQ input.
    void set_interrupt_controller(InterruptController* controller) { irq_controller_ = controller; }

    // --- the memory interface software uses ---
    uint8_t load8(uint64_t va) { return load<uint8_t>(va); }
    uint16_t load16(uint64_t va) { return load<uint16_t>(va); }
    uint32_t load32(uint64_t va) { return load<uint32_t>(va); }
    uint64_t load64(uint64_t va) { return load<uint64_t>(va); }
    void store8(uint64_t va, uint8_t value) { store(va, value); }
    void store16(uint64_t va, uint16_t value) { store(va, value); }
    void store32(uint64_t va, uint32_t value) { store(va, value); }
    void store64(uint64_t va, uint64_t value) { store(va, value); }
    void read_block(uint64_t va, void* dst, uint64_t length);
    void write_block(uint64_t va, const void* src, uint64_t length);
    void fill_block(uint64_t va, uint8_t value, uint64_t length);

    // Data cache maintenance by VA to the point of coherency, on the L1 (the outer cache is
    // maintained through its own registers, as on ARMv7 with a PL310).
    void dc_clean(uint64_t va, uint64_t length) { maintain_range(MaintOp::clean, va, length); }
    void dc_invalidate(uint64_t va, uint64_t length) { maintain_range(MaintOp::invalidate, va, length); }
    void dc_clean_invalidate(uint64_t va, uint64_t length) { maintain_range(MaintOp::clean_invalidate, va, length); }
    void dc_set_way(MaintOp op, uint32_t set, uint32_t way);
    // PLD: a preload hint. Fills the line of a cacheable address as a speculative access would,
    // returning nothing; ignored for other memory types.
    void pld(uint64_t va);
    void dsb();
    void dmb();
    // MRS / MSR of a GICv3 CPU interface register (ICC_*_EL1, by its encoding: gic::CpuSystemRegister),
    // which the core hands to its interrupt controller at its own time; costs uncached_cycles.
    // std::runtime_error (an undefined instruction) when the controller has no such register.
    uint64_t read_gic_system_register(uint32_t encoding);
    void write_gic_system_register(uint32_t encoding, uint64_t value);

    // WFI: returns at once if an interrupt is signalled, else suspends the core's thread until
    // one is (simulated time advances to it). std::runtime_error when none can ever come (no
    // controller, or nothing enabled). While the core waits, fault() says why the program did not
    // finish, should the simulation run out of events.
    void wfi();
    // ISR.I: whether the IRQ input is asserted now (software's check before taking the exception).
    bool irq_pending();

    // Time spent computing (no memory access).
    void compute(uint64_t cycles) { advance(cycles * config_.cycle_ps); }

    Mmu& mmu() { return mmu_; }
    Cache& l1d() { return l1d_; }
    Cache* outer_cache() { return outer_; }
    const CoreConfig& config() const { return config_; }
    uint32_t id() const { return config_.id; }
    uint64_t now_ps() const { return sc_core::sc_time_stamp().value() + local_ps_; }
    uint64_t accesses() const { return stat_accesses_; }

    bool finished() const { return finished_; }
    const std::string& fault() const { return fault_; }  // empty unless the program aborted

private:
    template <typename T>
    T load(uint64_t va) {
        T value;
        access(va, &value, sizeof(T), false);
        return value;
    }
    template <typename T>
    void store(uint64_t va, T value) {
        access(va, &value, sizeof(T), true);
    }

    void run();
    // The common case inline: a cacheable access within one line whose page is in the TLB (a TLB
    // miss walks in access_split).
    void access(uint64_t va, void* data, unsigned length, bool is_write) {
        Translation translation;
        if (__builtin_expect(mmu_.tlb_lookup(va, translation) && translation.type == MemType::normal_wb &&
                                 (translation.pa & (l1d_.line_size() - 1)) + length <= l1d_.line_size(),
                             1)) {
            ++stat_accesses_;
            access_cacheable(translation.pa, data, length, is_write);
        } else {
            access_split(va, data, length, is_write);
        }
    }
    // Everything else: faults, line and page crossings, uncached and write-combined accesses.
    void access_split(uint64_t va, void* data, unsigned length, bool is_write);
    void access_cacheable(uint64_t pa, void* data, unsigned length, bool is_write) {
        uint64_t issue_ps = local_ps_;  // a prefetch this access triggers goes out with it
        bool hit = is_write ? l1d_.write(pa, data, length, self_, local_ps_)
                            : l1d_.read(pa, data, length, self_, local_ps_);
        if (prefetcher_.mode() != PrefetchMode::off)
            prefetch_after(pa, !hit || l1d_.take_prefetched_hit(), issue_ps);
        if (__builtin_expect(local_ps_ >= config_.quantum_ps, 0))
            sync();
    }
    void access_uncached(uint64_t pa, void* data, unsigned length, bool is_write, MemType type);
    bool alias_hit(uint64_t pa, void* data, unsigned length, bool is_write, MemType type);
    void write_combine(uint64_t pa, const void* data, unsigned length);
    void drain_write_buffer();
    // The prefetcher's fills after an access at `pa` that began at local time `issue_ps`; `trigger`:
    // it missed, or was the first use of a prefetched line.
    void prefetch_after(uint64_t pa, bool trigger, uint64_t issue_ps);
    void prefetch_line(uint64_t pa, uint64_t issue_ps);
    void maintain_range(MaintOp op, uint64_t va, uint64_t length);
    Translation translate(uint64_t va);
    void advance(uint64_t ps) {
        local_ps_ += ps;
        if (local_ps_ >= config_.quantum_ps)
            sync();
    }
    void sync();

    CoreConfig config_;
    Instrumentation& instr_;
    Initiator self_;
    Cache l1d_;
    Cache* outer_ = nullptr;
    BusPort port_;
    Mmu mmu_;
    Prefetcher prefetcher_;
    CoherenceObserver* observer_ = nullptr;
    Program program_;
    std::function<void()> sync_hook_;
    InterruptController* irq_controller_ = nullptr;
    uint64_t local_ps_ = 0;

    // Write-combining buffer: one line, with a mask of the bytes it holds.
    uint64_t wc_line_ = ~0ULL;
    uint64_t wc_mask_ = 0;
    std::vector<uint8_t> wc_data_;

    bool finished_ = false;
    std::string fault_;

    uint64_t& stat_accesses_;
    uint64_t& stat_uncached_reads_;
    uint64_t& stat_uncached_writes_;
    uint64_t& stat_wc_merged_;
    uint64_t& stat_wc_bursts_;
    uint64_t& stat_prefetch_issued_;
    uint64_t& stat_barriers_;
    uint64_t& stat_syncs_;
    uint64_t& stat_aborts_;
    uint64_t& stat_wfi_;
    uint64_t& stat_wfi_ps_;
    EventKind ev_maint_;
    EventKind ev_abort_;
};

}  // namespace models
