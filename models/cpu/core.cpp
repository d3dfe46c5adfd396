#include "models/cpu/core.h"

#include "models/common/access_fault.h"
#include "models/common/shared_events.h"
#include "models/irq/interrupt_controller.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>

namespace models {

const PropertyTable<CoreConfig>& Core::properties() {
    using Spec = PropertySpec<CoreConfig>;
    static const PropertyTable<CoreConfig> table{
        CoreConfig{},
        concat_properties<CoreConfig>({
            {Spec::number(
                 PropertyType::u64, "clock-frequency", "cycle_ps",
                 [](const CoreConfig& c) { return ps_per_s / c.cycle_ps; },
                 [](CoreConfig& c, uint64_t hz) { c.cycle_ps = ps_per_s / hz; })
                 .range(1, ps_per_s)
                 .with_unit("Hz")
                 .with_doc("the core's clock; a cycle is 10^12 / clock-frequency ps")},
            nested_properties(&CoreConfig::l1, "l1",
                              cache_geometry_properties("d-cache-", "the CPU part's (cpu_part.md)")),
            {Spec::number(PropertyType::u32, "dmasim,l1-hit-cycles", "l1_hit_cycles", &CoreConfig::l1_hit_cycles)
                 .with_unit("cycles")
                 .with_doc("an access the L1 serves")},
            nested_properties(&CoreConfig::l1_maint_cycles, "l1_maint_cycles", maint_cycle_properties()),
            {Spec::number(PropertyType::u32, "dmasim,uncached-cycles", "uncached_cycles", &CoreConfig::uncached_cycles)
                 .with_unit("cycles")
                 .with_doc("the core's side of an uncached access, on top of the bus"),
             Spec::number(PropertyType::u32, "dmasim,barrier-cycles", "barrier_cycles", &CoreConfig::barrier_cycles)
                 .with_unit("cycles")
                 .with_doc("a DSB or DMB"),
             Spec::number(
                 PropertyType::u64, "dmasim,quantum-ns", "quantum_ps",
                 [](const CoreConfig& c) { return c.quantum_ps / ps_per_ns; },
                 [](CoreConfig& c, uint64_t ns) { c.quantum_ps = ns * ps_per_ns; })
                 .range(1, 1000000000)
                 .with_unit("ns")
                 .with_doc("how far the core runs ahead of the SystemC kernel; `--quantum` overrides it"),
             Spec::choice("dmasim,alias-policy", "alias_policy", &CoreConfig::alias_policy,
                          {{"bypass", AliasPolicy::bypass}, {"hit", AliasPolicy::hit}})
                 .with_doc("a non-cacheable access to a line a cache holds goes to memory, or hits the line")},
            nested_properties(&CoreConfig::prefetch, "prefetch", Prefetcher::properties()),
        })};
    return table;
}

Core::Core(sc_core::sc_module_name name, const CoreConfig& config, Instrumentation& instr)
    : sc_module(name), out("out"), config_(config), instr_(instr), self_{InitiatorKind::core, config.id, 0},
      l1d_(std::string(this->name()) + ".l1d", config.l1,
           cache_timing(config.l1_hit_cycles, config.l1_maint_cycles, config.cycle_ps), instr),
      port_(out), prefetcher_(config.prefetch, config.l1.line_size), wc_data_(config.l1.line_size),
      stat_accesses_(instr.counter(std::string(this->name()) + ".accesses")),
      stat_uncached_reads_(instr.counter(std::string(this->name()) + ".uncached_reads")),
      stat_uncached_writes_(instr.counter(std::string(this->name()) + ".uncached_writes")),
      stat_wc_merged_(instr.counter(std::string(this->name()) + ".wc.merged_stores")),
      stat_wc_bursts_(instr.counter(std::string(this->name()) + ".wc.bursts")),
      stat_prefetch_issued_(instr.counter(std::string(this->name()) + ".prefetch.issued")),
      stat_barriers_(instr.counter(std::string(this->name()) + ".barriers")),
      stat_syncs_(instr.counter(std::string(this->name()) + ".quantum_syncs")),
      stat_aborts_(instr.counter(std::string(this->name()) + ".data_aborts")),
      stat_wfi_(instr.counter(std::string(this->name()) + ".wfi")),
      stat_wfi_ps_(instr.counter(std::string(this->name()) + ".wfi_ps")), ev_maint_(declare_cache_maint(instr)),
      ev_abort_(instr.declare_event("cpu.abort", "a data abort ended the program")) {
    l1d_.set_next_level(&port_);
    port_.serve_cache(l1d_.name(), config.l1.line_size);
    SC_THREAD(run);
}

void Core::set_outer_cache(Cache* outer) {
    outer_ = outer;
    l1d_.set_next_level(outer ? static_cast<LineBackend*>(outer) : &port_);
}

void Core::set_observer(CoherenceObserver* observer) {
    observer_ = observer;
    l1d_.set_observer(observer);
    port_.set_observer(observer);
}

void Core::run() {
    try {
        if (program_)
            program_(*this);
        drain_write_buffer();
    } catch (const AccessFault& fault) {
        ++stat_aborts_;
        fault_ = fmt::format("data abort at {} ps: {}", now_ps(), fault.what());
        instr_.emit(ev_abort_, Event{now_ps(),
                                     nullptr,
                                     name(),
                                     {{"address", fault.address}, {"reason", std::string(fault.what())}}});
    } catch (const std::exception& error) {
        fault_ = fmt::format("program failed at {} ps: {}", now_ps(), error.what());
    }
    sync();
    finished_ = true;
    sc_core::sc_stop();
}

void Core::sync() {
    ++stat_syncs_;
    sc_core::wait(sc_core::sc_time::from_value(local_ps_));
    local_ps_ = 0;
    if (sync_hook_)
        sync_hook_();
}

Translation Core::translate(uint64_t va) {
    Translation translation;
    if (__builtin_expect(!mmu_.translate(va, translation), 0))
        throw AccessFault(AccessFault::Kind::translation, va, fmt::format("translation fault at VA {:#x}", va));
    return translation;
}

// One access, counted once, done in pieces that each stay within one line (so a mismatched alias
// is checked line by line) and so within one page (the next page needs its own walk).
void Core::access_split(uint64_t va, void* data, unsigned length, bool is_write) {
    ++stat_accesses_;
    auto* bytes = static_cast<uint8_t*>(data);
    uint64_t line = l1d_.line_size();
    for (unsigned done = 0; done < length;) {
        Translation translation = translate(va + done);
        unsigned piece = static_cast<unsigned>(std::min<uint64_t>(length - done, line - (translation.pa & (line - 1))));
        if (translation.type == MemType::normal_wb)
            access_cacheable(translation.pa, bytes + done, piece, is_write);
        else if (translation.type == MemType::write_combined && is_write)
            write_combine(translation.pa, bytes + done, piece);
        else
            access_uncached(translation.pa, bytes + done, piece, is_write, translation.type);
        done += piece;
    }
}

// Next-line goes on while the program hits the lines it prefetched, as the Cortex-A9's prefetcher
// "continues to prefetch ... as long as it keeps hitting in the prefetched cache line" (TRM r4p1,
// 7.6.2). The fills go out at the access's own time, alongside its miss, and the core does not wait
// for them (Cache::prefetch).
void Core::prefetch_after(uint64_t pa, bool trigger, uint64_t issue_ps) {
    uint64_t candidate = trigger ? prefetcher_.next_line_candidate(pa) : ~0ULL;
    if (candidate != ~0ULL)
        prefetch_line(candidate, issue_ps);
    if (prefetcher_.mode() != PrefetchMode::aggressive)
        return;
    candidate = prefetcher_.random_candidate(pa);
    MemType type;
    if (candidate != ~0ULL && mmu_.linear_type(candidate, type) && type == MemType::normal_wb)
        prefetch_line(candidate, issue_ps);
}

// Issued at `issue_ps`, before the access's own time was charged; the core pays only what the L1
// charges it, a dirty victim's write-back.
void Core::prefetch_line(uint64_t pa, uint64_t issue_ps) {
    uint64_t delay_ps = issue_ps;
    if (l1d_.prefetch(pa, Initiator{InitiatorKind::prefetch, config_.id, 0}, delay_ps))
        ++stat_prefetch_issued_;
    local_ps_ += delay_ps - issue_ps;
}

// The "unexpected cache hit": with AliasPolicy::hit an uncached access to a cached line is served
// by the innermost cache holding it. Either way the monitor hears of the mismatched alias.
bool Core::alias_hit(uint64_t pa, void* data, unsigned length, bool is_write, MemType type) {
    for (Cache* cache : {&l1d_, outer_}) {
        if (!cache)
            continue;
        Cache::LineView line = cache->probe(pa);
        if (!line)
            continue;
        unsigned offset = static_cast<unsigned>(pa & (cache->line_size() - 1));
        if (observer_)
            observer_->on_mismatched_alias(cache->name(), pa, length, type, is_write, line.data + offset, self_,
                                           local_ps_);
        if (config_.alias_policy == AliasPolicy::bypass || offset + length > cache->line_size())
            return false;
        if (is_write) {
            std::memcpy(line.data + offset, data, length);
            *line.dirty |= byte_mask(offset, length);
            *line.stale &= ~byte_mask(offset, length);
        } else {
            std::memcpy(data, line.data + offset, length);
        }
        return true;
    }
    return false;
}

void Core::access_uncached(uint64_t pa, void* data, unsigned length, bool is_write, MemType type) {
    drain_write_buffer();
    ++(is_write ? stat_uncached_writes_ : stat_uncached_reads_);
    local_ps_ += config_.uncached_cycles * config_.cycle_ps;
    if (!alias_hit(pa, data, length, is_write, type))
        port_.transfer(is_write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, pa, data, length, self_, type,
                       local_ps_);
    if (local_ps_ >= config_.quantum_ps)
        sync();
}

void Core::write_combine(uint64_t pa, const void* data, unsigned length) {
    unsigned line = l1d_.line_size();
    uint64_t line_address = pa & ~uint64_t(line - 1);
    unsigned offset = static_cast<unsigned>(pa - line_address);
    if (offset + length > line) {  // split at the line boundary
        unsigned first = line - offset;
        write_combine(pa, data, first);
        write_combine(pa + first, static_cast<const uint8_t*>(data) + first, length - first);
        return;
    }
    if (line_address != wc_line_)
        drain_write_buffer();
    wc_line_ = line_address;
    std::memcpy(&wc_data_[offset], data, length);
    wc_mask_ |= byte_mask(offset, length);
    ++stat_wc_merged_;
    local_ps_ += config_.cycle_ps;
    if (wc_mask_ == byte_mask(0, line))
        drain_write_buffer();
}

// Drains as one burst per contiguous run of bytes (one burst when the line is full).
void Core::drain_write_buffer() {
    if (wc_line_ == ~0ULL)
        return;
    unsigned line = l1d_.line_size();
    for (unsigned start = 0; start < line;) {
        if (!(wc_mask_ >> start & 1)) {
            ++start;
            continue;
        }
        unsigned end = start;
        while (end < line && (wc_mask_ >> end & 1))
            ++end;
        ++stat_wc_bursts_;
        if (!alias_hit(wc_line_ + start, &wc_data_[start], end - start, true, MemType::write_combined))
            port_.transfer(tlm::TLM_WRITE_COMMAND, wc_line_ + start, &wc_data_[start], end - start, self_,
                           MemType::write_combined, local_ps_);
        start = end;
    }
    wc_line_ = ~0ULL;
    wc_mask_ = 0;
}

void Core::read_block(uint64_t va, void* dst, uint64_t length) {
    auto* out_bytes = static_cast<uint8_t*>(dst);
    for (uint64_t done = 0; done < length;) {
        unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(8, length - done));
        access(va + done, out_bytes + done, chunk, false);
        done += chunk;
    }
}

void Core::write_block(uint64_t va, const void* src, uint64_t length) {
    auto* in_bytes = static_cast<const uint8_t*>(src);
    for (uint64_t done = 0; done < length;) {
        unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(8, length - done));
        access(va + done, const_cast<uint8_t*>(in_bytes + done), chunk, true);
        done += chunk;
    }
}

void Core::fill_block(uint64_t va, uint8_t value, uint64_t length) {
    uint8_t pattern[8];
    std::memset(pattern, value, sizeof pattern);
    for (uint64_t done = 0; done < length;) {
        unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(8, length - done));
        access(va + done, pattern, chunk, true);
        done += chunk;
    }
}

void Core::maintain_range(MaintOp op, uint64_t va, uint64_t length) {
    uint64_t start_ps = now_ps();
    unsigned line = l1d_.line_size();
    uint64_t end = va + length;
    for (uint64_t address = va & ~uint64_t(line - 1); address < end; address += line)
        l1d_.maintain_line(op, translate(address).pa, self_, local_ps_);
    if (ev_maint_.enabled())
        instr_.emit(ev_maint_, Event{start_ps,
                                     nullptr,
                                     l1d_.name(),
                                     {{"op", std::string(to_string(op))},
                                      {"va", va},
                                      {"length", length},
                                      {"duration_ps", now_ps() - start_ps}}});
    if (local_ps_ >= config_.quantum_ps)
        sync();
}

void Core::dc_set_way(MaintOp op, uint32_t set, uint32_t way) {
    l1d_.maintain_set_way(op, set, way, self_, local_ps_);
    if (local_ps_ >= config_.quantum_ps)
        sync();
}

// A hint: an unmapped address is ignored, as PLD never faults. It retires once its linefill has
// started (Cortex-A53 TRM 6.6.1): the fill runs in the background.
void Core::pld(uint64_t va) {
    Translation translation;
    if (mmu_.translate(va, translation) && translation.type == MemType::normal_wb)
        l1d_.prefetch(translation.pa, Initiator{InitiatorKind::prefetch, config_.id, 0}, local_ps_);
    advance(config_.cycle_ps);
}

void Core::dsb() {
    drain_write_buffer();
    ++stat_barriers_;
    advance(config_.barrier_cycles * config_.cycle_ps);
}

// In this model a DMB orders exactly as much as a DSB: both drain the write buffer.
void Core::dmb() { dsb(); }

// Syncs first, so the controller is asked at the core's own time and the wait starts from it.
void Core::wfi() {
    ++stat_wfi_;
    if (!irq_controller_)
        throw std::runtime_error(fmt::format("wfi with no interrupt controller: nothing can wake {}", name()));
    sync();
    uint64_t start_ps = now_ps();
    while (!irq_controller_->irq_asserted(now_ps())) {
        std::string blocker = irq_controller_->delivery_blocker();
        if (!blocker.empty())
            throw std::runtime_error(fmt::format("wfi with no interrupt enabled: nothing can wake {} ({})", name(),
                                                 blocker));
        fault_ = fmt::format("{} waits in wfi since {} ps: the simulation ran out of events with no interrupt pending "
                             "(enabled IDs: {})",
                             name(), start_ps, fmt::join(irq_controller_->enabled_ids(), ", "));
        sc_core::wait(irq_controller_->irq_event());
        fault_.clear();
    }
    stat_wfi_ps_ += now_ps() - start_ps;
}

bool Core::irq_pending() { return irq_controller_ && irq_controller_->irq_asserted(now_ps()); }

uint64_t Core::read_gic_system_register(uint32_t encoding) {
    advance(config_.uncached_cycles * config_.cycle_ps);
    uint64_t value = 0;
    if (!irq_controller_ || !irq_controller_->read_system_register(encoding, now_ps(), value))
        throw std::runtime_error(fmt::format("{}: MRS of system register {:#x}, which its interrupt controller does "
                                             "not have (undefined instruction)",
                                             name(), encoding));
    return value;
}

void Core::write_gic_system_register(uint32_t encoding, uint64_t value) {
    advance(config_.uncached_cycles * config_.cycle_ps);
    if (!irq_controller_ || !irq_controller_->write_system_register(encoding, now_ps(), value))
        throw std::runtime_error(fmt::format("{}: MSR of system register {:#x}, which its interrupt controller does "
                                             "not have (undefined instruction)",
                                             name(), encoding));
}

}  // namespace models
