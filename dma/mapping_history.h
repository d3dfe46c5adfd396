// The DMA layer's mappings as its calls tell them (dma/mapping_listener.h): map and alloc open one
// (unless it failed), unmap and free close one. Kept are the live mappings of each bus master by DMA
// address and a bounded list of recently ended ones, so that memory stays bounded however long the
// run. Shared by the timeline (flows from a mapping to its transfers and hazards) and the hazards'
// evidence (hazards.json, run.log, `dmasim report`).
#pragma once

#include "dma/debug.h"
#include "dma/mapping_listener.h"
#include "dma/types.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dma {

// One mapping or allocation, from the record of its map or alloc call.
struct DmaMapping {
    uint64_t serial = 0;                    // 1, 2, ... in the order the mappings were opened
    std::string device;                     // the DMA device, e.g. "0000:00:01.0"
    DebugType type = DebugType::single;     // single, page, sg, coherent or noncoherent
    std::optional<DmaDirection> direction;  // none for a coherent allocation
    dma_addr_t dma_addr = 0;
    uint64_t pa = 0;  // where the device's accesses land (a bounce slot, when bounced)
    uint64_t size = 0;
    uint64_t mapped_ps = 0;               // when the map or alloc call began
    uint64_t map_call_ps = 0;             // how long it took
    std::optional<uint64_t> unmapped_ps;  // when the unmap or free call returned; none while it is live
    std::vector<PhysExtent> extents;      // the physical runs when more than one (MappingRecord::extents)

    // Whether the device's accesses to the mapping land on the byte at `pa`.
    bool holds(uint64_t pa) const;
};

class MappingHistory : public MappingListener {
public:
    static constexpr size_t ended_kept = 256;

    // `device_masters`: DMA device -> the bus master or endpoint doing its DMA, whose transfers
    // carry the mappings' DMA addresses; a device missing from it is a space of its own.
    explicit MappingHistory(std::map<std::string, std::string> device_masters)
        : device_masters_(std::move(device_masters)) {}

    // For a history that follows a Context on its own (Context::add_mapping_listener); apply()
    // when fed by another listener.
    void on_mapping_call(const MappingRecord& record) override { apply(record); }

    // What `record` changed and the mapping it opened or closed: valid until the next apply(), and
    // null when it changed nothing (a failed map, an unmap matching no live mapping).
    struct Applied {
        MappingChange change = MappingChange::none;
        const DmaMapping* mapping = nullptr;
    };
    Applied apply(const MappingRecord& record);

    size_t live_count() const { return live_count_; }
    // The live mapping of `master` (as in device_masters, or a device without one) holding the
    // bus address `dma_addr`, or null. O(log n).
    const DmaMapping* live_at(const std::string& master, uint64_t dma_addr) const;
    // The latest mapping, live or one of the last ended_kept ended, whose bytes hold `pa` (in any
    // of its physical runs), or null. A scan: meant for hazards, which are rare, not for every access.
    const DmaMapping* covering(uint64_t pa) const;

private:
    using Space = std::map<uint64_t, DmaMapping>;  // live mappings of one bus master, by DMA address
    Space& space_of(const std::string& device);
    void remember_ended(const DmaMapping& mapping);

    std::map<std::string, std::string> device_masters_;
    std::map<std::string, Space> live_;  // by bus master (or device, when its master is unknown)
    size_t live_count_ = 0;
    std::deque<DmaMapping> ended_;  // the latest first
    uint64_t next_serial_ = 1;
};

}  // namespace dma
