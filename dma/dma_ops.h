// The operations a device's DMA goes through (Linux's struct dma_map_ops): direct mapping
// (dma/direct_ops.h) or IOMMU mapping (dma/iommu_ops.h). `dev` is always the resolved dma_dev(). CPU addresses are
// kernel virtual addresses; "pages" are physical addresses. Cache maintenance and bouncing are not separate ops: each
// implementation applies them as the device's flags say.
#pragma once

#include "dma/scatterlist.h"
#include "dma/types.h"

#include <cstdint>
#include <vector>

namespace dma {

class Device;

class DmaOps {
public:
    virtual ~DmaOps() = default;

    // What `describe` and logs call these ops, e.g. "direct".
    virtual const char* name() const = 0;

    // Coherent allocation: returns the CPU address (0 on failure) and sets `dma_handle`. `gfp`
    // says whether the caller may block.
    virtual uint64_t alloc(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs, Gfp gfp) = 0;
    virtual void free(Device& dev, uint64_t size, uint64_t cpu_addr, dma_addr_t dma_handle, Attrs attrs) = 0;
    // Noncoherent pages: returns their physical address (0 on failure); the caller syncs.
    virtual uint64_t alloc_pages(Device& dev, uint64_t size, dma_addr_t& dma_handle, DmaDirection dir) = 0;
    virtual void free_pages(Device& dev, uint64_t size, uint64_t pa, dma_addr_t dma_handle, DmaDirection dir) = 0;

    virtual dma_addr_t map_page(Device& dev, uint64_t page_pa, uint64_t offset, uint64_t size, DmaDirection dir,
                                Attrs attrs) = 0;
    virtual void unmap_page(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir, Attrs attrs) = 0;
    // Maps the first `nents` entries; returns how many DMA segments were produced (0 on failure).
    virtual int map_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) = 0;
    virtual void unmap_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) = 0;

    virtual void sync_single_for_cpu(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) = 0;
    virtual void sync_single_for_device(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) = 0;
    virtual void sync_sg_for_cpu(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) = 0;
    virtual void sync_sg_for_device(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) = 0;

    // Where the device's accesses to [addr, addr + size) of a live mapping land, in bus-address
    // order: one run for a direct mapping, a run per physical piece behind an IOMMU mapping. From the
    // ops' own records, without touching simulated memory: for the mapping listeners.
    virtual std::vector<PhysExtent> phys_extents(Device& dev, dma_addr_t addr, uint64_t size) const = 0;

    virtual bool dma_supported(Device& dev, uint64_t mask) = 0;
    virtual uint64_t get_required_mask(Device& dev) = 0;
    virtual uint64_t max_mapping_size(Device& dev) = 0;
};

// What both ops share where Linux's do the same thing.

// A scatterlist mapped entry by entry with ops.map_page, the mapped ones undone if one fails
// (dma_direct_map_sg, iommu_dma_map_sg_swiotlb): nents, or 0.
int map_sg_by_page(DmaOps& ops, Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs);
void unmap_sg_by_page(DmaOps& ops, Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir,
                      Attrs attrs);

// A free the ops cannot honour is the simulated driver's bug: warned, counted in dma.bad_frees, and
// nothing freed (as a kernel that could not find the pages would leak them), so the run goes on.
// `cpu_addr` matched no allocation:
void warn_unknown_free(Device& dev, uint64_t cpu_addr, dma_addr_t dma_handle, uint64_t size);
// `cpu_addr` matched one made with another handle or size:
void warn_mismatched_free(Device& dev, uint64_t cpu_addr, dma_addr_t dma_handle, uint64_t size,
                          dma_addr_t allocated_handle, uint64_t allocated_size);

}  // namespace dma
