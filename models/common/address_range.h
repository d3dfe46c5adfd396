// A range of addresses, [base, base + size): `end()` is exclusive. A range may reach the top of the
// 64-bit space (base + size == 2^64, e.g. a device-tree region ending at 0xffff'ffff'ffff'ffff):
// its end is not representable and end() wraps to 0, so comparisons use last(), the address of the
// last byte, which always is. A range of size 0 is empty and one running past 2^64 wraps; neither
// is valid(). Keyed by such ranges, models::RangeMap (range_map.h) answers "what holds this address".
#pragma once

#include <cstdint>

namespace models {

struct AddressRange {
    uint64_t base = 0;
    uint64_t size = 0;

    // Exclusive; 0 for a range that reaches 2^64.
    uint64_t end() const { return base + size; }
    // The last byte's address (not for an empty range).
    uint64_t last() const { return base + size - 1; }
    bool empty() const { return size == 0; }
    // Non-empty and not running past 2^64.
    bool valid() const { return size != 0 && size - 1 <= ~base; }
    bool contains(uint64_t address) const { return address - base < size; }
    // `other` lies wholly inside this range (both valid).
    bool contains(const AddressRange& other) const { return contains(other.base) && other.last() <= last(); }
    // The ranges share at least one byte (both valid).
    bool overlaps(const AddressRange& other) const { return base <= other.last() && other.base <= last(); }
    bool operator==(const AddressRange& other) const { return base == other.base && size == other.size; }
    bool operator!=(const AddressRange& other) const { return !(*this == other); }
};

}  // namespace models
