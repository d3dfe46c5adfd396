#include "models/irq/interrupt_controller.h"

#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

namespace models {

using namespace gic;

namespace {

uint32_t bit_of(unsigned id) { return 1u << (id % 32); }

// Whether `offset` is a register of the bank at `base` holding `ids_per_register` of `num_ids` IDs;
// `index` is then the register's index in the bank.
bool bank_register(uint32_t offset, uint32_t base, unsigned ids_per_register, unsigned num_ids, unsigned& index) {
    if (offset < base || offset >= base + num_ids / ids_per_register * 4)
        return false;
    index = (offset - base) / 4;
    return true;
}

}  // namespace

const PropertyTable<InterruptControllerConfig>& InterruptController::properties() {
    using Spec = PropertySpec<InterruptControllerConfig>;
    static const PropertyTable<InterruptControllerConfig> table{
        InterruptControllerConfig{},
        {Spec::number(PropertyType::u32, "dmasim,num-irqs", "num_ids", &InterruptControllerConfig::num_ids)
             .multiple_of(32, 64, 1024)
             .with_unit("interrupt IDs")
             .with_doc("SGIs, PPIs and SPIs; GICD_TYPER reports them")}};
    return table;
}

InterruptController::InterruptController(sc_core::sc_module_name name, const InterruptControllerConfig& config,
                                         Instrumentation& instr)
    : sc_module(name), gicd_in("gicd_in"), gicc_in("gicc_in"), gicr_in("gicr_in"), msi_in("msi_in"), config_(config),
      instr_(instr), enabled_(config.num_ids / 32), latched_(config.num_ids / 32), input_(config.num_ids / 32),
      edge_(config.num_ids / 32), active_(config.num_ids / 32), priority_(config.num_ids, default_priority),
      irouter_(config.num_ids), lines_(config.num_ids),
      cpu_line_(instr, std::string(this->name()) + ".cpu0", "the core's IRQ input: an enabled interrupt is pending"),
      stat_raised_by_id_(config.num_ids, nullptr),
      stat_raised_(instr.counter(std::string(this->name()) + ".irqs_raised")),
      stat_spurious_(instr.counter(std::string(this->name()) + ".spurious")),
      stat_msis_(instr.counter(std::string(this->name()) + ".msis")),
      stat_msis_ignored_(instr.counter(std::string(this->name()) + ".msis_ignored")) {
    if (std::string problem = properties().check(config); !problem.empty())
        throw std::invalid_argument(fmt::format("{}: {}", this->name(), problem));
    if (config.msi_frame && v3())
        throw std::invalid_argument(fmt::format("{}: a GICv3 has no GICv2m frame (its MSIs need an ITS)",
                                                this->name()));
    if (const auto& frame = config.msi_frame) {
        if (frame->count == 0 || frame->base_id < first_spi || frame->base_id + frame->count > config.num_ids ||
            frame->base_id + frame->count > max_ids)
            throw std::invalid_argument(fmt::format(
                "{}: MSI frame SPIs [{}, {}) are not inside the controller's SPIs [{}, {})", this->name(),
                frame->base_id, frame->base_id + frame->count, first_spi, std::min(config.num_ids, max_ids)));
    }
    gicd_in.register_b_transport(this, &InterruptController::gicd_transport);
    gicc_in.register_b_transport(this, &InterruptController::gicc_transport);
    gicr_in.register_b_transport(this, &InterruptController::gicr_transport);
    msi_in.register_b_transport(this, &InterruptController::msi_transport);
    SC_METHOD(apply_due_changes);
    sensitive << change_event_;
    dont_initialize();
}

MsiFrameConfig InterruptController::default_msi_frame(unsigned num_ids) {
    constexpr unsigned count = 32;
    return MsiFrameConfig{std::min(num_ids, v2m_max_spi) - count, count};
}

void InterruptController::check_id(unsigned id, const char* what) const {
    if (id >= config_.num_ids || id >= max_ids)
        throw std::invalid_argument(fmt::format("{}: {} of interrupt ID {}, which the controller does not have "
                                                "(IDs 0 to {})",
                                                name(), what, id, std::min(config_.num_ids, max_ids) - 1));
}

void InterruptController::connect_line(unsigned id, const std::string& name) {
    check_id(id, "connection");
    if (lines_[id])
        throw std::invalid_argument(fmt::format("{}: interrupt ID {} is connected to line {} already; cannot connect "
                                                "{} too (a shared line is ORed before the controller)",
                                                this->name(), id, lines_[id]->name(), name));
    lines_[id] = std::make_unique<InterruptLine>(instr_, name,
                                                 fmt::format("interrupt line {} of {} (level)", id, this->name()));
}

void InterruptController::set_level(unsigned id, bool asserted, const sc_core::sc_time& delay) {
    check_id(id, "level change");
    schedule(Change{id, false, asserted}, delay);
}

void InterruptController::pulse(unsigned id, const sc_core::sc_time& delay) {
    check_id(id, "pulse");
    schedule(Change{id, true, true}, delay);
}

// A change at the current time takes effect at once; a later one waits in time order, applied by
// the SC_METHOD or earlier by an access that reaches its time.
void InterruptController::schedule(const Change& change, const sc_core::sc_time& delay) {
    uint64_t now = sc_core::sc_time_stamp().value();
    if (delay == sc_core::SC_ZERO_TIME) {
        apply_changes_until(now);
        apply(change, now);
        return;
    }
    scheduled_.emplace(now + delay.value(), change);
    change_event_.notify(delay);
}

void InterruptController::apply_due_changes() {
    uint64_t now = sc_core::sc_time_stamp().value();
    apply_changes_until(now);
    if (!scheduled_.empty())
        change_event_.notify(sc_core::sc_time::from_value(scheduled_.begin()->first - now));
}

void InterruptController::apply_changes_until(uint64_t time_ps) {
    while (!scheduled_.empty() && scheduled_.begin()->first <= time_ps) {
        auto [time, change] = *scheduled_.begin();
        scheduled_.erase(scheduled_.begin());
        apply(change, time);
    }
}

void InterruptController::apply(const Change& change, uint64_t time_ps) {
    unsigned word = change.id / 32;
    uint32_t bit = bit_of(change.id);
    InterruptLine* line = lines_[change.id].get();
    if (change.pulse) {
        count_raised(change.id);
        latched_[word] |= bit;
        if (line) {
            line->set(time_ps, true);
            line->set(time_ps, false);
        }
    } else {
        bool rising = change.asserted && !(input_[word] & bit);
        input_[word] = change.asserted ? input_[word] | bit : input_[word] & ~bit;
        if (rising) {
            count_raised(change.id);
            if (edge_[word] & bit)
                latched_[word] |= bit;
        }
        if (line)
            line->set(time_ps, change.asserted);
    }
    update_irq_output(time_ps);
}

void InterruptController::count_raised(unsigned id) {
    ++stat_raised_;
    uint64_t*& counter = stat_raised_by_id_[id];
    if (!counter)
        counter = &instr_.counter(fmt::format("{}.raised.{}", name(), id));
    ++*counter;
}

std::string InterruptController::forwarding_blocker() const {
    if (!v3()) {
        if (!(gicd_ctlr_ & 1))
            return "the distributor is disabled (GICD_CTLR = 0)";
        if (!cpu_enable_)
            return "the CPU interface is disabled (GICC_CTLR = 0)";
        return "";
    }
    if (!(gicd_ctlr_ & gicd_ctlr_are_ns))
        return fmt::format("affinity routing is off (GICD_CTLR = {:#x}, ARE_NS clear): a GICv3's legacy operation "
                           "is not modelled",
                           gicd_ctlr_);
    if (!(gicd_ctlr_ & gicd_ctlr_enable_g1a))
        return fmt::format("the distributor's Group 1 is disabled (GICD_CTLR = {:#x}, EnableGrp1A clear)", gicd_ctlr_);
    if (gicr_waker_ & gicr_waker_processor_sleep)
        return "the redistributor is asleep (GICR_WAKER.ProcessorSleep = 1)";
    if (!cpu_enable_)
        return "the CPU interface's Group 1 is disabled (ICC_IGRPEN1_EL1 = 0)";
    return "";
}

// GICD_IROUTER: Interrupt_Routing_Mode (bit 31) set sends the SPI to any core; else its affinity
// must be this one's, 0.
bool InterruptController::routed_here(unsigned id) const {
    return !v3() || id < first_spi || (irouter_[id] & irouter_any_core) || (irouter_[id] & irouter_affinity_mask) == 0;
}

bool InterruptController::any_active() const {
    for (uint32_t word : active_)
        if (word)
            return true;
    return false;
}

unsigned InterruptController::highest_pending() const {
    if (any_active() || !forwarding_blocker().empty())
        return spurious_id;
    unsigned best = spurious_id;
    for (unsigned word = 0; word < enabled_.size(); ++word)
        for (uint32_t candidates = pending_word(word) & enabled_[word]; candidates; candidates &= candidates - 1) {
            unsigned id = word * 32 + static_cast<unsigned>(__builtin_ctz(candidates));
            if (priority_[id] < pmr_ && routed_here(id) && (best == spurious_id || priority_[id] < priority_[best]))
                best = id;
        }
    return best;
}

bool InterruptController::irq_asserted(uint64_t time_ps) {
    apply_changes_until(time_ps);
    return highest_pending() != spurious_id;
}

void InterruptController::update_irq_output(uint64_t time_ps) {
    bool asserted = highest_pending() != spurious_id;
    cpu_line_.set(time_ps, asserted);
    if (asserted)
        irq_event_.notify();
}

std::vector<unsigned> InterruptController::enabled_ids() const {
    std::vector<unsigned> ids;
    for (unsigned id = 0; id < config_.num_ids; ++id)
        if (enabled_[id / 32] & bit_of(id))
            ids.push_back(id);
    return ids;
}

std::string InterruptController::delivery_blocker() const {
    if (std::string blocker = forwarding_blocker(); !blocker.empty())
        return blocker;
    std::vector<unsigned> enabled = enabled_ids();
    if (enabled.empty())
        return "no interrupt is enabled (GICD_ISENABLERn are all 0)";
    if (std::none_of(enabled.begin(), enabled.end(), [&](unsigned id) { return priority_[id] < pmr_; }))
        return fmt::format("the priority mask {} = {:#x} masks every enabled interrupt's priority (the first's: "
                           "{:#x})",
                           v3() ? "ICC_PMR_EL1" : "GICC_PMR", pmr_, priority_[enabled.front()]);
    if (std::none_of(enabled.begin(), enabled.end(), [&](unsigned id) { return routed_here(id); }))
        return "GICD_IROUTER routes every enabled SPI to another core";
    return "";
}

// IAR: the pending interrupt becomes active; an edge's latch is consumed, a level line stays
// pending from its input while asserted.
uint32_t InterruptController::acknowledge() {
    unsigned id = highest_pending();
    if (id == spurious_id) {
        ++stat_spurious_;
        return spurious_id;
    }
    latched_[id / 32] &= ~bit_of(id);
    active_[id / 32] |= bit_of(id);
    return id;
}

bool InterruptController::bank_read(uint32_t offset, unsigned first_id, unsigned end_id, uint32_t& value) const {
    unsigned n = 0;
    auto in_bank = [&](uint32_t base, unsigned ids_per_register) {
        return bank_register(offset, base, ids_per_register, end_id, n);
    };
    auto below_first = [&](unsigned ids_per_register) { return n * ids_per_register < first_id; };
    if (in_bank(gicd_isenabler, 32) || in_bank(gicd_icenabler, 32))
        value = below_first(32) ? 0 : enabled_[n];
    else if (in_bank(gicd_ispendr, 32) || in_bank(gicd_icpendr, 32))
        value = below_first(32) ? 0 : pending_word(n);
    else if (in_bank(gicd_isactiver, 32))
        value = below_first(32) ? 0 : active_[n];
    else if (in_bank(gicd_icfgr, 16))
        value = below_first(16) ? 0 : config_register(n);
    else if (in_bank(gicd_ipriorityr, 4)) {
        value = 0;
        for (unsigned k = 0; k < 4 && !below_first(4); ++k)
            value |= uint32_t(priority_[n * 4 + k]) << (8 * k);
    } else
        return false;
    return true;
}

bool InterruptController::bank_write(uint32_t offset, unsigned first_id, unsigned end_id, uint32_t value) {
    unsigned n = 0;
    auto in_bank = [&](uint32_t base, unsigned ids_per_register) {
        return bank_register(offset, base, ids_per_register, end_id, n);
    };
    auto below_first = [&](unsigned ids_per_register) { return n * ids_per_register < first_id; };
    if (in_bank(gicd_isenabler, 32))
        enabled_[n] |= below_first(32) ? 0 : value;
    else if (in_bank(gicd_icenabler, 32))
        enabled_[n] &= below_first(32) ? ~0u : ~value;
    else if (in_bank(gicd_ispendr, 32))
        latched_[n] |= below_first(32) ? 0 : value;
    else if (in_bank(gicd_icpendr, 32))
        latched_[n] &= below_first(32) ? ~0u : ~value;
    else if (in_bank(gicd_isactiver, 32))
        ;  // read-only here
    else if (in_bank(gicd_icfgr, 16)) {
        if (!below_first(16))
            set_config_register(n, value);
    } else if (in_bank(gicd_ipriorityr, 4)) {
        for (unsigned k = 0; k < 4 && !below_first(4); ++k)
            priority_[n * 4 + k] = static_cast<uint8_t>(value >> (8 * k)) & priority_mask_bits;
    } else
        return false;
    return true;
}

// GICD_IROUTER<n>: a 64-bit register, taken whole (as Linux's gic_write_irouter writes it).
std::optional<unsigned> InterruptController::irouter_id(uint32_t offset, unsigned width) const {
    if (!v3() || width != 8 || offset < gicd_irouter || offset >= gicd_irouter + config_.num_ids * 8)
        return std::nullopt;
    return (offset - gicd_irouter) / 8;
}

// A GICv3 distributor with affinity routing leaves IDs 0-31 to the redistributor.
bool InterruptController::distributor_read(uint32_t offset, uint64_t& value, unsigned width) const {
    unsigned first_id = v3() && (gicd_ctlr_ & gicd_ctlr_are_ns) ? first_spi : 0;
    if (std::optional<unsigned> id = irouter_id(offset, width)) {
        value = *id < first_spi ? 0 : irouter_[*id];
        return true;
    }
    if (width != 4)
        return false;
    uint32_t word = 0;
    if (offset == gicd_ctlr)
        word = gicd_ctlr_;  // RWP reads 0: a write takes effect at once
    else if (offset == gicd_typer)
        word = (config_.num_ids / 32 - 1) | (v3() ? 9u << 19 : 0);  // ITLinesNumber; a GICv3's IDbits: 10
    else if (v3() && offset == gicd_pidr2)
        word = pidr2_arch_gicv3 | 0xb;
    else if (!bank_read(offset, first_id, config_.num_ids, word))
        return false;
    value = word;
    return true;
}

bool InterruptController::distributor_write(uint32_t offset, uint64_t value, unsigned width) {
    unsigned first_id = v3() && (gicd_ctlr_ & gicd_ctlr_are_ns) ? first_spi : 0;
    if (std::optional<unsigned> id = irouter_id(offset, width)) {
        if (*id >= first_spi)
            irouter_[*id] = value & (irouter_affinity_mask | irouter_any_core);
        return true;
    }
    if (width != 4)
        return false;
    uint32_t word = static_cast<uint32_t>(value);
    if (offset == gicd_ctlr)
        gicd_ctlr_ = v3() ? word & (gicd_ctlr_enable_g1 | gicd_ctlr_enable_g1a | gicd_ctlr_are_ns) : word & 1;
    else
        return bank_write(offset, first_id, config_.num_ids, word);
    return true;
}

// GICD_ICFGR<n> covers IDs 16n..16n+15, two bits each; the upper one set means edge-triggered.
uint32_t InterruptController::config_register(unsigned n) const {
    uint32_t value = 0;
    for (unsigned k = 0; k < 16; ++k)
        if (edge_[n / 2] & bit_of(n * 16 + k))
            value |= 2u << (2 * k);
    return value;
}

void InterruptController::set_config_register(unsigned n, uint32_t value) {
    uint32_t& word = edge_[n / 2];
    for (unsigned k = 0; k < 16; ++k) {
        uint32_t bit = bit_of(n * 16 + k);
        word = (value >> (2 * k + 1) & 1) ? word | bit : word & ~bit;
    }
}

bool InterruptController::cpu_interface_read(uint32_t offset, uint32_t& value) {
    switch (offset) {
    case gicc_ctlr: value = cpu_enable_; return true;
    case gicc_pmr: value = pmr_; return true;
    case gicc_iar: value = acknowledge(); return true;
    default: return false;
    }
}

bool InterruptController::cpu_interface_write(uint32_t offset, uint32_t value) {
    switch (offset) {
    case gicc_ctlr: cpu_enable_ = value & 1; return true;
    case gicc_pmr: pmr_ = value & priority_mask_bits; return true;
    case gicc_eoir: end_of_interrupt(value); return true;
    default: return false;
    }
}

void InterruptController::end_of_interrupt(uint32_t id) {
    id &= 0x3ff;
    if (id < config_.num_ids)
        active_[id / 32] &= ~bit_of(id);
}

// RD_base: one redistributor, the last (GICR_TYPER.Last), of the core with affinity 0. SGI_base:
// the banks of IDs 0-31 at the distributor's offsets.
bool InterruptController::redistributor_read(uint32_t offset, uint64_t& value, unsigned width) const {
    if (offset == gicr_typer && width == 8) {
        value = gicr_typer_last;
        return true;
    }
    if (width != 4)
        return false;
    uint32_t word = 0;
    if (offset == gicr_ctlr)
        word = 0;
    else if (offset == gicr_waker)
        word = gicr_waker_ & gicr_waker_processor_sleep ? gicr_waker_processor_sleep | gicr_waker_children_asleep : 0;
    else if (offset == gicr_pidr2)
        word = pidr2_arch_gicv3 | 0xb;
    else if (offset < gicr_sgi_base || !bank_read(offset - gicr_sgi_base, 0, first_spi, word))
        return false;
    value = word;
    return true;
}

bool InterruptController::redistributor_write(uint32_t offset, uint64_t value, unsigned width) {
    if (width != 4)
        return false;
    if (offset == gicr_ctlr)
        return true;  // no LPIs: EnableLPIs stays 0
    if (offset == gicr_waker) {
        gicr_waker_ = static_cast<uint32_t>(value) & gicr_waker_processor_sleep;
        return true;
    }
    return offset >= gicr_sgi_base && bank_write(offset - gicr_sgi_base, 0, first_spi, static_cast<uint32_t>(value));
}

// ICC_SRE_EL1.SRE reads 1: the system-register interface is the only one modelled.
bool InterruptController::read_system_register(uint32_t encoding, uint64_t time_ps, uint64_t& value) {
    if (!v3())
        return false;
    apply_changes_until(time_ps);
    switch (encoding) {
    case icc_pmr_el1: value = pmr_; break;
    case icc_iar1_el1: value = acknowledge(); break;
    case icc_bpr1_el1: value = icc_bpr1_; break;
    case icc_ctlr_el1: value = icc_ctlr_ | 4u << 8; break;  // PRIbits: 5 priority bits
    case icc_sre_el1: value = icc_sre_el1_sre; break;
    case icc_igrpen1_el1: value = cpu_enable_; break;
    default: return false;
    }
    update_irq_output(time_ps);
    return true;
}

bool InterruptController::write_system_register(uint32_t encoding, uint64_t time_ps, uint64_t value) {
    if (!v3())
        return false;
    apply_changes_until(time_ps);
    switch (encoding) {
    case icc_pmr_el1: pmr_ = value & priority_mask_bits; break;
    case icc_eoir1_el1: end_of_interrupt(static_cast<uint32_t>(value)); break;
    case icc_bpr1_el1: icc_bpr1_ = value & 7; break;
    case icc_ctlr_el1: icc_ctlr_ = value & icc_ctlr_el1_eoimode; break;
    case icc_sre_el1: break;
    case icc_igrpen1_el1: cpu_enable_ = value & 1; break;
    default: return false;
    }
    update_irq_output(time_ps);
    return true;
}

// GICv2m: a write of an ID in the frame's range raises that SPI as an edge; others are ignored.
void InterruptController::msi_write(uint32_t value, const sc_core::sc_time& delay) {
    const MsiFrameConfig& frame = *config_.msi_frame;
    if (value < frame.base_id || value - frame.base_id >= frame.count) {
        ++stat_msis_ignored_;
        return;
    }
    ++stat_msis_;
    pulse(value, delay);
}

template <typename Access>
void InterruptController::register_access(tlm::tlm_generic_payload& payload, const sc_core::sc_time& delay,
                                          uint64_t space, Access access) {
    uint64_t offset = payload.get_address();
    unsigned width = payload.get_data_length();
    if ((width != 4 && width != 8) || offset % width || offset >= space || payload.get_byte_enable_ptr()) {
        payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    uint64_t time_ps = (sc_core::sc_time_stamp() + delay).value();
    apply_changes_until(time_ps);
    uint64_t value = 0;
    if (payload.is_write())
        std::memcpy(&value, payload.get_data_ptr(), width);
    bool ok = access(static_cast<uint32_t>(offset), value, payload.is_write(), width);
    if (ok && payload.is_read())
        std::memcpy(payload.get_data_ptr(), &value, width);
    update_irq_output(time_ps);
    payload.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

void InterruptController::gicd_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    register_access(payload, delay, v3() ? gicv3_distributor_space : distributor_space,
                    [&](uint32_t offset, uint64_t& value, bool write, unsigned width) {
                        return write ? distributor_write(offset, value, width) : distributor_read(offset, value, width);
                    });
}

void InterruptController::gicc_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    register_access(payload, delay, cpu_interface_space,
                    [&](uint32_t offset, uint64_t& value, bool write, unsigned width) {
                        uint32_t word = static_cast<uint32_t>(value);
                        bool ok = width == 4 &&
                                  (write ? cpu_interface_write(offset, word) : cpu_interface_read(offset, word));
                        value = word;
                        return ok;
                    });
}

void InterruptController::gicr_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    register_access(payload, delay, redistributor_space,
                    [&](uint32_t offset, uint64_t& value, bool write, unsigned width) {
                        return write ? redistributor_write(offset, value, width)
                                     : redistributor_read(offset, value, width);
                    });
}

void InterruptController::msi_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    register_access(payload, delay, msi_frame_space, [&](uint32_t offset, uint64_t& value, bool write, unsigned width) {
        if (!config_.msi_frame || width != 4)
            return false;
        const MsiFrameConfig& frame = *config_.msi_frame;
        if (write && offset == msi_setspi_ns)
            msi_write(static_cast<uint32_t>(value), delay);
        else if (!write && offset == msi_typer)
            value = frame.base_id << 16 | frame.count;
        else if (!write && offset == msi_iidr)
            value = 0;  // no erratum: the data is the absolute ID
        else
            return false;
        return true;
    });
}

}  // namespace models
