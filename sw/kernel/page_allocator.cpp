#include "sw/kernel/page_allocator.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace sw {

namespace {

constexpr uint64_t page = PageAllocator::page_size;

uint64_t align_up(uint64_t value, uint64_t align) { return (value + align - 1) & ~(align - 1); }
uint64_t align_down(uint64_t value, uint64_t align) { return value & ~(align - 1); }
bool power_of_two(uint64_t value) { return value && !(value & (value - 1)); }

// Sorted, page-trimmed, non-overlapping ranges.
std::vector<PhysRange> normalize(std::vector<PhysRange> ranges) {
    std::vector<PhysRange> trimmed;
    for (const PhysRange& range : ranges) {
        uint64_t base = align_up(range.base, page), end = align_down(range.end(), page);
        if (end > base)
            trimmed.push_back(PhysRange{base, end - base});
    }
    std::sort(trimmed.begin(), trimmed.end(), [](const PhysRange& a, const PhysRange& b) { return a.base < b.base; });
    std::vector<PhysRange> merged;
    for (const PhysRange& range : trimmed) {
        if (!merged.empty() && range.base <= merged.back().end())
            merged.back().size = std::max(merged.back().end(), range.end()) - merged.back().base;
        else
            merged.push_back(range);
    }
    return merged;
}

void subtract(std::vector<PhysRange>& ranges, uint64_t base, uint64_t end) {
    std::vector<PhysRange> cut;
    for (const PhysRange& range : ranges) {
        if (end <= range.base || base >= range.end()) {
            cut.push_back(range);
            continue;
        }
        if (base > range.base)
            cut.push_back(PhysRange{range.base, base - range.base});
        if (end < range.end())
            cut.push_back(PhysRange{end, range.end() - end});
    }
    ranges = std::move(cut);
}

bool covered(const std::vector<PhysRange>& ranges, const PhysRange& area) {
    return std::any_of(ranges.begin(), ranges.end(), [&](const PhysRange& range) { return range.contains(area); });
}

std::string where(const ReservedArea& area) {
    return fmt::format("reserved-memory node {}", area.node.empty() ? area.name : area.node);
}

}  // namespace

const char* to_string(Zone zone) {
    switch (zone) {
    case Zone::dma: return "DMA";
    case Zone::dma32: return "DMA32";
    case Zone::normal: return "Normal";
    }
    return "?";
}

PageAllocator::PageAllocator(std::vector<PhysRange> ram, std::vector<ReservedArea> reserved,
                             models::Instrumentation& instr, uint64_t zone_dma_limit)
    : reserved_(std::move(reserved)), zone_dma_limit_(zone_dma_limit), stat_pages_free_(instr.counter("mm.pages_free")),
      stat_pages_allocated_(instr.counter("mm.pages_allocated")) {
    if (zone_dma_limit_ % page)
        throw std::invalid_argument(fmt::format("ZONE_DMA limit 0x{:x} is not page-aligned", zone_dma_limit_));
    std::vector<PhysRange> all_ram = normalize(std::move(ram));
    std::vector<PhysRange> free_ram = all_ram;

    // Static regions first (as Linux reserves them before placing dynamic ones).
    for (size_t i = 0; i < reserved_.size(); ++i) {
        ReservedArea& area = reserved_[i];
        area.dynamic = false;
        if (area.size == 0)
            throw ReservedMemoryError(fmt::format("{}: expected a non-zero size", where(area)));
        if (area.no_map && area.reusable)
            throw ReservedMemoryError(fmt::format("{}: expected at most one of no-map and reusable", where(area)));
        if (!area.base)
            continue;
        if (*area.base + area.size < *area.base)
            throw ReservedMemoryError(fmt::format("{}: region 0x{:x}+0x{:x} wraps around", where(area), *area.base,
                                                  area.size));
        if (area.reusable) {
            if (*area.base % page || area.size % page)
                throw ReservedMemoryError(fmt::format("{}: a CMA area must be page-aligned, got 0x{:x}+0x{:x}",
                                                      where(area), *area.base, area.size));
            if (!covered(all_ram, PhysRange{*area.base, area.size}))
                throw ReservedMemoryError(fmt::format("{}: CMA area 0x{:x}+0x{:x} is not inside RAM", where(area),
                                                      *area.base, area.size));
        }
        for (size_t j = 0; j < i; ++j) {
            const ReservedArea& other = reserved_[j];
            if (!other.base || !(area.reusable || other.reusable))
                continue;
            if (PhysRange{*area.base, area.size}.overlaps(PhysRange{*other.base, other.size}))
                throw ReservedMemoryError(fmt::format("{}: CMA area overlaps {}", where(area), where(other)));
        }
        subtract(free_ram, align_down(*area.base, page), align_up(*area.base + area.size, page));
    }
    for (ReservedArea& area : reserved_)
        if (!area.base)
            place_dynamic(area, free_ram);

    for (const ReservedArea& area : reserved_) {
        if (!area.reusable)
            continue;  // `linux,cma-default` without `reusable` is no CMA area (Linux ignores it too)
        cma_.emplace_back(new CmaArea(area.name, *area.base, align_up(area.size, page) / page,
                                      instr.counter(fmt::format("mm.cma.{}.pages_used", area.name))));
        if (area.cma_default) {
            if (default_cma_)
                throw ReservedMemoryError(fmt::format("{}: a second linux,cma-default area (the first is {})",
                                                      where(area), default_cma_->name()));
            default_cma_ = cma_.back().get();
        }
    }

    std::set<uint64_t> zone_ends = {zone_dma_limit_, dma32_limit};  // ascending
    for (const PhysRange& range : free_ram) {
        uint64_t base = range.base, end = range.end();
        for (uint64_t zone_end : zone_ends) {  // a buddy block never spans two zones
            if (base < zone_end && end > zone_end) {
                add_free_range(base, zone_end);
                base = zone_end;
            }
        }
        add_free_range(base, end);
    }
    for (size_t zone = 0; zone < zone_count; ++zone)
        managed_[zone] = free_pages_of(zone);
    update_stats();
}

PageAllocator::~PageAllocator() = default;

void PageAllocator::place_dynamic(ReservedArea& area, std::vector<PhysRange>& free_ram) {
    uint64_t align = std::max(area.alignment, page);
    if (!power_of_two(align))
        throw ReservedMemoryError(fmt::format("{}: alignment must be a power of two, got 0x{:x}", where(area), align));
    if (area.reusable)
        align = std::max(align, max_block_size);  // as Linux aligns CMA areas to its pageblocks
    uint64_t size = align_up(area.size, page);
    // Top-down, as memblock does: with alloc-ranges, the highest fit in the first range that has
    // one (Linux's __reserved_mem_alloc_size tries them in order); without, the highest fit below
    // 4 GiB, else the highest fit anywhere.
    std::vector<PhysRange> windows = area.alloc_ranges;
    if (windows.empty())
        windows = {PhysRange{0, dma32_limit}, PhysRange{0, ~0ULL}};
    for (const PhysRange& window : windows) {
        for (auto range = free_ram.rbegin(); range != free_ram.rend(); ++range) {
            uint64_t bottom = std::max(range->base, window.base);
            uint64_t top = std::min(range->end(), window.base + std::min<uint64_t>(window.size, ~0ULL - window.base));
            if (top <= bottom || top - bottom < size)
                continue;
            uint64_t base = align_down(top - size, align);
            if (base < bottom)
                continue;
            area.base = base;
            area.dynamic = true;
            subtract(free_ram, base, base + size);
            return;
        }
    }
    throw ReservedMemoryError(fmt::format("{}: no free RAM for a dynamic region of 0x{:x} bytes aligned to 0x{:x}{}",
                                          where(area), area.size, align,
                                          area.alloc_ranges.empty() ? "" : " inside its alloc-ranges"));
}

Zone PageAllocator::zone_of(uint64_t pa) const {
    if (pa < zone_dma_limit_)
        return Zone::dma;
    return pa < dma32_limit ? Zone::dma32 : Zone::normal;
}

Zone PageAllocator::lowest_populated_zone() const {
    for (Zone zone : {Zone::dma, Zone::dma32})
        if (managed_pages(zone))
            return zone;
    return Zone::normal;
}

void PageAllocator::add_free_range(uint64_t base, uint64_t end) {
    while (base < end) {
        unsigned order = max_order;
        while (order > 0 && (base % (page << order) || end - base < (page << order)))
            --order;
        insert_free(base, order);
        base += page << order;
    }
}

void PageAllocator::insert_free(uint64_t pa, unsigned order) {
    auto& lists = free_[index(zone_of(pa))];
    free_pages_ += 1ULL << order;
    while (order < max_order) {
        uint64_t buddy = pa ^ (page << order);
        if (!lists[order].erase(buddy))
            break;
        pa = std::min(pa, buddy);
        ++order;
    }
    lists[order].insert(pa);
}

unsigned PageAllocator::get_order(uint64_t size) {
    unsigned order = 0;
    while ((page << order) < size && order < 63 - 12)
        ++order;
    return order;
}

std::vector<Zone> PageAllocator::zonelist(Zone highest) {
    switch (highest) {
    case Zone::normal: return {Zone::normal, Zone::dma32, Zone::dma};
    case Zone::dma32: return {Zone::dma32, Zone::dma};
    case Zone::dma: break;
    }
    return {Zone::dma};
}

std::optional<uint64_t> PageAllocator::alloc_pages(unsigned order, Zone highest) {
    if (order > max_order)
        return std::nullopt;
    for (Zone zone : zonelist(highest)) {
        auto& lists = free_[index(zone)];
        for (unsigned found = order; found <= max_order; ++found) {
            if (lists[found].empty())
                continue;
            uint64_t pa = *lists[found].begin();
            lists[found].erase(lists[found].begin());
            while (found > order) {  // keep the lower half, free the upper ones
                --found;
                lists[found].insert(pa + (page << found));
            }
            allocated_.insert({pa, page << order}, order);
            free_pages_ -= 1ULL << order;
            allocated_pages_ += 1ULL << order;
            update_stats();
            return pa;
        }
    }
    return std::nullopt;
}

bool PageAllocator::is_allocated(uint64_t pa) const { return allocated_.find(pa) != allocated_.end(); }

void PageAllocator::free_pages(uint64_t pa, unsigned order) {
    auto fail = [&](const std::string& why) {
        throw std::logic_error(fmt::format("free_pages(0x{:x}, order {}): {}", pa, order, why));
    };
    if (order > max_order)
        fail(fmt::format("order above the maximum {}", max_order));
    if (pa % page)
        fail("not page-aligned");
    for (const auto& area : cma_)
        if (area->contains(pa))
            fail(fmt::format("a page of CMA area {}; release it with cma_release", area->name()));
    auto block = allocated_.find(pa);
    if (block == allocated_.end())
        fail("not allocated (a double free, or never handed out)");
    if (block->range.base != pa)
        fail(fmt::format("inside the order-{} block allocated at 0x{:x}", block->value, block->range.base));
    if (block->value != order)
        fail(fmt::format("the block was allocated with order {}", block->value));
    allocated_.erase(block);
    allocated_pages_ -= 1ULL << order;
    insert_free(pa, order);
    update_stats();
}

std::optional<uint64_t> PageAllocator::alloc_pages_exact(uint64_t size, Zone highest) {
    if (size == 0)
        return std::nullopt;
    unsigned order = get_order(size);
    std::optional<uint64_t> pa = alloc_pages(order, highest);
    if (!pa)
        return std::nullopt;
    // split_page(): every page becomes an order-0 allocation; the tail goes back.
    allocated_.erase(allocated_.find(*pa));
    uint64_t pages = 1ULL << order, kept = align_up(size, page) / page;
    for (uint64_t i = 0; i < pages; ++i)
        allocated_.insert({*pa + i * page, page}, 0);
    for (uint64_t i = kept; i < pages; ++i)
        free_pages(*pa + i * page, 0);
    return pa;
}

void PageAllocator::free_pages_exact(uint64_t pa, uint64_t size) { free_contig_range(pa, align_up(size, page) / page); }

std::optional<uint64_t> PageAllocator::alloc_contig_pages(uint64_t nr_pages, Zone highest) {
    if (nr_pages == 0)
        return std::nullopt;
    uint64_t length = nr_pages * page;
    for (Zone zone : zonelist(highest)) {
        auto& lists = free_[index(zone)];
        models::RangeMap<unsigned> blocks;  // free block -> order
        for (unsigned order = 0; order <= max_order; ++order)
            for (uint64_t pa : lists[order])
                blocks.insert({pa, page << order}, order);
        // The lowest run of adjacent free blocks long enough.
        std::optional<uint64_t> start;
        uint64_t run_base = 0, run_end = 0;
        for (const auto& block : blocks) {
            if (block.range.base != run_end)
                run_base = block.range.base;
            run_end = block.range.end();
            if (run_end - run_base >= length) {
                start = run_base;
                break;
            }
        }
        if (!start)
            continue;
        uint64_t end = *start + length;
        for (const auto& block : blocks.overlapping({*start, length})) {
            lists[block.value].erase(block.range.base);
            free_pages_ -= block.range.size / page;
            if (block.range.end() > end)
                add_free_range(end, block.range.end());
        }
        for (uint64_t pa = *start; pa < end; pa += page)
            allocated_.insert({pa, page}, 0);
        allocated_pages_ += nr_pages;
        update_stats();
        return start;
    }
    return std::nullopt;
}

void PageAllocator::free_contig_range(uint64_t pa, uint64_t nr_pages) {
    for (uint64_t i = 0; i < nr_pages; ++i) {
        uint64_t at = pa + i * page;
        auto block = allocated_.find(at);
        if (block == allocated_.end() || block->range != models::AddressRange{at, page})
            throw std::logic_error(fmt::format("free_contig_range(0x{:x}, {} pages): page 0x{:x} is not a page "
                                               "allocated on its own (a double free, or never handed out)",
                                               pa, nr_pages, at));
    }
    for (uint64_t i = 0; i < nr_pages; ++i)
        free_pages(pa + i * page, 0);
}

CmaArea* PageAllocator::cma_area(const std::string& name) {
    for (const auto& area : cma_)
        if (area->name() == name)
            return area.get();
    return nullptr;
}

std::vector<CmaArea*> PageAllocator::cma_areas() {
    std::vector<CmaArea*> areas;
    for (const auto& area : cma_)
        areas.push_back(area.get());
    return areas;
}

std::optional<uint64_t> PageAllocator::cma_alloc(CmaArea& area, uint64_t count, unsigned align_order) {
    uint64_t total = area.pages();
    if (count == 0 || count > total || align_order > 40)
        return std::nullopt;
    uint64_t align = 1ULL << align_order;
    uint64_t base_pfn = area.base() / page;
    uint64_t first = (align - base_pfn % align) % align;  // first index whose PFN is aligned
    for (uint64_t i = first; i + count <= total;) {
        uint64_t busy = i;
        while (busy < i + count && !area.used_[busy])
            ++busy;
        if (busy == i + count) {
            for (uint64_t j = i; j < i + count; ++j)
                area.used_[j] = true;
            area.used_count_ += count;
            area.stat_used_ = area.used_count_;
            return area.base() + i * page;
        }
        i = first + align_up(busy + 1 - first, align);  // the next aligned index past the busy page
    }
    return std::nullopt;
}

bool PageAllocator::cma_release(CmaArea& area, uint64_t pa, uint64_t count) {
    if (count == 0 || pa % page || !area.contains(pa) || count > (area.base() + area.size() - pa) / page)
        return false;
    uint64_t first = (pa - area.base()) / page;
    for (uint64_t j = first; j < first + count; ++j)
        if (!area.used_[j])
            throw std::logic_error(fmt::format("cma_release({}, 0x{:x}, {} pages): page 0x{:x} is not allocated (a "
                                               "double release, or never handed out)",
                                               area.name(), pa, count, area.base() + j * page));
    for (uint64_t j = first; j < first + count; ++j)
        area.used_[j] = false;
    area.used_count_ -= count;
    area.stat_used_ = area.used_count_;
    return true;
}

const ReservedArea* PageAllocator::find_reserved(const std::string& name) const {
    for (const ReservedArea& area : reserved_)
        if (area.name == name)
            return &area;
    return nullptr;
}

uint64_t PageAllocator::free_pages_of(size_t zone) const {
    uint64_t pages = 0;
    for (unsigned order = 0; order <= max_order; ++order)
        pages += free_[zone][order].size() << order;
    return pages;
}

void PageAllocator::update_stats() {
    stat_pages_free_ = free_pages_;
    stat_pages_allocated_ = allocated_pages_;
}

}  // namespace sw
