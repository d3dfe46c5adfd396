// Shared fixture for the SMMU model's tests: RAM behind a router, an SMMU whose walker reads it, a
// port on the SMMU's registers and one for the CPU's own bus accesses; tables written into RAM by
// the back door with the descriptors Linux's io-pgtable-arm.c writes, and the registers programmed
// through cfg_in as Linux's arm-smmu.c programs them. One elaboration per test case (sc_start once
// per process, as ctest runs them).
#pragma once

#include "models/bus/memory.h"
#include "models/bus/router.h"
#include "models/iommu/smmu.h"
#include "models/iommu/smmu_regs.h"
#include "tlm_port.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <systemc>
#include <tlm>
#include <tuple>
#include <vector>

namespace smmu_sim {

using namespace smmu;

constexpr uint64_t ram_base = 0x80000000, ram_size = 64ULL << 20;
constexpr uint64_t ram_latency_ps = 10000;
constexpr uint64_t data_base = ram_base + (32ULL << 20);  // pages the tables map; tables below
constexpr uint64_t kib = 1024, mib = kib * kib;

// io-pgtable-arm.c's stage-1 leaf for IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE (arm_lpae_prot_to_pte):
// nG, AP_UNPRIV unless IOMMU_PRIV, AP_RDONLY without IOMMU_WRITE, inner-shareable write-back, AF.
inline uint64_t leaf(uint64_t pa, unsigned level = 3, bool writable = true, bool privileged = false) {
    return pa | (level == 3 ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK) | PTE_AF | PTE_SH_IS | PTE_nG |
           uint64_t(MAIR_ATTR_IDX_CACHE) << PTE_ATTRINDX_SHIFT | (writable ? 0 : PTE_AP_RDONLY) |
           (privileged ? 0 : PTE_AP_UNPRIV);
}

struct Translation {
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    uint64_t pa = 0;
    uint64_t delay_ps = 0;
    bool ok() const { return status == tlm::TLM_OK_RESPONSE; }
};

struct Irq {
    unsigned index;
    bool asserted;
};

inline models::SmmuConfig default_config() {
    models::SmmuConfig config;
    config.walk_level_latency_ps = 2000;
    config.iotlb_hit_latency_ps = 1000;
    return config;
}

struct Rig {
    models::Instrumentation instr;
    models::Memory ram{"ram", ram_size, instr};
    models::Router bus{"bus", instr};
    models::Smmu smmu;
    Port regs{"regs"}, cpu{"cpu"};
    std::vector<Irq> irqs;
    uint64_t next_table = ram_base;
    models::Initiator device{models::InitiatorKind::device, 3, 0x10};

    explicit Rig(const models::SmmuConfig& config = default_config()) : smmu("smmu0", config, instr) {
        smmu.walk_out.bind(bus.in);
        cpu.out.bind(bus.in);
        bus.out.bind(ram.in);
        bus.map_target(0, "ram", ram_base, ram_size, models::TargetTiming{ram_latency_ps, 0}, true);
        regs.out.bind(smmu.cfg_in);
        smmu.set_irq_level([this](unsigned index, bool asserted, uint64_t) { irqs.push_back({index, asserted}); });
    }
    void elaborate() { sc_core::sc_start(sc_core::SC_ZERO_TIME); }

    uint64_t stat(const std::string& name) const { return instr.counter_value("smmu0." + name); }

    // --- registers, through cfg_in ---
    uint64_t cb_page(unsigned bank) const { return smmu.register_file_size() / 2 + bank * page_size; }
    void write32(uint64_t offset, uint32_t value) {
        REQUIRE(regs.access(tlm::TLM_WRITE_COMMAND, offset, &value, 4) == tlm::TLM_OK_RESPONSE);
    }
    void write64(uint64_t offset, uint64_t value) {
        REQUIRE(regs.access(tlm::TLM_WRITE_COMMAND, offset, &value, 8) == tlm::TLM_OK_RESPONSE);
    }
    uint32_t read32(uint64_t offset) {
        uint32_t value = 0;
        REQUIRE(regs.access(tlm::TLM_READ_COMMAND, offset, &value, 4) == tlm::TLM_OK_RESPONSE);
        return value;
    }
    uint64_t read64(uint64_t offset) {
        uint64_t value = 0;
        REQUIRE(regs.access(tlm::TLM_READ_COMMAND, offset, &value, 8) == tlm::TLM_OK_RESPONSE);
        return value;
    }
    uint32_t gr0(unsigned offset) { return read32(offset); }
    uint32_t gr1(unsigned offset) { return read32(page_size + offset); }
    uint32_t cb(unsigned bank, unsigned offset) { return read32(cb_page(bank) + offset); }
    uint64_t cb64(unsigned bank, unsigned offset) { return read64(cb_page(bank) + offset); }
    void write_cb(unsigned bank, unsigned offset, uint32_t value) { write32(cb_page(bank) + offset, value); }
    void write_cb64(unsigned bank, unsigned offset, uint64_t value) { write64(cb_page(bank) + offset, value); }

    // arm_smmu_device_reset: sCR0 with global fault reporting, CLIENTPD clear, USFCFG as
    // disable_bypass says.
    void enable(bool fault_unmatched) {
        write32(GR0_sCR0, sCR0_GFRE | sCR0_GFIE | sCR0_GCFGFRE | sCR0_GCFGFIE | (fault_unmatched ? sCR0_USFCFG : 0));
    }
    // arm_smmu_write_context_bank for a stage-1 AArch64 context with 48-bit IOVAs, the walk
    // inner-shareable write-back (arm_lpae_s1_cfg's TCR), ASID `asid`, tables at `root`.
    void program_context(unsigned bank, uint16_t asid, uint64_t root) {
        write32(page_size + GR1_CBA2R(bank), CBA2R_VA64);
        write32(page_size + GR1_CBAR(bank),
                field_prep(CBAR_TYPE_S1_TRANS_S2_BYPASS, CBAR_TYPE_HI, CBAR_TYPE_LO) |
                    field_prep(CBAR_S1_BPSHCFG_NSH, CBAR_S1_BPSHCFG_HI, CBAR_S1_BPSHCFG_LO) |
                    field_prep(0xf, CBAR_S1_MEMATTR_HI, CBAR_S1_MEMATTR_LO));
        write_cb(bank, CB_TCR2,
                 field_prep(TCR2_SEP_UPSTREAM, TCR2_SEP_HI, TCR2_SEP_LO) | field_prep(5, 3, 0) | TCR2_AS);
        write_cb64(bank, CB_TTBR0, root | uint64_t(asid) << TTBRn_ASID_SHIFT);
        write_cb(bank, CB_TCR,
                 field_prep(16, TCR_T0SZ_HI, TCR_T0SZ_LO) | field_prep(TCR_RGN_WBWA, TCR_IRGN0_HI, TCR_IRGN0_LO) |
                     field_prep(TCR_RGN_WBWA, TCR_ORGN0_HI, TCR_ORGN0_LO) |
                     field_prep(TCR_SH_IS, TCR_SH0_HI, TCR_SH0_LO) | TCR_EPD1);
        write_cb(bank, CB_S1_MAIR0,
                 MAIR_ATTR_NC | MAIR_ATTR_WBRWA << 8 | MAIR_ATTR_DEVICE << 16 | MAIR_ATTR_INC_OWBRWA << 24);
        write_cb(bank, CB_SCTLR, SCTLR_CFIE | SCTLR_CFRE | SCTLR_AFE | SCTLR_TRE | SCTLR_M | SCTLR_ASIDPNE);
    }
    // arm_smmu_write_sme: stream match group `group` sends `id` (under `mask`) to context `bank`.
    void match_stream(unsigned group, uint32_t id, uint32_t mask, unsigned bank) {
        write32(GR0_S2CR(group), field_prep(S2CR_TYPE_TRANS, S2CR_TYPE_HI, S2CR_TYPE_LO) |
                                     field_prep(bank, S2CR_CBNDX_HI, S2CR_CBNDX_LO));
        write32(GR0_SMR(group),
                SMR_VALID | field_prep(mask, SMR_MASK_HI, SMR_MASK_LO) | field_prep(id, SMR_ID_HI, SMR_ID_LO));
    }

    // --- tables, by the back door ---
    uint64_t new_table() {
        uint64_t table = next_table;
        next_table += page_size;
        REQUIRE(next_table <= data_base);
        return table;
    }
    uint64_t descriptor(uint64_t pa) const {
        uint64_t value = 0;
        ram.backdoor_read(pa - ram_base, &value, sizeof value);
        return value;
    }
    void set_descriptor(uint64_t pa, uint64_t value) { ram.backdoor_write(pa - ram_base, &value, sizeof value); }
    // The address of the descriptor for `iova` at `level` under `root` (48-bit input, level 0
    // first), creating the tables above it.
    uint64_t descriptor_address(uint64_t root, uint64_t iova, unsigned level) {
        uint64_t table = root;
        for (unsigned l = 0;; ++l) {
            uint64_t pa = table + ((iova >> (12 + 9 * (3 - l))) & 0x1ff) * 8;
            if (l == level)
                return pa;
            uint64_t entry = descriptor(pa);
            if (!(entry & PTE_VALID)) {
                entry = new_table() | PTE_TYPE_TABLE;
                set_descriptor(pa, entry);
            }
            table = entry & PTE_ADDR_MASK;
        }
    }
    // Maps `iova` with `value` as its leaf at `level` (3: a page, 2: a 2 MiB block); returns the
    // leaf's address.
    uint64_t map(uint64_t root, uint64_t iova, uint64_t value, unsigned level = 3) {
        uint64_t pa = descriptor_address(root, iova, level);
        set_descriptor(pa, value);
        return pa;
    }

    Translation translate(uint32_t sid, uint64_t iova, bool write, unsigned length = 64) {
        Translation t;
        models::Initiator who = device;
        who.stream_id = sid;
        t.status = smmu.translate(sid, iova, length, write, who, t.pa, t.delay_ps);
        return t;
    }
};

}  // namespace smmu_sim
