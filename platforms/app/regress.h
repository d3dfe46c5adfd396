// `dmasim regress`: runs scenarios as parallel child processes of the dmasim binary and judges each
// by its exit code (a scenario's expect_exit, 0 unless it demonstrates a simulation error), the
// expectations in its stats.json and, for a scenario with `golden: true`, its golden stats. One
// line per scenario in file-name order, JUnit XML for CI, and deterministic shards for CI matrices
// and job arrays. Everything it prints and writes is deterministic: simulated time, no host time.
#pragma once

#include "platforms/app/report.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace platform {

// Part K of N (1-based): the scenarios at positions p, in file-name order, with p % N == K - 1.
struct Shard {
    unsigned index = 1;
    unsigned count = 1;

    static Shard parse(const std::string& text);  // "K/N" with 1 <= K <= N; ConfigError otherwise
    bool selects(size_t position) const { return position % count == index - 1; }
};

struct RegressOptions {
    std::vector<std::string> inputs;  // scenario files, and folders standing for their *.yaml files
    unsigned jobs = 1;                // runs at a time
    std::string junit;                // JUnit XML file to write; empty for none
    Shard shard;
    bool list = false;                    // print the selected files instead of running them
    bool update_golden = false;           // write golden files instead of comparing with them
    std::string golden_dir;               // empty: the folder golden/ beside each scenario's folder
    std::string outroot = "regress-out";  // each run writes to OUTROOT/<file stem>/
    std::string binary;                   // the dmasim executable to run
};

struct ScenarioOutcome {
    std::string file;
    std::string name;    // the file's stem: its output folder and JUnit test name
    std::string folder;  // the JUnit class name
    bool passed = false;
    std::optional<uint64_t> time_ps;    // simulated time, when the run got that far
    std::vector<std::string> problems;  // why it failed
    std::string note;                   // what else happened, e.g. a golden file written
};

// The scenario files among `inputs`, sorted by file name. ConfigError for an input that does not
// exist, a folder without scenarios, or two scenario files with one name.
std::vector<std::string> collect_scenarios(const std::vector<std::string>& inputs);

// The golden form of a run's stats: every counter by dotted path, the result and any fault, sorted.
nlohmann::ordered_json canonical_stats(const RunStats& stats);

// "cpu0.accesses 773 (golden 770)" for each value that differs, in path order.
std::vector<std::string> golden_differences(const nlohmann::ordered_json& golden, const nlohmann::ordered_json& actual);

// One <testcase> per scenario, with its problems as the <failure>; time is simulated seconds.
std::string junit_xml(const std::vector<ScenarioOutcome>& outcomes, const std::string& suite_name);

// Runs the scenarios, printing a line for each and a total to `out`; returns 0 if all passed, else 1.
// ConfigError for bad arguments (exit 2).
int regress(const RegressOptions& options, std::ostream& out);

// The running executable (/proc/self/exe), else `argv0`.
std::string self_executable(const char* argv0);

}  // namespace platform
