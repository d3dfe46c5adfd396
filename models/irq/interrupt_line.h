// An interrupt line as the outputs see it: a named wire whose level changes at simulated times.
// A model that drives a line (an interrupt controller, a device raising its interrupt) owns one
// InterruptLine per line, made while the platform is built; each change is the event
// `irq.<name>` with the field `level` (0 or 1). The timeline (--trace-json) shows it as a counter
// track and the waveform file (--vcd) declares a wire per `irq.*` event declared before the
// simulation starts, so a line must exist by then.
#pragma once

#include "models/common/instrumentation.h"

#include <cstdint>
#include <string>

namespace models {

class InterruptLine {
public:
    static constexpr const char* event_prefix = "irq.";

    InterruptLine(Instrumentation& instr, std::string name, const std::string& description);
    InterruptLine(const InterruptLine&) = delete;
    InterruptLine& operator=(const InterruptLine&) = delete;

    const std::string& name() const { return name_; }
    bool level() const { return level_; }

    // Drives the line from `time_ps` on, which may lie ahead of the kernel's time (a model running
    // on a core's local time); only a change of level is emitted.
    void set(uint64_t time_ps, bool level);

private:
    Instrumentation& instr_;
    std::string name_;
    EventKind ev_change_;
    bool level_ = false;
};

}  // namespace models
