#include "models/iommu/smmu.h"

#include <cassert>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

namespace models {

using namespace smmu;

namespace {

constexpr unsigned max_context_banks = 128;  // Linux's ARM_SMMU_MAX_CBS
constexpr unsigned max_stream_match_groups = 128;
constexpr uint64_t tlbi_va_mask = (1ULL << 44) - 1;  // TLBIVA* VA[55:12] in bits [43:0]
constexpr unsigned tlbi_asid_shift = 48;

uint32_t fsr_bit(TranslationFault fault) {
    switch (fault) {
    case TranslationFault::translation: return FSR_TF;
    case TranslationFault::access_flag: return FSR_AFF;
    case TranslationFault::permission: return FSR_PF;
    case TranslationFault::external: return FSR_EF;
    case TranslationFault::none: break;
    }
    return 0;
}

const char* global_cause_name(uint32_t cause) {
    switch (cause) {
    case sGFSR_USF: return "unidentified_stream";
    case sGFSR_SMCF: return "stream_match_conflict";
    case sGFSR_UCBF: return "unimplemented_context_bank";
    default: return "global";
    }
}

// A walk's descriptor reads over the bus: the SMMU's own transactions, snooping only when the walk
// is coherent, each level costing its latency on top of the read's.
class TimedDescriptorReader : public DescriptorReader {
public:
    TimedDescriptorReader(DmaPort& port, const Initiator& walker, bool snoop, uint64_t level_latency_ps,
                          uint64_t& delay_ps, uint64_t& reads)
        : port_(port), walker_(walker), snoop_(snoop), level_latency_ps_(level_latency_ps), delay_ps_(delay_ps),
          reads_(reads) {}

    bool read_descriptor(uint64_t pa, unsigned, uint64_t& value) override {
        delay_ps_ += level_latency_ps_;
        ++reads_;
        uint8_t bytes[8];
        if (port_.read(pa, bytes, sizeof bytes, walker_, sizeof bytes, snoop_, delay_ps_) != tlm::TLM_OK_RESPONSE)
            return false;
        std::memcpy(&value, bytes, sizeof value);  // little-endian, as the tables are
        return true;
    }

private:
    DmaPort& port_;
    Initiator walker_;
    bool snoop_;
    uint64_t level_latency_ps_;
    uint64_t& delay_ps_;
    uint64_t& reads_;
};

// Descriptors as memory holds them, by debug transport: no time, no observers, no snooping.
class DebugDescriptorReader : public DescriptorReader {
public:
    explicit DebugDescriptorReader(tlm::tlm_initiator_socket<>& socket) : socket_(socket) {}

    bool read_descriptor(uint64_t pa, unsigned, uint64_t& value) override {
        uint8_t bytes[8];
        tlm::tlm_generic_payload payload;
        payload.set_read();
        payload.set_address(pa);
        payload.set_data_ptr(bytes);
        payload.set_data_length(sizeof bytes);
        payload.set_streaming_width(sizeof bytes);
        if (socket_->transport_dbg(payload) != sizeof bytes)
            return false;
        std::memcpy(&value, bytes, sizeof value);
        return true;
    }

private:
    tlm::tlm_initiator_socket<>& socket_;
};

}  // namespace

const PropertyTable<SmmuConfig>& Smmu::properties() {
    using Spec = PropertySpec<SmmuConfig>;
    auto ns_property = [](const char* name, const char* field, uint64_t SmmuConfig::*member, const char* doc) {
        return Spec::number(
                   PropertyType::u32, name, field, [member](const SmmuConfig& c) { return c.*member / ps_per_ns; },
                   [member](SmmuConfig& c, uint64_t ns) { c.*member = ns * ps_per_ns; })
            .range(0, 1000000)
            .with_unit("ns")
            .with_doc(doc);
    };
    static const PropertyTable<SmmuConfig> table{
        SmmuConfig{},
        {Spec::number(PropertyType::u32, "dmasim,context-banks", "context_banks", &SmmuConfig::context_banks)
             .range(1, max_context_banks)
             .with_doc("context banks (ID1.NUMCB): one per IOMMU domain"),
         Spec::number(PropertyType::u32, "dmasim,stream-match-groups", "stream_match_groups",
                      &SmmuConfig::stream_match_groups)
             .range(1, max_stream_match_groups)
             .with_doc("stream match register groups, SMR and S2CR (ID0.NUMSMRG)"),
         Spec::number(PropertyType::u32, "dmasim,iotlb-entries", "iotlb_entries", &SmmuConfig::iotlb_entries)
             .power_of_two_up_to(4096)
             .with_doc("IOTLB entries, each the translation of one 4 KiB page"),
         Spec::number(PropertyType::u32, "dmasim,iotlb-ways", "iotlb_ways", &SmmuConfig::iotlb_ways)
             .power_of_two_up_to(64)
             .with_doc("IOTLB associativity (LRU within a set); at most dmasim,iotlb-entries"),
         ns_property("dmasim,iotlb-latency-ns", "iotlb_hit_latency_ps", &SmmuConfig::iotlb_hit_latency_ps,
                     "added to each translation (the IOTLB lookup)"),
         ns_property("dmasim,walk-level-latency-ns", "walk_level_latency_ps", &SmmuConfig::walk_level_latency_ps,
                     "added per level a table walk reads, on top of the descriptor read's own")}};
    return table;
}

std::string Smmu::config_error(const SmmuConfig& config) {
    std::string error = properties().check(config);
    if (!error.empty())
        return error;
    if (config.iotlb_ways > config.iotlb_entries)
        return fmt::format("dmasim,iotlb-ways: expected at most dmasim,iotlb-entries ({}), got {}",
                           config.iotlb_entries, config.iotlb_ways);
    if (config.stream_id_bits < 1 || config.stream_id_bits > 15)
        return fmt::format("stream_id_bits: expected from 1 to 15 (ID0.NUMSIDB without extended IDs), got {}",
                           config.stream_id_bits);
    for (unsigned bits : {config.input_address_bits, config.output_address_bits}) {
        bool encodable = false;
        for (unsigned code = 0; code <= 5; ++code)
            encodable = encodable || id_size_to_bits(code) == bits;
        if (!encodable)
            return fmt::format("{}: expected 32, 36, 40, 42, 44 or 48 (ID2's sizes), got {}",
                               bits == config.input_address_bits ? "input_address_bits" : "output_address_bits", bits);
    }
    return {};
}

namespace {

const SmmuConfig& checked(const SmmuConfig& config, const char* name) {
    std::string error = Smmu::config_error(config);
    if (!error.empty())
        throw std::invalid_argument(std::string(name) + ": " + error);
    return config;
}

}  // namespace

Smmu::Smmu(sc_core::sc_module_name name, const SmmuConfig& config, Instrumentation& instr)
    : sc_module(name), cfg_in("cfg_in"), walk_out("walk_out"), config_(checked(config, this->name())), instr_(instr),
      regs_(config_), iotlb_(config_.iotlb_entries, config_.iotlb_ways), walker_(walk_out, instr, this->name()),
      irq_asserted_(1 + config_.context_banks, false),
      stats_{instr.counter(std::string(this->name()) + ".iotlb_hits"),
             instr.counter(std::string(this->name()) + ".iotlb_misses"),
             instr.counter(std::string(this->name()) + ".walks"),
             instr.counter(std::string(this->name()) + ".descriptor_reads"),
             instr.counter(std::string(this->name()) + ".faults.global"),
             {nullptr, &instr.counter(std::string(this->name()) + ".faults.translation"),
              &instr.counter(std::string(this->name()) + ".faults.access_flag"),
              &instr.counter(std::string(this->name()) + ".faults.permission"),
              &instr.counter(std::string(this->name()) + ".faults.external")},
             instr.counter(std::string(this->name()) + ".invalidations"),
             instr.counter(std::string(this->name()) + ".syncs"),
             instr.counter(std::string(this->name()) + ".bypassed")},
      ev_walk_(instr.declare_event("smmu.walk", "an SMMU table walk (a slice on the SMMU's track: iova, sid, cb, "
                                                "levels read, fault if it faulted)")),
      ev_fault_(instr.declare_event("smmu.fault", "an SMMU fault (kind: translation, access_flag, permission, "
                                                  "external, or a global fault's cause; iova, sid, cb, level, write)")),
      ev_tlbi_(instr.declare_event("smmu.tlbi", "an SMMU TLB invalidation (op: the register written; cb, asid, "
                                                "iova as it names them; dropped: the IOTLB entries it dropped)")) {
    cfg_in.register_b_transport(this, &Smmu::cfg_transport);
}

// --- registers ---

void Smmu::cfg_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    uint64_t offset = payload.get_address();
    unsigned length = payload.get_data_length();
    if ((length != 4 && length != 8) || offset % length || offset >= regs_.size() || payload.get_byte_enable_ptr() ||
        payload.get_streaming_width() < length) {
        payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    uint64_t value = 0;
    if (payload.is_write()) {
        std::memcpy(&value, payload.get_data_ptr(), length);
        if (length == 8)  // the high word first, as Linux's io-64-nonatomic-hi-lo.h writeq
            write_register(offset + 4, static_cast<uint32_t>(value >> 32), delay.value());
        write_register(offset, static_cast<uint32_t>(value), delay.value());
    } else {
        value = regs_.read(offset);
        if (length == 8)
            value |= uint64_t(regs_.read(offset + 4)) << 32;
        std::memcpy(payload.get_data_ptr(), &value, length);
    }
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

void Smmu::write_register(uint64_t offset, uint32_t value, uint64_t delay_ps) {
    SmmuRegisterFile::Location where = regs_.write(offset, value);
    if (where.space == SmmuRegisterFile::Location::Space::gr0)
        global_register_written(where.offset, delay_ps);
    else if (where.space == SmmuRegisterFile::Location::Space::context_bank)
        context_register_written(where.bank, where.offset, delay_ps);
}

void Smmu::global_register_written(unsigned offset, uint64_t delay_ps) {
    if (offset >= GR0_SMR(0) && offset < GR0_SMR(config_.stream_match_groups))
        last_match_.reset();
    switch (offset) {
    case GR0_sCR0:
    case GR0_sGFSR: update_global_irq(delay_ps); break;
    case GR0_TLBIALLNSNH: invalidate("TLBIALLNSNH", {}, delay_ps, [](const IotlbEntry&) { return true; }); break;
    case GR0_sTLBGSYNC: ++stats_.syncs; break;
    default: break;  // TLBIALLH and TLBIVMID concern hypervisor and stage-2 entries, which it does not hold
    }
}

void Smmu::context_register_written(unsigned bank, unsigned offset, uint64_t delay_ps) {
    auto cb = [bank](const IotlbEntry& entry) { return entry.context_bank == bank; };
    bool by_va = offset >= CB_TLBIVA && offset <= CB_TLBIVAAL && offset != CB_TLBIASID && offset != CB_TLBIALL;
    uint64_t value = by_va ? regs_.cb64(bank, offset) : 0;  // VA[55:12] in [43:0], ASID in [63:48]
    uint64_t va_page = value & tlbi_va_mask;
    uint16_t asid = asid_of(bank, value >> tlbi_asid_shift);
    switch (offset) {
    case CB_SCTLR:
    case CB_FSR:
    case CB_FSRRESTORE: update_context_irq(bank, delay_ps); break;
    case CB_TLBIVA:
    case CB_TLBIVAL:  // the IOTLB holds leaf entries only: "last level" drops the same
        invalidate(offset == CB_TLBIVA ? "TLBIVA" : "TLBIVAL",
                   {{"cb", uint64_t(bank)}, {"asid", uint64_t(asid)}, {"iova", va_page << granule_shift}}, delay_ps,
                   [&](const IotlbEntry& entry) { return cb(entry) && entry.asid == asid && entry.covers(va_page); });
        break;
    case CB_TLBIVAA:
    case CB_TLBIVAAL:
        invalidate(offset == CB_TLBIVAA ? "TLBIVAA" : "TLBIVAAL",
                   {{"cb", uint64_t(bank)}, {"iova", va_page << granule_shift}}, delay_ps,
                   [&](const IotlbEntry& entry) { return cb(entry) && entry.covers(va_page); });
        break;
    case CB_TLBIASID: {
        uint16_t target = asid_of(bank, regs_.cb(bank, CB_TLBIASID));
        invalidate("TLBIASID", {{"cb", uint64_t(bank)}, {"asid", uint64_t(target)}}, delay_ps,
                   [&](const IotlbEntry& entry) { return cb(entry) && entry.asid == target; });
        break;
    }
    case CB_TLBIALL: invalidate("TLBIALL", {{"cb", uint64_t(bank)}}, delay_ps, cb); break;
    case CB_TLBSYNC: ++stats_.syncs; break;
    default: break;
    }
}

// An 8-bit ASID unless TCR2.AS selects 16 bits.
uint16_t Smmu::asid_of(unsigned bank, uint64_t asid_field) const {
    return static_cast<uint16_t>(asid_field & (regs_.cb(bank, CB_TCR2) & TCR2_AS ? 0xffff : 0xff));
}

template <typename Match>
void Smmu::invalidate(const char* op, std::vector<Field> fields, uint64_t delay_ps, Match match) {
    ++stats_.invalidations;
    unsigned dropped = iotlb_.invalidate(match, [this](const IotlbEntry& entry) {
        if (observer_)
            observer_->on_iotlb_drop(entry.fill);
    });
    if (!ev_tlbi_.enabled())
        return;
    fields.insert(fields.begin(), Field{"op", std::string(op)});
    fields.push_back({"dropped", uint64_t(dropped)});
    instr_.emit(ev_tlbi_, Event{sc_core::sc_time_stamp().value() + delay_ps, nullptr, name(), std::move(fields)});
}

// --- translation ---

tlm::tlm_response_status Smmu::bypass(uint64_t iova, uint64_t& pa) {
    ++stats_.bypassed;
    pa = iova;
    return tlm::TLM_OK_RESPONSE;
}

Smmu::StreamMatch Smmu::match_stream(uint32_t stream_id) const {
    StreamMatch match{stream_id, -1, false};
    for (unsigned group = 0; group < config_.stream_match_groups; ++group) {
        uint32_t smr = regs_.gr0(GR0_SMR(group));
        uint32_t mask = field_get(smr, SMR_MASK_HI, SMR_MASK_LO);
        if ((smr & SMR_VALID) && ((stream_id ^ field_get(smr, SMR_ID_HI, SMR_ID_LO)) & ~mask) == 0) {
            match.conflict = match.group >= 0;
            if (match.conflict)
                return match;
            match.group = static_cast<int>(group);
        }
    }
    return match;
}

tlm::tlm_response_status Smmu::translate(uint32_t stream_id, uint64_t iova, uint64_t length, bool write,
                                         const Initiator& who, uint64_t& pa, uint64_t& delay_ps) {
    assert(length > 0 && (iova & (page_size - 1)) + length <= page_size);  // DmaPort splits at pages
    (void)length;
    uint32_t scr0 = regs_.gr0(GR0_sCR0);
    if (scr0 & sCR0_CLIENTPD)
        return bypass(iova, pa);
    stream_id &= (1u << config_.stream_id_bits) - 1;  // the bits the SMMU implements
    if (!last_match_ || last_match_->stream_id != stream_id)
        last_match_ = match_stream(stream_id);
    int group = last_match_->group;
    if (last_match_->conflict) {
        global_fault(sGFSR_SMCF, stream_id, iova, write, delay_ps);
        return tlm::TLM_GENERIC_ERROR_RESPONSE;
    }
    if (group < 0) {
        if (!(scr0 & sCR0_USFCFG))
            return bypass(iova, pa);
        global_fault(sGFSR_USF, stream_id, iova, write, delay_ps);
        return tlm::TLM_GENERIC_ERROR_RESPONSE;
    }
    uint32_t s2cr = regs_.gr0(GR0_S2CR(static_cast<unsigned>(group)));
    switch (field_get(s2cr, S2CR_TYPE_HI, S2CR_TYPE_LO)) {
    case S2CR_TYPE_BYPASS: return bypass(iova, pa);
    case S2CR_TYPE_TRANS: {
        unsigned bank = field_get(s2cr, S2CR_CBNDX_HI, S2CR_CBNDX_LO);
        if (bank < config_.context_banks)
            return translate_in_context(bank, stream_id, iova, write, who, pa, delay_ps);
        global_fault(sGFSR_UCBF, stream_id, iova, write, delay_ps);
        return tlm::TLM_GENERIC_ERROR_RESPONSE;
    }
    default:  // S2CR_TYPE_FAULT (and the reserved type): the stream is refused, as an unidentified one is
        global_fault(sGFSR_USF, stream_id, iova, write, delay_ps);
        return tlm::TLM_GENERIC_ERROR_RESPONSE;
    }
}

tlm::tlm_response_status Smmu::translate_in_context(unsigned bank, uint32_t stream_id, uint64_t iova, bool write,
                                                    const Initiator& who, uint64_t& pa, uint64_t& delay_ps) {
    if (!(regs_.cb(bank, CB_SCTLR) & SCTLR_M))
        return bypass(iova, pa);
    uint16_t asid = asid_of(bank, regs_.cb64(bank, CB_TTBR0) >> TTBRn_ASID_SHIFT);
    uint64_t page = iova >> granule_shift;
    uint64_t offset = iova & (page_size - 1);
    delay_ps += config_.iotlb_hit_latency_ps;
    if (IotlbEntry* entry = iotlb_.lookup(bank, asid, page)) {
        ++stats_.iotlb_hits;
        TranslationFault fault = check_permission(entry->descriptor, write);
        if (fault != TranslationFault::none) {
            context_fault(bank, fault, entry->level, stream_id, iova, write, delay_ps);
            return tlm::TLM_GENERIC_ERROR_RESPONSE;
        }
        pa = entry->pa_page << granule_shift | offset;
        if (observer_)
            observer_->on_iotlb_hit(entry->fill, iova, pa, who, delay_ps, *this);
        return tlm::TLM_OK_RESPONSE;
    }
    ++stats_.iotlb_misses;
    WalkResult walk = timed_walk(bank, stream_id, iova, delay_ps);
    if (walk.fault == TranslationFault::none) {
        fill(bank, asid, iova, walk, delay_ps);
        walk.fault = check_permission(walk.descriptor, write);
    }
    if (walk.fault != TranslationFault::none) {
        context_fault(bank, walk.fault, walk.level, stream_id, iova, write, delay_ps);
        return tlm::TLM_GENERIC_ERROR_RESPONSE;
    }
    pa = walk.pa;
    return tlm::TLM_OK_RESPONSE;
}

WalkResult Smmu::timed_walk(unsigned bank, uint32_t stream_id, uint64_t iova, uint64_t& delay_ps) {
    ++stats_.walks;
    uint64_t start_ps = sc_core::sc_time_stamp().value() + delay_ps;
    Initiator walker{InitiatorKind::iommu_walker, config_.id, stream_id};
    TimedDescriptorReader reader(walker_, walker, config_.coherent_walk, config_.walk_level_latency_ps, delay_ps,
                                 stats_.descriptor_reads);
    WalkResult walk = walk_tables(regs_.cb64(bank, CB_TTBR0), regs_.cb(bank, CB_TCR), iova, reader);
    if (ev_walk_.enabled()) {
        std::vector<Field> fields = {{"iova", iova},
                                     {"sid", uint64_t(stream_id)},
                                     {"cb", uint64_t(bank)},
                                     {"levels", uint64_t(walk.levels)}};
        if (walk.fault != TranslationFault::none)
            fields.push_back({"fault", std::string(to_string(walk.fault))});
        fields.push_back({"duration_ps", sc_core::sc_time_stamp().value() + delay_ps - start_ps});
        instr_.emit(ev_walk_, Event{start_ps, nullptr, name(), std::move(fields)});
    }
    return walk;
}

void Smmu::fill(unsigned bank, uint16_t asid, uint64_t iova, const WalkResult& walk, uint64_t delay_ps) {
    IotlbEntry entry;
    entry.context_bank = bank;
    entry.asid = asid;
    entry.page = iova >> granule_shift;
    entry.pa_page = walk.pa >> granule_shift;
    entry.span_shift = walk.span_shift;
    entry.level = walk.level;
    entry.descriptor = walk.descriptor;
    entry.fill = IotlbFill{name(),
                           bank,
                           asid,
                           entry.page << granule_shift,
                           entry.pa_page << granule_shift,
                           walk.levels,
                           walk.path,
                           sc_core::sc_time_stamp().value() + delay_ps};
    if (observer_)
        observer_->on_iotlb_fill(entry.fill);
    IotlbEntry replaced = iotlb_.insert(std::move(entry));
    if (replaced.valid && observer_)
        observer_->on_iotlb_drop(replaced.fill);
}

std::optional<uint64_t> Smmu::walk_now(unsigned context_bank, uint64_t iova) {
    DebugDescriptorReader reader(walk_out);
    WalkResult walk = walk_tables(regs_.cb64(context_bank, CB_TTBR0), regs_.cb(context_bank, CB_TCR), iova, reader);
    if (walk.fault != TranslationFault::none)
        return std::nullopt;
    return walk.pa;
}

// --- faults and interrupts ---

void Smmu::context_fault(unsigned bank, TranslationFault fault, unsigned level, uint32_t stream_id, uint64_t iova,
                         bool write, uint64_t delay_ps) {
    ++*stats_.faults[static_cast<int>(fault)];
    uint32_t fsr = regs_.cb(bank, CB_FSR);
    if (fsr & FSR_FAULT) {  // one outstanding: the syndrome stays the first fault's
        regs_.set_cb(bank, CB_FSR, fsr | FSR_MULTI);
    } else {
        regs_.set_cb(bank, CB_FSR, fsr_bit(fault));
        regs_.set_cb64(bank, CB_FAR, iova);
        regs_.set_cb(bank, CB_FSYNR0,
                     field_prep(level, FSYNR0_PLVL_HI, FSYNR0_PLVL_LO) | (write ? FSYNR0_WNR : 0) |
                         (fault == TranslationFault::external ? FSYNR0_PTWF : 0) |
                         field_prep(bank, FSYNR0_S1CBNDX_HI, FSYNR0_S1CBNDX_LO));
        regs_.set_gr1(GR1_CBFRSYNRA(bank), stream_id & 0xffff);
    }
    if (ev_fault_.enabled())
        instr_.emit(ev_fault_, Event{sc_core::sc_time_stamp().value() + delay_ps,
                                     nullptr,
                                     name(),
                                     {{"kind", std::string(to_string(fault))},
                                      {"iova", iova},
                                      {"sid", uint64_t(stream_id)},
                                      {"cb", uint64_t(bank)},
                                      {"level", uint64_t(level)},
                                      {"write", uint64_t(write)}}});
    update_context_irq(bank, delay_ps);
}

void Smmu::global_fault(uint32_t cause, uint32_t stream_id, uint64_t iova, bool write, uint64_t delay_ps) {
    ++stats_.faults_global;
    uint32_t sgfsr = regs_.gr0(GR0_sGFSR);
    if (sgfsr) {
        regs_.set_gr0(GR0_sGFSR, sgfsr | sGFSR_MULTI);
    } else {
        regs_.set_gr0(GR0_sGFSR, cause);
        regs_.set_gr0(GR0_sGFSYNR0, write ? sGFSYNR0_WNR : 0);
        regs_.set_gr0(GR0_sGFSYNR1, stream_id & 0xffff);
        regs_.set_gr0_64(GR0_sGFAR, iova);
    }
    if (ev_fault_.enabled())
        instr_.emit(ev_fault_, Event{sc_core::sc_time_stamp().value() + delay_ps,
                                     nullptr,
                                     name(),
                                     {{"kind", std::string(global_cause_name(cause))},
                                      {"iova", iova},
                                      {"sid", uint64_t(stream_id)},
                                      {"write", uint64_t(write)}}});
    update_global_irq(delay_ps);
}

void Smmu::update_global_irq(uint64_t delay_ps) {
    drive_irq(0, regs_.gr0(GR0_sGFSR) && (regs_.gr0(GR0_sCR0) & sCR0_GFIE), delay_ps);
}

void Smmu::update_context_irq(unsigned bank, uint64_t delay_ps) {
    drive_irq(1 + bank, (regs_.cb(bank, CB_FSR) & FSR_FAULT) && (regs_.cb(bank, CB_SCTLR) & SCTLR_CFIE), delay_ps);
}

void Smmu::drive_irq(unsigned index, bool asserted, uint64_t delay_ps) {
    if (irq_asserted_[index] == asserted)
        return;
    irq_asserted_[index] = asserted;
    if (irq_level_)
        irq_level_(index, asserted, delay_ps);
}

}  // namespace models
