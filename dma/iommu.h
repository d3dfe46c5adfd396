// What the DMA-mapping layer needs of an IOMMU (the part of Linux's struct iommu_ops and
// iommu_domain_ops that drivers/iommu/dma-iommu.c calls), implemented by an IOMMU driver in
// sw/drivers/iommu/ (arm_smmu.h). dma/ holds only the interface, so layers point one way.
#pragma once

#include "dma/types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dma {

class Device;

// Linux's IOMMU_* protection flags (include/linux/iommu.h), with Linux's values.
namespace iommu_prot {
constexpr int read = 1 << 0;
constexpr int write = 1 << 1;
constexpr int cache = 1 << 2;  // the device's accesses are cache-coherent (IOMMU_CACHE)
constexpr int noexec = 1 << 3;
constexpr int mmio = 1 << 4;
constexpr int priv = 1 << 5;
}  // namespace iommu_prot

// Linux's struct iommu_iotlb_gather: what an unmap left to invalidate, for iotlb_sync. `queued`
// (lazy mode, a flush queue) means no per-page invalidation: the queue flushes the whole domain later.
struct IotlbGather {
    uint64_t start = ~0ULL;
    uint64_t end = 0;
    uint64_t pgsize = 0;
    bool queued = false;
    // Page-table pages the unmap freed, returned to the allocator after the sync (freelist).
    std::vector<uint64_t> freed_tables;
};

// A translation context (Linux's struct iommu_domain, type IOMMU_DOMAIN_DMA): its page tables and
// the operations on them.
class IommuDomain {
public:
    virtual ~IommuDomain() = default;

    // The IOVA range the domain translates (Linux's domain->geometry, force_aperture).
    virtual uint64_t aperture_start() const = 0;
    virtual uint64_t aperture_end() const = 0;
    // The page and block sizes the tables can map (domain->pgsize_bitmap: 4K | 2M | 1G).
    virtual uint64_t pgsize_bitmap() const = 0;

    // Linux's iommu_map: maps [iova, iova + size) to [paddr, ...) with `prot` (iommu_prot::*),
    // the largest page sizes first; 0 or a negative errno (-ENOMEM, -EEXIST for a live entry).
    // Runs on the core: the tables are written through it.
    virtual int map(uint64_t iova, uint64_t paddr, uint64_t size, int prot, Gfp gfp) = 0;
    // Linux's iommu_unmap_fast: clears the entries, adds what must be invalidated to `gather`
    // (per page, unless gather.queued); the bytes unmapped.
    virtual uint64_t unmap(uint64_t iova, uint64_t size, IotlbGather& gather) = 0;
    // Linux's iommu_iotlb_sync: the gathered invalidations issued and waited for.
    virtual void iotlb_sync(IotlbGather& gather) = 0;
    // Linux's iommu_flush_iotlb_all: every entry of the domain invalidated (TLBIASID) and synced.
    virtual void flush_iotlb_all() = 0;
    // Linux's iommu_iova_to_phys, read from the tables through the core; 0 when unmapped.
    virtual uint64_t iova_to_phys(uint64_t iova) = 0;
};

// An IOMMU instance as the DMA layer finds it (Linux's struct iommu_device, registered by the
// driver's probe with iommu_device_register): named by its device-tree node.
class Iommu {
public:
    virtual ~Iommu() = default;
    // The IOMMU's node path, as `iommus` / `iommu-map` phandles resolve.
    virtual const std::string& node() const = 0;
    // Linux's iommu_probe_device + the default DMA domain attach for `dev` with its stream IDs
    // (fwspec->ids): the domain, or nullptr with `error` set (out of context banks or stream
    // match groups, an ID the hardware cannot match).
    virtual IommuDomain* attach_device(Device& dev, const std::vector<uint32_t>& stream_ids, std::string& error) = 0;
};

// What the firmware says about a device's IOMMU (Linux's struct iommu_fwspec from of_iommu_configure).
struct IommuFwspec {
    std::string iommu;          // the IOMMU's node path
    std::vector<uint32_t> ids;  // stream IDs (an SMR mask in the upper 16 bits with #iommu-cells = 2)
};

}  // namespace dma
