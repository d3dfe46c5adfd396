// The backing pages of a buffer object (Linux's struct ttm_tt): how many, the CPU caching the BO's
// mappings use, the blocks the pool handed out (largest order first), and the device they are
// DMA-mapped for. Plain data: TtmPool fills and empties it, TtmBufferObject moves it.
#pragma once

#include "dma/types.h"

#include <cstdint>
#include <vector>

namespace dma {
class Device;
}

namespace sw {

class TtmPool;

// Linux's enum ttm_caching, in its order.
enum class TtmCaching { cached, write_combined, uncached };
constexpr unsigned ttm_num_caching_types = 3;
inline const char* to_string(TtmCaching caching) {
    switch (caching) {
    case TtmCaching::cached: return "cached";
    case TtmCaching::write_combined: return "wc";
    case TtmCaching::uncached: return "uc";
    }
    return "?";  // not reached
}

// One allocation of 2^order pages.
struct TtmBlock {
    uint64_t pa = 0;
    unsigned order = 0;
    // The CPU address dma_alloc_attrs returned (a per-device pool's block), 0 for pages from the
    // page allocator (reached through the linear map or the BO's vmap).
    uint64_t vaddr = 0;
    dma::dma_addr_t dma_addr = dma::DMA_MAPPING_ERROR;  // for TtmTt::mapped_for
    bool pool_hit = false;                              // taken from a pool rather than allocated
    uint64_t size() const { return 4096ULL << order; }
};

struct TtmTt {
    uint64_t num_pages = 0;
    TtmCaching caching = TtmCaching::cached;
    std::vector<TtmBlock> blocks;
    TtmPool* pool = nullptr;            // the pool the blocks came from and go back to
    dma::Device* mapped_for = nullptr;  // the device the dma addresses are valid for (null: unmapped)
    uint64_t size() const { return num_pages * 4096; }
};

}  // namespace sw
