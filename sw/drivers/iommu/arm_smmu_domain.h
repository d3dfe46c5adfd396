// A translation context of the Arm SMMU (Linux's struct arm_smmu_domain, stage 1): a context
// bank with its ASID, the io-pgtable-arm tables behind TTBR0, and the TLB maintenance the tables
// and the DMA layer ask for (arm_smmu_s1_tlb_ops): TLBIVAL per unmapped page, TLBIVA over a freed
// table's range, TLBIASID for the whole context, each completed by a context TLB sync.
#pragma once

#include "sw/drivers/iommu/io_pgtable.h"
#include "sw/drivers/iommu/io_pgtable_arm.h"
#include "sw/drivers/iommu/paged_iommu_domain.h"

#include <cstdint>
#include <memory>
#include <string>

namespace sw {

class ArmSmmuIo;
class Kernel;

class ArmSmmuDomain : public PagedIommuDomain, public IommuFlushOps {
public:
    // `device`: the device the domain was made for (as fault messages name it).
    ArmSmmuDomain(ArmSmmuIo& smmu, std::string device, unsigned cbndx, uint16_t asid);

    // The tables (alloc_io_pgtable_ops): `cfg` gets this domain as its flush ops and is filled in
    // (the registers to program); the aperture and page sizes follow it. False when the format
    // does not support `cfg` or memory runs out.
    bool init_pgtable(Kernel& kernel, IoPgtableCfg& cfg);
    // free_io_pgtable_ops: every entry of the context invalidated, the tables freed.
    void free_pgtable();

    const std::string& device() const { return device_; }
    unsigned cbndx() const { return cbndx_; }
    uint16_t asid() const { return asid_; }

    // --- dma::IommuDomain ---
    uint64_t aperture_start() const override { return 0; }
    uint64_t aperture_end() const override { return aperture_end_; }
    uint64_t pgsize_bitmap() const override { return pgsize_bitmap_; }
    void iotlb_sync(dma::IotlbGather& gather) override;  // arm_smmu_iotlb_sync
    void flush_iotlb_all() override;                     // arm_smmu_flush_iotlb_all
    uint64_t iova_to_phys(uint64_t iova) override;       // arm_smmu_iova_to_phys

    // --- IommuFlushOps (arm_smmu_s1_tlb_ops) ---
    void tlb_flush_all() override;                                                 // arm_smmu_tlb_inv_context_s1
    void tlb_flush_walk(uint64_t iova, uint64_t size, uint64_t granule) override;  // arm_smmu_tlb_inv_walk_s1
    void tlb_add_page(dma::IotlbGather& gather, uint64_t iova, uint64_t granule) override;  // ..._add_page_s1

protected:
    int map_pages(uint64_t iova, uint64_t paddr, uint64_t pgsize, uint64_t pgcount, int prot,
                  uint64_t& mapped) override;
    uint64_t unmap_pages(uint64_t iova, uint64_t pgsize, uint64_t pgcount, dma::IotlbGather& gather) override;

private:
    // arm_smmu_tlb_inv_range_s1: one TLBI (register `reg`) per granule of [iova, iova + size).
    void tlb_inv_range(uint64_t iova, uint64_t size, uint64_t granule, unsigned reg);

    ArmSmmuIo& smmu_;
    std::string device_;
    unsigned cbndx_;
    uint16_t asid_;
    bool coherent_walk_ = false;
    uint64_t aperture_end_ = 0;
    uint64_t pgsize_bitmap_ = 0;
    std::unique_ptr<IoPgtableArm> pgtbl_;
};

}  // namespace sw
