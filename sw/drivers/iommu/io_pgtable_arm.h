// AArch64 stage-1 long-descriptor page tables with a 4 KiB granule, written as Linux's
// drivers/iommu/io-pgtable-arm.c writes them (ARM_64_LPAE_S1): the descriptor bits of
// arm_lpae_prot_to_pte, leaves as large as the caller's page size (blocks at levels 1 and 2),
// tables from the kernel's page allocator, zeroed and written by the core through the linear
// map. With a walker that does not snoop (cfg.coherent_walk false) each new table is mapped
// TO_DEVICE on the IOMMU's own device, which cleans it before it is linked, each descriptor
// write is followed by a sync for the device of just the bytes written (__arm_lpae_sync_pte),
// and tables are unmapped before they are freed; with a coherent walker nothing is cleaned.
// Unmapping asks the driver for TLB maintenance through cfg.tlb as Linux does: tlb_add_page per
// leaf (unless the gather is queued), tlb_flush_walk before a table is freed.
// Every call runs on the core.
#pragma once

#include "sw/drivers/iommu/io_pgtable.h"

#include <cstdint>
#include <memory>

namespace sw {

class Kernel;

class IoPgtableArm {
public:
    static constexpr unsigned max_levels = 4;  // ARM_LPAE_MAX_LEVELS
    static constexpr uint64_t granule = 4096;  // the only granule: 512 descriptors a table

    // Linux's arm_64_lpae_alloc_pgtable_s1: checks `cfg` (a 4 KiB page in pgsize_bitmap, ias
    // and oas at most 48, oas one of 32/36/40/42/44/48), restricts pgsize_bitmap to 4K|2M|1G,
    // fills in cfg.arm_lpae_s1_cfg and allocates the top-level table. nullptr when `cfg` is not
    // supported or memory runs out.
    static std::unique_ptr<IoPgtableArm> alloc_s1(Kernel& kernel, IoPgtableCfg& cfg);

    const IoPgtableCfg& cfg() const { return cfg_; }
    unsigned start_level() const { return start_level_; }
    uint64_t pgd() const { return cfg_.arm_lpae_s1_cfg.ttbr; }  // physical address of the top table

    // Linux's arm_lpae_map_pages: `pgcount` leaves of `pgsize` (one of pgsize_bitmap) from
    // `iova` to `paddr`, as many as fit in the table the first one lands in; adds the bytes
    // mapped to `mapped`. 0, -EINVAL (bad page size), -ERANGE (beyond ias or oas), -EEXIST (a
    // live leaf is in the way) or -ENOMEM. No access in `prot` maps nothing. (Linux's gfp is not
    // taken: the page allocator never sleeps.)
    int map_pages(uint64_t iova, uint64_t paddr, uint64_t pgsize, uint64_t pgcount, int prot, uint64_t& mapped);
    // Linux's arm_lpae_unmap_pages: clears up to `pgcount` entries of `pgsize` from `iova`
    // (within one table), freeing tables whose whole range goes; the bytes unmapped (0 for a
    // hole, or for part of a larger leaf). `gather` may be null (no per-page invalidation).
    uint64_t unmap_pages(uint64_t iova, uint64_t pgsize, uint64_t pgcount, dma::IotlbGather* gather);
    // Linux's arm_lpae_iova_to_phys: the walk read through the core; 0 when unmapped.
    uint64_t iova_to_phys(uint64_t iova);
    // Linux's free_io_pgtable_ops: tlb_flush_all, then every table unmapped and freed. The
    // object is unusable afterwards.
    void free();

private:
    IoPgtableArm(Kernel& kernel, const IoPgtableCfg& cfg);

    // Geometry (Linux's ARM_LPAE_* macros for this format).
    static unsigned lvl_shift(unsigned lvl) { return (max_levels - lvl) * 9 + 3; }
    static uint64_t block_size(unsigned lvl) { return 1ULL << lvl_shift(lvl); }
    unsigned lvl_idx(uint64_t iova, unsigned lvl) const;
    uint64_t pgd_size() const { return 8ULL << pgd_bits_; }
    uint64_t table_size(unsigned lvl) const { return lvl == start_level_ ? pgd_size() : granule; }
    static bool iopte_leaf(uint64_t pte, unsigned lvl);

    uint64_t read_pte(uint64_t ptep);
    void write_pte(uint64_t ptep, uint64_t pte);
    void sync_pte(uint64_t ptep, unsigned num_entries);
    // Adds to iommu.ptes_written (leaf and table descriptors stored) or iommu.ptes_cleared.
    void count(const char* stat, unsigned descriptors);
    void clear_pte(uint64_t ptep, unsigned num_entries);
    uint64_t alloc_table(uint64_t size);  // 0 on failure
    void free_table(uint64_t table, uint64_t size);

    static uint64_t prot_to_pte(int prot);
    int map(uint64_t iova, uint64_t paddr, uint64_t size, uint64_t pgcount, uint64_t prot, unsigned lvl, uint64_t table,
            uint64_t& mapped);
    int init_pte(uint64_t iova, uint64_t paddr, uint64_t prot, unsigned lvl, unsigned num_entries, uint64_t ptep);
    void install_table(uint64_t table, uint64_t ptep);
    uint64_t unmap(dma::IotlbGather* gather, uint64_t iova, uint64_t size, uint64_t pgcount, unsigned lvl,
                   uint64_t table);
    void free_pgtable(unsigned lvl, uint64_t table);

    Kernel& kernel_;
    IoPgtableCfg cfg_;
    unsigned start_level_ = 0;
    unsigned pgd_bits_ = 0;  // index bits of the top-level table
};

}  // namespace sw
