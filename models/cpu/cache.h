// A physically indexed, physically tagged, set-associative, write-back, write-allocate cache with
// LRU replacement that holds real data: a stale line really returns stale bytes. Plain C++ (no
// SystemC) so that a hit never enters the kernel or a socket; used as L1D inside the core and as
// the outer L2's array. Prefetch fills run in the background: the data is there at once, but a
// demand access pays what remains of the fill's time (the one place that reads the simulated clock).
#pragma once

#include "models/coherence/coherence_observer.h"
#include "models/common/instrumentation.h"
#include "models/common/property_table.h"
#include "models/cpu/line_backend.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace models {

struct CacheGeometry {
    static constexpr uint32_t min_line_size = 8;
    static constexpr uint32_t max_line_size = 64;

    uint32_t size = 32 * 1024;
    uint32_t line_size = 64;
    uint32_t sets = 128;
    uint32_t ways() const { return size / (line_size * sets); }
    // Empty if valid, else what is wrong ("line size 48 is not a power of two ...").
    std::string check() const;
};

enum class MaintOp { clean, invalidate, clean_invalidate };

struct CacheTiming {
    uint64_t hit_ps = 1000;  // per access served by this level
    // Per line visited by a maintenance operation, indexed by MaintOp; a write-back costs extra.
    std::array<uint64_t, 3> maint_line_ps{1000, 1000, 1000};
};
const char* to_string(MaintOp op);

// The device-tree properties of a cache's geometry: `prefix` + size, line-size, sets ("d-cache-"
// on a cpu node, "cache-" on an outer cache's, as the devicetree specification names them). The
// node's reader checks the three together (CacheGeometry::check). `default_doc` empty: the node
// must have them; else they are optional and the doc says where the default comes from.
std::vector<PropertySpec<CacheGeometry>> cache_geometry_properties(const std::string& prefix,
                                                                   const std::string& default_doc = {});

// Core cycles per line of each maintenance operation, indexed by MaintOp, and their properties.
using MaintCycles = std::array<uint32_t, 3>;
const std::vector<PropertySpec<MaintCycles>>& maint_cycle_properties();

// A level's timing from its costs in core cycles.
CacheTiming cache_timing(uint32_t hit_cycles, const MaintCycles& maint_cycles, uint64_t cycle_ps);

class Cache : public LineBackend {
public:
    Cache(std::string name, CacheGeometry geometry, CacheTiming timing, Instrumentation& instr);

    const std::string& name() const { return name_; }
    const CacheGeometry& geometry() const { return geometry_; }
    uint32_t line_size() const { return geometry_.line_size; }
    uint64_t line_address(uint64_t pa) const { return pa & ~uint64_t(geometry_.line_size - 1); }

    void set_next_level(LineBackend* below) { below_ = below; }
    void set_observer(CoherenceObserver* observer) { observer_ = observer; }

    // CPU accesses within one line; true on a hit. Inline, so that a hit costs no call and a
    // copy of a constant length becomes a single move.
    bool read(uint64_t pa, void* dst, unsigned length, const Initiator& who, uint64_t& delay_ps) {
        bool hit;
        size_t index = serve(pa, false, who, delay_ps, hit);
        unsigned offset = static_cast<unsigned>(pa & (geometry_.line_size - 1));
        std::memcpy(dst, line_data(index) + offset, length);
        uint64_t stale_read = stale_[index] & byte_mask(offset, length);
        if (__builtin_expect(stale_read != 0, 0))
            report_stale_read(index, stale_read, who, delay_ps);
        return hit;
    }
    bool write(uint64_t pa, const void* src, unsigned length, const Initiator& who, uint64_t& delay_ps) {
        bool hit;
        size_t index = serve(pa, true, who, delay_ps, hit);
        unsigned offset = static_cast<unsigned>(pa & (geometry_.line_size - 1));
        std::memcpy(line_data(index) + offset, src, length);
        uint64_t written = byte_mask(offset, length);
        dirty_[index] |= written;
        stale_[index] &= ~written;  // the CPU's store is now the newest value of these bytes
        return hit;
    }

    // Maintenance of the line holding `pa` (by PA), or of one set/way.
    void maintain_line(MaintOp op, uint64_t pa, const Initiator& who, uint64_t& delay_ps);
    void maintain_set_way(MaintOp op, uint32_t set, uint32_t way, const Initiator& who, uint64_t& delay_ps);

    // Speculative fill of a clean line if absent; false if already present. Issued at the
    // requester's local time `delay_ps`, the fill goes through the level below as a demand fill does
    // (same bus, same memory bandwidth) but is not waited for: the line arrives at its own time and
    // a demand access before then waits for the rest. Cortex-A53 TRM (DDI 0500D) 6.6.1-6.6.2: PLD and
    // the automatic prefetcher start linefills "in the background"; Cortex-A72 TRM 7.4: a demand for
    // a line being prefetched is served from the prefetch's data as it returns. Only write-backs of
    // dirty victims, here and in the levels below, advance `delay_ps`, as on a demand fill: this
    // model charges write-backs to the requester, and prefetching does not hide them.
    bool prefetch(uint64_t pa, const Initiator& who, uint64_t& delay_ps);

    // Whether the last demand access was the first use of a prefetched line; clears the flag. A
    // next-line prefetcher goes on while the program keeps hitting the lines it prefetched.
    bool take_prefetched_hit() {
        bool taken = prefetched_hit_;
        prefetched_hit_ = false;
        return taken;
    }

    // Look-up without side effects (no LRU update, no stats), for the monitor and alias checks.
    struct LineView {
        uint8_t* data = nullptr;
        uint64_t* dirty = nullptr;
        uint64_t* stale = nullptr;
        explicit operator bool() const { return data != nullptr; }
    };
    LineView probe(uint64_t pa);

    // LineBackend: the level above fills from and writes back into this cache.
    uint64_t fetch_line(uint64_t line_address, uint8_t* data, const Initiator& who, uint64_t& delay_ps) override;
    uint64_t write_back_line(uint64_t line_address, const uint8_t* data, uint64_t dirty, uint64_t stale,
                             const Initiator& who, uint64_t& delay_ps) override;

    uint64_t write_back_time_ps() const override { return write_back_time_ps_ + below_->write_back_time_ps(); }

    uint64_t dirty_lines() const;

private:
    static constexpr uint64_t invalid_tag = ~0ULL;
    static constexpr uint64_t not_prefetched = ~0ULL;
    struct Stats {
        uint64_t& read_hits;
        uint64_t& read_misses;
        uint64_t& write_hits;
        uint64_t& write_misses;
        uint64_t& fills;
        uint64_t& evictions;
        uint64_t& write_backs;
        uint64_t& prefetch_fills;
        uint64_t& prefetch_useful;   // prefetched lines a demand access used
        uint64_t& prefetch_useless;  // prefetched lines evicted, invalidated or overwritten unused
        uint64_t& prefetch_late;     // useful ones demanded while their fill was still in flight
        uint64_t* maint[3];          // indexed by MaintOp
        uint64_t& maint_set_way;
    };

    uint32_t set_of(uint64_t line_number) const { return static_cast<uint32_t>(line_number & set_mask_); }
    int find_way(uint64_t line_number) const {
        const uint64_t* set_tags = &tags_[size_t(set_of(line_number)) * ways_];
        for (uint32_t way = 0; way < ways_; ++way)
            if (set_tags[way] == line_number)
                return static_cast<int>(way);
        return -1;
    }
    size_t choose_victim(size_t base) const;
    size_t allocate(uint64_t line_number, const Initiator& who, uint64_t& delay_ps);  // evicts a victim
    size_t fill(uint64_t line_number, const Initiator& who, uint64_t& delay_ps);      // allocate + fetch
    // A demand access to the line at `index`: if it is a prefetched line not used yet, counts the
    // prefetch useful (and late, charging the rest of its fill to `delay_ps`).
    void use_prefetched(size_t index, uint64_t& delay_ps);
    // The line at `index` leaves (evicted, invalidated, overwritten): an unused prefetch was useless.
    void drop_prefetched(size_t index) {
        if (__builtin_expect(unused_prefetches_ != 0, 0) && prefetch_ready_ps_[index] != not_prefetched) {
            ++stats_.prefetch_useless;
            prefetch_ready_ps_[index] = not_prefetched;
            --unused_prefetches_;
        }
    }
    // The line for an access, filled on a miss; counts the access, marks the line used and
    // charges the hit latency.
    size_t serve(uint64_t pa, bool is_write, const Initiator& who, uint64_t& delay_ps, bool& hit) {
        uint64_t line_number = pa >> line_shift_;
        size_t index;
        hit = true;
        if (line_number == mru_line_) {
            index = mru_index_;  // already the most recently used: the LRU order stays as it is
        } else {
            int way = find_way(line_number);
            hit = way >= 0;
            if (__builtin_expect(hit, 1)) {
                index = size_t(set_of(line_number)) * ways_ + way;
                // The MRU line above is never an unused prefetch: only a demand makes a line MRU.
                if (__builtin_expect(unused_prefetches_ != 0, 0))
                    use_prefetched(index, delay_ps);
            } else {
                index = fill(line_number, who, delay_ps);
            }
            mru_line_ = line_number;
            mru_index_ = index;
            touch(index);
        }
        if (is_write)
            ++(hit ? stats_.write_hits : stats_.write_misses);
        else
            ++(hit ? stats_.read_hits : stats_.read_misses);
        delay_ps += timing_.hit_ps;
        return index;
    }
    void report_stale_read(size_t index, uint64_t stale_bytes, const Initiator& who, uint64_t delay_ps);
    void write_back(size_t index, const Initiator& who, uint64_t& delay_ps);
    void apply(MaintOp op, size_t index, const Initiator& who, uint64_t& delay_ps);
    void touch(size_t index) { lru_[index] = ++lru_clock_; }
    uint8_t* line_data(size_t index) { return &data_[index * geometry_.line_size]; }
    uint64_t line_base(size_t index) const { return tags_[index] << line_shift_; }

    std::string name_;
    CacheGeometry geometry_;
    CacheTiming timing_;
    uint32_t ways_;
    unsigned line_shift_;
    uint64_t set_mask_;
    LineBackend* below_ = nullptr;
    CoherenceObserver* observer_ = nullptr;

    std::vector<uint64_t> tags_;   // line number (pa >> line_shift), invalid_tag if empty
    std::vector<uint64_t> lru_;    // last-use stamp
    std::vector<uint64_t> dirty_;  // byte masks
    std::vector<uint64_t> stale_;
    std::vector<uint8_t> data_;
    // Per line: when its prefetch fill completes (absolute ps) while no demand has used it yet, else
    // not_prefetched. unused_prefetches_ counts the former, so that with no prefetch pending a hit
    // costs one compare more.
    std::vector<uint64_t> prefetch_ready_ps_;
    uint64_t unused_prefetches_ = 0;
    bool prefetched_hit_ = false;
    uint64_t write_back_time_ps_ = 0;  // this level's write-backs, without what they cost in write-backs below
    uint64_t lru_clock_ = 0;
    // The line the last access used: most accesses hit it again. Reset whenever a tag changes.
    uint64_t mru_line_ = invalid_tag;
    size_t mru_index_ = 0;
    Stats stats_;
};

}  // namespace models
