// What an IOMMU driver and its page-table code share (Linux's include/linux/io-pgtable.h): the
// configuration a table format is allocated with, the registers it fills in for the driver to
// program, and the TLB maintenance it asks of the driver (struct iommu_flush_ops).
#pragma once

#include "dma/iommu.h"

#include <cstdint>

namespace dma {
class Device;
}

namespace sw {

// Linux's struct iommu_flush_ops, implemented by the driver's domain.
class IommuFlushOps {
public:
    virtual ~IommuFlushOps() = default;
    // Every TLB entry of the context invalidated and synced (tlb_flush_all).
    virtual void tlb_flush_all() = 0;
    // Walk caches of [iova, iova + size) invalidated, `granule` at a time, and synced: a table
    // is about to be freed (tlb_flush_walk).
    virtual void tlb_flush_walk(uint64_t iova, uint64_t size, uint64_t granule) = 0;
    // The leaf entry of the `granule` at `iova` invalidated; the sync is left to iotlb_sync
    // (tlb_add_page).
    virtual void tlb_add_page(dma::IotlbGather& gather, uint64_t iova, uint64_t granule) = 0;
};

// Linux's struct io_pgtable_cfg for ARM_64_LPAE_S1.
struct IoPgtableCfg {
    uint64_t pgsize_bitmap = 0;  // restricted by the format to the granule's page and block sizes
    unsigned ias = 0;            // input (IOVA) bits
    unsigned oas = 0;            // output (physical) bits
    // Whether the walker snoops the CPU's caches: when it does not, every table and descriptor
    // written is cleaned through the DMA API on iommu_dev.
    bool coherent_walk = false;
    IommuFlushOps* tlb = nullptr;
    dma::Device* iommu_dev = nullptr;  // the IOMMU's own device

    // Filled in by the allocation (arm_lpae_s1_cfg): TTBR0's table address, TCR's fields for
    // TTBR0 (unshifted, as the driver places them: arm_smmu_lpae_tcr / arm_smmu_lpae_tcr2) and
    // the MAIR holding the attribute indices the descriptors use.
    struct ArmLpaeS1Cfg {
        uint64_t ttbr = 0;
        struct Tcr {
            uint32_t sh = 0;
            uint32_t irgn = 0;
            uint32_t orgn = 0;
            uint32_t tg = 0;
            uint32_t tsz = 0;
            uint32_t ips = 0;
        } tcr;
        uint64_t mair = 0;
    } arm_lpae_s1_cfg;
};

}  // namespace sw
