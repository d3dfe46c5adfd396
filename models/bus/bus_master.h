// dmasim's bus master ("dmasim,bus-master"): a small DMA controller standing in for devices, driven
// through its registers (models/bus/bus_master_regs.h) in its register window (`mmio_in`) and a data
// buffer in a window of its own (`buffer_in`). Software programs SRC, DST and LENGTH and writes
// COMMAND: READ moves memory into the buffer, WRITE the buffer to memory, COPY memory to memory, in
// bursts that never cross the burst size, with its own initiator and stream ids. A non-snooping
// master sees memory only, as a non-coherent device does; a snooping one has the interconnect clean
// or invalidate cached copies first, as a coherent interconnect would, and so produces no hazards.
//
// Loosely timed: the engine runs a command when COMMAND is written, its bursts carrying the times
// they take from that write on; STATUS reads BUSY until the time the transfer ends, then DONE (or
// ERROR and a cause), and the interrupt causes latch and the line rises at that time. A range
// outside every inbound window (the bus's dma-ranges), or more than the buffer holds, is refused
// before anything moves; a bus error stops the transfer at the refused burst. A COMMAND written
// while BUSY is ignored (the engine runs one command at a time).
//
// Stats: <name>.commands, .read_bytes, .write_bytes, .errors, .window_errors, .busy_rejects (and
// DmaPort's .bursts, .snooped_lines). Events: dma.read / dma.write / dma.copy, each stamped with its
// start and carrying its duration, so the timeline shows it as a slice on the master's track and
// the waveform as its busy line; bus_master.error for a command that fails.
#pragma once

#include "models/bus/bus_master_regs.h"
#include "models/bus/dma_port.h"
#include "models/common/instrumentation.h"
#include "models/common/property_table.h"
#include "models/cpu/cache.h"

#include <functional>
#include <optional>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

namespace models {

struct BusMasterConfig {
    uint32_t id = 0;
    uint32_t stream_id = 0;
    uint32_t burst_size = 64;
    bool snoop = false;
    std::vector<InboundWindow> inbound;  // empty: bus addresses are system addresses
    uint64_t buffer_size = 0;            // bytes of the data buffer window (0: none)
};

class BusMaster : public sc_core::sc_module {
public:
    static constexpr uint64_t max_buffer_size = 64ULL << 20;

    tlm::tlm_initiator_socket<> dma_out;
    tlm_utils::simple_target_socket<BusMaster> mmio_in;             // the registers
    tlm_utils::simple_target_socket_optional<BusMaster> buffer_in;  // the data buffer, if it has one

    // Drives the interrupt line: `asserted` from sc_time_stamp() + delay_ps on.
    using IrqLevel = std::function<void(bool asserted, uint64_t delay_ps)>;

    BusMaster(sc_core::sc_module_name name, const BusMasterConfig& config, Instrumentation& instr);

    // A dmasim,bus-master node's properties.
    static const PropertyTable<BusMasterConfig>& properties();

    // Caches a snooping master keeps coherent, innermost first.
    void add_snooped_cache(Cache* cache) { dma_.add_snooped_cache(cache); }
    // The IOMMU its `iommus` names, and the stream ID the specifier gives: its bus addresses (past
    // the inbound windows) are then IOVAs, each burst translated; a fault ends the command with
    // CAUSE_BUS at the faulting burst.
    void set_iommu(DmaTranslator& iommu, uint32_t stream_id) { dma_.set_translator(&iommu, stream_id); }
    void set_irq_level(IrqLevel irq_level) { irq_level_ = std::move(irq_level); }
    const BusMasterConfig& config() const { return config_; }

private:
    // How a command ended: STATUS's cause and, for an error, the bus address it concerns.
    struct Outcome {
        uint32_t cause = bus_master::CAUSE_NONE;
        uint64_t addr = 0;
    };
    // A command whose transfer ends at `end_ps`: STATUS and IRQ_STATUS take its outcome then.
    struct Running {
        uint64_t end_ps = 0;
        uint32_t status = 0;
        uint32_t irq = 0;
        uint64_t error_addr = 0;
    };

    void mmio_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    void buffer_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    uint32_t read_register(unsigned offset) const;
    void write_register(unsigned offset, uint32_t value, uint64_t time_ps);
    // Applies the running command's outcome if its transfer has ended by `time_ps`.
    void settle(uint64_t time_ps);
    // The interrupt line as IRQ_STATUS and IRQ_ENABLE make it at `time_ps`, and at the end of the
    // running command, if any.
    void drive_irq(uint64_t time_ps);
    void start(uint32_t command, uint64_t time_ps);
    Outcome execute(uint32_t command, uint64_t& delay_ps);
    Outcome device_read(uint64_t& delay_ps, InitiatorKind as);
    Outcome device_write(uint64_t& delay_ps);
    Outcome device_copy(uint64_t& delay_ps);
    // The system address a bus address range reaches (identity without inbound windows), or
    // nullopt when no inbound window holds all of it.
    std::optional<uint64_t> to_system(uint64_t addr, uint64_t length);
    Outcome read_memory(uint64_t addr, void* dst, uint64_t length, uint64_t& delay_ps, InitiatorKind as);
    Outcome write_memory(uint64_t addr, const void* src, uint64_t length, uint64_t& delay_ps);
    // The transfer that started at `start_ps` and ends where `delay_ps` now stands.
    void emit_transfer(const EventKind& kind, uint64_t start_ps, uint64_t delay_ps, std::vector<Field> fields);
    void emit_error(uint32_t command, const Outcome& outcome, uint64_t time_ps);
    uint64_t src_addr() const { return uint64_t(src_hi_) << 32 | src_lo_; }
    uint64_t dst_addr() const { return uint64_t(dst_hi_) << 32 | dst_lo_; }

    BusMasterConfig config_;
    Instrumentation& instr_;
    DmaPort dma_;
    IrqLevel irq_level_;
    std::vector<uint8_t> buffer_;
    uint32_t src_lo_ = 0, src_hi_ = 0, dst_lo_ = 0, dst_hi_ = 0, length_ = 0, command_ = 0;
    uint32_t status_ = 0, irq_enable_ = 0, irq_status_ = 0;
    uint64_t error_addr_ = 0;
    std::optional<Running> running_;
    uint64_t& stat_commands_;
    uint64_t& stat_read_bytes_;
    uint64_t& stat_write_bytes_;
    uint64_t& stat_errors_;
    uint64_t& stat_window_errors_;
    uint64_t& stat_busy_rejects_;
    EventKind ev_read_;
    EventKind ev_write_;
    EventKind ev_copy_;
    EventKind ev_error_;
};

}  // namespace models
