#include "models/cpu/mmu.h"

namespace models {

void Mmu::add_linear_region(uint64_t pa, uint64_t size) {
    linear_regions_.push_back(Region{pa, size});
    flush_tlb();
}

void Mmu::remove_linear_range(uint64_t pa, uint64_t size) {
    std::vector<Region> kept;
    for (const Region& region : linear_regions_) {
        uint64_t region_end = region.pa + region.size, end = pa + size;
        if (end <= region.pa || pa >= region_end) {
            kept.push_back(region);
            continue;
        }
        if (pa > region.pa)
            kept.push_back(Region{region.pa, pa - region.pa});
        if (end < region_end)
            kept.push_back(Region{end, region_end - end});
    }
    linear_regions_ = std::move(kept);
    flush_tlb();
}

bool Mmu::in_linear_map(uint64_t pa) const {
    for (const Region& region : linear_regions_)
        if (pa - region.pa < region.size)
            return true;
    return false;
}

void Mmu::set_linear_type(uint64_t pa, uint64_t size, MemType type) {
    for (uint64_t page = pa / page_size; page < (pa + size + page_size - 1) / page_size; ++page) {
        if (type == MemType::normal_wb)
            linear_retyped_.erase(page);
        else
            linear_retyped_[page] = type;
    }
    flush_tlb();
}

bool Mmu::linear_type(uint64_t pa, MemType& type) const {
    if (!in_linear_map(pa))
        return false;
    auto retyped = linear_retyped_.find(pa / page_size);
    type = retyped == linear_retyped_.end() ? MemType::normal_wb : retyped->second;
    return true;
}

void Mmu::map(uint64_t va, uint64_t pa, uint64_t size, MemType type) {
    for (uint64_t offset = 0; offset < size; offset += page_size)
        pages_[(va + offset) / page_size] = PageEntry{(pa + offset) / page_size, type};
    flush_tlb();
}

void Mmu::unmap(uint64_t va, uint64_t size) {
    for (uint64_t offset = 0; offset < size; offset += page_size)
        pages_.erase((va + offset) / page_size);
    flush_tlb();
}

bool Mmu::walk(uint64_t va, Translation& out) {
    uint64_t page = va / page_size;
    if (va - linear_base < linear_span) {
        uint64_t pa = va - linear_base;
        if (!linear_type(pa, out.type))
            return false;
        out.pa = pa;
    } else {
        auto found = pages_.find(page);
        if (found == pages_.end())
            return false;
        out.pa = found->second.pa_page * page_size + va % page_size;
        out.type = found->second.type;
    }
    tlb_[page % tlb_entries] = TlbEntry{page, out.pa / page_size, out.type};
    return true;
}

}  // namespace models
