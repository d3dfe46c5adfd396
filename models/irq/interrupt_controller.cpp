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
    : sc_module(name), gicd_in("gicd_in"), gicc_in("gicc_in"), msi_in("msi_in"), config_(config), instr_(instr),
      enabled_(config.num_ids / 32), latched_(config.num_ids / 32), input_(config.num_ids / 32),
      edge_(config.num_ids / 32), active_(config.num_ids / 32), lines_(config.num_ids),
      cpu_line_(instr, std::string(this->name()) + ".cpu0", "the core's IRQ input: an enabled interrupt is pending"),
      stat_raised_by_id_(config.num_ids, nullptr),
      stat_raised_(instr.counter(std::string(this->name()) + ".irqs_raised")),
      stat_spurious_(instr.counter(std::string(this->name()) + ".spurious")),
      stat_msis_(instr.counter(std::string(this->name()) + ".msis")),
      stat_msis_ignored_(instr.counter(std::string(this->name()) + ".msis_ignored")) {
    if (std::string problem = properties().check(config); !problem.empty())
        throw std::invalid_argument(fmt::format("{}: {}", this->name(), problem));
    if (const auto& frame = config.msi_frame) {
        if (frame->count == 0 || frame->base_id < first_spi || frame->base_id + frame->count > config.num_ids ||
            frame->base_id + frame->count > max_ids)
            throw std::invalid_argument(fmt::format(
                "{}: MSI frame SPIs [{}, {}) are not inside the controller's SPIs [{}, {})", this->name(),
                frame->base_id, frame->base_id + frame->count, first_spi, std::min(config.num_ids, max_ids)));
    }
    gicd_in.register_b_transport(this, &InterruptController::gicd_transport);
    gicc_in.register_b_transport(this, &InterruptController::gicc_transport);
    msi_in.register_b_transport(this, &InterruptController::msi_transport);
    SC_METHOD(apply_due_changes);
    sensitive << change_event_;
    dont_initialize();
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

bool InterruptController::forwarding() const {
    return (gicd_ctlr_ & 1) && (gicc_ctlr_ & 1) && default_priority < gicc_pmr_;
}

bool InterruptController::any_active() const {
    for (uint32_t word : active_)
        if (word)
            return true;
    return false;
}

unsigned InterruptController::highest_pending() const {
    if (!forwarding() || any_active())
        return spurious_id;
    for (unsigned word = 0; word < enabled_.size(); ++word)
        if (uint32_t candidates = pending_word(word) & enabled_[word])
            return word * 32 + static_cast<unsigned>(__builtin_ctz(candidates));
    return spurious_id;
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
    if (!(gicd_ctlr_ & 1))
        return "the distributor is disabled (GICD_CTLR = 0)";
    if (!(gicc_ctlr_ & 1))
        return "the CPU interface is disabled (GICC_CTLR = 0)";
    if (default_priority >= gicc_pmr_)
        return fmt::format("the priority mask GICC_PMR = {:#x} masks the interrupts' priority {:#x}", gicc_pmr_,
                           default_priority);
    if (enabled_ids().empty())
        return "no interrupt is enabled (GICD_ISENABLERn are all 0)";
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

bool InterruptController::distributor_read(uint32_t offset, uint32_t& value) const {
    unsigned n = 0, ids = config_.num_ids;
    if (offset == gicd_ctlr)
        value = gicd_ctlr_;
    else if (offset == gicd_typer)
        value = ids / 32 - 1;  // ITLinesNumber; one CPU, no security extensions
    else if (bank_register(offset, gicd_isenabler, 32, ids, n) || bank_register(offset, gicd_icenabler, 32, ids, n))
        value = enabled_[n];
    else if (bank_register(offset, gicd_ispendr, 32, ids, n) || bank_register(offset, gicd_icpendr, 32, ids, n))
        value = pending_word(n);
    else if (bank_register(offset, gicd_isactiver, 32, ids, n))
        value = active_[n];
    else if (bank_register(offset, gicd_icfgr, 16, ids, n))
        value = config_register(n);
    else
        return false;
    return true;
}

bool InterruptController::distributor_write(uint32_t offset, uint32_t value) {
    unsigned n = 0, ids = config_.num_ids;
    if (offset == gicd_ctlr)
        gicd_ctlr_ = value & 1;
    else if (bank_register(offset, gicd_isenabler, 32, ids, n))
        enabled_[n] |= value;
    else if (bank_register(offset, gicd_icenabler, 32, ids, n))
        enabled_[n] &= ~value;
    else if (bank_register(offset, gicd_ispendr, 32, ids, n))
        latched_[n] |= value;
    else if (bank_register(offset, gicd_icpendr, 32, ids, n))
        latched_[n] &= ~value;
    else if (bank_register(offset, gicd_icfgr, 16, ids, n))
        set_config_register(n, value);
    else
        return false;
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
    case gicc_ctlr: value = gicc_ctlr_; return true;
    case gicc_pmr: value = gicc_pmr_; return true;
    case gicc_iar: value = acknowledge(); return true;
    default: return false;
    }
}

bool InterruptController::cpu_interface_write(uint32_t offset, uint32_t value) {
    switch (offset) {
    case gicc_ctlr: gicc_ctlr_ = value & 1; return true;
    case gicc_pmr: gicc_pmr_ = value & priority_mask_bits; return true;
    case gicc_eoir: {
        unsigned id = value & 0x3ff;
        if (id < config_.num_ids)
            active_[id / 32] &= ~bit_of(id);
        return true;
    }
    default: return false;
    }
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
    if (payload.get_data_length() != 4 || offset % 4 || offset >= space || payload.get_byte_enable_ptr()) {
        payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    uint64_t time_ps = (sc_core::sc_time_stamp() + delay).value();
    apply_changes_until(time_ps);
    uint32_t value = 0;
    if (payload.is_write())
        std::memcpy(&value, payload.get_data_ptr(), 4);
    bool ok = access(static_cast<uint32_t>(offset), value, payload.is_write());
    if (ok && payload.is_read())
        std::memcpy(payload.get_data_ptr(), &value, 4);
    update_irq_output(time_ps);
    payload.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

void InterruptController::gicd_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    register_access(payload, delay, distributor_space, [&](uint32_t offset, uint32_t& value, bool write) {
        return write ? distributor_write(offset, value) : distributor_read(offset, value);
    });
}

void InterruptController::gicc_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    register_access(payload, delay, cpu_interface_space, [&](uint32_t offset, uint32_t& value, bool write) {
        return write ? cpu_interface_write(offset, value) : cpu_interface_read(offset, value);
    });
}

void InterruptController::msi_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    register_access(payload, delay, msi_frame_space, [&](uint32_t offset, uint32_t& value, bool write) {
        if (!config_.msi_frame)
            return false;
        const MsiFrameConfig& frame = *config_.msi_frame;
        if (write && offset == msi_setspi_ns)
            msi_write(value, delay);
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
