#include "dma/coherent_memory.h"

#include "dma/context.h"
#include "dma/device.h"
#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"
#include "sw/kernel/page_allocator.h"

#include <cerrno>
#include <fmt/format.h>

namespace dma {

std::shared_ptr<CoherentMemory> CoherentMemory::create(Context& context, std::string name, uint64_t phys_addr,
                                                       dma_addr_t device_addr, uint64_t size,
                                                       bool use_dev_dma_pfn_offset) {
    if (!valid_region(phys_addr, size))
        return nullptr;
    return std::shared_ptr<CoherentMemory>(new CoherentMemory(context, std::move(name), phys_addr, device_addr, size,
                                                              use_dev_dma_pfn_offset));
}

CoherentMemory::CoherentMemory(Context& context, std::string name, uint64_t phys_addr, dma_addr_t device_addr,
                               uint64_t size, bool use_dev_dma_pfn_offset)
    : context_(context), name_(std::move(name)), phys_base_(phys_addr), device_base_(device_addr),
      use_dev_dma_pfn_offset_(use_dev_dma_pfn_offset), bitmap_(size / page_size),
      stat_pages_(context.instr().counter("dma.coherent_pool." + name_ + ".pages")),
      stat_used_pages_(context.instr().counter("dma.coherent_pool." + name_ + ".used_pages")),
      stat_allocs_(context.instr().counter("dma.coherent_pool." + name_ + ".allocs")),
      stat_failures_(context.instr().counter("dma.coherent_pool." + name_ + ".failures")) {
    virt_base_ = context.kernel().ioremap(phys_addr, size, models::MemType::write_combined);
    update_stats();
}

void CoherentMemory::unmap() {
    if (virt_base_)
        context_.kernel().iounmap(virt_base_, size());
    virt_base_ = 0;
}

dma_addr_t CoherentMemory::bus_address(const Device& dev, uint64_t offset, uint64_t size) const {
    if (!use_dev_dma_pfn_offset_)
        return device_base_ + offset;
    dma_addr_t first = dev.phys_to_dma(phys_base_ + offset);
    dma_addr_t last = dev.phys_to_dma(phys_base_ + offset + size - 1);
    if (first == DMA_MAPPING_ERROR || last != first + (size - 1))
        return DMA_MAPPING_ERROR;
    return first;
}

uint64_t CoherentMemory::fail(Device& dev, Attrs attrs, const std::string& message) {
    ++stat_failures_;
    if (attrs & attr::no_warn)
        ++context_.stat_alloc_failures;
    else
        context_.warn(dev, message, context_.stat_alloc_failures);
    return 0;
}

uint64_t CoherentMemory::alloc(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs) {
    dma_handle = DMA_MAPPING_ERROR;
    unsigned order = sw::PageAllocator::get_order(size);
    uint64_t pages = uint64_t(1) << order;
    std::optional<uint64_t> page;
    if (size != 0 && size <= this->size())
        page = bitmap_.allocate(pages, pages);
    if (!page)
        return fail(dev, attrs,
                    fmt::format("coherent allocation of {} bytes failed: the per-device coherent pool {} at {:#x} ({} "
                                "bytes, {} of {} pages free) has no free aligned run of {} pages, and a device with a "
                                "pool does not fall back to system memory",
                                size, name_, phys_base_, this->size(), bitmap_.free_pages(), bitmap_.pages(), pages));
    uint64_t offset = *page * page_size;
    dma_addr_t handle = bus_address(dev, offset, pages * page_size);
    if (handle == DMA_MAPPING_ERROR) {
        bitmap_.release(*page, pages);
        return fail(dev, attrs,
                    fmt::format("coherent allocation of {} bytes failed: pages [{:#x}, {:#x}) of the per-device "
                                "coherent pool {} have no bus address through the device's dma-ranges",
                                size, phys_base_ + offset, phys_base_ + offset + pages * page_size, name_));
    }
    ++stat_allocs_;
    update_stats();
    dma_handle = handle;
    uint64_t cpu_addr = virt_base_ + offset;
    context_.cpu().fill_block(cpu_addr, 0, size);
    return cpu_addr;
}

bool CoherentMemory::release(uint64_t size, uint64_t cpu_addr) {
    if (!contains(cpu_addr))
        return false;
    bitmap_.release((cpu_addr - virt_base_) / page_size, uint64_t(1) << sw::PageAllocator::get_order(size));
    update_stats();
    return true;
}

void CoherentMemory::update_stats() {
    stat_pages_ = bitmap_.pages();
    stat_used_pages_ = bitmap_.used_pages();
}

int declare_coherent_memory(Device& dev, uint64_t phys_addr, dma_addr_t device_addr, uint64_t size) {
    if (!CoherentMemory::valid_region(phys_addr, size))
        return -EINVAL;
    if (dev.dma_mem())  // checked first, so the pool in place keeps its stats
        return -EBUSY;
    return assign_coherent_memory(dev, CoherentMemory::create(dev.context(), dev.name(), phys_addr, device_addr, size));
}

int assign_coherent_memory(Device& dev, std::shared_ptr<CoherentMemory> mem) {
    if (dev.dma_mem())
        return -EBUSY;
    dev.set_dma_mem(std::move(mem));
    return 0;
}

void release_coherent_memory(Device& dev) {
    if (dev.dma_mem() && dev.dma_mem().use_count() == 1)
        dev.dma_mem()->unmap();
    dev.set_dma_mem(nullptr);
}

}  // namespace dma
