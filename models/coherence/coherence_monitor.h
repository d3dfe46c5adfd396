// Ground truth for coherence: watches every memory write (and by whom), every device read, and
// the caches' fills, hits and write-backs, and reports each hazard byte-accurately with evidence.
// It keeps its per-byte state in the caches' own line masks (a per-line check on the hit path);
// a run without the monitor attached never sets them and pays nothing.
#pragma once

#include "models/bus/router.h"
#include "models/coherence/coherence_observer.h"
#include "models/common/property_table.h"
#include "models/cpu/cache.h"

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace models {

enum class HazardKind { stale_cpu_read, lost_device_write, stale_device_read, mismatched_alias, stale_iommu_walk };
constexpr int hazard_kind_count = 5;
const char* to_string(HazardKind kind);

struct Hazard {
    explicit Hazard(HazardKind kind) : kind(kind) {}
    HazardKind kind;
    uint64_t time_ps = 0;
    uint64_t address = 0;  // first byte concerned
    uint32_t length = 0;   // span of the bytes concerned
    uint32_t bytes = 0;    // how many bytes in the span are concerned
    std::string actor;     // the reader or writer whose access is wrong
    std::string where;     // the cache holding the conflicting copy
    std::string previous_writer;
    uint64_t previous_time_ps = 0;
    std::vector<uint8_t> expected;  // first 16 bytes of the span: what should have been seen/kept
    std::vector<uint8_t> observed;  // what was seen/written instead
};

// Whether a platform has the monitor (the root node's switch; `--no-monitor` overrides it).
struct CoherenceMonitorConfig {
    bool enabled = true;
};

class CoherenceMonitor : public BusObserver, public CoherenceObserver {
public:
    static constexpr unsigned evidence_bytes = 16;

    CoherenceMonitor(Instrumentation& instr, Router& router, uint32_t line_size, size_t max_details);

    // The root node's property that switches the monitor.
    static const PropertyTable<CoherenceMonitorConfig>& properties();

    void add_cache(Cache* cache) { caches_.push_back(cache); }

    uint64_t count(HazardKind kind) const { return *counts_[static_cast<int>(kind)]; }
    uint64_t total() const;
    const std::vector<Hazard>& details() const { return details_; }
    size_t max_details() const { return max_details_; }

    void on_bus_access(const tlm::tlm_generic_payload& payload, uint64_t address, uint64_t time_ps) override;
    void on_stale_read(const std::string& cache, uint64_t line_address, uint64_t stale_bytes, const uint8_t* line_data,
                       const Initiator& reader, uint64_t delay_ps) override;
    void on_lost_write(const std::string& cache, uint64_t line_address, uint64_t stale_bytes, const uint8_t* line_data,
                       const Initiator& writer, uint64_t delay_ps) override;
    void on_mismatched_alias(const std::string& cache, uint64_t address, unsigned length, MemType type, bool is_write,
                             const uint8_t* cached, const Initiator& who, uint64_t delay_ps) override;

private:
    struct Write {
        Initiator writer;
        uint64_t time_ps;
    };
    void mark_stale_copies(uint64_t address, uint64_t length, const Initiator& writer, uint64_t time_ps);
    void refresh_copies(uint64_t address, const uint8_t* data, uint64_t length);
    void check_device_read(const tlm::tlm_generic_payload& payload, uint64_t address, const Initiator& reader,
                           uint64_t time_ps);
    // Fills the byte span, previous writer and memory-side bytes, counts, keeps, and emits.
    void report(Hazard hazard, uint64_t line_address, uint64_t mask, const uint8_t* line_bytes, bool memory_expected);

    Instrumentation& instr_;
    Router& router_;
    uint32_t line_size_;
    size_t max_details_;
    std::vector<Cache*> caches_;
    std::unordered_map<uint64_t, Write> last_write_;  // by line address, non-CPU-cache writers
    std::vector<Hazard> details_;
    std::array<uint64_t*, hazard_kind_count> counts_;
    std::array<EventKind, hazard_kind_count> events_;
};

}  // namespace models
