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

#include <functional>
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
};

class Mfd : public sc_core::sc_module {
public:
    tlm::tlm_initiator_socket<> dma_out;                  // the engine's system side
    tlm_utils::simple_target_socket<Mfd> mmio_in;         // registers (mfd_regs.h)
    tlm_utils::simple_target_socket<Mfd> sram_in;         // the SRAM, as the host sees it
    tlm_utils::simple_target_socket<Mfd> code_in;         // the code load window

    using IrqLevel = std::function<void(bool asserted, uint64_t delay_ps)>;

    Mfd(sc_core::sc_module_name name, const MfdConfig& config, Instrumentation& instr);

    static const PropertyTable<MfdConfig>& properties();
    void set_irq_level(IrqLevel irq_level);
    // Ground truth for the coherence monitor: the decoder reached the SRAM for a bus address
    // outside it (HazardKind::outside_local_memory).
    void set_local_memory_observer(LocalMemoryObserver* observer);
    const MfdConfig& config() const;
    const Mcs51& mcs51() const;
};

}  // namespace models
