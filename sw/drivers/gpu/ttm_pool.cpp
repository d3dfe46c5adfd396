#include "sw/drivers/gpu/ttm_pool.h"

#include "dma/context.h"
#include "dma/device.h"
#include "dma/mapping.h"
#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace sw {

namespace {

constexpr uint64_t page_size = PageAllocator::page_size;

// Linux's __fls.
unsigned fls(uint64_t value) { return 63 - static_cast<unsigned>(__builtin_clzll(value)); }

}  // namespace

// On a non-coherent device, a clean towards the device and an invalidate towards the CPU (a
// BIDIRECTIONAL buffer's, arch_sync_dma_for_device/_for_cpu).
void TtmPool::count_maintenance(dma::Device& dev, uint64_t size, bool for_device) {
    if (dev.dma_dev().is_coherent())
        return;
    models::Instrumentation& instr = dev.context().instr();
    instr.counter(for_device ? "ttm.bytes_cleaned" : "ttm.bytes_invalidated") += size;
}

TtmPool::TtmPool(std::string label, dma::Device* dev, Kernel& kernel, models::Instrumentation& instr,
                 bool use_dma_alloc, bool use_dma32)
    : label_(std::move(label)), dev_(dev), kernel_(kernel), instr_(instr), use_dma_alloc_(use_dma_alloc),
      use_dma32_(use_dma32), stat_hits_(instr.counter("ttm." + label_ + ".pool.hits")),
      stat_pooled_pages_(instr.counter("ttm." + label_ + ".pool.pages")),
      stat_coherent_allocations_(instr.counter("ttm." + label_ + ".coherent_allocations")),
      stat_allocator_pages_(instr.counter("ttm." + label_ + ".allocator_pages")) {
    if (!dev && use_dma_alloc)
        throw std::logic_error(fmt::format("ttm_pool_init: pool {} has use_dma_alloc but no device", label_));
}

TtmPool::~TtmPool() {
    for (auto& orders : pools_)
        for (PoolType& type : orders)
            for (const TtmBlock& block : type.blocks)
                free_block(block);
    stat_pooled_pages_ = 0;
}

size_t TtmPool::pool_blocks(TtmCaching caching, unsigned order) const {
    return pools_.at(static_cast<size_t>(caching)).at(order).blocks.size();
}

bool TtmPool::alloc(TtmTt& tt, std::optional<Zone> highest) {
    if (tt.num_pages == 0 || !tt.blocks.empty())
        throw std::logic_error("ttm_pool_alloc: the tt must have pages to fill and none yet");
    Zone zone = highest.value_or(use_dma32_ ? Zone::dma32 : Zone::normal);
    tt.pool = this;
    uint64_t remaining = tt.num_pages;
    // __ttm_pool_alloc: the largest order the remaining pages allow, from the pool first, then
    // from the system; one order lower when neither has it. (Linux's loop also takes __fls(0) after
    // the last block; undefined, so the order is recomputed only while pages remain.)
    for (unsigned order = max_order; remaining;) {
        order = std::min(order, fls(remaining));
        std::optional<TtmBlock> block = pooled(tt.caching) ? take(tt.caching, order) : std::nullopt;
        if (!block)
            block = alloc_block(order, zone);
        if (!block) {
            if (order) {
                --order;
                continue;
            }
            free(tt);
            return false;
        }
        if (!block->pool_hit)
            count_allocated(tt.caching, *block);
        tt.blocks.push_back(*block);
        remaining -= 1ULL << order;
    }
    if (dev_ && !map(tt, *dev_)) {
        free(tt);
        return false;
    }
    return true;
}

void TtmPool::free(TtmTt& tt) {
    unmap(tt);
    for (TtmBlock& block : tt.blocks) {
        block.pool_hit = false;
        if (pooled(tt.caching))
            give(tt.caching, block);
        else
            free_block(block);
    }
    tt.blocks.clear();
    tt.pool = nullptr;
}

std::optional<TtmBlock> TtmPool::take(TtmCaching caching, unsigned order) {
    std::vector<TtmBlock>& blocks = pools_[static_cast<size_t>(caching)][order].blocks;
    if (blocks.empty())
        return std::nullopt;
    TtmBlock block = blocks.back();
    blocks.pop_back();
    block.pool_hit = true;
    ++stat_hits_;
    stat_pooled_pages_ -= 1ULL << order;
    return block;
}

// ttm_pool_type_give: the block is cleared (clear_page) before it waits in the pool.
void TtmPool::give(TtmCaching caching, TtmBlock block) {
    kernel_.cpu().fill_block(block.vaddr, 0, block.size());
    pools_[static_cast<size_t>(caching)][block.order].blocks.push_back(block);
    stat_pooled_pages_ += 1ULL << block.order;
}

// ttm_pool_alloc_page.
std::optional<TtmBlock> TtmPool::alloc_block(unsigned order, Zone highest) {
    TtmBlock block;
    block.order = order;
    if (!use_dma_alloc_) {
        std::optional<uint64_t> pa = kernel_.page_allocator().alloc_pages(order, highest);
        if (!pa)
            return std::nullopt;
        block.pa = *pa;
        stat_allocator_pages_ += 1ULL << order;
        return block;
    }
    dma::Attrs attrs = dma::attr::force_contiguous | (order ? dma::attr::no_warn : 0);
    block.vaddr = dma::alloc_attrs(*dev_, block.size(), block.dma_addr, attrs);
    if (!block.vaddr)
        return std::nullopt;
    ++stat_coherent_allocations_;
    // vmalloc_to_page / virt_to_page: the CPU address may be a remap of the pages.
    models::Translation translation;
    if (!kernel_.cpu().mmu().translate(block.vaddr, translation))
        throw std::logic_error(fmt::format("ttm_pool_alloc_page: dma_alloc_attrs returned {:#x}, which is not mapped",
                                           block.vaddr));
    block.pa = translation.pa;
    return block;
}

// ttm_pool_free_page.
void TtmPool::free_block(const TtmBlock& block) {
    if (block.vaddr)
        dma::free_attrs(*dev_, block.size(), block.vaddr, block.dma_addr,
                        dma::attr::force_contiguous | (block.order ? dma::attr::no_warn : 0));
    else
        kernel_.page_allocator().free_pages(block.pa, block.order);
}

std::string TtmPool::pages_stat(const std::string& label, TtmCaching caching, unsigned order, Zone zone) {
    return fmt::format("ttm.{}.pages.{}.order{}.{}", label, to_string(caching), order, zone_name(zone));
}

const char* TtmPool::zone_name(Zone zone) {
    switch (zone) {
    case Zone::dma: return "dma";
    case Zone::dma32: return "dma32";
    case Zone::normal: return "normal";
    }
    return "?";  // not reached
}

void TtmPool::count_allocated(TtmCaching caching, const TtmBlock& block) {
    instr_.counter(pages_stat(label_, caching, block.order,
                              kernel_.page_allocator().zone_of(block.pa))) += 1ULL << block.order;
}

// ttm_pool_map for every block.
bool TtmPool::map(TtmTt& tt, dma::Device& dev) {
    if (tt.mapped_for)
        throw std::logic_error("ttm_pool_map: the tt is already mapped");
    models::Instrumentation& instr = dev.context().instr();
    for (size_t i = 0; i < tt.blocks.size(); ++i) {
        TtmBlock& block = tt.blocks[i];
        if (block.vaddr) {
            if (tt.pool->device() != &dev)
                throw std::logic_error(fmt::format("ttm_pool_map: a block of {}'s pool mapped for {}",
                                                   tt.pool->device()->name(), dev.name()));
            continue;  // dma_alloc_attrs' address
        }
        block.dma_addr = dma::map_page(dev, block.pa, 0, block.size(), dma::DmaDirection::bidirectional);
        if (dma::mapping_error(dev, block.dma_addr)) {
            block.dma_addr = dma::DMA_MAPPING_ERROR;
            tt.mapped_for = &dev;
            unmap(tt);
            return false;
        }
        ++instr.counter("ttm.maps");
        if (dev.dma_dev().iommu_domain())
            ++instr.counter("ttm.iova_allocations");
        count_maintenance(dev, block.size(), true);
    }
    tt.mapped_for = &dev;
    return true;
}

// ttm_pool_unmap for every block mapped.
void TtmPool::unmap(TtmTt& tt) {
    if (!tt.mapped_for)
        return;
    for (TtmBlock& block : tt.blocks) {
        if (block.vaddr || block.dma_addr == dma::DMA_MAPPING_ERROR)
            continue;
        dma::unmap_page(*tt.mapped_for, block.dma_addr, block.size(), dma::DmaDirection::bidirectional);
        count_maintenance(*tt.mapped_for, block.size(), false);
        block.dma_addr = dma::DMA_MAPPING_ERROR;
    }
    tt.mapped_for = nullptr;
}

void TtmPool::sync_for_device(TtmTt& tt) {
    if (!tt.mapped_for)
        throw std::logic_error("ttm sync_for_device: the tt is not mapped");
    for (const TtmBlock& block : tt.blocks)
        if (!block.vaddr) {
            dma::sync_single_for_device(*tt.mapped_for, block.dma_addr, block.size(), dma::DmaDirection::bidirectional);
            count_maintenance(*tt.mapped_for, block.size(), true);
        }
}

void TtmPool::sync_for_cpu(TtmTt& tt) {
    if (!tt.mapped_for)
        throw std::logic_error("ttm sync_for_cpu: the tt is not mapped");
    for (const TtmBlock& block : tt.blocks)
        if (!block.vaddr) {
            dma::sync_single_for_cpu(*tt.mapped_for, block.dma_addr, block.size(), dma::DmaDirection::bidirectional);
            count_maintenance(*tt.mapped_for, block.size(), false);
        }
}

}  // namespace sw
