// `dmasim run` with no arguments: seed experiment 1 (missing sync), its broken and fixed scenarios
// run side by side as child processes (as `dmasim regress` runs them), then the contrast: hazards,
// wrong checksums and bytes, cache maintenance, dma-debug reports, simulated time.
#pragma once

#include <ostream>
#include <string>

namespace platform {

// Each scenario writes to OUTDIR/<scenario name>/. Returns 0 when both met their expectations,
// else 1 (as regress does). `binary` is the dmasim executable. ConfigError when the shipped
// scenarios are missing.
int run_default_experiment(const std::string& binary, const std::string& outdir, bool quiet, std::ostream& out);

}  // namespace platform
