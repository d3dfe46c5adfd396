// The SMMU model with the values of the architecture and of Linux's arm-smmu driver: the ID registers
// arm_smmu_device_cfg_probe decodes, the SMR probe, 64-bit registers, context faults as
// arm_smmu_context_fault reads them, global faults, stream matching and bypass, the IOTLB (hits,
// LRU, invalidation by VA, ASID and context), blocks, and the walk's timing. One elaboration per test
// case.
#include "smmu_sim.h"

#include "models/common/instrumentation.h"

#include <catch2/catch.hpp>

using namespace smmu_sim;

namespace {

constexpr unsigned bank = 2;  // not 0, so that the fault syndromes and interrupt index show it
constexpr uint16_t asid = 1;
constexpr uint32_t sid = 0x10;
constexpr uint64_t iova = 0x10000000;

// A rig with context bank `bank` translating stream `sid` through tables mapping `iova` to
// data_base, read-write.
struct MappedRig : Rig {
    uint64_t root;
    uint64_t leaf_pa;

    explicit MappedRig(const models::SmmuConfig& config = default_config(), bool fault_unmatched = false)
        : Rig(config), root(new_table()), leaf_pa(map(root, iova, leaf(data_base))) {
        elaborate();
        program_context(bank, asid, root);
        match_stream(0, sid, 0, bank);
        enable(fault_unmatched);
    }
    uint64_t tlbiva_value(uint64_t va, uint16_t for_asid) const { return va >> 12 | uint64_t(for_asid) << 48; }
};

class EventLog : public models::EventSink {
public:
    void on_event(const models::Event& event) override { events.push_back(event); }
    const models::FieldValue* field(size_t index, const std::string& key) const {
        for (const models::Field& f : events.at(index).fields)
            if (f.key == key)
                return &f.value;
        return nullptr;
    }
    std::vector<models::Event> events;
};

}  // namespace

TEST_CASE("smmu: ID registers as arm_smmu_device_cfg_probe decodes them", "[smmu]") {
    models::Instrumentation instr;
    models::Smmu smmu("smmu0", models::SmmuConfig{}, instr);
    uint32_t id0 = smmu.peek_register(GR0_ID0);
    CHECK((id0 & ID0_S1TS) != 0);
    CHECK((id0 & (ID0_S2TS | ID0_NTS)) == 0);  // stage 1 only
    CHECK((id0 & ID0_SMS) != 0);
    CHECK((id0 & ID0_ATOSNS) != 0);  // no ATS1PR: Linux walks in software (iova_to_phys)
    CHECK((id0 & ID0_PTFS_NO_AARCH32) != 0);
    CHECK((id0 & ID0_PTFS_NO_AARCH32S) != 0);
    CHECK((id0 & ID0_CTTW) == 0);
    CHECK((id0 & ID0_EXIDS) == 0);
    CHECK(field_get(id0, ID0_NUMSIDB_HI, ID0_NUMSIDB_LO) == 15);
    CHECK(field_get(id0, ID0_NUMSMRG_HI, ID0_NUMSMRG_LO) == 16);
    CHECK(field_get(id0, ID0_NUMIRPT_HI, ID0_NUMIRPT_LO) == 8);
    uint32_t id1 = smmu.peek_register(GR0_ID1);
    CHECK((id1 & ID1_PAGESIZE) == 0);  // 4 KiB register pages: pgshift 12
    CHECK(field_get(id1, ID1_NUMCB_HI, ID1_NUMCB_LO) == 8);
    CHECK(field_get(id1, ID1_NUMS2CB_HI, ID1_NUMS2CB_LO) == 0);
    // numpage = 1 << (NUMPAGENDXB + 1) = 8 pages of global space, and Linux's size check:
    // 2 * numpage << pgshift is the register file.
    unsigned numpage = 1u << (field_get(id1, ID1_NUMPAGENDXB_HI, ID1_NUMPAGENDXB_LO) + 1);
    CHECK(numpage == 8);
    CHECK(smmu.register_file_size() == 0x10000);
    uint32_t id2 = smmu.peek_register(GR0_ID2);
    CHECK((id2 & ID2_PTFS_4K) != 0);
    CHECK((id2 & (ID2_PTFS_16K | ID2_PTFS_64K)) == 0);
    CHECK(id_size_to_bits(field_get(id2, ID2_UBS_HI, ID2_UBS_LO)) == 48);
    CHECK(id_size_to_bits(field_get(id2, ID2_OAS_HI, ID2_OAS_LO)) == 48);
    CHECK(id_size_to_bits(field_get(id2, ID2_IAS_HI, ID2_IAS_LO)) == 48);
    CHECK(field_get(smmu.peek_register(GR0_ID7), 7, 4) == 2);  // MMU-500 r2
    CHECK(smmu.peek_register(GR0_sCR0) == sCR0_CLIENTPD);      // bypass until the driver resets it

    models::SmmuConfig other;
    other.coherent_walk = true;
    other.context_banks = 9;
    other.input_address_bits = 40;
    models::Smmu coherent("smmu1", other, instr);
    CHECK((coherent.peek_register(GR0_ID0) & ID0_CTTW) != 0);  // ARM_SMMU_FEAT_COHERENT_WALK
    CHECK(field_get(coherent.peek_register(GR0_ID1), ID1_NUMPAGENDXB_HI, ID1_NUMPAGENDXB_LO) == 3);  // 16 pages
    CHECK(coherent.register_file_size() == 0x20000);
    CHECK(id_size_to_bits(field_get(coherent.peek_register(GR0_ID2), ID2_UBS_HI, ID2_UBS_LO)) == 40);
}

TEST_CASE("smmu: config_error names the property at fault", "[smmu]") {
    models::SmmuConfig config;
    CHECK(models::Smmu::config_error(config).empty());
    config.iotlb_ways = 256;
    config.iotlb_entries = 512;
    CHECK(models::Smmu::config_error(config).rfind("dmasim,iotlb-ways:", 0) == 0);
    config.iotlb_ways = 8;
    config.iotlb_entries = 4;
    CHECK(models::Smmu::config_error(config) == "dmasim,iotlb-ways: expected at most dmasim,iotlb-entries (4), got 8");
    config.iotlb_entries = 96;
    CHECK(models::Smmu::config_error(config).rfind("dmasim,iotlb-entries:", 0) == 0);
    config = models::SmmuConfig{};
    config.context_banks = 0;
    CHECK(models::Smmu::config_error(config).rfind("dmasim,context-banks:", 0) == 0);
    config = models::SmmuConfig{};
    config.stream_id_bits = 16;  // SMR.MASK would reach VALID
    CHECK(models::Smmu::config_error(config).rfind("stream_id_bits:", 0) == 0);
    models::Instrumentation instr;
    CHECK_THROWS_AS(models::Smmu("smmu0", config, instr), std::invalid_argument);
}

TEST_CASE("smmu: SMR keeps only the implemented stream ID bits (arm_smmu_test_smr_masks)", "[smmu]") {
    models::SmmuConfig config = default_config();
    config.stream_id_bits = 10;
    Rig rig(config);
    rig.elaborate();
    // The probe writes streamid_mask into SMR.ID, reads it back, then into SMR.MASK.
    rig.write32(GR0_SMR(3), field_prep(0x7fff, SMR_ID_HI, SMR_ID_LO));
    CHECK(field_get(rig.gr0(GR0_SMR(3)), SMR_ID_HI, SMR_ID_LO) == 0x3ff);
    rig.write32(GR0_SMR(3), field_prep(0x7fff, SMR_MASK_HI, SMR_MASK_LO));
    CHECK(field_get(rig.gr0(GR0_SMR(3)), SMR_MASK_HI, SMR_MASK_LO) == 0x3ff);
    // Beyond the groups the SMMU has, nothing.
    rig.write32(GR0_SMR(16), SMR_VALID | 1);
    CHECK(rig.gr0(GR0_SMR(16)) == 0);
    // ID registers are read-only.
    rig.write32(GR0_ID0, 0);
    CHECK(rig.gr0(GR0_ID0) == rig.smmu.peek_register(GR0_ID0));
    CHECK(rig.gr0(GR0_ID0) != 0);
}

TEST_CASE("smmu: 64-bit registers are one 64-bit access or two 32-bit halves", "[smmu]") {
    Rig rig;
    rig.elaborate();
    uint64_t ttbr = 0x0005000080123000;
    rig.write_cb64(1, CB_TTBR0, ttbr);
    CHECK(rig.cb(1, CB_TTBR0) == 0x80123000);
    CHECK(rig.cb(1, CB_TTBR0 + 4) == 0x00050000);
    rig.write_cb(1, CB_TTBR0 + 4, 0x00070000);  // hi then lo, as io-64-nonatomic-hi-lo.h
    rig.write_cb(1, CB_TTBR0, 0x80456000);
    CHECK(rig.cb64(1, CB_TTBR0) == 0x0007000080456000);
    // A misaligned or odd-sized access is refused.
    uint64_t value = 0;
    CHECK(rig.regs.access(tlm::TLM_READ_COMMAND, rig.cb_page(1) + CB_TTBR0 + 4, &value, 8) ==
          tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(rig.regs.access(tlm::TLM_READ_COMMAND, GR0_ID0, &value, 2) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(rig.regs.access(tlm::TLM_READ_COMMAND, rig.smmu.register_file_size(), &value, 4) ==
          tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // TLBSYNC and sTLBGSYNC complete at once, counted.
    rig.write_cb(1, CB_TLBSYNC, 0);
    rig.write32(GR0_sTLBGSYNC, 0);
    CHECK(rig.cb(1, CB_TLBSTATUS) == 0);
    CHECK(rig.gr0(GR0_sTLBGSTATUS) == 0);
    CHECK(rig.stat("syncs") == 2);
}

TEST_CASE("smmu: a translation fault's FSR, FAR, FSYNR0, CBFRSYNRA and interrupt (arm_smmu_context_fault)", "[smmu]") {
    MappedRig rig;
    // The next page is in the same level-3 table but not mapped: a write faults at level 3.
    Translation t = rig.translate(sid, iova + 0x1000 + 0x40, true);
    CHECK(t.status == tlm::TLM_GENERIC_ERROR_RESPONSE);
    CHECK(rig.cb(bank, CB_FSR) == FSR_TF);
    CHECK(rig.cb64(bank, CB_FAR) == iova + 0x1040);
    uint32_t fsynr0 = rig.cb(bank, CB_FSYNR0);
    CHECK(field_get(fsynr0, FSYNR0_PLVL_HI, FSYNR0_PLVL_LO) == 3);
    CHECK((fsynr0 & FSYNR0_WNR) != 0);
    CHECK(field_get(fsynr0, FSYNR0_S1CBNDX_HI, FSYNR0_S1CBNDX_LO) == bank);
    CHECK(rig.gr1(GR1_CBFRSYNRA(bank)) == sid);
    REQUIRE(rig.irqs.size() == 1);
    CHECK(rig.irqs[0].index == 1 + bank);
    CHECK(rig.irqs[0].asserted);
    CHECK(rig.stat("faults.translation") == 1);

    // A second fault before software clears the first: MULTI, the syndrome stays the first's.
    Translation second = rig.translate(sid, 0x40000000, false);  // level 1 has no entry there
    CHECK(second.status == tlm::TLM_GENERIC_ERROR_RESPONSE);
    CHECK(rig.cb(bank, CB_FSR) == (FSR_TF | FSR_MULTI));
    CHECK(rig.cb64(bank, CB_FAR) == iova + 0x1040);
    CHECK(rig.stat("faults.translation") == 2);
    CHECK(rig.irqs.size() == 1);  // still asserted

    // The handler writes FSR back: write-1-to-clear, and the line falls.
    rig.write_cb(bank, CB_FSR, rig.cb(bank, CB_FSR));
    CHECK(rig.cb(bank, CB_FSR) == 0);
    REQUIRE(rig.irqs.size() == 2);
    CHECK_FALSE(rig.irqs[1].asserted);

    // Now a fault at level 1, reported as such.
    rig.translate(sid, 0x40000000, false);
    CHECK(field_get(rig.cb(bank, CB_FSYNR0), FSYNR0_PLVL_HI, FSYNR0_PLVL_LO) == 1);
    CHECK((rig.cb(bank, CB_FSYNR0) & FSYNR0_WNR) == 0);
}

TEST_CASE("smmu: without SCTLR.CFIE a fault is recorded but raises no interrupt", "[smmu]") {
    MappedRig rig;
    rig.write_cb(bank, CB_SCTLR, rig.cb(bank, CB_SCTLR) & ~SCTLR_CFIE);
    CHECK_FALSE(rig.translate(sid, iova + 0x1000, false).ok());
    CHECK(rig.cb(bank, CB_FSR) == FSR_TF);
    CHECK(rig.irqs.empty());
    rig.write_cb(bank, CB_SCTLR, rig.cb(bank, CB_SCTLR) | SCTLR_CFIE);  // enabling it with a fault pending
    REQUIRE(rig.irqs.size() == 1);
    CHECK(rig.irqs[0].asserted);
}

TEST_CASE("smmu: a write to a read-only page is a permission fault, the read is translated", "[smmu]") {
    MappedRig rig;
    uint64_t readonly = iova + 0x5000;
    rig.map(rig.root, readonly, leaf(data_base + 0x5000, 3, false));
    Translation read = rig.translate(sid, readonly + 0x80, false);
    REQUIRE(read.ok());
    CHECK(read.pa == data_base + 0x5080);
    Translation write = rig.translate(sid, readonly + 0x80, true);  // an IOTLB hit, refused
    CHECK(write.status == tlm::TLM_GENERIC_ERROR_RESPONSE);
    CHECK(rig.cb(bank, CB_FSR) == FSR_PF);
    CHECK(field_get(rig.cb(bank, CB_FSYNR0), FSYNR0_PLVL_HI, FSYNR0_PLVL_LO) == 3);
    CHECK((rig.cb(bank, CB_FSYNR0) & FSYNR0_WNR) != 0);
    CHECK(rig.cb64(bank, CB_FAR) == readonly + 0x80);
    CHECK(rig.stat("faults.permission") == 1);
    CHECK(rig.stat("walks") == 1);
}

TEST_CASE("smmu: a device's access to a privileged mapping (no AP_UNPRIV: DMA_ATTR_PRIVILEGED) faults", "[smmu]") {
    MappedRig rig;
    uint64_t privileged = iova + 0x6000;
    rig.map(rig.root, privileged, leaf(data_base + 0x6000, 3, true, true));
    CHECK_FALSE(rig.translate(sid, privileged, false).ok());
    CHECK(rig.cb(bank, CB_FSR) == FSR_PF);
    CHECK(rig.stat("faults.permission") == 1);
}

TEST_CASE("smmu: a leaf with AF clear is an access flag fault", "[smmu]") {
    MappedRig rig;
    uint64_t young = iova + 0x7000;
    rig.map(rig.root, young, leaf(data_base + 0x7000) & ~PTE_AF);
    CHECK_FALSE(rig.translate(sid, young, false).ok());
    CHECK(rig.cb(bank, CB_FSR) == FSR_AFF);
    CHECK(field_get(rig.cb(bank, CB_FSYNR0), FSYNR0_PLVL_HI, FSYNR0_PLVL_LO) == 3);
    CHECK(rig.stat("faults.access_flag") == 1);
    CHECK(rig.stat("iotlb_misses") == 1);
    CHECK_FALSE(rig.translate(sid, young, false).ok());  // not cached: walked again
    CHECK(rig.stat("walks") == 2);
}

TEST_CASE("smmu: a descriptor read the bus refuses is an external fault at that level", "[smmu]") {
    MappedRig rig;
    uint64_t elsewhere = 0x8000000000;  // another level-1 table, in a hole of the address map
    rig.set_descriptor(rig.root + (elsewhere >> 39) * 8, 0x1000 | PTE_TYPE_TABLE);
    CHECK_FALSE(rig.translate(sid, elsewhere, false).ok());
    CHECK(rig.cb(bank, CB_FSR) == FSR_EF);
    CHECK(field_get(rig.cb(bank, CB_FSYNR0), FSYNR0_PLVL_HI, FSYNR0_PLVL_LO) == 1);
    CHECK((rig.cb(bank, CB_FSYNR0) & FSYNR0_PTWF) != 0);
    CHECK(rig.stat("faults.external") == 1);
}

TEST_CASE("smmu: an IOTLB hit after a walk: four descriptor reads once, then the lookup's latency", "[smmu]") {
    MappedRig rig;
    Translation first = rig.translate(sid, iova + 0x123, false);
    REQUIRE(first.ok());
    CHECK(first.pa == data_base + 0x123);
    // 48-bit input: levels 0 to 3, each its level latency and the RAM's, after the lookup.
    CHECK(first.delay_ps == 1000 + 4 * (2000 + ram_latency_ps));
    Translation second = rig.translate(sid, iova + 0xf80, true);
    REQUIRE(second.ok());
    CHECK(second.pa == data_base + 0xf80);
    CHECK(second.delay_ps == 1000);
    CHECK(rig.stat("walks") == 1);
    CHECK(rig.stat("descriptor_reads") == 4);
    CHECK(rig.stat("iotlb_misses") == 1);
    CHECK(rig.stat("iotlb_hits") == 1);
    CHECK(rig.instr.counter_value("smmu0.bursts") == 4);  // the walker's own reads
    CHECK(rig.instr.counter_value("bus.ram.reads") == 4);
}

TEST_CASE("smmu: a full IOTLB set replaces its least recently used entry", "[smmu]") {
    models::SmmuConfig config = default_config();
    config.iotlb_entries = 8;
    config.iotlb_ways = 2;  // 4 sets: pages 4 apart share one
    MappedRig rig(config);
    uint64_t a = iova, b = iova + 4 * 0x1000, c = iova + 8 * 0x1000;
    rig.map(rig.root, b, leaf(data_base + 0x1000));
    rig.map(rig.root, c, leaf(data_base + 0x2000));
    REQUIRE(rig.translate(sid, a, false).ok());
    REQUIRE(rig.translate(sid, b, false).ok());
    REQUIRE(rig.translate(sid, a, false).ok());  // a is now the most recently used
    REQUIRE(rig.translate(sid, c, false).ok());  // replaces b
    CHECK(rig.stat("walks") == 3);
    CHECK(rig.translate(sid, a, false).pa == data_base);
    CHECK(rig.stat("walks") == 3);
    CHECK(rig.translate(sid, c, false).pa == data_base + 0x2000);
    CHECK(rig.stat("walks") == 3);
    CHECK(rig.translate(sid, b, false).pa == data_base + 0x1000);
    CHECK(rig.stat("walks") == 4);
}

TEST_CASE("smmu: TLBIVA drops the entry of its ASID only (arm_smmu_tlb_inv_range_s1)", "[smmu]") {
    MappedRig rig;
    REQUIRE(rig.translate(sid, iova, false).ok());
    rig.write_cb64(bank, CB_TLBIVA, rig.tlbiva_value(iova, asid + 1));
    REQUIRE(rig.translate(sid, iova, false).ok());
    CHECK(rig.stat("walks") == 1);  // another ASID's invalidation left it
    CHECK(rig.stat("invalidations") == 1);
    // The same value as two halves, high first: the low word sets it off.
    uint64_t value = rig.tlbiva_value(iova, asid);
    rig.write_cb(bank, CB_TLBIVA + 4, static_cast<uint32_t>(value >> 32));
    REQUIRE(rig.translate(sid, iova, false).ok());
    CHECK(rig.stat("walks") == 1);
    rig.write_cb(bank, CB_TLBIVA, static_cast<uint32_t>(value));
    REQUIRE(rig.translate(sid, iova, false).ok());
    CHECK(rig.stat("walks") == 2);
    // TLBIVAL (leaf only) drops it too; TLBIVAA whatever the ASID.
    rig.write_cb64(bank, CB_TLBIVAL, value);
    REQUIRE(rig.translate(sid, iova, false).ok());
    CHECK(rig.stat("walks") == 3);
    rig.write_cb64(bank, CB_TLBIVAA, iova >> 12);
    REQUIRE(rig.translate(sid, iova, false).ok());
    CHECK(rig.stat("walks") == 4);
    CHECK(rig.stat("invalidations") == 4);
}

TEST_CASE("smmu: TLBIASID and TLBIALL per context bank, TLBIALLNSNH for all", "[smmu]") {
    MappedRig rig;
    constexpr unsigned other_bank = 5;
    constexpr uint32_t other_sid = 0x22;
    rig.program_context(other_bank, asid + 1, rig.root);  // the same tables under another ASID
    rig.match_stream(1, other_sid, 0, other_bank);
    auto walks_for = [&](uint32_t stream) {
        uint64_t before = rig.stat("walks");
        REQUIRE(rig.translate(stream, iova, false).ok());
        return rig.stat("walks") - before;
    };
    CHECK(walks_for(sid) == 1);
    CHECK(walks_for(other_sid) == 1);
    rig.write_cb(bank, CB_TLBIASID, asid);
    CHECK(walks_for(sid) == 1);
    CHECK(walks_for(other_sid) == 0);
    rig.write_cb(bank, CB_TLBIALL, 0);
    CHECK(walks_for(sid) == 1);
    CHECK(walks_for(other_sid) == 0);
    rig.write32(GR0_TLBIALLNSNH, 0);
    CHECK(walks_for(sid) == 1);
    CHECK(walks_for(other_sid) == 1);
}

TEST_CASE("smmu: a 2 MiB block at level 2, invalidated by a VA anywhere in it", "[smmu]") {
    MappedRig rig;
    uint64_t block = 0x40200000;
    rig.map(rig.root, block, leaf(data_base, 2), 2);
    Translation t = rig.translate(sid, block + 0x12345, true);
    REQUIRE(t.ok());
    CHECK(t.pa == data_base + 0x12345);
    CHECK(rig.stat("descriptor_reads") == 3);  // levels 0, 1, 2
    CHECK(rig.translate(sid, block + 0x12000, false).pa == data_base + 0x12000);
    CHECK(rig.stat("walks") == 1);
    // Unmapping the block invalidates its base VA (io-pgtable's tlb_add_page with the block size).
    rig.write_cb64(bank, CB_TLBIVA, rig.tlbiva_value(block, asid));
    REQUIRE(rig.translate(sid, block + 0x12345, false).ok());
    CHECK(rig.stat("walks") == 2);
}

TEST_CASE("smmu: SMR masking matches a stream ID through the mask only", "[smmu]") {
    MappedRig rig;
    rig.match_stream(0, 0x40, 0x0f, bank);  // IDs 0x40-0x4f
    Translation masked = rig.translate(0x4a, iova, false);
    REQUIRE(masked.ok());
    CHECK(masked.pa == data_base);
    CHECK(rig.stat("walks") == 1);
    Translation outside = rig.translate(sid, iova, false);  // 0x10 no longer matches: bypass
    REQUIRE(outside.ok());
    CHECK(outside.pa == iova);
    CHECK(rig.stat("bypassed") == 1);
}

TEST_CASE("smmu: an unmatched stream bypasses with USFCFG clear", "[smmu]") {
    MappedRig rig(default_config(), false);
    Translation t = rig.translate(0x33, iova + 0x10, true);
    REQUIRE(t.ok());
    CHECK(t.pa == iova + 0x10);
    CHECK(rig.stat("bypassed") == 1);
    CHECK(rig.gr0(GR0_sGFSR) == 0);
    CHECK(rig.irqs.empty());
}

TEST_CASE("smmu: an unmatched stream with USFCFG set is a global fault (arm_smmu_global_fault)", "[smmu]") {
    MappedRig rig(default_config(), true);
    Translation t = rig.translate(0x33, iova + 0x10, true);
    CHECK(t.status == tlm::TLM_GENERIC_ERROR_RESPONSE);
    CHECK(rig.gr0(GR0_sGFSR) == sGFSR_USF);
    CHECK(rig.gr0(GR0_sGFSYNR0) == sGFSYNR0_WNR);
    CHECK(rig.gr0(GR0_sGFSYNR1) == 0x33);
    CHECK(rig.read64(GR0_sGFAR) == iova + 0x10);
    CHECK(rig.stat("faults.global") == 1);
    REQUIRE(rig.irqs.size() == 1);
    CHECK(rig.irqs[0].index == 0);
    CHECK(rig.irqs[0].asserted);
    rig.write32(GR0_sGFSR, sGFSR_USF);
    CHECK(rig.gr0(GR0_sGFSR) == 0);
    REQUIRE(rig.irqs.size() == 2);
    CHECK_FALSE(rig.irqs[1].asserted);
    // The matched stream still translates.
    CHECK(rig.translate(sid, iova, false).pa == data_base);
}

TEST_CASE("smmu: S2CR bypass is identity, S2CR fault refuses the stream, SCTLR.M clear is identity", "[smmu]") {
    MappedRig rig;
    rig.write32(GR0_S2CR(0), field_prep(S2CR_TYPE_BYPASS, S2CR_TYPE_HI, S2CR_TYPE_LO));
    CHECK(rig.translate(sid, iova, false).pa == iova);
    rig.write32(GR0_S2CR(0), field_prep(S2CR_TYPE_FAULT, S2CR_TYPE_HI, S2CR_TYPE_LO));
    CHECK_FALSE(rig.translate(sid, iova, false).ok());
    CHECK(rig.gr0(GR0_sGFSR) == sGFSR_USF);
    CHECK(rig.gr0(GR0_sGFSYNR1) == sid);
    rig.match_stream(0, sid, 0, bank);
    rig.write_cb(bank, CB_SCTLR, 0);
    CHECK(rig.translate(sid, iova + 8, false).pa == iova + 8);
    CHECK(rig.stat("walks") == 0);
    CHECK(rig.stat("bypassed") == 2);
}

TEST_CASE("smmu: with sCR0.CLIENTPD (its reset value) every stream bypasses", "[smmu]") {
    Rig rig;
    uint64_t root = rig.new_table();
    rig.map(root, iova, leaf(data_base));
    rig.elaborate();
    rig.program_context(bank, asid, root);
    rig.match_stream(0, sid, 0, bank);
    Translation t = rig.translate(sid, iova, false);
    REQUIRE(t.ok());
    CHECK(t.pa == iova);
    CHECK(rig.stat("walks") == 0);
    rig.enable(false);
    CHECK(rig.translate(sid, iova, false).pa == data_base);
}

TEST_CASE("smmu: walks, faults and invalidations as events", "[smmu]") {
    MappedRig rig;
    EventLog log;
    rig.instr.add_sink(&log, "smmu.*");
    REQUIRE(rig.translate(sid, iova, false).ok());
    rig.translate(sid, iova + 0x1000, true);
    rig.write_cb64(bank, CB_TLBIVA, rig.tlbiva_value(iova, asid));
    REQUIRE(log.events.size() == 4);  // walk, walk (which faults), fault, tlbi
    CHECK(*log.events[0].name == "smmu.walk");
    CHECK(log.events[0].source == "smmu0");
    CHECK(std::get<uint64_t>(*log.field(0, "iova")) == iova);
    CHECK(std::get<uint64_t>(*log.field(0, "sid")) == sid);
    CHECK(std::get<uint64_t>(*log.field(0, "cb")) == bank);
    CHECK(std::get<uint64_t>(*log.field(0, "levels")) == 4);
    CHECK(std::get<uint64_t>(*log.field(0, "duration_ps")) == 4 * (2000 + ram_latency_ps));
    CHECK(std::get<std::string>(*log.field(1, "fault")) == "translation");
    CHECK(*log.events[2].name == "smmu.fault");
    CHECK(std::get<std::string>(*log.field(2, "kind")) == "translation");
    CHECK(std::get<uint64_t>(*log.field(2, "level")) == 3);
    CHECK(std::get<uint64_t>(*log.field(2, "write")) == 1);
    CHECK(*log.events[3].name == "smmu.tlbi");
    CHECK(std::get<std::string>(*log.field(3, "op")) == "TLBIVA");
    CHECK(std::get<uint64_t>(*log.field(3, "asid")) == asid);
    CHECK(std::get<uint64_t>(*log.field(3, "dropped")) == 1);
}

TEST_CASE("smmu: properties as the arm,mmu-500 node's dmasim,* take them", "[smmu]") {
    const auto& table = models::Smmu::properties();
    models::SmmuConfig config = table.defaults;
    table.at("dmasim,iotlb-latency-ns").set(config, 3);
    table.at("dmasim,walk-level-latency-ns").set(config, 7);
    CHECK(config.iotlb_hit_latency_ps == 3000);
    CHECK(config.walk_level_latency_ps == 7000);
    CHECK(table.value(table.defaults, "dmasim,iotlb-entries") == 128);
    CHECK(table.value(table.defaults, "dmasim,iotlb-ways") == 4);
    CHECK(table.value(table.defaults, "dmasim,context-banks") == 8);
    CHECK(table.value(table.defaults, "dmasim,stream-match-groups") == 16);
    CHECK_FALSE(table.at("dmasim,context-banks").allows(129));  // Linux's ARM_SMMU_MAX_CBS
    CHECK_FALSE(table.at("dmasim,iotlb-ways").allows(3));
}
