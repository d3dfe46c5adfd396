// The coherence facts only the caches, the core and the bus port can see, reported to whoever
// watches (the CoherenceMonitor). Every callback receives the caller's local-time offset so the
// observer can stamp the simulated time.
#pragma once

#include "models/common/access_extension.h"

#include <cstdint>
#include <string>

namespace models {

class CoherenceObserver {
public:
    virtual ~CoherenceObserver() = default;
    // A cacheable read returned bytes (stale_bytes, a mask within the line) older than memory.
    virtual void on_stale_read(const std::string& cache, uint64_t line_address, uint64_t stale_bytes,
                               const uint8_t* line_data, const Initiator& reader, uint64_t delay_ps) = 0;
    // A dirty line is about to be written back over bytes a master wrote after the copy was taken.
    virtual void on_lost_write(const std::string& cache, uint64_t line_address, uint64_t stale_bytes,
                               const uint8_t* line_data, const Initiator& writer, uint64_t delay_ps) = 0;
    // A non-cacheable access touches a line that a cache holds; `cached` points at the cache's
    // copy of the accessed bytes.
    virtual void on_mismatched_alias(const std::string& cache, uint64_t address, unsigned length, MemType type,
                                     bool is_write, const uint8_t* cached, const Initiator& who, uint64_t delay_ps) = 0;
};

}  // namespace models
