#include "sw/drivers/iommu/io_pgtable_arm.h"

#include "dma/context.h"
#include "dma/mapping.h"
#include "models/iommu/smmu_regs.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <cerrno>
#include <optional>

namespace sw {

using namespace smmu;

namespace {

constexpr unsigned max_addr_bits = 48;  // 4 KiB granule: no 52-bit output addresses
constexpr uint64_t pgsizes_4k = (1ULL << 12) | (1ULL << 21) | (1ULL << 30);
constexpr unsigned pte_size = 8;

// ARM_LPAE_TCR_PS_*: the IPS / PASIZE encoding of an output size; -1 for none.
int tcr_ps(unsigned oas) {
    switch (oas) {
    case 32: return 0;
    case 36: return 1;
    case 40: return 2;
    case 42: return 3;
    case 44: return 4;
    case 48: return 5;
    default: return -1;
    }
}

uint64_t mair_attr(uint64_t attr, unsigned index) { return attr << (index * 8); }  // ARM_LPAE_MAIR_ATTR_SHIFT

// paddr_to_iopte / iopte_to_paddr for a 4 KiB granule: the address bits in place.
uint64_t iopte_to_paddr(uint64_t pte) { return pte & PTE_ADDR_MASK; }

}  // namespace

IoPgtableArm::IoPgtableArm(Kernel& kernel, const IoPgtableCfg& cfg) : kernel_(kernel), cfg_(cfg) {}

std::unique_ptr<IoPgtableArm> IoPgtableArm::alloc_s1(Kernel& kernel, IoPgtableCfg& cfg) {
    // arm_lpae_restrict_pgsizes: the 4 KiB granule's page and block sizes only.
    if (!(cfg.pgsize_bitmap & granule) || cfg.ias > max_addr_bits || cfg.oas > max_addr_bits ||
        cfg.ias <= granule_shift || tcr_ps(cfg.oas) < 0)
        return nullptr;
    cfg.pgsize_bitmap &= pgsizes_4k;

    std::unique_ptr<IoPgtableArm> data(new IoPgtableArm(kernel, cfg));
    unsigned va_bits = cfg.ias - granule_shift;
    unsigned levels = (va_bits + bits_per_level - 1) / bits_per_level;
    data->start_level_ = max_levels - levels;
    data->pgd_bits_ = va_bits - bits_per_level * (levels - 1);

    IoPgtableCfg::ArmLpaeS1Cfg::Tcr& tcr = cfg.arm_lpae_s1_cfg.tcr;
    if (cfg.coherent_walk) {
        tcr.sh = TCR_SH_IS;
        tcr.irgn = TCR_RGN_WBWA;
        tcr.orgn = TCR_RGN_WBWA;
    } else {
        tcr.sh = TCR_SH_OS;
        tcr.irgn = TCR_RGN_NC;
        tcr.orgn = TCR_RGN_NC;
    }
    tcr.tg = 0;  // ARM_LPAE_TCR_TG0_4K
    tcr.ips = static_cast<uint32_t>(tcr_ps(cfg.oas));
    tcr.tsz = 64 - cfg.ias;
    cfg.arm_lpae_s1_cfg.mair = mair_attr(MAIR_ATTR_NC, MAIR_ATTR_IDX_NC) |
                               mair_attr(MAIR_ATTR_WBRWA, MAIR_ATTR_IDX_CACHE) |
                               mair_attr(MAIR_ATTR_DEVICE, MAIR_ATTR_IDX_DEV) |
                               mair_attr(MAIR_ATTR_INC_OWBRWA, MAIR_ATTR_IDX_INC_OCACHE);
    data->cfg_ = cfg;

    uint64_t pgd = data->alloc_table(data->pgd_size());
    if (!pgd)
        return nullptr;
    kernel.cpu().dsb();  // the empty pgd visible before any TTBR write
    cfg.arm_lpae_s1_cfg.ttbr = data->cfg_.arm_lpae_s1_cfg.ttbr = pgd;
    return data;
}

unsigned IoPgtableArm::lvl_idx(uint64_t iova, unsigned lvl) const {
    unsigned bits = lvl == start_level_ ? pgd_bits_ : bits_per_level;
    return static_cast<unsigned>((iova >> lvl_shift(lvl)) & ((1ULL << bits) - 1));
}

bool IoPgtableArm::iopte_leaf(uint64_t pte, unsigned lvl) {
    return (pte & PTE_TYPE_MASK) == (lvl == max_levels - 1 ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK);
}

uint64_t IoPgtableArm::read_pte(uint64_t ptep) { return kernel_.cpu().load64(Kernel::phys_to_virt(ptep)); }

void IoPgtableArm::write_pte(uint64_t ptep, uint64_t pte) { kernel_.cpu().store64(Kernel::phys_to_virt(ptep), pte); }

void IoPgtableArm::count(const char* stat, unsigned descriptors) {
    cfg_.iommu_dev->context().instr().counter(stat) += descriptors;
}

// __arm_lpae_sync_pte: the descriptors' bytes cleaned for a walker that does not snoop.
void IoPgtableArm::sync_pte(uint64_t ptep, unsigned num_entries) {
    dma::sync_single_for_device(*cfg_.iommu_dev, ptep, uint64_t(pte_size) * num_entries, dma::DmaDirection::to_device);
}

// __arm_lpae_clear_pte
void IoPgtableArm::clear_pte(uint64_t ptep, unsigned num_entries) {
    for (unsigned i = 0; i < num_entries; ++i)
        write_pte(ptep + i * pte_size, 0);
    count("iommu.ptes_cleared", num_entries);
    if (!cfg_.coherent_walk && num_entries)
        sync_pte(ptep, num_entries);
}

// __arm_lpae_alloc_pages: a zeroed page; for a walker that does not snoop, mapped TO_DEVICE
// (which cleans it) at a DMA address that must be its physical address.
uint64_t IoPgtableArm::alloc_table(uint64_t size) {
    std::optional<uint64_t> page = kernel_.page_allocator().alloc_pages(0);
    if (!page)
        return 0;
    uint64_t va = Kernel::phys_to_virt(*page);
    kernel_.cpu().fill_block(va, 0, granule);  // __GFP_ZERO
    if (cfg_.coherent_walk)
        return *page;
    dma::Device& dev = *cfg_.iommu_dev;
    dma::dma_addr_t dma = dma::map_single(dev, va, size, dma::DmaDirection::to_device);
    if (!dma::mapping_error(dev, dma)) {
        if (dma == *page)
            return *page;
        dev.context().warn(dev, "Cannot accommodate DMA translation for IOMMU page tables",
                           dev.context().instr().counter("iommu.pgtable_errors"));
        dma::unmap_single(dev, dma, size, dma::DmaDirection::to_device);
    }
    kernel_.page_allocator().free_pages(*page, 0);
    return 0;
}

// __arm_lpae_free_pages
void IoPgtableArm::free_table(uint64_t table, uint64_t size) {
    if (!cfg_.coherent_walk)
        dma::unmap_single(*cfg_.iommu_dev, table, size, dma::DmaDirection::to_device);
    kernel_.page_allocator().free_pages(table, 0);
}

// arm_lpae_prot_to_pte for stage 1.
uint64_t IoPgtableArm::prot_to_pte(int prot) {
    namespace iommu = dma::iommu_prot;
    uint64_t pte = PTE_nG;
    if (!(prot & iommu::write) && (prot & iommu::read))
        pte |= PTE_AP_RDONLY;
    if (!(prot & iommu::priv))
        pte |= PTE_AP_UNPRIV;
    if (prot & iommu::mmio)
        pte |= uint64_t(MAIR_ATTR_IDX_DEV) << PTE_ATTRINDX_SHIFT;
    else if (prot & iommu::cache)
        pte |= uint64_t(MAIR_ATTR_IDX_CACHE) << PTE_ATTRINDX_SHIFT;
    pte |= (prot & iommu::cache) ? PTE_SH_IS : PTE_SH_OS;
    if (prot & iommu::noexec)
        pte |= PTE_XN;
    return pte | PTE_AF;
}

int IoPgtableArm::map_pages(uint64_t iova, uint64_t paddr, uint64_t pgsize, uint64_t pgcount, int prot,
                            uint64_t& mapped) {
    if (!pgsize || (pgsize & cfg_.pgsize_bitmap) != pgsize)
        return -EINVAL;
    if ((iova >> cfg_.ias) || (paddr >> cfg_.oas))
        return -ERANGE;
    if (!(prot & (dma::iommu_prot::read | dma::iommu_prot::write)))
        return 0;
    int ret = map(iova, paddr, pgsize, pgcount, prot_to_pte(prot), start_level_, pgd(), mapped);
    // Every descriptor written before a walk for the new IOVAs can start (wmb).
    kernel_.cpu().dsb();
    return ret;
}

// __arm_lpae_map: a leaf at the level whose block is `size`, tables allocated on the way down.
int IoPgtableArm::map(uint64_t iova, uint64_t paddr, uint64_t size, uint64_t pgcount, uint64_t prot, unsigned lvl,
                      uint64_t table, uint64_t& mapped) {
    unsigned idx = lvl_idx(iova, lvl);
    uint64_t ptep = table + uint64_t(idx) * pte_size;
    if (size == block_size(lvl)) {
        // Linux bounds this by a full table's entries; the top table may be smaller.
        unsigned num_entries = static_cast<unsigned>(std::min<uint64_t>(pgcount, table_size(lvl) / pte_size - idx));
        int ret = init_pte(iova, paddr, prot, lvl, num_entries, ptep);
        if (!ret)
            mapped += num_entries * size;
        return ret;
    }
    if (lvl >= max_levels - 1)  // no tables below the last level
        return -EINVAL;

    uint64_t pte = read_pte(ptep);
    uint64_t next;
    if (!pte) {
        next = alloc_table(granule);
        if (!next)
            return -ENOMEM;
        install_table(next, ptep);
    } else if (iopte_leaf(pte, lvl)) {
        return -EEXIST;  // an unmap is required first
    } else {
        next = iopte_to_paddr(pte);
    }
    return map(iova, paddr, size, pgcount, prot, lvl + 1, next, mapped);
}

// arm_lpae_init_pte / __arm_lpae_init_pte: `num_entries` leaves written, then synced at once.
// A table where a leaf goes is unmapped (and freed) first.
int IoPgtableArm::init_pte(uint64_t iova, uint64_t paddr, uint64_t prot, unsigned lvl, unsigned num_entries,
                           uint64_t ptep) {
    uint64_t size = block_size(lvl);
    for (unsigned i = 0; i < num_entries; ++i) {
        uint64_t pte = read_pte(ptep + i * pte_size);
        if (iopte_leaf(pte, lvl))
            return -EEXIST;
        if ((pte & PTE_TYPE_MASK) == PTE_TYPE_TABLE) {
            uint64_t table = ptep - uint64_t(lvl_idx(iova, lvl)) * pte_size;
            if (unmap(nullptr, iova + i * size, size, 1, lvl, table) != size)
                return -EINVAL;
        }
    }
    uint64_t pte = prot | (lvl == max_levels - 1 ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK);
    for (unsigned i = 0; i < num_entries; ++i)
        write_pte(ptep + i * pte_size, pte | ((paddr + i * size) & PTE_ADDR_MASK));
    count("iommu.ptes_written", num_entries);
    if (!cfg_.coherent_walk)
        sync_pte(ptep, num_entries);
    return 0;
}

// arm_lpae_install_table: the new table (already zeroed and cleaned) ordered before the
// descriptor that links it (dma_wmb). Linux then tags the descriptor it cleaned with a software
// bit (ARM_LPAE_PTE_SW_SYNC) for mappers racing on other CPUs; with one CPU the installer always
// cleans at once, so that second, uncleaned store is not reproduced.
void IoPgtableArm::install_table(uint64_t table, uint64_t ptep) {
    kernel_.cpu().dmb();
    write_pte(ptep, (table & PTE_ADDR_MASK) | PTE_TYPE_TABLE);
    count("iommu.ptes_written", 1);
    if (!cfg_.coherent_walk)
        sync_pte(ptep, 1);
}

uint64_t IoPgtableArm::unmap_pages(uint64_t iova, uint64_t pgsize, uint64_t pgcount, dma::IotlbGather* gather) {
    if (!pgsize || (pgsize & cfg_.pgsize_bitmap) != pgsize || !pgcount)
        return 0;
    if (iova >> cfg_.ias)
        return 0;
    return unmap(gather, iova, pgsize, pgcount, start_level_, pgd());
}

// __arm_lpae_unmap: at the level whose block is `size`, the entries cleared; a table among them
// is cleared, its walks flushed and it is freed. Part of a larger leaf is not unmapped.
uint64_t IoPgtableArm::unmap(dma::IotlbGather* gather, uint64_t iova, uint64_t size, uint64_t pgcount, unsigned lvl,
                             uint64_t table) {
    unsigned idx = lvl_idx(iova, lvl);
    uint64_t ptep = table + uint64_t(idx) * pte_size;
    uint64_t pte = read_pte(ptep);
    if (!pte)
        return 0;
    if (size == block_size(lvl)) {
        unsigned num_entries = static_cast<unsigned>(std::min<uint64_t>(pgcount, table_size(lvl) / pte_size - idx));
        unsigned i = 0;
        for (; i < num_entries; ++i) {
            pte = read_pte(ptep + i * pte_size);
            if (!pte)
                break;
            if (!iopte_leaf(pte, lvl)) {
                clear_pte(ptep + i * pte_size, 1);
                cfg_.tlb->tlb_flush_walk(iova + i * size, size, granule);  // partial walks too
                free_pgtable(lvl + 1, iopte_to_paddr(pte));
            }
        }
        clear_pte(ptep, i);
        if (gather && !gather->queued)
            for (unsigned j = 0; j < i; ++j)
                cfg_.tlb->tlb_add_page(*gather, iova + j * size, size);
        return i * size;
    }
    if (iopte_leaf(pte, lvl) || lvl >= max_levels - 1)
        return 0;  // "Unmap of a partial large IOPTE is not allowed"
    return unmap(gather, iova, size, pgcount, lvl + 1, iopte_to_paddr(pte));
}

uint64_t IoPgtableArm::iova_to_phys(uint64_t iova) {
    uint64_t table = pgd();
    for (unsigned lvl = start_level_; lvl < max_levels; ++lvl) {
        uint64_t pte = read_pte(table + uint64_t(lvl_idx(iova, lvl)) * pte_size);
        if (!pte)
            return 0;
        if (iopte_leaf(pte, lvl))
            return iopte_to_paddr(pte) | (iova & (block_size(lvl) - 1));
        table = iopte_to_paddr(pte);
    }
    return 0;
}

// __arm_lpae_free_pgtable: the tables below first, then this one.
void IoPgtableArm::free_pgtable(unsigned lvl, uint64_t table) {
    uint64_t size = table_size(lvl);
    if (lvl != max_levels - 1)
        for (uint64_t ptep = table; ptep != table + size; ptep += pte_size) {
            uint64_t pte = read_pte(ptep);
            if (pte && !iopte_leaf(pte, lvl))
                free_pgtable(lvl + 1, iopte_to_paddr(pte));
        }
    free_table(table, size);
}

void IoPgtableArm::free() {
    cfg_.tlb->tlb_flush_all();
    free_pgtable(start_level_, pgd());
}

}  // namespace sw
