#include "models/outer_cache.h"

#include <cstring>

namespace models {

OuterCache::OuterCache(sc_core::sc_module_name name, CacheGeometry geometry, CacheTiming timing,
                       Instrumentation& instr)
    : sc_module(name), cfg_in("cfg_in"), out("out"), cache_(this->name(), geometry, timing, instr), port_(out) {
    cfg_in.bind(*this);
    cache_.set_next_level(&port_);
    port_.serve_cache(cache_.name(), geometry.line_size);
}

void OuterCache::set_observer(CoherenceObserver* observer) {
    cache_.set_observer(observer);
    port_.set_observer(observer);
}

void OuterCache::maintain_ways(MaintOp op, uint64_t way_mask, const Initiator& who, uint64_t& delay_ps) {
    for (uint32_t way = 0; way < cache_.geometry().ways(); ++way)
        if (way_mask >> way & 1)
            for (uint32_t set = 0; set < cache_.geometry().sets; ++set)
                cache_.maintain_set_way(op, set, way, who, delay_ps);
}

// By-PA registers take a 32-bit PA as on the PL310, or a 64-bit one with an 8-byte write (for
// RAM above 4 GiB). Index/way values carry the way in bits [31:28] and the set above the line offset.
bool OuterCache::write_register(uint32_t offset, uint64_t value, const Initiator& who, uint64_t& delay_ps) {
    const CacheGeometry& geometry = cache_.geometry();
    uint32_t set = static_cast<uint32_t>(value / geometry.line_size) & (geometry.sets - 1);
    uint32_t way = static_cast<uint32_t>(value >> 28) & 0xf;
    switch (offset) {
    case control: control_ = static_cast<uint32_t>(value); return true;
    case cache_sync: return true;  // maintenance completes synchronously in this model
    case invalidate_pa: cache_.maintain_line(MaintOp::invalidate, value, who, delay_ps); return true;
    case clean_pa: cache_.maintain_line(MaintOp::clean, value, who, delay_ps); return true;
    case clean_invalidate_pa: cache_.maintain_line(MaintOp::clean_invalidate, value, who, delay_ps); return true;
    case clean_index: cache_.maintain_set_way(MaintOp::clean, set, way, who, delay_ps); return true;
    case clean_invalidate_index:
        cache_.maintain_set_way(MaintOp::clean_invalidate, set, way, who, delay_ps);
        return true;
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
