#include "platforms/app/mapping_history.h"

#include "dma/types.h"
#include "platforms/app/outputs.h"

#include <fmt/format.h>

namespace platform {

const models::FieldValue* find_field(const models::Event& event, const char* key) {
    for (const models::Field& field : event.fields)
        if (field.key == key)
            return &field.value;
    return nullptr;
}

const uint64_t* unsigned_field(const models::Event& event, const char* key) {
    const models::FieldValue* value = find_field(event, key);
    return value ? std::get_if<uint64_t>(value) : nullptr;
}

const std::string* text_field(const models::Event& event, const char* key) {
    const models::FieldValue* value = find_field(event, key);
    return value ? std::get_if<std::string>(value) : nullptr;
}

MappingChange mapping_change(const models::Event& event, uint64_t& dma_addr) {
    const std::string& name = *event.name;
    bool opens = name == "dma.map" || name == "dma.alloc";
    bool closes = name == "dma.unmap" || name == "dma.free";
    const uint64_t* addr = opens || closes ? unsigned_field(event, "dma_addr") : nullptr;
    if (!addr || *addr == dma::DMA_MAPPING_ERROR)
        return MappingChange::none;
    dma_addr = *addr;
    return opens ? MappingChange::open : MappingChange::close;
}

std::string DmaMapping::describe() const {
    std::string text = fmt::format("{} {}{} {} bytes @ dma {:#x}", device, type,
                                   direction.empty() ? "" : " " + direction, size, dma_addr);
    if (unmapped_ps)
        text += fmt::format(" (unmapped at {})", format_time(*unmapped_ps));
    return text;
}

MappingHistory::Space& MappingHistory::space_of(const std::string& device) {
    auto master = device_masters_.find(device);
    return live_[master != device_masters_.end() ? master->second : device];
}

MappingHistory::Applied MappingHistory::apply(const models::Event& event) {
    uint64_t dma_addr = 0;
    MappingChange change = mapping_change(event, dma_addr);
    if (change == MappingChange::none)
        return {};
    Space& space = space_of(event.source);
    if (change == MappingChange::open) {
        auto field = [&](const char* key) {
            const uint64_t* value = unsigned_field(event, key);
            return value ? *value : 0;
        };
        const std::string* type = text_field(event, "type");
        const std::string* direction = text_field(event, "dir");
        DmaMapping mapping{next_serial_++,      event.source, type ? *type : "", direction ? *direction : "",
                           dma_addr,            field("pa"),  field("size"),     event.time_ps,
                           field("duration_ps"), std::nullopt};
        auto [slot, inserted] = space.try_emplace(dma_addr, mapping);
        if (inserted) {
            ++live_count_;
        } else {  // a second mapping at a live address (a driver bug): the first is never unmapped
            remember_ended(slot->second);
            slot->second = mapping;
        }
        return {change, &slot->second};
    }
    // An unmap that matches no live mapping (dma-debug reports it) ends nothing.
    auto found = space.find(dma_addr);
    if (found == space.end() || found->second.device != event.source)
        return {change, nullptr};
    found->second.unmapped_ps = event.time_ps + [&] {
        const uint64_t* duration = unsigned_field(event, "duration_ps");
        return duration ? *duration : 0;
    }();
    remember_ended(found->second);
    space.erase(found);
    --live_count_;
    return {change, &ended_.front()};
}

void MappingHistory::remember_ended(const DmaMapping& mapping) {
    ended_.push_front(mapping);
    if (ended_.size() > ended_kept)
        ended_.pop_back();
}

const DmaMapping* MappingHistory::live_at(const std::string& master, uint64_t dma_addr) const {
    auto space = live_.find(master);
    if (space == live_.end())
        return nullptr;
    auto after = space->second.upper_bound(dma_addr);
    if (after == space->second.begin())
        return nullptr;
    const DmaMapping& mapping = std::prev(after)->second;
    return dma_addr - mapping.dma_addr < mapping.size ? &mapping : nullptr;
}

const DmaMapping* MappingHistory::covering(uint64_t pa) const {
    const DmaMapping* latest = nullptr;
    auto consider = [&](const DmaMapping& mapping) {
        if (pa - mapping.pa < mapping.size && (!latest || mapping.serial > latest->serial))
            latest = &mapping;
    };
    for (const auto& [unused, space] : live_)
        for (const auto& [unused_addr, mapping] : space)
            consider(mapping);
    for (const DmaMapping& mapping : ended_)
        consider(mapping);
    return latest;
}

HazardMappings::HazardMappings(models::Instrumentation& instr, std::map<std::string, std::string> device_masters,
                               size_t max_details)
    : history_(std::move(device_masters)), max_details_(max_details) {
    history_.follow(instr);
    instr.add_sink(this, "hazard.*");
}

void HazardMappings::on_event(const models::Event& event) {
    if (mappings_.size() == max_details_)
        return;
    const uint64_t* address = unsigned_field(event, "address");
    const DmaMapping* mapping = address ? history_.covering(*address) : nullptr;
    mappings_.push_back(mapping ? std::optional<DmaMapping>(*mapping) : std::nullopt);
}

}  // namespace platform
