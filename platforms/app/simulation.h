// One run: resolve the platform, apply overrides, build, run the workload on the core, check the
// expectations, write the outputs. Its building and checking, without the run, are `dmasim check`
// and `dmasim describe`.
#pragma once

#include "platforms/app/scenario.h"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace platform {

struct RunRequest {
    std::string name;
    std::string description;
    std::string scenario_file;  // for messages about its lines; empty without a scenario
    std::string platform;       // a path, or a name in the platforms folder
    std::string search_dir;     // tried first for a relative platform (the scenario's folder)
    std::vector<std::string> overrides;
    std::vector<std::string> include_dirs;   // -I: the .dts's #include folders (cpp -I, dtc -i)
    std::vector<std::string> firmware_path;  // --firmware-path: searched before the build's firmware dir
    std::string workload;
    std::map<std::string, std::string> params;
    uint64_t seed = 1;
    std::vector<Expectation> expect;
    std::optional<uint64_t> quantum_ps;
    std::optional<bool> monitor;
    std::string outdir = "simout";
    bool quiet = false;
    bool heartbeat = false;            // a progress line on stderr (the CLI's choice: on a TTY, without --quiet)
    std::string trace_json;            // --trace-json: the timeline file (platforms/app/trace_json.h); empty: none
    std::string trace_events = "*";    // --trace: the events it shows, comma-separated globs
    std::string vcd;                   // --vcd: the waveform file (platforms/app/vcd.h); empty: none
    uint64_t vcd_period_ps = 1000000;  // --vcd-period: how often its counters are sampled

    static RunRequest from_scenario(const Scenario& scenario);
};

// Where shipped platforms and scenarios live (DMASIM_PLATFORM_DIR / DMASIM_SCENARIO_DIR override).
std::string platforms_dir();
std::string scenarios_dir();
std::string resolve_platform(const std::string& platform, const std::string& search_dir);

// "1us", "500ns", "2000ps", "1ms"; a bare number is nanoseconds. ConfigError on a bad form.
uint64_t parse_duration_ps(const std::string& text, const std::string& what);

// Creates the output folder and removes from it the files a previous run wrote (output_file::all,
// nothing else); ConfigError unless it is a writable folder. Done before a run rather than after it.
void prepare_outdir(const std::string& outdir);

// What validate() built: the platform's description (Platform::description()) and its warnings.
struct Validation {
    nlohmann::ordered_json platform;
    std::vector<std::string> warnings;
};

// Builds what run_simulation builds before it simulates, by the same code and with the same checks:
// the tree and its overrides, the platform, the kernel's boot (reserved memory), the DMA layer (the
// swiotlb pool, per-device pools) and the PCI core; and, when the request names a workload, its
// parameters, its Workload::check against that system and whether the expectations can be judged.
// Writes no file. Throws ConfigError.
Validation validate(const RunRequest& request);

// Every event a run of `request` declares before it starts, with its description (`--trace help`).
std::map<std::string, std::string> traceable_events(const RunRequest& request);

// Runs the request's workload (a run names one) and writes the outputs; returns the exit code (see
// ExitCode). Throws ConfigError.
int run_simulation(const RunRequest& request);

}  // namespace platform
