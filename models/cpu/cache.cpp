#include "models/cpu/cache.h"

#include <cstring>
#include <fmt/format.h>
#include <systemc>

namespace models {

namespace {
bool is_power_of_two(uint64_t v) { return v && !(v & (v - 1)); }
unsigned log2_of(uint64_t v) { return static_cast<unsigned>(__builtin_ctzll(v)); }
}  // namespace

std::string CacheGeometry::check() const {
    if (!is_power_of_two(line_size) || line_size < min_line_size || line_size > max_line_size)
        return fmt::format("line size {} must be a power of two from {} to {} bytes", line_size, min_line_size,
                           max_line_size);
    if (!is_power_of_two(sets))
        return fmt::format("number of sets {} must be a power of two", sets);
    if (size == 0 || size % (uint64_t(line_size) * sets) != 0)
        return fmt::format("size {} must be a non-zero multiple of line size x sets = {}", size,
                           uint64_t(line_size) * sets);
    return {};
}

const char* to_string(MaintOp op) {
    switch (op) {
    case MaintOp::clean: return "clean";
    case MaintOp::invalidate: return "invalidate";
    case MaintOp::clean_invalidate: return "clean_invalidate";
    }
    return "?";
}

std::vector<PropertySpec<CacheGeometry>> cache_geometry_properties(const std::string& prefix,
                                                                   const std::string& default_doc) {
    using Spec = PropertySpec<CacheGeometry>;
    std::vector<Spec> specs = {Spec::number(PropertyType::u32, prefix + "size", "size", &CacheGeometry::size)
                                   .mandatory()
                                   .at_least(1)
                                   .with_unit("bytes")
                                   .with_doc("a multiple of line size x sets; ways = size / (line size x sets)"),
                               Spec::number(PropertyType::u32, prefix + "line-size", "line_size",
                                            &CacheGeometry::line_size)
                                   .mandatory()
                                   .power_of_two_up_to(CacheGeometry::max_line_size, CacheGeometry::min_line_size)
                                   .with_unit("bytes")
                                   .with_doc("the line: the unit of fills, write-backs and maintenance"),
                               Spec::number(PropertyType::u32, prefix + "sets", "sets", &CacheGeometry::sets)
                                   .mandatory()
                                   .power_of_two_up_to(std::numeric_limits<uint32_t>::max())
                                   .with_doc("sets of the set-associative array")};
    if (!default_doc.empty())
        for (Spec& spec : specs) {
            spec.required = false;
            spec.default_is(default_doc);
        }
    return specs;
}

const std::vector<PropertySpec<MaintCycles>>& maint_cycle_properties() {
    using Spec = PropertySpec<MaintCycles>;
    auto op = [](MaintOp which, const char* name, const char* field, const char* doc) {
        size_t i = static_cast<size_t>(which);
        return Spec::number(
                   PropertyType::u32, name, field, [i](const MaintCycles& cycles) { return uint64_t(cycles[i]); },
                   [i](MaintCycles& cycles, uint64_t value) { cycles[i] = static_cast<uint32_t>(value); })
            .with_unit("cycles per line")
            .with_doc(doc);
    };
    static const std::vector<Spec> specs = {
        op(MaintOp::clean, "dmasim,clean-cycles", "[clean]", "clean of a line by address or set/way"),
        op(MaintOp::invalidate, "dmasim,invalidate-cycles", "[invalidate]", "invalidate of a line"),
        op(MaintOp::clean_invalidate, "dmasim,clean-invalidate-cycles", "[clean_invalidate]",
           "clean and invalidate of a line"),
    };
    return specs;
}

CacheTiming cache_timing(uint32_t hit_cycles, const MaintCycles& maint_cycles, uint64_t cycle_ps) {
    return CacheTiming{hit_cycles * cycle_ps,
                       {maint_cycles[0] * cycle_ps, maint_cycles[1] * cycle_ps, maint_cycles[2] * cycle_ps}};
}

Cache::Cache(std::string name, CacheGeometry geometry, CacheTiming timing, Instrumentation& instr)
    : name_(std::move(name)), geometry_(geometry), timing_(timing), ways_(geometry.ways()),
      line_shift_(log2_of(geometry.line_size)), set_mask_(geometry.sets - 1),
      tags_(size_t(geometry.sets) * ways_, invalid_tag), lru_(tags_.size(), 0), dirty_(tags_.size(), 0),
      stale_(tags_.size(), 0), data_(size_t(geometry.size), 0),
      prefetch_ready_ps_(tags_.size(), not_prefetched), stats_{instr.counter(name_ + ".read_hits"),
                                                               instr.counter(name_ + ".read_misses"),
                                                               instr.counter(name_ + ".write_hits"),
                                                               instr.counter(name_ + ".write_misses"),
                                                               instr.counter(name_ + ".fills"),
                                                               instr.counter(name_ + ".evictions"),
                                                               instr.counter(name_ + ".write_backs"),
                                                               instr.counter(name_ + ".prefetch_fills"),
                                                               instr.counter(name_ + ".prefetch_useful"),
                                                               instr.counter(name_ + ".prefetch_useless"),
                                                               instr.counter(name_ + ".prefetch_late"),
                                                               {&instr.counter(name_ + ".maint.clean"),
                                                                &instr.counter(name_ + ".maint.invalidate"),
                                                                &instr.counter(name_ + ".maint.clean_invalidate")},
                                                               instr.counter(name_ + ".maint.set_way")} {}

void Cache::write_back(size_t index, const Initiator& who, uint64_t& delay_ps) {
    ++stats_.write_backs;
    uint64_t start_ps = delay_ps, below_before_ps = below_->write_back_time_ps();
    stale_[index] = below_->write_back_line(line_base(index), line_data(index), dirty_[index], stale_[index], who,
                                            delay_ps);
    dirty_[index] = 0;
    write_back_time_ps_ += (delay_ps - start_ps) - (below_->write_back_time_ps() - below_before_ps);
}

// The first empty way of the set starting at `base`, else its first least recently used one.
// The oldest stamp is kept in a local so that the scan is one load and compare per way.
size_t Cache::choose_victim(size_t base) const {
    const uint64_t* set_tags = &tags_[base];
    const uint64_t* set_lru = &lru_[base];
    uint32_t victim = 0;
    uint64_t oldest = set_lru[0];
    for (uint32_t way = 0; way < ways_; ++way) {
        if (set_tags[way] == invalid_tag)
            return base + way;
        if (set_lru[way] < oldest) {
            victim = way;
            oldest = set_lru[way];
        }
    }
    return base + victim;
}

// Takes the victim's way, writing the victim back if dirty.
size_t Cache::allocate(uint64_t line_number, const Initiator& who, uint64_t& delay_ps) {
    size_t victim = choose_victim(size_t(set_of(line_number)) * ways_);
    if (tags_[victim] != invalid_tag) {
        ++stats_.evictions;
        drop_prefetched(victim);
        if (dirty_[victim])
            write_back(victim, who, delay_ps);
    }
    tags_[victim] = line_number;
    mru_line_ = invalid_tag;
    dirty_[victim] = 0;
    stale_[victim] = 0;
    return victim;
}

size_t Cache::fill(uint64_t line_number, const Initiator& who, uint64_t& delay_ps) {
    size_t index = allocate(line_number, who, delay_ps);
    ++stats_.fills;
    stale_[index] = below_->fetch_line(line_base(index), line_data(index), who, delay_ps);
    return index;
}

void Cache::report_stale_read(size_t index, uint64_t stale_bytes, const Initiator& who, uint64_t delay_ps) {
    if (observer_)
        observer_->on_stale_read(name_, line_base(index), stale_bytes, line_data(index), who, delay_ps);
}

void Cache::apply(MaintOp op, size_t index, const Initiator& who, uint64_t& delay_ps) {
    delay_ps += timing_.maint_line_ps[static_cast<int>(op)];
    if (tags_[index] == invalid_tag)
        return;
    if (op != MaintOp::invalidate && dirty_[index])
        write_back(index, who, delay_ps);
    if (op != MaintOp::clean) {
        drop_prefetched(index);
        tags_[index] = invalid_tag;  // dirty data, if any, is discarded, as on hardware
        mru_line_ = invalid_tag;
        dirty_[index] = 0;
        stale_[index] = 0;
    }
}

void Cache::maintain_line(MaintOp op, uint64_t pa, const Initiator& who, uint64_t& delay_ps) {
    ++*stats_.maint[static_cast<int>(op)];
    uint64_t line_number = pa >> line_shift_;
    int way = find_way(line_number);
    if (way < 0) {
        delay_ps += timing_.maint_line_ps[static_cast<int>(op)];
        return;
    }
    apply(op, size_t(set_of(line_number)) * ways_ + way, who, delay_ps);
}

void Cache::maintain_set_way(MaintOp op, uint32_t set, uint32_t way, const Initiator& who, uint64_t& delay_ps) {
    ++stats_.maint_set_way;
    ++*stats_.maint[static_cast<int>(op)];
    if (set >= geometry_.sets || way >= ways_)
        return;  // out-of-range set/way operands are ignored, as the architecture leaves them UNPREDICTABLE
    apply(op, size_t(set) * ways_ + way, who, delay_ps);
}

void Cache::use_prefetched(size_t index, uint64_t& delay_ps) {
    uint64_t ready_ps = prefetch_ready_ps_[index];
    if (ready_ps == not_prefetched)
        return;
    prefetch_ready_ps_[index] = not_prefetched;
    --unused_prefetches_;
    ++stats_.prefetch_useful;
    prefetched_hit_ = true;
    uint64_t now_ps = sc_core::sc_time_stamp().value() + delay_ps;
    if (ready_ps > now_ps) {
        ++stats_.prefetch_late;
        delay_ps += ready_ps - now_ps;
    }
}

bool Cache::prefetch(uint64_t pa, const Initiator& who, uint64_t& delay_ps) {
    uint64_t line_number = pa >> line_shift_;
    if (find_way(line_number) >= 0)
        return false;
    size_t index = allocate(line_number, who, delay_ps);
    ++stats_.prefetch_fills;
    uint64_t fill_ps = delay_ps;  // the fill's own clock: nobody waits for it
    uint64_t below_before_ps = below_->write_back_time_ps();
    stale_[index] = below_->fetch_line(line_base(index), line_data(index), who, fill_ps);
    delay_ps += below_->write_back_time_ps() - below_before_ps;  // room made below for the fill
    lru_[index] = 0;  // not "used": a prefetched line is the next victim candidate
    prefetch_ready_ps_[index] = sc_core::sc_time_stamp().value() + fill_ps;
    ++unused_prefetches_;
    return true;
}

Cache::LineView Cache::probe(uint64_t pa) {
    uint64_t line_number = pa >> line_shift_;
    int way = find_way(line_number);
    if (way < 0)
        return {};
    size_t index = size_t(set_of(line_number)) * ways_ + way;
    return LineView{line_data(index), &dirty_[index], &stale_[index]};
}

uint64_t Cache::fetch_line(uint64_t line_address, uint8_t* data, const Initiator& who, uint64_t& delay_ps) {
    bool hit;
    size_t index = serve(line_address, false, who, delay_ps, hit);
    std::memcpy(data, line_data(index), geometry_.line_size);
    return stale_[index];
}

// A whole line arrives, so a miss allocates without reading the line from below.
uint64_t Cache::write_back_line(uint64_t line_address, const uint8_t* data, uint64_t dirty, uint64_t stale,
                                const Initiator& who, uint64_t& delay_ps) {
    uint64_t line_number = line_address >> line_shift_;
    int way = find_way(line_number);
    size_t index;
    if (way >= 0) {
        ++stats_.write_hits;
        index = size_t(set_of(line_number)) * ways_ + way;
        drop_prefetched(index);  // the whole line is replaced: the prefetched copy went unused
    } else {
        ++stats_.write_misses;
        index = allocate(line_number, who, delay_ps);
    }
    touch(index);
    mru_line_ = line_number;  // keeps serve()'s "the MRU line needs no touch" exact
    mru_index_ = index;
    delay_ps += timing_.hit_ps;
    std::memcpy(line_data(index), data, geometry_.line_size);
    dirty_[index] |= dirty;
    stale_[index] = stale;
    return stale;
}

uint64_t Cache::dirty_lines() const {
    uint64_t count = 0;
    for (size_t index = 0; index < tags_.size(); ++index)
        count += tags_[index] != invalid_tag && dirty_[index] != 0;
    return count;
}

}  // namespace models
