// A per-device coherent pool (Linux's struct dma_coherent_mem, kernel/dma/coherent.c): a region of
// memory outside the page allocator (a `no-map` shared-dma-pool, on-chip RAM) that the device's
// coherent allocations come from. The region is mapped once, write-combined (memremap
// MEMREMAP_WC), and handed out in power-of-two page runs aligned to their size
// (bitmap_find_free_region). A device with a pool never falls back to system memory.
//
// Stats per pool, under dma.coherent_pool.<name>. (the name is the device's for
// declare_coherent_memory): pages, used_pages, allocs, failures.
#pragma once

#include "dma/page_bitmap.h"
#include "dma/types.h"

#include <cstdint>
#include <memory>
#include <string>

namespace dma {

class Context;
class Device;

class CoherentMemory {
public:
    // Linux's dma_init_coherent_memory: maps [phys_addr, phys_addr+size) write-combined. With
    // `use_dev_dma_pfn_offset` (a reserved-memory region) a handle is the using device's
    // phys_to_dma of the page, else device_addr + offset. nullptr for an empty region, or one
    // whose base or size is not page-aligned (Linux: -EINVAL).
    static std::shared_ptr<CoherentMemory> create(Context& context, std::string name, uint64_t phys_addr,
                                                  dma_addr_t device_addr, uint64_t size,
                                                  bool use_dev_dma_pfn_offset = false);
    // A region create() accepts: not empty, page-aligned base and size.
    static bool valid_region(uint64_t phys_addr, uint64_t size) {
        return size != 0 && phys_addr % page_size == 0 && size % page_size == 0;
    }
    CoherentMemory(const CoherentMemory&) = delete;
    CoherentMemory& operator=(const CoherentMemory&) = delete;

    const std::string& name() const { return name_; }
    uint64_t phys_base() const { return phys_base_; }
    uint64_t virt_base() const { return virt_base_; }
    uint64_t size() const { return bitmap_.pages() * page_size; }
    uint64_t free_pages() const { return bitmap_.free_pages(); }
    bool contains(uint64_t cpu_addr) const { return cpu_addr - virt_base_ < size(); }

    // Linux's __dma_alloc_from_coherent: 2^order pages for `size` bytes, zeroed through the CPU;
    // the CPU address, or 0 with a warning (unless NO_WARN) when no aligned run is free or the
    // run has no bus address for `dev` (its dma-ranges do not carry the pages).
    uint64_t alloc(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs);
    // Linux's __dma_release_from_coherent: gives back the 2^order pages of an allocation of `size`
    // bytes at `cpu_addr`; false (nothing done) when `cpu_addr` is not in the region.
    bool release(uint64_t size, uint64_t cpu_addr);
    // Removes the CPU mapping (Linux's memunmap in _dma_release_coherent_memory); explicit, as a
    // destructor may run after the simulated system is gone.
    void unmap();

private:
    static constexpr uint64_t page_size = 4096;
    CoherentMemory(Context& context, std::string name, uint64_t phys_addr, dma_addr_t device_addr, uint64_t size,
                   bool use_dev_dma_pfn_offset);
    void update_stats();
    // The bus address `dev` sees for the region's bytes [offset, offset+size), or DMA_MAPPING_ERROR
    // when its dma-ranges do not carry them all through one window.
    dma_addr_t bus_address(const Device& dev, uint64_t offset, uint64_t size) const;
    uint64_t fail(Device& dev, Attrs attrs, const std::string& message);

    Context& context_;
    std::string name_;
    uint64_t phys_base_;
    dma_addr_t device_base_;
    bool use_dev_dma_pfn_offset_;
    uint64_t virt_base_ = 0;
    PageBitmap bitmap_;
    uint64_t& stat_pages_;
    uint64_t& stat_used_pages_;
    uint64_t& stat_allocs_;
    uint64_t& stat_failures_;
};

// Linux's dma_declare_coherent_memory: gives `dev` a pool over [phys_addr, phys_addr+size), whose
// handles are device_addr + offset. 0, -EINVAL (empty or unaligned region) or -EBUSY (the device
// already has a pool: one per device).
int declare_coherent_memory(Device& dev, uint64_t phys_addr, dma_addr_t device_addr, uint64_t size);
// Linux's dma_assign_coherent_memory, for a pool shared by several devices (a shared-dma-pool
// region named by more than one `memory-region`): 0 or -EBUSY.
int assign_coherent_memory(Device& dev, std::shared_ptr<CoherentMemory> mem);
// Linux's dma_release_coherent_memory: the device no longer has a pool; the region is unmapped
// when no device uses it any more.
void release_coherent_memory(Device& dev);

}  // namespace dma
