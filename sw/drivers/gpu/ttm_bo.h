// A buffer object (after Linux's struct ttm_buffer_object with a ttm_tt in system memory): pages
// from its device's pool, a CPU caching type, bound to one device at a time, and moved to another
// as seed 000 proposes ("if the memory type the buffer object currently resides in is not shared
// between two devices, move it out to system memory and change its bo_device pointer"), with the
// copy Konrad Wilk and Thomas Hellstrom agree on where the target cannot take the pages:
// - rebind: the target reaches the pages: unmapped from the old device, mapped for the new one.
// - iommu: the target is behind an IOMMU: the same pages mapped at an IOVA it reaches.
// - bounce: the target cannot reach them and nothing asks for other pages: they are mapped anyway,
//   and swiotlb bounces every transfer.
// - copy: new pages from the target's pool (use_dma32: DMA32 pages, as TTM_PAGE_FLAG_DMA32 asks;
//   use_dma_alloc: its own coherent pool), or, when the move asks to copy what it cannot reach,
//   pages of the zone the target reaches; a copy engine of the policy's that reaches both the old
//   and the new pages copies them (engine_for), else the CPU; the old pages go back to their pool.
//   Pages from a per-device (dma_alloc) pool belong to that device: they always take this path
//   ("you can't hand over pages belonging to other physical devices").
// Like Linux's TTM, nothing syncs the caches after populate or after the CPU copy: on a
// non-coherent device, CPU writes to cached pages after they were mapped reach the device stale.
// The fix is the CPU-access bracket (begin_cpu_access / end_cpu_access, as dma-buf's), or
// MovePolicy::sync_after_copy for the move's own copy.
// Stats: ttm.moves.{rebind,iommu,bounce,copy}, ttm.bytes_copied; of the copies, ttm.cpu_copies and
// ttm.engine_copies, ttm.engine_bytes_copied, ttm.engine_commands (COPY commands the engines ran).
#pragma once

#include "sw/drivers/gpu/ttm_device.h"
#include "sw/drivers/gpu/ttm_tt.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace sw {

enum class TtmMoveKind { rebind, iommu, bounce, copy };
const char* to_string(TtmMoveKind kind);

// A device's DMA copy engine, a driver's blit (amdgpu_move_blit, nouveau_bo_move_m2mf): copies
// `size` bytes from bus address `src` to `dst` of `dev`; false when the engine failed.
struct TtmCopyEngine {
    dma::Device* dev = nullptr;
    std::function<bool(dma::dma_addr_t src, dma::dma_addr_t dst, uint64_t size)> copy;
};

struct TtmMovePolicy {
    bool copy_unreachable = false;  // copy rather than bounce where the target cannot reach the pages
    bool sync_after_copy = false;   // the fix: the copied pages synced for the target before use
    // Engines a move's copy may use (a driver's ttm_device_funcs.move): the first whose device
    // reaches both the old and the new pages directly and owns the per-device pool's blocks among
    // them (another device mapping a coherent allocation again is what dma-debug's
    // overlapping-cacheline check reports); with none, the CPU copies (ttm_bo_move_memcpy, the
    // fallback Linux's drivers take).
    std::vector<TtmCopyEngine> engines;
};

// One DMA-contiguous run of a BO as its device sees it.
struct TtmDmaSegment {
    dma::dma_addr_t addr = 0;
    uint64_t offset = 0;  // in the BO
    uint64_t size = 0;
};

class TtmBufferObject {
public:
    // Creates and populates a BO of `num_pages` on `dev` (ttm_bo_init + ttm_tt_populate);
    // std::runtime_error when its pool cannot fill it.
    TtmBufferObject(TtmDevice& dev, uint64_t num_pages, TtmCaching caching);
    // An anonymous BO (seed 001): populated from `pool` (ttm_anon_pool.h), bound to no device until
    // its first move_to.
    TtmBufferObject(TtmPool& pool, uint64_t num_pages, TtmCaching caching);
    ~TtmBufferObject();
    TtmBufferObject(const TtmBufferObject&) = delete;
    TtmBufferObject& operator=(const TtmBufferObject&) = delete;

    bool bound() const { return device_ != nullptr; }
    TtmDevice& device() const { return *device_; }  // only when bound
    const TtmTt& tt() const { return tt_; }
    uint64_t size() const { return tt_.size(); }
    std::vector<TtmDmaSegment> dma_segments() const;

    // What a move to `target` does with these pages (see the file comment).
    TtmMoveKind move_kind(const TtmDevice& target, const TtmMovePolicy& policy) const;
    // Binds the BO to `target`; std::runtime_error when pages or mappings cannot be had.
    TtmMoveKind move_to(TtmDevice& target, const TtmMovePolicy& policy);

    // CPU access through the BO's kernel mapping (ttm_bo_kmap: the linear map for cached pages, a
    // vmap of the caching type's memory type otherwise, the allocation's own address for a
    // per-device pool's blocks).
    void cpu_write(uint64_t offset, const std::vector<uint8_t>& data);
    std::vector<uint8_t> cpu_read(uint64_t offset, uint64_t size);
    // The bracket: the BO's pages synced for the CPU before it reads, for the device after it wrote
    // (nothing while they are mapped for no device: mapping them cleans the caches).
    void begin_cpu_access();
    void end_cpu_access();

private:
    // The CPU address of block `index`.
    uint64_t block_va(size_t index) const;
    // `access` for each run of [offset, offset + length) within one block: its CPU address, the
    // bytes before it, its size.
    void for_each_chunk(uint64_t offset, uint64_t length,
                        const std::function<void(uint64_t va, uint64_t done, uint64_t size)>& access);
    void kmap();
    void kunmap();
    void copy_into(TtmTt& fresh);
    // The first engine that may copy between the pages of both tts (TtmMovePolicy::engines), or nullptr.
    const TtmCopyEngine* engine_for(const TtmTt& fresh, const std::vector<TtmCopyEngine>& engines) const;
    void engine_copy_into(TtmTt& fresh, const TtmCopyEngine& engine);

    TtmDevice* device_ = nullptr;
    TtmTt tt_;
    uint64_t vmap_ = 0;  // the BO's vmap of non-cached pages from the page allocator
};

}  // namespace sw
