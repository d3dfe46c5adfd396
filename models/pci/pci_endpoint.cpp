#include "models/pci/pci_endpoint.h"

#include "models/common/shared_events.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace models {

using namespace pci;

const char* to_string(PciDmaStatus status) {
    switch (status) {
    case PciDmaStatus::ok: return "ok";
    case PciDmaStatus::master_disabled: return "bus mastering disabled";
    case PciDmaStatus::beyond_dma_limit: return "beyond the DMA limit";
    case PciDmaStatus::unsupported_request: return "unsupported request";
    }
    return "?";
}

namespace {

bool power_of_two(uint64_t value) { return value && !(value & (value - 1)); }

unsigned log2_of(uint64_t value) { return 63 - __builtin_clzll(value | 1); }

}  // namespace

const PropertyTable<PciEndpointConfig>& PciEndpoint::properties() {
    using Spec = PropertySpec<PciEndpointConfig>;
    static const PropertyTable<PciEndpointConfig> table{
        [] {
            PciEndpointConfig defaults;
            defaults.bandwidth_mbps = 2000;
            return defaults;
        }(),
        {Spec::number(PropertyType::u32, "class-code", "class_code", &PciEndpointConfig::class_code)
             .range(0, 0xffffff)
             .shown_in_hex(6)
             .default_is("the model's")
             .with_doc("base class << 16 | sub-class << 8 | programming interface"),
         Spec::number(PropertyType::u32, "revision-id", "revision", &PciEndpointConfig::revision)
             .range(0, 0xff)
             .with_doc("the header's revision ID"),
         Spec::number(PropertyType::u32, "dmasim,dma-bits", "dma_bits", &PciEndpointConfig::dma_bits)
             .range(1, 64)
             .with_unit("address bits")
             .with_doc("what the DMA engine drives: its addressing limit"),
         Spec::number(PropertyType::u32, "dmasim,burst-size", "burst_size", &PciEndpointConfig::burst_size)
             .power_of_two_up_to(4096)
             .with_unit("bytes")
             .with_doc("per memory request (the maximum payload)"),
         Spec::number(PropertyType::u64, "dmasim,bandwidth-mbps", "bandwidth_mbps", &PciEndpointConfig::bandwidth_mbps)
             .with_unit("MB/s")
             .with_doc("the DMA engine's rate; 0: as fast as the bus takes it"),
         Spec::number(PropertyType::u32, "dmasim,msi-vectors", "msi_vectors", &PciEndpointConfig::msi_vectors)
             .power_of_two_up_to(32, 0)
             .with_unit("MSI vectors")
             .with_doc("what its MSI capability offers; 0: no MSI capability")}};
    return table;
}

PciEndpoint::PciEndpoint(sc_core::sc_module_name name, const PciEndpointConfig& config,
                         const std::array<PciBarSpec, PCI_STD_NUM_BARS>& bars, Instrumentation& instr)
    : sc_module(name), instr_(instr), config_(config), bars_(bars),
      stat_read_bytes_(instr.counter(std::string(this->name()) + ".dma_read_bytes")),
      stat_write_bytes_(instr.counter(std::string(this->name()) + ".dma_write_bytes")),
      stat_refused_(instr.counter(std::string(this->name()) + ".dma_refused")),
      stat_errors_(instr.counter(std::string(this->name()) + ".dma_errors")),
      stat_msis_(instr.counter(std::string(this->name()) + ".msis")),
      stat_intx_(instr.counter(std::string(this->name()) + ".intx_asserts")),
      ev_refused_(instr.declare_event("pci.dma_refused", "an endpoint's DMA engine sent nothing: bus mastering is "
                                                         "off or the address exceeds its DMA limit")),
      ev_read_(declare_dma_read(instr)), ev_write_(declare_dma_write(instr)) {
    if (std::string problem = properties().check(config); !problem.empty())
        throw std::invalid_argument(fmt::format("{}: {}", this->name(), problem));
    if (config.interrupt_pin > 4)
        throw std::invalid_argument(fmt::format("{}: interrupt pin 0 (none) or 1..4 (INTA..INTD), got {}", this->name(),
                                                config.interrupt_pin));
    init_header();
    init_bars();
    init_msi();
}

// Little-endian `size` bytes at `offset`, with the bits software may write.
void PciEndpoint::put(unsigned offset, unsigned size, uint32_t value, uint32_t writable) {
    for (unsigned i = 0; i < size; ++i) {
        space_[offset + i] = static_cast<uint8_t>(value >> (8 * i));
        wmask_[offset + i] = static_cast<uint8_t>(writable >> (8 * i));
    }
}

void PciEndpoint::init_header() {
    put(PCI_VENDOR_ID, 2, config_.vendor_id, 0);
    put(PCI_DEVICE_ID, 2, config_.device_id, 0);
    put(PCI_COMMAND, 2, 0, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
    put(PCI_STATUS, 2, config_.msi_vectors ? PCI_STATUS_CAP_LIST : 0, 0);
    w1c_[PCI_STATUS + 1] = PCI_STATUS_REC_MASTER_ABORT >> 8;
    put(PCI_CLASS_REVISION, 4, config_.class_code << 8 | config_.revision, 0);
    put(PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_NORMAL, 0);
    put(PCI_INTERRUPT_LINE, 1, 0xff, 0xff);  // a scratch register for software
    put(PCI_INTERRUPT_PIN, 1, config_.interrupt_pin, 0);
}

void PciEndpoint::init_bars() {
    for (unsigned bar = 0; bar < PCI_STD_NUM_BARS; ++bar) {
        const PciBarSpec& spec = bars_[bar];
        if (!spec.size)
            continue;
        if (!power_of_two(spec.size) || spec.size < 16)
            throw std::invalid_argument(fmt::format("{}: BAR{} size {:#x}: expected a power of two of at least 16",
                                                    name(), bar, spec.size));
        if (spec.mem64 && (bar + 1 == PCI_STD_NUM_BARS || bars_[bar + 1].size))
            throw std::invalid_argument(fmt::format("{}: 64-bit BAR{} needs BAR{} free for its upper half", name(), bar,
                                                    bar + 1));
        if (!spec.mem64 && spec.size > (1ULL << 31))
            throw std::invalid_argument(fmt::format("{}: 32-bit BAR{} of {:#x} bytes: at most 2 GiB", name(), bar,
                                                    spec.size));
        uint32_t flags = (spec.mem64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
                         (spec.prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
        uint64_t address_mask = ~(spec.size - 1);
        put(PCI_BASE_ADDRESS_0 + 4 * bar, 4, flags, static_cast<uint32_t>(address_mask) & PCI_BASE_ADDRESS_MEM_MASK);
        if (spec.mem64)
            put(PCI_BASE_ADDRESS_0 + 4 * (bar + 1), 4, 0, static_cast<uint32_t>(address_mask >> 32));
    }
}

void PciEndpoint::init_msi() {
    if (!config_.msi_vectors)
        return;
    put(PCI_CAPABILITY_LIST, 1, msi_capability, 0);
    put(msi_capability, 1, PCI_CAP_ID_MSI, 0);
    put(msi_capability + PCI_CAP_LIST_NEXT, 1, 0, 0);
    put(msi_capability + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_64BIT | log2_of(config_.msi_vectors) << 1,
        PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
    put(msi_capability + PCI_MSI_ADDRESS_LO, 4, 0, 0xfffffffc);
    put(msi_capability + PCI_MSI_ADDRESS_HI, 4, 0, 0xffffffff);
    put(msi_capability + PCI_MSI_DATA_64, 2, 0, 0xffff);
}

void PciEndpoint::add_vendor_capability(const std::vector<uint8_t>& data) {
    unsigned length = 3 + static_cast<unsigned>(data.size());
    if (config_read(vendor_capability, 1) == PCI_CAP_ID_VNDR)
        throw std::logic_error(fmt::format("{}: a second vendor-specific capability", name()));
    if (vendor_capability + length > space_.size())
        throw std::logic_error(fmt::format("{}: a vendor-specific capability of {} bytes", name(), length));
    put(vendor_capability, 1, PCI_CAP_ID_VNDR, 0);
    put(vendor_capability + PCI_CAP_LIST_NEXT, 1, 0, 0);
    put(vendor_capability + 2, 1, length, 0);
    for (size_t i = 0; i < data.size(); ++i)
        put(vendor_capability + 3 + static_cast<unsigned>(i), 1, data[i], 0);
    if (config_.msi_vectors)
        put(msi_capability + PCI_CAP_LIST_NEXT, 1, vendor_capability, 0);
    else
        put(PCI_CAPABILITY_LIST, 1, vendor_capability, 0);
    put(PCI_STATUS, 2, config_read(PCI_STATUS, 2) | PCI_STATUS_CAP_LIST, 0);
}

void PciEndpoint::attach(PciUpstream& upstream, uint8_t bus) {
    upstream_ = &upstream;
    bus_ = bus;
}

uint32_t PciEndpoint::config_read(unsigned offset, unsigned size) const {
    uint32_t value = 0;
    for (unsigned i = 0; i < size; ++i)
        if (offset + i < space_.size())
            value |= uint32_t(space_[offset + i]) << (8 * i);
    return value;
}

void PciEndpoint::config_write(unsigned offset, unsigned size, uint32_t value, uint64_t delay_ps) {
    for (unsigned i = 0; i < size && offset + i < space_.size(); ++i) {
        auto byte = static_cast<uint8_t>(value >> (8 * i));
        uint8_t& reg = space_[offset + i];
        reg = static_cast<uint8_t>((reg & ~wmask_[offset + i]) | (byte & wmask_[offset + i]));
        reg &= static_cast<uint8_t>(~(byte & w1c_[offset + i]));
    }
    update_intx_wire(delay_ps);  // INTx disable may have changed
}

uint64_t PciEndpoint::bar_address(unsigned bar) const {
    uint64_t low = config_read(PCI_BASE_ADDRESS_0 + 4 * bar, 4) & PCI_BASE_ADDRESS_MEM_MASK;
    if (!bars_[bar].mem64)
        return low;
    return uint64_t(config_read(PCI_BASE_ADDRESS_0 + 4 * (bar + 1), 4)) << 32 | low;
}

int PciEndpoint::decode(uint64_t addr, uint64_t length, uint64_t& offset) const {
    if (!(command() & PCI_COMMAND_MEMORY))
        return -1;
    for (unsigned bar = 0; bar < PCI_STD_NUM_BARS; ++bar) {
        uint64_t size = bars_[bar].size;
        uint64_t base = bar_address(bar);
        if (size && addr >= base && addr - base < size && length <= size - (addr - base)) {
            offset = addr - base;
            return static_cast<int>(bar);
        }
    }
    return -1;
}

bool PciEndpoint::msi_enabled() const {
    return config_.msi_vectors && (config_read(msi_capability + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE);
}

unsigned PciEndpoint::msi_vectors_enabled() const {
    if (!msi_enabled())
        return 0;
    unsigned log2_enabled = (config_read(msi_capability + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_QSIZE) >> 4;
    return std::min(1u << log2_enabled, config_.msi_vectors);  // more than capable is undefined: capped
}

PciDmaStatus PciEndpoint::refuse(PciDmaStatus why, const char* what, uint64_t addr, uint64_t length,
                                 uint64_t delay_ps) {
    ++stat_refused_;
    if (ev_refused_.enabled())
        instr_.emit(ev_refused_, Event{sc_core::sc_time_stamp().value() + delay_ps,
                                       nullptr,
                                       name(),
                                       {{"what", std::string(what)},
                                        {"addr", addr},
                                        {"length", length},
                                        {"reason", std::string(to_string(why))},
                                        {"dma_limit", dma_limit()}}});
    return why;
}

PciDmaStatus PciEndpoint::completed(PciDmaStatus status, uint64_t start_ps, uint64_t length, uint64_t& delay_ps,
                                    uint64_t& bytes) {
    if (config_.bandwidth_mbps)  // bytes per microsecond
        delay_ps = std::max(delay_ps, start_ps + length * 1000000 / config_.bandwidth_mbps);
    if (status == PciDmaStatus::ok) {
        bytes += length;
    } else {
        ++stat_errors_;
        space_[PCI_STATUS + 1] |= PCI_STATUS_REC_MASTER_ABORT >> 8;
    }
    return status;
}

void PciEndpoint::trace_transfer(const EventKind& kind, bool write, uint64_t addr, uint64_t length, uint64_t start_ps,
                                 uint64_t delay_ps, PciDmaStatus status) {
    std::vector<Field> fields = {{"addr", addr}};
    if (std::optional<uint64_t> pa = upstream_->system_address(addr, length, write))
        fields.push_back({"pa", *pa});
    fields.push_back({"length", length});
    if (status != PciDmaStatus::ok)
        fields.push_back({"result", std::string(to_string(status))});
    fields.push_back({"duration_ps", delay_ps - start_ps});
    instr_.emit(kind, Event{sc_core::sc_time_stamp().value() + start_ps, nullptr, name(), std::move(fields)});
}

PciDmaStatus PciEndpoint::dma_read(uint64_t addr, void* dst, uint64_t length, uint64_t& delay_ps) {
    if (!bus_master())
        return refuse(PciDmaStatus::master_disabled, "read", addr, length, delay_ps);
    if (!dma_reaches(addr, length))
        return refuse(PciDmaStatus::beyond_dma_limit, "read", addr, length, delay_ps);
    uint64_t start_ps = delay_ps;
    PciDmaStatus status = completed(upstream_->memory_read(*this, addr, dst, length, delay_ps), start_ps, length,
                                    delay_ps, stat_read_bytes_);
    if (ev_read_.enabled())
        trace_transfer(ev_read_, false, addr, length, start_ps, delay_ps, status);
    return status;
}

PciDmaStatus PciEndpoint::dma_write(uint64_t addr, const void* src, uint64_t length, uint64_t& delay_ps) {
    if (!bus_master())
        return refuse(PciDmaStatus::master_disabled, "write", addr, length, delay_ps);
    if (!dma_reaches(addr, length))
        return refuse(PciDmaStatus::beyond_dma_limit, "write", addr, length, delay_ps);
    uint64_t start_ps = delay_ps;
    PciDmaStatus status = completed(upstream_->memory_write(*this, addr, src, length, delay_ps), start_ps, length,
                                    delay_ps, stat_write_bytes_);
    if (ev_write_.enabled())
        trace_transfer(ev_write_, true, addr, length, start_ps, delay_ps, status);
    return status;
}

void PciEndpoint::set_intx(bool asserted, uint64_t delay_ps) {
    if (!config_.interrupt_pin)
        return;
    intx_asserted_ = asserted;
    if (asserted)
        space_[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    else
        space_[PCI_STATUS] &= static_cast<uint8_t>(~PCI_STATUS_INTERRUPT);
    update_intx_wire(delay_ps);
}

void PciEndpoint::update_intx_wire(uint64_t delay_ps) {
    bool wire = intx_asserted_ && !(command() & PCI_COMMAND_INTX_DISABLE);
    if (wire == intx_wire_ || !upstream_)
        return;
    intx_wire_ = wire;
    stat_intx_ += wire;
    upstream_->intx_changed(*this, wire, delay_ps);
}

// The message is not the DMA engine's: it may go to any address the capability holds.
bool PciEndpoint::raise_msi(unsigned vector, uint64_t& delay_ps) {
    unsigned vectors = msi_vectors_enabled();
    if (vector >= vectors || !bus_master())
        return false;
    uint64_t address = uint64_t(config_read(msi_capability + PCI_MSI_ADDRESS_HI, 4)) << 32 |
                       config_read(msi_capability + PCI_MSI_ADDRESS_LO, 4);
    uint32_t data = config_read(msi_capability + PCI_MSI_DATA_64, 2);
    data = (data & ~(vectors - 1)) | vector;  // multiple messages: the low bits carry the vector
    ++stat_msis_;
    return upstream_->memory_write(*this, address, &data, sizeof data, delay_ps) == PciDmaStatus::ok;
}

}  // namespace models
