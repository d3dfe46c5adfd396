// IommuOps: configuration, streaming mappings and syncs (allocations: iommu_alloc.cpp).
#include "dma/iommu_ops.h"

#include "dma/context.h"
#include "dma/device.h"
#include "dma/kmalloc_bounce.h"
#include "dma/streaming_sync.h"
#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

namespace dma {

namespace {

constexpr uint64_t page_size = models::Mmu::page_size;

// Linux's dev_use_swiotlb: an untrusted device's unaligned buffers bounce, and so do small kmalloc
// buffers of a non-coherent device where kmalloc is not cache-line aligned (dma_kmalloc_needs_bounce).
bool dev_use_swiotlb(const Device& dev, uint64_t size, DmaDirection dir) {
    return dev.untrusted() || dma_kmalloc_needs_bounce(dev, size, dir);
}

// Linux's dev_use_sg_swiotlb: a list bounces, entry by entry, when the device is untrusted or any
// entry's length is one a kmalloc buffer could share a line at.
bool dev_use_sg_swiotlb(const Device& dev, const std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) {
    if (dev.untrusted())
        return true;
    if (!dma_kmalloc_safe(dev, dir))
        for (int i = 0; i < nents; ++i)
            if (!dma_kmalloc_size_aligned(dev, sgl[i].length))
                return true;
    return false;
}

}  // namespace

int dma_info_to_prot(DmaDirection dir, bool coherent, Attrs attrs) {
    int prot = coherent ? iommu_prot::cache : 0;
    if (attrs & attr::privileged)
        prot |= iommu_prot::priv;
    switch (dir) {
    case DmaDirection::bidirectional: return prot | iommu_prot::read | iommu_prot::write;
    case DmaDirection::to_device: return prot | iommu_prot::read;
    case DmaDirection::from_device: return prot | iommu_prot::write;
    case DmaDirection::none: return 0;
    }
    return 0;
}

// --- configuration ---

bool iommu_configure(Device& dev, std::string& error) {
    const std::optional<IommuFwspec>& fwspec = dev.iommu_fwspec();
    if (!fwspec) {
        error = fmt::format("{}: no iommus or iommu-map names an IOMMU for it", dev.name());
        return false;
    }
    Context& context = dev.context();
    Iommu* iommu = context.find_iommu(fwspec->iommu);
    if (!iommu) {
        error = fmt::format("{}: its IOMMU {} has no driver registered (not probed, or probe failed)", dev.name(),
                            fwspec->iommu);
        return false;
    }
    std::string attach_error;
    IommuDomain* domain = iommu->attach_device(dev, fwspec->ids, attach_error);
    if (!domain) {
        error = fmt::format("{}: cannot attach to IOMMU {}: {}", dev.name(), fwspec->iommu, attach_error);
        return false;
    }
    std::string init_error;
    if (!context.iommu_ops().init_domain(dev, *domain, init_error)) {
        error = fmt::format("{}: IOMMU {}: {}", dev.name(), fwspec->iommu, init_error);
        return false;
    }
    dev.set_iommu_domain(domain);
    dev.set_ops(context.iommu_ops());
    return true;
}

bool IommuOps::init_domain(Device& dev, IommuDomain& domain, std::string& error) {
    uint64_t pgsize_bitmap = domain.pgsize_bitmap();
    if (pgsize_bitmap == 0) {
        error = "the domain maps no page size";
        return false;
    }
    unsigned order = __builtin_ctzll(pgsize_bitmap);
    uint64_t granule = 1ULL << order;
    if (granule > page_size) {
        error = fmt::format("its smallest page size {:#x} is larger than a CPU page", granule);
        return false;
    }
    if (!dev.dma_ranges().empty()) {
        uint64_t lowest = ~0ULL, highest = 0;
        for (const DmaRange& range : dev.dma_ranges()) {
            lowest = std::min(lowest, range.dma_start);
            highest = std::max(highest, range.dma_start + range.size - 1);
        }
        if (lowest > domain.aperture_end() || highest < domain.aperture_start()) {
            error = "specified DMA range outside IOMMU capability";
            return false;
        }
    }
    uint64_t base_pfn = std::max<uint64_t>(1, domain.aperture_start() >> order);
    auto found = cookies_.find(&domain);
    if (found != cookies_.end()) {
        const IovaDomain& iovad = found->second->iovad;
        if (iovad.granule() != granule || iovad.start_pfn() != base_pfn) {
            error = "Incompatible range for DMA domain";
            return false;
        }
        return true;
    }
    auto cookie = std::make_unique<Cookie>(granule, base_pfn);
    if (!dev.context().policy().iommu_strict && !dev.untrusted()) {
        if (!stat_fq_flushes_)
            stat_fq_flushes_ = &dev.context().instr().counter("dma.iommu.fq_flushes");
        cookie->fq = std::make_unique<IovaFlushQueue>(domain, cookie->iovad, *stat_fq_flushes_);
    }
    // iova_reserve_iommu_regions: what the platform says the device must not use as IOVAs.
    for (const BusRange& range : dev.iova_reserved())
        cookie->iovad.reserve_iova(cookie->iovad.iova_pfn(range.start), cookie->iovad.iova_pfn(range.end));
    cookies_.emplace(&domain, std::move(cookie));
    return true;
}

void IommuOps::put_dma_cookie(const IommuDomain& domain) { cookies_.erase(&domain); }

const IovaDomain* IommuOps::iova_domain(const IommuDomain& domain) const {
    auto found = cookies_.find(&domain);
    return found == cookies_.end() ? nullptr : &found->second->iovad;
}

const IovaFlushQueue* IommuOps::flush_queue(const IommuDomain& domain) const {
    auto found = cookies_.find(&domain);
    return found == cookies_.end() ? nullptr : found->second->fq.get();
}

IommuDomain& IommuOps::domain_of(Device& dev) const {
    if (!dev.iommu_domain())
        throw std::logic_error(fmt::format("{}: on IOMMU ops without an IOMMU domain", dev.name()));
    return *dev.iommu_domain();
}

IommuOps::Cookie& IommuOps::cookie_of(Device& dev) const {
    auto found = cookies_.find(&domain_of(dev));
    if (found == cookies_.end())
        throw std::logic_error(fmt::format("{}: its IOMMU domain has no DMA cookie (init_domain was not called)",
                                           dev.name()));
    return *found->second;
}

// --- IOVA space and the domain ---

dma_addr_t IommuOps::alloc_iova(Device& dev, uint64_t size, uint64_t dma_limit, uint64_t& stat) {
    IommuDomain& domain = domain_of(dev);
    Cookie& cookie = cookie_of(dev);
    if (cookie.fq)
        cookie.fq->poll(dev.context().cpu().now_ps());
    IovaDomain& iovad = cookie.iovad;
    uint64_t iova_len = size >> iovad.shift();
    dma_limit = std::min(min_not_zero(dma_limit, dev.bus_dma_limit()), domain.aperture_end());
    uint64_t pfn = 0;
    // Linux tries a PCI device's below 4 GiB first: some hardware and firmware still mishandle
    // dual-address cycles.
    if (dma_limit > dma_bit_mask(32) && dev.is_pci())
        pfn = iovad.alloc_iova_fast(iova_len, dma_bit_mask(32) >> iovad.shift());
    if (!pfn)
        pfn = iovad.alloc_iova_fast(iova_len, dma_limit >> iovad.shift());
    if (!pfn)
        dev.context().warn(dev,
                           fmt::format("no IOVA space for {} bytes at or below {:#x} (IOVAs from {:#x})", size,
                                       dma_limit, iovad.start_pfn() << iovad.shift()),
                           stat);
    return pfn << iovad.shift();
}

void IommuOps::free_iova(Device& dev, dma_addr_t iova, IotlbGather* gather) {
    Cookie& cookie = cookie_of(dev);
    uint64_t pfn = cookie.iovad.iova_pfn(iova);
    if (gather && gather->queued)
        cookie.fq->queue(pfn, std::move(gather->freed_tables), dev.context().cpu().now_ps());
    else
        cookie.iovad.free_iova(pfn);
}

bool IommuOps::map_runs(Device& dev, dma_addr_t iova, const std::vector<PhysExtent>& runs, int prot, Gfp gfp,
                        uint64_t& stat) {
    IommuDomain& domain = domain_of(dev);
    Cookie& cookie = cookie_of(dev);
    uint64_t mapped = 0;
    for (size_t i = 0; i < runs.size();) {
        PhysExtent run = runs[i];
        for (++i; i < runs.size() && runs[i].pa == run.pa + run.size; ++i)
            run.size += runs[i].size;
        if (int rc = domain.map(iova + mapped, run.pa, run.size, prot, gfp); rc != 0) {
            dev.context().warn(dev,
                               fmt::format("iommu_map of IOVA {:#x} to PA {:#x} ({} bytes) failed: {}", iova + mapped,
                                           run.pa, run.size, std::strerror(-rc)),
                               stat);
            if (mapped) {
                IotlbGather gather;
                unmap_range(dev, iova, mapped, gather);
                domain.iotlb_sync(gather);
            }
            return false;
        }
        cookie.mapped[iova + mapped] = run;
        mapped += run.size;
    }
    return true;
}

uint64_t IommuOps::unmap_range(Device& dev, dma_addr_t iova, uint64_t size, IotlbGather& gather) {
    Cookie& cookie = cookie_of(dev);
    cookie.mapped.erase(cookie.mapped.lower_bound(iova), cookie.mapped.lower_bound(iova + size));
    return domain_of(dev).unmap(iova, size, gather);
}

dma_addr_t IommuOps::iommu_dma_map(Device& dev, uint64_t phys, uint64_t size, int prot, uint64_t dma_mask, Gfp gfp,
                                   uint64_t& stat) {
    IovaDomain& iovad = cookie_of(dev).iovad;
    uint64_t iova_off = iovad.iova_offset(phys);
    size = iovad.iova_align(size + iova_off);
    dma_addr_t iova = alloc_iova(dev, size, dma_mask, stat);
    if (!iova)
        return DMA_MAPPING_ERROR;
    if (!map_runs(dev, iova, {PhysExtent{phys - iova_off, size}}, prot, gfp, stat)) {
        free_iova(dev, iova, nullptr);
        return DMA_MAPPING_ERROR;
    }
    return iova + iova_off;
}

void IommuOps::iommu_dma_unmap(Device& dev, dma_addr_t addr, uint64_t size) {
    Cookie& cookie = cookie_of(dev);
    uint64_t iova_off = cookie.iovad.iova_offset(addr);
    addr -= iova_off;
    size = cookie.iovad.iova_align(size + iova_off);
    IotlbGather gather;
    gather.queued = cookie.fq != nullptr;
    uint64_t unmapped = unmap_range(dev, addr, size, gather);
    if (unmapped != size)
        dev.context().warn(dev,
                           fmt::format("IOMMU unmap of IOVA {:#x} ({} bytes) unmapped {} bytes", addr, size, unmapped),
                           dev.context().stat_bad_handles);
    if (!gather.queued)
        domain_of(dev).iotlb_sync(gather);
    free_iova(dev, addr, &gather);
}

uint64_t IommuOps::handle_to_phys(Device& dev, dma_addr_t addr, const char* operation) {
    if (is_error_handle(dev, addr, operation))
        return invalid_phys_addr;
    uint64_t pa = domain_of(dev).iova_to_phys(addr);
    if (pa == 0) {
        Context& context = dev.context();
        context.warn(dev, fmt::format("{} of DMA addr {:#x}: no IOMMU mapping translates it", operation, addr),
                     context.stat_bad_handles);
        return invalid_phys_addr;
    }
    return pa;
}

// --- streaming mappings ---

// Linux's iommu_dma_map_page: the bounce buffer (for an untrusted device) is aligned to the IOVA
// granule and its padding zeroed, so the device's IOMMU pages hold nothing else.
dma_addr_t IommuOps::map_page(Device& dev, uint64_t page_pa, uint64_t offset, uint64_t size, DmaDirection dir,
                              Attrs attrs) {
    Context& context = dev.context();
    const IovaDomain& iovad = cookie_of(dev).iovad;
    uint64_t phys = page_pa + offset;
    int prot = dma_info_to_prot(dir, dev.is_coherent(), attrs);
    Swiotlb& swiotlb = context.swiotlb();
    if (dev_use_swiotlb(dev, size, dir) && iovad.iova_offset(phys | size)) {
        if (!swiotlb.is_active()) {
            context.warn(dev, "DMA bounce buffers are inactive, unable to map unaligned transaction.",
                         context.stat_mapping_errors);
            return DMA_MAPPING_ERROR;
        }
        phys = swiotlb.tbl_map_single(dev, phys, size, attrs, iovad.granule() - 1);
        if (phys == invalid_phys_addr)
            return DMA_MAPPING_ERROR;
        uint64_t padding_start = phys - iovad.iova_offset(phys);
        context.cpu().fill_block(sw::Kernel::phys_to_virt(padding_start), 0, phys - padding_start);
        uint64_t end = phys + size;
        context.cpu().fill_block(sw::Kernel::phys_to_virt(end), 0, iovad.iova_align(end) - end);
    }
    if (!(attrs & attr::skip_cpu_sync))
        arch_sync_for_device(dev, phys, size, dir);
    dma_addr_t iova = iommu_dma_map(dev, phys, size, prot, dev.dma_mask(), Gfp::atomic, context.stat_mapping_errors);
    if (iova == DMA_MAPPING_ERROR && swiotlb.is_swiotlb_buffer(phys))
        swiotlb.tbl_unmap_single(dev, phys, size, dir, attrs);
    return iova;
}

void IommuOps::unmap_page(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir, Attrs attrs) {
    uint64_t phys = handle_to_phys(dev, addr, "unmap_page");
    if (phys == invalid_phys_addr)
        return;
    if (!(attrs & attr::skip_cpu_sync))
        arch_sync_for_cpu(dev, phys, size, dir);
    iommu_dma_unmap(dev, addr, size);
    Swiotlb& swiotlb = dev.context().swiotlb();
    if (swiotlb.is_swiotlb_buffer(phys))
        swiotlb.tbl_unmap_single(dev, phys, size, dir, attrs);
}

int IommuOps::map_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) {
    if (dev_use_sg_swiotlb(dev, sgl, nents, dir))
        return map_sg_by_page(*this, dev, sgl, nents, dir, attrs);  // iommu_dma_map_sg_swiotlb
    if (!(attrs & attr::skip_cpu_sync))
        sync_sg_for_device(dev, sgl, nents, dir);
    Context& context = dev.context();
    const IovaDomain& iovad = cookie_of(dev).iovad;
    uint64_t mask = dev.segment_boundary_mask();
    // Each entry from the start of its IOMMU page to the end of its last (Linux keeps the offset in
    // the entry's dma_address meanwhile); an entry that would cross a boundary starts on one, the
    // previous entry's run padded up to it.
    std::vector<uint64_t> iova_offsets(nents);
    std::vector<PhysExtent> runs(nents);
    uint64_t iova_len = 0;
    for (int i = 0; i < nents; ++i) {
        const Scatterlist& sg = sgl[i];
        uint64_t s_iova_off = iovad.iova_offset(sg.offset);
        uint64_t s_length = iovad.iova_align(sg.length + s_iova_off);
        uint64_t pad_len = (mask - iova_len + 1) & mask;
        iova_offsets[i] = s_iova_off;
        runs[i] = PhysExtent{sg.pa + sg.offset - s_iova_off, s_length};
        if (pad_len && pad_len < s_length - 1) {
            runs[i - 1].size += pad_len;
            iova_len += pad_len;
        }
        iova_len += s_length;
    }
    dma_addr_t iova = 0;
    if (iova_len) {
        iova = alloc_iova(dev, iova_len, dev.dma_mask(), context.stat_mapping_errors);
        bool mapped = iova && map_runs(dev, iova, runs, dma_info_to_prot(dir, dev.is_coherent(), attrs), Gfp::atomic,
                                       context.stat_mapping_errors);
        if (!mapped) {
            if (iova)
                free_iova(dev, iova, nullptr);
            for (int i = 0; i < nents; ++i) {  // __invalidate_sg
                sgl[i].dma_address = DMA_MAPPING_ERROR;
                sgl[i].dma_length = 0;
            }
            return 0;
        }
    }
    // __finalise_sg: an entry joins the DMA segment before it when it starts on an IOMMU page, is
    // not at a segment boundary and keeps the segment within max_segment_size; an entry that ends
    // before its IOMMU page does closes its segment.
    uint64_t seg_mask = dev.segment_boundary_mask();
    uint64_t max_len = dev.max_segment_size();
    uint64_t cur_len = 0;
    int cur = 0, count = 0;
    dma_addr_t dma_addr = iova;
    for (int i = 0; i < nents; ++i) {
        uint64_t s_iova_off = iova_offsets[i];
        uint64_t s_length = sgl[i].length;
        uint64_t s_iova_len = runs[i].size;
        sgl[i].dma_address = DMA_MAPPING_ERROR;
        sgl[i].dma_length = 0;
        if (cur_len && !s_iova_off && (dma_addr & seg_mask) && max_len - cur_len >= s_length) {
            cur_len += s_length;
        } else {
            if (i > 0)
                ++cur;
            cur_len = s_length;
            ++count;
            sgl[cur].dma_address = dma_addr + s_iova_off;
        }
        sgl[cur].dma_length = cur_len;
        dma_addr += s_iova_len;
        if (s_length + s_iova_off < s_iova_len)
            cur_len = 0;
    }
    return count;
}

// The list is one IOVA range: from the first segment's address to the end of the last.
void IommuOps::unmap_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) {
    if (dev_use_sg_swiotlb(dev, sgl, nents, dir))
        return unmap_sg_by_page(*this, dev, sgl, nents, dir, attrs);  // iommu_dma_unmap_sg_swiotlb
    if (!(attrs & attr::skip_cpu_sync))
        sync_sg_for_cpu(dev, sgl, nents, dir);
    if (nents == 0 || sgl[0].dma_length == 0)
        return;
    dma_addr_t start = sgl[0].dma_address, end = 0;
    for (int i = 0; i < nents && sgl[i].dma_length; ++i)
        end = sgl[i].dma_address + sgl[i].dma_length;
    iommu_dma_unmap(dev, start, end - start);
}

// --- syncs ---

void IommuOps::sync_single_for_cpu(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) {
    if (dev.is_coherent() && !dev_use_swiotlb(dev, size, dir))
        return;
    uint64_t phys = handle_to_phys(dev, addr, "sync_single_for_cpu");
    if (phys != invalid_phys_addr)
        sync_phys_for_cpu(dev, phys, size, dir);
}

void IommuOps::sync_single_for_device(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) {
    if (dev.is_coherent() && !dev_use_swiotlb(dev, size, dir))
        return;
    uint64_t phys = handle_to_phys(dev, addr, "sync_single_for_device");
    if (phys != invalid_phys_addr)
        sync_phys_for_device(dev, phys, size, dir);
}

// Without bouncing, the entries' own pages are maintained (sg_phys), as Linux does.
void IommuOps::sync_sg_for_cpu(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) {
    bool bounced = dev_use_sg_swiotlb(dev, sgl, nents, dir);
    for (int i = 0; i < nents; ++i) {
        if (bounced)
            sync_single_for_cpu(dev, sgl[i].dma_address, sgl[i].length, dir);
        else
            arch_sync_for_cpu(dev, sgl[i].pa + sgl[i].offset, sgl[i].length, dir);
    }
}

void IommuOps::sync_sg_for_device(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) {
    bool bounced = dev_use_sg_swiotlb(dev, sgl, nents, dir);
    for (int i = 0; i < nents; ++i) {
        if (bounced)
            sync_single_for_device(dev, sgl[i].dma_address, sgl[i].length, dir);
        else
            arch_sync_for_device(dev, sgl[i].pa + sgl[i].offset, sgl[i].length, dir);
    }
}

// --- what the mapping listeners and the mask queries see ---

std::vector<PhysExtent> IommuOps::phys_extents(Device& dev, dma_addr_t addr, uint64_t size) const {
    std::vector<PhysExtent> extents;
    auto found = dev.iommu_domain() ? cookies_.find(dev.iommu_domain()) : cookies_.end();
    if (found != cookies_.end() && addr != DMA_MAPPING_ERROR) {
        const std::map<uint64_t, PhysExtent>& mapped = found->second->mapped;
        auto run = mapped.upper_bound(addr);
        if (run != mapped.begin())
            --run;
        for (; run != mapped.end() && run->first < addr + size; ++run) {
            uint64_t lo = std::max(addr, run->first);
            uint64_t hi = std::min(addr + size, run->first + run->second.size);
            if (lo >= hi)
                continue;
            uint64_t pa = run->second.pa + (lo - run->first);
            if (!extents.empty() && extents.back().pa + extents.back().size == pa)
                extents.back().size += hi - lo;
            else
                extents.push_back(PhysExtent{pa, hi - lo});
        }
    }
    if (extents.empty())
        extents.push_back(PhysExtent{invalid_phys_addr, size});
    return extents;
}

bool IommuOps::dma_supported(Device&, uint64_t) { return true; }

uint64_t IommuOps::get_required_mask(Device&) { return dma_bit_mask(32); }

// Linux's iommu_dma_max_mapping_size: dev_use_swiotlb(dev, 0, 0) - the kmalloc test is false for size 0.
uint64_t IommuOps::max_mapping_size(Device& dev) { return dev.untrusted() ? Swiotlb::max_mapping_size : ~0ULL; }

}  // namespace dma
