#include "platforms/dma_system.h"

#include "dma/coherent_memory.h"
#include "platforms/errors.h"
#include "sw/kernel.h"

#include <fmt/format.h>
#include <map>

namespace platform {

DmaSystem::DmaSystem(Platform& platform, sw::Kernel& kernel, models::Instrumentation& instr)
    : context_(std::make_unique<dma::Context>(kernel, instr, platform.boot_params().dma)) {
    // A shared-dma-pool named by several devices is one pool they share (Linux's rmem_dma_device_init).
    std::map<std::string, std::shared_ptr<dma::CoherentMemory>> pools;
    for (const DmaDeviceSpec& spec : platform.dma_devices()) {
        devices_.push_back(std::make_unique<dma::Device>(spec.name, *context_));
        dma::Device& dev = *devices_.back();
        dma::dma_configure(dev, spec.dma.dma_config());
        if (spec.cma_area)  // Linux's rmem_cma_device_init
            dev.set_cma_area(kernel.page_allocator().cma_area(*spec.cma_area));
        if (!spec.coherent_pool)
            continue;
        std::shared_ptr<dma::CoherentMemory>& pool = pools[*spec.coherent_pool];
        if (!pool)
            pool = create_pool(*spec.coherent_pool, kernel);
        if (!pool)
            throw ConfigError(fmt::format("{}: memory-region {}: a shared-dma-pool needs a page-aligned base and size",
                                          spec.node, *spec.coherent_pool));
        dma::assign_coherent_memory(dev, pool);
    }
}

DmaSystem::~DmaSystem() = default;

std::vector<dma::Device*> DmaSystem::devices() const {
    std::vector<dma::Device*> list;
    for (const auto& dev : devices_)
        list.push_back(dev.get());
    return list;
}

// Linux's rmem_dma_setup + dma_init_coherent_memory for a no-map shared-dma-pool, at the base the
// kernel placed it.
std::shared_ptr<dma::CoherentMemory> DmaSystem::create_pool(const std::string& region, sw::Kernel& kernel) {
    for (const sw::ReservedArea& area : kernel.reserved())
        if (area.name == region && area.base)
            return dma::CoherentMemory::create(*context_, region, *area.base, *area.base, area.size, true);
    throw ConfigError(fmt::format("reserved-memory region {} was not placed by the kernel", region));
}

}  // namespace platform
