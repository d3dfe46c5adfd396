// io-pgtable-arm (AArch64 stage 1, 4 KiB granule) on the non-coherent platform, with a dma::Device
// standing for the SMMU: the TCR fields and MAIR of arm_64_lpae_alloc_pgtable_s1, the descriptors
// arm_lpae_prot_to_pte and __arm_lpae_init_pte write (expected values spelled from the
// architecture's bits), table descriptors, the cleans a non-coherent walker needs (each new table
// before it is linked, then just the bytes of each descriptor written: __arm_lpae_sync_pte) and
// none for a coherent one, unmapping with Linux's TLB callbacks, and the tables given back. The
// code under test reaches the tables only through the core; the assertions read memory behind
// the caches. Plus iommu_pgsize, which splits a domain's map into page sizes.
#include "dma_sim.h"
#include "sw/drivers/iommu/io_pgtable_arm.h"
#include "sw/drivers/iommu/paged_iommu_domain.h"
#include "sw/kernel/kernel.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <set>
#include <string>
#include <vector>

namespace {

// Descriptor bits (Arm ARM D8.3; Linux's ARM_LPAE_PTE_*), written out independently of the code.
constexpr uint64_t type_page = 3, type_block = 1, type_table = 3;
constexpr uint64_t attrindx_nc = 0ULL << 2, attrindx_cache = 1ULL << 2, attrindx_dev = 2ULL << 2;
constexpr uint64_t ap_unpriv = 1ULL << 6, ap_rdonly = 2ULL << 6;
constexpr uint64_t sh_os = 2ULL << 8, sh_is = 3ULL << 8;
constexpr uint64_t af = 1ULL << 10, ng = 1ULL << 11;
constexpr uint64_t xn = 3ULL << 53;
constexpr uint64_t addr_bits = 0x0000fffffffff000ULL;

constexpr uint64_t sz_4k = 1ULL << 12, sz_64k = 1ULL << 16, sz_2m = 1ULL << 21, sz_1g = 1ULL << 30;

namespace prot = dma::iommu_prot;

// The TLB maintenance io-pgtable asks of the driver.
struct RecordingTlb : sw::IommuFlushOps {
    struct Call {
        std::string op;
        uint64_t iova, size, granule;
        bool operator==(const Call& other) const {
            return op == other.op && iova == other.iova && size == other.size && granule == other.granule;
        }
    };
    std::vector<Call> calls;
    void tlb_flush_all() override { calls.push_back({"flush_all", 0, 0, 0}); }
    void tlb_flush_walk(uint64_t iova, uint64_t size, uint64_t granule) override {
        calls.push_back({"flush_walk", iova, size, granule});
    }
    void tlb_add_page(dma::IotlbGather&, uint64_t iova, uint64_t granule) override {
        calls.push_back({"add_page", iova, granule, granule});
    }
};

// The DMA layer's cleans (dma.maint events): physical range of each.
struct Cleans : models::EventSink {
    struct Range {
        uint64_t pa, size;
        bool operator==(const Range& other) const { return pa == other.pa && size == other.size; }
    };
    std::vector<Range> ranges;
    void on_event(const models::Event& event) override {
        std::string op;
        Range range{0, 0};
        for (const models::Field& field : event.fields) {
            if (field.key == "op")
                op = std::get<std::string>(field.value);
            else if (field.key == "pa")
                range.pa = std::get<uint64_t>(field.value);
            else if (field.key == "size")
                range.size = std::get<uint64_t>(field.value);
        }
        if (op == "clean")
            ranges.push_back(range);
    }
    std::vector<Range> since(size_t mark) const { return {ranges.begin() + mark, ranges.end()}; }
};

struct PgtableSim : dma_sim::Sim {
    dma::Device smmu{"iommu@2b400000", context};
    RecordingTlb tlb;
    Cleans cleans;

    explicit PgtableSim(bool coherent = false) {
        smmu.set_coherent(coherent);
        smmu.store_dma_mask(dma::dma_bit_mask(48));
        smmu.store_coherent_dma_mask(dma::dma_bit_mask(48));
        context.instr().add_sink(&cleans, "dma.maint");
    }
    sw::IoPgtableCfg cfg(unsigned ias = 48, unsigned oas = 48) {
        sw::IoPgtableCfg cfg;
        cfg.pgsize_bitmap = sz_4k | sz_2m | sz_1g;
        cfg.ias = ias;
        cfg.oas = oas;
        cfg.coherent_walk = smmu.is_coherent();
        cfg.tlb = &tlb;
        cfg.iommu_dev = &smmu;
        return cfg;
    }
    std::unique_ptr<sw::IoPgtableArm> alloc(sw::IoPgtableCfg& cfg) {
        auto pgtbl = sw::IoPgtableArm::alloc_s1(kernel, cfg);
        REQUIRE(pgtbl);
        return pgtbl;
    }
    // The descriptor at `level` for `iova` in a 4-level table (ias 48), walked in memory.
    uint64_t ptep(const sw::IoPgtableArm& pgtbl, uint64_t iova, unsigned level) {
        uint64_t table = pgtbl.pgd();
        for (unsigned lvl = 0;; ++lvl) {
            uint64_t entry = table + ((iova >> (39 - 9 * lvl)) & 511) * 8;
            if (lvl == level)
                return entry;
            table = backdoor_read64(entry) & addr_bits;
            REQUIRE(table);
        }
    }
    uint64_t pte(const sw::IoPgtableArm& pgtbl, uint64_t iova, unsigned level) {
        return backdoor_read64(ptep(pgtbl, iova, level));
    }
    uint64_t line_of(uint64_t pa) { return pa / cpu.l1d().line_size(); }
};

// L0 index 0, L1 index 2, L2 index 2, L3 index 4.
constexpr uint64_t iova_base = 0x80404000;

}  // namespace

TEST_CASE("io-pgtable-arm: arm_64_lpae_alloc_pgtable_s1 gives TCR fields and MAIR as Linux, and a cleaned pgd",
          "[io_pgtable]") {
    PgtableSim sim;
    std::string fault = sim.run([&] {
        sw::IoPgtableCfg cfg = sim.cfg();
        cfg.pgsize_bitmap |= sz_64k;  // not a size of the 4 KiB granule: dropped
        auto pgtbl = sim.alloc(cfg);
        CHECK(cfg.pgsize_bitmap == (sz_4k | sz_2m | sz_1g));
        CHECK(cfg.arm_lpae_s1_cfg.tcr.tsz == 16);  // T0SZ = 64 - ias
        CHECK(cfg.arm_lpae_s1_cfg.tcr.tg == 0);    // TG0 4 KiB
        CHECK(cfg.arm_lpae_s1_cfg.tcr.sh == 2);    // outer shareable
        CHECK(cfg.arm_lpae_s1_cfg.tcr.irgn == 0);  // non-cacheable walks
        CHECK(cfg.arm_lpae_s1_cfg.tcr.orgn == 0);
        CHECK(cfg.arm_lpae_s1_cfg.tcr.ips == 5);  // 48-bit
        // Attr0 Normal NC, Attr1 Normal WB RW-allocate, Attr2 Device-nGnRE, Attr3 inner NC outer WB.
        CHECK(cfg.arm_lpae_s1_cfg.mair == (0x44ULL | 0xffULL << 8 | 0x04ULL << 16 | 0xf4ULL << 24));
        CHECK(pgtbl->start_level() == 0);
        uint64_t pgd = cfg.arm_lpae_s1_cfg.ttbr;
        CHECK(pgd == pgtbl->pgd());
        CHECK(pgd % 4096 == 0);
        CHECK(sim.kernel.page_allocator().is_allocated(pgd));
        // Mapped TO_DEVICE (so cleaned, zeroes and all) before its address can reach a TTBR.
        CHECK(sim.cleans.ranges == std::vector<Cleans::Range>{{pgd, 4096}});
        CHECK(sim.context.debug().entries_of(sim.smmu).size() == 1);
        pgtbl->free();
        CHECK(sim.tlb.calls == std::vector<RecordingTlb::Call>{{"flush_all", 0, 0, 0}});
        CHECK_FALSE(sim.kernel.page_allocator().is_allocated(pgd));
        CHECK(sim.context.debug().entries_of(sim.smmu).empty());

        sw::IoPgtableCfg small = sim.cfg(32, 40);
        auto pgtbl32 = sim.alloc(small);
        CHECK(small.arm_lpae_s1_cfg.tcr.tsz == 32);
        CHECK(small.arm_lpae_s1_cfg.tcr.ips == 2);  // 40-bit
        CHECK(pgtbl32->start_level() == 1);         // 20 bits above the page: levels 1-3
        // Its pgd has 4 entries: 32 bytes mapped and cleaned.
        CHECK(sim.cleans.ranges.back() == Cleans::Range{pgtbl32->pgd(), 32});
        pgtbl32->free();

        sw::IoPgtableCfg odd = sim.cfg(48, 47);
        CHECK_FALSE(sw::IoPgtableArm::alloc_s1(sim.kernel, odd));
        sw::IoPgtableCfg no_4k = sim.cfg();
        no_4k.pgsize_bitmap = sz_64k;
        CHECK_FALSE(sw::IoPgtableArm::alloc_s1(sim.kernel, no_4k));
    });
    CHECK(fault.empty());
}

TEST_CASE("io-pgtable-arm: a coherent walker gets inner-shareable write-back walks", "[io_pgtable]") {
    PgtableSim sim(true);
    std::string fault = sim.run([&] {
        sw::IoPgtableCfg cfg = sim.cfg();
        auto pgtbl = sim.alloc(cfg);
        CHECK(cfg.arm_lpae_s1_cfg.tcr.sh == 3);    // inner shareable
        CHECK(cfg.arm_lpae_s1_cfg.tcr.irgn == 1);  // write-back write-allocate
        CHECK(cfg.arm_lpae_s1_cfg.tcr.orgn == 1);
        pgtbl->free();
    });
    CHECK(fault.empty());
}

TEST_CASE("io-pgtable-arm: arm_lpae_prot_to_pte's stage-1 descriptors and the table descriptors above them",
          "[io_pgtable]") {
    PgtableSim sim;
    std::string fault = sim.run([&] {
        sw::IoPgtableCfg cfg = sim.cfg();
        auto pgtbl = sim.alloc(cfg);
        uint64_t pa = 0x9abcd000;
        auto leaf = [&](uint64_t iova, int prot_flags) {
            uint64_t mapped = 0;
            REQUIRE(pgtbl->map_pages(iova, pa, sz_4k, 1, prot_flags, mapped) == 0);
            CHECK(mapped == sz_4k);
            return sim.pte(*pgtbl, iova, 3);
        };
        CHECK(leaf(iova_base, prot::read | prot::write) ==
              (pa | af | sh_os | ng | ap_unpriv | attrindx_nc | type_page));
        CHECK(leaf(iova_base + 0x1000, prot::read) ==
              (pa | af | sh_os | ng | ap_unpriv | ap_rdonly | attrindx_nc | type_page));
        CHECK(leaf(iova_base + 0x2000, prot::read | prot::write | prot::cache) ==
              (pa | af | sh_is | ng | ap_unpriv | attrindx_cache | type_page));
        CHECK(leaf(iova_base + 0x3000, prot::read | prot::write | prot::priv) ==
              (pa | af | sh_os | ng | attrindx_nc | type_page));
        CHECK(leaf(iova_base + 0x4000, prot::read | prot::write | prot::noexec) ==
              (pa | af | sh_os | ng | ap_unpriv | attrindx_nc | xn | type_page));
        CHECK(leaf(iova_base + 0x5000, prot::read | prot::write | prot::mmio) ==
              (pa | af | sh_os | ng | ap_unpriv | attrindx_dev | type_page));
        CHECK(leaf(iova_base + 0x6000, prot::write) == (pa | af | sh_os | ng | ap_unpriv | attrindx_nc | type_page));

        // Table descriptors: the next table's address and TYPE_TABLE, nothing else (no NSTABLE).
        for (unsigned level = 0; level < 3; ++level) {
            uint64_t table = sim.pte(*pgtbl, iova_base, level);
            CHECK((table & ~addr_bits) == type_table);
            CHECK(sim.kernel.page_allocator().is_allocated(table & addr_bits));
        }

        // A 2 MiB block at level 2.
        uint64_t block_iova = 0x40000000 + 5 * sz_2m, block_pa = 0x88200000, mapped = 0;
        REQUIRE(pgtbl->map_pages(block_iova, block_pa, sz_2m, 1, prot::read | prot::write, mapped) == 0);
        CHECK(mapped == sz_2m);
        CHECK(sim.pte(*pgtbl, block_iova, 2) == (block_pa | af | sh_os | ng | ap_unpriv | attrindx_nc | type_block));
        // A 1 GiB block at level 1.
        REQUIRE(pgtbl->map_pages(3 * sz_1g, 0xc0000000, sz_1g, 1, prot::read, mapped) == 0);
        CHECK(sim.pte(*pgtbl, 3 * sz_1g, 1) ==
              (0xc0000000 | af | sh_os | ng | ap_unpriv | ap_rdonly | attrindx_nc | type_block));

        // The walk through the core (arm_lpae_iova_to_phys).
        CHECK(pgtbl->iova_to_phys(iova_base + 0x2123) == pa + 0x123);
        CHECK(pgtbl->iova_to_phys(block_iova + 0x12345) == block_pa + 0x12345);
        CHECK(pgtbl->iova_to_phys(3 * sz_1g + 0x3456789) == 0xc0000000 + 0x3456789);
        CHECK(pgtbl->iova_to_phys(iova_base + 0x7000) == 0);
        CHECK(pgtbl->iova_to_phys(0x10000000) == 0);

        // No access: nothing mapped. A live leaf in the way, beyond ias or oas, a size the
        // tables do not have: refused.
        mapped = 0;
        CHECK(pgtbl->map_pages(iova_base + 0x8000, pa, sz_4k, 1, 0, mapped) == 0);
        CHECK(mapped == 0);
        CHECK(sim.pte(*pgtbl, iova_base + 0x8000, 3) == 0);
        CHECK(pgtbl->map_pages(iova_base, pa, sz_4k, 1, prot::read, mapped) == -EEXIST);
        CHECK(pgtbl->map_pages(block_iova + sz_4k, pa, sz_4k, 1, prot::read, mapped) == -EEXIST);
        CHECK(pgtbl->map_pages(1ULL << 48, pa, sz_4k, 1, prot::read, mapped) == -ERANGE);
        CHECK(pgtbl->map_pages(iova_base + 0x8000, 1ULL << 48, sz_4k, 1, prot::read, mapped) == -ERANGE);
        CHECK(pgtbl->map_pages(iova_base + 0x8000, pa, sz_64k, 1, prot::read, mapped) == -EINVAL);
        pgtbl->free();
    });
    CHECK(fault.empty());
}

TEST_CASE("io-pgtable-arm: 16 scattered pages at consecutive IOVAs on a non-coherent walker: each descriptor "
          "cleaned by itself",
          "[io_pgtable]") {
    PgtableSim sim;
    std::string fault = sim.run([&] {
        sw::IoPgtableCfg cfg = sim.cfg();
        auto pgtbl = sim.alloc(cfg);
        std::vector<uint64_t> pages;
        for (unsigned i = 0; i < 32; ++i) {
            std::optional<uint64_t> page = sim.kernel.page_allocator().alloc_pages(0);
            REQUIRE(page);
            if (i % 2)
                pages.push_back(*page);
        }
        size_t mark = sim.cleans.ranges.size();
        uint64_t mapped = 0;
        for (unsigned i = 0; i < 16; ++i)
            REQUIRE(pgtbl->map_pages(iova_base + i * sz_4k, pages[i], sz_4k, 1, prot::read | prot::write, mapped) == 0);
        CHECK(mapped == 16 * sz_4k);

        uint64_t l1 = sim.pte(*pgtbl, iova_base, 0) & addr_bits;
        uint64_t l2 = sim.pte(*pgtbl, iova_base, 1) & addr_bits;
        uint64_t l3 = sim.pte(*pgtbl, iova_base, 2) & addr_bits;
        uint64_t first_leaf = sim.ptep(*pgtbl, iova_base, 3);
        CHECK(first_leaf == l3 + 4 * 8);
        for (unsigned i = 0; i < 16; ++i)
            CHECK(sim.backdoor_read64(first_leaf + i * 8) ==
                  (pages[i] | af | sh_os | ng | ap_unpriv | attrindx_nc | type_page));

        // The first map makes three tables: each cleaned whole when mapped TO_DEVICE, before the
        // descriptor linking it is written and cleaned. Then one 8-byte clean per leaf.
        std::vector<Cleans::Range> expected = {{l1, 4096},      {pgtbl->pgd(), 8}, {l2, 4096},
                                               {l1 + 2 * 8, 8}, {l3, 4096},        {l2 + 2 * 8, 8}};
        for (unsigned i = 0; i < 16; ++i)
            expected.push_back({first_leaf + i * 8, 8});
        CHECK(sim.cleans.since(mark) == expected);
        // So the lines cleaned for the leaves are exactly those holding the 128 descriptor bytes.
        std::set<uint64_t> leaf_lines, expected_lines;
        for (size_t i = mark + 6; i < sim.cleans.ranges.size(); ++i)
            leaf_lines.insert(sim.line_of(sim.cleans.ranges[i].pa));
        for (uint64_t byte = first_leaf; byte < first_leaf + 16 * 8; ++byte)
            expected_lines.insert(sim.line_of(byte));
        CHECK(leaf_lines == expected_lines);
        CHECK(expected_lines.size() == 3);  // bytes 32-159 of the table: lines 0, 1 and 2
        // Counted: three table descriptors and 16 leaves.
        CHECK(sim.stat("iommu.ptes_written") == 3 + 16);

        // A run of pages in one call: written, then cleaned once (__arm_lpae_init_pte's num_entries).
        mark = sim.cleans.ranges.size();
        mapped = 0;
        REQUIRE(pgtbl->map_pages(iova_base + 16 * sz_4k, 0x90000000, sz_4k, 16, prot::read, mapped) == 0);
        CHECK(mapped == 16 * sz_4k);
        CHECK(sim.cleans.since(mark) == std::vector<Cleans::Range>{{first_leaf + 16 * 8, 16 * 8}});
        CHECK(sim.backdoor_read64(first_leaf + 31 * 8) ==
              ((0x90000000 + 15 * sz_4k) | af | sh_os | ng | ap_unpriv | ap_rdonly | attrindx_nc | type_page));
        CHECK(sim.stat("iommu.ptes_written") == 3 + 32);
        CHECK(sim.stat("iommu.ptes_cleared") == 0);

        pgtbl->free();
        for (uint64_t page : pages)
            sim.kernel.page_allocator().free_pages(page, 0);
    });
    CHECK(fault.empty());
    CHECK(sim.context.debug().report_count() == 0);
}

TEST_CASE("io-pgtable-arm: a coherent walker's tables are neither mapped nor cleaned", "[io_pgtable]") {
    PgtableSim sim(true);
    std::string fault = sim.run([&] {
        sw::IoPgtableCfg cfg = sim.cfg();
        auto pgtbl = sim.alloc(cfg);
        uint64_t mapped = 0;
        for (unsigned i = 0; i < 16; ++i)
            REQUIRE(pgtbl->map_pages(iova_base + i * sz_4k, 0x90000000 + i * 2 * sz_4k, sz_4k, 1,
                                     prot::read | prot::write | prot::cache, mapped) == 0);
        CHECK(pgtbl->iova_to_phys(iova_base + 15 * sz_4k + 8) == 0x90000000 + 30 * sz_4k + 8);
        CHECK(sim.context.debug().entries_of(sim.smmu).empty());
        dma::IotlbGather gather;
        CHECK(pgtbl->unmap_pages(iova_base, sz_4k, 16, &gather) == 16 * sz_4k);
        pgtbl->free();
    });
    CHECK(fault.empty());
    CHECK(sim.cleans.ranges.empty());
    CHECK(sim.stat("dma.maint.clean") == 0);
}

TEST_CASE("io-pgtable-arm: unmap clears and cleans the descriptors, one tlb_add_page per page unless queued",
          "[io_pgtable]") {
    PgtableSim sim;
    std::string fault = sim.run([&] {
        sw::IoPgtableCfg cfg = sim.cfg();
        auto pgtbl = sim.alloc(cfg);
        uint64_t mapped = 0;
        REQUIRE(pgtbl->map_pages(iova_base, 0x90000000, sz_4k, 8, prot::read | prot::write, mapped) == 0);
        uint64_t first_leaf = sim.ptep(*pgtbl, iova_base, 3);
        size_t mark = sim.cleans.ranges.size();

        dma::IotlbGather gather;
        CHECK(pgtbl->unmap_pages(iova_base, sz_4k, 4, &gather) == 4 * sz_4k);
        for (unsigned i = 0; i < 4; ++i)
            CHECK(sim.backdoor_read64(first_leaf + i * 8) == 0);
        CHECK(sim.backdoor_read64(first_leaf + 4 * 8) != 0);
        CHECK(sim.cleans.since(mark) == std::vector<Cleans::Range>{{first_leaf, 4 * 8}});
        CHECK(sim.stat("iommu.ptes_cleared") == 4);
        std::vector<RecordingTlb::Call> expected;
        for (unsigned i = 0; i < 4; ++i)
            expected.push_back({"add_page", iova_base + i * sz_4k, sz_4k, sz_4k});
        CHECK(sim.tlb.calls == expected);
        CHECK(pgtbl->iova_to_phys(iova_base + 3 * sz_4k) == 0);
        CHECK(pgtbl->iova_to_phys(iova_base + 4 * sz_4k) == 0x90000000 + 4 * sz_4k);

        // A flush queue invalidates the whole domain later: no per-page invalidation.
        sim.tlb.calls.clear();
        dma::IotlbGather queued;
        queued.queued = true;
        CHECK(pgtbl->unmap_pages(iova_base + 4 * sz_4k, sz_4k, 2, &queued) == 2 * sz_4k);
        CHECK(sim.backdoor_read64(first_leaf + 5 * 8) == 0);
        CHECK(sim.tlb.calls.empty());

        // A hole, and a run stopping at one.
        CHECK(pgtbl->unmap_pages(iova_base, sz_4k, 1, &gather) == 0);
        CHECK(pgtbl->unmap_pages(iova_base + 6 * sz_4k, sz_4k, 4, &gather) == 2 * sz_4k);
        pgtbl->free();
    });
    CHECK(fault.empty());
}

TEST_CASE("io-pgtable-arm: unmapping a table's whole range flushes its walks and frees it, and part of a block is not "
          "unmapped",
          "[io_pgtable]") {
    PgtableSim sim;
    std::string fault = sim.run([&] {
        sw::IoPgtableCfg cfg = sim.cfg();
        auto pgtbl = sim.alloc(cfg);
        uint64_t iova = 0x40000000 + 3 * sz_2m, mapped = 0;
        REQUIRE(pgtbl->map_pages(iova, 0x90000000, sz_4k, 512, prot::read | prot::write, mapped) == 0);
        CHECK(mapped == sz_2m);
        uint64_t l2_entry = sim.ptep(*pgtbl, iova, 2);
        uint64_t l3 = sim.backdoor_read64(l2_entry) & addr_bits;
        size_t allocated = sim.kernel.page_allocator().nr_allocated_pages();
        size_t mappings = sim.context.debug().entries_of(sim.smmu).size();

        dma::IotlbGather gather;
        CHECK(pgtbl->unmap_pages(iova, sz_2m, 1, &gather) == sz_2m);
        CHECK(sim.backdoor_read64(l2_entry) == 0);
        CHECK(sim.tlb.calls ==
              std::vector<RecordingTlb::Call>{{"flush_walk", iova, sz_2m, sz_4k}, {"add_page", iova, sz_2m, sz_2m}});
        CHECK_FALSE(sim.kernel.page_allocator().is_allocated(l3));
        CHECK(sim.kernel.page_allocator().nr_allocated_pages() == allocated - 1);
        CHECK(sim.context.debug().entries_of(sim.smmu).size() == mappings - 1);

        // A 2 MiB block: a 4 KiB unmap inside it unmaps nothing.
        REQUIRE(pgtbl->map_pages(iova, 0x90000000, sz_2m, 1, prot::read, mapped) == 0);
        CHECK(pgtbl->unmap_pages(iova + sz_4k, sz_4k, 1, &gather) == 0);
        CHECK(pgtbl->iova_to_phys(iova + sz_4k) == 0x90000000 + sz_4k);
        // A block mapped over a table replaces it (arm_lpae_init_pte unmaps the table first).
        REQUIRE(pgtbl->map_pages(iova + sz_2m, 0x90000000, sz_4k, 1, prot::read, mapped) == 0);
        uint64_t l3_again = sim.backdoor_read64(sim.ptep(*pgtbl, iova + sz_2m, 2)) & addr_bits;
        REQUIRE(pgtbl->map_pages(iova + sz_2m, 0x90200000, sz_2m, 1, prot::read, mapped) == 0);
        CHECK_FALSE(sim.kernel.page_allocator().is_allocated(l3_again));
        CHECK(pgtbl->iova_to_phys(iova + sz_2m + 8) == 0x90200008);
        pgtbl->free();
    });
    CHECK(fault.empty());
}

TEST_CASE("io-pgtable-arm: free unmaps and frees every table: no page or mapping left behind", "[io_pgtable]") {
    PgtableSim sim;
    std::string fault = sim.run([&] {
        uint64_t allocated = sim.kernel.page_allocator().nr_allocated_pages();
        sw::IoPgtableCfg cfg = sim.cfg();
        auto pgtbl = sim.alloc(cfg);
        uint64_t mapped = 0;
        for (uint64_t iova : {0x1000ULL, 0x40000000ULL, 0x80000000ULL, 1ULL << 40})
            REQUIRE(pgtbl->map_pages(iova, 0x90000000, sz_4k, 2, prot::read, mapped) == 0);
        CHECK(sim.kernel.page_allocator().nr_allocated_pages() > allocated);
        pgtbl->free();
        CHECK(sim.kernel.page_allocator().nr_allocated_pages() == allocated);
        sim.context.debug().check_leaks(sim.smmu);
    });
    CHECK(fault.empty());
    CHECK(sim.context.debug().report_count() == 0);
}

TEST_CASE("iommu_pgsize: the largest page size alignment and length allow, up to where a larger one takes over",
          "[io_pgtable]") {
    const uint64_t bitmap = sz_4k | sz_2m | sz_1g;
    uint64_t count = 0;
    // 4 KiB pages up to the 2 MiB boundary, when a whole 2 MiB page follows.
    CHECK(sw::iommu_pgsize(bitmap, 0x1fe000, 0x801fe000, 8 * sz_4k + sz_2m, count) == sz_4k);
    CHECK(count == 2);
    // Then 2 MiB pages, as many as fit.
    CHECK(sw::iommu_pgsize(bitmap, sz_2m, 0x80200000, 2 * sz_2m + sz_4k, count) == sz_2m);
    CHECK(count == 2);
    // IOVA and PA offset differently within 2 MiB: 4 KiB pages all the way.
    CHECK(sw::iommu_pgsize(bitmap, 0x1fe000, 0x801ff000, 8 * sz_4k + sz_2m, count) == sz_4k);
    CHECK(count == (8 * sz_4k + sz_2m) / sz_4k);
    // 1 GiB when aligned and long enough.
    CHECK(sw::iommu_pgsize(bitmap, sz_1g, 2 * sz_1g, sz_1g + sz_2m, count) == sz_1g);
    CHECK(count == 1);
}
