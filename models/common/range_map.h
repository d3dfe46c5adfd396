// A map keyed by disjoint address ranges: the one place where "which block, slab or target holds
// this address" is answered, for the page allocator, kmalloc, the router and what comes next (IOVA
// allocator, reserved regions).
//
// It is a red-black tree (Boost.Intrusive, as Linux keeps vmap areas and IOVAs in rbtrees) ordered
// so that one range is "less" than another when it ends before the other starts: ranges that
// overlap are equivalent, which is what makes insert reject overlap and makes find(address) and
// overlapping(range) plain tree searches. Boost.ICL's interval_map was not used: it combines the
// values of overlapping or adjacent intervals, where here each range owns one value (a block, a
// slab, a target) and adjacent ranges stay distinct.
#pragma once

#include "models/common/address_range.h"

#include <boost/intrusive/set.hpp>
#include <boost/range/iterator_range.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>

namespace models {

// Values of type T, each under a valid range; no two ranges overlap. Iteration is in address order.
// An entry stays at one address while it is in the map (pointers and iterators to it stay valid).
template <typename T>
class RangeMap {
    using Hook = boost::intrusive::set_base_hook<boost::intrusive::optimize_size<true>>;

public:
    struct Entry : Hook {
        Entry(AddressRange range, T value) : range(range), value(std::move(value)) {}
        const AddressRange range;
        T value;
    };

private:
    // A range (or an address, a one-byte range) is before another when it ends before the other
    // starts; overlapping ranges are equivalent.
    struct Before {
        static const AddressRange& of(const Entry& entry) { return entry.range; }
        static AddressRange of(uint64_t address) { return AddressRange{address, 1}; }
        static const AddressRange& of(const AddressRange& range) { return range; }
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return of(a).last() < of(b).base;
        }
    };
    using Tree = boost::intrusive::set<Entry, boost::intrusive::compare<Before>>;

public:
    using iterator = typename Tree::iterator;
    using const_iterator = typename Tree::const_iterator;

    RangeMap() = default;
    RangeMap(const RangeMap&) = delete;
    RangeMap& operator=(const RangeMap&) = delete;
    ~RangeMap() { clear(); }

    // Adds `value` under `range`. When the range overlaps an entry, nothing is added and the
    // result is {the lowest overlapping entry, false}. std::invalid_argument for a range that is
    // not valid() (empty, or running past 2^64).
    std::pair<iterator, bool> insert(AddressRange range, T value) {
        if (!range.valid())
            throw std::invalid_argument("RangeMap: an empty range or one running past 2^64");
        typename Tree::insert_commit_data commit;
        if (!tree_.insert_check(range, Before(), commit).second)
            return {overlapping(range).begin(), false};
        auto entry = std::make_unique<Entry>(range, std::move(value));
        return {tree_.insert_commit(*entry.release(), commit), true};
    }

    void erase(const_iterator entry) { tree_.erase_and_dispose(entry, Dispose()); }
    void clear() { tree_.clear_and_dispose(Dispose()); }

    // The entry whose range contains `address`, or end().
    iterator find(uint64_t address) { return tree_.find(address, Before()); }
    const_iterator find(uint64_t address) const { return tree_.find(address, Before()); }

    // The entries whose ranges share a byte with `range` (valid), lowest first.
    boost::iterator_range<iterator> overlapping(const AddressRange& range) {
        return boost::make_iterator_range(tree_.equal_range(range, Before()));
    }
    boost::iterator_range<const_iterator> overlapping(const AddressRange& range) const {
        return boost::make_iterator_range(tree_.equal_range(range, Before()));
    }

    iterator begin() { return tree_.begin(); }
    iterator end() { return tree_.end(); }
    const_iterator begin() const { return tree_.begin(); }
    const_iterator end() const { return tree_.end(); }
    size_t size() const { return tree_.size(); }
    bool empty() const { return tree_.empty(); }

private:
    struct Dispose {
        void operator()(Entry* entry) const { delete entry; }
    };
    Tree tree_;
};

}  // namespace models
