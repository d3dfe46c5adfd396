#include "models/cpu/prefetcher.h"

namespace models {

bool parse_prefetch_mode(const std::string& text, PrefetchMode& out) {
    for (PrefetchMode mode : {PrefetchMode::off, PrefetchMode::next_line, PrefetchMode::aggressive}) {
        if (text == to_string(mode)) {
            out = mode;
            return true;
        }
    }
    return false;
}

const char* to_string(PrefetchMode mode) {
    switch (mode) {
    case PrefetchMode::off: return "off";
    case PrefetchMode::next_line: return "next-line";
    case PrefetchMode::aggressive: return "aggressive";
    }
    return "?";
}

Prefetcher::Prefetcher(PrefetchConfig config, uint32_t line_size)
    : config_(config), line_size_(line_size), rng_state_(config.seed ^ 0x9e3779b97f4a7c15ULL) {
    rearm();
}

uint64_t Prefetcher::next_line_candidate(uint64_t pa) const {
    uint64_t next = (pa & ~uint64_t(line_size_ - 1)) + line_size_;
    return (next ^ pa) >> 12 ? ~0ULL : next;  // stays within the 4 KiB page
}

// splitmix64: fully specified, so runs are identical on every host and library.
uint64_t Prefetcher::next_random() {
    uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// Intervals uniform in [1, 2 * 10000 / rate] average one fill per 10000 / rate accesses.
void Prefetcher::rearm() {
    if (config_.mode != PrefetchMode::aggressive || config_.rate_per_10k == 0) {
        countdown_ = ~0ULL;
        return;
    }
    uint64_t span = 2 * 10000 / config_.rate_per_10k;
    countdown_ = 1 + next_random() % (span ? span : 1);
}

uint64_t Prefetcher::draw_candidate() {
    rearm();
    uint64_t base = recent_[next_random() % recent_.size()];
    uint64_t offset = next_random() % (2 * uint64_t(config_.window) + 1);
    uint64_t pa = base + offset - config_.window;
    return pa & ~uint64_t(line_size_ - 1);
}

}  // namespace models
