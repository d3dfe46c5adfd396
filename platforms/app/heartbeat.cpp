#include "platforms/app/heartbeat.h"

#include "platforms/app/outputs.h"

#include <algorithm>
#include <fmt/format.h>
#include <regex>

namespace platform {

Heartbeat::Heartbeat(const models::Instrumentation& instr, std::ostream& out, Clock::duration interval)
    : out_(out), interval_(interval), last_(Clock::now()), next_(last_ + interval) {
    static const std::regex core_accesses(R"(cpu[0-9]+\.accesses)");
    for (const auto& [path, counter] : instr.counters())
        if (std::regex_match(path, core_accesses))
            access_counters_.push_back(counter);
    last_accesses_ = accesses();
}

Heartbeat::~Heartbeat() {
    if (width_)
        out_ << '\r' << std::string(width_, ' ') << '\r' << std::flush;
}

uint64_t Heartbeat::accesses() const {
    uint64_t sum = 0;
    for (const uint64_t* counter : access_counters_)
        sum += *counter;
    return sum;
}

static std::string rate(double per_second) {
    if (per_second >= 1e6)
        return fmt::format("{:.1f} M", per_second / 1e6);
    if (per_second >= 1e3)
        return fmt::format("{:.1f} k", per_second / 1e3);
    return fmt::format("{:.0f}", per_second);
}

void Heartbeat::beat(uint64_t simulated_ps) {
    Clock::time_point now = Clock::now();
    double seconds = std::chrono::duration<double>(now - last_).count();
    uint64_t total = accesses();
    std::string line = fmt::format("dmasim: simulated {}, {} accesses/s", format_time(simulated_ps),
                                   rate(seconds > 0 ? (total - last_accesses_) / seconds : 0));
    out_ << '\r' << line << std::string(width_ > line.size() ? width_ - line.size() : 0, ' ') << std::flush;
    width_ = std::max(width_, line.size());
    last_ = now;
    next_ = now + interval_;
    last_accesses_ = total;
}

}  // namespace platform
