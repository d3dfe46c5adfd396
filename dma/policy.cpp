#include "dma/policy.h"

#include "sw/kernel/page_allocator.h"

#include <algorithm>

namespace dma {

const char* to_string(FromDeviceMapPolicy policy) {
    return policy == FromDeviceMapPolicy::invalidate ? "invalidate" : "clean";
}

const char* to_string(AliasPolicy policy) { return policy == AliasPolicy::kept ? "kept" : "removed"; }

const char* to_string(sw::PartialLines partial) {
    return partial == sw::PartialLines::clean_invalidate ? "clean-invalidate" : "invalidate";
}

const char* to_string(CoherentMemType memory) {
    return memory == CoherentMemType::normal_nc ? "normal-nc" : "strongly-ordered";
}

uint64_t default_atomic_pool_size(uint64_t total_ram_pages) {
    constexpr uint64_t sz_128k = 128 * 1024;
    uint64_t pages = total_ram_pages / ((1ULL << 30) / sz_128k);
    pages = std::min<uint64_t>(pages, uint64_t(1) << sw::PageAllocator::max_order);  // MAX_ORDER_NR_PAGES
    return std::max<uint64_t>(pages * sw::PageAllocator::page_size, sz_128k);
}

models::MemType coherent_mem_type(const Policy& policy, bool write_combine) {
    if (write_combine || policy.coherent_memory == CoherentMemType::normal_nc)
        return models::MemType::write_combined;  // Normal non-cacheable: dmasim's type that merges stores
    return models::MemType::normal_nc;           // dmasim's uncached type: single unmerged accesses
}

}  // namespace dma
