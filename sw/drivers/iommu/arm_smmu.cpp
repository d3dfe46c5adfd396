#include "sw/drivers/iommu/arm_smmu.h"

#include "dma/context.h"
#include "dma/device.h"
#include "dma/mapping.h"
#include "models/cpu/core.h"
#include "models/iommu/smmu_regs.h"
#include "sw/drivers/iommu/arm_smmu_domain.h"
#include "sw/drivers/iommu/arm_smmu_io.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <cerrno>
#include <fmt/format.h>
#include <optional>

namespace sw {

using namespace smmu;

namespace {

// Linux's arm-smmu.h names the shared register header does not have.
constexpr uint32_t scr0_bsu = field_mask(15, 14);         // ARM_SMMU_sCR0_BSU: barrier shareability upgrade
constexpr uint32_t cbar_s1_memattr_wb = 0xf;              // ARM_SMMU_CBAR_S1_MEMATTR_WB
constexpr unsigned fwid_mask_hi = 31, fwid_mask_lo = 16;  // ARM_SMMU_SMR_MASK: a fwspec ID's mask
constexpr unsigned fwid_id_hi = 15, fwid_id_lo = 0;       // ARM_SMMU_SMR_ID
constexpr unsigned id7_major_hi = 7, id7_major_lo = 4;    // ARM_SMMU_ID7_MAJOR
// MMU-500's implementation-defined bits (arm-smmu-impl.c).
constexpr uint32_t mmu500_acr_cache_lock = bit(26);   // ARM_MMU500_ACR_CACHE_LOCK
constexpr uint32_t mmu500_acr_s2crb_tlben = bit(10);  // ARM_MMU500_ACR_S2CRB_TLBEN
constexpr uint32_t mmu500_acr_smtnmb_tlben = bit(8);  // ARM_MMU500_ACR_SMTNMB_TLBEN
constexpr uint32_t mmu500_actlr_cpre = bit(1);        // ARM_MMU500_ACTLR_CPRE

constexpr uint64_t sz_4k = 1ULL << 12, sz_16k = 1ULL << 14, sz_64k = 1ULL << 16, sz_1m = 1ULL << 20, sz_2m = 1ULL << 21,
                   sz_16m = 1ULL << 24, sz_32m = 1ULL << 25, sz_512m = 1ULL << 29, sz_1g = 1ULL << 30;

// Linux's ___ratelimit with DEFAULT_RATELIMIT_INTERVAL (5 s) and DEFAULT_RATELIMIT_BURST (10),
// on simulated time: whether to print, and the count of suppressed messages to report first.
class Ratelimit {
public:
    explicit Ratelimit(const char* func) : func_(func) {}
    bool allow(uint64_t now_ps, ArmSmmuIo& io) {
        if (!started_ || now_ps >= begin_ps_ + interval_ps) {
            if (missed_)
                io.log(fmt::format("{}: {} callbacks suppressed", func_, missed_));
            started_ = true;
            begin_ps_ = now_ps;
            printed_ = missed_ = 0;
        }
        if (printed_ < burst) {
            ++printed_;
            return true;
        }
        ++missed_;
        return false;
    }

private:
    static constexpr uint64_t interval_ps = 5000000000000ULL;
    static constexpr unsigned burst = 10;
    const char* func_;
    bool started_ = false;
    uint64_t begin_ps_ = 0;
    unsigned printed_ = 0, missed_ = 0;
};

struct Smr {  // struct arm_smmu_smr
    uint16_t id = 0;
    uint16_t mask = 0;
    bool valid = false;
};

struct ContextBank {  // struct arm_smmu_cb: the registers of an assigned bank
    uint32_t tcr[2] = {};
    uint64_t ttbr[2] = {};
    uint32_t mair[2] = {};
};

}  // namespace

// Devices that share stream map entries, and so a domain (Linux's iommu_group with its default
// domain, as arm_smmu_device_group forms it); usually one device.
struct ArmSmmu::Group {
    std::unique_ptr<ArmSmmuDomain> domain;
    std::optional<unsigned> irq;  // the context interrupt requested for the domain
    unsigned masters = 0;
};

// A device attached to the SMMU (Linux's arm_smmu_master_cfg).
struct ArmSmmu::Master {
    dma::Device* dev = nullptr;
    std::vector<uint32_t> ids;  // fwspec IDs
    std::vector<int> smendx;    // the stream map entry of each
    Group* group = nullptr;
};

struct ArmSmmu::State {
    State(models::Core& cpu, models::Instrumentation& instr, const std::string& name)
        : io(cpu, instr, fmt::format("{} {}", driver_name, name)),
          stat_context_faults(instr.counter("iommu.context_faults")),
          stat_global_faults(instr.counter("iommu.global_faults")) {}

    struct S2cr {  // struct arm_smmu_s2cr (privcfg always S2CR_PRIVCFG_DEFAULT)
        uint32_t type = S2CR_TYPE_FAULT;
        unsigned cbndx = 0;
        unsigned count = 0;      // masters using the entry
        Group* group = nullptr;  // the group whose domain the entry translates through
    };

    ArmSmmuIo io;
    bool probed = false;
    // Features (ARM_SMMU_FEAT_*).
    bool coherent_walk = false;  // the firmware's dma-coherent, whatever ID0.CTTW claims
    bool stream_match = false;
    bool fmt_aarch64_4k = false;
    uint32_t streamid_mask = 0;
    uint32_t smr_mask_mask = 0;
    unsigned num_mapping_groups = 0;
    unsigned num_context_banks = 0;
    unsigned num_s2_context_banks = 0;
    unsigned va_size = 0, ipa_size = 0, pa_size = 0;
    uint64_t pgsize_bitmap = 0;

    std::vector<Smr> smrs;  // empty without stream matching (stream indexing)
    std::vector<S2cr> s2crs;
    std::vector<std::optional<ContextBank>> cbs;
    std::vector<bool> context_map;
    std::vector<unsigned> global_irqs;  // requested
    std::vector<std::unique_ptr<Master>> masters;
    std::vector<std::unique_ptr<Group>> groups;

    Ratelimit context_fault_rs{"arm_smmu_context_fault"};
    Ratelimit global_fault_rs{"arm_smmu_global_fault"};
    uint64_t& stat_context_faults;  // iommu.context_faults: context faults handled
    uint64_t& stat_global_faults;   // iommu.global_faults
};

ArmSmmu::ArmSmmu(Kernel& kernel, dma::Device& dev, ArmSmmuInfo info)
    : kernel_(kernel), dev_(dev), info_(std::move(info)),
      state_(std::make_unique<State>(kernel.cpu(), dev.context().instr(), info_.name)) {}

ArmSmmu::~ArmSmmu() = default;

unsigned ArmSmmu::num_context_banks() const { return state_->num_context_banks; }
unsigned ArmSmmu::num_mapping_groups() const { return state_->num_mapping_groups; }
bool ArmSmmu::coherent_walk() const { return state_->coherent_walk; }
const std::vector<std::string>& ArmSmmu::messages() const { return state_->io.messages(); }

// arm_smmu_device_probe
int ArmSmmu::probe() {
    State& s = *state_;
    ArmSmmuIo& io = s.io;
    s.coherent_walk = dev_.is_coherent();  // arm_smmu_device_dt_probe: of_dma_is_coherent
    io.set_window(kernel_.ioremap(info_.registers, info_.registers_size, models::MemType::device));
    io.set_layout(granule_shift, 1);
    if (info_.context_irqs.empty()) {
        io.log(fmt::format("found {} interrupts but expected at least {}", info_.global_irqs.size(),
                           info_.global_irqs.size() + 1));
        release_resources();
        return -ENODEV;
    }
    if (int rc = cfg_probe(); rc < 0) {
        release_resources();
        return rc;
    }
    if (s.num_context_banks > info_.context_irqs.size()) {
        io.log(fmt::format("found only {} context irq(s) but {} required", info_.context_irqs.size(),
                           s.num_context_banks));
        release_resources();
        return -ENODEV;
    }
    if (kernel_.interrupts())
        for (size_t i = 0; i < info_.global_irqs.size(); ++i) {
            unsigned irq = info_.global_irqs[i];
            if (int rc = kernel_.request_irq(
                    irq, [this] { global_fault(); }, "arm-smmu global fault");
                rc < 0) {
                io.log(fmt::format("failed to request global IRQ {} ({})", i, irq));
                release_resources();
                return rc;
            }
            s.global_irqs.push_back(irq);
        }
    device_reset();
    test_smr_masks();
    dev_.context().register_iommu(*this);  // iommu_device_register
    s.probed = true;
    return 0;
}

// What probe took given back: the interrupts and the register window.
void ArmSmmu::release_resources() {
    State& s = *state_;
    for (unsigned irq : s.global_irqs)
        kernel_.free_irq(irq);
    s.global_irqs.clear();
    kernel_.iounmap(s.io.window(), info_.registers_size);
    s.io.set_window(0);
}

// arm_smmu_device_cfg_probe: what the ID registers say the hardware offers.
int ArmSmmu::cfg_probe() {
    State& s = *state_;
    ArmSmmuIo& io = s.io;
    io.log("probing hardware configuration...");
    io.log("SMMUv2 with:");
    s.stream_match = false;
    s.smrs.clear();
    s.pgsize_bitmap = 0;

    uint32_t id = io.gr0_read(GR0_ID0);
    if (id & ID0_S1TS)
        io.log("\tstage 1 translation");
    if (id & ID0_S2TS)
        io.log("\tstage 2 translation");
    if (id & ID0_NTS)
        io.log("\tnested translation");
    if (!(id & ID0_S1TS)) {  // this driver does stage 1 only
        io.log(id & ID0_S2TS ? "\tno stage 1 translation, and stage 2 is not supported" : "\tno translation support!");
        return -ENODEV;
    }
    if (!(id & ID0_ATOSNS))
        io.log("\taddress translation ops");

    // The firmware (dma-coherent) decides, as the DMA API must agree with it; the ID register
    // only gets a note when it disagrees.
    bool cttw_reg = id & ID0_CTTW;
    if (s.coherent_walk || cttw_reg)
        io.log(fmt::format("\t{}coherent table walk", s.coherent_walk ? "" : "non-"));
    if (s.coherent_walk != cttw_reg)
        io.log("\t(IDR0.CTTW overridden by FW configuration)");

    unsigned size = 1u << field_get(id, ID0_NUMSIDB_HI, ID0_NUMSIDB_LO);
    s.streamid_mask = size - 1;
    if (id & ID0_SMS) {
        s.stream_match = true;
        size = field_get(id, ID0_NUMSMRG_HI, ID0_NUMSMRG_LO);
        if (size == 0) {
            io.log("stream-matching supported, but no SMRs present!");
            return -ENODEV;
        }
        s.smrs.assign(size, Smr{});
        io.log(fmt::format("\tstream matching with {} register groups", size));
    }
    s.s2crs.assign(size, State::S2cr{info_.disable_bypass ? S2CR_TYPE_FAULT : S2CR_TYPE_BYPASS});
    s.num_mapping_groups = size;
    bool fmt_aarch32_l = !(id & ID0_PTFS_NO_AARCH32);
    bool fmt_aarch32_s = fmt_aarch32_l && !(id & ID0_PTFS_NO_AARCH32S);

    id = io.gr0_read(GR0_ID1);
    unsigned pgshift = (id & ID1_PAGESIZE) ? 16 : 12;
    unsigned numpage = 1u << (field_get(id, ID1_NUMPAGENDXB_HI, ID1_NUMPAGENDXB_LO) + 1);
    uint64_t space = uint64_t(2 * numpage) << pgshift;
    if (info_.registers_size != space)
        io.log(fmt::format("SMMU address space size ({:#x}) differs from mapped region size ({:#x})!", space,
                           info_.registers_size));
    io.set_layout(pgshift, numpage);
    s.num_s2_context_banks = field_get(id, ID1_NUMS2CB_HI, ID1_NUMS2CB_LO);
    s.num_context_banks = field_get(id, ID1_NUMCB_HI, ID1_NUMCB_LO);
    if (s.num_s2_context_banks > s.num_context_banks) {
        io.log("impossible number of S2 context banks!");
        return -ENODEV;
    }
    io.log(fmt::format("\t{} context banks ({} stage-2 only)", s.num_context_banks, s.num_s2_context_banks));
    s.cbs.assign(s.num_context_banks, std::nullopt);
    s.context_map.assign(s.num_context_banks, false);

    id = io.gr0_read(GR0_ID2);
    s.ipa_size = id_size_to_bits(field_get(id, ID2_IAS_HI, ID2_IAS_LO));
    s.pa_size = id_size_to_bits(field_get(id, ID2_OAS_HI, ID2_OAS_LO));
    // The walker cannot address more than the output size (a sanity check of the tables' reach).
    if (dma::set_mask_and_coherent(dev_, dma::dma_bit_mask(s.pa_size)))
        io.log("failed to set DMA mask for table walker");
    s.va_size = std::min(id_size_to_bits(field_get(id, ID2_UBS_HI, ID2_UBS_LO)), 48u);
    s.fmt_aarch64_4k = id & ID2_PTFS_4K;

    if (fmt_aarch32_s)
        s.pgsize_bitmap |= sz_4k | sz_64k | sz_1m | sz_16m;
    if (fmt_aarch32_l || s.fmt_aarch64_4k)
        s.pgsize_bitmap |= sz_4k | sz_2m | sz_1g;
    if (id & ID2_PTFS_16K)
        s.pgsize_bitmap |= sz_16k | sz_32m;
    if (id & ID2_PTFS_64K)
        s.pgsize_bitmap |= sz_64k | sz_512m;
    io.log(fmt::format("\tSupported page sizes: {:#010x}", s.pgsize_bitmap));
    io.log(fmt::format("\tStage-1: {}-bit VA -> {}-bit IPA", s.va_size, s.ipa_size));
    return 0;
}

// arm_smmu_device_reset: every stream map entry and context bank to its initial state, the TLBs
// invalidated, then sCR0 with fault reporting on and client access enabled.
void ArmSmmu::device_reset() {
    State& s = *state_;
    ArmSmmuIo& io = s.io;
    io.gr0_write(GR0_sGFSR, io.gr0_read(GR0_sGFSR));  // clear the global FSR
    for (unsigned i = 0; i < s.num_mapping_groups; ++i)
        write_sme(i);
    for (unsigned i = 0; i < s.num_context_banks; ++i) {
        write_context_bank(i);
        io.cb_write(i, CB_FSR, FSR_FAULT);
    }
    io.gr0_write(GR0_TLBIALLH, ~0u);
    io.gr0_write(GR0_TLBIALLNSNH, ~0u);

    uint32_t reg = io.gr0_read(GR0_sCR0);
    reg |= sCR0_GFRE | sCR0_GFIE | sCR0_GCFGFRE | sCR0_GCFGFIE;  // fault reporting
    reg |= sCR0_VMIDPNE | sCR0_PTM;                              // no TLB broadcasting
    reg &= ~sCR0_CLIENTPD;
    if (info_.disable_bypass)
        reg |= sCR0_USFCFG;  // unmatched streams fault
    else
        reg &= ~sCR0_USFCFG;
    reg &= ~sCR0_FB;   // no forced broadcasting
    reg &= ~scr0_bsu;  // no barrier upgrades
    mmu500_reset();
    io.tlb_sync_global();
    io.gr0_write(GR0_sCR0, reg);
}

// arm_mmu500_reset (the "arm,mmu-500" implementation's reset): from r2p0 on, ACR.CACHE_LOCK
// cleared so that writes to the banks' ACTLR stick; bypass TLB entries allowed for unmatched
// streams and bypassing S2CRs; every bank's next-page prefetcher off, for the sake of at least
// five errata.
void ArmSmmu::mmu500_reset() {
    State& s = *state_;
    ArmSmmuIo& io = s.io;
    unsigned major = field_get(io.gr0_read(GR0_ID7), id7_major_hi, id7_major_lo);
    uint32_t reg = io.gr0_read(GR0_sACR);
    if (major >= 2)
        reg &= ~mmu500_acr_cache_lock;
    reg |= mmu500_acr_smtnmb_tlben | mmu500_acr_s2crb_tlben;
    io.gr0_write(GR0_sACR, reg);
    bool warned = false;
    for (unsigned i = 0; i < s.num_context_banks; ++i) {
        io.cb_write(i, CB_ACTLR, io.cb_read(i, CB_ACTLR) & ~mmu500_actlr_cpre);
        if ((io.cb_read(i, CB_ACTLR) & mmu500_actlr_cpre) && !warned) {
            io.log("Failed to disable prefetcher for errata workarounds, check SACR.CACHE_LOCK");
            warned = true;  // dev_warn_once
        }
    }
}

// arm_smmu_test_smr_masks: which SMR ID and MASK bits stick, in a free SMR.
void ArmSmmu::test_smr_masks() {
    State& s = *state_;
    auto free_smr = std::find_if(s.smrs.begin(), s.smrs.end(), [](const Smr& smr) { return !smr.valid; });
    if (free_smr == s.smrs.end())
        return;
    unsigned reg = GR0_SMR(static_cast<unsigned>(free_smr - s.smrs.begin()));
    s.io.gr0_write(reg, field_prep(s.streamid_mask, SMR_ID_HI, SMR_ID_LO));
    s.streamid_mask = field_get(s.io.gr0_read(reg), SMR_ID_HI, SMR_ID_LO);
    s.io.gr0_write(reg, field_prep(s.streamid_mask, SMR_MASK_HI, SMR_MASK_LO));
    s.smr_mask_mask = field_get(s.io.gr0_read(reg), SMR_MASK_HI, SMR_MASK_LO);
}

void ArmSmmu::write_smr(unsigned idx) {
    const Smr& smr = state_->smrs[idx];
    uint32_t reg = field_prep(smr.id, SMR_ID_HI, SMR_ID_LO) | field_prep(smr.mask, SMR_MASK_HI, SMR_MASK_LO);
    if (smr.valid)
        reg |= SMR_VALID;
    state_->io.gr0_write(GR0_SMR(idx), reg);
}

void ArmSmmu::write_s2cr(unsigned idx) {
    const State::S2cr& s2cr = state_->s2crs[idx];
    state_->io.gr0_write(GR0_S2CR(idx), field_prep(s2cr.type, S2CR_TYPE_HI, S2CR_TYPE_LO) |
                                            field_prep(s2cr.cbndx, S2CR_CBNDX_HI, S2CR_CBNDX_LO));
}

void ArmSmmu::write_sme(unsigned idx) {
    write_s2cr(idx);
    if (state_->stream_match)
        write_smr(idx);
}

// arm_smmu_write_context_bank: an unassigned bank is only disabled.
void ArmSmmu::write_context_bank(unsigned idx) {
    ArmSmmuIo& io = state_->io;
    const std::optional<ContextBank>& cb = state_->cbs[idx];
    if (!cb) {
        io.cb_write(idx, CB_SCTLR, 0);
        return;
    }
    io.gr1_write(GR1_CBA2R(idx), CBA2R_VA64);
    // The weakest shareability and memory type, so that TCR and the descriptors decide. No
    // IRPTNDX: on SMMUv2 each bank has its own interrupt.
    io.gr1_write(GR1_CBAR(idx), field_prep(CBAR_TYPE_S1_TRANS_S2_BYPASS, CBAR_TYPE_HI, CBAR_TYPE_LO) |
                                    field_prep(CBAR_S1_BPSHCFG_NSH, CBAR_S1_BPSHCFG_HI, CBAR_S1_BPSHCFG_LO) |
                                    field_prep(cbar_s1_memattr_wb, CBAR_S1_MEMATTR_HI, CBAR_S1_MEMATTR_LO));
    // TCR before the TTBRs: it decides how some of their fields (ASID[15:8]) are taken.
    io.cb_write(idx, CB_TCR2, cb->tcr[1]);
    io.cb_write(idx, CB_TCR, cb->tcr[0]);
    io.cb_writeq(idx, CB_TTBR0, cb->ttbr[0]);
    io.cb_writeq(idx, CB_TTBR1, cb->ttbr[1]);
    io.cb_write(idx, CB_S1_MAIR0, cb->mair[0]);
    io.cb_write(idx, CB_S1_MAIR1, cb->mair[1]);
    io.cb_write(idx, CB_SCTLR, SCTLR_CFIE | SCTLR_CFRE | SCTLR_AFE | SCTLR_TRE | SCTLR_M | SCTLR_ASIDPNE);
}

// arm_smmu_find_sme: an entry that already matches exactly this stream (shared), else the first
// free one; -ENOSPC when none is free, -EINVAL when the stream overlaps another entry.
int ArmSmmu::find_sme(uint16_t id, uint16_t mask) {
    State& s = *state_;
    if (!s.stream_match)
        return id;  // stream indexing
    int free_idx = -ENOSPC;
    for (unsigned i = 0; i < s.num_mapping_groups; ++i) {
        const Smr& smr = s.smrs[i];
        if (!smr.valid) {
            if (free_idx < 0)
                free_idx = static_cast<int>(i);
            continue;
        }
        if ((mask & smr.mask) == mask && !((id ^ smr.id) & ~smr.mask))
            return static_cast<int>(i);
        if (!((id ^ smr.id) & ~(smr.mask | mask)))
            return -EINVAL;
    }
    return free_idx;
}

// arm_smmu_master_alloc_smes: an entry per stream ID, then the hardware written.
int ArmSmmu::master_alloc_smes(Master& master, std::string& error) {
    State& s = *state_;
    for (uint32_t fwid : master.ids) {
        auto id = static_cast<uint16_t>(field_get(fwid, fwid_id_hi, fwid_id_lo));
        auto mask = static_cast<uint16_t>(field_get(fwid, fwid_mask_hi, fwid_mask_lo));
        int idx = find_sme(id, mask);
        if (idx < 0) {
            error = fmt::format("{}: {}'s stream ID {:#x} (mask {:#x}): {}", s.io.who(), master.dev->name(), id, mask,
                                idx == -ENOSPC
                                    ? fmt::format("no free stream match register (all {} in use)", s.num_mapping_groups)
                                    : std::string("overlaps another device's stream match register"));
            master_free_smes(master);
            return idx;
        }
        if (s.stream_match && s.s2crs[idx].count == 0)
            s.smrs[idx] = Smr{id, mask, true};
        ++s.s2crs[idx].count;
        master.smendx.push_back(idx);
    }
    for (int idx : master.smendx)
        write_sme(static_cast<unsigned>(idx));
    return 0;
}

// arm_smmu_master_free_smes / arm_smmu_free_sme: an entry no master uses any more goes back to
// its initial state.
void ArmSmmu::master_free_smes(Master& master) {
    State& s = *state_;
    for (int idx : master.smendx) {
        State::S2cr& s2cr = s.s2crs[idx];
        if (--s2cr.count)
            continue;
        s2cr = State::S2cr{info_.disable_bypass ? S2CR_TYPE_FAULT : S2CR_TYPE_BYPASS};
        if (s.stream_match)
            s.smrs[idx].valid = false;
        write_sme(static_cast<unsigned>(idx));
    }
    master.smendx.clear();
}

// arm_smmu_probe_device + arm_smmu_attach_dev for the device's default domain.
dma::IommuDomain* ArmSmmu::attach_device(dma::Device& dev, const std::vector<uint32_t>& stream_ids,
                                         std::string& error) {
    State& s = *state_;
    if (!s.probed) {
        error = fmt::format("{}: not probed", s.io.who());
        return nullptr;
    }
    for (const auto& master : s.masters)
        if (master->dev == &dev)
            return master->group->domain.get();
    for (uint32_t fwid : stream_ids) {
        uint32_t id = field_get(fwid, fwid_id_hi, fwid_id_lo), mask = field_get(fwid, fwid_mask_hi, fwid_mask_lo);
        if (id & ~s.streamid_mask) {
            error = fmt::format("{}: stream ID {:#x} out of range for SMMU ({:#x})", dev.name(), id, s.streamid_mask);
            return nullptr;
        }
        if (mask & ~s.smr_mask_mask) {
            error = fmt::format("{}: SMR mask {:#x} out of range for SMMU ({:#x})", dev.name(), mask, s.smr_mask_mask);
            return nullptr;
        }
    }
    auto master = std::make_unique<Master>();
    master->dev = &dev;
    master->ids = stream_ids;
    if (master_alloc_smes(*master, error) < 0)
        return nullptr;
    master->group = device_group(*master, error);
    if (!master->group) {
        master_free_smes(*master);
        return nullptr;
    }
    Group& group = *master->group;
    // arm_smmu_master_install_s2crs: the streams translate through the domain's bank.
    for (int idx : master->smendx) {
        State::S2cr& s2cr = s.s2crs[idx];
        s2cr.group = &group;
        if (s2cr.type == S2CR_TYPE_TRANS && s2cr.cbndx == group.domain->cbndx())
            continue;
        s2cr.type = S2CR_TYPE_TRANS;
        s2cr.cbndx = group.domain->cbndx();
        write_s2cr(static_cast<unsigned>(idx));
    }
    ++group.masters;
    s.masters.push_back(std::move(master));
    return group.domain.get();
}

// arm_smmu_device_group: the group of the entries the master shares with others, or a new one
// with a domain of its own; null (and `error`) when the entries belong to different groups or
// the domain cannot be made.
ArmSmmu::Group* ArmSmmu::device_group(Master& master, std::string& error) {
    State& s = *state_;
    Group* shared = nullptr;
    for (int idx : master.smendx) {
        Group* group = s.s2crs[idx].group;
        if (shared && group && group != shared) {
            error = fmt::format("{}: {}'s stream IDs are in two groups", s.io.who(), master.dev->name());
            return nullptr;
        }
        shared = shared ? shared : group;
    }
    if (shared)
        return shared;
    auto group = std::make_unique<Group>();
    if (!init_domain_context(*group, master.dev->name(), error))
        return nullptr;
    s.groups.push_back(std::move(group));
    return s.groups.back().get();
}

// arm_smmu_init_domain_context for a stage-1 domain: the first free bank (ASID = its index),
// io-pgtable-arm tables for the hardware's sizes, the bank programmed, its interrupt taken.
bool ArmSmmu::init_domain_context(Group& group, const std::string& device, std::string& error) {
    State& s = *state_;
    if (!s.fmt_aarch64_4k) {
        error = fmt::format("{}: no AArch64 4 KiB page table format (ID2.PTFS_4K clear)", s.io.who());
        return false;
    }
    auto free_cb = std::find(s.context_map.begin() + s.num_s2_context_banks, s.context_map.end(), false);
    if (free_cb == s.context_map.end()) {
        error = fmt::format("{}: no free context bank for {} (all {} in use)", s.io.who(), device,
                            s.num_context_banks - s.num_s2_context_banks);
        return false;
    }
    auto cbndx = static_cast<unsigned>(free_cb - s.context_map.begin());
    auto domain = std::make_unique<ArmSmmuDomain>(s.io, device, cbndx, static_cast<uint16_t>(cbndx));
    IoPgtableCfg pgtbl_cfg;
    pgtbl_cfg.pgsize_bitmap = s.pgsize_bitmap;
    pgtbl_cfg.ias = s.va_size;
    pgtbl_cfg.oas = s.ipa_size;
    pgtbl_cfg.coherent_walk = s.coherent_walk;
    pgtbl_cfg.iommu_dev = &dev_;
    if (!domain->init_pgtable(kernel_, pgtbl_cfg)) {
        error = fmt::format("{}: cannot allocate page tables for {}", s.io.who(), device);
        return false;
    }
    *free_cb = true;

    // arm_smmu_init_context_bank: TCR (arm_smmu_lpae_tcr, with EPD1: no TTBR1 walks), TCR2
    // (arm_smmu_lpae_tcr2, AS: 16-bit ASIDs for the AArch64 format), the ASID in both TTBRs.
    const IoPgtableCfg::ArmLpaeS1Cfg& s1 = pgtbl_cfg.arm_lpae_s1_cfg;
    ContextBank cb;
    cb.tcr[0] = field_prep(s1.tcr.tg, TCR_TG0_HI, TCR_TG0_LO) | field_prep(s1.tcr.sh, TCR_SH0_HI, TCR_SH0_LO) |
                field_prep(s1.tcr.orgn, TCR_ORGN0_HI, TCR_ORGN0_LO) |
                field_prep(s1.tcr.irgn, TCR_IRGN0_HI, TCR_IRGN0_LO) | field_prep(s1.tcr.tsz, TCR_T0SZ_HI, TCR_T0SZ_LO) |
                TCR_EPD1;
    cb.tcr[1] = field_prep(s1.tcr.ips, TCR2_PASIZE_HI, TCR2_PASIZE_LO) |
                field_prep(TCR2_SEP_UPSTREAM, TCR2_SEP_HI, TCR2_SEP_LO) | TCR2_AS;
    uint64_t asid = uint64_t(domain->asid()) << TTBRn_ASID_SHIFT;
    cb.ttbr[0] = s1.ttbr | asid;
    cb.ttbr[1] = asid;
    cb.mair[0] = static_cast<uint32_t>(s1.mair);
    cb.mair[1] = static_cast<uint32_t>(s1.mair >> 32);
    s.cbs[cbndx] = cb;
    write_context_bank(cbndx);

    // The interrupt last, so that its handler never sees a half-made domain.
    if (kernel_.interrupts()) {
        unsigned irq = info_.context_irqs[cbndx];  // SMMUv2: irptndx = cbndx
        if (kernel_.request_irq(
                irq, [this, cbndx] { context_fault(cbndx); }, "arm-smmu-context-fault") < 0)
            s.io.log(fmt::format("failed to request context IRQ {} ({})", cbndx, irq));
        else
            group.irq = irq;
    }
    group.domain = std::move(domain);
    return true;
}

// arm_smmu_destroy_domain_context: the bank disabled, its interrupt freed, the tables freed
// (after a TLBIASID), the bank given back.
void ArmSmmu::destroy_domain_context(Group& group) {
    State& s = *state_;
    unsigned cbndx = group.domain->cbndx();
    s.cbs[cbndx].reset();
    write_context_bank(cbndx);
    if (group.irq)
        kernel_.free_irq(*group.irq);
    group.domain->free_pgtable();
    s.context_map[cbndx] = false;
    group.domain.reset();
}

// arm_smmu_device_remove: every device released (its streams back to fault or bypass) and every
// domain destroyed, then arm_smmu_device_shutdown: every stream bypassing (CLIENTPD).
void ArmSmmu::remove() {
    State& s = *state_;
    if (!s.probed)
        return;
    dev_.context().unregister_iommu(*this);
    bool translating = !s.masters.empty();
    for (const auto& master : s.masters) {
        master_free_smes(*master);
        if (!--master->group->masters)
            destroy_domain_context(*master->group);
    }
    s.masters.clear();
    s.groups.clear();
    if (translating)
        s.io.log("disabling translation");
    s.io.gr0_write(GR0_sCR0, sCR0_CLIENTPD);
    s.probed = false;
    release_resources();
}

// arm_smmu_context_fault, as no fault handler of the domain takes it (report_iommu_fault: -ENOSYS).
void ArmSmmu::context_fault(unsigned cbndx) {
    State& s = *state_;
    ArmSmmuIo& io = s.io;
    uint32_t fsr = io.cb_read(cbndx, CB_FSR);
    if (!(fsr & FSR_FAULT))
        return;  // IRQ_NONE
    uint32_t fsynr = io.cb_read(cbndx, CB_FSYNR0);
    uint64_t iova = io.cb_readq(cbndx, CB_FAR);
    uint32_t cbfrsynra = io.gr1_read(GR1_CBFRSYNRA(cbndx));
    ++s.stat_context_faults;
    if (s.context_fault_rs.allow(io.cpu().now_ps(), io))
        io.log(fmt::format("Unhandled context fault: fsr={:#x}, iova={:#010x}, fsynr={:#x}, cbfrsynra={:#x}, cb={}",
                           fsr, iova, fsynr, cbfrsynra, cbndx));
    io.cb_write(cbndx, CB_FSR, fsr);
}

// arm_smmu_global_fault
void ArmSmmu::global_fault() {
    State& s = *state_;
    ArmSmmuIo& io = s.io;
    uint32_t gfsr = io.gr0_read(GR0_sGFSR);
    uint32_t gfsynr0 = io.gr0_read(GR0_sGFSYNR0);
    uint32_t gfsynr1 = io.gr0_read(GR0_sGFSYNR1);
    uint32_t gfsynr2 = io.gr0_read(GR0_sGFSYNR2);
    if (!gfsr)
        return;  // IRQ_NONE
    ++s.stat_global_faults;
    if (s.global_fault_rs.allow(io.cpu().now_ps(), io)) {
        if (info_.disable_bypass && (gfsr & sGFSR_USF))
            io.log(fmt::format("Blocked unknown Stream ID {:#x}; boot with \"arm-smmu.disable_bypass=0\" to allow, "
                               "but this may have security implications",
                               static_cast<uint16_t>(gfsynr1)));
        else
            io.log("Unexpected global fault, this could be serious");
        io.log(fmt::format("\tGFSR {:#010x}, GFSYNR0 {:#010x}, GFSYNR1 {:#010x}, GFSYNR2 {:#010x}", gfsr, gfsynr0,
                           gfsynr1, gfsynr2));
    }
    io.gr0_write(GR0_sGFSR, gfsr);
}

}  // namespace sw
