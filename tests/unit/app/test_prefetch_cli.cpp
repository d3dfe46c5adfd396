// The prefetcher's cost and gain end to end: the same memtest with the prefetcher off and
// next-line, streaming and in a random order, compared by simulated time (two runs, so through the
// command line: a scenario's expectations see one run only).
#include "cli_runner.h"

#include <catch2/catch.hpp>

namespace {

// The simulated time of memtest over 1 MiB (twice the L2) in `order` with prefetcher `mode`.
uint64_t memtest_time_ps(const TempDir& dir, const std::string& order, const std::string& mode) {
    const std::string out = order + "-" + mode;
    Result r = dmasim(dir, "run -q --workload memtest -p working-set=1M -p pattern=walking -p order=" + order + " -c " +
                               quote("/cpus/cpu@0:dmasim,prefetch=\"" + mode + "\"") + " -o " + out);
    REQUIRE(r.code == 0);
    nlohmann::json stats = load_json(dir.path(out + "/stats.json"));
    CHECK(stats["workload"]["data_errors"] == 0);
    return stats["sim"]["time_ps"].get<uint64_t>();
}

}  // namespace

TEST_CASE("prefetch: next-line makes a streaming memtest faster than no prefetcher", "[cli][prefetch]") {
    TempDir dir;
    uint64_t off = memtest_time_ps(dir, "sequential", "off"),
             next_line = memtest_time_ps(dir, "sequential", "next-line");
    CHECK(next_line < off * 3 / 4);
}

TEST_CASE("prefetch: next-line gains nothing on a memtest in random order", "[cli][prefetch]") {
    TempDir dir;
    uint64_t off = memtest_time_ps(dir, "random", "off"), next_line = memtest_time_ps(dir, "random", "next-line");
    CHECK(next_line >= off);  // its useless fills cost bus time and evict useful lines
}
