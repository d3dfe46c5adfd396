// The CPU side of a streaming buffer's ownership transfers, shared by every ops (direct and IOMMU)
// and selected by the device's flags alone: the architecture's cache maintenance on a non-coherent
// device only (Linux's `if (!dev_is_dma_coherent(dev)) arch_sync_dma_for_device(...)`, done by
// CacheMaintenance with the context's FROM_DEVICE policy), and the swiotlb copy only for a bounce
// buffer. Buffers are physical addresses in the linear map.
#pragma once

#include "dma/types.h"

#include <cstdint>

namespace dma {

class Device;

// arch_sync_dma_for_device / arch_sync_dma_for_cpu, on a non-coherent device.
void arch_sync_for_device(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir);
void arch_sync_for_cpu(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir);

// dma_direct_sync_single_for_cpu / iommu_dma_sync_single_for_cpu once the physical address is
// known: the maintenance, then for a bounce buffer the copy back to the original.
void sync_phys_for_cpu(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir);
// ..._for_device: for a bounce buffer the copy from the original first, then the maintenance.
void sync_phys_for_device(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir);

// Whether a handle given to an unmap or sync is DMA_MAPPING_ERROR (a failed mapping the driver did
// not check): then warned and counted in dma.bad_handles.
bool is_error_handle(Device& dev, dma_addr_t addr, const char* operation);

}  // namespace dma
