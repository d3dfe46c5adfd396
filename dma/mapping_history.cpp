#include "dma/mapping_history.h"

namespace dma {

bool DmaMapping::holds(uint64_t byte_pa) const {
    if (extents.empty())
        return byte_pa - pa < size;
    for (const PhysExtent& extent : extents)
        if (byte_pa - extent.pa < extent.size)
            return true;
    return false;
}

MappingHistory::Space& MappingHistory::space_of(const std::string& device) {
    auto master = device_masters_.find(device);
    return live_[master != device_masters_.end() ? master->second : device];
}

MappingHistory::Applied MappingHistory::apply(const MappingRecord& record) {
    MappingChange change = record.change();
    if (change == MappingChange::none)
        return {};
    Space& space = space_of(record.device);
    if (change == MappingChange::open) {
        DmaMapping mapping{next_serial_++,     record.device, record.type,   record.direction,
                           record.dma_addr,    record.pa,     record.size,   record.start_ps,
                           record.duration_ps, std::nullopt,  record.extents};
        auto [slot, inserted] = space.try_emplace(record.dma_addr, mapping);
        if (inserted) {
            ++live_count_;
        } else {  // a second mapping at a live address (a driver bug): the first is never unmapped
            remember_ended(slot->second);
            slot->second = mapping;
        }
        return {change, &slot->second};
    }
    // An unmap that matches no live mapping (dma-debug reports it) ends nothing.
    auto found = space.find(record.dma_addr);
    if (found == space.end() || found->second.device != record.device)
        return {change, nullptr};
    found->second.unmapped_ps = record.start_ps + record.duration_ps;
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
        if (mapping.holds(pa) && (!latest || mapping.serial > latest->serial))
            latest = &mapping;
    };
    for (const auto& [unused, space] : live_)
        for (const auto& [unused_addr, mapping] : space)
            consider(mapping);
    for (const DmaMapping& mapping : ended_)
        consider(mapping);
    return latest;
}

}  // namespace dma
