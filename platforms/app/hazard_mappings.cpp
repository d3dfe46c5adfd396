#include "platforms/app/hazard_mappings.h"

#include "platforms/app/event_fields.h"

namespace platform {

HazardMappings::HazardMappings(models::Instrumentation& instr, std::map<std::string, std::string> device_masters,
                               size_t max_details)
    : history_(std::move(device_masters)), max_details_(max_details) {
    instr.add_sink(this, "hazard.*");
}

void HazardMappings::on_event(const models::Event& event) {
    if (mappings_.size() == max_details_)
        return;
    const uint64_t* address = unsigned_field(event, "address");
    const dma::DmaMapping* mapping = address ? history_.covering(*address) : nullptr;
    mappings_.push_back(mapping ? std::optional<dma::DmaMapping>(*mapping) : std::nullopt);
}

}  // namespace platform
