// The kernel's page allocator: a buddy allocator (4 KiB pages, orders 0..max_order) over the RAM
// the kernel manages, in up to three zones (DMA below an optional platform limit, DMA32 below
// 4 GiB, normal above), honouring the
// reserved-memory table: `no-map` and plain reserved regions are never handed out, `reusable`
// regions become CMA areas with their own allocator, dynamic regions are placed at boot.
//
// Everything here is bookkeeping in host data structures: it hands out physical addresses and
// never touches simulated memory (software that wants pages zeroed does it through the core).
// Handing out is deterministic: the smallest free block that fits, lowest address first, in the
// highest zone allowed, so a fresh allocator returns the lowest RAM page first.
#pragma once

#include "models/common/instrumentation.h"
#include "models/common/range_map.h"
#include "sw/kernel/memory_layout.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sw {

// Zones, lowest first. An allocation names the highest zone it may use (Linux's gfp zone
// modifiers): `dma` only from DMA (GFP_DMA), `dma32` from DMA32 falling back to DMA (GFP_DMA32),
// `normal` from normal, falling back to DMA32 then DMA.
enum class Zone { dma, dma32, normal };
constexpr size_t zone_count = 3;
const char* to_string(Zone zone);

// A contiguous-memory area from a `reusable` reserved region: its pages are not in the buddy
// allocator; cma_alloc/cma_release hand them out in page runs.
class CmaArea {
public:
    const std::string& name() const { return name_; }
    uint64_t base() const { return base_; }
    uint64_t size() const { return used_.size() * page_size; }
    uint64_t pages() const { return used_.size(); }
    uint64_t used_pages() const { return used_count_; }
    bool contains(uint64_t pa) const { return pa >= base_ && pa - base_ < size(); }

private:
    friend class PageAllocator;
    static constexpr uint64_t page_size = 4096;
    CmaArea(std::string name, uint64_t base, uint64_t pages, uint64_t& stat_used)
        : name_(std::move(name)), base_(base), used_(pages, false), stat_used_(stat_used) {}

    std::string name_;
    uint64_t base_;
    std::vector<bool> used_;  // one bit per page
    uint64_t used_count_ = 0;
    uint64_t& stat_used_;  // mm.cma.<name>.pages_used
};

class PageAllocator {
public:
    static constexpr uint64_t page_size = 4096;
    static constexpr unsigned max_order = 10;  // blocks of up to 4 MiB
    static constexpr uint64_t max_block_size = page_size << max_order;
    static constexpr uint64_t dma32_limit = 1ULL << 32;

    // `ram`: what the kernel manages (kernel_ram(): `no-map` static regions may already be cut
    // out; they are cut again harmlessly). `reserved`: the reserved-memory table, in device-tree
    // order; dynamic regions are placed here. Throws ReservedMemoryError for a table that cannot
    // be honoured. `zone_dma_limit`: ZONE_DMA is the RAM below this physical address (Linux's
    // zone_dma_limit + 1, e.g. 1 GiB on a Raspberry Pi 4); 0 leaves ZONE_DMA empty.
    // std::invalid_argument for a limit that is not page-aligned.
    PageAllocator(std::vector<PhysRange> ram, std::vector<ReservedArea> reserved, models::Instrumentation& instr,
                  uint64_t zone_dma_limit = 0);
    ~PageAllocator();
    PageAllocator(const PageAllocator&) = delete;
    PageAllocator& operator=(const PageAllocator&) = delete;

    // The order of the smallest block holding `size` bytes (0 for size <= one page).
    static unsigned get_order(uint64_t size);
    Zone zone_of(uint64_t pa) const;
    // The end of ZONE_DMA (0: no ZONE_DMA).
    uint64_t zone_dma_limit() const { return zone_dma_limit_; }
    // The lowest zone with any RAM (where Linux's memblock_alloc_low puts the swiotlb pool).
    Zone lowest_populated_zone() const;

    // A block of 2^order pages, aligned to its size; nullopt when no zone allowed has one (or
    // order > max_order).
    std::optional<uint64_t> alloc_pages(unsigned order, Zone highest = Zone::normal);
    // Frees a block from alloc_pages with the order it was allocated with, merging buddies.
    // std::logic_error (a bug in the simulated kernel) for a double free, an address that was
    // never allocated, a wrong order or a CMA page.
    void free_pages(uint64_t pa, unsigned order);

    // Linux's alloc_pages_exact: the block for `size` bytes with the pages past the end given
    // back; the pages kept are freed one by one (free_pages_exact, or free_pages(pa, 0) each).
    std::optional<uint64_t> alloc_pages_exact(uint64_t size, Zone highest = Zone::normal);
    void free_pages_exact(uint64_t pa, uint64_t size);

    // Linux's alloc_contig_pages: `nr_pages` contiguous pages, of any count (also beyond
    // max_order), the lowest free run of the highest zone allowed that has one; freed page by
    // page (free_contig_range).
    std::optional<uint64_t> alloc_contig_pages(uint64_t nr_pages, Zone highest = Zone::normal);
    void free_contig_range(uint64_t pa, uint64_t nr_pages);

    // --- CMA ---
    CmaArea* default_cma() { return default_cma_; }
    CmaArea* cma_area(const std::string& name);
    std::vector<CmaArea*> cma_areas();
    // `count` pages whose first is aligned to 2^align_order pages; the lowest run that fits.
    // nullopt when the area has none (or count is 0).
    std::optional<uint64_t> cma_alloc(CmaArea& area, uint64_t count, unsigned align_order = 0);
    // false when the range is not inside the area (as Linux's); std::logic_error when one of
    // its pages is not allocated (a double release).
    bool cma_release(CmaArea& area, uint64_t pa, uint64_t count);

    // The reserved-memory table with every dynamic region's base filled in.
    const std::vector<ReservedArea>& reserved() const { return reserved_; }
    const ReservedArea* find_reserved(const std::string& name) const;

    // --- introspection (tests, stats) ---
    uint64_t managed_pages(Zone zone) const { return managed_[index(zone)]; }
    uint64_t nr_free_pages() const { return free_pages_; }
    uint64_t nr_free_pages(Zone zone) const { return free_pages_of(index(zone)); }
    uint64_t nr_free_blocks(Zone zone, unsigned order) const { return free_[index(zone)][order].size(); }
    uint64_t nr_allocated_pages() const { return allocated_pages_; }
    // Whether `pa` lies in a block the buddy allocator has handed out.
    bool is_allocated(uint64_t pa) const;

private:
    static size_t index(Zone zone) { return static_cast<size_t>(zone); }
    static std::vector<Zone> zonelist(Zone highest);
    void place_dynamic(ReservedArea& area, std::vector<PhysRange>& free_ram);
    void add_free_range(uint64_t base, uint64_t end);  // page-aligned, one zone
    void insert_free(uint64_t pa, unsigned order);     // with buddy merging
    uint64_t free_pages_of(size_t zone) const;
    void update_stats();

    std::vector<ReservedArea> reserved_;
    uint64_t zone_dma_limit_;
    std::array<std::array<std::set<uint64_t>, max_order + 1>, zone_count> free_;  // [zone][order]: block PAs
    models::RangeMap<unsigned> allocated_;                                        // block -> order
    std::array<uint64_t, zone_count> managed_{};
    uint64_t free_pages_ = 0;
    uint64_t allocated_pages_ = 0;
    std::vector<std::unique_ptr<CmaArea>> cma_;
    CmaArea* default_cma_ = nullptr;
    uint64_t& stat_pages_free_;
    uint64_t& stat_pages_allocated_;
};

}  // namespace sw
