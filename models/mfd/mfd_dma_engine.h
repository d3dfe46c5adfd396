// The MFD's DMA engine: runs chains of descriptors (MFD_DESC_* in mfd_fw_regs.h) that sit in the
// SRAM, each moving bytes between the SRAM and system memory. Its SRAM side is the SRAM itself
// (a fixed latency per burst, no cache in front of it: coherent by construction); its system side
// is a DmaPort that never snoops the CPU's caches, driving 32-bit bus addresses in bursts that do
// not cross the burst size.
//
// Loosely timed, as the bus master (models/bus/bus_master.h): a chain runs when it is started, its
// transfers carrying the times they take from the start on; it is running until its end time, and
// settle() applies its outcome (STATUS: DONE, or ERROR with a cause and ERROR_ADDR) once the
// caller's time reaches that end. One chain at a time: a start while one runs is refused.
//
// Stats, under the owner's name: .dma_chains, .dma_descriptors, .dma_bytes_to_system,
// .dma_bytes_to_sram, .dma_errors, .dma_busy_rejects (and the DmaPort's <owner>.dma.bursts).
// Events: dma.read (system memory to SRAM) and dma.write (SRAM to system memory), a slice per
// descriptor on the owner's track; mfd.dma_error for a chain that ends in an error.
#pragma once

#include "models/bus/dma_port.h"
#include "models/common/instrumentation.h"

#include <cstdint>
#include <optional>
#include <string>
#include <tlm>
#include <vector>

namespace models {

struct MfdDmaConfig {
    uint32_t id = 0;  // initiator id (and stream id) of its system-side accesses
    uint32_t burst_size = 64;
    uint64_t sram_latency_ps = 0;  // per burst on the SRAM side, and per descriptor fetched
};

class MfdDmaEngine {
public:
    enum class Starter : uint8_t { host, firmware };
    // A chain that has ended, as settle() hands it over.
    struct Ended {
        Starter starter;
        uint32_t status;  // MFD_DMA_STATUS's DONE, or ERROR and a cause
        uint64_t error_addr;
    };

    MfdDmaEngine(tlm::tlm_initiator_socket<>& socket, std::vector<uint8_t>& sram, const MfdDmaConfig& config,
                 Instrumentation& instr, const std::string& owner);

    // Runs the chain whose first descriptor is at SRAM offset `first`, started at `time_ps` (at or
    // after the kernel's time), and returns its end time; nullopt when a chain is still running
    // then: the start is refused, and STATUS shows ERROR with cause BUSY beside BUSY until the
    // running chain ends.
    std::optional<uint64_t> start(uint32_t first, Starter starter, uint64_t time_ps);
    // The running chain, once `time_ps` has reached its end: its outcome becomes STATUS's.
    std::optional<Ended> settle(uint64_t time_ps);

    bool running() const { return running_.has_value(); }
    // The running chain's end time, starter and outcome (valid while running()).
    uint64_t end_ps() const { return running_->end_ps; }
    const Ended& pending() const { return running_->outcome; }
    uint32_t status() const;  // MFD_DMA_STATUS
    uint64_t error_addr() const { return error_addr_; }

private:
    struct Outcome {
        uint32_t cause = 0;
        uint64_t addr = 0;
    };
    struct Running {
        uint64_t end_ps = 0;
        Ended outcome;
        bool refused_start = false;  // a start came while it ran
    };

    Outcome run_chain(uint32_t first, uint64_t& delay_ps);
    Outcome transfer(uint32_t sram_offset, uint32_t system, uint32_t length, bool to_system, uint64_t& delay_ps);
    uint32_t sram_word(uint32_t offset) const;
    void emit_error(Starter starter, const Outcome& outcome, uint64_t time_ps);

    std::vector<uint8_t>& sram_;
    MfdDmaConfig config_;
    Instrumentation& instr_;
    std::string owner_;
    DmaPort port_;
    std::optional<Running> running_;
    uint32_t status_ = 0;
    uint64_t error_addr_ = 0;
    uint64_t& stat_chains_;
    uint64_t& stat_descriptors_;
    uint64_t& stat_to_system_;
    uint64_t& stat_to_sram_;
    uint64_t& stat_errors_;
    uint64_t& stat_busy_rejects_;
    EventKind ev_read_;
    EventKind ev_write_;
    EventKind ev_error_;
};

}  // namespace models
