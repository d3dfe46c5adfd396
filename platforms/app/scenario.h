// Scenario files (tests/scenarios/*.yaml): which platform, what to change in it, which workload with
// which parameters, the seed, and the expectations checked on the results.
#pragma once

#include "platforms/errors.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace platform {

enum class CompareOp { eq, ne, lt, le, gt, ge };

// "<stat path> <op> <value>", the value a number, another stat or a number times a stat:
// "hazards.stale_cpu_read == 0", "a.fill_ps < b.fill_ps", "a.fill_ps < 0.25 * b.fill_ps".
struct Expectation {
    std::string text;  // as written
    std::string stat;  // dotted path into stats.json
    CompareOp op = CompareOp::eq;
    double value = 0;        // the number; with a right-hand stat, its factor (1 when none is written)
    std::string right_stat;  // the right-hand stat's path; empty when the value is a number
    int line = 0;            // line in the scenario file, 0 if from the command line

    static Expectation parse(const std::string& text, const std::string& where);  // ConfigError
    // `actual` is the stat's value, `right` the right-hand stat's (unused without one).
    bool holds(double actual, double right = 0) const;
};

struct Scenario {
    std::string file;  // path as given
    std::string name;
    std::string description;
    std::string platform;                // as written; resolved by the caller
    std::vector<std::string> overrides;  // "/node/path:prop=value"
    std::vector<std::string>
        include_dirs;  // the platform's #include folders, relative ones resolved against the file's folder
    std::string workload;
    std::map<std::string, std::string> params;  // values as text, typed by the workload
    std::optional<uint64_t> seed;
    std::vector<Expectation> expect;
    int expect_exit = 0;              // exit code of a passing run: 0, or 3 (a simulation error)
    std::vector<std::string> labels;  // CTest labels, each one of known_labels()
    bool golden = false;              // `dmasim regress` compares stats with a golden file

    // The labels a scenario may carry (smoke, coherence, dma, pci, iommu, mfd, dma-buf, slow).
    static const std::vector<std::string>& known_labels();

    // Unknown key, wrong type or bad value: ConfigError "FILE:LINE: ..." naming the key.
    static Scenario load(const std::string& path);
    static Scenario parse(const std::string& yaml_text, const std::string& file_name);
};

}  // namespace platform
