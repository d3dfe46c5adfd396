#include "models/irq/interrupt_line.h"

namespace models {

InterruptLine::InterruptLine(Instrumentation& instr, std::string name, const std::string& description)
    : instr_(instr), name_(std::move(name)), ev_change_(instr.declare_event(event_prefix + name_, description)) {}

void InterruptLine::set(uint64_t time_ps, bool level) {
    if (level == level_)
        return;
    level_ = level;
    instr_.emit(ev_change_, Event{time_ps, nullptr, name_, {{"level", uint64_t(level)}}});
}

}  // namespace models
