// The files a run writes: each written atomically (temporary file + rename), deterministic
// (simulated time only, no host paths), built from the instrumentation API.
#pragma once

#include "models/coherence_monitor.h"
#include "models/instrumentation.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace platform {

// Writes `content` to `path` via a temporary file in the same folder; ConfigError if impossible.
void write_file_atomically(const std::string& path, const std::string& content);

// Counters as nested objects: "cpu0.l1d.read_hits" -> {"cpu0": {"l1d": {"read_hits": N}}}.
nlohmann::ordered_json counters_json(const models::Instrumentation& instr);

nlohmann::ordered_json hazards_json(const models::CoherenceMonitor* monitor);

// run.log: a line per event, stamped with simulated time; bounded so a flood cannot fill a disk.
class LogSink : public models::EventSink {
public:
    static constexpr size_t max_event_lines = 10000;
    static constexpr const char* default_events = "bus.error,cpu.abort,hazard.*,workload.*";

    void note(uint64_t time_ps, const std::string& text);
    void on_event(const models::Event& event) override;
    const std::string& text() const { return text_; }

private:
    std::string text_;
    size_t event_lines_ = 0;
};

std::string format_field(const models::FieldValue& value);

}  // namespace platform
