#include "dma/device.h"

#include "dma/context.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace dma {

const char* to_string(DmaDirection dir) {
    switch (dir) {
    case DmaDirection::bidirectional: return "bidirectional";
    case DmaDirection::to_device: return "to_device";
    case DmaDirection::from_device: return "from_device";
    case DmaDirection::none: return "none";
    }
    return "?";
}

Device::Device(std::string name, Context& context)
    : name_(std::move(name)), context_(context), ops_(&context.direct_ops()) {}

Device::Device(std::string name, Device& parent)
    : name_(std::move(name)), parent_(&parent), context_(parent.context()), ops_(&parent.ops()) {}

void Device::share_dma_mask(Device& owner) {
    dma_mask_ = owner.dma_mask_;
    dma_parms_ = owner.dma_parms_;
    coherent_dma_mask_ = owner.coherent_dma_mask_;
}

void Device::add_dma_range(const DmaRange& range) {
    auto describe = [&] {
        return fmt::format("{}: dma-range cpu {:#x} -> bus {:#x}, size {:#x}", name_, range.cpu_start, range.dma_start,
                           range.size);
    };
    if (range.size == 0)
        throw std::invalid_argument(describe() + " is empty");
    if (range.cpu_start + range.size - 1 < range.cpu_start || range.dma_start + range.size - 1 < range.dma_start)
        throw std::invalid_argument(describe() + " wraps around the address space");
    for (const DmaRange& other : ranges_) {
        bool cpu_overlap = range.cpu_start < other.cpu_start + other.size &&
                           other.cpu_start < range.cpu_start + range.size;
        if (cpu_overlap)
            throw std::invalid_argument(fmt::format("{} overlaps the range at cpu {:#x}, size {:#x}", describe(),
                                                    other.cpu_start, other.size));
    }
    ranges_.push_back(range);
}

dma_addr_t Device::phys_to_dma(uint64_t pa) const {
    if (ranges_.empty())
        return pa;
    for (const DmaRange& range : ranges_)
        if (pa - range.cpu_start < range.size)
            return pa - range.cpu_start + range.dma_start;
    return DMA_MAPPING_ERROR;
}

uint64_t Device::dma_to_phys(dma_addr_t addr) const {
    if (ranges_.empty())
        return addr;
    for (const DmaRange& range : ranges_)
        if (addr - range.dma_start < range.size)
            return addr - range.dma_start + range.cpu_start;
    return invalid_phys_addr;
}

void dma_configure(Device& dev, const DmaConfig& config) {
    for (const DmaRange& range : config.ranges)
        dev.add_dma_range(range);
    dev.store_dma_mask(dev.dma_mask() & config.mask);
    dev.store_coherent_dma_mask(dev.coherent_dma_mask() & config.mask);
    dev.set_bus_dma_limit(config.bus_dma_limit);
    dev.set_coherent(config.coherent);
    dev.set_untrusted(config.untrusted);
    dev.set_iommu_fwspec(config.iommu);
    dev.set_iova_reserved(config.iova_reserved);
    dev.set_pci(config.pci);
}

uint64_t min_not_zero(uint64_t a, uint64_t b) {
    if (a == 0)
        return b;
    if (b == 0)
        return a;
    return std::min(a, b);
}

bool dma_capable(Device& dev, dma_addr_t addr, uint64_t size) {
    Device& target = dev.dma_dev();
    if (addr == DMA_MAPPING_ERROR || size == 0)
        return false;
    dma_addr_t end = addr + size - 1;
    if (end < addr)
        return false;
    return end <= min_not_zero(target.dma_mask(), target.bus_dma_limit());
}

}  // namespace dma
