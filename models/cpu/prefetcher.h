// A core's speculative data prefetcher, seeded and deterministic. `next_line` fetches the line
// after a miss, and after the first use of a line it prefetched (within the page); `aggressive` also fills, at a set
// rate, random lines near recent accesses — any line the cacheable linear map allows, which is how a cacheable alias of
// an uncached buffer gets refilled behind the software's back.
#pragma once

#include "models/common/property_table.h"

#include <array>
#include <cstdint>
#include <string>

namespace models {

enum class PrefetchMode { off, next_line, aggressive };

struct PrefetchConfig {
    PrefetchMode mode = PrefetchMode::off;
    uint32_t rate_per_10k = 50;  // aggressive: random fills per 10,000 accesses
    uint32_t window = 4096;      // aggressive: bytes either side of a recent access
    uint64_t seed = 1;
};

class Prefetcher {
public:
    Prefetcher(PrefetchConfig config, uint32_t line_size);

    // The settings a cpu node gives its prefetcher (the seed is the run's).
    static const std::vector<PropertySpec<PrefetchConfig>>& properties();

    PrefetchMode mode() const { return config_.mode; }

    // Next-line candidate after a miss at `pa`, or nothing (~0) when it would cross a page.
    uint64_t next_line_candidate(uint64_t pa) const;

    // Counts one access at `pa`; when the random countdown expires, returns a candidate line
    // address near a recent access, else ~0.
    uint64_t random_candidate(uint64_t pa) {
        recent_[recent_next_++ % recent_.size()] = pa;
        if (--countdown_ != 0)
            return ~0ULL;
        return draw_candidate();
    }

private:
    uint64_t draw_candidate();
    uint64_t next_random();
    void rearm();

    PrefetchConfig config_;
    uint32_t line_size_;
    uint64_t rng_state_;
    uint64_t countdown_ = 1;
    std::array<uint64_t, 4> recent_{};
    uint32_t recent_next_ = 0;
};

}  // namespace models
