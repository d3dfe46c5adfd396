// Summaries of a run for people: stats.txt, written beside stats.json, and `dmasim report OUTDIR`,
// which reads an output folder back (config.json, stats.json, hazards.json, and dma-debug.json
// when the run wrote one). Like the files they read, both are deterministic.
#pragma once

#include "platforms/app/json_field.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace platform {

// One entry of stats.json's "expectations".
struct ExpectationOutcome {
    std::string expect;              // as written in the scenario
    std::optional<uint64_t> actual;  // none when no such stat exists
    std::string result;              // "met", "failed" or "unknown stat"

    bool met() const { return result == "met"; }
    std::string describe() const;  // "hazards.stale_cpu_read >= 1 (actual 256)"
};

// stats.json read back.
struct RunStats {
    std::map<std::string, uint64_t> counters;  // by dotted path: "cpu0.l1d.read_hits"
    std::vector<ExpectationOutcome> expectations;
    std::string result;  // "pass", "expectation_failed" or "simulation_error"
    std::string fault;   // what ended the run early; empty if nothing did

    // ConfigError naming the file and the field when `stats` is not what dmasim run writes.
    static RunStats read(const JsonField& stats);
    uint64_t counter(const std::string& path) const;  // 0 if absent
};

// stats.txt: the result, the expectations with their results, and the counters grouped by their
// first path component, names and values aligned.
std::string stats_text(const RunStats& stats);

enum class ReportFormat { text, markdown };

// `dmasim report`: run identity, expectations, hazards with their evidence, dma-debug reports and
// the main counters. ConfigError naming the file and what was expected if OUTDIR is not a run's.
std::string report(const std::string& outdir, ReportFormat format);

}  // namespace platform
