#include "models/cpu/prefetcher.h"

namespace models {

const std::vector<PropertySpec<PrefetchConfig>>& Prefetcher::properties() {
    using Spec = PropertySpec<PrefetchConfig>;
    static const std::vector<Spec> specs = {
        Spec::choice("dmasim,prefetch", "mode", &PrefetchConfig::mode,
                     {{"off", PrefetchMode::off},
                      {"next-line", PrefetchMode::next_line},
                      {"aggressive", PrefetchMode::aggressive}})
            .with_doc("next-line: the line after a miss; aggressive: also random lines near recent accesses"),
        Spec::number(PropertyType::u32, "dmasim,prefetch-rate", "rate_per_10k", &PrefetchConfig::rate_per_10k)
            .with_unit("fills per 10,000 accesses")
            .with_doc("aggressive: how often a random line is filled"),
        Spec::number(PropertyType::u32, "dmasim,prefetch-window", "window", &PrefetchConfig::window)
            .with_unit("bytes")
            .with_doc("aggressive: how far either side of a recent access a random line may be"),
    };
    return specs;
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
