#include "models/iommu/smmu_register_file.h"

#include "models/iommu/smmu.h"

namespace models {

using namespace smmu;

namespace {

// Linux's arm_smmu_id_size_to_bits, backwards: the ID2 encoding of an address size.
uint32_t id_size_code(unsigned bits) {
    for (unsigned code = 0; code < 5; ++code)
        if (id_size_to_bits(code) >= bits)
            return code;
    return 5;
}

// The smallest numpage = 2^(NUMPAGENDXB + 1) whose context-bank half holds `banks`.
unsigned numpage_for(unsigned banks) {
    unsigned numpage = 2;
    while (numpage < banks)
        numpage *= 2;
    return numpage;
}

constexpr uint32_t id7_r2p4 = 0x24;  // MMU-500 r2p4: MAJOR 2 (arm_mmu500_reset reads it), MINOR 4

}  // namespace

SmmuRegisterFile::SmmuRegisterFile(const SmmuConfig& config)
    : numpage_(numpage_for(config.context_banks)), context_banks_(config.context_banks),
      stream_match_groups_(config.stream_match_groups), words_(size() / 4, 0) {
    uint32_t sid_mask = (1u << config.stream_id_bits) - 1;
    smr_writable_ = SMR_VALID | field_prep(sid_mask, SMR_MASK_HI, SMR_MASK_LO) |
                    field_prep(sid_mask, SMR_ID_HI, SMR_ID_LO);
    // What an MMU-500 with stage 1 only reports; no AArch32 formats and no hardware ATS1PR, so
    // that Linux's arm_smmu_device_cfg_probe picks the AArch64 4 KiB format and walks in software.
    set_gr0(GR0_ID0, ID0_S1TS | ID0_SMS | ID0_ATOSNS | ID0_PTFS_NO_AARCH32 | ID0_PTFS_NO_AARCH32S |
                         field_prep(config.context_banks, ID0_NUMIRPT_HI, ID0_NUMIRPT_LO) |
                         (config.coherent_walk ? ID0_CTTW : 0) |
                         field_prep(config.stream_id_bits, ID0_NUMSIDB_HI, ID0_NUMSIDB_LO) |
                         field_prep(config.stream_match_groups, ID0_NUMSMRG_HI, ID0_NUMSMRG_LO));
    unsigned numpagendxb = static_cast<unsigned>(__builtin_ctz(numpage_)) - 1;
    set_gr0(GR0_ID1, field_prep(numpagendxb, ID1_NUMPAGENDXB_HI, ID1_NUMPAGENDXB_LO) |
                         field_prep(config.context_banks, ID1_NUMCB_HI, ID1_NUMCB_LO));
    set_gr0(GR0_ID2, ID2_PTFS_4K | field_prep(id_size_code(config.input_address_bits), ID2_UBS_HI, ID2_UBS_LO) |
                         field_prep(id_size_code(config.output_address_bits), ID2_OAS_HI, ID2_OAS_LO) |
                         field_prep(id_size_code(config.output_address_bits), ID2_IAS_HI, ID2_IAS_LO));
    set_gr0(GR0_ID7, id7_r2p4);
    set_gr0(GR0_sCR0, sCR0_CLIENTPD);
}

SmmuRegisterFile::Location SmmuRegisterFile::locate(uint64_t offset) const {
    Location where;
    uint64_t page = offset / page_size;
    where.offset = static_cast<unsigned>(offset % page_size);
    if (page == 0) {
        where.space = Location::Space::gr0;
    } else if (page == 1) {
        where.space = Location::Space::gr1;
    } else if (page >= numpage_ && page - numpage_ < context_banks_) {
        where.space = Location::Space::context_bank;
        where.bank = static_cast<unsigned>(page - numpage_);
    }
    return where;
}

SmmuRegisterFile::Kind SmmuRegisterFile::kind(const Location& where) const {
    unsigned offset = where.offset;
    switch (where.space) {
    case Location::Space::gr0:
        if (offset >= GR0_SMR(0) && offset < GR0_SMR(stream_match_groups_))
            return Kind::smr;
        if (offset >= GR0_S2CR(0) && offset < GR0_S2CR(stream_match_groups_))
            return Kind::plain;
        switch (offset) {
        case GR0_sCR0:
        case GR0_sACR:
        case GR0_sGFAR:
        case GR0_sGFAR + 4:
        case GR0_sGFSYNR0:
        case GR0_sGFSYNR1:
        case GR0_sGFSYNR2: return Kind::plain;
        case GR0_sGFSR: return Kind::write_one_to_clear;
        case GR0_TLBIVMID:
        case GR0_TLBIALLNSNH:
        case GR0_TLBIALLH:
        case GR0_sTLBGSYNC: return Kind::write_only;
        case GR0_sTLBGSTATUS: return Kind::read_only;
        default: return offset >= GR0_ID0 && offset <= GR0_ID7 ? Kind::read_only : Kind::unimplemented;
        }
    case Location::Space::gr1:
        for (unsigned base : {GR1_CBAR(0), GR1_CBFRSYNRA(0), GR1_CBA2R(0)})
            if (offset >= base && offset < base + 4 * context_banks_)
                return Kind::plain;
        return Kind::unimplemented;
    case Location::Space::context_bank:
        switch (offset) {
        case CB_SCTLR:
        case CB_ACTLR:
        case CB_TCR2:
        case CB_TTBR0:
        case CB_TTBR0 + 4:
        case CB_TTBR1:
        case CB_TTBR1 + 4:
        case CB_TCR:
        case CB_CONTEXTIDR:
        case CB_S1_MAIR0:
        case CB_S1_MAIR1:
        case CB_PAR:
        case CB_PAR + 4:
        case CB_FAR:
        case CB_FAR + 4:
        case CB_FSYNR0:
        case CB_FSYNR1: return Kind::plain;
        case CB_FSR: return Kind::write_one_to_clear;
        case CB_FSRRESTORE: return Kind::fsr_restore;
        case CB_TLBSTATUS: return Kind::read_only;
        case CB_RESUME:
        case CB_TLBIASID:
        case CB_TLBIALL:
        case CB_TLBSYNC: return Kind::write_only;
        default:
            // The 64-bit invalidations by VA: TLBIVA, TLBIVAA, TLBIVAL, TLBIVAAL.
            return offset >= CB_TLBIVA && offset < CB_TLBIVAAL + 8 ? Kind::write_only : Kind::unimplemented;
        }
    case Location::Space::none: return Kind::unimplemented;
    }
    return Kind::unimplemented;
}

uint32_t SmmuRegisterFile::read(uint64_t offset) const {
    Kind k = kind(locate(offset));
    return k == Kind::unimplemented || k == Kind::write_only || k == Kind::fsr_restore ? 0 : words_[offset / 4];
}

SmmuRegisterFile::Location SmmuRegisterFile::write(uint64_t offset, uint32_t value) {
    Location where = locate(offset);
    uint32_t& word = words_[offset / 4];
    switch (kind(where)) {
    case Kind::unimplemented:
    case Kind::read_only: break;
    case Kind::plain:
    case Kind::write_only: word = value; break;
    case Kind::write_one_to_clear: word &= ~value; break;
    case Kind::fsr_restore:
        word = value;
        set_cb(where.bank, CB_FSR, value);
        break;
    case Kind::smr: word = value & smr_writable_; break;
    }
    return where;
}

}  // namespace models
