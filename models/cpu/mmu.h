// Virtual-to-physical translation with a memory type per page: a cacheable linear map of RAM
// (VA = PA + linear_base) whose pages may be retyped, plus page mappings (vmap/ioremap).
#pragma once

#include "models/common/access_extension.h"

#include <array>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace models {

struct Translation {
    uint64_t pa = 0;
    MemType type = MemType::normal_wb;
};

class Mmu {
public:
    static constexpr uint64_t page_size = 4096;
    static constexpr uint64_t linear_base = 0xffff000000000000ULL;
    static constexpr uint64_t linear_span = 1ULL << 47;  // page mappings live above it (vmalloc)
    static constexpr uint64_t vmalloc_base = linear_base + linear_span;

    void add_linear_region(uint64_t pa, uint64_t size);
    // Takes [pa, pa+size) out of the linear map (a no-map reserved region): its linear addresses
    // then fault, as nothing maps them.
    void remove_linear_range(uint64_t pa, uint64_t size);
    bool in_linear_map(uint64_t pa) const;
    static uint64_t linear_va(uint64_t pa) { return pa + linear_base; }

    // Changes the type of linear-map pages (e.g. to remove the cacheable alias of a buffer).
    void set_linear_type(uint64_t pa, uint64_t size, MemType type);
    // The type the linear map gives `pa`, if it maps it at all.
    bool linear_type(uint64_t pa, MemType& type) const;

    void map(uint64_t va, uint64_t pa, uint64_t size, MemType type);  // page-aligned
    void unmap(uint64_t va, uint64_t size);

    bool translate(uint64_t va, Translation& out) { return tlb_lookup(va, out) || walk(va, out); }
    // The TLB alone: false on a miss, without walking. Inline and side-effect free, so that on the
    // core's hit path `out` can stay in registers.
    bool tlb_lookup(uint64_t va, Translation& out) const {
        uint64_t page = va / page_size;
        const TlbEntry& entry = tlb_[page % tlb_entries];
        if (__builtin_expect(entry.page != page, 0))
            return false;
        out.pa = entry.pa_page * page_size + va % page_size;
        out.type = entry.type;
        return true;
    }

private:
    // Direct-mapped by VA page, with as many entries as a Cortex-A53's main TLB, so that a working
    // set of up to 2 MiB does not walk on every page change. Invisible but for speed: every change
    // of the tables flushes it.
    static constexpr uint64_t tlb_entries = 512;
    struct TlbEntry {
        uint64_t page = ~0ULL;  // VA page number; ~0 matches no page (VA pages have 52 bits)
        uint64_t pa_page = 0;
        MemType type = MemType::normal_wb;
    };

    bool walk(uint64_t va, Translation& out);
    void flush_tlb() { tlb_.fill(TlbEntry{}); }

    struct Region {
        uint64_t pa, size;
    };
    struct PageEntry {
        uint64_t pa_page;
        MemType type;
    };
    std::vector<Region> linear_regions_;
    std::unordered_map<uint64_t, MemType> linear_retyped_;  // pa page -> type
    std::unordered_map<uint64_t, PageEntry> pages_;         // va page -> entry
    std::array<TlbEntry, tlb_entries> tlb_{};
};

}  // namespace models
