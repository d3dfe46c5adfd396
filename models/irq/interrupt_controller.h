// An interrupt controller in the style of the Arm GIC-400 (GICv2) with one GICv2m MSI frame, for
// one core: a register subset of the distributor (GICD) and the CPU interface (GICC), and the
// frame's doorbell, each a TLM target. Devices drive input lines (level or edge) directly; PCI
// devices raise MSIs by writing an interrupt ID to the doorbell. The core's IRQ input is
// asserted while an enabled interrupt is pending and none is active; Core::wfi() waits for it.
//
// Every interrupt has the one priority Linux gives them all (GICD_INT_DEF_PRI), so IAR returns the
// lowest pending ID and, as the GIC's running priority does, an active interrupt holds back the
// others until its EOI.
#pragma once

#include "models/common/instrumentation.h"
#include "models/common/property_table.h"
#include "models/irq/interrupt_controller_regs.h"
#include "models/irq/interrupt_line.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

namespace models {

// A GICv2m frame: the SPIs (as interrupt IDs) its doorbell may raise.
struct MsiFrameConfig {
    unsigned base_id = 0;
    unsigned count = 0;
};

struct InterruptControllerConfig {
    unsigned num_ids = 256;  // interrupt IDs 0..num_ids-1: SGIs, PPIs, SPIs; a multiple of 32
    std::optional<MsiFrameConfig> msi_frame;
};

class InterruptController : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<InterruptController> gicd_in;
    tlm_utils::simple_target_socket<InterruptController> gicc_in;
    tlm_utils::simple_target_socket<InterruptController> msi_in;

    // std::invalid_argument for a config the hardware cannot have.
    InterruptController(sc_core::sc_module_name name, const InterruptControllerConfig& config, Instrumentation& instr);
    SC_HAS_PROCESS(InterruptController);

    // A GIC node's properties (its registers' timing: register_timing_properties()).
    static const PropertyTable<InterruptControllerConfig>& properties();

    const InterruptControllerConfig& config() const { return config_; }

    // --- for device models and the platform builder ---
    // Elaboration: input `id` is wired to a device; its level changes are the events irq.<name>.
    // std::invalid_argument if `id` is connected already.
    void connect_line(unsigned id, const std::string& name);
    // A level-sensitive input (e.g. a PCI INTx pin): on a level-configured ID the interrupt is
    // pending while asserted; on an edge-configured one a rising level latches it. One driver per
    // line: a line several devices share is ORed by whoever wires them. `delay` is the caller's
    // local-time offset (the change happens at sc_time_stamp() + delay).
    void set_level(unsigned id, bool asserted, const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME);
    // An edge: latches the interrupt pending whatever the line's configuration.
    void pulse(unsigned id, const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME);

    // --- for the core ---
    // The core's IRQ input at `time_ps` (changes due by then are applied first).
    bool irq_asserted(uint64_t time_ps);
    // Notified whenever the IRQ input may have become asserted.
    const sc_core::sc_event& irq_event() const { return irq_event_; }
    // Why no interrupt can reach the core whatever the devices do, or "" if one can.
    std::string delivery_blocker() const;
    std::vector<unsigned> enabled_ids() const;

private:
    struct Change {
        unsigned id;
        bool pulse;  // else a level change to `asserted`
        bool asserted;
    };
    using Bitmap = std::vector<uint32_t>;  // one bit per ID

    void gicd_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    void gicc_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    void msi_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    // Shared by the three sockets: checks a 32-bit access inside `space`, applies due changes,
    // and reads or writes through `access` (false: no such register).
    template <typename Access>
    void register_access(tlm::tlm_generic_payload& payload, const sc_core::sc_time& delay, uint64_t space,
                         Access access);
    bool distributor_read(uint32_t offset, uint32_t& value) const;
    bool distributor_write(uint32_t offset, uint32_t value);
    uint32_t config_register(unsigned n) const;
    void set_config_register(unsigned n, uint32_t value);
    bool cpu_interface_read(uint32_t offset, uint32_t& value);
    bool cpu_interface_write(uint32_t offset, uint32_t value);
    void msi_write(uint32_t value, const sc_core::sc_time& delay);

    void check_id(unsigned id, const char* what) const;
    void schedule(const Change& change, const sc_core::sc_time& delay);
    void apply_due_changes();  // SC_METHOD
    void apply_changes_until(uint64_t time_ps);
    void apply(const Change& change, uint64_t time_ps);
    void count_raised(unsigned id);
    uint32_t pending_word(unsigned word) const { return latched_[word] | (input_[word] & ~edge_[word]); }
    bool forwarding() const;
    bool any_active() const;
    unsigned highest_pending() const;  // spurious_id if none
    uint32_t acknowledge();
    void update_irq_output(uint64_t time_ps);

    InterruptControllerConfig config_;
    Instrumentation& instr_;
    uint32_t gicd_ctlr_ = 0, gicc_ctlr_ = 0, gicc_pmr_ = 0;
    Bitmap enabled_, latched_, input_, edge_, active_;
    std::multimap<uint64_t, Change> scheduled_;  // by time; equal times keep their order
    sc_core::sc_event change_event_, irq_event_;
    std::vector<std::unique_ptr<InterruptLine>> lines_;  // by ID; null unless connected
    InterruptLine cpu_line_;                             // the core's IRQ input
    std::vector<uint64_t*> stat_raised_by_id_;           // created when an ID is first raised
    uint64_t& stat_raised_;
    uint64_t& stat_spurious_;
    uint64_t& stat_msis_;
    uint64_t& stat_msis_ignored_;
};

}  // namespace models
