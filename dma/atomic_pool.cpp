#include "dma/atomic_pool.h"

#include "dma/context.h"
#include "dma/device.h"
#include "dma/direct_ops.h"
#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"
#include "sw/kernel/page_allocator.h"

#include <algorithm>
#include <fmt/format.h>

namespace dma {

namespace {

uint64_t round_up_pow2(uint64_t n) {
    uint64_t result = 1;
    while (result < n)
        result <<= 1;
    return result;
}

}  // namespace

AtomicPool::AtomicPool(Context& context, models::Instrumentation& instr)
    : context_(context), bitmap_(0), stat_size_(instr.counter("dma.atomic_pool.size")),
      stat_used_(instr.counter("dma.atomic_pool.used")), stat_allocs_(instr.counter("dma.atomic_pool.allocs")),
      stat_failures_(instr.counter("dma.atomic_pool.failures")) {
    sw::PageAllocator& pages = context.kernel().page_allocator();
    uint64_t wanted = context.policy().atomic_pool_size;
    if (wanted == 0) {  // totalram_pages(): the pages the allocator manages
        uint64_t total_pages = 0;
        for (size_t zone = 0; zone < sw::zone_count; ++zone)
            total_pages += pages.managed_pages(static_cast<sw::Zone>(zone));
        wanted = default_atomic_pool_size(total_pages);
    }
    // Linux's atomic_pool_expand: one buddy block, the largest order first, smaller ones if need be,
    // from the lowest zone with memory (dma_atomic_pool_gfp: GFP_DMA where ZONE_DMA exists), so the
    // devices of least reach can use it too.
    sw::Zone zone = pages.managed_pages(sw::Zone::dma) ? sw::Zone::dma : sw::Zone::dma32;
    for (int order = static_cast<int>(std::min(sw::PageAllocator::get_order(wanted), sw::PageAllocator::max_order));
         order >= 0; --order) {
        if (std::optional<uint64_t> pa = pages.alloc_pages(static_cast<unsigned>(order), zone)) {
            phys_base_ = *pa;
            bitmap_ = PageBitmap(uint64_t(1) << order);
            break;
        }
    }
    if (bitmap_.pages() == 0)
        boot_error_ = fmt::format("the atomic pool is empty: no {} block for its {} KiB at boot", sw::to_string(zone),
                                  wanted >> 10);
    update_stats();
}

void AtomicPool::prepare() {
    if (virt_base_)
        return;
    DirectOps::prepare_uncached(context_, phys_base_, size());
    virt_base_ = context_.kernel().ioremap(phys_base_, size(), coherent_mem_type(context_.policy(), false));
}

uint64_t AtomicPool::alloc(Device& dev, uint64_t size, uint64_t& pa, Attrs attrs,
                           const std::function<bool(uint64_t pa, uint64_t size)>& phys_addr_ok) {
    if (bitmap_.pages() == 0)
        return fail(dev, size, attrs, boot_error_);
    prepare();
    uint64_t count = (size + page_size - 1) / page_size;
    std::optional<uint64_t> first;
    if (count != 0 && count <= bitmap_.pages())
        first = bitmap_.allocate(count, round_up_pow2(count));
    if (!first)
        return fail(dev, size, attrs,
                    fmt::format("DMA pool exhausted: the atomic pool at {:#x} ({} bytes, {} free) has no free aligned "
                                "run of {} pages",
                                phys_base_, this->size(), bitmap_.free_pages() * page_size, count));
    pa = phys_base_ + *first * page_size;
    if (!phys_addr_ok(pa, count * page_size)) {
        bitmap_.release(*first, count);
        return fail(dev, size, attrs,
                    fmt::format("the atomic pool's pages at {:#x} are beyond the device's reach (coherent mask "
                                "{:#x}, bus limit {:#x})",
                                pa, dev.coherent_dma_mask(), dev.bus_dma_limit()));
    }
    ++stat_allocs_;
    update_stats();
    uint64_t cpu_addr = virt_base_ + *first * page_size;
    context_.cpu().fill_block(cpu_addr, 0, size);
    return cpu_addr;
}

bool AtomicPool::free(Device& dev, uint64_t cpu_addr, uint64_t size) {
    if (!virt_base_ || cpu_addr - virt_base_ >= this->size())
        return false;
    uint64_t offset = cpu_addr - virt_base_;
    uint64_t count = (size + page_size - 1) / page_size;
    uint64_t released = offset % page_size ? 0 : bitmap_.release(offset / page_size, count);
    if (released != count)  // gen_pool_free's BUG in Linux; here a warning, and the run goes on
        context_.warn(dev,
                      fmt::format("free of CPU address {:#x} ({} bytes) to the atomic pool, which had {} of "
                                  "those {} pages allocated",
                                  cpu_addr, size, released, count),
                      context_.stat_bad_frees);
    update_stats();
    return true;
}

uint64_t AtomicPool::fail(Device& dev, uint64_t size, Attrs attrs, const std::string& why) {
    ++stat_failures_;
    if (attrs & attr::no_warn)
        ++context_.stat_alloc_failures;
    else
        context_.warn(dev, fmt::format("atomic coherent allocation of {} bytes failed: {}", size, why),
                      context_.stat_alloc_failures);
    return 0;
}

void AtomicPool::update_stats() {
    stat_size_ = size();
    stat_used_ = bitmap_.used_pages() * page_size;
}

}  // namespace dma
