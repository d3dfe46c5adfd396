// DMA through the SMMU with a warm IOTLB against the same DMA without it, measured in one run
// (DESIGN.md, "Performance": target >= 0.8x). A DMA engine's port reads and writes a 256 KiB buffer
// (64 pages, within the IOTLB) in 64-byte bursts, at its physical address and, through an SMMU
// programmed as Linux programs it, at its IOVA; the coherence monitor watches both. The two sides
// alternate, so that a slow phase of the host weighs on both.
#pragma once

#include <cstdint>

struct IommuDmaMeasurement {
    uint64_t bytes = 0;  // moved by each side
    double direct_seconds = 0;
    double iommu_seconds = 0;
    uint64_t direct_checksum = 0;  // of the bytes each side read: equal when the translation is right
    uint64_t iommu_checksum = 0;
    uint64_t timed_walks = 0;  // table walks while timed: 0 when the IOTLB stayed warm
};

// Moves about `bytes` each way (whole passes over the buffer); call once per process, as it
// elaborates its own system.
IommuDmaMeasurement run_iommu_dma(uint64_t bytes);
