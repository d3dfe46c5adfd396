#include "models/iommu/iotlb.h"

#include <utility>

namespace models {

Iotlb::Iotlb(unsigned entries, unsigned ways)
    : ways_(ways), set_mask_(entries / ways - 1), tags_(entries), entries_(entries), last_use_(entries, 0) {}

IotlbEntry Iotlb::insert(IotlbEntry entry) {
    size_t base = (entry.page & set_mask_) * ways_;
    size_t victim = base;
    for (size_t way = base; way < base + ways_; ++way) {
        if (!tags_[way].valid) {
            victim = way;
            break;
        }
        if (last_use_[way] < last_use_[victim])
            victim = way;
    }
    entry.valid = true;
    tags_[victim] = Tag{entry.page, entry.context_bank, entry.asid, true};
    last_use_[victim] = ++clock_;
    return std::exchange(entries_[victim], std::move(entry));
}

}  // namespace models
