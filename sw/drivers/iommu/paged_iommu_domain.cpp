#include "sw/drivers/iommu/paged_iommu_domain.h"

#include <cerrno>

namespace sw {

namespace {

unsigned fls(uint64_t x) { return 63 - __builtin_clzll(x); }                   // Linux's __fls: the highest set bit
unsigned ffs(uint64_t x) { return __builtin_ctzll(x); }                        // Linux's __ffs: the lowest set bit
uint64_t genmask(unsigned hi) { return hi >= 63 ? ~0ULL : (2ULL << hi) - 1; }  // GENMASK(hi, 0)

}  // namespace

uint64_t iommu_pgsize(uint64_t pgsize_bitmap, uint64_t iova, uint64_t paddr, uint64_t size, uint64_t& count) {
    uint64_t addr_merge = paddr | iova;
    // The page sizes small enough for `size`, and no larger than the addresses' alignment.
    uint64_t pgsizes = pgsize_bitmap & genmask(fls(size));
    if (addr_merge)
        pgsizes &= genmask(ffs(addr_merge));
    unsigned pgsize_idx = fls(pgsizes);
    uint64_t pgsize = 1ULL << pgsize_idx;

    // A larger page size later only if iova and paddr are offset alike within it: then stop
    // the run of small pages at its boundary when the rest holds at least one large page.
    uint64_t larger = pgsize_bitmap & ~genmask(pgsize_idx);
    if (larger) {
        uint64_t pgsize_next = 1ULL << ffs(larger);
        if (!((iova ^ paddr) & (pgsize_next - 1))) {
            uint64_t offset = pgsize_next - (addr_merge & (pgsize_next - 1));
            if (offset + pgsize_next <= size)
                size = offset;
        }
    }
    count = size >> pgsize_idx;
    return pgsize;
}

int PagedIommuDomain::map(uint64_t iova, uint64_t paddr, uint64_t size, int prot, dma::Gfp) {
    if ((iova | paddr | size) & (min_pagesz() - 1))
        return -EINVAL;  // "unaligned: iova ... pa ... size ... min_pagesz ..."
    uint64_t orig_iova = iova, orig_size = size;
    int ret = 0;
    while (size) {
        uint64_t count, mapped = 0;
        uint64_t pgsize = iommu_pgsize(pgsize_bitmap(), iova, paddr, size, count);
        ret = map_pages(iova, paddr, pgsize, count, prot, mapped);
        size -= mapped;  // some pages may be mapped even when an error occurred
        if (ret)
            break;
        iova += mapped;
        paddr += mapped;
    }
    if (ret) {
        dma::IotlbGather gather;
        unmap(orig_iova, orig_size - size, gather);
        iotlb_sync(gather);
    }
    return ret;
}

uint64_t PagedIommuDomain::unmap(uint64_t iova, uint64_t size, dma::IotlbGather& gather) {
    if ((iova | size) & (min_pagesz() - 1))
        return 0;  // "unaligned: iova ... size ... min_pagesz ..."
    uint64_t unmapped = 0;
    while (unmapped < size) {
        uint64_t count;
        uint64_t pgsize = iommu_pgsize(pgsize_bitmap(), iova, iova, size - unmapped, count);
        uint64_t unmapped_page = unmap_pages(iova, pgsize, count, gather);
        if (!unmapped_page)
            break;
        iova += unmapped_page;
        unmapped += unmapped_page;
    }
    return unmapped;
}

}  // namespace sw
