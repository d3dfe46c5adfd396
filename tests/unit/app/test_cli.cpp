// End-to-end tests of the dmasim command line: exit codes, outputs, determinism and the messages
// of bad input. Each runs the built binary (DMASIM_BINARY) in a fresh temporary folder.
#include "cli_runner.h"
#include "temp_dir.h"
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

const std::string shipped_dts = DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts";

// The shipped platform's source with `from` replaced by `to` (which must be present).
std::string shipped_with(const std::string& from, const std::string& to) {
    std::string text = read_file(shipped_dts);
    size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("cli: --version prints the name and exits 0", "[cli]") {
    TempDir dir;
    Result r = dmasim(dir, "--version");
    CHECK(r.code == 0);
    CHECK(contains(r.out, "dmasim"));
}

TEST_CASE("cli: no subcommand or an unknown option is a usage error", "[cli]") {
    TempDir dir;
    CHECK(dmasim(dir, "").code == 2);
    CHECK(dmasim(dir, "run --no-such-option").code == 2);
    CHECK(dmasim(dir, "list things").code == 2);
}

TEST_CASE("cli: a workload run on the default platform writes every output and quiet prints nothing", "[cli]") {
    TempDir dir;
    const std::string out = dir.path("out");
    Result r = dmasim(dir, "run --workload memtest -o " + quote(out) + " --quiet");
    REQUIRE(r.code == 0);
    CHECK(r.out.empty());
    for (const char* file : {"config.json", "stats.json", "run.log", "hazards.json"})
        CHECK(fs::is_regular_file(out + "/" + file));
    nlohmann::json stats = load_json(out + "/stats.json");
    REQUIRE(stats.contains("sim"));
    CHECK(stats["sim"]["time_ps"].get<uint64_t>() > 0);
    CHECK(stats["result"] == "pass");
    CHECK(stats["cpu0"]["accesses"].get<uint64_t>() > 0);
    CHECK(stats["workload"]["data_errors"].get<uint64_t>() == 0);
    nlohmann::json config = load_json(out + "/config.json");
    CHECK(config["workload"] == "memtest");
    CHECK(config["seed"] == 1);
    nlohmann::json hazards = load_json(out + "/hazards.json");
    CHECK(hazards.contains("counts"));
    CHECK_FALSE(read_file(out + "/run.log").empty());
    // Outputs name no host path.
    CHECK_FALSE(contains(read_file(out + "/config.json"), dir.path("")));
    CHECK_FALSE(contains(read_file(out + "/run.log"), DMASIM_SOURCE_DIR));
}

TEST_CASE("cli: a memtest working set twice the L1 evicts and writes back", "[cli]") {
    TempDir dir;
    const std::string out = dir.path("out");
    Result r = dmasim(dir, "run --workload memtest --platform arm-noncoherent.dts -p working-set=64K -o " + quote(out));
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "memtest"));
    nlohmann::json stats = load_json(out + "/stats.json");
    CHECK(stats["cpu0"]["l1d"]["evictions"].get<uint64_t>() > 0);
    CHECK(stats["cpu0"]["l1d"]["write_backs"].get<uint64_t>() > 0);
    CHECK(stats["workload"]["data_errors"].get<uint64_t>() == 0);
    CHECK(load_json(out + "/config.json")["params"]["working-set"] == "64K");
}

TEST_CASE("cli: the same inputs and seed give byte-identical outputs", "[cli]") {
    TempDir dir;
    const std::string args = "run --workload memtest --platform arm-noncoherent.dts -p working-set=48K "
                             "-p pattern=random --seed 7 --quiet -o ";
    REQUIRE(dmasim(dir, args + quote(dir.path("a"))).code == 0);
    REQUIRE(dmasim(dir, args + quote(dir.path("b"))).code == 0);
    for (const char* file : {"stats.json", "run.log", "config.json", "hazards.json"}) {
        INFO(file);
        std::string a = read_file(dir.path("a/") + file), b = read_file(dir.path("b/") + file);
        CHECK_FALSE(a.empty());
        CHECK(a == b);
    }
    // Another seed is another run, and config.json says so.
    const std::string other = "run --workload memtest --platform arm-noncoherent.dts -p working-set=48K "
                              "-p pattern=random --seed 8 --quiet -o ";
    REQUIRE(dmasim(dir, other + quote(dir.path("c"))).code == 0);
    CHECK(read_file(dir.path("a/config.json")) != read_file(dir.path("c/config.json")));
    CHECK(load_json(dir.path("c/config.json"))["seed"] == 8);
}

TEST_CASE("cli: a device tree with a syntax error exits 2 naming the file and line", "[cli]") {
    TempDir dir;
    const std::string dts = dir.write("broken.dts", "/dts-v1/;\n"
                                                    "\n"
                                                    "/ {\n"
                                                    "\tmodel = \"broken\";\n"
                                                    "\tcpus {\n"
                                                    "\t\tfoo = <1 2;\n"
                                                    "\t};\n"
                                                    "};\n");
    Result r = dmasim(dir, "run --platform " + quote(dts) + " --workload memtest -o out --quiet");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "broken.dts"));
    CHECK(contains(r.err, "broken.dts:6"));
    CHECK_FALSE(fs::exists(dir.path("out/stats.json")));

    Result check = dmasim(dir, "check " + quote(dts));
    CHECK(check.code == 2);
    CHECK(contains(check.err, "broken.dts:6"));
}

TEST_CASE("cli: a scenario with an unknown key exits 2 naming the key, file and line", "[cli]") {
    TempDir dir;
    const std::string scenario = dir.write("odd.yaml", "name: odd\n"
                                                       "platform: arm-noncoherent.dts\n"
                                                       "workload: memtest\n"
                                                       "colour: blue\n");
    Result r = dmasim(dir, "run " + quote(scenario) + " -o out --quiet");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "unknown key"));
    CHECK(contains(r.err, "colour"));
    CHECK(contains(r.err, "odd.yaml:4"));
    CHECK(dmasim(dir, "check " + quote(scenario)).code == 2);
}

TEST_CASE("cli: a failed expectation exits 1 and is recorded in stats.json", "[cli]") {
    TempDir dir;
    const std::string scenario = dir.write("expect.yaml", "name: expect-fails\n"
                                                          "platform: arm-noncoherent.dts\n"
                                                          "workload: memtest\n"
                                                          "params:\n"
                                                          "  working-set: 4K\n"
                                                          "expect: [ \"workload.data_errors == 1\" ]\n");
    const std::string out = dir.path("out");
    Result r = dmasim(dir, "run " + quote(scenario) + " -o " + quote(out));
    CHECK(r.code == 1);
    CHECK(contains(r.out, "FAILED"));
    nlohmann::json stats = load_json(out + "/stats.json");
    CHECK(stats["result"] == "expectation_failed");
    REQUIRE(stats["expectations"].size() == 1);
    CHECK(stats["expectations"][0]["result"] == "failed");
    CHECK(stats["expectations"][0]["actual"] == 0);

    // The same scenario expecting what happens passes.
    const std::string good = dir.write("good.yaml", "name: expect-holds\n"
                                                    "platform: arm-noncoherent.dts\n"
                                                    "workload: memtest\n"
                                                    "params:\n"
                                                    "  working-set: 4K\n"
                                                    "expect: [ \"workload.data_errors == 0\" ]\n");
    CHECK(dmasim(dir, "run " + quote(good) + " -o " + quote(dir.path("out2")) + " --quiet").code == 0);
}

TEST_CASE("cli: an expectation on a stat that does not exist is a configuration error", "[cli]") {
    TempDir dir;
    const std::string scenario = dir.write("nostat.yaml", "name: nostat\n"
                                                          "platform: arm-noncoherent.dts\n"
                                                          "workload: memtest\n"
                                                          "expect:\n"
                                                          "  - cpu0.no_such_counter == 0\n");
    Result r = dmasim(dir, "run " + quote(scenario) + " -o out --quiet");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "cpu0.no_such_counter"));
}

TEST_CASE("cli: a bad workload parameter exits 2 naming the parameter", "[cli]") {
    TempDir dir;
    Result bad_value = dmasim(dir, "run --workload memtest -p working-set=lots -o out --quiet");
    CHECK(bad_value.code == 2);
    CHECK(contains(bad_value.err, "working-set"));
    CHECK(contains(bad_value.err, "lots"));

    Result unknown = dmasim(dir, "run --workload memtest -p colour=blue -o out --quiet");
    CHECK(unknown.code == 2);
    CHECK(contains(unknown.err, "colour"));

    Result malformed = dmasim(dir, "run --workload memtest -p novalue -o out --quiet");
    CHECK(malformed.code == 2);
    CHECK(contains(malformed.err, "novalue"));

    Result choice = dmasim(dir, "run --workload memtest -p pattern=zigzag -o out --quiet");
    CHECK(choice.code == 2);
    CHECK(contains(choice.err, "pattern"));
    CHECK_FALSE(fs::exists(dir.path("out")));
}

TEST_CASE("cli: an override of a node that does not exist exits 2 naming it", "[cli]") {
    TempDir dir;
    Result r = dmasim(dir, "run --workload memtest -c /no/such/node:foo=1 -o out --quiet");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "/no/such/node"));

    Result bad_form = dmasim(dir, "run --workload memtest -c nonsense -o out --quiet");
    CHECK(bad_form.code == 2);
    CHECK(contains(bad_form.err, "nonsense"));
}

TEST_CASE("cli: an override that changes the platform takes effect", "[cli]") {
    TempDir dir;
    const std::string out = dir.path("out");
    // An 8 KiB L1 (32 sets, 4 ways) under the default 16 KiB memtest working set: evictions.
    Result r = dmasim(dir,
                      "run --workload memtest -c /cpus/cpu@0:d-cache-size=0x2000 -c /cpus/cpu@0:d-cache-sets=32 -o " +
                          quote(out) + " --quiet");
    REQUIRE(r.code == 0);
    nlohmann::json stats = load_json(out + "/stats.json");
    CHECK(stats["cpu0"]["l1d"]["evictions"].get<uint64_t>() > 0);
    nlohmann::json config = load_json(out + "/config.json");
    CHECK(config["platform"]["cores"][0]["l1d"]["size"] == 0x2000);
}

TEST_CASE("cli: an unknown workload exits 2 listing the known ones", "[cli]") {
    TempDir dir;
    Result r = dmasim(dir, "run --workload no-such-workload -o out --quiet");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "no-such-workload"));
    CHECK(contains(r.err, "memtest"));
}

TEST_CASE("cli: --platform without --workload is a usage error", "[cli]") {
    TempDir dir;
    Result r = dmasim(dir, "run --platform arm-noncoherent.dts -o out --quiet");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "--workload"));
}

TEST_CASE("cli: a missing scenario or platform file exits 2 naming it", "[cli]") {
    TempDir dir;
    Result scenario = dmasim(dir, "run missing.yaml -o out --quiet");
    CHECK(scenario.code == 2);
    CHECK(contains(scenario.err, "missing.yaml"));
    Result platform = dmasim(dir, "run --platform nowhere.dts --workload memtest -o out --quiet");
    CHECK(platform.code == 2);
    CHECK(contains(platform.err, "nowhere.dts"));
}

TEST_CASE("cli: describe prints the platform's components and sizes", "[cli]") {
    TempDir dir;
    Result r = dmasim(dir, "describe " + quote(shipped_dts));
    REQUIRE(r.code == 0);
    for (const char* part : {"cpu0", "l2", "dram0", "32 KiB", "512 KiB", "1 GiB", "0x1e00a000"})
        CHECK(contains(r.out, part));
    // A shipped platform can also be named without its folder.
    Result by_name = dmasim(dir, "describe arm-noncoherent.dts");
    CHECK(by_name.code == 0);
    CHECK(by_name.out == r.out);
}

TEST_CASE("cli: check accepts a good scenario and a good device tree", "[cli]") {
    TempDir dir;
    const std::string scenario = dir.write("good.yaml", "name: good\n"
                                                        "platform: arm-noncoherent.dts\n"
                                                        "workload: memtest\n"
                                                        "params:\n"
                                                        "  working-set: 8K\n"
                                                        "seed: 3\n"
                                                        "expect:\n"
                                                        "  - workload.data_errors == 0\n");
    Result r = dmasim(dir, "check " + quote(scenario));
    CHECK(r.code == 0);
    CHECK(contains(r.out, "ok"));
    CHECK_FALSE(fs::exists(dir.path("simout")));  // checking runs nothing

    CHECK(dmasim(dir, "check " + quote(shipped_dts)).code == 0);

    const std::string bad = dir.write("bad.yaml", "name: bad\n"
                                                  "platform: arm-noncoherent.dts\n"
                                                  "workload: memtest\n"
                                                  "params:\n"
                                                  "  working-set: huge\n");
    Result bad_check = dmasim(dir, "check " + quote(bad));
    CHECK(bad_check.code == 2);
    CHECK(contains(bad_check.err, "working-set"));
}

// check, describe and run validate by one path: what a run rejects before it simulates, check and
// describe reject too, with the same message, and neither writes a file.
TEST_CASE("cli: a swiotlb pool the kernel cannot supply fails check, describe and run alike", "[cli]") {
    TempDir dir;
    const std::string dts = dir.write("big.dts", shipped_with("swiotlb=32768", "swiotlb=1048576"));
    for (const std::string& command : {"check " + quote(dts), "describe " + quote(dts),
                                       "run --platform " + quote(dts) + " --workload memtest -q -o out"}) {
        Result r = dmasim(dir, command);
        INFO(command);
        CHECK(r.code == 2);
        CHECK(contains(r.err, "big.dts: node /chosen: property 'bootargs': expected swiotlb=<slots> with a pool that "
                              "fits in"));
        CHECK(contains(r.err, "got 1048576 slots (2097152 KiB)"));
        CHECK(r.out.empty());  // no "ok", no description
    }
    CHECK_FALSE(fs::exists(dir.path("simout")));
    CHECK_FALSE(fs::exists(dir.path("out/stats.json")));
}

TEST_CASE("cli: a workload parameter only the built platform can judge fails check and run alike", "[cli]") {
    TempDir dir;
    const std::string scenario = dir.write("bad.yaml", "name: bad\n"
                                                       "platform: arm-noncoherent.dts\n"
                                                       "workload: dma-selftest\n"
                                                       "params:\n"
                                                       "  device: 5\n"
                                                       "expect:\n"
                                                       "  - dma_debug.reports == 0\n");
    for (const std::string& command : {"check " + quote(scenario), "run " + quote(scenario) + " -q -o out"}) {
        Result r = dmasim(dir, command);
        INFO(command);
        CHECK(r.code == 2);
        CHECK(contains(r.err, "workload 'dma-selftest' parameter 'device': expected the index of a DMA device (a "
                              "\"dmasim,bus-master\" node), 0 to 0 on this platform, got '5'"));
        CHECK(r.out.empty());
    }
    CHECK_FALSE(fs::exists(dir.path("simout")));
    CHECK_FALSE(fs::exists(dir.path("out/stats.json")));
}

TEST_CASE("cli: list workloads names memtest and its parameters", "[cli]") {
    TempDir dir;
    Result r = dmasim(dir, "list workloads");
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "memtest"));
    CHECK(contains(r.out, "working-set"));
    Result platforms = dmasim(dir, "list platforms");
    CHECK(platforms.code == 0);
    CHECK(contains(platforms.out, "arm-noncoherent.dts"));
}

TEST_CASE("cli: a missing required device-tree property exits 2 naming node and property", "[cli]") {
    TempDir dir;
    std::string text = read_file(shipped_dts);
    size_t at = text.find("d-cache-sets");
    REQUIRE(at != std::string::npos);
    size_t begin = text.rfind('\n', at) + 1, end = text.find('\n', at);
    text.erase(begin, end - begin + 1);
    REQUIRE(text.find("d-cache-sets") == std::string::npos);
    const std::string dts = dir.write("nosets.dts", text);

    Result r = dmasim(dir, "run --platform " + quote(dts) + " --workload memtest -o out --quiet");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "/cpus/cpu@0"));
    CHECK(contains(r.err, "d-cache-sets"));
    CHECK(contains(r.err, "nosets.dts"));
    Result describe = dmasim(dir, "describe " + quote(dts));
    CHECK(describe.code == 2);
    CHECK(contains(describe.err, "d-cache-sets"));
}

TEST_CASE("cli: a node with an unknown compatible is skipped with a warning naming it", "[cli]") {
    TempDir dir;
    const std::string dts = dir.write("widget.dts", shipped_with("\tsoc {", "\twidget@20000000 {\n"
                                                                            "\t\tcompatible = \"acme,widget\";\n"
                                                                            "\t\treg = <0x0 0x20000000 0x0 0x1000>;\n"
                                                                            "\t};\n\n"
                                                                            "\tsoc {"));
    const std::string out = dir.path("out");
    Result r = dmasim(dir, "run --platform " + quote(dts) + " --workload memtest -o " + quote(out) + " --quiet");
    CHECK(r.code == 0);
    CHECK(contains(r.err, "warning"));
    CHECK(contains(r.err, "/widget@20000000"));
    CHECK(contains(r.err, "acme,widget"));
    CHECK(contains(read_file(out + "/run.log"), "/widget@20000000"));
    CHECK(contains(read_file(out + "/config.json"), "acme,widget"));
}

TEST_CASE("cli: a data abort in the simulated software exits 3", "[cli]") {
    TempDir dir;
    const std::string out = dir.path("out");
    Result r = dmasim(dir, "run --workload peek --platform arm-noncoherent.dts -p address=0x40000000 -o " + quote(out) +
                               " --quiet");
    CHECK(r.code == 3);
    CHECK(contains(r.err, "bus error"));
    CHECK(contains(r.err, "0x40000000"));
    nlohmann::json stats = load_json(out + "/stats.json");
    CHECK(stats["result"] == "simulation_error");
    CHECK(stats["cpu0"]["data_aborts"] == 1);
}

TEST_CASE("cli: hazard expectations with the monitor off exit 2 before running", "[cli]") {
    TempDir dir;
    Result r = dmasim(dir, "run " +
                               quote(DMASIM_SOURCE_DIR "/tests/scenarios/coherence/hazard-stale-cpu-read-fixed.yaml") +
                               " --no-monitor -o out --quiet");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "hazard-stale-cpu-read-fixed.yaml:"));
    CHECK(contains(r.err, "coherence monitor"));
    CHECK(!std::filesystem::exists(dir.path("out/stats.json")));
}

TEST_CASE("cli: an output folder that is a file exits 2 before running", "[cli]") {
    TempDir dir;
    dir.write("taken", "not a folder");
    Result r = dmasim(dir, "run -o taken --quiet");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "taken"));
}

TEST_CASE("cli: a memory region past 2^64 or a zero quantum exits 2", "[cli]") {
    TempDir dir;
    std::string dts = dir.write("wrap.dts", shipped_with("reg = <0x0 0x80000000 0x0 0x40000000>;",
                                                         "reg = <0xffffffff 0xc0000000 0x0 0x80000000>;"));
    Result wrap = dmasim(dir, "run --platform " + quote(dts) + " --workload memtest -o out --quiet");
    CHECK(wrap.code == 2);
    CHECK(contains(wrap.err, "/memory@80000000"));
    CHECK(contains(wrap.err, "2^64"));
    Result quantum = dmasim(dir, "run --workload memtest --quantum 0 -o out --quiet");
    CHECK(quantum.code == 2);
    CHECK(contains(quantum.err, "--quantum"));
}
