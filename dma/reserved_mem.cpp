#include "dma/reserved_mem.h"

#include "dma/coherent_memory.h"
#include "dma/context.h"
#include "dma/device.h"
#include "sw/kernel/kernel.h"

#include <cerrno>

namespace dma {

int of_reserved_mem_device_init(Device& dev, const std::string& region) {
    sw::Kernel& kernel = dev.context().kernel();
    const sw::ReservedArea* area = nullptr;
    for (const sw::ReservedArea& each : kernel.reserved())
        if (each.name == region && each.base)
            area = &each;
    if (!area)
        return -ENODEV;
    if (area->reusable) {
        dev.set_cma_area(kernel.page_allocator().cma_area(area->name));
        return 0;
    }
    if (!area->no_map || !CoherentMemory::valid_region(*area->base, area->size))
        return -EINVAL;
    if (dev.dma_mem())
        return -EBUSY;
    std::shared_ptr<CoherentMemory>& pool = dev.context().reserved_pool(area->name);
    if (!pool)  // rmem_dma_device_init: dma_init_coherent_memory(rmem->base, rmem->base, rmem->size, true)
        pool = CoherentMemory::create(dev.context(), area->name, *area->base, *area->base, area->size, true);
    return assign_coherent_memory(dev, pool);
}

void of_reserved_mem_device_release(Device& dev) {
    release_coherent_memory(dev);
    dev.set_cma_area(nullptr);
}

}  // namespace dma
