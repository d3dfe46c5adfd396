// The choices of the DMA-mapping layer that differ between kernels and architectures, selectable so
// that the difference each one makes can be observed.
#pragma once

#include <cstdint>

namespace dma {

// Cache maintenance at map / sync_for_device of a FROM_DEVICE buffer: ARMv7 in 2011 invalidated
// (discarding CPU data in lines the buffer shares partially), arm64 today cleans.
enum class FromDeviceMapPolicy { invalidate, clean };
// The cacheable linear-map alias of a coherent allocation on a non-coherent device: `kept` (ARM in
// 2011; a prefetch into the alias can corrupt the buffer) or `removed` (the linear-map pages are
// retyped non-cacheable while allocated).
enum class AliasPolicy { kept, removed };

const char* to_string(FromDeviceMapPolicy policy);
const char* to_string(AliasPolicy policy);

// Defaults are today's choices; scenarios select the historical ones to show what they broke.
// The sizes and switches are Linux's boot parameters, with Linux's defaults.
struct Policy {
    FromDeviceMapPolicy from_device_map = FromDeviceMapPolicy::clean;
    AliasPolicy alias = AliasPolicy::removed;
    uint64_t swiotlb_slots = 32768;          // swiotlb=<nslabs>: 2 KiB slots, 64 MiB
    bool swiotlb_force = false;              // swiotlb=force: every streaming mapping bounces
    uint64_t atomic_pool_size = 256 * 1024;  // coherent_pool=<size>
    bool debug = true;                       // dma_debug=off switches dma-debug off
    // dma_pool poisoning and its corruption check (Linux's DMAPOOL_DEBUG, on with slub_debug);
    // each pool takes the value in force when it is created.
    bool pool_debug = false;
    // iommu.strict: an unmap invalidates the IOTLB before it returns (Linux's default on Arm);
    // iommu.strict=0 defers invalidation to a flush queue (lazy mode) for trusted devices.
    bool iommu_strict = true;
};

}  // namespace dma
