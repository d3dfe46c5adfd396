// The 8051 case of dmasim_bench (issue 12, "Benchmark"): models::Mcs51's instructions per second
// against s51's (Debian sdcc-ucsim) on the same SDCC-built workload (bench/mcs51_workload.c),
// both measured in the same run. Target >= 20x; reported, never asserted.
#pragma once

#include <cstdint>
#include <string>

struct Mcs51Measurement {
    uint64_t s51_instructions = 0;     // s51 runs this many
    double s51_seconds = 0;            // its `step N` minus its start-up alone
    uint64_t dmasim_instructions = 0;  // dmasim runs this many (more: it is faster)
    double dmasim_seconds = 0;
    // The PC after s51_instructions in each: equal when both ran the same program the same way.
    unsigned s51_pc = 0, dmasim_pc = 0;
    std::string error;  // set if a run failed
};

// Runs the workload image for `s51_instructions` in s51 and ten times as many in dmasim.
Mcs51Measurement run_mcs51(const std::string& image, const std::string& s51, uint64_t s51_instructions);
