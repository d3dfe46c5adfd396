// The DMA layer's mappings as its events tell them: dma.map / dma.alloc open one (unless it
// failed), dma.unmap / dma.free close one. Kept are the live mappings of each bus master by DMA
// address and a bounded list of recently ended ones, so that memory stays bounded however long the
// run. Shared by the timeline (flows from a mapping to its transfers and hazards) and the hazards'
// evidence (hazards.json, run.log, `dmasim report`).
#pragma once

#include "models/common/instrumentation.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace platform {

// An event's field `key`, or null when it has none (or, for the typed ones, one of another type).
const models::FieldValue* find_field(const models::Event& event, const char* key);
const uint64_t* unsigned_field(const models::Event& event, const char* key);
const std::string* text_field(const models::Event& event, const char* key);

// What an event does to the live mappings: dma.map / dma.alloc open one (unless it failed),
// dma.unmap / dma.free close one. The mapping is known by its device (the event's source) and its
// DMA address (the field dma_addr). Shared by the history and the waveforms.
enum class MappingChange { none, open, close };
MappingChange mapping_change(const models::Event& event, uint64_t& dma_addr);

// One mapping or allocation, from the fields of its dma.map / dma.alloc event.
struct DmaMapping {
    uint64_t serial = 0;    // 1, 2, ... in the order the mappings were opened
    std::string device;     // the DMA device, e.g. "0000:00:01.0"
    std::string type;       // single, page, sg, coherent or noncoherent
    std::string direction;  // to_device, from_device or bidirectional; empty for a coherent allocation
    uint64_t dma_addr = 0;
    uint64_t pa = 0;        // where the device's accesses land (a bounce slot, when bounced)
    uint64_t size = 0;
    uint64_t mapped_ps = 0;        // when the map or alloc call began
    uint64_t map_call_ps = 0;      // how long it took
    std::optional<uint64_t> unmapped_ps;  // when the unmap or free call returned; none while it is live

    // "0000:00:01.0 single from_device 4096 bytes @ dma 0x80001000 (unmapped at 1.766 us)".
    std::string describe() const;
};

class MappingHistory : public models::EventSink {
public:
    static constexpr size_t ended_kept = 256;
    static constexpr const char* events = "dma.map,dma.unmap,dma.alloc,dma.free";

    // `device_masters`: DMA device -> the bus master or endpoint doing its DMA, whose transfers
    // carry the mappings' DMA addresses; a device missing from it is a space of its own.
    explicit MappingHistory(std::map<std::string, std::string> device_masters)
        : device_masters_(std::move(device_masters)) {}

    // Subscribes to `events`, for a history that runs on its own (apply() when fed by another sink).
    void follow(models::Instrumentation& instr) { instr.add_sink(this, events); }
    void on_event(const models::Event& event) override { apply(event); }

    // What `event` changed and the mapping it opened or closed: valid until the next apply(), and
    // null when it changed nothing (a failed map, an unmap matching no live mapping).
    struct Applied {
        MappingChange change = MappingChange::none;
        const DmaMapping* mapping = nullptr;
    };
    Applied apply(const models::Event& event);

    size_t live_count() const { return live_count_; }
    // The live mapping of `master` (as in device_masters, or a device without one) holding the
    // bus address `dma_addr`, or null. O(log n).
    const DmaMapping* live_at(const std::string& master, uint64_t dma_addr) const;
    // The latest mapping, live or one of the last ended_kept ended, whose bytes hold `pa`, or
    // null. A scan: meant for hazards, which are rare, not for every access.
    const DmaMapping* covering(uint64_t pa) const;

private:
    using Space = std::map<uint64_t, DmaMapping>;  // live mappings of one bus master, by DMA address
    Space& space_of(const std::string& device);
    void remember_ended(const DmaMapping& mapping);

    std::map<std::string, std::string> device_masters_;
    std::map<std::string, Space> live_;  // by bus master (or device, when its master is unknown)
    size_t live_count_ = 0;
    std::deque<DmaMapping> ended_;       // the latest first
    uint64_t next_serial_ = 1;
};

// For each hazard the coherence monitor keeps in its details (the first max_details it raises,
// in order), the mapping covering its first byte when it was raised (MappingHistory::covering),
// or none. Runs its own history, so that it works with or without a timeline.
class HazardMappings : public models::EventSink {
public:
    HazardMappings(models::Instrumentation& instr, std::map<std::string, std::string> device_masters,
                   size_t max_details);
    HazardMappings(const HazardMappings&) = delete;
    HazardMappings& operator=(const HazardMappings&) = delete;

    void on_event(const models::Event& event) override;  // a hazard.* event
    const MappingHistory& history() const { return history_; }
    // Index i belongs to the monitor's details()[i]: every hazard it keeps is also an event, in
    // the same order, as soon as anyone listens.
    const std::vector<std::optional<DmaMapping>>& mappings() const { return mappings_; }

private:
    MappingHistory history_;
    size_t max_details_;
    std::vector<std::optional<DmaMapping>> mappings_;
};

}  // namespace platform
