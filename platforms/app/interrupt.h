// SIGINT during a run: the handler only sets a flag; the core's quantum sync polls it and ends the
// simulated program with RunInterrupted, so the run unwinds normally and closes its trace and
// waveform files (exit code exit_interrupted). A second SIGINT kills the process at once, as usual.
#pragma once

#include <exception>

namespace platform {

struct RunInterrupted : std::exception {
    const char* what() const noexcept override { return "interrupted (SIGINT)"; }
};

// Installs the handler for its lifetime and restores the previous one after.
class InterruptGuard {
public:
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

    bool requested() const;
    // Throws RunInterrupted the first time it is called after SIGINT arrived (later calls, from the
    // core's last sync as it stops, return); cheap enough for every quantum sync.
    void check() {
        if (requested() && !thrown_) {
            thrown_ = true;
            throw RunInterrupted();
        }
    }

private:
    bool thrown_ = false;
};

}  // namespace platform
