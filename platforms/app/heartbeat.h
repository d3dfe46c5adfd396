// Progress for a person watching a long run: about once a second of host time, one line on
// stderr, rewritten in place, with the simulated time and the simulated accesses per host second.
// Host time decides only when the line is printed and what rate it shows; it never reaches an
// output file. Polled from a cheap point of the simulation (the core's quantum sync).
#pragma once

#include "models/common/instrumentation.h"

#include <chrono>
#include <cstdint>
#include <ostream>
#include <vector>

namespace platform {

class Heartbeat {
public:
    using Clock = std::chrono::steady_clock;

    // Sums the counters cpuN.accesses of `instr`, which must outlive this object.
    Heartbeat(const models::Instrumentation& instr, std::ostream& out,
              Clock::duration interval = std::chrono::seconds(1));
    Heartbeat(const Heartbeat&) = delete;
    Heartbeat& operator=(const Heartbeat&) = delete;
    ~Heartbeat();  // clears the line, so that what follows starts on a clean one

    void poll(uint64_t simulated_ps) {
        if (Clock::now() >= next_)
            beat(simulated_ps);
    }

private:
    void beat(uint64_t simulated_ps);
    uint64_t accesses() const;

    std::vector<const uint64_t*> access_counters_;
    std::ostream& out_;
    Clock::duration interval_;
    Clock::time_point last_;
    Clock::time_point next_;
    uint64_t last_accesses_ = 0;
    size_t width_ = 0;  // of the line on screen, to blank it out
};

}  // namespace platform
