// Events that several models emit under one name, declared here so that each has one description
// (Instrumentation keeps the first one declared, and which model a platform builds first varies).
#pragma once

#include "models/common/instrumentation.h"

namespace models {

// A DMA transfer of a bus master or a PCI endpoint, as a slice on the initiator's track.
inline EventKind declare_dma_read(Instrumentation& instr) {
    return instr.declare_event("dma.read", "a bus master or PCI endpoint reads memory (a slice: addr, the bus "
                                           "address; pa, the system address, for an endpoint; length)");
}

inline EventKind declare_dma_write(Instrumentation& instr) {
    return instr.declare_event("dma.write", "a bus master or PCI endpoint writes memory (a slice: addr, the bus "
                                            "address; pa, the system address, for an endpoint; length)");
}

// Cache maintenance: the L1's by VA over a range, the outer cache's by PA (consecutive lines of one
// operation merged into a range), by index or by way.
inline EventKind declare_cache_maint(Instrumentation& instr) {
    return instr.declare_event("cache.maint", "cache maintenance (a slice: op; the L1's by VA over va, length; "
                                              "the outer cache's by PA over pa, length, by index over lines, or "
                                              "by way over way_mask)");
}

}  // namespace models
