// The part of Linux's drivers/iommu/iommu.c between the DMA layer's iommu_map / iommu_unmap and
// a driver's map_pages / unmap_pages: a range split into runs of the largest page size its
// alignment and length allow (iommu_pgsize), a failed map unrolled.
#pragma once

#include "dma/iommu.h"

#include <cstdint>

namespace sw {

// Linux's iommu_pgsize: the largest page size of `pgsize_bitmap` that fits `size` and the
// alignment of iova and paddr, and in `count` how many of them to map before a larger size
// could take over. `iova | paddr | size` must be aligned to the smallest page size.
uint64_t iommu_pgsize(uint64_t pgsize_bitmap, uint64_t iova, uint64_t paddr, uint64_t size, uint64_t& count);

// A domain whose driver maps and unmaps runs of one page size (Linux's iommu_domain_ops
// map_pages / unmap_pages).
class PagedIommuDomain : public dma::IommuDomain {
public:
    // Linux's iommu_map (__iommu_map): -EINVAL when iova, paddr or size is not aligned to the
    // smallest page size; on an error what was mapped is unmapped again (iommu_unmap).
    int map(uint64_t iova, uint64_t paddr, uint64_t size, int prot, dma::Gfp gfp) override;
    // Linux's iommu_unmap_fast (__iommu_unmap): runs unmapped until `size` bytes are, or a run
    // unmaps nothing (a hole); 0 when iova or size is not aligned to the smallest page size.
    uint64_t unmap(uint64_t iova, uint64_t size, dma::IotlbGather& gather) override;

protected:
    // `pgcount` pages of `pgsize`: 0 or a negative errno, the bytes mapped added to `mapped`.
    virtual int map_pages(uint64_t iova, uint64_t paddr, uint64_t pgsize, uint64_t pgcount, int prot,
                          uint64_t& mapped) = 0;
    // The bytes unmapped (possibly fewer than asked).
    virtual uint64_t unmap_pages(uint64_t iova, uint64_t pgsize, uint64_t pgcount, dma::IotlbGather& gather) = 0;

private:
    uint64_t min_pagesz() const { return pgsize_bitmap() & -pgsize_bitmap(); }
};

}  // namespace sw
