// Typed records of the DMA-mapping API's calls that open or close a mapping, for code that keeps
// track of mappings (dma/mapping_history.h, the timeline, the waveforms) without reading events back.
// dma/mapping.cpp, in one place, tells every listener of the Context of a call and then emits the
// same call as the event dma.map, dma.unmap, dma.alloc or dma.free (run.log, the trace).
#pragma once

#include "dma/debug.h"
#include "dma/types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dma {

// The API call a record tells of; event_name() is the name of its event.
enum class MappingCall { map, unmap, alloc, free };
const char* event_name(MappingCall call);  // "dma.map", "dma.unmap", "dma.alloc", "dma.free"

// What a record does to the live mappings.
enum class MappingChange { none, open, close };

// One streaming mapping (a map_sg call gives one per DMA segment) or allocation, opened or closed.
struct MappingRecord {
    MappingCall call = MappingCall::map;
    std::string device;                     // the device DMA is delegated to (Device::dma_dev()): the event's source
    DebugType type = DebugType::single;     // single, page, sg, coherent or noncoherent, as dma-debug records it
    std::optional<DmaDirection> direction;  // none for a coherent allocation
    dma_addr_t dma_addr = 0;                // DMA_MAPPING_ERROR when a map failed
    uint64_t pa = 0;                        // where the device's accesses land (a bounce slot, when bounced)
    uint64_t size = 0;
    uint64_t start_ps = 0;     // when the call began
    uint64_t duration_ps = 0;  // how long it took
    // Every physical run behind the bytes, in bus-address order, when there is more than one (an
    // IOMMU mapping of scattered pages; `pa` is the first's start); empty for one run at `pa`.
    std::vector<PhysExtent> extents;

    // map and alloc open a mapping, unmap and free close one; a failed map (or an unmap of
    // DMA_MAPPING_ERROR) changes nothing.
    MappingChange change() const;
};

class MappingListener {
public:
    virtual ~MappingListener() = default;
    // Called before the call's event is emitted: a listener that is also a sink of the event has
    // the record when the event arrives.
    virtual void on_mapping_call(const MappingRecord& record) = 0;
};

}  // namespace dma
