// What a device with local memory tells whoever watches it (the CoherenceMonitor, for
// outside_local_memory): its address decoder turned a bus address that lies outside the local
// memory into a local offset anyway, as a decoder that keeps only the bits indexing the memory
// does. The firmware asked where a buffer the host's DMA API gave it lives; the answer names local
// memory the buffer is not in (seed experiment 6: coherent memory that did not come from the
// device's own pool).
#pragma once

#include <cstdint>
#include <string>

namespace models {

struct LocalMemoryDecode {
    std::string decoder;       // who decoded, e.g. "mfd0.decoder"
    std::string actor;         // on whose behalf, e.g. "mfd0.mcs51"
    uint64_t bus_address = 0;  // the address it was given
    uint64_t local_base = 0;   // the local memory's bus address range [local_base, +local_size)
    uint64_t local_size = 0;
    uint64_t local_offset = 0;  // the offset in the local memory it reached instead
    uint64_t time_ps = 0;
};

class LocalMemoryObserver {
public:
    virtual ~LocalMemoryObserver() = default;
    // A decode of an address outside [local_base, local_base + local_size).
    virtual void on_outside_local_memory(const LocalMemoryDecode& decode) = 0;
};

}  // namespace models
