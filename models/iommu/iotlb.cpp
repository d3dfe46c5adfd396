#include "models/iommu/iotlb.h"

#include <utility>

namespace models {

Iotlb::Iotlb(unsigned entries, unsigned ways) : ways_(ways), set_mask_(entries / ways - 1), entries_(entries) {}

IotlbEntry Iotlb::insert(IotlbEntry entry) {
    IotlbEntry* set = &entries_[(entry.page & set_mask_) * ways_];
    IotlbEntry* victim = set;
    for (unsigned way = 0; way < ways_; ++way) {
        if (!set[way].valid) {
            victim = &set[way];
            break;
        }
        if (set[way].last_use < victim->last_use)
            victim = &set[way];
    }
    entry.valid = true;
    entry.last_use = ++clock_;
    return std::exchange(*victim, std::move(entry));
}

}  // namespace models
