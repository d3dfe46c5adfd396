// What a master's DMA port asks of an IOMMU in front of it: the system address of a bus address
// (an IOVA). Kept apart from the IOMMU model so that models/bus does not depend on it: the
// platform gives a master's DmaPort the SMMU (models/iommu/smmu.h) when the master names it
// (`iommus`, or its host bridge's `iommu-map`).
#pragma once

#include "models/common/access_extension.h"

#include <cstdint>
#include <tlm>
#include <vector>

namespace models {

class DmaTranslator {
public:
    virtual ~DmaTranslator() = default;

    // Translates [iova, iova + length), which lies within one 4 KiB page, for a read or a write by
    // `who` with stream ID `stream_id`: TLM_OK_RESPONSE with `pa` set, or an error response when
    // the access faults (the translator records and reports the fault; the master ends its
    // transfer with a bus error). Advances `delay_ps` (the caller's local-time offset) by what the
    // translation costs (IOTLB lookup, table walk).
    virtual tlm::tlm_response_status translate(uint32_t stream_id, uint64_t iova, uint64_t length, bool write,
                                               const Initiator& who, uint64_t& pa, uint64_t& delay_ps) = 0;
};

// One entry of a PCI host's `iommu-map` (the IOMMU's phandle aside): requester IDs
// [rid_base, rid_base + length) are stream IDs sid_base onwards.
struct IommuMapEntry {
    uint32_t rid_base = 0;
    uint32_t sid_base = 0;
    uint32_t length = 0;
};

// The stream ID of requester ID `rid` through `map` and its `iommu-map-mask`, as Linux's of_map_id
// (drivers/of/base.c) computes it: the first entry holding rid & mask gives sid_base + the offset.
// `found` is false when no entry holds it: of_map_id then names no IOMMU, the device gets none and
// its DMA bypasses translation; the returned ID is then `rid`, as of_map_id's "bypasses translation".
inline uint32_t map_requester_id(const std::vector<IommuMapEntry>& map, uint32_t mask, uint32_t rid, bool& found) {
    uint32_t masked = rid & mask;
    for (const IommuMapEntry& entry : map) {
        if (masked >= entry.rid_base && masked - entry.rid_base < entry.length) {
            found = true;
            return entry.sid_base + (masked - entry.rid_base);
        }
    }
    found = false;
    return rid;
}

}  // namespace models
