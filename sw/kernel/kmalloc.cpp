#include "sw/kernel/kmalloc.h"

#include "models/cpu/mmu.h"

#include <fmt/format.h>
#include <stdexcept>

namespace sw {

namespace {

constexpr uint64_t page = PageAllocator::page_size;

uint64_t to_va(uint64_t pa) { return models::Mmu::linear_va(pa); }
uint64_t to_pa(uint64_t va) { return va - models::Mmu::linear_base; }

}  // namespace

Kmalloc::Kmalloc(PageAllocator& pages, models::Instrumentation& instr, uint64_t min_align)
    : pages_(pages), min_align_(default_min_align), stat_bytes_(instr.counter("mm.kmalloc.allocated_bytes")),
      stat_objects_(instr.counter("mm.kmalloc.objects")) {
    set_min_align(min_align);
    account(0, 0);
}

void Kmalloc::set_min_align(uint64_t align) {
    if (align < 8 || align > page || (align & (align - 1)))
        throw std::invalid_argument(
            fmt::format("kmalloc minimum alignment: expected a power of two from 8 to {}, got {}", page, align));
    min_align_ = align;
}

size_t Kmalloc::class_for(uint64_t size) const {
    for (size_t i = 0; i < size_classes.size(); ++i)
        if (size_classes[i] >= size && size_classes[i] % min_align_ == 0)
            return i;
    return size_classes.size();
}

uint64_t Kmalloc::kmalloc_size_roundup(uint64_t size) const {
    if (size == 0)
        return 0;
    size_t size_class = class_for(size);
    if (size_class < size_classes.size())
        return size_classes[size_class];
    unsigned order = PageAllocator::get_order(size);
    return order > PageAllocator::max_order ? 0 : page << order;
}

uint64_t Kmalloc::kmalloc(uint64_t size, Zone highest) {
    if (size == 0)
        return zero_size_ptr;
    size_t size_class = class_for(size);
    if (size_class < size_classes.size())
        return alloc_object(size_class, highest);
    unsigned order = PageAllocator::get_order(size);
    std::optional<uint64_t> pa = pages_.alloc_pages(order, highest);  // > max_order: nullopt, as Linux's NULL
    if (!pa)
        return 0;
    large_[*pa] = order;
    account(1, static_cast<int64_t>(page << order));
    return to_va(*pa);
}

uint64_t Kmalloc::alloc_object(size_t size_class, Zone highest) {
    uint64_t size = size_classes[size_class];
    std::set<uint64_t>& partial = partial_[static_cast<size_t>(highest)][size_class];
    if (partial.empty()) {
        unsigned order = PageAllocator::get_order(size);
        std::optional<uint64_t> pa = pages_.alloc_pages(order, highest);
        if (!pa)
            return 0;
        Slab slab{size_class, order, highest, std::vector<bool>((page << order) / size, false), 0};
        slabs_.insert({*pa, page << order}, std::move(slab));
        partial.insert(*pa);
    }
    uint64_t slab_pa = *partial.begin();  // lowest slab with room, lowest free object in it
    Slab& slab = slabs_.find(slab_pa)->value;
    uint64_t index = 0;
    while (slab.used[index])
        ++index;
    slab.used[index] = true;
    if (++slab.in_use == slab.used.size())
        partial.erase(slab_pa);
    account(1, static_cast<int64_t>(size));
    return to_va(slab_pa + index * size);
}

void Kmalloc::kfree(uint64_t va) {
    if (va == 0 || va == zero_size_ptr)
        return;
    uint64_t pa = to_pa(va);
    auto fail = [&](const std::string& why) { throw std::logic_error(fmt::format("kfree(0x{:x}): {}", va, why)); };
    auto large = large_.find(pa);
    if (large != large_.end()) {
        unsigned order = large->second;
        large_.erase(large);
        pages_.free_pages(pa, order);
        account(-1, -static_cast<int64_t>(page << order));
        return;
    }
    auto found = slabs_.find(pa);
    if (found == slabs_.end())
        fail("not an address kmalloc returned (a double free, or a bad pointer)");
    Slab& slab = found->value;
    uint64_t slab_pa = found->range.base;
    uint64_t size = size_classes[slab.size_class];
    uint64_t offset = pa - slab_pa;
    if (offset % size || offset / size >= slab.used.size())
        fail(fmt::format("not the start of a kmalloc-{} object", size));
    if (!slab.used[offset / size])
        fail(fmt::format("the kmalloc-{} object is already free (a double free)", size));
    slab.used[offset / size] = false;
    --slab.in_use;
    account(-1, -static_cast<int64_t>(size));
    if (slab.in_use == 0) {  // empty slabs go straight back to the page allocator
        partial_[static_cast<size_t>(slab.zone)][slab.size_class].erase(slab_pa);
        unsigned order = slab.order;
        slabs_.erase(found);
        pages_.free_pages(slab_pa, order);
    } else {
        partial_[static_cast<size_t>(slab.zone)][slab.size_class].insert(slab_pa);
    }
}

uint64_t Kmalloc::ksize(uint64_t va) const {
    if (va == 0 || va == zero_size_ptr)
        return 0;
    uint64_t pa = to_pa(va);
    auto large = large_.find(pa);
    if (large != large_.end())
        return page << large->second;
    auto found = slabs_.find(pa);
    if (found != slabs_.end()) {
        const Slab& slab = found->value;
        uint64_t size = size_classes[slab.size_class];
        uint64_t offset = pa - found->range.base;
        if (offset % size == 0 && offset / size < slab.used.size() && slab.used[offset / size])
            return size;
    }
    throw std::logic_error(fmt::format("ksize(0x{:x}): not a live kmalloc object", va));
}

void Kmalloc::account(int64_t objects, int64_t bytes) {
    objects_ = static_cast<uint64_t>(static_cast<int64_t>(objects_) + objects);
    bytes_ = static_cast<uint64_t>(static_cast<int64_t>(bytes_) + bytes);
    stat_objects_ = objects_;
    stat_bytes_ = bytes_;
}

}  // namespace sw
