// dmasim's ring device: a NIC-like PCI endpoint with a TX and an RX descriptor ring in host memory
// (models/pci/ring_nic_regs.h: registers in BAR0, 16-byte descriptors). Software posts descriptors
// (buffer bus address, length, DESC_OWN) and rings a ring's doorbell (its TAIL register); the
// device's engine, in its own thread, takes TX descriptors in order from the time of the doorbell:
// it reads the descriptor and the frame through its DMA, and
//   - in loopback (CTRL_LOOPBACK), receives the frame into the next posted RX descriptor's buffer
//     (truncated to the buffer; dropped, with INT_RX_NO_BUFFER, when no RX descriptor is posted or
//     RX is off) and hands that descriptor back (status: DONE, bytes, TRUNCATED);
//   - otherwise sends it out (it leaves the simulation);
// then hands the TX descriptor back. Data is written before the descriptor that reports it. A
// descriptor without DESC_OWN stops its ring until the next doorbell (counted: not_owned). A failed
// DMA sets STATUS_DMA_ERROR, stops both engines and raises INT_DMA_ERROR.
//
// Interrupts are coalesced: TX_DONE and RX_DONE latch in INT_STATUS at once, but the interrupt (MSI
// vector 0 when MSI is enabled, else INTx) is raised only when an unmasked cause has COAL_COUNT
// completions since the last one, or when the first of them is COAL_TIMER_NS old; RX_NO_BUFFER and
// DMA_ERROR raise it at once. INTx stays asserted until software clears the unmasked INT_STATUS
// bits. Doorbells and CTRL are posted writes: they take effect at the time of the CPU's store.
//
// Stats, under the endpoint's name: tx_frames, tx_bytes, rx_frames, rx_bytes, rx_dropped, irqs,
// irqs_by_count, irqs_by_timer, not_owned, bad_doorbells. Events: ring.frame (a slice per TX
// descriptor: len, outcome, duration_ps), ring.irq (an interrupt raised: reason, int_status).
#pragma once

#include "models/pci/pci_endpoint.h"
#include "models/pci/ring_nic_regs.h"

#include <array>
#include <cstdint>
#include <deque>
#include <vector>

namespace models {

class RingNic : public PciEndpoint {
public:
    RingNic(sc_core::sc_module_name name, const PciEndpointConfig& config, Instrumentation& instr);
    SC_HAS_PROCESS(RingNic);

    std::string device_kind() const override { return "ring device (NIC)"; }
    // 32-bit accesses of the registers; other sizes read as zero and are ignored.
    void bar_read(unsigned bar, uint64_t offset, uint8_t* data, unsigned length, uint64_t& delay_ps) override;
    void bar_write(unsigned bar, uint64_t offset, const uint8_t* data, unsigned length, uint64_t& delay_ps) override;

    // A register's value (for checkers and tests).
    uint32_t reg(unsigned offset) const { return regs_[offset / 4]; }

private:
    enum class Outcome { sent, looped_back, dropped, not_owned, dma_error };
    enum class IrqReason { count, timer, error };
    struct Ring {
        unsigned base_lo, base_hi, size, head, tail;  // register offsets
    };
    static const Ring tx_ring, rx_ring;
    struct Descriptor {
        uint64_t addr = 0;
        uint16_t len = 0;
        uint16_t flags = 0;
    };
    struct PostedWrite {
        uint64_t time_ps;
        unsigned offset;
        uint32_t value;
    };

    void engine();          // SC_THREAD: the TX engine (and loopback receive)
    void coalesce_timer();  // SC_THREAD
    void apply_posted();    // SC_METHOD: doorbells and CTRL at their time
    void write_register(unsigned offset, uint32_t value, uint64_t delay_ps);
    void apply(const PostedWrite& write);
    void reset();

    bool tx_pending() const;
    // One TX descriptor from `delay_ps` on: the frame's `length` and, looped back, the bytes
    // `received`.
    Outcome transmit_one(uint64_t& delay_ps, uint32_t& length, uint32_t& received);
    Outcome receive(const std::vector<uint8_t>& frame, uint64_t& delay_ps, uint32_t& received);
    bool fetch(const Ring& ring, Descriptor& desc, uint64_t& delay_ps);
    bool hand_back(const Ring& ring, const Descriptor& desc, uint32_t status, uint64_t& delay_ps);
    uint64_t desc_address(const Ring& ring) const;
    void advance(const Ring& ring);
    bool ring_empty(const Ring& ring) const;
    // At the time the descriptor is handed back: counters, INT_STATUS, coalescing.
    void account(Outcome outcome, uint32_t length, uint32_t received);

    void complete(uint32_t cause);
    void raise_now(uint32_t cause);
    void fire(IrqReason reason);
    void update_intx(uint64_t delay_ps);
    bool unmasked(uint32_t causes) const { return causes & ~reg(ring_nic::RING_INT_MASK); }
    void emit_frame(uint64_t start_ps, uint32_t length, Outcome outcome);

    std::array<uint32_t, ring_nic::register_bar_size / 4> regs_{};
    std::deque<PostedWrite> posted_;
    sc_core::sc_event posted_event_;
    sc_core::sc_event work_event_;
    sc_core::sc_event timer_event_;
    uint64_t tx_doorbell_ps_ = 0;  // when the last TX doorbell took effect
    bool timer_armed_ = false;
    bool intx_raised_ = false;
    std::array<uint32_t, 2> pending_{};  // completions since the last interrupt: TX, RX
    uint64_t& stat_tx_frames_;
    uint64_t& stat_tx_bytes_;
    uint64_t& stat_rx_frames_;
    uint64_t& stat_rx_bytes_;
    uint64_t& stat_rx_dropped_;
    uint64_t& stat_irqs_;
    uint64_t& stat_irqs_by_count_;
    uint64_t& stat_irqs_by_timer_;
    uint64_t& stat_not_owned_;
    uint64_t& stat_bad_doorbells_;
    EventKind ev_frame_;
    EventKind ev_irq_;
};

}  // namespace models
