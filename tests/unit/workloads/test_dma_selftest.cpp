// dma-selftest through the command line: the correct sequence over the whole API gives no report,
// no hazard and no wrong byte, and a `device` the platform does not have is a configuration error (as
// is another workload's index parameter out of range).
#include "cli_runner.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sstream>

namespace {

// The stat at a dotted path of stats.json, e.g. "dma_debug.reports".
uint64_t stat(const nlohmann::json& stats, const std::string& path) {
    const nlohmann::json* node = &stats;
    std::istringstream parts(path);
    for (std::string part; std::getline(parts, part, '.');)
        node = &node->at(part);
    return node->get<uint64_t>();
}

}  // namespace

TEST_CASE("dma-selftest: the whole API in its correct sequence: every step, no report, no hazard", "[selftest][cli]") {
    TempDir dir;
    Result r = dmasim(dir, "run --workload dma-selftest --quiet -o out");
    REQUIRE(r.code == 0);
    nlohmann::json stats = load_json(dir.path("out/stats.json"));
    CHECK(stat(stats, "workload.selftest.steps") == 17);
    CHECK(stat(stats, "workload.selftest.step_failures") == 0);
    CHECK(stat(stats, "workload.data_errors") == 0);
    CHECK(stat(stats, "dma_debug.reports") == 0);
    CHECK(stat(stats, "dma_debug.active_entries") == 0);
    CHECK(stat(stats, "dma.bad_frees") == 0);
    CHECK(stat(stats, "dma.mapping_errors") == 0);
    CHECK(stat(stats, "mm.cma.linux,cma.pages_used") == 0);  // the FORCE_CONTIGUOUS buffer went back
    for (const char* hazard : {"stale_cpu_read", "stale_device_read", "lost_device_write", "mismatched_alias"})
        CHECK(stat(stats, std::string("hazards.") + hazard) == 0);
}

TEST_CASE("a device index the platform does not have exits 2 naming the workload and the parameter",
          "[selftest][cli]") {
    struct IndexParam {
        const char* workload;
        const char* param;
        const char* indexes;
    };
    for (const IndexParam& index :
         {IndexParam{"dma-selftest", "device", "DMA device"}, IndexParam{"seed-alloc-attrs", "device", "DMA device"},
          IndexParam{"coherent-alias", "device", "DMA device"}, IndexParam{"coherence", "master", "bus master"}}) {
        TempDir dir;
        Result r = dmasim(dir, fmt::format("run --workload {} --quiet -p {}=5 -o out", index.workload, index.param));
        INFO(index.workload << ": " << r.err);
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains(fmt::format("workload '{}' parameter '{}'", index.workload, index.param)) &&
                              Catch::Contains(fmt::format("expected the index of a {} (a \"dmasim,bus-master\" "
                                                          "node), 0 to 0 on this platform, got '5'",
                                                          index.indexes)));
        CHECK_FALSE(std::filesystem::exists(dir.path("out/stats.json")));
    }
}
