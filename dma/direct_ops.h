// Direct mapping (Linux's dma-direct): bus address = physical address through the device's
// dma-ranges. A streaming mapping the device cannot reach (or every one, when bouncing is forced)
// goes through the context's swiotlb. On a non-coherent device it does the architecture's cache
// maintenance (unless SKIP_CPU_SYNC), on the bounce buffer when there is one, and remaps coherent
// allocations uncached (write-combined with WRITE_COMBINE), dealing with the linear-map alias per
// the context's AliasPolicy.
// Streaming mappings are in direct_ops.cpp, allocations in direct_alloc.cpp.
#pragma once

#include "dma/dma_ops.h"
#include "sw/kernel/page_allocator.h"

#include <map>
#include <string>

namespace dma {

class Context;

class DirectOps : public DmaOps {
public:
    static constexpr const char* ops_name = "direct";
    const char* name() const override { return ops_name; }

    // A non-blocking (Gfp::atomic) allocation that needs an uncached remap comes from the atomic pool.
    uint64_t alloc(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs, Gfp gfp) override;
    void free(Device& dev, uint64_t size, uint64_t cpu_addr, dma_addr_t dma_handle, Attrs attrs) override;
    uint64_t alloc_pages(Device& dev, uint64_t size, dma_addr_t& dma_handle, DmaDirection dir) override;
    void free_pages(Device& dev, uint64_t size, uint64_t pa, dma_addr_t dma_handle, DmaDirection dir) override;

    dma_addr_t map_page(Device& dev, uint64_t page_pa, uint64_t offset, uint64_t size, DmaDirection dir,
                        Attrs attrs) override;
    void unmap_page(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir, Attrs attrs) override;
    int map_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) override;
    void unmap_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) override;

    void sync_single_for_cpu(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) override;
    void sync_single_for_device(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) override;
    void sync_sg_for_cpu(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) override;
    void sync_sg_for_device(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) override;

    // The one run dma_to_phys gives (a bounce slot, when bounced).
    std::vector<PhysExtent> phys_extents(Device& dev, dma_addr_t addr, uint64_t size) const override;

    bool dma_supported(Device& dev, uint64_t mask) override;
    uint64_t get_required_mask(Device& dev) override;
    uint64_t max_mapping_size(Device& dev) override;

    // Pages about to be used through an uncached mapping (ARM's arch_dma_prep_coherent plus the
    // alias policy): flushed from the caches and, under AliasPolicy::removed, their linear-map
    // alias retyped non-cacheable. Returns whether the alias was retyped. Shared with the atomic
    // pool and the IOMMU ops.
    static bool prepare_uncached(Context& context, uint64_t pa, uint64_t size);

private:
    // A live allocation from alloc(), by the CPU address it returned.
    struct Allocation {
        uint64_t pa = 0;
        uint64_t size = 0;      // page-aligned
        uint64_t remap_va = 0;  // the uncached mapping's page-aligned VA, 0 if none
        bool alias_removed = false;
    };

    // Linux's swiotlb_map: a bounce buffer for [pa, pa+size), filled, checked to be within the
    // device's reach and maintained for the device.
    dma_addr_t swiotlb_map(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir, Attrs attrs);
    // The warning of a mapping the device cannot reach (Linux's "DMA addr ... overflow"), with
    // `note` appended; counted in dma.mapping_errors.
    void report_unreachable(Device& dev, uint64_t pa, dma_addr_t addr, uint64_t size, const std::string& note);
    // The physical address behind a handle being unmapped or synced; warns and returns
    // invalid_phys_addr for one that translates to no page.
    uint64_t handle_to_phys(Device& dev, dma_addr_t addr, const char* operation);

    // Linux's __dma_direct_alloc_pages: pages the device reaches with its coherent mask, from its
    // CMA area (alloc_from_cma), else from the zone Linux's dma_direct_optimal_gfp_mask picks,
    // retrying lower zones; 0 on failure, with a warning unless NO_WARN. They go back with
    // dma_free_contiguous (dma/contiguous.h).
    uint64_t allocate_pages(Device& dev, uint64_t size, Attrs attrs, Gfp gfp);
    // dma_alloc_contiguous, checked against the coherent limit as __dma_direct_alloc_pages does.
    uint64_t alloc_from_cma(Device& dev, uint64_t size, Gfp gfp);
    // Linux's dma_direct_alloc_no_mapping (NO_KERNEL_MAPPING).
    uint64_t alloc_no_mapping(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs, Gfp gfp);
    bool coherent_ok(Device& dev, uint64_t pa, uint64_t size);
    void zero_through_cpu(Device& dev, uint64_t pa, uint64_t size);
    uint64_t remap_uncached(Device& dev, uint64_t pa, uint64_t size, Attrs attrs, Allocation& allocation);
    // Linux's dma_direct_alloc_from_pool.
    uint64_t alloc_from_pool(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs);

    std::map<uint64_t, Allocation> allocations_;
};

// Linux's dma_direct_optimal_gfp_mask: the highest zone whose pages lie below the physical address
// that bus address `limit` (a mask, or the bus limit) of `dev` leads to: ZONE_DMA when that is
// within it, else DMA32 when below 4 GiB, else normal.
sw::Zone dma_direct_optimal_zone(Device& dev, uint64_t limit);

}  // namespace dma
