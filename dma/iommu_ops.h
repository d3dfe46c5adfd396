// IOMMU-backed DMA ops (Linux's drivers/iommu/dma-iommu.c, iommu_dma_ops): a device attached to an
// IOMMU domain gets bus addresses from the domain's IOVA space (dma/iova.h) and the domain's page
// tables map them to the buffer's pages, through the IOMMU driver (dma::IommuDomain). One instance per
// Context (Context::iommu_ops()), with a cookie per domain (Linux's iommu_dma_cookie: the IOVA
// domain, the flush queue in lazy mode, and a record of what was mapped for the mapping listeners).
//
// As with the direct ops, the CPU side is the device's flags, not the ops: cache maintenance on a
// non-coherent device is the same code (dma/streaming_sync.h), and an untrusted device's buffers that
// do not start and end on an IOMMU page bounce through the context's swiotlb (Linux's
// dev_use_swiotlb), so that the device cannot reach the rest of the page. Bounce buffers for reach
// are never needed: the IOVA is allocated below the device's mask and bus limit.
//
// Unmaps are strict (the IOTLB invalidated before the unmap returns, then the IOVA freed) unless
// Policy::iommu_strict is off and the device is trusted: then the domain's unmaps go through a flush
// queue (dma/iova_flush_queue.h). In lazy mode, page-table pages an unmap freed are handed back with
// IommuDomain::iotlb_sync (an empty range, gather.queued set) after the queue's flush.
//
// Streaming mappings and the configuration are in iommu_ops.cpp, allocations in iommu_alloc.cpp.
#pragma once

#include "dma/dma_ops.h"
#include "dma/iommu.h"
#include "dma/iova.h"
#include "dma/iova_flush_queue.h"

#include <map>
#include <memory>
#include <string>

namespace dma {

class IommuOps : public DmaOps {
public:
    static constexpr const char* ops_name = "iommu";
    const char* name() const override { return ops_name; }

    IommuOps() = default;
    IommuOps(const IommuOps&) = delete;
    IommuOps& operator=(const IommuOps&) = delete;

    // Linux's iommu_dma_alloc: a blocking request without FORCE_CONTIGUOUS gets pages from
    // anywhere (largest domain page size first; single pages with ALLOC_SINGLE_PAGES), zeroed,
    // flushed on a non-coherent device, mapped contiguously in IOVA space and vmapped for the CPU
    // (uncached, write-combined with WRITE_COMBINE, cacheable on a coherent device or with
    // NON_CONSISTENT; no CPU mapping with NO_KERNEL_MAPPING, whose cookie is the first page's linear
    // address, as ARM's arm_iommu ops return their page array). Otherwise contiguous pages (CMA
    // first), remapped for the CPU on a non-coherent device, or a non-coherent device's atomic
    // request from the atomic pool; then mapped.
    uint64_t alloc(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs, Gfp gfp) override;
    void free(Device& dev, uint64_t size, uint64_t cpu_addr, dma_addr_t dma_handle, Attrs attrs) override;
    // Linux's dma_common_alloc_pages: contiguous pages mapped with map_page (SKIP_CPU_SYNC), zeroed.
    uint64_t alloc_pages(Device& dev, uint64_t size, dma_addr_t& dma_handle, DmaDirection dir) override;
    void free_pages(Device& dev, uint64_t size, uint64_t pa, dma_addr_t dma_handle, DmaDirection dir) override;

    dma_addr_t map_page(Device& dev, uint64_t page_pa, uint64_t offset, uint64_t size, DmaDirection dir,
                        Attrs attrs) override;
    void unmap_page(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir, Attrs attrs) override;
    // Linux's iommu_dma_map_sg: one IOVA range for the whole list, each entry laid out from its
    // IOMMU page (padded so that none crosses the segment boundary), then __finalise_sg's merging
    // into DMA segments. An untrusted device maps each entry with map_page instead.
    int map_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) override;
    void unmap_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) override;

    void sync_single_for_cpu(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) override;
    void sync_single_for_device(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) override;
    void sync_sg_for_cpu(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) override;
    void sync_sg_for_device(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) override;

    std::vector<PhysExtent> phys_extents(Device& dev, dma_addr_t addr, uint64_t size) const override;

    // Any mask: the IOVA is allocated below it.
    bool dma_supported(Device& dev, uint64_t mask) override;
    // Linux's dma_get_required_mask for IOMMU ops: 32 bits.
    uint64_t get_required_mask(Device& dev) override;
    // swiotlb's limit for an untrusted device, none otherwise.
    uint64_t max_mapping_size(Device& dev) override;

    // Linux's iommu_dma_init_domain for `dev`, attached to `domain`: the domain's first device
    // creates its cookie (IOVA granule the smallest page size, IOVAs from max(1, aperture start),
    // the device's iova_reserved() reserved, a flush queue in lazy mode); a later one must agree
    // with it. False with `error` set ("specified DMA range outside IOMMU capability", "Incompatible
    // range for DMA domain", a page size the IOVA domain cannot use).
    bool init_domain(Device& dev, IommuDomain& domain, std::string& error);
    // Linux's iommu_put_dma_cookie, for a domain being freed: its IOVA space and queue are dropped.
    void put_dma_cookie(const IommuDomain& domain);

    // The domain's IOVA space and flush queue (null in strict mode, or before init_domain).
    const IovaDomain* iova_domain(const IommuDomain& domain) const;
    const IovaFlushQueue* flush_queue(const IommuDomain& domain) const;

private:
    struct Cookie {
        Cookie(uint64_t granule, uint64_t start_pfn) : iovad(granule, start_pfn) {}
        IovaDomain iovad;
        std::unique_ptr<IovaFlushQueue> fq;
        // What each IommuDomain::map call mapped, by IOVA: how phys_extents knows where a mapping
        // lands without reading the tables through the core.
        std::map<uint64_t, PhysExtent> mapped;
    };
    // A block of 2^order pages from the page allocator (__iommu_dma_alloc_pages).
    struct PageBlock {
        uint64_t pa = 0;
        unsigned order = 0;
    };
    // A live allocation from alloc(), by the CPU address it returned.
    struct Allocation {
        uint64_t size = 0;  // page-aligned
        dma_addr_t iova = 0;
        std::vector<PageBlock> blocks;  // noncontiguous pages; empty for a contiguous run
        PhysExtent contiguous;          // the contiguous run (CMA or buddy)
        bool from_pool = false;         // the atomic pool's
        uint64_t remap_va = 0;          // the vmap, 0 if none
        bool alias_removed = false;
    };

    IommuDomain& domain_of(Device& dev) const;
    Cookie& cookie_of(Device& dev) const;
    // Linux's iommu_dma_alloc_iova: `size` bytes (granule-aligned) below min_not_zero(dma_limit,
    // bus limit) and the aperture's end, a PCI device's first below 4 GiB; 0 when none (warned,
    // counted in `stat`).
    dma_addr_t alloc_iova(Device& dev, uint64_t size, uint64_t dma_limit, uint64_t& stat);
    // Linux's __iommu_dma_map: an IOVA range for [phys, phys + size) rounded out to the granule,
    // mapped with `prot`; the IOVA of `phys`, or DMA_MAPPING_ERROR.
    dma_addr_t iommu_dma_map(Device& dev, uint64_t phys, uint64_t size, int prot, uint64_t dma_mask, Gfp gfp,
                             uint64_t& stat);
    // Linux's __iommu_dma_unmap: the range's entries cleared, then strict (IOTLB synced, IOVA freed)
    // or queued.
    void iommu_dma_unmap(Device& dev, dma_addr_t addr, uint64_t size);
    // Linux's iommu_map_sg: `runs` mapped one after another from `iova`, physically contiguous ones
    // as one call; on failure what was mapped is unmapped (strictly) and false returned.
    bool map_runs(Device& dev, dma_addr_t iova, const std::vector<PhysExtent>& runs, int prot, Gfp gfp, uint64_t& stat);
    uint64_t unmap_range(Device& dev, dma_addr_t iova, uint64_t size, IotlbGather& gather);
    // iommu_dma_free_iova: queued in lazy mode (with the gather's freed tables), else freed now.
    void free_iova(Device& dev, dma_addr_t iova, IotlbGather* gather);
    // The physical address behind a handle being unmapped or synced (iommu_iova_to_phys, through
    // the core); warns and returns invalid_phys_addr for one nothing maps.
    uint64_t handle_to_phys(Device& dev, dma_addr_t addr, const char* operation);

    // __iommu_dma_alloc_noncontiguous + dma_common_pages_remap (iommu_dma_alloc_remap).
    uint64_t alloc_remap(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs);
    // Linux's __iommu_dma_alloc_pages: `count` pages in blocks of the sizes `order_mask` allows
    // (bit n: 2^n pages), the largest that fits first; empty when memory runs out.
    std::vector<PageBlock> alloc_page_blocks(Device& dev, uint64_t count, uint64_t order_mask);
    void free_page_blocks(Device& dev, const std::vector<PageBlock>& blocks);
    // iommu_dma_alloc_pages (a contiguous run, remapped for a non-coherent device) or the atomic
    // pool, then __iommu_dma_map.
    uint64_t alloc_contiguous(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs, Gfp gfp);
    // The CPU's view of pages a device writes: arch_dma_prep_coherent, plus the alias policy when
    // the CPU maps them uncached (DirectOps::prepare_uncached); nothing on a coherent device.
    bool prepare_pages(Device& dev, uint64_t pa, uint64_t size, bool uncached_cpu_mapping);
    // Undoes an allocation's CPU mapping and alias retyping, and frees its pages.
    void release(Device& dev, const Allocation& allocation, uint64_t cpu_addr);
    uint64_t fail_alloc(Device& dev, uint64_t size, Attrs attrs, const std::string& why);

    std::map<const IommuDomain*, std::unique_ptr<Cookie>> cookies_;
    std::map<uint64_t, Allocation> allocations_;
    uint64_t* stat_fq_flushes_ = nullptr;  // dma.iommu.fq_flushes, created with the first flush queue
};

// Linux's dma_info_to_prot: the IOMMU protection (iommu_prot::*) of a mapping for `dir`, cacheable
// (IOMMU_CACHE) for a coherent device, privileged-only with PRIVILEGED.
int dma_info_to_prot(DmaDirection dir, bool coherent, Attrs attrs);

// Linux's of_iommu_configure + iommu_probe_device + iommu_setup_dma_ops, on the core once the
// IOMMU's driver has probed: finds the IOMMU `dev.iommu_fwspec()` names among the context's
// registered ones, attaches the device with its stream IDs, sets up the domain's IOVA space
// (IommuOps::init_domain), and gives the device the domain and the context's IOMMU ops. False with
// `error` naming the device (and the IOMMU node when it never registered) on failure; the device
// then keeps its ops.
bool iommu_configure(Device& dev, std::string& error);

}  // namespace dma
