// IommuOps: coherent and noncoherent allocations (streaming mappings: iommu_ops.cpp).
#include "dma/context.h"
#include "dma/contiguous.h"
#include "dma/device.h"
#include "dma/iommu_ops.h"
#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"

#include <fmt/format.h>
#include <stdexcept>

namespace dma {

namespace {

constexpr uint64_t page_size = models::Mmu::page_size;
constexpr unsigned page_shift = 12;

uint64_t page_align(uint64_t size) { return (size + page_size - 1) & ~(page_size - 1); }

// Linux's dma_pgprot(dev, PAGE_KERNEL, attrs): how the CPU maps the pages.
models::MemType cpu_mapping_type(const Device& dev, Attrs attrs) {
    if (dev.is_coherent() || (attrs & attr::non_consistent))
        return models::MemType::normal_wb;
    return coherent_mem_type(dev.context().policy(), attrs & attr::write_combine);
}

std::vector<uint64_t> pages_of(uint64_t pa, uint64_t size) {
    std::vector<uint64_t> pages;
    for (uint64_t offset = 0; offset < size; offset += page_size)
        pages.push_back(pa + offset);
    return pages;
}

}  // namespace

uint64_t IommuOps::alloc(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs, Gfp gfp) {
    dma_handle = DMA_MAPPING_ERROR;
    if (size == 0)
        return fail_alloc(dev, size, attrs, "the size is 0");
    if (gfp == Gfp::kernel && !(attrs & attr::force_contiguous))
        return alloc_remap(dev, size, dma_handle, attrs);
    return alloc_contiguous(dev, size, dma_handle, attrs, gfp);
}

// Linux's iommu_dma_alloc_remap: the pages come zeroed from the page allocator (__GFP_ZERO, through
// the linear map), are flushed for a non-coherent device before the IOMMU maps them, and then get
// one contiguous CPU mapping.
uint64_t IommuOps::alloc_remap(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs) {
    Context& context = dev.context();
    IommuDomain& domain = domain_of(dev);
    const IovaDomain& iovad = cookie_of(dev).iovad;
    int ioprot = dma_info_to_prot(DmaDirection::bidirectional, dev.is_coherent(), attrs);
    uint64_t alloc_sizes = domain.pgsize_bitmap();
    uint64_t min_size = alloc_sizes & -alloc_sizes;
    if (min_size < page_size) {
        min_size = page_size;
        alloc_sizes |= page_size;
    } else {
        size = (size + min_size - 1) & ~(min_size - 1);
    }
    if (attrs & attr::alloc_single_pages)
        alloc_sizes = min_size;
    uint64_t count = page_align(size) / page_size;
    Allocation allocation;
    allocation.size = page_align(size);
    allocation.blocks = alloc_page_blocks(dev, count, alloc_sizes >> page_shift);
    if (allocation.blocks.empty())
        return fail_alloc(dev, size, attrs, fmt::format("no memory for {} pages", count));
    std::vector<PhysExtent> runs;  // sg_alloc_table_from_pages: adjacent blocks are one run
    for (const PageBlock& block : allocation.blocks) {
        uint64_t bytes = page_size << block.order;
        context.cpu().fill_block(sw::Kernel::phys_to_virt(block.pa), 0, bytes);
        if (!runs.empty() && runs.back().pa + runs.back().size == block.pa)
            runs.back().size += bytes;
        else
            runs.push_back(PhysExtent{block.pa, bytes});
    }
    size = iovad.iova_align(size);
    dma_addr_t iova = alloc_iova(dev, size, dev.coherent_dma_mask(), context.stat_alloc_failures);
    if (!iova) {
        release(dev, allocation, 0);
        return 0;
    }
    bool uncached = cpu_mapping_type(dev, attrs) != models::MemType::normal_wb && !(attrs & attr::no_kernel_mapping);
    if (!(ioprot & iommu_prot::cache))
        for (const PhysExtent& run : runs)
            allocation.alias_removed |= prepare_pages(dev, run.pa, run.size, uncached);
    if (!map_runs(dev, iova, runs, ioprot, Gfp::kernel, context.stat_alloc_failures)) {
        free_iova(dev, iova, nullptr);
        release(dev, allocation, 0);
        return 0;
    }
    allocation.iova = iova;
    uint64_t cpu_addr;
    if (attrs & attr::no_kernel_mapping) {
        cpu_addr = sw::Kernel::phys_to_virt(allocation.blocks.front().pa);
    } else {
        std::vector<uint64_t> pages;
        for (const PhysExtent& run : runs)
            for (uint64_t page : pages_of(run.pa, run.size))
                pages.push_back(page);
        allocation.remap_va = context.kernel().vmap(pages, cpu_mapping_type(dev, attrs));
        cpu_addr = allocation.remap_va;
    }
    allocations_[cpu_addr] = allocation;
    dma_handle = iova;
    return cpu_addr;
}

std::vector<IommuOps::PageBlock> IommuOps::alloc_page_blocks(Device& dev, uint64_t count, uint64_t order_mask) {
    sw::PageAllocator& pages = dev.context().kernel().page_allocator();
    std::vector<PageBlock> blocks;
    order_mask &= (2ULL << sw::PageAllocator::max_order) - 1;
    if (!order_mask)
        return blocks;
    auto highest_bit = [](uint64_t value) { return static_cast<unsigned>(63 - __builtin_clzll(value)); };
    while (count) {
        std::optional<uint64_t> pa;
        unsigned order = 0;
        // Larger blocks are a convenience: a failing size is not tried again.
        for (order_mask &= (2ULL << highest_bit(count)) - 1; order_mask; order_mask &= ~(1ULL << order)) {
            order = highest_bit(order_mask);
            pa = pages.alloc_pages(order, sw::Zone::normal);
            if (pa)
                break;
        }
        if (!pa) {
            free_page_blocks(dev, blocks);
            return {};
        }
        blocks.push_back(PageBlock{*pa, order});
        count -= 1ULL << order;
    }
    return blocks;
}

void IommuOps::free_page_blocks(Device& dev, const std::vector<PageBlock>& blocks) {
    sw::PageAllocator& pages = dev.context().kernel().page_allocator();
    for (const PageBlock& block : blocks)
        pages.free_pages(block.pa, block.order);
}

// Linux's iommu_dma_alloc without the remap: iommu_dma_alloc_pages (CMA, else the buddy allocator
// from any zone: the IOMMU reaches everything), remapped and flushed on a non-coherent device,
// zeroed through the CPU mapping; a non-coherent device's atomic request from the atomic pool.
uint64_t IommuOps::alloc_contiguous(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs, Gfp gfp) {
    Context& context = dev.context();
    bool coherent = dev.is_coherent();
    Allocation allocation;
    allocation.size = page_align(size);
    uint64_t cpu_addr = 0, pa = 0;
    if (gfp == Gfp::atomic && !coherent) {
        cpu_addr = context.atomic_pool().alloc(dev, allocation.size, pa, attrs,
                                               [](uint64_t, uint64_t) { return true; });
        if (!cpu_addr)
            return 0;
        allocation.from_pool = true;
    } else {
        std::optional<uint64_t> run = dma_alloc_contiguous(dev, allocation.size, gfp);
        if (!run) {
            try {
                run = context.kernel().alloc_contiguous(allocation.size, sw::Zone::normal);
            } catch (const std::runtime_error& error) {
                return fail_alloc(dev, size, attrs, error.what());
            }
        }
        pa = *run;
        allocation.contiguous = PhysExtent{pa, allocation.size};
        cpu_addr = sw::Kernel::phys_to_virt(pa);
        if (!coherent) {
            models::MemType type = cpu_mapping_type(dev, attrs);
            allocation.remap_va = context.kernel().vmap(pages_of(pa, allocation.size), type);
            cpu_addr = allocation.remap_va;
            allocation.alias_removed = prepare_pages(dev, pa, allocation.size, type != models::MemType::normal_wb);
        }
        context.cpu().fill_block(cpu_addr, 0, allocation.size);
    }
    int ioprot = dma_info_to_prot(DmaDirection::bidirectional, coherent, attrs);
    dma_handle = iommu_dma_map(dev, pa, size, ioprot, dev.coherent_dma_mask(), gfp, context.stat_alloc_failures);
    if (dma_handle == DMA_MAPPING_ERROR) {
        release(dev, allocation, cpu_addr);
        return 0;
    }
    allocation.iova = dma_handle;
    allocations_[cpu_addr] = allocation;
    return cpu_addr;
}

bool IommuOps::prepare_pages(Device& dev, uint64_t pa, uint64_t size, bool uncached_cpu_mapping) {
    if (dev.is_coherent())
        return false;
    if (uncached_cpu_mapping)
        return DirectOps::prepare_uncached(dev.context(), pa, size);
    dev.context().cache().flush(pa, size);
    return false;
}

// Linux's iommu_dma_free: the IOMMU mapping goes first, then the CPU's and the pages.
void IommuOps::free(Device& dev, uint64_t size, uint64_t cpu_addr, dma_addr_t dma_handle, Attrs) {
    auto found = allocations_.find(cpu_addr);
    if (found == allocations_.end())
        return warn_unknown_free(dev, cpu_addr, dma_handle, size);
    Allocation allocation = found->second;
    if (page_align(size) != allocation.size || dma_handle != allocation.iova)
        return warn_mismatched_free(dev, cpu_addr, dma_handle, size, allocation.iova, allocation.size);
    iommu_dma_unmap(dev, dma_handle, size);
    allocations_.erase(found);
    release(dev, allocation, cpu_addr);
}

void IommuOps::release(Device& dev, const Allocation& allocation, uint64_t cpu_addr) {
    Context& context = dev.context();
    if (allocation.from_pool) {
        context.atomic_pool().free(dev, cpu_addr, allocation.size);
        return;
    }
    models::Core& cpu = context.cpu();
    if (allocation.remap_va) {
        cpu.dsb();  // drain write-combined stores before the mapping goes
        context.kernel().vunmap(allocation.remap_va);
    }
    if (allocation.alias_removed) {
        for (const PageBlock& block : allocation.blocks)
            cpu.mmu().set_linear_type(block.pa, page_size << block.order, models::MemType::normal_wb);
        if (allocation.contiguous.size)
            cpu.mmu().set_linear_type(allocation.contiguous.pa, allocation.contiguous.size, models::MemType::normal_wb);
    }
    free_page_blocks(dev, allocation.blocks);
    if (allocation.contiguous.size)
        dma_free_contiguous(dev, allocation.contiguous.pa, allocation.contiguous.size);
}

uint64_t IommuOps::fail_alloc(Device& dev, uint64_t size, Attrs attrs, const std::string& why) {
    Context& context = dev.context();
    if (attrs & attr::no_warn)
        ++context.stat_alloc_failures;
    else
        context.warn(dev, fmt::format("allocation of {} bytes failed: {}", size, why), context.stat_alloc_failures);
    return 0;
}

// Linux's dma_common_alloc_pages: cacheable pages the caller syncs, so the map skips the maintenance.
uint64_t IommuOps::alloc_pages(Device& dev, uint64_t size, dma_addr_t& dma_handle, DmaDirection dir) {
    dma_handle = DMA_MAPPING_ERROR;
    if (size == 0)
        return fail_alloc(dev, size, 0, "the size is 0");
    Context& context = dev.context();
    uint64_t alloc_size = page_align(size);
    std::optional<uint64_t> pa = dma_alloc_contiguous(dev, alloc_size, Gfp::kernel);
    if (!pa) {
        try {
            pa = context.kernel().alloc_contiguous(alloc_size, sw::Zone::normal);
        } catch (const std::runtime_error& error) {
            return fail_alloc(dev, size, 0, error.what());
        }
    }
    dma_handle = map_page(dev, *pa, 0, size, dir, attr::skip_cpu_sync);
    if (dma_handle == DMA_MAPPING_ERROR) {
        dma_free_contiguous(dev, *pa, alloc_size);
        return 0;
    }
    context.cpu().fill_block(sw::Kernel::phys_to_virt(*pa), 0, size);
    return *pa;
}

void IommuOps::free_pages(Device& dev, uint64_t size, uint64_t pa, dma_addr_t dma_handle, DmaDirection dir) {
    unmap_page(dev, dma_handle, size, dir, attr::skip_cpu_sync);
    dma_free_contiguous(dev, pa, page_align(size));
}

}  // namespace dma
