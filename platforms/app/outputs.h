// The files a run writes: each written atomically (temporary file + rename), deterministic
// (simulated time only, no host paths), built from the instrumentation API.
#pragma once

#include "dma/debug.h"
#include "dma/mapping_history.h"
#include "models/coherence/coherence_monitor.h"
#include "models/common/instrumentation.h"
#include "platforms/app/hazard_mappings.h"

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace platform {

// The files a run writes into its output folder (README, "Outputs").
namespace output_file {
constexpr const char* config = "config.json";
constexpr const char* stats = "stats.json";
constexpr const char* stats_text = "stats.txt";
constexpr const char* log = "run.log";
constexpr const char* hazards = "hazards.json";
constexpr const char* dma_debug = "dma-debug.json";
constexpr std::array<const char*, 6> all = {config, stats, stats_text, log, hazards, dma_debug};
}  // namespace output_file

// Writes `content` to `path` via a temporary file in the same folder; ConfigError if impossible.
void write_file_atomically(const std::string& path, const std::string& content);
// ConfigError ("<what> <path>: cannot write: <reason>") unless write_file_atomically(path) could
// write it now; checks before a long job rather than after it. Leaves nothing behind.
void check_writable(const std::string& path, const std::string& what);

// Counters as nested objects: "cpu0.l1d.read_hits" -> {"cpu0": {"l1d": {"read_hits": N}}}.
nlohmann::ordered_json counters_json(const models::Instrumentation& instr);

// hazards.json: whether the monitor ran, a count per kind, and the details it kept, each with the
// mapping covering its first byte (`mappings`: HazardMappings::mappings(), null without a monitor).
nlohmann::ordered_json hazards_json(const models::CoherenceMonitor* monitor, const HazardMappings* mappings);

// A detail's "mapping": null when no mapping covered the hazard.
nlohmann::ordered_json mapping_json(const std::optional<dma::DmaMapping>& mapping);

// A mapping as run.log and `dmasim report` name it: "0000:00:01.0 single from_device 4096 bytes @ dma
// 0x80001000 (unmapped at 1.766 us)", without a direction for a coherent allocation (`direction`
// empty); `type` and `direction` in the words of hazards.json.
std::string describe_mapping(const std::string& device, const std::string& type, const std::string& direction,
                             uint64_t size, uint64_t dma_addr, std::optional<uint64_t> unmapped_ps);
std::string describe_mapping(const dma::DmaMapping& mapping);

// dma-debug.json: whether the checker ran, a count per check (every check listed), and the
// reports it kept, in order.
nlohmann::ordered_json dma_debug_json(const dma::DmaDebug& debug);

// run.log: a line per event, stamped with simulated time; bounded so a flood cannot fill a disk.
class LogSink : public models::EventSink {
public:
    static constexpr size_t max_event_lines = 10000;
    static constexpr const char* default_events =
        "bus.error,bus_master.error,cpu.abort,hazard.*,workload.*,dma.warning,dma_debug.*,pci.*,usb.log,"
        "kernel.warning,iommu.log,smmu.fault,mfd.log";

    void note(uint64_t time_ps, const std::string& text);
    // Each hazard line then ends with the mapping covering its address when it was raised.
    void show_hazard_mappings(const dma::MappingHistory* history) { mappings_ = history; }
    void on_event(const models::Event& event) override;
    const std::string& text() const { return text_; }

private:
    std::string text_;
    size_t event_lines_ = 0;
    const dma::MappingHistory* mappings_ = nullptr;
};

std::string format_field(const models::FieldValue& value);

// Simulated time for people: "1.766 us", "12.000 ms", "250 ns".
std::string format_time(uint64_t ps);

}  // namespace platform
