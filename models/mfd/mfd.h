// dmasim's multi-function device ("dmasim,mfd"): on the CPU's local bus, with local SRAM (visible
// to the host at its "sram" window), an 8051 (models/mfd/mcs51.h) that sees the SRAM a 4 KiB page
// at a time through two windows in its XDATA (WINSEL0/1), mailboxes with interrupts both ways, and
// a DMA engine that moves data between the SRAM and system memory -- coherent only with the SRAM:
// its system side never snoops. The host loads the 8051's code through the "code" window while
// CPUCS holds the core in reset. Registers: models/mfd/mfd_regs.h (host), mfd_fw_regs.h (8051).
// Page: docs/models/mfd.md.
#pragma once

#include "models/bus/dma_port.h"
#include "models/common/instrumentation.h"
#include "models/common/property_table.h"
#include "models/mfd/mcs51.h"
#include "models/mfd/mfd_address_decoder.h"
#include "models/mfd/mfd_dma_engine.h"
#include "models/mfd/mfd_mailbox.h"

#include <array>
#include <functional>
#include <optional>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace models {

class LocalMemoryObserver;

struct MfdConfig {
    uint32_t id = 0;                    // initiator id of its DMA engine
    uint64_t sram_bus_base = 0;         // where the host sees the SRAM ("sram" reg entry)
    uint64_t sram_size = 64 * 1024;     // "sram" reg entry's size: whole 4 KiB pages, at most 128 pages
    uint64_t code_size = 16 * 1024;     // "code" reg entry's size, at most 64 KiB
    uint64_t clock_hz = 48'000'000;     // clock-frequency: the 8051 runs a machine cycle per 12 clocks
    uint32_t burst_size = 64;           // dmasim,burst-size: the engine's system-side bursts
    uint64_t sram_latency_ps = 10'000;  // dmasim,sram-latency-ns: the engine's SRAM side, per burst
    uint64_t quantum_ps = 10'000'000;   // dmasim,quantum-ns: how far the 8051 runs ahead of the kernel
};

// Loosely timed, both ways: the host's register accesses happen at the core's local time (the
// access's delay), the 8051's at its own (it runs ahead of the kernel by up to a quantum, syncing
// with wait()). What one side posts the other sees from the time it was posted on, never earlier:
// the doorbell's message from its time, CPUCS's reset and release from theirs, the firmware's
// message (IRQ_STATUS.MBOX) from its MBSEND's time, a chain's outcome from its end time. The idle
// 8051 sleeps until an interrupt source changes (a doorbell, a DMA chain's end, CPUCS).
//
// Stats, under the model's name: .mcs51_instructions, .mcs51_cycles, .window_switches,
// .mailbox_messages_h2f, .mailbox_messages_f2h, .code_writes_ignored, .quantum_syncs, and the DMA
// engine's (mfd_dma_engine.h). Events on the 8051's track (<name>.mcs51): mfd.phase (a slice per
// FWPHASE value), mfd.window (WINSEL changes), mfd.mailbox (a message posted, op h2f or f2h),
// mfd.state (the 8051 held in reset, running or idle); the engine's on the model's own track.
class Mfd : public sc_core::sc_module, private Mcs51Io {
public:
    tlm::tlm_initiator_socket<> dma_out;           // the engine's system side
    tlm_utils::simple_target_socket<Mfd> mmio_in;  // registers (mfd_regs.h)
    tlm_utils::simple_target_socket<Mfd> sram_in;  // the SRAM, as the host sees it
    tlm_utils::simple_target_socket<Mfd> code_in;  // the code load window

    using IrqLevel = std::function<void(bool asserted, uint64_t delay_ps)>;

    Mfd(sc_core::sc_module_name name, const MfdConfig& config, Instrumentation& instr);

    static const PropertyTable<MfdConfig>& properties();
    void set_irq_level(IrqLevel irq_level);
    // Ground truth for the coherence monitor: the decoder reached the SRAM for a bus address
    // outside it (HazardKind::outside_local_memory).
    void set_local_memory_observer(LocalMemoryObserver* observer);
    const MfdConfig& config() const;
    const Mcs51& mcs51() const { return mcs51_; }
    // The 8051's track in the trace (its events' source): <name>.mcs51.
    const std::string& mcs51_track() const { return mcs51_track_; }

    SC_HAS_PROCESS(Mfd);

private:
    enum class State : uint8_t { reset, running, idle };

    void mmio_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    void sram_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    void code_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    uint32_t read_register(unsigned offset);
    void write_register(unsigned offset, uint32_t value, uint64_t time_ps);
    void write_cpucs(uint32_t value, uint64_t time_ps);
    // Applies, at `time_ps` of either side, what has happened by then: the firmware's message
    // reaching IRQ_STATUS, a chain's end reaching IRQ_STATUS (host-started) or DMACTL (firmware's).
    void settle(uint64_t time_ps);
    // The interrupt line now (at `time_ps`) and at each pending cause's time.
    void drive_irq(uint64_t time_ps);
    void start_dma(uint32_t first, MfdDmaEngine::Starter starter, uint64_t time_ps);
    // Wakes the 8051 at `time_ps`: an interrupt source may change then.
    void wake_mcs51(uint64_t time_ps);

    // The 8051's thread: held in reset until CPUCS releases it, then running (or idle) until CPUCS
    // resets it again.
    void run_mcs51();
    // Steps instructions until a reset is due.
    void execute();
    // The 8051's time: the kernel's at its last sync plus its local time.
    uint64_t mcs51_time() const { return synced_ps_ + local_ps_; }
    void sync();
    // Sets the core's interrupt pins as they are at `time_ps`, and when to look again.
    void poll(uint64_t time_ps);
    bool reset_due(uint64_t time_ps) const { return reset_at_ps_ && time_ps >= *reset_at_ps_; }
    void sleep();
    void reset_firmware_side();
    void set_state(State state);
    void close_phase(uint64_t time_ps);

    // Mcs51Io: the 8051's XDATA (its own, and the windows on the SRAM) and the MFD's SFRs.
    uint8_t read_xdata(uint16_t addr) override;
    void write_xdata(uint16_t addr, uint8_t value) override;
    bool read_sfr(uint8_t addr, uint8_t& value) override;
    bool write_sfr(uint8_t addr, uint8_t value) override;
    // The SRAM offset a window reaches at `addr`; nullopt: the 8051's own XDATA is there.
    std::optional<uint64_t> window_offset(uint16_t addr) const;
    void write_winsel(unsigned window, uint8_t value);
    void write_dmactl(uint8_t value);

    MfdConfig config_;
    Instrumentation& instr_;
    std::string mcs51_track_;
    std::vector<uint8_t> sram_;
    std::vector<uint8_t> xdata_;
    MfdMailbox mailbox_;
    MfdAddressDecoder decoder_;
    MfdDmaEngine dma_;
    Mcs51 mcs51_;
    IrqLevel irq_level_;
    uint64_t machine_cycle_ps_;

    // Host side.
    bool cpucs_reset_ = true;
    uint64_t released_ps_ = 0;             // when CPUCS last released the core
    std::optional<uint64_t> reset_at_ps_;  // a reset the 8051 has not reached yet
    uint32_t irq_status_ = 0, irq_enable_ = 0, dma_desc_ = 0;
    std::optional<uint64_t> f2h_posted_ps_;  // the firmware's message, not yet in IRQ_STATUS

    // 8051 side.
    std::array<uint8_t, 2> winsel_{};
    uint16_t dma_first_ = 0;  // DMADH:DMADL
    uint8_t dmactl_ = 0;      // the latched DONE and ERROR of firmware-started chains
    uint8_t phase_ = 0;
    std::optional<uint64_t> phase_start_ps_;
    uint64_t synced_ps_ = 0, local_ps_ = 0;
    uint64_t next_poll_ps_ = 0;  // the earliest time an interrupt pin or a reset may be due
    State state_ = State::reset;
    bool state_emitted_ = false;
    sc_core::sc_event cpucs_event_, wake_event_;

    uint64_t& stat_instructions_;
    uint64_t& stat_cycles_;
    uint64_t& stat_window_switches_;
    uint64_t& stat_h2f_;
    uint64_t& stat_f2h_;
    uint64_t& stat_code_writes_ignored_;
    uint64_t& stat_syncs_;
    EventKind ev_phase_;
    EventKind ev_window_;
    EventKind ev_mailbox_;
    EventKind ev_state_;
};

}  // namespace models
