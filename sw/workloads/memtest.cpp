#include "sw/workloads/memtest.h"

#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"

#include <utility>
#include <vector>

namespace sw {

namespace {

// The value each pattern puts in the word at `index` of pass `pass`.
uint64_t pattern_word(const std::string& pattern, uint64_t index, uint64_t pass, uint64_t seed, uint64_t va) {
    if (pattern == "walking")
        return 1ULL << ((index + pass) % 64);
    if (pattern == "address")
        return va ^ (pass * 0xffffffffffffffffULL);
    // "random": a seeded hash of the index, reproducible for verification
    uint64_t z = seed + pass * 0x9e3779b97f4a7c15ULL + index * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 31)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 29);
}

// A seeded shuffle of the word indexes (Fisher-Yates on splitmix64, so runs are identical on every
// host): the line after an access is then rarely the next one used.
std::vector<uint64_t> shuffled_words(uint64_t words, uint64_t seed) {
    std::vector<uint64_t> order(words);
    for (uint64_t index = 0; index < words; ++index)
        order[index] = index;
    uint64_t state = seed;
    for (uint64_t left = words; left > 1; --left) {
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        std::swap(order[left - 1], order[(z ^ (z >> 31)) % left]);
    }
    return order;
}

void run_memtest(WorkloadContext& context) {
    models::Core& cpu = context.cpu;
    uint64_t size = context.params.integer("working-set") & ~7ULL;
    uint64_t passes = context.params.integer("passes");
    std::string selected = context.params.text("pattern");
    std::vector<std::string> patterns = selected == "all" ? std::vector<std::string>{"walking", "address", "random"}
                                                          : std::vector<std::string>{selected};

    const uint64_t words = size / 8;
    const std::vector<uint64_t> shuffled = context.params.text("order") == "random"
                                               ? shuffled_words(words, context.seed)
                                               : std::vector<uint64_t>{};
    auto word = [&](uint64_t step) { return shuffled.empty() ? step : shuffled[step]; };

    uint64_t base = Kernel::phys_to_virt(context.kernel.alloc_contiguous(size));
    uint64_t& words_checked = context.instr.counter("workload.words_checked");
    for (uint64_t pass = 0; pass < passes; ++pass) {
        for (const std::string& pattern : patterns) {
            for (uint64_t step = 0; step < words; ++step) {
                uint64_t index = word(step);
                cpu.store64(base + index * 8, pattern_word(pattern, index, pass, context.seed, base + index * 8));
            }
            for (uint64_t step = 0; step < words; ++step) {
                uint64_t index = word(step);
                uint64_t expected = pattern_word(pattern, index, pass, context.seed, base + index * 8);
                if (cpu.load64(base + index * 8) != expected)
                    ++context.data_errors;
                ++words_checked;
            }
        }
    }
}

}  // namespace

Workload memtest_workload() {
    return Workload{
        "memtest",
        "writes patterns over a working set through the caches, then reads back and verifies every word",
        {
            {"working-set", ParamType::size, "16K", "bytes of RAM tested (a multiple of 8)", {}},
            {"passes", ParamType::integer, "1", "times every pattern is written and verified", {}},
            {"pattern", ParamType::choice, "all", "which pattern to use", {"all", "walking", "address", "random"}},
            {"order",
             ParamType::choice,
             "sequential",
             "the order words are visited in: ascending (a stream), or a seeded shuffle",
             {"sequential", "random"}},
        },
        run_memtest,
    };
}

}  // namespace sw
