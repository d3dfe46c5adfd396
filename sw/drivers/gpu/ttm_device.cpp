#include "sw/drivers/gpu/ttm_device.h"

#include "dma/context.h"
#include "dma/device.h"
#include "dma/direct_ops.h"

namespace sw {

unsigned TtmDevice::dma_bits(dma::Device& dev) {
    uint64_t mask = dev.dma_dev().dma_mask();
    return mask ? 64 - static_cast<unsigned>(__builtin_clzll(mask)) : 0;
}

bool TtmDevice::drm_need_swiotlb(dma::Device& dev, unsigned bits) {
    return bits < 64 && dev.context().max_ram_pa() > (1ULL << bits);
}

TtmPoolSwitches TtmDevice::linux_switches(dma::Device& dev) {
    unsigned bits = dma_bits(dev);
    return TtmPoolSwitches{drm_need_swiotlb(dev, bits), bits <= 32};
}

TtmDevice::TtmDevice(std::string label, dma::Device& dev, Kernel& kernel, models::Instrumentation& instr,
                     std::optional<TtmPoolSwitches> forced)
    : pool_(std::move(label), &dev, kernel, instr, forced.value_or(linux_switches(dev)).use_dma_alloc,
            forced.value_or(linux_switches(dev)).use_dma32) {}

bool TtmDevice::behind_iommu() const { return dev().dma_dev().iommu_domain() != nullptr; }

bool TtmDevice::reaches(dma::Device& dev, uint64_t pa, uint64_t size) {
    dma::Device& target = dev.dma_dev();
    return !target.iommu_domain() && !target.force_bounce() && dma::dma_capable(target, target.phys_to_dma(pa), size);
}

Zone TtmDevice::reachable_zone() const {
    dma::Device& target = dev().dma_dev();
    return dma::dma_direct_optimal_zone(target, dma::min_not_zero(target.dma_mask(), target.bus_dma_limit()));
}

}  // namespace sw
