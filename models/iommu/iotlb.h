// The SMMU's IOTLB: translations of 4 KiB IOVA pages, tagged by context bank and ASID,
// set-associative (the set from the IOVA page number) with LRU replacement. A block mapping is
// cached per 4 KiB page it translates, as an implementation may splinter it, but remembers the
// block's size, so that an invalidation by VA anywhere in the block drops every page of it, as
// TLBIVA must. Part of the SMMU model (models/iommu/smmu.h).
#pragma once

#include "models/coherence/iotlb_observer.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace models {

struct IotlbEntry {
    bool valid = false;
    unsigned context_bank = 0;
    uint16_t asid = 0;
    uint64_t page = 0;         // IOVA >> 12
    uint64_t pa_page = 0;      // output address >> 12
    unsigned span_shift = 12;  // log2 of the leaf's size: 12 (a page), 21 or 30 (a block)
    unsigned level = 3;        // the leaf's lookup level (FSYNR0.PLVL of a permission fault)
    uint64_t descriptor = 0;   // the leaf, for its permissions
    IotlbFill fill;            // the walk that filled it

    // Whether the leaf this entry caches translates IOVA page `va_page`.
    bool covers(uint64_t va_page) const {
        unsigned shift = span_shift - 12;
        return (page >> shift) == (va_page >> shift);
    }
};

class Iotlb {
public:
    // `entries` and `ways` powers of two, ways <= entries (Smmu::config_error checks).
    Iotlb(unsigned entries, unsigned ways);

    // The entry translating `page` for (context_bank, asid), made most recently used; nullptr on a
    // miss.
    IotlbEntry* lookup(unsigned context_bank, uint16_t asid, uint64_t page) {
        size_t base = (page & set_mask_) * ways_;
        const Tag* set = &tags_[base];
        for (unsigned way = 0; way < ways_; ++way) {
            const Tag& tag = set[way];
            if (tag.page == page && tag.asid == asid && tag.context_bank == context_bank && tag.valid) {
                last_use_[base + way] = ++clock_;
                return &entries_[base + way];
            }
        }
        return nullptr;
    }

    // Caches `entry` in its set's free way, else in place of the least recently used one, which is
    // returned (valid) so that its owner can report the drop.
    IotlbEntry insert(IotlbEntry entry);

    // Drops every entry `match` selects, calling `dropped` with each; returns how many.
    template <typename Match, typename Dropped>
    unsigned invalidate(Match match, Dropped dropped) {
        unsigned count = 0;
        for (size_t i = 0; i < entries_.size(); ++i) {
            IotlbEntry& entry = entries_[i];
            if (entry.valid && match(entry)) {
                entry.valid = tags_[i].valid = false;
                dropped(entry);
                ++count;
            }
        }
        return count;
    }

    unsigned ways() const { return ways_; }
    unsigned sets() const { return static_cast<unsigned>(set_mask_ + 1); }

private:
    // What a lookup compares, apart from the entries: a set's tags share a host cache line or two.
    struct Tag {
        uint64_t page = 0;
        uint32_t context_bank = 0;
        uint16_t asid = 0;
        bool valid = false;
    };

    unsigned ways_;
    uint64_t set_mask_;
    // Set s holds [s * ways_, (s + 1) * ways_) of each.
    std::vector<Tag> tags_;
    std::vector<IotlbEntry> entries_;
    std::vector<uint64_t> last_use_;
    uint64_t clock_ = 0;
};

}  // namespace models
