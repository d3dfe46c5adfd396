// What an IOMMU tells whoever watches its IOTLB (the CoherenceMonitor, for stale_iotlb): each entry
// filled from a table walk (with the descriptors the walk read), each entry dropped (invalidated or
// replaced), and each device access an entry translated. An entry is stale when a descriptor it was
// filled from has since changed in memory: software changed the tables without invalidating.
#pragma once

#include "models/common/access_extension.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace models {

// A descriptor a walk read: its physical address and the value the walk got.
struct WalkedDescriptor {
    uint64_t pa = 0;
    uint64_t value = 0;
};

// Where an IOTLB entry came from: the walk that filled it.
struct IotlbFill {
    std::string iommu;  // the IOMMU's name
    unsigned context_bank = 0;
    uint16_t asid = 0;
    uint64_t iova = 0;  // the 4 KiB page the entry translates
    uint64_t pa = 0;    // and the page it gives
    unsigned levels = 0;
    std::array<WalkedDescriptor, 4> path{};  // path[0 .. levels): first lookup level first, the leaf last
    uint64_t time_ps = 0;                    // when the walk read them
    uint64_t observer_stamp = 0;             // the observer's own bookkeeping, kept with the entry
};

// The IOMMU's translation tables as memory holds them now, for evidence: no timing, no side effects.
class IommuTables {
public:
    virtual ~IommuTables() = default;
    // What context bank `context_bank`'s tables give `iova` now, or nullopt when they give nothing
    // (a walk would fault).
    virtual std::optional<uint64_t> walk_now(unsigned context_bank, uint64_t iova) = 0;
};

class IotlbObserver {
public:
    virtual ~IotlbObserver() = default;
    // An entry is filled as `fill` (the observer may set its observer_stamp).
    virtual void on_iotlb_fill(IotlbFill& fill) = 0;
    // The entry filled as `fill` left the IOTLB (an invalidation, or replaced).
    virtual void on_iotlb_drop(const IotlbFill& fill) = 0;
    // The entry filled as `fill` translated `who`'s access to `iova` into `pa`, at sc_time_stamp() +
    // delay_ps; `tables` walks the tables as they are now.
    virtual void on_iotlb_hit(IotlbFill& fill, uint64_t iova, uint64_t pa, const Initiator& who, uint64_t delay_ps,
                              IommuTables& tables) = 0;
};

}  // namespace models
