// --trace-json: the run as a Chrome trace-event file, which ui.perfetto.dev and chrome://tracing
// open. Records are written as events arrive, so memory stays bounded (the live mappings, a short
// history of ended ones and the track table), and the file is closed as valid JSON however the
// run ends: normally, on a simulation error, on a configuration error after the file was opened,
// or on SIGINT.
//
// One process, a track (thread) per source of events, in the layout's order: the core, its L1, the
// L2, the DMA layer's cache maintenance ("dma"), each DMA device (its mapping calls and dma-debug
// reports), each bus master (its transfers), each IOMMU (its table walks as slices, faults and
// invalidations as instants) and its own DMA device (the cleans of the tables its driver writes),
// then per PCI host bridge the bridge (unsupported requests, master aborts) and per function its
// DMA device and its endpoint (its DMA requests and commands); any other source gets a track when
// it first appears.
// An event becomes
//   - with a `duration_ps` field: a complete slice ("X") from the event's time;
//   - dma.map / dma.alloc .. dma.unmap / dma.free: besides their slices, the mapping's life as an
//     async slice ("b" .. "e") named "<device> mapping", from the DMA layer's record of the call
//     (the writer is a dma::MappingListener: add it to the dma::Context); when dma.map or dma.alloc
//     is traced, the ends are followed (and the slice ended) even if --trace does not show dma.unmap
//     / dma.free;
//   - irq.<line>: a counter of the line's level;
//   - anything else: an instant ("i") with its fields as args.
// Counters ("C") sampled at event times when they change: dma.active_mappings (when dma.map or
// dma.alloc is traced), swiotlb slots in use, atomic, per-device and dma_pool use (is_sampled_counter,
// including counters created during the run), and the caches' dirty lines (a scan of every line,
// so at most once per dirty_sample_interval_ps). Flows ("s" .. "f") go from a mapping's map call to
// each transfer of the bus master or PCI endpoint doing its device's DMA whose bus address lies in
// the mapping's DMA addresses, and to each hazard on its bytes (while it is live, or one of the
// last dma::MappingHistory::ended_kept after it ended). "ts" and "dur" are simulated microseconds, the
// format's unit, written as exact decimals of the picoseconds.
#pragma once

#include "dma/mapping_history.h"
#include "dma/mapping_listener.h"
#include "models/common/instrumentation.h"
#include "models/cpu/cache.h"

#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace platform {

class Platform;

// The counters the timeline and the waveforms sample: swiotlb.slots_in_use, dma.atomic_pool.used,
// dma.coherent_pool.<name>.used_pages, dma_pool.blocks_in_use and dma_pool.pools.<name>.blocks_in_use.
bool is_sampled_counter(const std::string& path);

struct TraceTrack {
    std::string source;  // the events' source, e.g. "dma0"
    std::string label;   // the track's name in the viewer
};

struct TraceLayout {
    std::string title;                                  // the process's name
    std::vector<TraceTrack> tracks;                     // in display order
    std::map<std::string, std::string> device_masters;  // DMA device -> the bus master or endpoint doing its DMA
    std::vector<const models::Cache*> caches;           // their dirty lines are sampled
};

// The layout of a built platform: cpu0, cpu0.l1d, l2, the DMA layer, the DMA devices, the bus
// masters, the IOMMUs with their own DMA devices, the PCI bridges with their functions' DMA devices (named as the
// kernel will name them when it enumerates) and endpoints.
TraceLayout trace_layout(Platform& platform, const std::string& title);

class TraceJson : public models::EventSink, public dma::MappingListener {
public:
    static constexpr uint64_t dirty_sample_interval_ps = 100000;  // 100 ns

    // Opens `path`, writes the header and the tracks, and subscribes to the events `globs` selects
    // (comma-separated). ConfigError if a glob matches no declared event (workload.* globs excepted:
    // a workload declares its events when it runs) or the file cannot be written. Build the sink
    // after the whole system, and after declaring the events software declares while running.
    TraceJson(const std::string& path, models::Instrumentation& instr, TraceLayout layout,
              const std::string& globs = "*");
    ~TraceJson() override;  // closes the JSON if finish() was not called
    TraceJson(const TraceJson&) = delete;
    TraceJson& operator=(const TraceJson&) = delete;

    void on_event(const models::Event& event) override;
    // A record of a traced or followed call, applied to the mappings; written with its event, which comes next.
    void on_mapping_call(const dma::MappingRecord& record) override;
    // Samples the counters a last time, adds the instant "run.end" with `result` and closes the
    // file; ConfigError if anything could not be written.
    void finish(uint64_t time_ps, const std::string& result);

private:
    struct Gauge {
        std::string name;
        const uint64_t* value;
        std::optional<uint64_t> written;  // none before its first sample
    };
    unsigned track(const std::string& source);  // its tid, added on first use
    unsigned add_track(const std::string& source, const std::string& label);
    void write_record(const std::string& record);
    void write_slice(const models::Event& event, unsigned tid, uint64_t duration_ps);
    void write_instant(const models::Event& event, unsigned tid);
    void write_counter(const std::string& name, uint64_t time_ps, const std::string& args);
    void write_flow(const dma::DmaMapping& mapping, unsigned to_tid, uint64_t to_ps, bool into_slice);
    void write_mapping_change(const models::Event& event, dma::MappingHistory::Applied applied);
    void flow_to_transfer(const models::Event& event, unsigned tid, uint64_t middle_ps);
    void flow_to_hazard(const models::Event& event, unsigned tid);
    void find_gauges();
    void sample_counters(uint64_t time_ps);
    void sample_dirty_lines(uint64_t time_ps);
    void close();

    std::string path_;
    std::ofstream out_;
    models::Instrumentation& instr_;
    TraceLayout layout_;
    bool counts_mappings_;                       // dma.map or dma.alloc is traced
    std::vector<std::string> followed_only_;     // dma.unmap / dma.free when only their mappings' ends are traced
    std::set<dma::MappingCall> followed_calls_;  // those whose events are subscribed to
    std::map<std::string, unsigned> tids_;
    bool first_record_ = true;
    bool closed_ = false;
    dma::MappingHistory mappings_;  // fed the records of subscribed calls; a mapping's serial is its async slice's id
    dma::MappingHistory::Applied pending_change_;  // what the last record did, until its event arrives
    size_t written_live_count_ = 0;
    uint64_t next_flow_id_ = 1;
    std::vector<Gauge> gauges_;
    std::set<std::string> gauge_names_;
    size_t counters_seen_ = 0;  // the size of instr_.counters() when gauges_ was last brought up to date
    std::vector<uint64_t> written_dirty_;
    bool dirty_sampled_ = false;
    uint64_t dirty_sampled_ps_ = 0;
};

// `--trace help`: every event in `descriptions` with its description, one per line.
std::string trace_help(const std::map<std::string, std::string>& descriptions);

}  // namespace platform
