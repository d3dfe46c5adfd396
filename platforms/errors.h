// Errors that end a run, and the exit codes the CLI documents for them.
#pragma once

#include <stdexcept>

namespace platform {

enum ExitCode : int {
    exit_pass = 0,
    exit_expectation_failed = 1,
    exit_config_error = 2,      // bad usage, device tree, scenario or parameter
    exit_simulation_error = 3,  // the simulated software hit a data abort or similar
    exit_interrupted = 130,     // SIGINT stopped the run; --trace-json and --vcd files are closed and valid
};

// Bad input: the message names the file, line or node and what was expected.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace platform
