// An interrupt controller in the style of the Arm GIC-400 (GICv2) with an optional GICv2m MSI
// frame, or of a GICv3 as far as wired interrupts go (no ITS), for one core: a register subset of
// the distributor (GICD), the GICv2 CPU interface (GICC) or the GICv3 redistributor (GICR) and
// CPU interface (system registers the core forwards), and the frame's doorbell, each a TLM
// target. Devices drive input lines (level or edge) directly; PCI devices raise MSIs by writing an
// interrupt ID to the doorbell. The core's IRQ input is asserted while an enabled interrupt whose
// priority the mask lets through is pending and none is active; Core::wfi() waits for it.
//
// There is no preemption: an active interrupt holds back the others until its EOI, which is what
// the GIC's running priority does with the one priority Linux gives them all (GICD_INT_DEF_PRI).
// Among pending interrupts the lowest priority value wins, then the lowest ID.
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

enum class GicArchitecture { v2, v3 };

// A GICv2m frame: the SPIs (as interrupt IDs) its MSI_TYPER reports and its doorbell may raise.
struct MsiFrameConfig {
    unsigned base_id = 0;
    unsigned count = 0;
};

struct InterruptControllerConfig {
    unsigned num_ids = 256;  // interrupt IDs 0..num_ids-1: SGIs, PPIs, SPIs; a multiple of 32
    GicArchitecture architecture = GicArchitecture::v2;
    std::optional<MsiFrameConfig> msi_frame;  // GICv2 only; without one, no MSI
};

class InterruptController : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<InterruptController> gicd_in;
    // Bound only where the architecture and the platform have them: a GICv2's CPU interface, a
    // GICv3's redistributor, a GICv2m frame (a GIC without one is a platform without MSI).
    tlm_utils::simple_target_socket_optional<InterruptController> gicc_in;
    tlm_utils::simple_target_socket_optional<InterruptController> gicr_in;
    tlm_utils::simple_target_socket_optional<InterruptController> msi_in;

    // std::invalid_argument for a config the hardware cannot have.
    InterruptController(sc_core::sc_module_name name, const InterruptControllerConfig& config, Instrumentation& instr);
    SC_HAS_PROCESS(InterruptController);

    // A GIC node's properties (its registers' timing: register_timing_properties()).
    static const PropertyTable<InterruptControllerConfig>& properties();

    const InterruptControllerConfig& config() const { return config_; }
    // The MSI range a GICv2m frame reports in MSI_TYPER when the tree does not give it: the
    // controller's last 32 IDs (below the special IDs 1020-1023).
    static MsiFrameConfig default_msi_frame(unsigned num_ids);

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
    // A GICv3's CPU interface: MRS / MSR of an ICC_*_EL1 register (gic::CpuSystemRegister) at
    // `time_ps`. false: no such register (a GICv2 has none).
    bool read_system_register(uint32_t encoding, uint64_t time_ps, uint64_t& value);
    bool write_system_register(uint32_t encoding, uint64_t time_ps, uint64_t value);

private:
    struct Change {
        unsigned id;
        bool pulse;  // else a level change to `asserted`
        bool asserted;
    };
    using Bitmap = std::vector<uint32_t>;  // one bit per ID

    bool v3() const { return config_.architecture == GicArchitecture::v3; }
    void gicd_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    void gicc_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    void gicr_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    void msi_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    // Shared by the sockets: checks a 32-bit access (or a 64-bit one, which only `access`'s
    // 64-bit registers take) inside `space`, applies due changes, and reads or writes through
    // `access(offset, value, write, width)` (false: no such register).
    template <typename Access>
    void register_access(tlm::tlm_generic_payload& payload, const sc_core::sc_time& delay, uint64_t space,
                         Access access);
    std::optional<unsigned> irouter_id(uint32_t offset, unsigned width) const;
    bool distributor_read(uint32_t offset, uint64_t& value, unsigned width) const;
    bool distributor_write(uint32_t offset, uint64_t value, unsigned width);
    // The banks the distributor and a redistributor's SGI frame share, for IDs below `end_id`;
    // the registers of IDs below `first_id` read as zero and ignore writes (a GICv3 distributor
    // with affinity routing leaves SGIs and PPIs to the redistributor).
    bool bank_read(uint32_t offset, unsigned first_id, unsigned end_id, uint32_t& value) const;
    bool bank_write(uint32_t offset, unsigned first_id, unsigned end_id, uint32_t value);
    uint32_t config_register(unsigned n) const;
    void set_config_register(unsigned n, uint32_t value);
    bool cpu_interface_read(uint32_t offset, uint32_t& value);
    bool cpu_interface_write(uint32_t offset, uint32_t value);
    bool redistributor_read(uint32_t offset, uint64_t& value, unsigned width) const;
    bool redistributor_write(uint32_t offset, uint64_t value, unsigned width);
    void end_of_interrupt(uint32_t id);
    void msi_write(uint32_t value, const sc_core::sc_time& delay);

    void check_id(unsigned id, const char* what) const;
    void schedule(const Change& change, const sc_core::sc_time& delay);
    void apply_due_changes();  // SC_METHOD
    void apply_changes_until(uint64_t time_ps);
    void apply(const Change& change, uint64_t time_ps);
    void count_raised(unsigned id);
    uint32_t pending_word(unsigned word) const { return latched_[word] | (input_[word] & ~edge_[word]); }
    // Why the distributor, redistributor or CPU interface forwards nothing, or "".
    std::string forwarding_blocker() const;
    bool routed_here(unsigned id) const;  // GICv3: an SPI's GICD_IROUTER names this core
    bool any_active() const;
    unsigned highest_pending() const;  // spurious_id if none
    uint32_t acknowledge();
    void update_irq_output(uint64_t time_ps);

    InterruptControllerConfig config_;
    Instrumentation& instr_;
    uint32_t gicd_ctlr_ = 0;
    uint32_t cpu_enable_ = 0;  // GICC_CTLR bit 0, or ICC_IGRPEN1_EL1's
    uint32_t pmr_ = 0;         // GICC_PMR or ICC_PMR_EL1
    uint32_t gicr_waker_ = gic::gicr_waker_processor_sleep;
    uint64_t icc_ctlr_ = 0, icc_bpr1_ = 0;
    Bitmap enabled_, latched_, input_, edge_, active_;
    std::vector<uint8_t> priority_;              // by ID
    std::vector<uint64_t> irouter_;              // by ID (SPIs only)
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
