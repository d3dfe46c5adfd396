// The DMA-mapping API drivers call, with Linux's names and meanings (Documentation/core-api/
// dma-api.rst). Every function acts on dev.dma_dev() (the device DMA is delegated to) through its
// ops. CPU addresses are kernel virtual addresses; a "page" is a physical address.
#pragma once

#include "dma/device.h"
#include "dma/scatterlist.h"
#include "dma/types.h"

#include <vector>

namespace dma {

// --- streaming mappings ---
// A kernel VA in the linear map (kmalloc, pages); vmalloc/ioremap addresses are refused.
dma_addr_t map_single(Device& dev, uint64_t va, uint64_t size, DmaDirection dir, Attrs attrs = 0);
void unmap_single(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir, Attrs attrs = 0);
dma_addr_t map_page(Device& dev, uint64_t page_pa, uint64_t offset, uint64_t size, DmaDirection dir, Attrs attrs = 0);
void unmap_page(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir, Attrs attrs = 0);
// Maps the first `nents` entries; returns the number of DMA segments (0 on failure). Unmap and
// sync take the original `nents`, not the returned count.
int map_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs = 0);
void unmap_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs = 0);
bool mapping_error(Device& dev, dma_addr_t addr);

// --- ownership transfers ---
void sync_single_for_cpu(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir);
void sync_single_for_device(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir);
void sync_single_range_for_cpu(Device& dev, dma_addr_t addr, uint64_t offset, uint64_t size, DmaDirection dir);
void sync_single_range_for_device(Device& dev, dma_addr_t addr, uint64_t offset, uint64_t size, DmaDirection dir);
void sync_sg_for_cpu(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir);
void sync_sg_for_device(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir);

// --- allocations ---
// Coherent memory: its CPU address (0 on failure) and, in `dma_handle`, its bus address.
// A device with a per-device coherent pool allocates only from it, whatever the attributes.
// Otherwise NON_CONSISTENT gives a noncoherent (cacheable) allocation, as alloc_noncoherent, and a
// Gfp::atomic caller on a non-coherent device gets memory from the atomic pool
// (dma/coherent_memory.h, dma/atomic_pool.h).
uint64_t alloc_attrs(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs, Gfp gfp = Gfp::kernel);
void free_attrs(Device& dev, uint64_t size, uint64_t cpu_addr, dma_addr_t dma_handle, Attrs attrs);
uint64_t alloc_coherent(Device& dev, uint64_t size, dma_addr_t& dma_handle, Gfp gfp = Gfp::kernel);
void free_coherent(Device& dev, uint64_t size, uint64_t cpu_addr, dma_addr_t dma_handle);
// Cacheable pages the caller owns with explicit syncs: a kernel VA (alloc_noncoherent) or the
// pages' physical address (alloc_pages).
uint64_t alloc_noncoherent(Device& dev, uint64_t size, dma_addr_t& dma_handle, DmaDirection dir);
void free_noncoherent(Device& dev, uint64_t size, uint64_t cpu_addr, dma_addr_t dma_handle, DmaDirection dir);
uint64_t alloc_pages(Device& dev, uint64_t size, dma_addr_t& dma_handle, DmaDirection dir);
void free_pages(Device& dev, uint64_t size, uint64_t pa, dma_addr_t dma_handle, DmaDirection dir);

// --- masks ---
bool dma_supported(Device& dev, uint64_t mask);
// 0, or -EIO when the ops cannot support the mask (which is then left unchanged).
int set_mask(Device& dev, uint64_t mask);
int set_coherent_mask(Device& dev, uint64_t mask);
int set_mask_and_coherent(Device& dev, uint64_t mask);
uint64_t get_required_mask(Device& dev);
uint64_t max_mapping_size(Device& dev);

}  // namespace dma
