// The base of every PCI endpoint model: a type-0 configuration header (IDs, class, command and
// status, six BAR registers sized by writing all-ones, the interrupt pin), an MSI capability, the
// requester ID, and the function's two ways to the host: DMA (memory requests through the host
// bridge, refused while bus mastering is off) and interrupts (the INTx wire, or an MSI: a memory
// write of the message data to the message address). A concrete endpoint is a subclass that
// declares its BARs and serves their reads and writes; platforms/builder/pci_endpoints.cpp names it by its
// `compatible`.
//
// Configuration space follows the specification's write masks: a register bit software may not
// change keeps its value, so sizing a BAR (write all-ones, read back) reads ~(size - 1) | flags.
//
// Stats, under the endpoint's name (ep<N>): dma_read_bytes, dma_write_bytes, dma_refused (no bus
// master, or beyond the DMA limit), dma_errors (unsupported-request completions), msis,
// intx_asserts. Events: dma.read and dma.write, a slice per DMA request the engine sends (addr: the
// bus address; pa: the system address the bridge's inbound window gives it, absent for an
// unsupported request, which also carries result), so that each endpoint's DMA is on the timeline
// and its busy wire in the waveforms; pci.dma_refused.
#pragma once

#include "models/common/instrumentation.h"
#include "models/common/property_table.h"
#include "models/pci/pci_regs.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <systemc>
#include <vector>

namespace models {

class PciEndpoint;

// How a DMA request of an endpoint ended.
enum class PciDmaStatus {
    ok,
    master_disabled,      // bus mastering is off (PCI_COMMAND_MASTER clear): nothing was sent
    beyond_dma_limit,     // the range does not fit the engine's address bits: nothing was sent
    unsupported_request,  // the bridge completed it with an error (outside every inbound window)
};
const char* to_string(PciDmaStatus status);

// The host bridge as an endpoint sees it, upstream of its link.
class PciUpstream {
public:
    virtual ~PciUpstream() = default;
    // A memory request of `from` at PCI bus address `addr`, from `delay_ps` on (advanced to its
    // completion): ok or unsupported_request.
    virtual PciDmaStatus memory_read(const PciEndpoint& from, uint64_t addr, void* dst, uint64_t length,
                                     uint64_t& delay_ps) = 0;
    virtual PciDmaStatus memory_write(const PciEndpoint& from, uint64_t addr, const void* src, uint64_t length,
                                      uint64_t& delay_ps) = 0;
    // The endpoint's INTx wire changed at sc_time_stamp() + delay_ps.
    virtual void intx_changed(const PciEndpoint& from, bool asserted, uint64_t delay_ps) = 0;
    // The system address a memory request at bus address `addr` reaches, or nullopt (an
    // unsupported request). Only for showing where a transfer went: it changes nothing.
    virtual std::optional<uint64_t> system_address(uint64_t addr, uint64_t length, bool write) const = 0;
};

struct PciBarSpec {
    uint64_t size = 0;   // a power of two of at least 16 bytes; 0: not implemented
    bool mem64 = false;  // a 64-bit memory BAR, which also takes the next BAR register
    bool prefetchable = false;
};

struct PciEndpointConfig {
    uint32_t number = 0;  // the endpoint's number in the platform: its model name ep<N>, its initiator id
    uint8_t devfn = 0;
    uint16_t vendor_id = 0xffff;
    uint16_t device_id = 0xffff;
    uint32_t class_code = 0xff0000;  // base class << 16 | sub-class << 8 | programming interface
    uint8_t revision = 0;
    uint8_t interrupt_pin = 1;    // 1..4: INTA..INTD; 0: none
    unsigned msi_vectors = 1;     // a power of two up to 32; 0: no MSI capability
    unsigned dma_bits = 32;       // address bits the DMA engine drives (its addressing limit)
    uint32_t burst_size = 128;    // bytes per memory request (the maximum payload), a power of two
    uint64_t bandwidth_mbps = 0;  // the DMA engine's rate in MB/s; 0: as fast as the bus takes it
};

class PciEndpoint : public sc_core::sc_module {
public:
    static constexpr unsigned msi_capability = 0x50;
    static constexpr unsigned vendor_capability = 0x60;  // after the MSI capability's 14 bytes

    // std::invalid_argument for a configuration the hardware cannot have (a BAR size that is not a
    // power of two, a 64-bit BAR in the last register, too many MSI vectors...).
    PciEndpoint(sc_core::sc_module_name name, const PciEndpointConfig& config,
                const std::array<PciBarSpec, pci::PCI_STD_NUM_BARS>& bars, Instrumentation& instr);

    // The properties every endpoint's node has; an endpoint model's table starts from these
    // defaults with its own class code (platforms/builder/pci_endpoints.cpp).
    static const PropertyTable<PciEndpointConfig>& properties();

    const PciEndpointConfig& config() const { return config_; }
    // What the endpoint is, for descriptions ("DMA test endpoint").
    virtual std::string device_kind() const = 0;
    const PciBarSpec& bar_spec(unsigned bar) const { return bars_.at(bar); }

    // --- the bridge's side ---
    // Elaboration: the endpoint sits on `bus` below `upstream`.
    void attach(PciUpstream& upstream, uint8_t bus);
    uint8_t bus() const { return bus_; }
    uint16_t requester_id() const { return static_cast<uint16_t>(bus_ << 8 | config_.devfn); }
    // Configuration reads and writes of 1, 2 or 4 naturally aligned bytes at `offset` (< 4 KiB;
    // the extended space reads as zero). A write may change the INTx wire (INTx disable).
    uint32_t config_read(unsigned offset, unsigned size) const;
    void config_write(unsigned offset, unsigned size, uint32_t value, uint64_t delay_ps);
    // The BAR that decodes all of [addr, addr + length) in PCI memory space while memory decoding
    // is enabled, and the offset into it; -1 if none.
    int decode(uint64_t addr, uint64_t length, uint64_t& offset) const;
    // Reads and writes of a BAR's registers or memory from the CPU (delay: the caller's local-time
    // offset, which the access may advance).
    virtual void bar_read(unsigned bar, uint64_t offset, uint8_t* data, unsigned length, uint64_t& delay_ps) = 0;
    virtual void bar_write(unsigned bar, uint64_t offset, const uint8_t* data, unsigned length, uint64_t& delay_ps) = 0;

    // --- state software set up ---
    uint16_t command() const { return static_cast<uint16_t>(config_read(pci::PCI_COMMAND, 2)); }
    bool bus_master() const { return command() & pci::PCI_COMMAND_MASTER; }
    uint64_t bar_address(unsigned bar) const;  // the BAR register(s), without flag bits
    bool msi_enabled() const;
    unsigned msi_vectors_enabled() const;  // 0 unless enabled
    // The highest bus address the DMA engine can drive.
    uint64_t dma_limit() const { return config_.dma_bits >= 64 ? ~0ULL : (1ULL << config_.dma_bits) - 1; }
    bool intx_asserted() const { return intx_asserted_; }

protected:
    // DMA through the bridge. Nothing is sent without bus mastering or beyond the DMA limit; an
    // unsupported request sets PCI_STATUS_REC_MASTER_ABORT. The engine's bandwidth, when set,
    // bounds how fast `delay_ps` may advance.
    PciDmaStatus dma_read(uint64_t addr, void* dst, uint64_t length, uint64_t& delay_ps);
    PciDmaStatus dma_write(uint64_t addr, const void* src, uint64_t length, uint64_t& delay_ps);
    // Whether [addr, addr + length) fits the engine's address bits.
    bool dma_reaches(uint64_t addr, uint64_t length) const {
        return length != 0 && addr <= dma_limit() && length - 1 <= dma_limit() - addr;
    }
    // The INTx wire's level as the function drives it (PCI_STATUS_INTERRUPT); it reaches the
    // bridge unless INTx is disabled in the command register.
    void set_intx(bool asserted, uint64_t delay_ps);
    // MSI vector `vector` (0-based) as a memory write of the message through the bridge; false
    // (nothing sent) when MSI is off, the vector is not enabled, or bus mastering is off.
    bool raise_msi(unsigned vector, uint64_t& delay_ps);
    // A vendor-specific capability (PCI_CAP_ID_VNDR, next, length, then `data`, read-only) at
    // vendor_capability, linked at the end of the capability list; at most one.
    void add_vendor_capability(const std::vector<uint8_t>& data);

    Instrumentation& instr_;

private:
    PciDmaStatus refuse(PciDmaStatus why, const char* what, uint64_t addr, uint64_t length, uint64_t delay_ps);
    PciDmaStatus completed(PciDmaStatus status, uint64_t start_ps, uint64_t length, uint64_t& delay_ps,
                           uint64_t& bytes);
    // The request [addr, addr + length) sent from local time start_ps, completed at delay_ps.
    void trace_transfer(const EventKind& kind, bool write, uint64_t addr, uint64_t length, uint64_t start_ps,
                        uint64_t delay_ps, PciDmaStatus status);
    void init_header();
    void init_bars();
    void init_msi();
    void put(unsigned offset, unsigned size, uint32_t value, uint32_t writable);
    void update_intx_wire(uint64_t delay_ps);

    PciEndpointConfig config_;
    std::array<PciBarSpec, pci::PCI_STD_NUM_BARS> bars_;
    std::array<uint8_t, 256> space_{};  // the conventional configuration space
    std::array<uint8_t, 256> wmask_{};  // bits software may write
    std::array<uint8_t, 256> w1c_{};    // bits a write of 1 clears
    PciUpstream* upstream_ = nullptr;
    uint8_t bus_ = 0;
    bool intx_asserted_ = false;
    bool intx_wire_ = false;
    uint64_t& stat_read_bytes_;
    uint64_t& stat_write_bytes_;
    uint64_t& stat_refused_;
    uint64_t& stat_errors_;
    uint64_t& stat_msis_;
    uint64_t& stat_intx_;
    EventKind ev_refused_;
    EventKind ev_read_;
    EventKind ev_write_;
};

}  // namespace models
