#include "dma/page_bitmap.h"

#include <algorithm>
#include <cstddef>

namespace dma {

std::optional<uint64_t> PageBitmap::allocate(uint64_t count, uint64_t align) {
    if (count == 0 || count > pages())
        return std::nullopt;
    for (uint64_t first = 0; first + count <= pages(); first += align) {
        auto begin = used_.begin() + static_cast<std::ptrdiff_t>(first);
        if (std::find(begin, begin + static_cast<std::ptrdiff_t>(count), true) !=
            begin + static_cast<std::ptrdiff_t>(count))
            continue;
        std::fill(begin, begin + static_cast<std::ptrdiff_t>(count), true);
        used_count_ += count;
        return first;
    }
    return std::nullopt;
}

uint64_t PageBitmap::release(uint64_t first, uint64_t count) {
    uint64_t released = 0;
    for (uint64_t page = first; page < std::min(first + count, pages()); ++page) {
        released += used_[page];
        used_[page] = false;
    }
    used_count_ -= released;
    return released;
}

}  // namespace dma
