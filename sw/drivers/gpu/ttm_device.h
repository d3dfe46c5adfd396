// A device that owns buffer objects (the part of Linux's struct ttm_device this needs): its DMA
// device and its page pool, whose two switches are chosen as Linux's drivers choose them, or forced.
// nouveau_ttm_init passes ttm_device_init use_dma_alloc = drm_need_swiotlb(dmabits) and
// use_dma32 = dmabits <= 32 (amdgpu: drm_need_swiotlb(dma_addr_bits) and dma_addressing_limited);
// drm_need_swiotlb (drm_cache.c) is true when the highest iomem address lies beyond the device's
// address bits, i.e. when it cannot reach all memory without bouncing (and always in a Xen PV guest).
#pragma once

#include "sw/drivers/gpu/ttm_pool.h"

#include <cstdint>
#include <optional>
#include <string>

namespace sw {

struct TtmPoolSwitches {
    bool use_dma_alloc = false;
    bool use_dma32 = false;
};

class TtmDevice {
public:
    // Linux's choice for `dev`, from the address bits of its DMA mask (nouveau_ttm_init).
    static TtmPoolSwitches linux_switches(dma::Device& dev);
    // Linux's drm_need_swiotlb(dma_bits): the highest iomem address (here: the last byte of RAM,
    // Context::max_ram_pa) is above 2^dma_bits.
    static bool drm_need_swiotlb(dma::Device& dev, unsigned dma_bits);
    // The address bits of the device's DMA mask.
    static unsigned dma_bits(dma::Device& dev);

    // `label` names the device in stats (ttm.<label>.*); `forced` replaces Linux's choice.
    TtmDevice(std::string label, dma::Device& dev, Kernel& kernel, models::Instrumentation& instr,
              std::optional<TtmPoolSwitches> forced = std::nullopt);

    const std::string& label() const { return pool_.label(); }
    dma::Device& dev() const { return *pool_.device(); }
    TtmPool& pool() { return pool_; }
    // Behind an IOMMU: any page can be mapped at an IOVA the device reaches.
    bool behind_iommu() const;
    // Whether the device reaches [pa, pa + size) directly, without an IOMMU or a bounce buffer
    // (dma_capable of phys_to_dma: its mask, bus limit and dma-ranges).
    bool reaches(uint64_t pa, uint64_t size) const { return reaches(dev(), pa, size); }
    static bool reaches(dma::Device& dev, uint64_t pa, uint64_t size);
    // The highest zone whose pages the device reaches (dma_direct_optimal_gfp_mask's choice):
    // what a copy allocates when the pool's own zone would not do.
    Zone reachable_zone() const;

private:
    TtmPool pool_;
};

}  // namespace sw
