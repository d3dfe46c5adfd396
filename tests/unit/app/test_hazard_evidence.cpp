// The mapping each hazard's evidence names (hazards.json, run.log, `dmasim report`), and the
// mapping history it comes from: which mapping covers an address, live or recently ended, and
// that the evidence does not depend on the timeline.
#include "cli_runner.h"
#include "temp_dir.h"
#include <catch2/catch.hpp>

#include "dma/types.h"
#include "platforms/app/mapping_history.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using nlohmann::json;
using platform::DmaMapping;
using platform::MappingChange;
using platform::MappingHistory;

namespace {

const std::string missing_sync = DMASIM_SOURCE_DIR "/tests/scenarios/pci/seed-missing-sync-broken.yaml";
const std::string stale_cpu_read = "--platform arm-noncoherent --workload coherence -p case=stale-cpu-read";

const std::string map_name = "dma.map", unmap_name = "dma.unmap";

// A dma.map / dma.unmap / dma.alloc event as the DMA layer emits it (dma/mapping.cpp).
models::Event mapping_event(const std::string& name, const std::string& device, uint64_t time_ps,
                            uint64_t dma_addr, uint64_t pa, uint64_t size, const char* dir = "from_device",
                            uint64_t duration_ps = 100) {
    models::Event event{time_ps, &name, device, {{"type", std::string("single")}, {"dma_addr", dma_addr},
                                                 {"pa", pa}, {"size", size}}};
    if (dir)
        event.fields.push_back({"dir", std::string(dir)});
    event.fields.push_back({"duration_ps", duration_ps});
    return event;
}

uint64_t hex(const json& text) { return std::stoull(text.get<std::string>(), nullptr, 16); }

}  // namespace

TEST_CASE("mapping history: live mappings by bus address, ends, and the latest mapping covering an address",
          "[hazard][mapping]") {
    MappingHistory history({{"eth0", "dma0"}, {"eth1", "dma0"}});
    MappingHistory::Applied opened = history.apply(mapping_event(map_name, "eth0", 1000, 0x8000, 0x48000, 0x100));
    REQUIRE(opened.change == MappingChange::open);
    REQUIRE(opened.mapping);
    CHECK(opened.mapping->serial == 1);
    CHECK(opened.mapping->type == "single");
    CHECK(opened.mapping->direction == "from_device");
    CHECK(opened.mapping->map_call_ps == 100);
    CHECK(history.live_count() == 1);

    // Bus addresses are looked up in the bus master's space, bounded by the mapping's size.
    CHECK(history.live_at("dma0", 0x8000) == history.live_at("dma0", 0x80ff));
    REQUIRE(history.live_at("dma0", 0x80ff));
    CHECK(history.live_at("dma0", 0x80ff)->device == "eth0");
    CHECK_FALSE(history.live_at("dma0", 0x8100));
    CHECK_FALSE(history.live_at("dma0", 0x7fff));
    CHECK_FALSE(history.live_at("eth0", 0x8000));  // the device's space is its master's

    // A failed map opens nothing; an unmap by another device of the same master ends nothing.
    CHECK(history.apply(mapping_event(map_name, "eth0", 1100, dma::DMA_MAPPING_ERROR, 0, 0x100)).change ==
          MappingChange::none);
    MappingHistory::Applied foreign = history.apply(mapping_event(unmap_name, "eth1", 1200, 0x8000, 0x48000, 0x100));
    CHECK(foreign.change == MappingChange::close);
    CHECK_FALSE(foreign.mapping);
    CHECK(history.live_count() == 1);

    // A second mapping of the same bytes: the latest one covers them.
    history.apply(mapping_event(map_name, "eth1", 2000, 0x9000, 0x48080, 0x100, nullptr));
    REQUIRE(history.covering(0x48080));
    CHECK(history.covering(0x48080)->serial == 2);
    CHECK(history.covering(0x48080)->direction.empty());  // no dir field: an allocation's
    CHECK(history.covering(0x4807f)->serial == 1);
    CHECK_FALSE(history.covering(0x48180));

    // Once unmapped, a mapping still covers its bytes, with the end of its unmap call.
    MappingHistory::Applied closed = history.apply(mapping_event(unmap_name, "eth0", 3000, 0x8000, 0x48000, 0x100,
                                                                 "from_device", 250));
    REQUIRE(closed.mapping);
    CHECK(closed.mapping->serial == 1);
    CHECK(history.live_count() == 1);
    CHECK_FALSE(history.live_at("dma0", 0x8000));
    const DmaMapping* ended = history.covering(0x48000);
    REQUIRE(ended);
    CHECK(ended->serial == 1);
    REQUIRE(ended->unmapped_ps);
    CHECK(*ended->unmapped_ps == 3250);
    CHECK(ended->describe() == "eth0 single from_device 256 bytes @ dma 0x8000 (unmapped at 3 ns)");
    CHECK(history.covering(0x48080)->describe() == "eth1 single 256 bytes @ dma 0x9000");
}

TEST_CASE("mapping history: only the last ended_kept ended mappings are remembered", "[hazard][mapping]") {
    MappingHistory history({});
    const uint64_t count = MappingHistory::ended_kept + 1;
    for (uint64_t i = 0; i < count; ++i) {  // one page each, mapped and unmapped in turn
        history.apply(mapping_event(map_name, "dev", 10 * i, 0x1000 * i, 0x40000000 + 0x1000 * i, 0x1000));
        history.apply(mapping_event(unmap_name, "dev", 10 * i + 5, 0x1000 * i, 0x40000000 + 0x1000 * i, 0x1000));
    }
    CHECK(history.live_count() == 0);
    CHECK_FALSE(history.covering(0x40000000));  // the first, forgotten
    REQUIRE(history.covering(0x40001000));
    CHECK(history.covering(0x40001000)->serial == 2);
    REQUIRE(history.covering(0x40000000 + 0x1000 * (count - 1)));
    CHECK(history.covering(0x40000000 + 0x1000 * (count - 1))->serial == count);
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
