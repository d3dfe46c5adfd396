// What a master's DMA port asks of an IOMMU in front of it: the system address of a bus address
// (an IOVA). Kept apart from the IOMMU model so that models/bus does not depend on it: the
// platform gives a master's DmaPort the SMMU (models/iommu/smmu.h) when the master names it
// (`iommus`, or its host bridge's `iommu-map`).
#pragma once

#include "models/common/access_extension.h"

#include <cstdint>
#include <tlm>

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

}  // namespace models
