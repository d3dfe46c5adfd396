// A PCI host bridge in the style of Linux's pci-host-ecam-generic: configuration space through ECAM,
// outbound windows that turn CPU accesses into PCI memory requests to the endpoint whose BAR decodes
// them, and an inbound path that turns the endpoints' memory requests into system-bus transactions.
//
// - ECAM (`cfg_in`): offset bus << 20 | devfn << 12 | register, bus counted from the bus range's
//   start. Functions that do not exist read all-ones; writes to them are dropped.
// - Outbound (`mmio_in`, a socket per window): an access nobody claims (no BAR,
//   or memory decoding off) is a master abort: a read returns all-ones, a write is dropped; counted
//   and emitted as pci.master_abort, never a bus error.
// - Inbound: a PCI bus address inside a window (dma-ranges) reaches window.system_start + offset;
//   outside every window it is an unsupported request: counted, emitted as
//   pci.unsupported_request, and completed with an error to the endpoint. A write to the
//   msi-parent's doorbell page is an MSI: it goes to that page untranslated, as a root complex
//   captures MSI writes before its inbound translation. Transactions carry the endpoint's requester
//   ID (Initiator with pci set), so the coherence monitor sees them as device traffic; they snoop the
//   CPU's caches only when the bridge is dma-coherent. With an IOMMU (set_iommu), the window's
//   output is an IOVA that the IOMMU translates per burst.
// - INTx: each endpoint's pin is routed to one interrupt ID (from interrupt-map); endpoints sharing
//   an ID are ORed, as on a shared level-sensitive line.
//
// Stats, under the bridge's name (pci<N>): cfg_reads, cfg_writes, mmio_reads, mmio_writes,
// master_aborts, unsupported_requests, inbound_read_bytes, inbound_write_bytes, msi_writes, plus the
// inbound port's bursts and snooped_lines.
#pragma once

#include "models/bus/dma_port.h"
#include "models/bus/target_timing.h"
#include "models/common/instrumentation.h"
#include "models/cpu/cache.h"
#include "models/pci/pci_endpoint.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

namespace models {

// An outbound window (`ranges`): CPU addresses [cpu_base, cpu_base + size) are PCI memory
// addresses from pci_base on.
struct PciOutboundWindow {
    uint64_t cpu_base = 0;
    uint64_t pci_base = 0;
    uint64_t size = 0;
    bool mem64 = false;
    bool prefetchable = false;
};

struct PciHostBridgeConfig {
    unsigned bus_start = 0;
    unsigned bus_end = 0;
    std::vector<PciOutboundWindow> outbound;
    std::vector<InboundWindow> inbound;  // PCI bus address -> system address
    bool coherent = false;               // dma-coherent: inbound traffic snoops the CPU's caches
    std::optional<uint64_t> msi_page;    // system address of the msi-parent's doorbell page
};

class PciHostBridge : public sc_core::sc_module, public PciUpstream {
public:
    static constexpr uint64_t msi_page_size = 0x1000;

    tlm_utils::simple_target_socket<PciHostBridge> cfg_in;
    // One per outbound window, in window order: an address arrives as an offset into its window.
    std::vector<std::unique_ptr<tlm_utils::simple_target_socket_tagged<PciHostBridge>>> mmio_in;
    tlm::tlm_initiator_socket<> dma_out;

    // A level input of the interrupt controller: ID, level, at sc_time_stamp() + delay_ps.
    using IrqLevel = std::function<void(unsigned id, bool asserted, uint64_t delay_ps)>;

    PciHostBridge(sc_core::sc_module_name name, const PciHostBridgeConfig& config, Instrumentation& instr);

    // The timing the router gives the bridge's ECAM, windows and local memory (all the bridge's
    // own properties are structure: platforms/builder/pci_host_bridge.cpp reads them).
    static const PropertyTable<TargetTiming>& timing_properties();

    const PciHostBridgeConfig& config() const { return config_; }
    // Caches the inbound path keeps coherent when the bridge is dma-coherent, innermost first.
    void add_snooped_cache(Cache* cache) { dma_.add_snooped_cache(cache); }
    // The IOMMU the host's `iommu-map` names, with the map and its `iommu-map-mask`: an endpoint's
    // DMA goes through the inbound windows first, then through the IOMMU as the stream ID its
    // requester ID maps to (map_requester_id). A requester ID the map does not hold has no IOMMU
    // (Linux's of_map_id gives it none) and bypasses it; MSI writes, captured before the inbound
    // path, bypass it too.
    void set_iommu(DmaTranslator& iommu, std::vector<IommuMapEntry> map, uint32_t map_mask);
    // Elaboration: an endpoint on the root bus; its INTx pin drives interrupt `intx_irq`, if any.
    // std::invalid_argument for a devfn already taken.
    void attach(PciEndpoint& endpoint, std::optional<unsigned> intx_irq);
    void set_irq_level(IrqLevel irq_level) { irq_level_ = std::move(irq_level); }
    const std::vector<PciEndpoint*>& endpoints() const { return endpoints_; }
    PciEndpoint* find(unsigned bus, unsigned devfn) const;
    // The PCI address of an outbound window's CPU address, or nullopt outside every window.
    std::optional<uint64_t> outbound_to_pci(uint64_t cpu_address) const;

    // --- PciUpstream ---
    PciDmaStatus memory_read(const PciEndpoint& from, uint64_t addr, void* dst, uint64_t length,
                             uint64_t& delay_ps) override;
    PciDmaStatus memory_write(const PciEndpoint& from, uint64_t addr, const void* src, uint64_t length,
                              uint64_t& delay_ps) override;
    void intx_changed(const PciEndpoint& from, bool asserted, uint64_t delay_ps) override;
    std::optional<uint64_t> system_address(uint64_t addr, uint64_t length, bool write) const override;

private:
    void ecam_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    void mmio_transport(int window, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    void master_abort(uint64_t pci_addr, tlm::tlm_generic_payload& payload, const sc_core::sc_time& delay);
    // The system address of an inbound request, or nullopt (an unsupported request, reported).
    std::optional<uint64_t> inbound(const PciEndpoint& from, const char* command, uint64_t addr, uint64_t length,
                                    uint64_t delay_ps);
    bool is_msi(uint64_t addr, uint64_t length) const;
    std::optional<uint64_t> translate(uint64_t addr, uint64_t length) const;  // through the inbound windows
    static Initiator requester(const PciEndpoint& from);
    // Points the inbound port at the IOMMU for `from`'s stream, or at none.
    void route_through_iommu(const PciEndpoint& from);

    PciHostBridgeConfig config_;
    Instrumentation& instr_;
    DmaPort dma_;
    DmaTranslator* iommu_ = nullptr;
    std::vector<IommuMapEntry> iommu_map_;
    uint32_t iommu_map_mask_ = ~0u;
    std::vector<PciEndpoint*> endpoints_;
    std::map<const PciEndpoint*, unsigned> intx_irq_;
    std::map<unsigned, unsigned> intx_asserted_;  // interrupt ID -> endpoints asserting it
    IrqLevel irq_level_;
    uint64_t& stat_cfg_reads_;
    uint64_t& stat_cfg_writes_;
    uint64_t& stat_mmio_reads_;
    uint64_t& stat_mmio_writes_;
    uint64_t& stat_master_aborts_;
    uint64_t& stat_unsupported_;
    uint64_t& stat_inbound_read_bytes_;
    uint64_t& stat_inbound_write_bytes_;
    uint64_t& stat_msi_writes_;
    EventKind ev_master_abort_;
    EventKind ev_unsupported_;
};

}  // namespace models
