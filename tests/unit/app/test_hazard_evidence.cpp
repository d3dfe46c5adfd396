// The mapping each hazard's evidence names (hazards.json, run.log, `dmasim report`), as the DMA
// layer's mapping history gives it (dma/mapping_history.h, tested in tests/unit/dma/
// test_mapping_history.cpp), and that the evidence does not depend on the timeline.
#include "cli_runner.h"
#include "temp_dir.h"
#include <catch2/catch.hpp>

#include "dma/mapping_history.h"
#include "platforms/app/outputs.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using nlohmann::json;

namespace {

const std::string missing_sync = DMASIM_SOURCE_DIR "/tests/scenarios/pci/seed-missing-sync-broken.yaml";
const std::string stale_cpu_read = "--platform arm-noncoherent --workload coherence -p case=stale-cpu-read";

uint64_t hex(const json& text) { return std::stoull(text.get<std::string>(), nullptr, 16); }

}  // namespace

TEST_CASE("hazard evidence: a mapping as run.log and the report word it, and as hazards.json holds it",
          "[hazard][mapping]") {
    dma::DmaMapping mapping{
        1, "eth0", dma::DebugType::single, dma::DmaDirection::from_device, 0x8000, 0x48000, 0x100, 1000, 100, 3250, {}};
    CHECK(platform::describe_mapping(mapping) == "eth0 single from_device 256 bytes @ dma 0x8000 (unmapped at 3 ns)");
    nlohmann::ordered_json held = platform::mapping_json(mapping);
    CHECK(held.dump() == R"({"device":"eth0","type":"single","direction":"from_device","dma_addr":"0x8000",)"
                         R"("pa":"0x48000","size":256,"mapped_ps":1000,"unmapped_ps":3250})");

    dma::DmaMapping allocation{
        2, "eth1", dma::DebugType::coherent, std::nullopt, 0x9000, 0x48080, 0x100, 2000, 100, std::nullopt, {}};
    CHECK(platform::describe_mapping(allocation) == "eth1 coherent 256 bytes @ dma 0x9000");
    CHECK(platform::mapping_json(allocation)["direction"].is_null());
    CHECK(platform::mapping_json(allocation)["unmapped_ps"].is_null());
    CHECK(platform::mapping_json(std::nullopt).is_null());
}

TEST_CASE("hazard evidence: seed-missing-sync-broken's hazards name the endpoint's receive buffer mapping",
          "[hazard][mapping][pci]") {
    TempDir dir;
    // A size other than the default, to tell the mapping's size from a constant.
    REQUIRE(dmasim(dir, "run " + quote(missing_sync) + " -p size=2048 -q -o out --trace-json trace.json").code == 0);
    json params = load_json(dir.path("out/config.json"))["params"];
    REQUIRE(params["size"] == "2048");
    json hazards = load_json(dir.path("out/hazards.json"));
    REQUIRE(hazards["details"].size() > 0);
    json trace = load_json(dir.path("trace.json"));
    for (const json& detail : hazards["details"]) {
        INFO(detail.dump());
        const json& mapping = detail["mapping"];
        REQUIRE(mapping.is_object());
        CHECK(mapping["device"] == params["endpoint"]);
        CHECK(mapping["type"] == "noncoherent");  // the workload's dma_alloc_noncoherent buffer
        CHECK(mapping["direction"] == "from_device");
        CHECK(mapping["size"] == 2048);
        CHECK(hex(detail["address"]) - hex(mapping["pa"]) < 2048);
        CHECK(mapping["mapped_ps"].get<uint64_t>() <= detail["time_ps"].get<uint64_t>());
        CHECK(mapping["unmapped_ps"].is_null());  // the driver reads before it frees the buffer
    }
    // The timeline's alloc slice of that mapping: the same device, addresses, time.
    const json& mapping = hazards["details"][0]["mapping"];
    int allocs = 0;
    for (const json& e : trace["traceEvents"])
        if (e["ph"] == "X" && e["name"] == "dma.alloc noncoherent" &&
            hex(e["args"]["dma_addr"]) == hex(mapping["dma_addr"])) {
            ++allocs;
            CHECK(hex(e["args"]["pa"]) == hex(mapping["pa"]));
            CHECK(e["args"]["dir"] == mapping["direction"]);
            CHECK(e["ts"].get<double>() * 1e6 == Approx(mapping["mapped_ps"].get<double>()));
        }
    CHECK(allocs == 1);

    // run.log's hazard lines say it too.
    std::string log = read_file(dir.path("out/run.log"));
    CHECK(contains(log, fmt::format("hazard.stale_cpu_read address={} ",
                                    hazards["details"][0]["address"].get<std::string>())));
    CHECK(contains(log, fmt::format(" mapping=\"{} noncoherent from_device 2048 bytes @ dma {}\"\n",
                                    params["endpoint"].get<std::string>(), mapping["dma_addr"].get<std::string>())));
    CHECK_FALSE(contains(log, "mapping=none"));
}

TEST_CASE("hazard evidence: a coherence-workload hazard outside every DMA mapping has mapping null",
          "[hazard][mapping]") {
    TempDir dir;
    REQUIRE(dmasim(dir, "run " + stale_cpu_read + " -q -o out").code == 0);
    json hazards = load_json(dir.path("out/hazards.json"));
    REQUIRE(hazards["details"].size() > 0);
    for (const json& detail : hazards["details"]) {
        REQUIRE(detail.contains("mapping"));
        CHECK(detail["mapping"].is_null());
    }
    std::string log = read_file(dir.path("out/run.log"));
    CHECK(contains(log, "hazard.stale_cpu_read address="));
    CHECK(contains(log, " mapping=none\n"));

    // Without the monitor there is nothing to name.
    REQUIRE(dmasim(dir, "run " + stale_cpu_read + " --no-monitor -q -o off").code == 0);
    json off = load_json(dir.path("off/hazards.json"));
    CHECK(off["monitor"] == false);
    CHECK(off["details"].empty());
    CHECK_FALSE(contains(read_file(dir.path("off/run.log")), "mapping="));
}

TEST_CASE("hazard evidence: deterministic, and the same with or without a timeline", "[hazard][mapping]") {
    TempDir dir;
    const std::string run = "run " + quote(missing_sync) + " -q ";
    REQUIRE(dmasim(dir, run + "-o a").code == 0);
    REQUIRE(dmasim(dir, run + "-o b").code == 0);
    // A timeline that follows no mapping of its own.
    REQUIRE(dmasim(dir, run + "-o traced --trace-json trace.json --trace 'hazard.*'").code == 0);
    std::string first = read_file(dir.path("a/hazards.json"));
    CHECK(contains(first, "\"mapping\": {"));
    CHECK(first == read_file(dir.path("b/hazards.json")));
    CHECK(first == read_file(dir.path("traced/hazards.json")));
    CHECK(read_file(dir.path("a/run.log")) == read_file(dir.path("b/run.log")));
}
