// dma_pool (Linux's mm/dmapool.c): small blocks of coherent memory for one device, carved out of
// pages from dma::alloc_coherent. Blocks are `size` bytes (rounded up to the alignment), laid out
// from the start of each page and never crossing a `boundary`; pages are kept until the pool is
// destroyed. Free blocks are tracked in host data (Linux keeps the free list inside the blocks), so
// misuse is caught whether or not pool debugging is on: a free of a block that is already free, or
// of an address the pool did not hand out, is reported and ignored, where Linux without
// DMAPOOL_DEBUG would corrupt its free list. Reports go through Context::warn, never throw.
//
// With Policy::pool_debug (Linux's DMAPOOL_DEBUG) the pool also poisons through the CPU: new
// pages and freed blocks with POOL_POISON_FREED, blocks handed out with POOL_POISON_ALLOCATED; a
// block handed out again whose freed poison was overwritten (a use after free) is reported.
//
// Ownership: dma_pool_create returns a std::unique_ptr; dma_pool_destroy takes it back and frees
// the pages through the CPU. A pool dropped without dma_pool_destroy leaks its pages (the
// destructor never touches simulated memory, which may be gone by then).
//
// Stats: dma_pool.double_free, dma_pool.bad_address (bad vaddr or bad dma), dma_pool.corrupted,
// dma_pool.destroy_busy (pages still holding blocks at destroy); occupancy, which the timeline and
// the waveforms sample: dma_pool.pools.<name>.blocks_in_use (of the pools with that name) and
// dma_pool.blocks_in_use (of every pool). Blocks of a destroyed pool are no longer in use; those of
// a pool dropped without dma_pool_destroy stay counted, as its pages leak.
#pragma once

#include "dma/types.h"

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace dma {

class Device;

// The stat of the blocks in use over every pool, which exists once a pool was created.
inline const char* const dma_pool_blocks_stat = "dma_pool.blocks_in_use";

// Linux's include/linux/poison.h values.
constexpr uint8_t POOL_POISON_FREED = 0xa7;
constexpr uint8_t POOL_POISON_ALLOCATED = 0xa9;

class DmaPool {
public:
    // Use dma_pool_create, which checks and rounds the arguments.
    DmaPool(std::string name, Device& dev, uint64_t size, uint64_t allocation, uint64_t boundary, bool debug);
    DmaPool(const DmaPool&) = delete;
    DmaPool& operator=(const DmaPool&) = delete;

    const std::string& name() const { return name_; }
    Device& device() const { return dev_; }
    uint64_t size() const { return size_; }              // the block size, rounded up to the alignment
    uint64_t allocation() const { return allocation_; }  // bytes per page taken from alloc_coherent
    uint64_t boundary() const { return boundary_; }
    bool debug() const { return debug_; }
    uint64_t blocks_per_page() const { return block_offsets_.size(); }
    uint64_t pages() const { return pages_.size(); }
    uint64_t blocks_in_use() const;

    // dma_pool_alloc / dma_pool_zalloc: a free block, from a new page if every page is full; its
    // CPU address (0 when no page can be had) and its bus address in `handle`.
    uint64_t alloc(Gfp gfp, dma_addr_t& handle, bool zero);
    void free(uint64_t vaddr, dma_addr_t dma);
    // Frees every page, warning for each that still holds blocks.
    void destroy();

private:
    struct Page {
        uint64_t vaddr = 0;
        dma_addr_t dma = 0;
        std::vector<bool> free;           // per block
        std::vector<uint32_t> free_list;  // block indices; the back is handed out next
        uint64_t in_use = 0;
    };

    Page* add_page(Gfp gfp);
    Page* find_page(dma_addr_t dma);
    // The block starting at `offset` of a page, or -1.
    long block_at(uint64_t offset) const;
    void check_freed_poison(uint64_t vaddr);
    void report(const std::string& message, uint64_t& stat);

    std::string name_;
    Device& dev_;
    uint64_t size_;
    uint64_t allocation_;
    uint64_t boundary_;
    bool debug_;
    std::vector<uint64_t> block_offsets_;  // the layout of every page
    std::list<Page> pages_;                // newest first, as Linux's page_list
    uint64_t& stat_double_free_;
    uint64_t& stat_bad_address_;
    uint64_t& stat_corrupted_;
    uint64_t& stat_destroy_busy_;
    uint64_t& stat_blocks_in_use_;      // this pool's name's
    uint64_t& stat_all_blocks_in_use_;  // every pool's
};

// Linux's dma_pool_create: nullptr when `align` is not a power of two (0 means 1), `size` is 0, or
// `boundary` is not a power of two or is smaller than the rounded size (0 means the allocation
// unit, max(size, PAGE_SIZE) rounded up to whole pages).
std::unique_ptr<DmaPool> dma_pool_create(const std::string& name, Device& dev, uint64_t size, uint64_t align,
                                         uint64_t boundary);
// Linux's dma_pool_destroy; a null pool is ignored.
void dma_pool_destroy(std::unique_ptr<DmaPool> pool);
uint64_t dma_pool_alloc(DmaPool& pool, Gfp gfp, dma_addr_t& handle);
uint64_t dma_pool_zalloc(DmaPool& pool, Gfp gfp, dma_addr_t& handle);
void dma_pool_free(DmaPool& pool, uint64_t vaddr, dma_addr_t dma);

}  // namespace dma
