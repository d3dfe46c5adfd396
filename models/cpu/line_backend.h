// What sits below a cache: another cache, or the bus. Lines move with two byte masks that the
// coherence monitor reads: `dirty` (bytes the CPU wrote since the line was filled) and `stale`
// (bytes a bus master wrote to memory after this copy was taken).
#pragma once

#include "models/common/access_extension.h"

#include <cstdint>

namespace models {

class LineBackend {
public:
    virtual ~LineBackend() = default;
    // Fills `data` with the line at `line_address`; returns the stale mask of the copy delivered.
    virtual uint64_t fetch_line(uint64_t line_address, uint8_t* data, const Initiator& initiator,
                                uint64_t& delay_ps) = 0;
    // Takes a dirty line; returns the stale mask the writer's copy has afterwards (0 once the
    // line has reached memory, since memory then holds exactly these bytes).
    virtual uint64_t write_back_line(uint64_t line_address, const uint8_t* data, uint64_t dirty, uint64_t stale,
                                     const Initiator& initiator, uint64_t& delay_ps) = 0;
    // Simulated time spent so far writing back victims evicted by this level and those below, each
    // counted once: a prefetch charges its requester what its fill cost in write-backs.
    virtual uint64_t write_back_time_ps() const { return 0; }
};

inline uint64_t byte_mask(unsigned offset, unsigned length) {
    return length >= 64 ? ~0ULL : ((1ULL << length) - 1) << offset;
}

}  // namespace models
