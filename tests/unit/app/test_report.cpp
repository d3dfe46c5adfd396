// stats.txt and `dmasim report`: what they show of a real run, their layout, and the message for
// an output folder that is not a run's.
#include "cli_runner.h"
#include "config_error.h"
#include "platforms/app/json_field.h"
#include "platforms/app/report.h"
#include "temp_dir.h"
#include <catch2/catch.hpp>

#include <filesystem>
#include <fmt/format.h>
#include <string>

namespace fs = std::filesystem;
using platform::ConfigError;
using platform::JsonField;
using platform::RunStats;

namespace {

const std::string broken_scenario = DMASIM_SOURCE_DIR "/tests/scenarios/coherence/hazard-stale-cpu-read-broken.yaml";

// A run of the stale-cpu-read scenario (256 hazards) into DIR/out.
std::string run_broken(const TempDir& dir) {
    REQUIRE(dmasim(dir, "run " + quote(broken_scenario) + " -q -o out").code == 0);
    return dir.path("out");
}

}  // namespace

TEST_CASE("stats.txt: result, expectations and counters grouped and aligned", "[report]") {
    nlohmann::ordered_json stats = {{"cpu0", {{"accesses", 773}, {"l1d", {{"read_hits", 5}}}}},
                                    {"sim", {{"time_ps", 1766000}}},
                                    {"expectations",
                                     {{{"expect", "cpu0.accesses > 1"}, {"actual", 773}, {"result", "met"}},
                                      {{"expect", "x.y == 1"}, {"actual", nullptr}, {"result", "unknown stat"}},
                                      {{"expect", "cpu0.accesses < 10"}, {"actual", 773}, {"result", "failed"}}}},
                                    {"result", "expectation_failed"}};
    CHECK(platform::stats_text(RunStats::read(JsonField::of(stats, "stats.json"))) ==
          "result          expectation_failed\n"
          "simulated time  1.766 us (1766000 ps)\n"
          "\n"
          "expectations: 1/3 met\n"
          "  [met] cpu0.accesses > 1 (actual 773)\n"
          "  [UNKNOWN STAT] x.y == 1 (no such stat)\n"
          "  [FAILED] cpu0.accesses < 10 (actual 773)\n"
          "\n"
          "cpu0\n"
          "  accesses           773\n"
          "  l1d.read_hits        5\n"
          "\n"
          "sim\n"
          "  time_ps        1766000\n");
}

TEST_CASE("stats.txt is written beside stats.json, from its values, the same for two runs", "[report]") {
    TempDir dir;
    const std::string args = "run --workload memtest --platform arm-noncoherent.dts -p working-set=48K "
                             "-p pattern=random --seed 7 --quiet -o ";
    REQUIRE(dmasim(dir, args + "a").code == 0);
    REQUIRE(dmasim(dir, args + "b").code == 0);
    const std::string a = read_file(dir.path("a/stats.txt"));
    CHECK(a == read_file(dir.path("b/stats.txt")));
    nlohmann::json stats = load_json(dir.path("a/stats.json"));
    CHECK(contains(a, "result          pass\n"));
    CHECK(contains(a, "\ncpu0\n"));
    const std::string accesses = std::to_string(stats["cpu0"]["accesses"].get<uint64_t>());
    CHECK(contains(a, " " + accesses + "\n"));
    CHECK(contains(a, "(" + std::to_string(stats["sim"]["time_ps"].get<uint64_t>()) + " ps)"));
    CHECK_FALSE(fs::exists(dir.path("a/stats.txt.tmp." + std::to_string(::getpid()))));
}

TEST_CASE("report: run, expectations, hazards with their evidence, counters", "[report]") {
    TempDir dir;
    const std::string out = run_broken(dir);
    Result r = dmasim(dir, "report out");
    REQUIRE(r.code == 0);
    CHECK(r.err.empty());
    CHECK(contains(r.out, "hazard-stale-cpu-read-broken"));
    CHECK(contains(r.out, "coherence (case=stale-cpu-read"));
    CHECK(contains(r.out, "expectations: 2/2 met"));
    CHECK(contains(r.out, "hazards.stale_cpu_read >= 1"));
    CHECK(contains(r.out, "hazards: 256 (stale_cpu_read 256)"));
    // The first hazard's evidence, as hazards.json has it.
    nlohmann::json first = load_json(out + "/hazards.json")["details"][0];
    CHECK(contains(r.out, first["address"].get<std::string>()));
    CHECK(contains(r.out, first["previous_writer"].get<std::string>()));
    CHECK(contains(r.out, first["cache"].get<std::string>()));
    CHECK(contains(r.out, "  " + first["expected"].get<std::string>() + "  "));
    CHECK(contains(r.out, "the first 100 of 256 shown"));
    CHECK(contains(r.out, "data errors        256"));
    CHECK(contains(r.out, "simulated time"));
}

TEST_CASE("report: each hazard's row names the mapping covering it, or none", "[report][mapping]") {
    TempDir dir;
    REQUIRE(dmasim(dir, "run " + quote(DMASIM_SOURCE_DIR "/tests/scenarios/pci/seed-missing-sync-broken.yaml") +
                            " -q -o out")
                .code == 0);
    nlohmann::json mapping = load_json(dir.path("out/hazards.json"))["details"][0]["mapping"];
    REQUIRE(mapping.is_object());
    const std::string described = fmt::format("{} noncoherent from_device {} bytes @ dma {}",
                                              mapping["device"].get<std::string>(), mapping["size"].get<uint64_t>(),
                                              mapping["dma_addr"].get<std::string>());
    Result r = dmasim(dir, "report out");
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "  observed                 mapping\n"));
    CHECK(contains(r.out, "00 00 00 00 00 00 00 00  " + described + "\n"));
    r = dmasim(dir, "report out --format markdown");
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, " | observed | mapping |\n"));
    CHECK(contains(r.out, " | " + described + " |\n"));

    // No mapping covers a coherence workload's buffer.
    run_broken(dir);
    r = dmasim(dir, "report out");
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "  none\n"));
    CHECK_FALSE(contains(r.out, " @ dma "));
}

TEST_CASE("report: a mapping that had ended says when - an older hazards.json without mappings shows a dash",
          "[report][mapping]") {
    TempDir dir;
    const std::string out = run_broken(dir);
    auto hazards_with = [&](const std::string& mapping) {
        dir.write("out/hazards.json",
                  R"({"monitor": true, "counts": {"stale_cpu_read": 1}, "total": 1, "details_kept": 1,
                      "details_limit": 100, "details": [{"kind": "stale_cpu_read", "time_ps": 5000000,
                      "address": "0x84018000", "length": 4, "bytes": 4, "actor": "cpu0", "cache": "cpu0.l1d",
                      "previous_writer": "dma0", "previous_time_ps": 4000000, "expected": "01 02 03 04",
                      "observed": "00 00 00 00")" +
                      mapping + "}]}");
    };
    hazards_with(R"(, "mapping": {"device": "eth0", "type": "coherent", "direction": null,
                    "dma_addr": "0x4018000", "pa": "0x84018000", "size": 8192, "mapped_ps": 1000000,
                    "unmapped_ps": 4500000})");
    Result r = dmasim(dir, "report out");
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "  eth0 coherent 8192 bytes @ dma 0x4018000 (unmapped at 4.500 us)\n"));

    hazards_with("");
    r = dmasim(dir, "report out");
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "00 00 00 00  -\n"));

    hazards_with(R"(, "mapping": {"device": "eth0", "type": "single", "direction": "to_device",
                    "dma_addr": "4018000", "pa": "0x84018000", "size": 64, "mapped_ps": 0, "unmapped_ps": null})");
    r = dmasim(dir, "report out");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "out/hazards.json: field details[0].mapping.dma_addr: expected a hexadecimal address such "
                          "as \"0x80001000\", got the string \"4018000\""));
}

TEST_CASE("report: the main counters include each PCI endpoint's DMA", "[report][pci]") {
    TempDir dir;
    REQUIRE(dmasim(dir, "run " + quote(DMASIM_SOURCE_DIR "/tests/scenarios/pci/seed-missing-sync-broken.yaml") +
                            " -q -o out")
                .code == 0);
    nlohmann::json ep0 = load_json(dir.path("out/stats.json"))["ep0"];
    REQUIRE(ep0["dma_write_bytes"].get<uint64_t>() > 0);
    Result r = dmasim(dir, "report out");
    REQUIRE(r.code == 0);
    // The counters' rows: "  <name>  <value>", the names padded to one width.
    auto row = [&](const std::string& name) {
        size_t start = r.out.find("\n  " + name + " ");
        REQUIRE(start != std::string::npos);
        std::string line = r.out.substr(start + 1, r.out.find('\n', start + 1) - start - 1);
        return line.substr(line.find_first_not_of(' ', 2 + name.size()));
    };
    CHECK(row("ep0") == fmt::format("PCI DMA {} bytes read, {} bytes written, {} refused, {} errors, {} MSIs",
                                    ep0["dma_read_bytes"].get<uint64_t>(), ep0["dma_write_bytes"].get<uint64_t>(),
                                    ep0["dma_refused"].get<uint64_t>(), ep0["dma_errors"].get<uint64_t>(),
                                    ep0["msis"].get<uint64_t>()));
    CHECK(row("ep3").rfind("PCI DMA ", 0) == 0);  // the USB host controller's
}

TEST_CASE("report: markdown has headings and tables", "[report]") {
    TempDir dir;
    run_broken(dir);
    Result r = dmasim(dir, "report out --format markdown");
    REQUIRE(r.code == 0);
    CHECK(r.out.rfind("# dmasim report: out\n", 0) == 0);
    CHECK(contains(r.out, "\n## expectations: 2/2 met\n\n| result | expectation | actual |\n| --- | --- | --- |\n"));
    CHECK(contains(r.out, "| met | hazards.stale_cpu_read >= 1 | 256 |"));
    CHECK(contains(r.out, "- **seed**: 1\n"));
    CHECK(dmasim(dir, "report out --format html").code == 2);
}

TEST_CASE("report: dma-debug reports are listed - without dma-debug.json the report says so", "[report]") {
    TempDir dir;
    const std::string out = run_broken(dir);
    dir.write("out/dma-debug.json",
              R"({"enabled": true, "counts": {"unmap_size_mismatch": 1, "sync_wrong_direction": 0}, "total": 1,
                  "reports": [{"check": "unmap_size_mismatch", "device": "eth0", "time_ps": 2000000,
                               "message": "unmap of 0x1000 bytes, mapped 0x2000 | sizes differ"}]})");
    Result r = dmasim(dir, "report out");
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "dma-debug: 1 reports (unmap_size_mismatch 1)"));
    CHECK(contains(r.out, "2.000 us  eth0    unmap_size_mismatch  unmap of 0x1000 bytes"));
    CHECK(contains(dmasim(dir, "report out --format markdown").out, "mapped 0x2000 \\| sizes differ"));
    fs::remove(out + "/dma-debug.json");
    r = dmasim(dir, "report out");
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "dma-debug: no dma-debug.json in this folder"));
}

TEST_CASE("report: a folder that is not a run's is exit 2 naming the file", "[report][error]") {
    TempDir dir;
    Result r = dmasim(dir, "report nowhere");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "nowhere: not a folder"));

    const std::string out = run_broken(dir);
    fs::remove(out + "/stats.json");
    r = dmasim(dir, "report out");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "out/stats.json: cannot open"));

    dir.write("out/stats.json", "{\"result\": ");
    r = dmasim(dir, "report out");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "out/stats.json: not valid JSON"));

    dir.write("out/stats.json", "{\"result\": 5, \"expectations\": []}");
    r = dmasim(dir, "report out");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "out/stats.json: field result: expected a string, got the number 5"));

    dir.write("out/stats.json", "[1, 2]");
    CHECK(contains(dmasim(dir, "report out").err, "out/stats.json: expected a JSON object, got an array"));
}

TEST_CASE("JsonField: a missing or mistyped field names the file, the field and what was expected", "[report][error]") {
    JsonField root = JsonField::of(nlohmann::ordered_json::parse(R"({"a": {"b": [1, "x"]}, "n": -3})"), "f.json");
    CHECK(root["a"]["b"].items()[0].number() == 1);
    CHECK(error_of([&] { root["a"]["c"]; }) == "f.json: field a: missing field 'c'");
    CHECK(error_of([&] { root["a"]["b"].items()[1].number(); }) ==
          "f.json: field a.b[1]: expected a non-negative integer, got the string \"x\"");
    CHECK(error_of([&] { root["n"].number(); }) ==
          "f.json: field n: expected a non-negative integer, got the number -3");
    CHECK(error_of([&] { root["a"].text(); }) == "f.json: field a: expected a string, got an object");
    CHECK_FALSE(root.find("zz"));
}
