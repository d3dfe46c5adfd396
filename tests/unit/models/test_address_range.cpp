#include "models/common/address_range.h"
#include "models/common/range_map.h"

#include <boost/range/size.hpp>
#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

using models::AddressRange;
using models::RangeMap;

namespace {

constexpr uint64_t top = ~0ULL;  // the last byte of the 64-bit space

// The bases of the entries, in iteration order.
template <typename Entries>
std::vector<uint64_t> bases(const Entries& entries) {
    std::vector<uint64_t> found;
    for (const auto& entry : entries)
        found.push_back(entry.range.base);
    return found;
}

}  // namespace

TEST_CASE("AddressRange: end is exclusive, last is the last byte", "[address-range]") {
    AddressRange range{0x1000, 0x100};
    CHECK(range.end() == 0x1100);
    CHECK(range.last() == 0x10ff);
    CHECK(range.valid());
    CHECK_FALSE(range.contains(0xfff));
    CHECK(range.contains(0x1000));
    CHECK(range.contains(0x10ff));
    CHECK_FALSE(range.contains(0x1100));
}

TEST_CASE("AddressRange: empty and wrapping ranges are not valid", "[address-range]") {
    CHECK(AddressRange{0x1000, 0}.empty());
    CHECK_FALSE(AddressRange{0x1000, 0}.valid());
    CHECK_FALSE(AddressRange{0, 0}.valid());
    CHECK_FALSE(AddressRange{0x1000, 0}.contains(0x1000));
    CHECK_FALSE(AddressRange{top, 2}.valid());  // one byte past 2^64
    CHECK_FALSE(AddressRange{0x1000, top}.valid());
    CHECK(AddressRange{0, top}.valid());  // all but the last byte
}

TEST_CASE("AddressRange: a range reaching 2^64 ends at 0 and is compared by its last byte", "[address-range]") {
    AddressRange at_top{top - 0xfff, 0x1000};
    CHECK(at_top.valid());
    CHECK(at_top.end() == 0);  // not representable: wraps
    CHECK(at_top.last() == top);
    CHECK(at_top.contains(top));
    CHECK(at_top.contains(top - 0xfff));
    CHECK_FALSE(at_top.contains(top - 0x1000));
    CHECK_FALSE(at_top.contains(0));
    CHECK(at_top.contains(AddressRange{top, 1}));
    CHECK(at_top.overlaps(AddressRange{top - 0x1fff, 0x1001}));
    CHECK_FALSE(at_top.overlaps(AddressRange{top - 0x1fff, 0x1000}));  // adjacent below
    CHECK_FALSE(at_top.overlaps(AddressRange{0, 0x1000}));             // no wrap to 0
    CHECK(AddressRange{top, 1}.valid());
}

TEST_CASE("AddressRange: adjacent ranges do not overlap - contains(range) needs both ends inside", "[address-range]") {
    AddressRange range{0x1000, 0x1000};
    CHECK_FALSE(range.overlaps(AddressRange{0x2000, 0x10}));
    CHECK_FALSE(range.overlaps(AddressRange{0xff0, 0x10}));
    CHECK(range.overlaps(AddressRange{0xff0, 0x11}));
    CHECK(range.overlaps(AddressRange{0x1fff, 0x10}));
    CHECK(range.overlaps(AddressRange{0x1800, 0x10}));
    CHECK(range.overlaps(AddressRange{0, 0x10000}));  // contains this one
    CHECK(range.contains(range));
    CHECK(range.contains(AddressRange{0x1fff, 1}));
    CHECK_FALSE(range.contains(AddressRange{0x1fff, 2}));
    CHECK_FALSE(range.contains(AddressRange{0xfff, 2}));
    CHECK(range == AddressRange{0x1000, 0x1000});
    CHECK(range != AddressRange{0x1000, 0x1001});
}

TEST_CASE("RangeMap: find gives the entry containing an address, adjacent entries stay apart", "[address-range]") {
    RangeMap<std::string> map;
    CHECK(map.empty());
    CHECK(map.find(0) == map.end());
    REQUIRE(map.insert({0x2000, 0x1000}, "b").second);
    REQUIRE(map.insert({0x1000, 0x1000}, "a").second);  // adjacent below
    REQUIRE(map.insert({0x3000, 0x10}, "c").second);    // adjacent above
    REQUIRE(map.insert({0x8000, 0x10}, "d").second);    // after a hole
    CHECK(map.size() == 4);
    CHECK(bases(map) == std::vector<uint64_t>{0x1000, 0x2000, 0x3000, 0x8000});  // address order

    CHECK(map.find(0xfff) == map.end());
    CHECK(map.find(0x1000)->value == "a");
    CHECK(map.find(0x1fff)->value == "a");
    CHECK(map.find(0x2000)->value == "b");
    CHECK(map.find(0x2fff)->value == "b");
    CHECK(map.find(0x3000)->value == "c");
    CHECK(map.find(0x300f)->value == "c");
    CHECK(map.find(0x3010) == map.end());  // the hole
    CHECK(map.find(0x7fff) == map.end());
    CHECK(map.find(0x8000)->range == AddressRange{0x8000, 0x10});
    CHECK(map.find(0x8010) == map.end());
    CHECK(map.find(top) == map.end());

    map.find(0x2800)->value = "B";  // values are mutable, ranges are not
    CHECK(map.find(0x2000)->value == "B");
}

TEST_CASE("RangeMap: insert rejects overlap and names the lowest entry overlapped", "[address-range]") {
    RangeMap<int> map;
    map.insert({0x1000, 0x1000}, 1);
    map.insert({0x3000, 0x1000}, 3);
    auto rejected = [&](AddressRange range) {
        auto [found, inserted] = map.insert(range, 99);
        CHECK_FALSE(inserted);
        return found == map.end() ? -1 : found->value;
    };
    CHECK(rejected({0x1000, 0x1000}) == 1);  // the same range
    CHECK(rejected({0x1800, 0x10}) == 1);    // inside
    CHECK(rejected({0x800, 0x4000}) == 1);   // around both: the lowest
    CHECK(rejected({0x1fff, 0x1002}) == 1);  // the last byte of one, the first of the other
    CHECK(rejected({0x2000, 0x1001}) == 3);  // the first byte of the upper one
    CHECK(rejected({0xfff, 2}) == 1);        // the first byte of the lower one
    CHECK(map.size() == 2);
    CHECK(map.insert({0x2000, 0x1000}, 2).second);  // exactly fills the gap
    CHECK(bases(map) == std::vector<uint64_t>{0x1000, 0x2000, 0x3000});
}

TEST_CASE("RangeMap: empty and wrapping ranges are refused", "[address-range]") {
    RangeMap<int> map;
    CHECK_THROWS_AS(map.insert({0x1000, 0}, 0), std::invalid_argument);
    CHECK_THROWS_AS(map.insert({top, 2}, 0), std::invalid_argument);
    CHECK(map.empty());
}

TEST_CASE("RangeMap: ranges at both ends of the 64-bit space", "[address-range]") {
    RangeMap<int> map;
    REQUIRE(map.insert({top - 0xfff, 0x1000}, 1).second);  // ends at 2^64
    REQUIRE(map.insert({0, 0x1000}, 0).second);
    CHECK(map.find(top)->value == 1);
    CHECK(map.find(top - 0xfff)->value == 1);
    CHECK(map.find(top - 0x1000) == map.end());
    CHECK(map.find(0)->value == 0);
    CHECK(map.find(0x1000) == map.end());
    CHECK_FALSE(map.insert({top, 1}, 2).second);
    CHECK(map.insert({top - 0x1fff, 0x1000}, 2).second);  // adjacent below the top one
    CHECK(bases(map) == std::vector<uint64_t>{0, top - 0x1fff, top - 0xfff});
    CHECK(bases(map.overlapping({top - 0x1000, 2})) == std::vector<uint64_t>{top - 0x1fff, top - 0xfff});
}

TEST_CASE("RangeMap: overlapping lists the entries sharing a byte with a range, lowest first", "[address-range]") {
    RangeMap<int> map;
    for (uint64_t i = 0; i < 8; ++i)
        map.insert({0x10000 + i * 0x2000, 0x1000}, static_cast<int>(i));  // a hole after each
    CHECK(bases(map.overlapping({0x10000, 0x1000})) == std::vector<uint64_t>{0x10000});
    CHECK(map.overlapping({0x11000, 0x1000}).empty());  // exactly the hole: adjacent on both sides
    CHECK(bases(map.overlapping({0x10fff, 0x1002})) == std::vector<uint64_t>{0x10000, 0x12000});
    CHECK(bases(map.overlapping({0x13000, 0x5001})) == std::vector<uint64_t>{0x14000, 0x16000, 0x18000});
    CHECK(map.overlapping({0, 0x10000}).empty());
    CHECK(map.overlapping({0x20000, 0x1000}).empty());
    CHECK(boost::size(map.overlapping({0, top})) == 8);
    const RangeMap<int>& view = map;
    CHECK(bases(view.overlapping({0x1e800, 0x10})) == std::vector<uint64_t>{0x1e000});
}

TEST_CASE("RangeMap: erase frees the range - entries keep their address while in the map", "[address-range]") {
    RangeMap<std::vector<int>> map;
    auto first = map.insert({0x1000, 0x1000}, std::vector<int>{1, 2, 3}).first;
    const std::vector<int>* held = &first->value;
    for (uint64_t i = 2; i < 64; ++i)
        map.insert({i * 0x1000, 0x1000}, std::vector<int>{});
    CHECK(&map.find(0x1800)->value == held);  // not moved by later inserts
    map.erase(map.find(0x5000));
    CHECK(map.find(0x5000) == map.end());
    CHECK(map.size() == 62);
    CHECK(map.insert({0x5000, 0x800}, std::vector<int>{5}).second);  // the freed range is free
    CHECK(map.find(0x5800) == map.end());
    map.clear();
    CHECK(map.empty());
    CHECK(map.insert({0x1000, 0x1000}, std::vector<int>{}).second);
}
