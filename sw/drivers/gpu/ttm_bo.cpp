#include "sw/drivers/gpu/ttm_bo.h"

#include "dma/context.h"
#include "dma/device.h"
#include "dma/mapping.h"
#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace sw {

const char* to_string(TtmMoveKind kind) {
    switch (kind) {
    case TtmMoveKind::rebind: return "rebind";
    case TtmMoveKind::iommu: return "iommu";
    case TtmMoveKind::bounce: return "bounce";
    case TtmMoveKind::copy: return "copy";
    }
    return "?";  // not reached
}

namespace {

// ttm_prot_from_caching: the memory type of the BO's kernel mapping.
models::MemType mem_type(TtmCaching caching) {
    switch (caching) {
    case TtmCaching::cached: return models::MemType::normal_wb;
    case TtmCaching::write_combined: return models::MemType::write_combined;
    case TtmCaching::uncached: return models::MemType::normal_nc;
    }
    return models::MemType::normal_wb;  // not reached
}

models::Instrumentation& instr_of(TtmDevice& dev) { return dev.dev().context().instr(); }

// Unmaps what engine_map mapped: the destination's unmap (FROM_DEVICE) invalidates the CPU's
// lines, the source's (TO_DEVICE) maintains nothing.
void engine_unmap(const TtmTt& tt, const std::vector<TtmDmaSegment>& blocks, dma::Device& engine,
                  dma::DmaDirection dir) {
    for (size_t i = 0; i < blocks.size(); ++i) {
        if (tt.blocks[i].vaddr)
            continue;
        dma::unmap_page(engine, blocks[i].addr, blocks[i].size, dir);
        if (dir != dma::DmaDirection::to_device)
            TtmPool::count_maintenance(engine, blocks[i].size, false);
    }
}

// The engine's view of a tt, block by block: a per-device pool's block (the engine's own device's,
// engine_for saw to it) at its allocation's address, coherent: nothing to map; any other block
// mapped with dma_map_page for the engine. Empty, with nothing left mapped, when a mapping fails.
std::vector<TtmDmaSegment> engine_map(const TtmTt& tt, dma::Device& engine, dma::DmaDirection dir) {
    std::vector<TtmDmaSegment> blocks;
    uint64_t offset = 0;
    for (const TtmBlock& block : tt.blocks) {
        bool coherent = block.vaddr != 0;
        dma::dma_addr_t addr = coherent ? block.dma_addr : dma::map_page(engine, block.pa, 0, block.size(), dir);
        if (!coherent && dma::mapping_error(engine, addr)) {
            engine_unmap(tt, blocks, engine, dir);
            return {};
        }
        if (!coherent)
            TtmPool::count_maintenance(engine, block.size(), true);
        blocks.push_back(TtmDmaSegment{addr, offset, block.size()});
        offset += block.size();
    }
    return blocks;
}

// The runs contiguous in bus addresses among `blocks`.
std::vector<TtmDmaSegment> contiguous_runs(const std::vector<TtmDmaSegment>& blocks) {
    std::vector<TtmDmaSegment> runs;
    for (const TtmDmaSegment& block : blocks)
        if (!runs.empty() && runs.back().addr + runs.back().size == block.addr)
            runs.back().size += block.size;
        else
            runs.push_back(block);
    return runs;
}

}  // namespace

TtmBufferObject::TtmBufferObject(TtmDevice& dev, uint64_t num_pages, TtmCaching caching)
    : TtmBufferObject(dev.pool(), num_pages, caching) {
    device_ = &dev;
}

TtmBufferObject::TtmBufferObject(TtmPool& pool, uint64_t num_pages, TtmCaching caching) {
    tt_.num_pages = num_pages;
    tt_.caching = caching;
    if (!pool.alloc(tt_))
        throw std::runtime_error(fmt::format("ttm: no {} pages for a buffer object from pool {}", num_pages,
                                             pool.label()));
    kmap();
}

TtmBufferObject::~TtmBufferObject() {
    kunmap();
    tt_.pool->free(tt_);
}

std::vector<TtmDmaSegment> TtmBufferObject::dma_segments() const {
    std::vector<TtmDmaSegment> segments;
    uint64_t offset = 0;
    for (const TtmBlock& block : tt_.blocks) {
        if (!segments.empty() && segments.back().addr + segments.back().size == block.dma_addr)
            segments.back().size += block.size();
        else
            segments.push_back(TtmDmaSegment{block.dma_addr, offset, block.size()});
        offset += block.size();
    }
    return segments;
}

TtmMoveKind TtmBufferObject::move_kind(const TtmDevice& target, const TtmMovePolicy& policy) const {
    const TtmPool& target_pool = const_cast<TtmDevice&>(target).pool();
    if (tt_.pool == &target_pool)
        return TtmMoveKind::rebind;  // its own pages
    if (target_pool.use_dma_alloc() || tt_.pool->use_dma_alloc())
        return TtmMoveKind::copy;  // pages of a per-device pool are that device's
    if (target.behind_iommu())
        return TtmMoveKind::iommu;
    bool reached = true, dma32 = true;
    for (const TtmBlock& block : tt_.blocks) {
        reached = reached && target.reaches(block.pa, block.size());
        dma32 = dma32 && block.pa + block.size() <= PageAllocator::dma32_limit;
    }
    if (reached)
        return TtmMoveKind::rebind;
    if (target_pool.use_dma32() && !dma32)
        return TtmMoveKind::copy;  // TTM_PAGE_FLAG_DMA32: the target's BOs live in DMA32 pages
    return policy.copy_unreachable ? TtmMoveKind::copy : TtmMoveKind::bounce;
}

TtmMoveKind TtmBufferObject::move_to(TtmDevice& target, const TtmMovePolicy& policy) {
    TtmMoveKind kind = move_kind(target, policy);
    ++instr_of(target).counter(std::string("ttm.moves.") + to_string(kind));
    if (kind != TtmMoveKind::copy) {
        TtmPool::unmap(tt_);
        if (!TtmPool::map(tt_, target.dev()))
            throw std::runtime_error(fmt::format("ttm: mapping a {}-page buffer object for {} failed", tt_.num_pages,
                                                 target.dev().name()));
        device_ = &target;
        return kind;
    }
    TtmTt fresh;
    fresh.num_pages = tt_.num_pages;
    fresh.caching = tt_.caching;
    // The target's own pool decides where its pages come from; a plain pool is asked for pages
    // the target reaches, which is what the copy is for.
    TtmPool& pool = target.pool();
    std::optional<Zone> zone;
    if (!pool.use_dma_alloc() && !pool.use_dma32())
        zone = target.reachable_zone();
    if (!pool.alloc(fresh, zone))
        throw std::runtime_error(fmt::format("ttm: no {} pages on {} to move a buffer object to", fresh.num_pages,
                                             target.dev().name()));
    if (const TtmCopyEngine* engine = engine_for(fresh, policy.engines))
        engine_copy_into(fresh, *engine);
    else
        copy_into(fresh);
    device_ = &target;
    if (policy.sync_after_copy)
        TtmPool::sync_for_device(tt_);
    return kind;
}

// ttm_bo_move_memcpy: the old pages unmapped (synced for the CPU), read, written to the new ones
// through their kernel mapping, and given back to their pool.
void TtmBufferObject::copy_into(TtmTt& fresh) {
    TtmPool::unmap(tt_);
    std::vector<uint8_t> data = cpu_read(0, size());
    kunmap();
    std::swap(tt_, fresh);
    kmap();
    cpu_write(0, data);
    fresh.pool->free(fresh);
    tt_.pool->instr().counter("ttm.bytes_copied") += data.size();
    ++tt_.pool->instr().counter("ttm.cpu_copies");
}

const TtmCopyEngine* TtmBufferObject::engine_for(const TtmTt& fresh, const std::vector<TtmCopyEngine>& engines) const {
    for (const TtmCopyEngine& engine : engines) {
        bool reached = true;
        for (const TtmTt* tt : {&tt_, &fresh})
            for (const TtmBlock& block : tt->blocks)
                reached = reached && TtmDevice::reaches(*engine.dev, block.pa, block.size()) &&
                          (!block.vaddr || tt->pool->device() == engine.dev);
        if (reached)
            return &engine;
    }
    return nullptr;
}

// A driver's blit: the old pages unmapped from their device (as ttm_bo_move_memcpy's) and the new
// ones from the target (the engine writes them before the target may use them); both mapped for
// the engine's device, the source TO_DEVICE (which cleans what the CPU wrote) and the destination
// FROM_DEVICE; copied run by run, one COPY command per run that is contiguous on both sides;
// unmapped (the destination's unmap invalidates: the CPU sees what the engine wrote); the new
// pages mapped for the target again, the old ones given back to their pool.
void TtmBufferObject::engine_copy_into(TtmTt& fresh, const TtmCopyEngine& engine) {
    dma::Device& target = *fresh.mapped_for;
    dma::Device& dev = *engine.dev;
    TtmPool::unmap(tt_);
    TtmPool::unmap(fresh);
    std::vector<TtmDmaSegment> src = engine_map(tt_, dev, dma::DmaDirection::to_device);
    std::vector<TtmDmaSegment> dst = engine_map(fresh, dev, dma::DmaDirection::from_device);
    bool copied = !src.empty() && !dst.empty();
    uint64_t commands = 0;
    std::vector<TtmDmaSegment> from = contiguous_runs(src), to = contiguous_runs(dst);
    for (size_t i = 0, j = 0; copied && i < from.size() && j < to.size();) {
        uint64_t length = std::min(from[i].size, to[j].size);  // contiguous on both sides
        copied = engine.copy(from[i].addr, to[j].addr, length);
        ++commands;
        auto advance = [length](std::vector<TtmDmaSegment>& runs, size_t& index) {
            runs[index].addr += length;
            runs[index].size -= length;
            if (!runs[index].size)
                ++index;
        };
        advance(from, i);
        advance(to, j);
    }
    engine_unmap(fresh, dst, dev, dma::DmaDirection::from_device);
    engine_unmap(tt_, src, dev, dma::DmaDirection::to_device);
    if (!copied)
        throw std::runtime_error(fmt::format("ttm: {}'s copy engine failed to move a {}-page buffer object", dev.name(),
                                             tt_.num_pages));
    if (!TtmPool::map(fresh, target))
        throw std::runtime_error(fmt::format("ttm: mapping a {}-page buffer object for {} failed", fresh.num_pages,
                                             target.name()));
    kunmap();
    std::swap(tt_, fresh);
    kmap();
    fresh.pool->free(fresh);
    models::Instrumentation& instr = tt_.pool->instr();
    instr.counter("ttm.bytes_copied") += size();
    ++instr.counter("ttm.engine_copies");
    instr.counter("ttm.engine_bytes_copied") += size();
    instr.counter("ttm.engine_commands") += commands;
}

void TtmBufferObject::kmap() {
    if (tt_.caching == TtmCaching::cached || tt_.blocks.front().vaddr)
        return;
    std::vector<uint64_t> pages;
    for (const TtmBlock& block : tt_.blocks)
        for (uint64_t page = 0; page < block.size(); page += PageAllocator::page_size)
            pages.push_back(block.pa + page);
    vmap_ = tt_.pool->kernel().vmap(pages, mem_type(tt_.caching));
}

void TtmBufferObject::kunmap() {
    if (vmap_)
        tt_.pool->kernel().vunmap(vmap_);
    vmap_ = 0;
}

uint64_t TtmBufferObject::block_va(size_t index) const {
    const TtmBlock& block = tt_.blocks[index];
    if (block.vaddr)
        return block.vaddr;
    if (!vmap_)
        return Kernel::phys_to_virt(block.pa);
    uint64_t offset = 0;
    for (size_t i = 0; i < index; ++i)
        offset += tt_.blocks[i].size();
    return vmap_ + offset;
}

void TtmBufferObject::for_each_chunk(uint64_t offset, uint64_t length,
                                     const std::function<void(uint64_t va, uint64_t done, uint64_t size)>& access) {
    if (offset + length > size())
        throw std::out_of_range(fmt::format("ttm: CPU access to {} bytes at {} of a {}-byte buffer object", length,
                                            offset, size()));
    uint64_t block_start = 0, done = 0;
    for (size_t i = 0; i < tt_.blocks.size() && done < length; block_start += tt_.blocks[i].size(), ++i) {
        uint64_t block_end = block_start + tt_.blocks[i].size();
        uint64_t at = offset + done;
        if (at >= block_end)
            continue;
        uint64_t chunk = std::min<uint64_t>(block_end - at, length - done);
        access(block_va(i) + (at - block_start), done, chunk);
        done += chunk;
    }
}

void TtmBufferObject::cpu_write(uint64_t offset, const std::vector<uint8_t>& data) {
    models::Core& cpu = tt_.pool->kernel().cpu();
    for_each_chunk(offset, data.size(),
                   [&](uint64_t va, uint64_t done, uint64_t chunk) { cpu.write_block(va, data.data() + done, chunk); });
}

std::vector<uint8_t> TtmBufferObject::cpu_read(uint64_t offset, uint64_t length) {
    std::vector<uint8_t> data(length);
    models::Core& cpu = tt_.pool->kernel().cpu();
    for_each_chunk(offset, length,
                   [&](uint64_t va, uint64_t done, uint64_t chunk) { cpu.read_block(va, data.data() + done, chunk); });
    return data;
}

void TtmBufferObject::begin_cpu_access() {
    if (tt_.mapped_for)
        TtmPool::sync_for_cpu(tt_);
}

void TtmBufferObject::end_cpu_access() {
    if (tt_.mapped_for)
        TtmPool::sync_for_device(tt_);
}

}  // namespace sw
