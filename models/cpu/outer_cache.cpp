#include "models/cpu/outer_cache.h"

#include "models/common/shared_events.h"

#include <cstring>

namespace models {

using namespace outer_cache;

namespace {

bool is_by_pa(uint32_t reg) {
    return reg == outer_cache::invalidate_pa || reg == outer_cache::clean_pa || reg == outer_cache::clean_invalidate_pa;
}

}  // namespace

const PropertyTable<OuterCacheConfig>& OuterCache::properties() {
    using Spec = PropertySpec<OuterCacheConfig>;
    static const PropertyTable<OuterCacheConfig> table{
        OuterCacheConfig{},
        concat_properties<OuterCacheConfig>({
            nested_properties(&OuterCacheConfig::geometry, "geometry", cache_geometry_properties("cache-")),
            {Spec::number(PropertyType::u32, "dmasim,hit-cycles", "hit_cycles", &OuterCacheConfig::hit_cycles)
                 .with_unit("cycles")
                 .with_doc("an access the L2 serves, in core cycles")},
            nested_properties(&OuterCacheConfig::maint_cycles, "maint_cycles", maint_cycle_properties()),
        })};
    return table;
}

OuterCache::OuterCache(sc_core::sc_module_name name, CacheGeometry geometry, CacheTiming timing, Instrumentation& instr)
    : sc_module(name), cfg_in("cfg_in"), out("out"), cache_(this->name(), geometry, timing, instr), port_(out),
      instr_(instr), ev_maint_(declare_cache_maint(instr)) {
    cfg_in.bind(*this);
    cache_.set_next_level(&port_);
    port_.serve_cache(cache_.name(), geometry.line_size);
}

void OuterCache::set_observer(CoherenceObserver* observer) {
    cache_.set_observer(observer);
    port_.set_observer(observer);
}

void OuterCache::maintain_ways(MaintOp op, uint64_t way_mask, const Initiator& who, uint64_t& delay_ps) {
    uint64_t start_ps = sc_core::sc_time_stamp().value() + delay_ps;
    for (uint32_t way = 0; way < cache_.geometry().ways(); ++way)
        if (way_mask >> way & 1)
            for (uint32_t set = 0; set < cache_.geometry().sets; ++set)
                cache_.maintain_set_way(op, set, way, who, delay_ps);
    if (ev_maint_.enabled())
        instr_.emit(ev_maint_, Event{start_ps,
                                     nullptr,
                                     cache_.name(),
                                     {{"op", std::string(to_string(op))},
                                      {"way_mask", way_mask},
                                      {"duration_ps", sc_core::sc_time_stamp().value() + delay_ps - start_ps}}});
}

void OuterCache::maintain_one(uint32_t reg, MaintOp op, uint64_t pa, uint32_t set, uint32_t way, const Initiator& who,
                              uint64_t& delay_ps) {
    bool by_pa = is_by_pa(reg);
    uint64_t line = pa & ~uint64_t(cache_.geometry().line_size - 1);
    uint64_t start_ps = sc_core::sc_time_stamp().value() + delay_ps;
    if (by_pa)
        cache_.maintain_line(op, pa, who, delay_ps);
    else
        cache_.maintain_set_way(op, set, way, who, delay_ps);
    if (!ev_maint_.enabled())
        return;
    if (run_.reg != reg || (by_pa && line != run_.next)) {
        end_run();
        run_ = MaintRun{reg, op, line, line, 0, start_ps, 0};
    }
    run_.next = line + cache_.geometry().line_size;
    ++run_.lines;
    run_.end_ps = sc_core::sc_time_stamp().value() + delay_ps;
}

void OuterCache::end_run() {
    if (!run_.reg)
        return;
    std::vector<Field> fields = {{"op", std::string(to_string(run_.op))}};
    if (is_by_pa(run_.reg)) {
        fields.push_back({"pa", run_.pa});
        fields.push_back({"length", run_.next - run_.pa});
    } else {
        fields.push_back({"lines", run_.lines});
    }
    fields.push_back({"duration_ps", run_.end_ps - run_.start_ps});
    instr_.emit(ev_maint_, Event{run_.start_ps, nullptr, cache_.name(), std::move(fields)});
    run_ = MaintRun{};
}

// By-PA registers take a 32-bit PA as on the PL310, or a 64-bit one with an 8-byte write (for
// RAM above 4 GiB). Index/way values carry the way in bits [31:28] and the set above the line offset.
bool OuterCache::write_register(uint32_t offset, uint64_t value, const Initiator& who, uint64_t& delay_ps) {
    const CacheGeometry& geometry = cache_.geometry();
    uint32_t set = static_cast<uint32_t>(value / geometry.line_size) & (geometry.sets - 1);
    uint32_t way = static_cast<uint32_t>(value >> 28) & 0xf;
    switch (offset) {
    case invalidate_pa: maintain_one(offset, MaintOp::invalidate, value, 0, 0, who, delay_ps); return true;
    case clean_pa: maintain_one(offset, MaintOp::clean, value, 0, 0, who, delay_ps); return true;
    case clean_invalidate_pa: maintain_one(offset, MaintOp::clean_invalidate, value, 0, 0, who, delay_ps); return true;
    case clean_index: maintain_one(offset, MaintOp::clean, 0, set, way, who, delay_ps); return true;
    case clean_invalidate_index:
        maintain_one(offset, MaintOp::clean_invalidate, 0, set, way, who, delay_ps);
        return true;
    default: break;
    }
    end_run();  // any other register write ends a run of line operations
    switch (offset) {
    case control: control_ = static_cast<uint32_t>(value); return true;
    case cache_sync: return true;  // maintenance completes synchronously in this model
    case invalidate_way: maintain_ways(MaintOp::invalidate, value, who, delay_ps); return true;
    case clean_way: maintain_ways(MaintOp::clean, value, who, delay_ps); return true;
    case clean_invalidate_way: maintain_ways(MaintOp::clean_invalidate, value, who, delay_ps); return true;
    default: return false;
    }
}

bool OuterCache::read_register(uint32_t offset, uint64_t& value) const {
    switch (offset) {
    case cache_id: value = 0x410000c9; return true;  // Arm, PL310 r3p3
    case cache_type: value = 0; return true;
    case control: value = control_; return true;
    case cache_sync:
    case invalidate_way:
    case clean_way:
    case clean_invalidate_way: value = 0; return true;  // never busy
    default: return false;
    }
}

void OuterCache::b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    unsigned length = payload.get_data_length();
    uint64_t offset = payload.get_address();
    if ((length != 4 && length != 8) || offset % 4 != 0 || offset >= register_space) {
        payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    uint64_t value = 0;
    bool ok;
    if (payload.is_write()) {
        std::memcpy(&value, payload.get_data_ptr(), length);
        uint64_t delay_ps = delay.value();
        ok = write_register(static_cast<uint32_t>(offset), value, access_of(payload).initiator, delay_ps);
        delay = sc_core::sc_time::from_value(delay_ps);
    } else {
        ok = read_register(static_cast<uint32_t>(offset), value);
        std::memcpy(payload.get_data_ptr(), &value, length);
    }
    payload.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

}  // namespace models
