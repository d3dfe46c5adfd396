#include "dma/dma_pool.h"

#include "dma/context.h"
#include "dma/device.h"
#include "dma/mapping.h"
#include "models/cpu/core.h"
#include "models/cpu/mmu.h"

#include <algorithm>
#include <fmt/format.h>

namespace dma {

namespace {

bool is_power_of_two(uint64_t n) { return n && !(n & (n - 1)); }

uint64_t align_up(uint64_t n, uint64_t align) { return (n + align - 1) / align * align; }

}  // namespace

DmaPool::DmaPool(std::string name, Device& dev, uint64_t size, uint64_t allocation, uint64_t boundary, bool debug)
    : name_(std::move(name)), dev_(dev), size_(size), allocation_(allocation), boundary_(boundary), debug_(debug),
      stat_double_free_(dev.context().instr().counter("dma_pool.double_free")),
      stat_bad_address_(dev.context().instr().counter("dma_pool.bad_address")),
      stat_corrupted_(dev.context().instr().counter("dma_pool.corrupted")),
      stat_destroy_busy_(dev.context().instr().counter("dma_pool.destroy_busy")),
      stat_blocks_in_use_(dev.context().instr().counter("dma_pool.pools." + name_ + ".blocks_in_use")),
      stat_all_blocks_in_use_(dev.context().instr().counter(dma_pool_blocks_stat)) {
    // Blocks back to back from the page start; one that would cross a boundary starts at it instead.
    for (uint64_t offset = 0; offset + size_ <= allocation_;) {
        uint64_t next_boundary = (offset / boundary_ + 1) * boundary_;
        if (offset + size_ > next_boundary) {
            offset = next_boundary;
            continue;
        }
        block_offsets_.push_back(offset);
        offset += size_;
    }
}

uint64_t DmaPool::blocks_in_use() const {
    uint64_t blocks = 0;
    for (const Page& page : pages_)
        blocks += page.in_use;
    return blocks;
}

DmaPool::Page* DmaPool::add_page(Gfp gfp) {
    Page page;
    page.vaddr = alloc_coherent(dev_, allocation_, page.dma, gfp);
    if (!page.vaddr)
        return nullptr;  // alloc_coherent warned and counted
    if (debug_)
        dev_.context().cpu().fill_block(page.vaddr, POOL_POISON_FREED, allocation_);
    page.free.assign(block_offsets_.size(), true);
    for (size_t block = block_offsets_.size(); block-- > 0;)
        page.free_list.push_back(static_cast<uint32_t>(block));
    pages_.push_front(std::move(page));
    return &pages_.front();
}

DmaPool::Page* DmaPool::find_page(dma_addr_t dma) {
    for (Page& page : pages_)
        if (dma - page.dma < allocation_)
            return &page;
    return nullptr;
}

long DmaPool::block_at(uint64_t offset) const {
    auto found = std::lower_bound(block_offsets_.begin(), block_offsets_.end(), offset);
    return found != block_offsets_.end() && *found == offset ? found - block_offsets_.begin() : -1;
}

uint64_t DmaPool::alloc(Gfp gfp, dma_addr_t& handle, bool zero) {
    auto has_free = [](const Page& page) { return !page.free_list.empty(); };
    auto found = std::find_if(pages_.begin(), pages_.end(), has_free);
    Page* page = found != pages_.end() ? &*found : add_page(gfp);
    if (!page)
        return 0;
    uint32_t block = page->free_list.back();
    page->free_list.pop_back();
    page->free[block] = false;
    ++page->in_use;
    ++stat_blocks_in_use_;
    ++stat_all_blocks_in_use_;
    uint64_t vaddr = page->vaddr + block_offsets_[block];
    handle = page->dma + block_offsets_[block];
    models::Core& cpu = dev_.context().cpu();
    if (debug_)
        check_freed_poison(vaddr);
    if (zero)
        cpu.fill_block(vaddr, 0, size_);
    else if (debug_)
        cpu.fill_block(vaddr, POOL_POISON_ALLOCATED, size_);
    return vaddr;
}

// A block handed out again must still hold the poison its free wrote: anything else was written
// through a pointer or a DMA handle that outlived the block.
void DmaPool::check_freed_poison(uint64_t vaddr) {
    std::vector<uint8_t> data(size_);
    dev_.context().cpu().read_block(vaddr, data.data(), size_);
    auto bad = std::find_if(data.begin(), data.end(), [](uint8_t byte) { return byte != POOL_POISON_FREED; });
    if (bad == data.end())
        return;
    uint64_t bad_bytes = static_cast<uint64_t>(std::count_if(bad, data.end(),
                                                             [](uint8_t byte) { return byte != POOL_POISON_FREED; }));
    report(fmt::format("dma_pool_alloc {}, {:#x} (corrupted): byte {} of the {}-byte free block is {:#04x}, not the "
                       "freed poison {:#04x} ({} bytes differ): written after it was freed",
                       name_, vaddr, bad - data.begin(), size_, *bad, POOL_POISON_FREED, bad_bytes),
           stat_corrupted_);
}

void DmaPool::free(uint64_t vaddr, dma_addr_t dma) {
    Page* page = find_page(dma);
    if (!page) {
        report(fmt::format("dma_pool_free {}, {:#x}/{:#x} (bad dma): no page of the pool holds that DMA address", name_,
                           vaddr, dma),
               stat_bad_address_);
        return;
    }
    uint64_t offset = dma - page->dma;
    if (vaddr != page->vaddr + offset) {
        report(fmt::format("dma_pool_free {}, {:#x}/{:#x} (bad vaddr): the block at that DMA address has CPU "
                           "address {:#x}",
                           name_, vaddr, dma, page->vaddr + offset),
               stat_bad_address_);
        return;
    }
    long block = block_at(offset);
    if (block < 0) {
        report(fmt::format("dma_pool_free {}, {:#x}/{:#x} (bad dma): offset {:#x} of the page at {:#x} is not the "
                           "start of a {}-byte block",
                           name_, vaddr, dma, offset, page->dma, size_),
               stat_bad_address_);
        return;
    }
    if (page->free[block]) {
        report(fmt::format("dma_pool_free {}, dma {:#x} already free", name_, dma), stat_double_free_);
        return;
    }
    if (debug_)
        dev_.context().cpu().fill_block(vaddr, POOL_POISON_FREED, size_);
    page->free[block] = true;
    page->free_list.push_back(static_cast<uint32_t>(block));
    --page->in_use;
    --stat_blocks_in_use_;
    --stat_all_blocks_in_use_;
}

void DmaPool::destroy() {
    stat_blocks_in_use_ -= blocks_in_use();
    stat_all_blocks_in_use_ -= blocks_in_use();
    for (Page& page : pages_) {
        if (page.in_use)
            report(fmt::format("dma_pool_destroy {}, {:#x} busy ({} of its {} blocks still allocated)", name_,
                               page.vaddr, page.in_use, block_offsets_.size()),
                   stat_destroy_busy_);
        if (debug_)
            dev_.context().cpu().fill_block(page.vaddr, POOL_POISON_FREED, allocation_);
        free_coherent(dev_, allocation_, page.vaddr, page.dma);
    }
    pages_.clear();
}

void DmaPool::report(const std::string& message, uint64_t& stat) { dev_.context().warn(dev_, message, stat); }

std::unique_ptr<DmaPool> dma_pool_create(const std::string& name, Device& dev, uint64_t size, uint64_t align,
                                         uint64_t boundary) {
    if (align == 0)
        align = 1;
    if (!is_power_of_two(align) || size == 0)
        return nullptr;
    size = align_up(size, align);
    uint64_t allocation = align_up(std::max(size, models::Mmu::page_size), models::Mmu::page_size);
    if (boundary == 0)
        boundary = allocation;
    else if (!is_power_of_two(boundary) || boundary < size)
        return nullptr;
    return std::make_unique<DmaPool>(name, dev, size, allocation, boundary, dev.context().policy().pool_debug);
}

void dma_pool_destroy(std::unique_ptr<DmaPool> pool) {
    if (pool)
        pool->destroy();
}

uint64_t dma_pool_alloc(DmaPool& pool, Gfp gfp, dma_addr_t& handle) { return pool.alloc(gfp, handle, false); }

uint64_t dma_pool_zalloc(DmaPool& pool, Gfp gfp, dma_addr_t& handle) { return pool.alloc(gfp, handle, true); }

void dma_pool_free(DmaPool& pool, uint64_t vaddr, dma_addr_t dma) { pool.free(vaddr, dma); }

}  // namespace dma
