// The timeline (--trace-json), the waveforms (--vcd) and scripts/plot: what they hold for known
// scenarios, that they are deterministic, and that a run stopped early (a simulation error, a
// configuration error, SIGINT) still leaves a valid file.
#include "cli_runner.h"
#include "temp_dir.h"
#include <catch2/catch.hpp>

#include "models/common/instrumentation.h"
#include "models/cpu/mmu.h"
#include "models/irq/interrupt_line.h"
#include "models/pci/ring_nic.h"
#include "pci_sim.h"
#include "platforms/app/outputs.h"
#include "platforms/app/trace_json.h"
#include "platforms/app/vcd.h"
#include "platforms/builder/platform.h"
#include "sw/drivers/pci/ring_nic.h"

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <systemc>
#include <thread>
#include <vector>

extern char** environ;

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string scenarios = DMASIM_SOURCE_DIR "/tests/scenarios/";

// Runs a scenario with a timeline (trace.json) and waveforms (waves.vcd) in `dir`.
Result traced_run(const TempDir& dir, const std::string& scenario, const std::string& extra = "") {
    return dmasim(dir,
                  "run " + quote(scenarios + scenario) + " -q -o out --trace-json trace.json --vcd waves.vcd " + extra);
}

const json& events(const json& trace) { return trace.at("traceEvents"); }

// Track ids by track name, from the thread_name metadata.
std::map<std::string, int> tracks(const json& trace) {
    std::map<std::string, int> tids;
    for (const json& e : events(trace))
        if (e["ph"] == "M" && e["name"] == "thread_name")
            tids[e["args"]["name"].get<std::string>()] = e["tid"].get<int>();
    return tids;
}

std::vector<json> with(const json& trace, const std::string& ph, const std::string& name = "") {
    std::vector<json> found;
    for (const json& e : events(trace))
        if (e["ph"] == ph && (name.empty() || e["name"] == name))
            found.push_back(e);
    return found;
}

double ts(const json& e) { return e.at("ts").get<double>(); }
double end_of(const json& slice) { return ts(slice) + slice.at("dur").get<double>(); }
// An address arg: hex text, or a number when it is small (as run.log writes them).
uint64_t hex(const json& value) {
    return value.is_number() ? value.get<uint64_t>() : std::stoull(value.get<std::string>(), nullptr, 16);
}

// The X slices on track `tid` whose interval holds `at` (several for the segments of one map_sg).
std::vector<json> slices_at(const json& trace, int tid, double at) {
    std::vector<json> found;
    for (const json& e : events(trace))
        if (e["ph"] == "X" && e["tid"] == tid && ts(e) <= at && at <= end_of(e))
            found.push_back(e);
    return found;
}

// Whether one of the map or alloc calls in `calls` covers `address` in its `space` ("dma_addr" or "pa").
bool covered(const std::vector<json>& calls, uint64_t address, const char* space) {
    for (const json& call : calls) {
        const std::string name = call["name"];
        if ((name.rfind("dma.map", 0) == 0 || name.rfind("dma.alloc", 0) == 0) &&
            address - hex(call["args"][space]) < call["args"]["size"].get<uint64_t>())
            return true;
    }
    return false;
}

// The last counter value of `name` (its "value" arg) in file order.
double last_counter(const json& trace, const std::string& name) {
    std::vector<json> samples = with(trace, "C", name);
    REQUIRE_FALSE(samples.empty());
    return samples.back()["args"]["value"].get<double>();
}

// A VCD file's declarations (wire name with scopes -> id and width) and value changes (id ->
// (time, value) in order).
struct Vcd {
    std::string timescale;
    std::map<std::string, std::pair<std::string, int>> vars;
    std::map<std::string, std::vector<std::pair<uint64_t, std::string>>> changes;
    std::string date;

    explicit Vcd(const std::string& text) {
        std::istringstream in(text);
        std::vector<std::string> scopes;
        std::string word;
        uint64_t time = 0;
        while (in >> word) {
            if (word == "$version" || word == "$comment") {
                while (in >> word && word != "$end") {
                }
            } else if (word == "$date" || word == "$timescale") {
                std::string body, part;
                while (in >> part && part != "$end")
                    body += (body.empty() ? "" : " ") + part;
                (word == "$date" ? date : timescale) = body;
            } else if (word == "$scope") {
                std::string kind, name, end;
                in >> kind >> name >> end;
                scopes.push_back(name);
            } else if (word == "$upscope") {
                in >> word;
                scopes.pop_back();
            } else if (word == "$var") {
                std::string type, id, name, rest;
                int width;
                in >> type >> width >> id >> name;
                while (in >> rest && rest != "$end") {
                }
                std::string path;
                for (const std::string& scope : scopes)
                    path += scope + ".";
                vars[path + name] = {id, width};
            } else if (word[0] == '#') {
                time = std::stoull(word.substr(1));
            } else if (word[0] == 'b') {
                std::string id;
                in >> id;
                changes[id].push_back({time, word.substr(1)});
            } else if ((word[0] == '0' || word[0] == '1') && word.size() > 1) {
                changes[word.substr(1)].push_back({time, word.substr(0, 1)});
            }
        }
    }
    // The changes of the wire `name`; REQUIREs that it is declared.
    const std::vector<std::pair<uint64_t, std::string>>& of(const std::string& name) {
        INFO(name);
        REQUIRE(vars.count(name));
        return changes[vars[name].first];
    }
};

// /usr/bin/python3 with matplotlib, as scripts/plot needs.
bool matplotlib_available() { return std::system("/usr/bin/python3 -c 'import matplotlib' 2>/dev/null") == 0; }

bool is_png(const std::string& path) { return read_file(path).rfind("\x89PNG", 0) == 0; }

}  // namespace

TEST_CASE("trace: the stale-cpu-read timeline has the tracks, the transfer and maintenance slices and the hazards",
          "[trace]") {
    TempDir dir;
    REQUIRE(traced_run(dir, "coherence/hazard-stale-cpu-read-broken.yaml").code == 0);
    const std::string text = read_file(dir.path("trace.json"));
    json trace = json::parse(text);
    CHECK(trace["displayTimeUnit"] == "ns");
    std::map<std::string, int> tids = tracks(trace);
    for (const char* track : {"cpu0", "cpu0.l1d", "l2", "dma0", "dma-agent@1000000"})
        CHECK(tids.count(track));

    std::vector<json> writes = with(trace, "X", "dma.write");
    REQUIRE(writes.size() == 1);
    CHECK(writes[0]["tid"] == tids["dma0"]);
    CHECK(writes[0]["args"]["length"] == 256);
    CHECK(writes[0]["dur"].get<double>() > 0);
    // Simulated microseconds, exact decimals of the picoseconds (the write starts at 1650000 ps, once
    // the driver has programmed the bus master's registers).
    CHECK(contains(text, R"("ph":"X","pid":1,"tid":)" + std::to_string(tids["dma0"]) + R"(,"ts":1.65,"dur":0.26,)"));

    // The clean of the L1 by VA, then of the L2 by PA (one slice for the range), before the device writes.
    std::vector<json> cleans = with(trace, "X", "cache.maint clean");
    REQUIRE(cleans.size() == 2);
    CHECK(cleans[0]["tid"] == tids["cpu0.l1d"]);
    CHECK(cleans[0]["args"]["length"] == 256);
    CHECK(cleans[1]["tid"] == tids["l2"]);
    CHECK(cleans[1]["args"]["length"] == 256);
    CHECK(ts(cleans[1]) >= end_of(cleans[0]));
    CHECK(end_of(cleans[1]) <= ts(writes[0]));

    // Every stale byte the CPU reads after the device write is a hazard instant on the L1's track,
    // with the monitor's evidence as args.
    std::vector<json> hazards = with(trace, "i", "hazard.stale_cpu_read");
    CHECK(hazards.size() == 256);
    for (const json& hazard : hazards) {
        CHECK(hazard["tid"] == tids["cpu0.l1d"]);
        CHECK(ts(hazard) >= end_of(writes[0]));
        CHECK(hex(hazard["args"]["address"]) - hex(writes[0]["args"]["addr"]) < 256);
        CHECK(hazard["args"]["previous_writer"].get<std::string>().find("device0") == 0);
    }
    std::vector<json> ends = with(trace, "i", "run.end");
    REQUIRE(ends.size() == 1);
    CHECK(ends[0]["args"]["result"] == "pass");
    CHECK(events(trace).back() == ends[0]);
    CHECK(with(trace, "C", "cache.dirty_lines").size() >= 1);
}

TEST_CASE("trace: each mapping's life is an async slice from map to unmap, with flows to its device's transfers",
          "[trace]") {
    TempDir dir;
    REQUIRE(traced_run(dir, "dma/dma-selftest-clean.yaml").code == 0);
    json trace = json::parse(read_file(dir.path("trace.json")));
    std::map<std::string, int> tids = tracks(trace);
    const int device = tids.at("dma-agent@1000000"), master = tids.at("dma0");

    std::map<uint64_t, json> begins, ends;
    for (const json& e : with(trace, "b"))
        begins[e["id"].get<uint64_t>()] = e;
    for (const json& e : with(trace, "e"))
        ends[e["id"].get<uint64_t>()] = e;
    // single, page, four sg segments, coherent and noncoherent allocations: every one ended.
    CHECK(begins.size() >= 10);
    CHECK(begins.size() == ends.size());
    std::map<std::string, int> types;
    for (const auto& [id, begin] : begins) {
        INFO(begin.dump());
        REQUIRE(ends.count(id));
        CHECK(begin["name"] == "dma-agent@1000000 mapping");
        CHECK(ends[id]["name"] == begin["name"]);
        CHECK(ends[id]["cat"] == begin["cat"]);
        CHECK(ts(ends[id]) > ts(begin));
        CHECK(begin["tid"] == device);
        ++types[begin["args"]["type"].get<std::string>()];
    }
    for (const char* type : {"single", "page", "scatter-gather", "coherent", "noncoherent"})
        CHECK(types[type] > 0);
    // One map call slice per single mapping the run counted, and one unmap slice for each.
    const uint64_t single_maps = load_json(dir.path("out/stats.json"))["dma"]["maps"]["single"].get<uint64_t>();
    CHECK(single_maps > 0);
    CHECK(with(trace, "X", "dma.map single").size() == single_maps);
    CHECK(with(trace, "X", "dma.unmap single").size() == single_maps);
    CHECK(with(trace, "X", "dma.maint invalidate").size() > 0);
    CHECK(last_counter(trace, "dma.active_mappings") == 0);

    // A flow starts inside a map call on the device's track and ends inside a transfer of its bus
    // master at an address of that mapping.
    std::map<uint64_t, json> starts;
    for (const json& s : with(trace, "s"))
        starts[s["id"].get<uint64_t>()] = s;
    std::vector<json> finishes = with(trace, "f");
    REQUIRE(finishes.size() >= 10);
    for (const json& f : finishes) {
        INFO(f.dump());
        REQUIRE(starts.count(f["id"].get<uint64_t>()));
        const json& s = starts[f["id"].get<uint64_t>()];
        CHECK(s["tid"] == device);
        CHECK(f["tid"] == master);
        CHECK(f["bp"] == "e");
        std::vector<json> transfers = slices_at(trace, master, ts(f));
        REQUIRE(transfers.size() == 1);
        CHECK(covered(slices_at(trace, device, ts(s)), hex(transfers[0]["args"]["addr"]), "dma_addr"));
    }
}

TEST_CASE("trace: a hazard on a mapping's bytes gets a flow from that mapping", "[trace]") {
    TempDir dir;
    REQUIRE(traced_run(dir, "dma/dma-selftest-skip-sync-for-cpu.yaml").code == 0);
    json trace = json::parse(read_file(dir.path("trace.json")));
    const json& list = events(trace);
    std::map<uint64_t, json> starts;
    for (const json& s : with(trace, "s"))
        starts[s["id"].get<uint64_t>()] = s;
    int hazards_with_flows = 0;
    for (size_t i = 0; i + 1 < list.size(); ++i) {
        const json& f = list[i];
        if (f["ph"] != "f" || f.contains("bp"))
            continue;
        // Bound to the next slice on its track: the hazard instant written right after it.
        const json& hazard = list[i + 1];
        INFO(f.dump() << "\n" << hazard.dump());
        REQUIRE(hazard["ph"] == "i");
        CHECK(hazard["name"].get<std::string>().rfind("hazard.", 0) == 0);
        CHECK(hazard["tid"] == f["tid"]);
        CHECK(ts(hazard) == ts(f));
        const json& s = starts.at(f["id"].get<uint64_t>());
        CHECK(covered(slices_at(trace, s["tid"].get<int>(), ts(s)), hex(hazard["args"]["address"]), "pa"));
        ++hazards_with_flows;
    }
    CHECK(hazards_with_flows > 0);
    CHECK(hazards_with_flows == static_cast<int>(with(trace, "i", "hazard.stale_cpu_read").size()));
}

TEST_CASE("trace: two runs with one seed write byte-identical timelines and waveforms", "[trace]") {
    TempDir dir;
    const std::string args = "run " + quote(scenarios + "dma/dma-selftest-skip-sync-for-cpu.yaml") + " -q --seed 5 ";
    REQUIRE(dmasim(dir, args + "-o a --trace-json a.json --vcd a.vcd").code == 0);
    REQUIRE(dmasim(dir, args + "-o b --trace-json b.json --vcd b.vcd").code == 0);
    const std::string a = read_file(dir.path("a.json")), b = read_file(dir.path("b.json"));
    CHECK(a.size() > 10000);
    CHECK(a == b);
    CHECK(read_file(dir.path("a.vcd")) == read_file(dir.path("b.vcd")));
    Vcd vcd(read_file(dir.path("a.vcd")));
    CHECK(vcd.date.empty());  // no host time in the file
}

TEST_CASE("trace: a run ended by a simulation error leaves valid JSON that says so", "[trace]") {
    TempDir dir;
    REQUIRE(traced_run(dir, "cpu/data-abort-hole.yaml").code == 3);
    json trace = json::parse(read_file(dir.path("trace.json")));
    std::vector<json> aborts = with(trace, "i", "cpu.abort");
    REQUIRE(aborts.size() == 1);
    CHECK(hex(aborts[0]["args"]["address"]) == 0x40000000);
    CHECK(aborts[0]["tid"] == tracks(trace)["cpu0"]);
    CHECK(with(trace, "i", "bus.error").size() == 1);
    CHECK(events(trace).back()["args"]["result"] == "simulation_error");
    CHECK_FALSE(Vcd(read_file(dir.path("waves.vcd"))).vars.empty());
}

TEST_CASE("trace: a configuration error after the timeline was opened leaves valid JSON", "[trace]") {
    TempDir dir;
    // The waveform file is opened after the timeline: its folder does not exist.
    Result r = dmasim(dir, "run " + quote(scenarios + "cpu/memtest-smoke.yaml") +
                               " -q -o out --trace-json trace.json --vcd no/such/folder/waves.vcd");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "no/such/folder/waves.vcd: cannot write the waveforms"));
    json trace = json::parse(read_file(dir.path("trace.json")));
    CHECK(tracks(trace).count("cpu0"));
    CHECK(with(trace, "i", "run.end").empty());
}

TEST_CASE("trace: SIGINT stops a long run at its next quantum, exit 130, with a valid streamed timeline", "[trace]") {
    TempDir dir;
    // The folder holds a previous run's outputs, and a file of the user's.
    REQUIRE(dmasim(dir, "run " + quote(scenarios + "cpu/memtest-smoke.yaml") + " -q -o out").code == 0);
    for (const char* file : platform::output_file::all)
        REQUIRE(fs::exists(dir.path(std::string("out/") + file)));
    dir.write("out/notes.txt", "mine\n");
    const std::string trace_path = dir.path("trace.json");
    std::vector<std::string> args = {
        DMASIM_BINARY, "run",           "--workload",   "coherent-alias", "-p",    "rounds=1000000",     "-q",
        "-o",          dir.path("out"), "--trace-json", trace_path,       "--vcd", dir.path("waves.vcd")};
    std::vector<char*> argv;
    for (std::string& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDERR_FILENO, dir.path("stderr.txt").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    REQUIRE(posix_spawn(&pid, DMASIM_BINARY, &files, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&files);

    // Events are written as they come: the file grows while the run goes on.
    auto written = [&] {
        std::error_code error;
        uintmax_t size = fs::file_size(trace_path, error);
        return error ? 0 : size;
    };
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (written() < 50000 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(written() >= 50000);
    REQUIRE(::kill(pid, SIGINT) == 0);
    int status = 0;
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            FAIL("dmasim did not stop within 30 s of SIGINT");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    CHECK(contains(read_file(dir.path("stderr.txt")), "interrupted at"));

    json trace = json::parse(read_file(trace_path));
    CHECK(with(trace, "X", "dma.write").size() > 10);
    CHECK(events(trace).back()["args"]["result"] == "interrupted");
    Vcd vcd(read_file(dir.path("waves.vcd")));
    CHECK(vcd.of("SystemC.busy.dma0").size() > 10);
    // The run did not finish: none of its outputs, and none of the previous run's to be taken for them.
    for (const char* file : platform::output_file::all)
        CHECK_FALSE(fs::exists(dir.path(std::string("out/") + file)));
    CHECK(read_file(dir.path("out/notes.txt")) == "mine\n");
}

TEST_CASE("trace: on a PCI platform each endpoint's DMA is a slice on its track, with flows from the mappings "
          "under it",
          "[trace][pci]") {
    TempDir dir;
    REQUIRE(traced_run(dir, "pci/seed-missing-sync-broken.yaml").code == 0);
    json trace = json::parse(read_file(dir.path("trace.json")));
    std::map<std::string, int> tids = tracks(trace);
    CHECK(tids.count("pci0 (PCI host bridge)"));
    const int function = tids.at("0000:00:01.0"), endpoint = tids.at("ep0 (DMA test endpoint 0000:00:01.0)");
    std::map<int, std::string> names;
    for (const auto& [name, tid] : tids)
        names[tid] = name;

    // The driver's buffer is one noncoherent allocation the device writes 8 x 4 KiB into.
    std::vector<json> writes;
    for (const json& e : with(trace, "X", "dma.write"))
        if (e["tid"] == endpoint)
            writes.push_back(e);
    REQUIRE(writes.size() >= 8);
    std::vector<json> allocs = with(trace, "X", "dma.alloc noncoherent");
    REQUIRE(allocs.size() == 1);
    CHECK(allocs[0]["tid"] == function);
    const json& buffer = allocs[0]["args"];
    uint64_t written = 0;
    for (const json& write : writes) {
        INFO(write.dump());
        CHECK(write["dur"].get<double>() > 0);
        uint64_t offset = hex(write["args"]["addr"]) - hex(buffer["dma_addr"]);
        CHECK(offset < buffer["size"].get<uint64_t>());
        // The bus address the mapping holds, the system address the bridge's window gives it.
        CHECK(hex(write["args"]["pa"]) == hex(buffer["pa"]) + offset);
        written += write["args"]["length"].get<uint64_t>();
    }
    CHECK(written == load_json(dir.path("out/stats.json"))["ep0"]["dma_write_bytes"].get<uint64_t>());

    // Every flow starts in a map or alloc call on a function's track and ends inside one DMA slice
    // of that function's endpoint, at a bus address of the mapping; each of ep0's writes gets one.
    std::map<uint64_t, json> starts;
    for (const json& s : with(trace, "s")) {
        CHECK(starts.count(s["id"].get<uint64_t>()) == 0);
        starts[s["id"].get<uint64_t>()] = s;
    }
    size_t into_ep0 = 0, into_endpoints = 0;
    for (const json& f : with(trace, "f")) {
        if (!f.contains("bp"))
            continue;  // a hazard's flow
        INFO(f.dump());
        REQUIRE(starts.count(f["id"].get<uint64_t>()));
        const json& s = starts[f["id"].get<uint64_t>()];
        const std::string& from = names.at(s["tid"].get<int>());
        const std::string& to = names.at(f["tid"].get<int>());
        CHECK(to.rfind("ep", 0) == 0);
        CHECK(contains(to, " " + from + ")"));  // "ep0 (DMA test endpoint 0000:00:01.0)"
        CHECK(f["bp"] == "e");
        CHECK(ts(f) >= ts(s));
        std::vector<json> transfers = slices_at(trace, f["tid"].get<int>(), ts(f));
        std::vector<json> dma;
        for (const json& transfer : transfers)
            if (transfer["name"] == "dma.read" || transfer["name"] == "dma.write")
                dma.push_back(transfer);
        REQUIRE(dma.size() == 1);
        CHECK(covered(slices_at(trace, s["tid"].get<int>(), ts(s)), hex(dma[0]["args"]["addr"]), "dma_addr"));
        ++into_endpoints;
        into_ep0 += f["tid"] == endpoint;
    }
    CHECK(into_ep0 == writes.size());
    CHECK(into_endpoints > into_ep0);  // the USB host controller's, under its descriptor mappings

    // The L2's maintenance: one slice per range the DMA layer maintains, not one per line.
    std::vector<json> layer = with(trace, "X");
    size_t ranges = 0;
    for (const json& maint : layer) {
        if (maint["name"].get<std::string>().rfind("dma.maint", 0) != 0)
            continue;
        INFO(maint.dump());
        ++ranges;
        std::vector<json> outer;
        for (const json& e : layer)
            if (e["tid"] == tids.at("l2") && ts(e) >= ts(maint) && end_of(e) <= end_of(maint))
                outer.push_back(e);
        REQUIRE(outer.size() == 1);
        CHECK(outer[0]["name"].get<std::string>().rfind("cache.maint ", 0) == 0);
        CHECK(hex(outer[0]["args"]["pa"]) <= hex(maint["args"]["pa"]));
        CHECK(hex(outer[0]["args"]["pa"]) + outer[0]["args"]["length"].get<uint64_t>() >=
              hex(maint["args"]["pa"]) + maint["args"]["size"].get<uint64_t>());
        CHECK(outer[0]["args"]["length"].get<uint64_t>() < 2 * maint["args"]["size"].get<uint64_t>() + 64);
    }
    CHECK(ranges > 0);
    size_t outer_slices = 0;
    for (const json& e : layer)
        outer_slices += e["tid"] == tids.at("l2");
    CHECK(outer_slices == ranges);

    // Each endpoint function has a busy wire, high for each of ep0's writes.
    Vcd vcd(read_file(dir.path("waves.vcd")));
    for (const char* wire : {"SystemC.busy.ep0", "SystemC.busy.ep1", "SystemC.busy.ep2", "SystemC.busy.ep3"})
        CHECK(vcd.vars.at(wire).second == 1);
    size_t rises = 0;
    for (const auto& [time, bits] : vcd.of("SystemC.busy.ep0"))
        rises += bits == "1";
    CHECK(rises >= 1);
    CHECK(rises <= writes.size());
    CHECK(vcd.vars.count("SystemC.counters.dma_pool.blocks_in_use"));
}

TEST_CASE("trace: an unsupported request is on the PCI host bridge's track and ends the endpoint's DMA slice",
          "[trace][pci]") {
    using namespace ring_nic;
    TempDir dir;
    pci_sim::PciSim sim;
    static const sw::PciDriverRegistry ring_only = [] {
        sw::PciDriverRegistry registry;
        registry.add(sw::ring_nic_driver());
        return registry;
    }();
    {
        platform::TraceJson trace(dir.path("trace.json"), sim.instrumentation(),
                                  platform::trace_layout(sim.platform(), "unsupported"), "pci.*,dma.read");
        std::string fault = sim.run([&] {
            sim.pci.scan();
            sim.pci.probe_drivers(ring_only);
            sw::RingNic& nic = *sw::RingNic::of(*sim.pci.find("0000:00:03.0"));
            REQUIRE(nic.open(sw::RingNicOptions{}) == 0);
            nic.writel(RING_CTRL, 0);
            nic.writel(RING_TX_BASE_LO, 0xf0000000);  // beyond the inbound window
            nic.writel(RING_TX_SIZE, 4);
            nic.writel(RING_CTRL, CTRL_TX_ENABLE);
            nic.writel(RING_TX_TAIL, 1);
            sim.kernel.wait_for_interrupt();
            nic.stop();
        });
        REQUIRE(fault.empty());
        trace.finish(sc_core::sc_time_stamp().value(), "pass");
    }
    json trace = json::parse(read_file(dir.path("trace.json")));
    std::map<std::string, int> tids = tracks(trace);
    std::vector<json> unsupported = with(trace, "i", "pci.unsupported_request");
    REQUIRE(unsupported.size() == 1);
    CHECK(unsupported[0]["tid"] == tids.at("pci0 (PCI host bridge)"));
    CHECK(hex(unsupported[0]["args"]["pci_addr"]) == 0xf0000000);
    std::vector<json> failed;
    for (const json& read : with(trace, "X", "dma.read"))
        if (read["args"].contains("result"))
            failed.push_back(read);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0]["tid"] == tids.at("ep2 (ring device 0000:00:03.0)"));
    CHECK(failed[0]["args"]["result"] == "unsupported request");
    CHECK(hex(failed[0]["args"]["addr"]) == 0xf0000000);
    CHECK_FALSE(failed[0]["args"].contains("pa"));  // it reached no system address
    CHECK(ts(failed[0]) <= ts(unsupported[0]));
    CHECK(ts(unsupported[0]) <= end_of(failed[0]));
}

TEST_CASE("trace: with dma.map or dma.alloc alone each mapping's life still ends, and the count falls back",
          "[trace]") {
    TempDir dir;
    for (const char* selected : {"dma.map", "dma.alloc"}) {
        INFO(selected);
        REQUIRE(traced_run(dir, "dma/dma-selftest-clean.yaml", std::string("--trace ") + selected).code == 0);
        json trace = json::parse(read_file(dir.path("trace.json")));
        std::map<uint64_t, int> open;
        for (const json& e : events(trace)) {
            if (e["ph"] == "b")
                ++open[e["id"].get<uint64_t>()];
            else if (e["ph"] == "e")
                --open[e["id"].get<uint64_t>()];
        }
        CHECK(open.size() >= 2);
        for (const auto& [id, count] : open)
            CHECK(count == 0);
        // The ends are followed, not shown: no unmap or free slice.
        for (const json& e : with(trace, "X")) {
            const std::string name = e["name"];
            CHECK(name.rfind(selected, 0) == 0);
        }
        CHECK(with(trace, "C", "dma.active_mappings").size() >= 3);
        CHECK(last_counter(trace, "dma.active_mappings") == 0);
    }
}

TEST_CASE("trace: every event --trace help lists is accepted by --trace", "[trace]") {
    TempDir dir;
    const std::string scenario = quote(scenarios + "pci/seed-missing-sync-broken.yaml");
    Result help = dmasim(dir, "run " + scenario + " --trace help");
    REQUIRE(help.code == 0);
    std::vector<std::string> names;
    std::istringstream lines(help.out);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("  ", 0) == 0)
            names.push_back(line.substr(2, line.find(' ', 2) - 2));
    for (const char* expected : {"pci.log", "usb.log", "usb.td", "irq.gic.cpu0", "dma.read", "cache.maint"})
        CHECK(std::find(names.begin(), names.end(), expected) != names.end());
    std::string globs;
    for (const std::string& name : names)
        globs += (globs.empty() ? "" : ",") + name;
    // Each glob must match a traceable event: one run checks them all.
    Result all = dmasim(dir, "run " + scenario + " -q -o out --trace-json t.json --trace " + quote(globs));
    CHECK(all.code == 0);
    CHECK_FALSE(contains(all.err, "matches no traceable event"));
    json trace = json::parse(read_file(dir.path("t.json")));
    CHECK_FALSE(with(trace, "i", "usb.log").empty());
    CHECK_FALSE(with(trace, "i", "pci.log").empty());
}

namespace {

// Keeps the events it is given.
struct EventLog : models::EventSink {
    std::vector<models::Event> events;
    void on_event(const models::Event& event) override { events.push_back(event); }
};

const models::FieldValue* field(const models::Event& event, const std::string& key) {
    for (const models::Field& f : event.fields)
        if (f.key == key)
            return &f.value;
    return nullptr;
}

uint64_t number(const models::Event& event, const std::string& key) {
    const models::FieldValue* value = field(event, key);
    REQUIRE(value);
    return std::get<uint64_t>(*value);
}

// A program's L2 maintenance on the non-coherent platform: it gets the PL310's registers mapped
// at `regs`, the line size and a RAM address; the result holds the outer cache's cache.maint
// events and the core's fault.
struct L2Run {
    std::vector<models::Event> events;
    std::string fault;
    uint64_t line = 0, pa = 0;
};
using L2Program = std::function<void(models::Core& cpu, uint64_t regs, uint64_t line, uint64_t pa)>;
L2Run run_l2_program(const L2Program& program) {
    models::Instrumentation instr;
    platform::DeviceTree tree = platform::DeviceTree::load(DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts");
    platform::Platform machine(tree, platform::PlatformOptions{}, instr);
    REQUIRE(machine.outer_cache_registers());
    EventLog log;
    instr.add_sink(&log, "cache.maint");
    const uint64_t regs = models::Mmu::vmalloc_base;
    L2Run run;
    run.line = machine.outer_cache()->cache().line_size();
    run.pa = machine.memories().at(0).base + 0x100000;
    machine.core().set_program([&](models::Core& cpu) {
        cpu.mmu().map(regs, *machine.outer_cache_registers(), 4096, models::MemType::device);
        program(cpu, regs, run.line, run.pa);
    });
    sc_core::sc_start();
    run.fault = machine.core().fault();
    for (const models::Event& event : log.events)
        if (event.source == "l2")
            run.events.push_back(event);
    return run;
}

}  // namespace

TEST_CASE("trace: the L2's maintenance is a slice per operation: a by-PA range, a run by index, a way",
          "[trace][cache]") {
    L2Run run = run_l2_program([](models::Core& cpu, uint64_t regs, uint64_t line, uint64_t pa) {
        for (uint64_t i = 0; i < 4; ++i)  // four consecutive lines: one range
            cpu.store32(regs + outer_cache::clean_pa, static_cast<uint32_t>(pa + i * line));
        cpu.store32(regs + outer_cache::clean_pa, static_cast<uint32_t>(pa + 10 * line));  // not the next
        cpu.store32(regs + outer_cache::cache_sync, 0);
        for (uint32_t set = 0; set < 3; ++set)
            cpu.store32(regs + outer_cache::clean_index, static_cast<uint32_t>(set * line));
        cpu.store32(regs + outer_cache::clean_invalidate_way, 0x3);  // ends the run by index
        cpu.store32(regs + outer_cache::cache_sync, 0);
    });
    REQUIRE(run.fault.empty());
    const std::vector<models::Event>& outer = run.events;
    const uint64_t line = run.line, pa = run.pa;
    REQUIRE(outer.size() == 4);
    CHECK(std::get<std::string>(*field(outer[0], "op")) == "clean");
    CHECK(number(outer[0], "pa") == pa);
    CHECK(number(outer[0], "length") == 4 * line);
    CHECK(number(outer[1], "pa") == pa + 10 * line);
    CHECK(number(outer[1], "length") == line);
    CHECK(number(outer[2], "lines") == 3);
    CHECK_FALSE(field(outer[2], "pa"));
    CHECK(std::get<std::string>(*field(outer[3], "op")) == "clean_invalidate");
    CHECK(number(outer[3], "way_mask") == 0x3);
    for (size_t i = 0; i < outer.size(); ++i) {
        INFO(i);
        CHECK(number(outer[i], "duration_ps") > 0);
        if (i)
            CHECK(outer[i].time_ps >= outer[i - 1].time_ps + number(outer[i - 1], "duration_ps"));
    }
}

TEST_CASE("trace: the L2's last by-PA run is a slice even without a Cache Sync, when a data abort ends the run",
          "[trace][cache]") {
    L2Run run = run_l2_program([](models::Core& cpu, uint64_t regs, uint64_t line, uint64_t pa) {
        for (uint64_t i = 0; i < 3; ++i)
            cpu.store32(regs + outer_cache::invalidate_pa, static_cast<uint32_t>(pa + i * line));
        cpu.load32(regs + 2 * 4096);  // unmapped: the abort ends the program before any Cache Sync
    });
    CHECK_THAT(run.fault, Catch::Contains("data abort"));
    const std::vector<models::Event>& outer = run.events;
    const uint64_t line = run.line, pa = run.pa;
    REQUIRE(outer.size() == 1);
    CHECK(std::get<std::string>(*field(outer[0], "op")) == "invalidate");
    CHECK(number(outer[0], "pa") == pa);
    CHECK(number(outer[0], "length") == 3 * line);
    CHECK(number(outer[0], "duration_ps") > 0);
}

TEST_CASE("trace: --trace selects events, --trace help lists them all, a glob matching none is an error", "[trace]") {
    TempDir dir;
    REQUIRE(traced_run(dir, "coherence/hazard-stale-cpu-read-broken.yaml", "--trace 'hazard.*,dma.write'").code == 0);
    json trace = json::parse(read_file(dir.path("trace.json")));
    CHECK(with(trace, "X", "dma.write").size() == 1);
    CHECK(with(trace, "X", "cache.maint clean").empty());
    CHECK(with(trace, "i", "hazard.stale_cpu_read").size() == 256);
    CHECK(with(trace, "C", "dma.active_mappings").empty());  // dma.map is not traced

    Result help = dmasim(dir, "run --trace help");
    CHECK(help.code == 0);
    for (const char* line :
         {"dma.map ", "dma.unmap ", "dma.alloc ", "dma.free ", "dma.read ", "dma.write ", "dma.maint ", "cache.maint ",
          "hazard.stale_cpu_read ", "dma_debug.sync_unallocated ", "cpu.abort "})
        CHECK(contains(help.out, std::string("  ") + line));
    CHECK(contains(help.out, "a streaming mapping"));

    Result typo = dmasim(dir, "run --workload memtest -q -o out --trace-json t.json --trace 'dma.mpa'");
    CHECK(typo.code == 2);
    CHECK(contains(typo.err, "'dma.mpa' matches no traceable event"));
    Result alone = dmasim(dir, "run --workload memtest -q -o out --trace 'dma.*'");
    CHECK(alone.code == 2);
    CHECK(contains(alone.err, "--trace-json"));
}

TEST_CASE("vcd: timescale, scopes, a busy wire per bus master, sampled counters and value changes", "[trace][vcd]") {
    TempDir dir;
    // A short quantum, so the core's state the counters sample moves on every 100 ns.
    REQUIRE(traced_run(dir, "coherence/hazard-stale-cpu-read-broken.yaml", "--vcd-period 100ns --quantum 100ns").code ==
            0);
    Vcd vcd(read_file(dir.path("waves.vcd")));
    CHECK(vcd.timescale == "1 ps");
    CHECK(vcd.vars.at("SystemC.busy.dma0").second == 1);
    for (const char* counter : {"SystemC.counters.cpu0.l1d.dirty_lines", "SystemC.counters.l2.dirty_lines",
                                "SystemC.counters.dma.active_mappings", "SystemC.counters.swiotlb.slots_in_use"})
        CHECK(vcd.vars.at(counter).second == 64);

    // The busy wire is high exactly while the timeline's transfer slice lasts.
    json trace = json::parse(read_file(dir.path("trace.json")));
    std::vector<json> writes = with(trace, "X", "dma.write");
    REQUIRE(writes.size() == 1);
    const auto& busy = vcd.of("SystemC.busy.dma0");
    REQUIRE(busy.size() == 3);
    CHECK(busy[0] == std::make_pair(uint64_t(0), std::string("0")));
    CHECK(busy[1] == std::make_pair(uint64_t(ts(writes[0]) * 1e6 + 0.5), std::string("1")));
    CHECK(busy[2] == std::make_pair(uint64_t(end_of(writes[0]) * 1e6 + 0.5), std::string("0")));

    // The CPU dirties the buffer's lines before it cleans them: the L1's count rises, then falls.
    const auto& dirty = vcd.of("SystemC.counters.cpu0.l1d.dirty_lines");
    REQUIRE(dirty.size() >= 2);
    uint64_t most = 0;
    for (const auto& [time, bits] : dirty)
        most = std::max<uint64_t>(most, std::stoull(bits, nullptr, 2));
    CHECK(most > 0);
    CHECK(std::stoull(dirty.back().second, nullptr, 2) < most);
}

TEST_CASE("vcd: a file named without the .vcd suffix is written under its own name, without host time",
          "[trace][vcd]") {
    TempDir dir;
    REQUIRE(dmasim(dir, "run " + quote(scenarios + "cpu/memtest-smoke.yaml") + " -q -o out --vcd wave.dat").code == 0);
    Vcd vcd(read_file(dir.path("wave.dat")));
    CHECK(vcd.timescale == "1 ps");
    CHECK(vcd.vars.count("SystemC.counters.cpu0.l1d.dirty_lines"));
    CHECK(vcd.date.empty());
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir.path("")))
        if (entry.is_regular_file())
            files.push_back(entry.path().filename().string());
    std::sort(files.begin(), files.end());
    CHECK(files == std::vector<std::string>{"stderr.txt", "stdout.txt", "wave.dat"});  // no wave.dat.vcd, no temporary
}

TEST_CASE("trace and vcd: the blocks in use of each dma_pool are a counter, sampled in the waveforms", "[trace][vcd]") {
    TempDir dir;
    REQUIRE(traced_run(dir, "pci/seed-small-buffers-fixed-dma-pool.yaml", "--vcd-period 100ns").code == 0);
    json trace = json::parse(read_file(dir.path("trace.json")));
    for (const char* counter : {"dma_pool.pools.ring_nic-rx.blocks_in_use", "dma_pool.blocks_in_use"}) {
        INFO(counter);
        double most = 0;
        for (const json& sample : with(trace, "C", counter))
            most = std::max(most, sample["args"]["value"].get<double>());
        CHECK(most > 0);
        CHECK(last_counter(trace, counter) == 0);  // every block freed at driver removal
    }
    json stats = load_json(dir.path("out/stats.json"));
    CHECK(stats["dma_pool"]["pools"]["ring_nic-rx"]["blocks_in_use"] == 0);

    Vcd vcd(read_file(dir.path("waves.vcd")));
    uint64_t most = 0;
    for (const auto& [time, bits] : vcd.of("SystemC.counters.dma_pool.blocks_in_use"))
        most = std::max<uint64_t>(most, std::stoull(bits, nullptr, 2));
    CHECK(most > 0);
}

namespace {

// Drives a line as a device model would: now, then at a time ahead of the kernel's.
struct LineDriver : sc_core::sc_module {
    models::InterruptLine& line;
    LineDriver(sc_core::sc_module_name name, models::InterruptLine& line) : sc_module(name), line(line) {
        SC_THREAD(run);
    }
    SC_HAS_PROCESS(LineDriver);
    void run() {
        sc_core::wait(100, sc_core::SC_NS);
        line.set(sc_core::sc_time_stamp().value(), true);
        line.set(250000, false);  // a decoupled model: 150 ns ahead of the kernel
        sc_core::wait(300, sc_core::SC_NS);
        line.set(sc_core::sc_time_stamp().value(), true);
    }
};

}  // namespace

TEST_CASE("vcd: an interrupt line declared before the run is a wire with its level changes at their times",
          "[trace][vcd]") {
    TempDir dir;
    const std::string path = dir.path("irq.vcd");
    {
        models::Instrumentation instr;
        models::InterruptLine line(instr, "gic.spi32", "a test line");
        platform::VcdConfig config;
        config.path = path;
        config.period_ps = 50000;
        platform::VcdWriter writer("vcd", instr, config);
        LineDriver driver("driver", line);
        sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_US));
    }
    Vcd vcd(read_file(path));
    const auto& changes = vcd.of("SystemC.irq.gic.spi32");
    REQUIRE(changes.size() == 4);
    CHECK(changes[0] == std::make_pair(uint64_t(0), std::string("0")));
    CHECK(changes[1] == std::make_pair(uint64_t(100000), std::string("1")));
    CHECK(changes[2] == std::make_pair(uint64_t(250000), std::string("0")));
    CHECK(changes[3] == std::make_pair(uint64_t(400000), std::string("1")));
    CHECK(vcd.vars.count("SystemC.counters.dma.active_mappings"));
}

namespace {

// Drives two of an SMMU's lines as its model would: the context line, then the global one while it
// is still high, then both low.
struct SmmuLines : sc_core::sc_module {
    models::InterruptLine& context;
    models::InterruptLine& global;
    SmmuLines(sc_core::sc_module_name name, models::InterruptLine& context, models::InterruptLine& global)
        : sc_module(name), context(context), global(global) {
        SC_THREAD(run);
    }
    SC_HAS_PROCESS(SmmuLines);
    void run() {
        sc_core::wait(100, sc_core::SC_NS);
        context.set(sc_core::sc_time_stamp().value(), true);
        global.set(150000, true);
        context.set(200000, false);
        global.set(300000, false);
    }
};

}  // namespace

TEST_CASE("vcd: an SMMU's fault line is high while one of its fault interrupts is", "[trace][vcd][iommu]") {
    TempDir dir;
    const std::string path = dir.path("faults.vcd");
    {
        models::Instrumentation instr;
        models::InterruptLine global(instr, "smmu0.global", "a test line");
        models::InterruptLine context(instr, "smmu0.context0", "a test line");
        platform::VcdConfig config;
        config.path = path;
        config.period_ps = 50000;
        config.fault_lines = {{"irq.smmu0.global", "fault.smmu0"}, {"irq.smmu0.context0", "fault.smmu0"}};
        platform::VcdWriter writer("vcd", instr, config);
        SmmuLines lines("lines", context, global);
        sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_US));
    }
    Vcd vcd(read_file(path));
    // Up at the first line's rise, down at the last one's fall; the lines keep their own wires.
    CHECK(vcd.of("SystemC.fault.smmu0") ==
          std::vector<std::pair<uint64_t, std::string>>{{0, "0"}, {100000, "1"}, {300000, "0"}});
    CHECK(vcd.of("SystemC.irq.smmu0.context0") ==
          std::vector<std::pair<uint64_t, std::string>>{{0, "0"}, {100000, "1"}, {200000, "0"}});
}

TEST_CASE("plot: PNGs of hazards, mappings and per-case times from a run's outputs, exit 2 for a bad folder",
          "[trace][plot]") {
    // scripts/setup installs python3-matplotlib: without it the set-up is broken, not the test optional.
    INFO("/usr/bin/python3 cannot import matplotlib: run scripts/setup (it installs python3-matplotlib)");
    REQUIRE(matplotlib_available());
    TempDir dir;
    REQUIRE(dmasim(dir, "run " + quote(scenarios + "dma/dma-selftest-skip-sync-for-cpu.yaml") +
                            " -q -o selftest --trace-json selftest/trace.json")
                .code == 0);
    // The allocation-attributes experiment records workload.alloc_attrs.<case>.<phase>_ps.
    REQUIRE(dmasim(dir, "run --workload seed-alloc-attrs -q -o attrs").code == 0);

    const std::string plot = quote(DMASIM_SOURCE_DIR "/scripts/plot");
    auto run_plot = [&](const std::string& args, const std::string& log) {
        int status = std::system((plot + " " + args + " >" + quote(dir.path(log)) + " 2>&1").c_str());
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    int selftest = run_plot(quote(dir.path("selftest")) + " -o " + quote(dir.path("png")), "selftest.txt");
    int attrs = run_plot(quote(dir.path("attrs")) + " -o " + quote(dir.path("png")), "attrs.txt");
    INFO(read_file(dir.path("selftest.txt")) << read_file(dir.path("attrs.txt")));
    REQUIRE(selftest == 0);
    REQUIRE(attrs == 0);
    for (const char* png : {"hazards.png", "mappings.png", "alloc_attrs-time.png"})
        CHECK(is_png(dir.path(std::string("png/") + png)));
    CHECK_FALSE(fs::exists(dir.path("png/dma-debug.png")));  // no dma-debug report in either run
    CHECK(contains(read_file(dir.path("selftest.txt")), "no dma-debug reports"));
    CHECK(contains(read_file(dir.path("attrs.txt")), "no timeline"));

    CHECK(run_plot(quote(dir.path("png")), "bad.txt") == 2);
    CHECK(contains(read_file(dir.path("bad.txt")), "stats.json: missing"));
    dir.write("selftest/hazards.json", "{");
    CHECK(run_plot(quote(dir.path("selftest")), "broken.txt") == 2);
    CHECK(contains(read_file(dir.path("broken.txt")), "hazards.json: not valid JSON"));
}
