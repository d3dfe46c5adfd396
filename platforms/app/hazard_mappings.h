// The mapping each hazard's evidence names (hazards.json, run.log, `dmasim report`): for each hazard
// the coherence monitor keeps in its details (the first max_details it raises, in order), the
// mapping covering its first byte when it was raised (dma::MappingHistory::covering), or none. Runs
// its own history, so that it works with or without a timeline.
#pragma once

#include "dma/context.h"
#include "dma/mapping_history.h"
#include "models/common/instrumentation.h"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace platform {

class HazardMappings : public models::EventSink {
public:
    // Follows the hazards from now on: built before the kernel boots, so that every hazard the
    // monitor keeps is seen.
    HazardMappings(models::Instrumentation& instr, std::map<std::string, std::string> device_masters,
                   size_t max_details);
    HazardMappings(const HazardMappings&) = delete;
    HazardMappings& operator=(const HazardMappings&) = delete;

    // Follows the mappings of `dma` from now on: before its first call.
    void follow(dma::Context& dma) { dma.add_mapping_listener(history_); }

    void on_event(const models::Event& event) override;  // a hazard.* event
    const dma::MappingHistory& history() const { return history_; }
    // Index i belongs to the monitor's details()[i]: every hazard it keeps is also an event, in
    // the same order, as soon as anyone listens.
    const std::vector<std::optional<dma::DmaMapping>>& mappings() const { return mappings_; }

private:
    dma::MappingHistory history_;
    size_t max_details_;
    std::vector<std::optional<dma::DmaMapping>> mappings_;
};

}  // namespace platform
