#include "platforms/builder/dma_system.h"

#include "dma/reserved_mem.h"
#include "platforms/errors.h"
#include "sw/kernel/kernel.h"

#include <fmt/format.h>

namespace platform {

namespace {

// The DMA layer booted with the platform's parameters. A swiotlb pool the kernel cannot supply is
// a bootargs problem (or a dma-ranges one, when a small inbound window makes ZONE_DMA small).
std::unique_ptr<dma::Context> boot_dma_layer(Platform& platform, sw::Kernel& kernel, models::Instrumentation& instr) {
    try {
        return std::make_unique<dma::Context>(kernel, instr, platform.boot_params().dma);
    } catch (const dma::SwiotlbPoolError& error) {
        std::string zone = error.zone == sw::Zone::dma
                               ? fmt::format("ZONE_DMA, the RAM below {:#x} (set by {})", platform.zone_dma_limit(),
                                             platform.zone_dma_bound())
                               : fmt::format("the {} zone", sw::to_string(error.zone));
        throw ConfigError(fmt::format("{}: node /chosen: property 'bootargs': expected swiotlb=<slots> with a pool "
                                      "that fits in {}, got {} slots ({} KiB): {}",
                                      platform.source_name(), zone, error.nslabs,
                                      error.nslabs * dma::Swiotlb::io_tlb_size >> 10, error.reason));
    }
}

}  // namespace

DmaSystem::DmaSystem(Platform& platform, sw::Kernel& kernel, models::Instrumentation& instr)
    : context_(boot_dma_layer(platform, kernel, instr)) {
    for (const DmaDeviceSpec& spec : platform.dma_devices()) {
        devices_.push_back(std::make_unique<dma::Device>(spec.name, *context_));
        dma::Device& dev = *devices_.back();
        dma::dma_configure(dev, spec.dma.dma_config());
        for (const std::optional<std::string>& region : {spec.cma_area, spec.coherent_pool}) {
            if (!region)
                continue;
            const sw::ReservedArea& area = placed_area(*region, kernel);
            if (area.dynamic && region == spec.coherent_pool)  // the platform checked the ones placed by reg
                platform.check_coherent_pool(spec, area.base, area.size);
            if (int rc = dma::of_reserved_mem_device_init(dev, *region); rc < 0)
                throw ConfigError(fmt::format("{}: node {}: property 'memory-region': region {} refused ({})",
                                              platform.source_name(), spec.node, *region, rc));
        }
    }
    for (const SmmuSpec& spec : platform.iommus()) {
        iommu_devices_.push_back(std::make_unique<dma::Device>(spec.dma.name, *context_));
        dma::dma_configure(*iommu_devices_.back(), spec.dma.dma.dma_config());
    }
    // No pool at boot: the MFD's driver assigns its memory-region at probe.
    for (const MfdSpec& spec : platform.mfds()) {
        mfd_devices_.push_back(std::make_unique<dma::Device>(spec.dma.name, *context_));
        dma::dma_configure(*mfd_devices_.back(), spec.dma.dma.dma_config());
    }
}

DmaSystem::~DmaSystem() = default;

std::vector<dma::Device*> DmaSystem::devices() const {
    std::vector<dma::Device*> list;
    for (const auto& dev : devices_)
        list.push_back(dev.get());
    return list;
}

std::vector<dma::Device*> DmaSystem::iommu_devices() const {
    std::vector<dma::Device*> list;
    for (const auto& dev : iommu_devices_)
        list.push_back(dev.get());
    return list;
}

std::vector<dma::Device*> DmaSystem::mfd_devices() const {
    std::vector<dma::Device*> list;
    for (const auto& dev : mfd_devices_)
        list.push_back(dev.get());
    return list;
}

const sw::ReservedArea& DmaSystem::placed_area(const std::string& region, sw::Kernel& kernel) {
    for (const sw::ReservedArea& area : kernel.reserved())
        if (area.name == region && area.base)
            return area;
    throw ConfigError(fmt::format("reserved-memory region {} was not placed by the kernel", region));
}

}  // namespace platform
