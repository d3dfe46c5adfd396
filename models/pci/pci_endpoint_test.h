// dmasim's DMA test endpoint: Linux's PCI endpoint test function (pci-epf-test) as a device, with
// its register interface (models/pci/pci_endpoint_test_regs.h) in BAR0 and 64 KiB of scratch memory in
// BAR2 (a 64-bit prefetchable BAR). Software programs SRC, DST, SIZE, CHECKSUM, IRQ_TYPE and
// IRQ_NUMBER, then writes COMMAND; the device works in its own thread from the time of that write:
//   READ  reads SIZE bytes at SRC and compares their CRC32 with CHECKSUM (READ_SUCCESS / READ_FAIL);
//   WRITE writes SIZE bytes of a seeded pattern at DST and puts their CRC32 in CHECKSUM;
//   COPY  copies SIZE bytes from SRC to DST;
// then sets IRQ_RAISED and raises the interrupt IRQ_TYPE selects (INTx: asserted until software
// clears IRQ_RAISED in STATUS; MSI: vector IRQ_NUMBER). RAISE_INTX_IRQ and RAISE_MSI_IRQ raise one
// without a transfer. A range beyond the engine's DMA limit (DMA_BITS) is refused before anything
// moves: STATUS_SRC_ADDR_INVALID or STATUS_DST_ADDR_INVALID with the operation's FAIL bit. So is
// a zero SIZE. Without bus mastering, or on an unsupported request, the operation fails.
//
// Stats: <name>.commands. Event: pci_ep.command (a slice: op, status, size, start, duration_ps).
#pragma once

#include "models/pci/pci_endpoint.h"
#include "models/pci/pci_endpoint_test_regs.h"

#include <array>
#include <cstdint>
#include <vector>

namespace models {

class PciEndpointTest : public PciEndpoint {
public:
    static constexpr unsigned scratch_bar = 2;
    static constexpr uint64_t scratch_size = 64 * 1024;
    static constexpr uint64_t staging_size = 64 * 1024;  // the engine moves data in chunks of this

    // `seed` makes the WRITE patterns of a run reproducible.
    PciEndpointTest(sc_core::sc_module_name name, const PciEndpointConfig& config, uint64_t seed,
                    Instrumentation& instr);
    SC_HAS_PROCESS(PciEndpointTest);

    std::string device_kind() const override { return "DMA test endpoint"; }
    void bar_read(unsigned bar, uint64_t offset, uint8_t* data, unsigned length, uint64_t& delay_ps) override;
    void bar_write(unsigned bar, uint64_t offset, const uint8_t* data, unsigned length, uint64_t& delay_ps) override;

    // A register's value (for checkers and tests).
    uint32_t reg(unsigned offset) const;

private:
    void command_handler();  // SC_THREAD
    // Runs one command from `delay_ps` on; returns STATUS without IRQ_RAISED.
    uint32_t execute(uint32_t command, uint64_t& delay_ps);
    uint32_t device_read(uint64_t& delay_ps);
    uint32_t device_write(uint64_t& delay_ps);
    uint32_t device_copy(uint64_t& delay_ps);
    // After STATUS has IRQ_RAISED: the interrupt a RAISE command names, else the one IRQ_TYPE and
    // IRQ_NUMBER select.
    void raise_irq(uint32_t command);
    void set_reg(unsigned offset, uint32_t value);
    void restore_read_only();
    uint64_t src_addr() const;
    uint64_t dst_addr() const;
    uint64_t next_random();
    void emit_command(uint32_t command, uint32_t status, uint64_t start_ps);

    std::array<uint8_t, pci_endpoint_test::register_bar_size> regs_{};
    std::vector<uint8_t> scratch_;
    sc_core::sc_event command_event_;
    uint64_t random_state_;
    uint64_t& stat_commands_;
    EventKind ev_command_;
};

}  // namespace models
