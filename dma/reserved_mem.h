// Linux's of_reserved_mem_device_init_by_idx (drivers/of/of_reserved_mem.c) for the shared-dma-pool
// regions dmasim knows, by the name of the /reserved-memory node the device's memory-region names:
//   no-map    the device's coherent pool (kernel/dma/coherent.c rmem_dma_device_init): one
//             CoherentMemory per region, made on first use and kept by the context (Linux's
//             rmem->priv), shared by every device that names the region; its handles are each
//             device's phys_to_dma of the pages (use_dev_dma_pfn_offset).
//   reusable  the device's own CMA area (kernel/dma/contiguous.c rmem_cma_device_init).
// Bus code calls it when it creates a device (platforms/builder/dma_system.cpp); a driver calls it
// at probe for a node of its own (an MFD's cells, on the parent's node).
#pragma once

#include <string>

namespace dma {

class Device;

// 0; -ENODEV when the kernel has no placed region `region`; -EINVAL for a region that is neither
// no-map nor reusable, or whose base or size is not whole pages; -EBUSY when the device already
// has a coherent pool.
int of_reserved_mem_device_init(Device& dev, const std::string& region);

// Linux's of_reserved_mem_device_release: the device no longer uses its region's pool or CMA
// area. The pool itself stays, as Linux's rmem->priv does, for the next device that names it.
void of_reserved_mem_device_release(Device& dev);

}  // namespace dma
