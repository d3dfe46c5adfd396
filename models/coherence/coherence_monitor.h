// Ground truth for coherence: watches every memory write (and by whom), every device read, and
// the caches' fills, hits and write-backs, and reports each hazard byte-accurately with evidence.
// It keeps its per-byte state in the caches' own line masks (a per-line check on the hit path);
// a run without the monitor attached never sets them and pays nothing.
#pragma once

#include "models/bus/router.h"
#include "models/coherence/coherence_observer.h"
#include "models/coherence/iotlb_observer.h"
#include "models/coherence/local_memory_observer.h"
#include "models/common/property_table.h"
#include "models/cpu/cache.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace models {

enum class HazardKind {
    stale_cpu_read,
    lost_device_write,
    stale_device_read,
    mismatched_alias,
    stale_iommu_walk,
    stale_iotlb,
    outside_local_memory,
};
constexpr int hazard_kind_count = 7;
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
    // stale_iotlb: the span is the changed descriptor (expected: as memory holds it now, observed: as
    // the entry was filled from it), previous_writer the last write to its line; and these.
    uint64_t iova = 0;                   // the access's IOVA
    uint64_t translated_pa = 0;          // the address the stale entry gave it
    std::optional<uint64_t> current_pa;  // the one the tables give now; none: they give nothing
    uint64_t filled_time_ps = 0;         // when the entry was filled
    // outside_local_memory: `address` is the bus address decoded (length 1, no bytes compared), `where`
    // the decoder; the local memory's range and the offset in it the address reached instead.
    uint64_t local_base = 0;
    uint64_t local_size = 0;
    uint64_t local_offset = 0;
};

// Whether a platform has the monitor (the root node's switch; `--no-monitor` overrides it).
struct CoherenceMonitorConfig {
    bool enabled = true;
};

class CoherenceMonitor : public BusObserver,
                         public CoherenceObserver,
                         public IotlbObserver,
                         public LocalMemoryObserver {
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

    // stale_iotlb: the lines holding the descriptors of live IOTLB entries are watched for writes;
    // a hit on an entry after one compares the descriptors it was filled from with memory.
    void on_iotlb_fill(IotlbFill& fill) override;
    void on_iotlb_drop(const IotlbFill& fill) override;
    void on_iotlb_hit(IotlbFill& fill, uint64_t iova, uint64_t pa, const Initiator& who, uint64_t delay_ps,
                      IommuTables& tables) override;

    // outside_local_memory: a device's address decoder reached its local memory for a bus address
    // outside it (the firmware was given a buffer that is not in the device's memory).
    void on_outside_local_memory(const LocalMemoryDecode& decode) override;

private:
    struct Write {
        Initiator writer;
        uint64_t time_ps;
    };
    // A line holding descriptors that live IOTLB entries were filled from.
    struct WatchedLine {
        unsigned descriptors = 0;  // of live entries (one per entry and level)
        std::optional<Write> last_write;
    };
    void mark_stale_copies(uint64_t address, uint64_t length, const Initiator& writer, uint64_t time_ps);
    void refresh_copies(uint64_t address, const uint8_t* data, uint64_t length);
    void check_device_read(const tlm::tlm_generic_payload& payload, uint64_t address, const Initiator& reader,
                           uint64_t time_ps);
    void note_descriptor_write(uint64_t address, uint64_t length, const Initiator& writer, uint64_t time_ps);
    // Fills the byte span, previous writer and memory-side bytes, counts, keeps, and emits.
    void report(Hazard hazard, uint64_t line_address, uint64_t mask, const uint8_t* line_bytes, bool memory_expected);
    // Counts, keeps and emits a filled-in hazard.
    void record(Hazard hazard);

    Instrumentation& instr_;
    Router& router_;
    uint32_t line_size_;
    size_t max_details_;
    std::vector<Cache*> caches_;
    std::unordered_map<uint64_t, Write> last_write_;           // by line address, non-CPU-cache writers
    std::unordered_map<uint64_t, WatchedLine> watched_lines_;  // by line address
    // Watched descriptors counted by their line number's low bits: a write whose count is 0 is to no
    // watched line, known without a lookup.
    static constexpr size_t watch_filter_size = 4096;
    std::vector<uint32_t> watch_filter_ = std::vector<uint32_t>(watch_filter_size, 0);
    uint32_t& watch_count(uint64_t line) { return watch_filter_[(line / line_size_) & (watch_filter_size - 1)]; }
    uint64_t watched_writes_ = 0;  // writes to watched lines so far: an entry stamped with it is unchanged
    std::vector<Hazard> details_;
    std::array<uint64_t*, hazard_kind_count> counts_;
    std::array<EventKind, hazard_kind_count> events_;
};

}  // namespace models
