// The register interface of the Arm SMMU-500 (SMMUv2 architecture, Arm IHI 0062D), as Linux's
// drivers/iommu/arm/arm-smmu/arm-smmu.h names it: shared by the model (models/iommu/smmu.h) and
// its driver (sw/drivers/iommu/arm_smmu.h). Registers are 32 bits wide unless named 64-bit
// (TTBRn, FAR, PAR). The register file is pages of `page_size`: the global space is
// `numpage` pages (GR0 in page 0, GR1 in page 1), the context banks follow, one page each, from
// page `numpage` on (Linux's ARM_SMMU_CB(smmu, n) = numpage + n).
#pragma once

#include <cstdint>

namespace smmu {

constexpr uint32_t bit(unsigned n) { return 1u << n; }
// The field [hi:lo] of `value` and `value` placed in it, as Linux's FIELD_GET / FIELD_PREP.
constexpr uint32_t field_mask(unsigned hi, unsigned lo) {
    return (hi - lo >= 31 ? ~0u : ((1u << (hi - lo + 1)) - 1)) << lo;
}
constexpr uint32_t field_get(uint32_t value, unsigned hi, unsigned lo) { return (value & field_mask(hi, lo)) >> lo; }
constexpr uint32_t field_prep(uint32_t value, unsigned hi, unsigned lo) { return (value << lo) & field_mask(hi, lo); }

constexpr uint64_t page_size = 0x1000;  // ID1.PAGESIZE = 0: 4 KiB register pages

// --- Global register space 0 (page 0) ---
constexpr unsigned GR0_sCR0 = 0x0;
constexpr uint32_t sCR0_CLIENTPD = bit(0);  // 1: every stream bypasses translation (reset value)
constexpr uint32_t sCR0_GFRE = bit(1);      // global fault: report with an abort
constexpr uint32_t sCR0_GFIE = bit(2);      // global fault: raise the global interrupt
constexpr uint32_t sCR0_GCFGFRE = bit(4);
constexpr uint32_t sCR0_GCFGFIE = bit(5);
constexpr uint32_t sCR0_USFCFG = bit(10);  // 1: an unmatched stream faults; 0: it bypasses
constexpr uint32_t sCR0_VMIDPNE = bit(11);
constexpr uint32_t sCR0_PTM = bit(12);
constexpr uint32_t sCR0_FB = bit(13);

constexpr unsigned GR0_sACR = 0x10;  // auxiliary configuration (MMU-500: arm_mmu500_reset sets its TLB bits)

constexpr unsigned GR0_ID0 = 0x20;
constexpr unsigned ID0_NUMSMRG_HI = 7, ID0_NUMSMRG_LO = 0;  // stream match register groups
constexpr uint32_t ID0_EXIDS = bit(8);
constexpr unsigned ID0_NUMSIDB_HI = 12, ID0_NUMSIDB_LO = 9;  // stream ID bits
constexpr uint32_t ID0_BTM = bit(13);
constexpr uint32_t ID0_CTTW = bit(14);  // coherent translation table walk
constexpr unsigned ID0_NUMIRPT_HI = 23, ID0_NUMIRPT_LO = 16;
constexpr uint32_t ID0_PTFS_NO_AARCH32 = bit(25);
constexpr uint32_t ID0_PTFS_NO_AARCH32S = bit(24);
constexpr uint32_t ID0_ATOSNS = bit(26);  // no address translation operations (ATS1PR): Linux walks in software
constexpr uint32_t ID0_SMS = bit(27);     // stream matching supported (SMR groups)
constexpr uint32_t ID0_NTS = bit(28);
constexpr uint32_t ID0_S2TS = bit(29);
constexpr uint32_t ID0_S1TS = bit(30);  // stage 1 translation supported

constexpr unsigned GR0_ID1 = 0x24;
constexpr uint32_t ID1_PAGESIZE = bit(31);                            // 0: 4 KiB register pages
constexpr unsigned ID1_NUMPAGENDXB_HI = 30, ID1_NUMPAGENDXB_LO = 28;  // numpage = 2^(NUMPAGENDXB + 1)
constexpr unsigned ID1_NUMS2CB_HI = 23, ID1_NUMS2CB_LO = 16;
constexpr unsigned ID1_NUMCB_HI = 7, ID1_NUMCB_LO = 0;  // context banks

constexpr unsigned GR0_ID2 = 0x28;
constexpr uint32_t ID2_VMID16 = bit(15);
constexpr uint32_t ID2_PTFS_64K = bit(14);
constexpr uint32_t ID2_PTFS_16K = bit(13);
constexpr uint32_t ID2_PTFS_4K = bit(12);
constexpr unsigned ID2_UBS_HI = 11, ID2_UBS_LO = 8;  // upstream bus size (input address bits)
constexpr unsigned ID2_OAS_HI = 7, ID2_OAS_LO = 4;   // output address size
constexpr unsigned ID2_IAS_HI = 3, ID2_IAS_LO = 0;   // intermediate address size
// Address-size encodings of UBS/OAS/IAS (Linux's arm_smmu_id_size_to_bits).
constexpr unsigned id_size_to_bits(unsigned size) {
    return size == 0 ? 32 : size == 1 ? 36 : size == 2 ? 40 : size == 3 ? 42 : size == 4 ? 44 : 48;
}

constexpr unsigned GR0_ID7 = 0x3c;  // MAJOR [7:4], MINOR [3:0]

constexpr unsigned GR0_sGFAR = 0x40;  // 64-bit: the input address of the last global fault
constexpr unsigned GR0_sGFSR = 0x48;
constexpr uint32_t sGFSR_ICF = bit(0);
constexpr uint32_t sGFSR_USF = bit(1);  // unidentified stream fault
constexpr uint32_t sGFSR_SMCF = bit(2);
constexpr uint32_t sGFSR_UCBF = bit(3);
constexpr uint32_t sGFSR_UCIF = bit(4);
constexpr uint32_t sGFSR_CAF = bit(5);
constexpr uint32_t sGFSR_EF = bit(6);
constexpr uint32_t sGFSR_PF = bit(7);
constexpr uint32_t sGFSR_MULTI = bit(31);
constexpr unsigned GR0_sGFSYNR0 = 0x50;  // NESTED bit0, WNR bit1, PNU bit2, IND bit3, NSSTATE bit4
constexpr uint32_t sGFSYNR0_WNR = bit(1);
constexpr unsigned GR0_sGFSYNR1 = 0x54;  // STREAMID [15:0] of the faulting transaction
constexpr unsigned GR0_sGFSYNR2 = 0x58;

constexpr unsigned GR0_TLBIVMID = 0x64;
constexpr unsigned GR0_TLBIALLNSNH = 0x68;  // invalidate every non-secure non-hyp entry
constexpr unsigned GR0_TLBIALLH = 0x6c;
constexpr unsigned GR0_sTLBGSYNC = 0x70;    // write: start a global sync
constexpr unsigned GR0_sTLBGSTATUS = 0x74;  // GSACTIVE while a global sync runs
constexpr uint32_t sTLBGSTATUS_GSACTIVE = bit(0);

// Stream match register group n: a transaction's stream ID matches when
// (sid ^ ID) & ~MASK == 0 and VALID is set.
constexpr unsigned GR0_SMR(unsigned n) { return 0x800 + (n << 2); }
constexpr uint32_t SMR_VALID = bit(31);
constexpr unsigned SMR_MASK_HI = 30, SMR_MASK_LO = 16;  // Linux's ARM_SMMU_SMR_MASK without VALID
constexpr unsigned SMR_ID_HI = 15, SMR_ID_LO = 0;
// Stream-to-context register n: what a stream matching SMR(n) gets.
constexpr unsigned GR0_S2CR(unsigned n) { return 0xc00 + (n << 2); }
constexpr unsigned S2CR_CBNDX_HI = 7, S2CR_CBNDX_LO = 0;
constexpr uint32_t S2CR_EXIDVALID = bit(10);
constexpr unsigned S2CR_TYPE_HI = 17, S2CR_TYPE_LO = 16;
constexpr uint32_t S2CR_TYPE_TRANS = 0;
constexpr uint32_t S2CR_TYPE_BYPASS = 1;
constexpr uint32_t S2CR_TYPE_FAULT = 2;
constexpr unsigned S2CR_PRIVCFG_HI = 25, S2CR_PRIVCFG_LO = 24;

// --- Global register space 1 (page 1): per context bank n ---
constexpr unsigned GR1_CBAR(unsigned n) { return 0x0 + (n << 2); }
constexpr unsigned CBAR_VMID_HI = 7, CBAR_VMID_LO = 0;
constexpr unsigned CBAR_S1_BPSHCFG_HI = 9, CBAR_S1_BPSHCFG_LO = 8;
constexpr uint32_t CBAR_S1_BPSHCFG_NSH = 3;
constexpr unsigned CBAR_S1_MEMATTR_HI = 15, CBAR_S1_MEMATTR_LO = 12;
constexpr unsigned CBAR_TYPE_HI = 17, CBAR_TYPE_LO = 16;
constexpr uint32_t CBAR_TYPE_S2_TRANS = 0;
constexpr uint32_t CBAR_TYPE_S1_TRANS_S2_BYPASS = 1;
constexpr uint32_t CBAR_TYPE_S1_TRANS_S2_FAULT = 2;
constexpr uint32_t CBAR_TYPE_S1_TRANS_S2_TRANS = 3;
constexpr unsigned CBAR_IRPTNDX_HI = 31, CBAR_IRPTNDX_LO = 24;
constexpr unsigned GR1_CBFRSYNRA(unsigned n) { return 0x400 + (n << 2); }  // SID [15:0] of the last fault
constexpr unsigned GR1_CBA2R(unsigned n) { return 0x800 + (n << 2); }
constexpr uint32_t CBA2R_VA64 = bit(0);  // AArch64 translation format

// --- Context bank registers (offsets in the bank's page) ---
constexpr unsigned CB_SCTLR = 0x0;
constexpr uint32_t SCTLR_M = bit(0);  // translation enabled
constexpr uint32_t SCTLR_TRE = bit(1);
constexpr uint32_t SCTLR_AFE = bit(2);   // AP[0] is an access-flag... (Linux sets it; AF faults if clear)
constexpr uint32_t SCTLR_CFRE = bit(5);  // context fault: abort the transaction
constexpr uint32_t SCTLR_CFIE = bit(6);  // context fault: raise the context interrupt
constexpr uint32_t SCTLR_ASIDPNE = bit(12);
constexpr unsigned CB_ACTLR = 0x4;
constexpr unsigned CB_RESUME = 0x8;
constexpr unsigned CB_TCR2 = 0x10;
constexpr unsigned TCR2_PASIZE_HI = 3, TCR2_PASIZE_LO = 0;
constexpr uint32_t TCR2_AS = bit(4);  // 16-bit ASIDs
constexpr unsigned TCR2_SEP_HI = 17, TCR2_SEP_LO = 15;
constexpr uint32_t TCR2_SEP_UPSTREAM = 7;
constexpr unsigned CB_TTBR0 = 0x20;  // 64-bit: table base [47:0] (4 KiB aligned), ASID [63:48]
constexpr unsigned CB_TTBR1 = 0x28;
constexpr unsigned TTBRn_ASID_SHIFT = 48;
constexpr unsigned CB_TCR = 0x30;  // TTBCR: Linux's ARM_LPAE_TCR_* fields for TTBR0
constexpr unsigned TCR_T0SZ_HI = 5, TCR_T0SZ_LO = 0;
constexpr uint32_t TCR_EPD0 = bit(7);
constexpr unsigned TCR_IRGN0_HI = 9, TCR_IRGN0_LO = 8;
constexpr unsigned TCR_ORGN0_HI = 11, TCR_ORGN0_LO = 10;
constexpr unsigned TCR_SH0_HI = 13, TCR_SH0_LO = 12;
constexpr unsigned TCR_TG0_HI = 15, TCR_TG0_LO = 14;  // 0: 4 KiB granule
constexpr uint32_t TCR_EPD1 = bit(23);
constexpr uint32_t TCR_EAE = bit(31);
// TCR's RGN and SH encodings (Linux's ARM_LPAE_TCR_RGN_*, ARM_LPAE_TCR_SH_*).
constexpr uint32_t TCR_RGN_NC = 0;
constexpr uint32_t TCR_RGN_WBWA = 1;
constexpr uint32_t TCR_SH_OS = 2;
constexpr uint32_t TCR_SH_IS = 3;
constexpr unsigned CB_CONTEXTIDR = 0x34;
constexpr unsigned CB_S1_MAIR0 = 0x38;
constexpr unsigned CB_S1_MAIR1 = 0x3c;
constexpr unsigned CB_PAR = 0x50;
constexpr unsigned CB_FSR = 0x58;     // write 1 to clear
constexpr uint32_t FSR_TF = bit(1);   // translation fault
constexpr uint32_t FSR_AFF = bit(2);  // access flag fault
constexpr uint32_t FSR_PF = bit(3);   // permission fault
constexpr uint32_t FSR_EF = bit(4);   // external fault (a walk's bus error)
constexpr uint32_t FSR_TLBMCF = bit(5);
constexpr uint32_t FSR_TLBLKF = bit(6);
constexpr uint32_t FSR_ASF = bit(7);
constexpr uint32_t FSR_UUT = bit(8);
constexpr uint32_t FSR_SS = bit(30);
constexpr uint32_t FSR_MULTI = bit(31);
constexpr uint32_t FSR_FAULT = FSR_MULTI | FSR_SS | FSR_UUT | FSR_EF | FSR_PF | FSR_TF | FSR_AFF | FSR_TLBMCF |
                               FSR_TLBLKF;
constexpr unsigned CB_FSRRESTORE = 0x5c;
constexpr unsigned CB_FAR = 0x60;  // 64-bit: the faulting input address
constexpr unsigned CB_FSYNR0 = 0x68;
constexpr unsigned FSYNR0_PLVL_HI = 1, FSYNR0_PLVL_LO = 0;  // the lookup level that faulted
constexpr uint32_t FSYNR0_WNR = bit(4);                     // the faulting access was a write
constexpr uint32_t FSYNR0_PNU = bit(5);                     // privileged
constexpr uint32_t FSYNR0_IND = bit(6);                     // instruction
constexpr uint32_t FSYNR0_NSATTR = bit(8);
constexpr uint32_t FSYNR0_PTWF = bit(10);  // the fault happened on a table walk's own access
constexpr uint32_t FSYNR0_AFR = bit(11);
constexpr unsigned FSYNR0_S1CBNDX_HI = 23, FSYNR0_S1CBNDX_LO = 16;
constexpr unsigned CB_FSYNR1 = 0x6c;
constexpr unsigned CB_TLBIVA = 0x600;    // 64-bit: VA [43:0] = iova >> 12, ASID [63:48]
constexpr unsigned CB_TLBIVAA = 0x608;   // 64-bit: VA only, any ASID
constexpr unsigned CB_TLBIASID = 0x610;  // the ASID
constexpr unsigned CB_TLBIALL = 0x618;
constexpr unsigned CB_TLBIVAL = 0x620;  // as TLBIVA, last-level (leaf) entries only
constexpr unsigned CB_TLBIVAAL = 0x628;
constexpr unsigned CB_TLBSYNC = 0x7f0;    // write: start a context sync
constexpr unsigned CB_TLBSTATUS = 0x7f4;  // SACTIVE while it runs
constexpr uint32_t TLBSTATUS_SACTIVE = bit(0);

// Linux's MAIR for io-pgtable-arm stage 1 (ARM_LPAE_MAIR_ATTR_*): index 0 non-cacheable, 1
// write-back cacheable, 2 Device-nGnRE, 3 inner non-cacheable outer write-back.
constexpr unsigned MAIR_ATTR_IDX_NC = 0;
constexpr unsigned MAIR_ATTR_IDX_CACHE = 1;
constexpr unsigned MAIR_ATTR_IDX_DEV = 2;
constexpr unsigned MAIR_ATTR_IDX_INC_OCACHE = 3;
constexpr uint32_t MAIR_ATTR_NC = 0x44;
constexpr uint32_t MAIR_ATTR_WBRWA = 0xff;
constexpr uint32_t MAIR_ATTR_DEVICE = 0x04;
constexpr uint32_t MAIR_ATTR_INC_OWBRWA = 0xf4;

// AArch64 long-descriptor fields (Linux's ARM_LPAE_PTE_* in io-pgtable-arm.c), 4 KiB granule:
// 9 bits of IOVA per level, levels 0-3, output address bits [47:12].
constexpr uint64_t PTE_VALID = 1;
constexpr uint64_t PTE_TYPE_MASK = 3;
constexpr uint64_t PTE_TYPE_BLOCK = 1;  // levels 1-2
constexpr uint64_t PTE_TYPE_TABLE = 3;  // levels 0-2
constexpr uint64_t PTE_TYPE_PAGE = 3;   // level 3
constexpr uint64_t PTE_ADDR_MASK = 0x0000fffffffff000ULL;
constexpr uint64_t PTE_NSTABLE = 1ULL << 63;
constexpr uint64_t PTE_XN = 3ULL << 53;
constexpr uint64_t PTE_AF = 1ULL << 10;
constexpr uint64_t PTE_SH_NS = 0ULL << 8;
constexpr uint64_t PTE_SH_OS = 2ULL << 8;
constexpr uint64_t PTE_SH_IS = 3ULL << 8;
constexpr uint64_t PTE_NS = 1ULL << 5;
constexpr uint64_t PTE_nG = 1ULL << 11;
constexpr uint64_t PTE_AP_UNPRIV = 1ULL << 6;  // AP[1]: unprivileged access allowed
constexpr uint64_t PTE_AP_RDONLY = 2ULL << 6;  // AP[2]: read-only
constexpr unsigned PTE_ATTRINDX_SHIFT = 2;
constexpr uint64_t PTE_ATTRINDX_MASK = 7ULL << PTE_ATTRINDX_SHIFT;
constexpr unsigned granule_shift = 12;
constexpr unsigned bits_per_level = 9;

}  // namespace smmu
