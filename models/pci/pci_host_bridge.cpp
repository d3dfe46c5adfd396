#include "models/pci/pci_host_bridge.h"

#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

namespace models {

using namespace pci;

const PropertyTable<TargetTiming>& PciHostBridge::timing_properties() {
    static const PropertyTable<TargetTiming> table{
        TargetTiming{200 * ps_per_ns, 0},
        {target_latency_property()}};  // latency only: its regions have no bandwidth limit
    return table;
}

PciHostBridge::PciHostBridge(sc_core::sc_module_name name, const PciHostBridgeConfig& config, Instrumentation& instr)
    : sc_module(name), cfg_in("cfg_in"), dma_out("dma_out"), config_(config), instr_(instr),
      dma_(dma_out, instr, this->name()), stat_cfg_reads_(instr.counter(std::string(this->name()) + ".cfg_reads")),
      stat_cfg_writes_(instr.counter(std::string(this->name()) + ".cfg_writes")),
      stat_mmio_reads_(instr.counter(std::string(this->name()) + ".mmio_reads")),
      stat_mmio_writes_(instr.counter(std::string(this->name()) + ".mmio_writes")),
      stat_master_aborts_(instr.counter(std::string(this->name()) + ".master_aborts")),
      stat_unsupported_(instr.counter(std::string(this->name()) + ".unsupported_requests")),
      stat_inbound_read_bytes_(instr.counter(std::string(this->name()) + ".inbound_read_bytes")),
      stat_inbound_write_bytes_(instr.counter(std::string(this->name()) + ".inbound_write_bytes")),
      stat_msi_writes_(instr.counter(std::string(this->name()) + ".msi_writes")),
      ev_master_abort_(instr.declare_event("pci.master_abort", "a CPU access to a PCI window that no BAR claims: "
                                                               "reads return all-ones, writes are dropped")),
      ev_unsupported_(instr.declare_event("pci.unsupported_request", "an endpoint's DMA outside every inbound "
                                                                     "window (dma-ranges): completed with an error")) {
    cfg_in.register_b_transport(this, &PciHostBridge::ecam_transport);
    for (size_t window = 0; window < config.outbound.size(); ++window) {
        std::string socket_name = fmt::format("mmio_in_{}", window);
        mmio_in.push_back(std::make_unique<tlm_utils::simple_target_socket_tagged<PciHostBridge>>(socket_name.c_str()));
        mmio_in.back()->register_b_transport(this, &PciHostBridge::mmio_transport, static_cast<int>(window));
    }
}

void PciHostBridge::attach(PciEndpoint& endpoint, std::optional<unsigned> intx_irq) {
    if (find(config_.bus_start, endpoint.config().devfn))
        throw std::invalid_argument(fmt::format("{}: devfn {:#04x} ({:02x}.{}) taken twice", name(),
                                                endpoint.config().devfn, PCI_SLOT(endpoint.config().devfn),
                                                PCI_FUNC(endpoint.config().devfn)));
    endpoint.attach(*this, static_cast<uint8_t>(config_.bus_start));
    endpoints_.push_back(&endpoint);
    if (intx_irq)
        intx_irq_[&endpoint] = *intx_irq;
}

PciEndpoint* PciHostBridge::find(unsigned bus, unsigned devfn) const {
    for (PciEndpoint* endpoint : endpoints_)
        if (endpoint->bus() == bus && endpoint->config().devfn == devfn)
            return endpoint;
    return nullptr;
}

std::optional<uint64_t> PciHostBridge::outbound_to_pci(uint64_t cpu_address) const {
    for (const PciOutboundWindow& window : config_.outbound)
        if (cpu_address >= window.cpu_base && cpu_address - window.cpu_base < window.size)
            return window.pci_base + (cpu_address - window.cpu_base);
    return std::nullopt;
}

// Configuration accesses are 1, 2 or 4 naturally aligned bytes, as Linux's generic accessors make.
void PciHostBridge::ecam_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    uint64_t offset = payload.get_address();
    unsigned length = payload.get_data_length();
    if ((length != 1 && length != 2 && length != 4) || offset % length) {
        payload.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    }
    unsigned bus = config_.bus_start + static_cast<unsigned>(offset >> 20);
    unsigned devfn = offset >> 12 & 0xff;
    auto where = static_cast<unsigned>(offset & 0xfff);
    PciEndpoint* function = bus <= config_.bus_end ? find(bus, devfn) : nullptr;
    uint8_t* data = payload.get_data_ptr();
    if (payload.is_read()) {
        ++stat_cfg_reads_;
        uint32_t value = function ? function->config_read(where, length) : 0xffffffff;
        std::memcpy(data, &value, length);
    } else {
        ++stat_cfg_writes_;
        uint32_t value = 0;
        std::memcpy(&value, data, length);
        if (function)
            function->config_write(where, length, value, delay.value());
    }
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

void PciHostBridge::mmio_transport(int window, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    uint64_t pci_addr = config_.outbound.at(window).pci_base + payload.get_address();
    unsigned length = payload.get_data_length();
    uint64_t offset = 0;
    PciEndpoint* target = nullptr;
    int bar = -1;
    for (PciEndpoint* endpoint : endpoints_)
        if ((bar = endpoint->decode(pci_addr, length, offset)) >= 0) {
            target = endpoint;
            break;
        }
    ++*(payload.is_read() ? &stat_mmio_reads_ : &stat_mmio_writes_);
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
    if (!target)
        return master_abort(pci_addr, payload, delay);
    uint64_t delay_ps = delay.value();
    if (payload.is_read())
        target->bar_read(static_cast<unsigned>(bar), offset, payload.get_data_ptr(), length, delay_ps);
    else
        target->bar_write(static_cast<unsigned>(bar), offset, payload.get_data_ptr(), length, delay_ps);
    delay = sc_core::sc_time::from_value(delay_ps);
}

void PciHostBridge::master_abort(uint64_t pci_addr, tlm::tlm_generic_payload& payload, const sc_core::sc_time& delay) {
    ++stat_master_aborts_;
    if (payload.is_read())
        std::memset(payload.get_data_ptr(), 0xff, payload.get_data_length());
    if (ev_master_abort_.enabled())
        instr_.emit(ev_master_abort_, Event{(sc_core::sc_time_stamp() + delay).value(),
                                            nullptr,
                                            name(),
                                            {{"pci_addr", pci_addr},
                                             {"length", uint64_t(payload.get_data_length())},
                                             {"command", std::string(payload.is_read() ? "read" : "write")}}});
}

Initiator PciHostBridge::requester(const PciEndpoint& from) {
    Initiator who{InitiatorKind::device, from.config().number, from.requester_id()};
    who.pci = true;
    return who;
}

bool PciHostBridge::is_msi(uint64_t addr, uint64_t length) const {
    return config_.msi_page && addr >= *config_.msi_page && addr - *config_.msi_page < msi_page_size &&
           length <= msi_page_size - (addr - *config_.msi_page);
}

std::optional<uint64_t> PciHostBridge::translate(uint64_t addr, uint64_t length) const {
    if (const InboundWindow* window = find_inbound_window(config_.inbound, addr, length))
        return window->system_start + (addr - window->bus_start);
    return std::nullopt;
}

std::optional<uint64_t> PciHostBridge::system_address(uint64_t addr, uint64_t length, bool write) const {
    return write && is_msi(addr, length) ? std::optional<uint64_t>(addr) : translate(addr, length);
}

std::optional<uint64_t> PciHostBridge::inbound(const PciEndpoint& from, const char* command, uint64_t addr,
                                               uint64_t length, uint64_t delay_ps) {
    if (std::optional<uint64_t> system = translate(addr, length))
        return system;
    ++stat_unsupported_;
    if (ev_unsupported_.enabled())
        instr_.emit(ev_unsupported_, Event{sc_core::sc_time_stamp().value() + delay_ps,
                                           nullptr,
                                           name(),
                                           {{"requester", requester(from).describe()},
                                            {"command", std::string(command)},
                                            {"pci_addr", addr},
                                            {"length", length}}});
    return std::nullopt;
}

void PciHostBridge::set_iommu(DmaTranslator& iommu, std::vector<IommuMapEntry> map, uint32_t map_mask) {
    iommu_ = &iommu;
    iommu_map_ = std::move(map);
    iommu_map_mask_ = map_mask;
}

void PciHostBridge::route_through_iommu(const PciEndpoint& from) {
    if (!iommu_)
        return;
    bool found = false;
    uint32_t stream_id = map_requester_id(iommu_map_, iommu_map_mask_, from.requester_id(), found);
    dma_.set_translator(found ? iommu_ : nullptr, stream_id);
}

PciDmaStatus PciHostBridge::memory_read(const PciEndpoint& from, uint64_t addr, void* dst, uint64_t length,
                                        uint64_t& delay_ps) {
    route_through_iommu(from);
    std::optional<uint64_t> system = inbound(from, "read", addr, length, delay_ps);
    if (!system || dma_.read(*system, dst, length, requester(from), from.config().burst_size, config_.coherent,
                             delay_ps) != tlm::TLM_OK_RESPONSE)
        return PciDmaStatus::unsupported_request;
    stat_inbound_read_bytes_ += length;
    return PciDmaStatus::ok;
}

PciDmaStatus PciHostBridge::memory_write(const PciEndpoint& from, uint64_t addr, const void* src, uint64_t length,
                                         uint64_t& delay_ps) {
    bool msi = is_msi(addr, length);
    if (msi)
        dma_.set_translator(nullptr, 0);
    else
        route_through_iommu(from);
    std::optional<uint64_t> system = msi ? std::optional<uint64_t>(addr)
                                         : inbound(from, "write", addr, length, delay_ps);
    if (!system || dma_.write(*system, src, length, requester(from), from.config().burst_size, config_.coherent && !msi,
                              delay_ps) != tlm::TLM_OK_RESPONSE)
        return PciDmaStatus::unsupported_request;
    if (msi)
        ++stat_msi_writes_;
    else
        stat_inbound_write_bytes_ += length;
    return PciDmaStatus::ok;
}

void PciHostBridge::intx_changed(const PciEndpoint& from, bool asserted, uint64_t delay_ps) {
    auto route = intx_irq_.find(&from);
    if (route == intx_irq_.end())
        return;
    unsigned& count = intx_asserted_[route->second];
    bool before = count != 0;
    if (asserted)
        ++count;
    else
        --count;
    if (irq_level_ && before != (count != 0))
        irq_level_(route->second, count != 0, delay_ps);
}

}  // namespace models
