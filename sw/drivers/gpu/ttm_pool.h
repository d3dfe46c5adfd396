// A TTM page pool (Linux's drivers/gpu/drm/ttm/ttm_pool.c): fills a TtmTt with blocks of pages,
// the largest order first (min(MAX_PAGE_ORDER, __fls(remaining pages))), a smaller one when an
// order cannot be had, and DMA-maps them for the pool's device.
// - use_dma_alloc: blocks come from dma_alloc_attrs(DMA_ATTR_FORCE_CONTIGUOUS) on the pool's
//   device (their DMA address is the allocation's: no mapping); freed blocks are cleared and kept
//   in a pool per caching type and order, of this device only (ttm_pool_type_give), and handed out
//   again (ttm_pool_type_take: a pool hit).
// - otherwise: blocks from the page allocator (ZONE_DMA32 and below with use_dma32, GFP_DMA32; any
//   zone without, GFP_HIGHUSER), mapped with dma_map_page(DMA_BIDIRECTIONAL) at populate time
//   (ttm_pool_map) and unmapped at free. Not pooled: Linux keeps global pools only of
//   write-combined and uncached pages, and only on x86 (ttm_pool_select_type's #ifdef CONFIG_X86),
//   to save the linear map's caching change; on Arm they go back to the page allocator.
// - a pool without a device (Linux's ttm_pool_init allows dev == NULL without use_dma_alloc; its
//   WARN_ON(!dev && use_dma_alloc)): pages from the page allocator, left unmapped until a device
//   maps them (the pool of anonymous buffer objects on bare metal, ttm_anon_pool.h).
// TTM does not sync after populate (Linux's ttm_pool_alloc neither): sync_for_device/sync_for_cpu
// are the explicit syncs a driver adds around CPU access.
// Stats (<label> names the device): ttm.<label>.pool.hits (blocks taken from the pool),
// ttm.<label>.pool.pages (pages kept in it now), ttm.<label>.pages.<caching>.order<N>.<zone> (pages
// allocated from the system), ttm.<label>.coherent_allocations (dma_alloc_attrs calls that gave a
// block), ttm.<label>.allocator_pages (pages taken from the page allocator); for every pool: ttm.maps (dma_map_page
// calls), ttm.iova_allocations (those on a device behind an IOMMU), ttm.bytes_cleaned and ttm.bytes_invalidated (bytes
// of the maps, unmaps and syncs the DMA layer maintains the caches for: those of a non-coherent device).
#pragma once

#include "models/common/instrumentation.h"
#include "sw/drivers/gpu/ttm_tt.h"
#include "sw/kernel/page_allocator.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace sw {

class Kernel;

class TtmPool {
public:
    static constexpr unsigned max_order = PageAllocator::max_order;  // Linux's MAX_PAGE_ORDER

    // Linux's ttm_pool_init(pool, dev, nid, use_dma_alloc, use_dma32); `dev` may be null without
    // use_dma_alloc (std::logic_error otherwise).
    TtmPool(std::string label, dma::Device* dev, Kernel& kernel, models::Instrumentation& instr, bool use_dma_alloc,
            bool use_dma32);
    // Linux's ttm_pool_fini: the pooled blocks are freed.
    ~TtmPool();
    TtmPool(const TtmPool&) = delete;
    TtmPool& operator=(const TtmPool&) = delete;

    const std::string& label() const { return label_; }
    // The device it allocates and maps for; null for a pool without one.
    dma::Device* device() const { return dev_; }
    Kernel& kernel() const { return kernel_; }
    models::Instrumentation& instr() const { return instr_; }
    bool use_dma_alloc() const { return use_dma_alloc_; }
    bool use_dma32() const { return use_dma32_; }

    // Linux's ttm_pool_alloc: `tt` (num_pages and caching set, no blocks) filled and mapped for
    // the pool's device (left unmapped by a pool without one). `highest`: the zone limit instead of the pool's (a
    // caller that needs pages its device reaches). False when memory or a mapping fails; `tt` is then left empty.
    bool alloc(TtmTt& tt, std::optional<Zone> highest = std::nullopt);
    // Linux's ttm_pool_free: unmapped (from whichever device it is mapped for), then given back to
    // the pool or the page allocator.
    void free(TtmTt& tt);

    // Whether freed blocks of a caching type are kept for reuse (ttm_pool_select_type returns a
    // pool type): every type in a per-device pool; on x86 the global write-combined and uncached
    // pools would add those two, on this architecture nothing.
    bool pooled(TtmCaching) const { return use_dma_alloc_; }
    // Blocks of that caching and order waiting in the pool.
    size_t pool_blocks(TtmCaching caching, unsigned order) const;
    uint64_t hits() const { return stat_hits_; }
    // The stat of pages allocated from the system: ttm.<label>.pages.<caching>.order<N>.<zone>,
    // the zone in lower case (dma, dma32, normal).
    static const char* zone_name(Zone zone);
    static std::string pages_stat(const std::string& label, TtmCaching caching, unsigned order, Zone zone);

    // DMA-maps every block of `tt` for `dev` (blocks from a per-device pool keep their
    // allocation's address and must belong to `dev`'s pool); false, with nothing mapped, when
    // a mapping fails.
    static bool map(TtmTt& tt, dma::Device& dev);
    static void unmap(TtmTt& tt);
    // The explicit syncs TTM leaves to drivers: the whole BO, for the device it is mapped for
    // (nothing for a per-device pool's coherent blocks).
    static void sync_for_device(TtmTt& tt);
    static void sync_for_cpu(TtmTt& tt);
    // Adds what a map, unmap or sync of `size` bytes on `dev` costs in cache maintenance to
    // ttm.bytes_cleaned (towards the device) or ttm.bytes_invalidated (towards the CPU): nothing on
    // a coherent device.
    static void count_maintenance(dma::Device& dev, uint64_t size, bool for_device);

private:
    struct PoolType {
        std::vector<TtmBlock> blocks;
    };
    std::optional<TtmBlock> take(TtmCaching caching, unsigned order);
    std::optional<TtmBlock> alloc_block(unsigned order, Zone highest);
    void give(TtmCaching caching, TtmBlock block);
    void free_block(const TtmBlock& block);
    void count_allocated(TtmCaching caching, const TtmBlock& block);

    std::string label_;
    dma::Device* dev_;
    Kernel& kernel_;
    models::Instrumentation& instr_;
    bool use_dma_alloc_;
    bool use_dma32_;
    std::array<std::array<PoolType, max_order + 1>, ttm_num_caching_types> pools_;
    uint64_t& stat_hits_;
    uint64_t& stat_pooled_pages_;
    uint64_t& stat_coherent_allocations_;
    uint64_t& stat_allocator_pages_;
};

}  // namespace sw
