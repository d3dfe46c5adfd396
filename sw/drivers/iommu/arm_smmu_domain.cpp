#include "sw/drivers/iommu/arm_smmu_domain.h"

#include "models/cpu/core.h"
#include "models/iommu/smmu_regs.h"
#include "sw/drivers/iommu/arm_smmu_io.h"

namespace sw {

using namespace smmu;

ArmSmmuDomain::ArmSmmuDomain(ArmSmmuIo& smmu, std::string device, unsigned cbndx, uint16_t asid)
    : smmu_(smmu), device_(std::move(device)), cbndx_(cbndx), asid_(asid) {}

bool ArmSmmuDomain::init_pgtable(Kernel& kernel, IoPgtableCfg& cfg) {
    cfg.tlb = this;
    pgtbl_ = IoPgtableArm::alloc_s1(kernel, cfg);
    if (!pgtbl_)
        return false;
    coherent_walk_ = cfg.coherent_walk;
    pgsize_bitmap_ = cfg.pgsize_bitmap;  // the domain's page sizes as the format has them
    aperture_end_ = (1ULL << cfg.ias) - 1;
    return true;
}

void ArmSmmuDomain::free_pgtable() {
    pgtbl_->free();
    pgtbl_.reset();
}

int ArmSmmuDomain::map_pages(uint64_t iova, uint64_t paddr, uint64_t pgsize, uint64_t pgcount, int prot,
                             uint64_t& mapped) {
    return pgtbl_->map_pages(iova, paddr, pgsize, pgcount, prot, mapped);
}

uint64_t ArmSmmuDomain::unmap_pages(uint64_t iova, uint64_t pgsize, uint64_t pgcount, dma::IotlbGather& gather) {
    return pgtbl_->unmap_pages(iova, pgsize, pgcount, &gather);
}

uint64_t ArmSmmuDomain::iova_to_phys(uint64_t iova) { return pgtbl_->iova_to_phys(iova); }

// A stage-1 domain on an SMMUv2 syncs its own context bank.
void ArmSmmuDomain::iotlb_sync(dma::IotlbGather&) { smmu_.tlb_sync_context(cbndx_); }

void ArmSmmuDomain::flush_iotlb_all() { tlb_flush_all(); }

// The descriptors the CPU cleared visible before the TLBI, which may be a relaxed write (wmb).
void ArmSmmuDomain::tlb_flush_all() {
    smmu_.cpu().dsb();
    smmu_.cb_write(cbndx_, CB_TLBIASID, asid_);
    smmu_.tlb_sync_context(cbndx_);
}

void ArmSmmuDomain::tlb_flush_walk(uint64_t iova, uint64_t size, uint64_t granule) {
    tlb_inv_range(iova, size, granule, CB_TLBIVA);
    smmu_.tlb_sync_context(cbndx_);
}

void ArmSmmuDomain::tlb_add_page(dma::IotlbGather&, uint64_t iova, uint64_t granule) {
    tlb_inv_range(iova, granule, granule, CB_TLBIVAL);
}

// For the AArch64 format: VA[55:12] in the low bits, the ASID in [63:48]. The descriptor stores
// ordered before the TLBI: for a non-coherent walker the cleans' barrier did it already (wmb).
void ArmSmmuDomain::tlb_inv_range(uint64_t iova, uint64_t size, uint64_t granule, unsigned reg) {
    if (coherent_walk_)
        smmu_.cpu().dsb();
    uint64_t value = (iova >> granule_shift) | uint64_t(asid_) << TTBRn_ASID_SHIFT;
    for (uint64_t done = 0; done < size; done += granule, value += granule >> granule_shift)
        smmu_.cb_writeq(cbndx_, reg, value);
}

}  // namespace sw
