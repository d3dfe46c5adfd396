// One bit per page of a pool, handed out in aligned runs (Linux's lib/bitmap region helpers): the
// bookkeeping shared by the per-device coherent pool and the atomic pool. Host data only.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace dma {

class PageBitmap {
public:
    explicit PageBitmap(uint64_t pages) : used_(pages, false) {}

    uint64_t pages() const { return used_.size(); }
    uint64_t used_pages() const { return used_count_; }
    uint64_t free_pages() const { return pages() - used_count_; }

    // Marks the lowest free run of `count` pages that starts at a multiple of `align` pages (a
    // power of two) used, and returns its first page; nullopt when there is none.
    std::optional<uint64_t> allocate(uint64_t count, uint64_t align);
    // Marks [first, first+count) free (clipped to the pool); returns how many of those pages were
    // in use, so a caller can tell a double free.
    uint64_t release(uint64_t first, uint64_t count);

private:
    std::vector<bool> used_;
    uint64_t used_count_ = 0;
};

}  // namespace dma
