#include "models/usb/uhc.h"

#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

namespace models {

using namespace uhc;
using usb::USB_ENDPOINT_XFER_BULK;
using usb::USB_ENDPOINT_XFER_CONTROL;
using usb::USB_ENDPOINT_XFER_INT;

namespace {

std::array<PciBarSpec, pci::PCI_STD_NUM_BARS> controller_bars() {
    std::array<PciBarSpec, pci::PCI_STD_NUM_BARS> bars{};
    bars[register_bar] = PciBarSpec{register_bar_size, false, false};
    return bars;
}

const char* type_name(unsigned type) {
    switch (type) {
    case USB_ENDPOINT_XFER_CONTROL: return "control";
    case USB_ENDPOINT_XFER_BULK: return "bulk";
    case USB_ENDPOINT_XFER_INT: return "interrupt";
    default: return "isochronous";
    }
}

const char* completion_name(uint32_t code) {
    switch (code) {
    case CC_SUCCESS: return "success";
    case CC_DMA_ERROR: return "dma error";
    case CC_TRANSACTION_ERROR: return "transaction error";
    case CC_TD_ERROR: return "td error";
    case CC_STALL: return "stall";
    case CC_SHORT_PACKET: return "short packet";
    default: return "?";
    }
}

uint64_t usb_time_ps(uint64_t bytes) { return bytes * Uhc::usb_ps_per_byte; }

}  // namespace

const PropertyTable<UhcConfig>& Uhc::properties() {
    static const PropertyTable<UhcConfig> table{UhcConfig{},
                                                {PropertySpec<UhcConfig>::number(PropertyType::u32, "dmasim,ports",
                                                                                 "ports", &UhcConfig::ports)
                                                     .range(1, max_ports)
                                                     .with_unit("root-hub ports")
                                                     .with_doc("the ports its children's `reg` may name")}};
    return table;
}

Uhc::Uhc(sc_core::sc_module_name name, const PciEndpointConfig& config, unsigned ports, Instrumentation& instr)
    : PciEndpoint(name, config, controller_bars(), instr), ports_(ports),
      stat_tds_(instr.counter(std::string(this->name()) + ".tds")),
      stat_td_errors_(instr.counter(std::string(this->name()) + ".td_errors")),
      stat_td_dma_errors_(instr.counter(std::string(this->name()) + ".td_dma_errors")),
      stat_host_system_errors_(instr.counter(std::string(this->name()) + ".host_system_errors")),
      stat_port_resets_(instr.counter(std::string(this->name()) + ".port_resets")),
      stat_bytes_in_(instr.counter(std::string(this->name()) + ".usb_bytes_in")),
      stat_bytes_out_(instr.counter(std::string(this->name()) + ".usb_bytes_out")),
      ev_td_(instr.declare_event("usb.td", "the USB host controller runs a transfer descriptor (a slice: address, "
                                           "endpoint, type, dir, length, actual, completion, duration_ps)")) {
    if (std::string problem = properties().check(UhcConfig{ports}); !problem.empty())
        throw std::invalid_argument(fmt::format("{}: {}", this->name(), problem));
    SC_THREAD(scheduler);
}

void Uhc::connect(unsigned port, std::unique_ptr<UsbDevice> device) {
    if (port == 0 || port > ports_.size())
        throw std::invalid_argument(fmt::format("{}: a root-hub port from 1 to {}, got {}", name(), ports_.size(),
                                                port));
    Port& slot = ports_[port - 1];
    if (slot.device)
        throw std::invalid_argument(fmt::format("{}: port {} already holds {} ({})", name(), port, slot.device->name(),
                                                slot.device->kind()));
    slot.device = std::move(device);
    slot.portsc = PORT_CONNECT | PORT_CSC | PORT_SPEED_HIGH;
}

std::string Uhc::device_kind() const {
    std::vector<std::string> devices;
    for (size_t i = 0; i < ports_.size(); ++i)
        if (ports_[i].device)
            devices.push_back(fmt::format("port {}: {}", i + 1, ports_[i].device->kind()));
    return fmt::format("USB host controller (root hub of {} port{}{}{})", ports_.size(), ports_.size() == 1 ? "" : "s",
                       devices.empty() ? ", none used" : "; ", fmt::join(devices, ", "));
}

uint32_t Uhc::reg(unsigned offset) const {
    if (offset >= UHC_PORTSC(1) && (offset - UHC_PORTSC(1)) % 0x10 == 0 &&
        (offset - UHC_PORTSC(1)) / 0x10 < ports_.size())
        return ports_[(offset - UHC_PORTSC(1)) / 0x10].portsc;
    switch (offset) {
    case UHC_MAGIC: return MAGIC_VALUE;
    case UHC_HCSPARAMS: return static_cast<uint32_t>(ports_.size()) | config().dma_bits << 8;
    case UHC_USBCMD: return usbcmd_;
    case UHC_USBSTS: return usbsts_;
    case UHC_RING_LO: return ring_lo_;
    case UHC_RING_HI: return ring_hi_;
    case UHC_RING_SIZE: return ring_size_;
    case UHC_DOORBELL: return doorbell_;
    case UHC_DEQUEUE: return dequeue_;
    default: return 0;
    }
}

void Uhc::bar_read(unsigned, uint64_t offset, uint8_t* data, unsigned length, uint64_t&) {
    uint32_t value = length == 4 && offset % 4 == 0 ? reg(static_cast<unsigned>(offset)) : 0;
    std::memset(data, 0, length);
    std::memcpy(data, &value, std::min<unsigned>(length, sizeof value));
}

void Uhc::bar_write(unsigned, uint64_t offset, const uint8_t* data, unsigned length, uint64_t& delay_ps) {
    if (length != 4 || offset % 4)
        return;
    uint32_t value;
    std::memcpy(&value, data, sizeof value);
    if (offset >= UHC_PORTSC(1) && (offset - UHC_PORTSC(1)) % 0x10 == 0 &&
        (offset - UHC_PORTSC(1)) / 0x10 < ports_.size())
        return write_port(static_cast<unsigned>((offset - UHC_PORTSC(1)) / 0x10) + 1, value);
    switch (offset) {
    case UHC_USBCMD: write_command(value, delay_ps); break;
    case UHC_USBSTS:
        usbsts_ &= ~(value & (STS_FATAL | STS_EINT));
        update_intx(delay_ps);  // the driver acknowledged the interrupt
        break;
    case UHC_RING_LO: ring_lo_ = value; break;
    case UHC_RING_HI: ring_hi_ = value; break;
    case UHC_RING_SIZE: ring_size_ = value; break;
    case UHC_DOORBELL:
        if (running() && value < ring_entries_) {
            doorbell_ = value;
            doorbell_event_.notify(sc_core::sc_time::from_value(delay_ps));
        }
        break;
    default: break;  // read-only or unused
    }
}

void Uhc::write_command(uint32_t value, uint64_t delay_ps) {
    if (value & CMD_RESET)
        return reset_controller(delay_ps);
    bool was_running = usbcmd_ & CMD_RUN;
    usbcmd_ = value & (CMD_RUN | CMD_EIE);
    if ((usbcmd_ & CMD_RUN) && !was_running)
        start_ring();
    else if (!(usbcmd_ & CMD_RUN) && was_running) {
        usbsts_ |= STS_HALT;
        ++generation_;
    }
    update_intx(delay_ps);
}

// A ring that is not a power of two of entries up to the maximum, or not 64-byte aligned, is a
// host system error: the controller stays halted.
void Uhc::start_ring() {
    ++generation_;
    ring_base_ = uint64_t(ring_hi_) << 32 | ring_lo_;
    ring_entries_ = ring_size_;
    dequeue_ = doorbell_ = 0;
    bool valid = ring_entries_ && ring_entries_ <= max_ring_entries && !(ring_entries_ & (ring_entries_ - 1)) &&
                 ring_base_ % 64 == 0;
    if (!valid) {
        usbcmd_ &= ~CMD_RUN;
        usbsts_ |= STS_FATAL;
        ++stat_host_system_errors_;
        return;
    }
    usbsts_ &= ~STS_HALT;
}

void Uhc::reset_controller(uint64_t delay_ps) {
    ++generation_;
    usbcmd_ = 0;
    usbsts_ = STS_HALT;
    ring_lo_ = ring_hi_ = ring_size_ = 0;
    ring_base_ = 0;
    ring_entries_ = doorbell_ = dequeue_ = 0;
    for (Port& port : ports_)
        if (port.device) {
            port.device->bus_reset();
            port.portsc = PORT_CONNECT | PORT_CSC | PORT_SPEED_HIGH;
        }
    update_intx(delay_ps);
}

void Uhc::write_port(unsigned port, uint32_t value) {
    Port& slot = ports_[port - 1];
    slot.portsc &= ~(value & (PORT_CSC | PORT_RC));
    if ((value & PORT_RESET) && slot.device) {
        slot.device->bus_reset();
        slot.portsc |= PORT_PE | PORT_RC;
        ++stat_port_resets_;
    }
}

UsbDevice* Uhc::addressed(unsigned address) const {
    for (const Port& port : ports_)
        if (port.device && (port.portsc & PORT_PE) && port.device->address() == address)
            return port.device.get();
    return nullptr;
}

void Uhc::signal_interrupt(uint64_t delay_ps) {
    if (msi_enabled()) {
        if (usbcmd_ & CMD_EIE)
            raise_msi(0, delay_ps);
        return;
    }
    update_intx(delay_ps);
}

void Uhc::update_intx(uint64_t delay_ps) {
    if (!msi_enabled())
        set_intx((usbcmd_ & CMD_EIE) && (usbsts_ & (STS_EINT | STS_FATAL)), delay_ps);
}

void Uhc::host_system_error(uint64_t delay_ps) {
    ++stat_host_system_errors_;
    ++generation_;
    usbcmd_ &= ~CMD_RUN;
    usbsts_ |= STS_FATAL | STS_HALT;
    signal_interrupt(delay_ps);
}

// One TD at a time in ring order, each from where the last one ended (xHCI runs a ring per
// endpoint; one ring is enough for the transfers dmasim's drivers make).
void Uhc::scheduler() {
    for (;;) {
        sc_core::wait(doorbell_event_);
        while (running() && dequeue_ != doorbell_) {
            uint64_t generation = generation_;
            uint64_t start_ps = sc_core::sc_time_stamp().value();
            uint64_t delay_ps = 0;
            Td td;
            uint32_t code = 0, actual = 0;
            bool ring_ok = run_td(td, code, actual, delay_ps);
            sc_core::wait(sc_core::sc_time::from_value(delay_ps));
            if (generation != generation_)
                continue;  // reset, halted or restarted meanwhile: the TD no longer counts
            if (!ring_ok) {
                host_system_error(0);
                break;
            }
            ++stat_tds_;
            stat_td_errors_ += code != CC_SUCCESS && code != CC_SHORT_PACKET;
            stat_td_dma_errors_ += code == CC_DMA_ERROR;
            emit_td(td, code, actual, start_ps);
            dequeue_ = (dequeue_ + 1) & (ring_entries_ - 1);
            if (td.control & TD_IOC) {
                usbsts_ |= STS_EINT;
                signal_interrupt(0);
            }
        }
    }
}

bool Uhc::run_td(Td& td, uint32_t& code, uint32_t& actual, uint64_t& delay_ps) {
    uint8_t raw[td_size];
    uint64_t address = td_address(dequeue_);
    if (dma_read(address, raw, td_size, delay_ps) != PciDmaStatus::ok)
        return false;
    std::memcpy(&td.buffer, raw + TD_BUFFER, 8);
    std::memcpy(&td.length, raw + TD_LENGTH, 4);
    std::memcpy(&td.control, raw + TD_CONTROL, 4);
    std::memcpy(&td.setup, raw + TD_SETUP, 8);
    std::memcpy(&td.status, raw + TD_STATUS, 4);
    code = execute(td, actual, delay_ps);
    uint32_t written[2] = {code, actual};  // TD_STATUS (TD_ACTIVE clear), TD_ACTUAL
    return dma_write(address + TD_STATUS, written, sizeof written, delay_ps) == PciDmaStatus::ok;
}

uint32_t Uhc::execute(const Td& td, uint32_t& actual, uint64_t& delay_ps) {
    if (!(td.status & TD_ACTIVE) || td.length > max_td_length)
        return CC_TD_ERROR;
    UsbDevice* device = addressed(TD_GET_ADDR(td.control));
    if (!device)
        return CC_TRANSACTION_ERROR;
    unsigned type = TD_GET_TYPE(td.control);
    unsigned number = TD_GET_EP(td.control);
    if (type == USB_ENDPOINT_XFER_CONTROL)
        return number == 0 ? control_transfer(*device, td, actual, delay_ps) : CC_TD_ERROR;
    bool in = td.control & TD_DIR_IN;
    const usb::usb_endpoint_descriptor* endpoint = device->endpoint(static_cast<uint8_t>(number |
                                                                                         (in ? usb::USB_DIR_IN : 0)));
    if (number == 0 || (type != USB_ENDPOINT_XFER_BULK && type != USB_ENDPOINT_XFER_INT) ||
        (endpoint && (endpoint->bmAttributes & usb::USB_ENDPOINT_XFERTYPE_MASK) != type))
        return CC_TD_ERROR;
    return in ? in_transfer(*device, td, actual, delay_ps) : out_transfer(*device, td, actual, delay_ps);
}

uint32_t Uhc::control_transfer(UsbDevice& device, const Td& td, uint32_t& actual, uint64_t& delay_ps) {
    bool in = td.setup.bRequestType & usb::USB_DIR_IN;
    std::vector<uint8_t> data;
    if (!in) {
        if (!fetch_out_data(td, data, delay_ps))
            return CC_DMA_ERROR;
        stat_bytes_out_ += td.length;
    }
    delay_ps += usb_time_ps(sizeof td.setup + data.size());
    if (device.control(td.setup, data, td.length) == UsbHandshake::stall)
        return CC_STALL;
    if (!in) {
        actual = td.length;
        return CC_SUCCESS;
    }
    return store_in_data(td, data, actual, delay_ps);
}

// The engine fetches the data before it is sent: nothing reaches the device if that fails.
uint32_t Uhc::out_transfer(UsbDevice& device, const Td& td, uint32_t& actual, uint64_t& delay_ps) {
    std::vector<uint8_t> data;
    if (!fetch_out_data(td, data, delay_ps))
        return CC_DMA_ERROR;
    delay_ps += usb_time_ps(td.length);
    if (device.transfer_out(TD_GET_EP(td.control), data) == UsbHandshake::stall)
        return CC_STALL;
    stat_bytes_out_ += td.length;
    actual = td.length;
    return CC_SUCCESS;
}

// The device has sent its data before the engine stores it: if that fails, the data is lost.
uint32_t Uhc::in_transfer(UsbDevice& device, const Td& td, uint32_t& actual, uint64_t& delay_ps) {
    unsigned number = TD_GET_EP(td.control);
    if (uint64_t period = device.polling_period_ps(static_cast<uint8_t>(number | usb::USB_DIR_IN))) {
        uint64_t now = sc_core::sc_time_stamp().value() + delay_ps;
        delay_ps += (period - now % period) % period;  // the endpoint's next polling slot
    }
    std::vector<uint8_t> data;
    if (device.transfer_in(number, td.length, data) == UsbHandshake::stall)
        return CC_STALL;
    return store_in_data(td, data, actual, delay_ps);
}

bool Uhc::fetch_out_data(const Td& td, std::vector<uint8_t>& data, uint64_t& delay_ps) {
    data.resize(td.length);
    return td.length == 0 || dma_read(td.buffer, data.data(), td.length, delay_ps) == PciDmaStatus::ok;
}

uint32_t Uhc::store_in_data(const Td& td, const std::vector<uint8_t>& data, uint32_t& actual, uint64_t& delay_ps) {
    delay_ps += usb_time_ps(data.size());
    stat_bytes_in_ += data.size();
    if (!data.empty() && dma_write(td.buffer, data.data(), data.size(), delay_ps) != PciDmaStatus::ok)
        return CC_DMA_ERROR;
    actual = static_cast<uint32_t>(data.size());
    return actual < td.length ? CC_SHORT_PACKET : CC_SUCCESS;
}

void Uhc::emit_td(const Td& td, uint32_t code, uint32_t actual, uint64_t start_ps) {
    if (!ev_td_.enabled())
        return;
    unsigned type = TD_GET_TYPE(td.control);
    bool in = type == USB_ENDPOINT_XFER_CONTROL ? td.setup.bRequestType & usb::USB_DIR_IN : td.control & TD_DIR_IN;
    instr_.emit(ev_td_, Event{start_ps,
                              nullptr,
                              name(),
                              {{"address", uint64_t(TD_GET_ADDR(td.control))},
                               {"endpoint", uint64_t(TD_GET_EP(td.control))},
                               {"type", std::string(type_name(type))},
                               {"dir", std::string(in ? "in" : "out")},
                               {"buffer", td.buffer},
                               {"length", uint64_t(td.length)},
                               {"actual", uint64_t(actual)},
                               {"completion", std::string(completion_name(code))},
                               {"duration_ps", sc_core::sc_time_stamp().value() - start_ps}}});
}

}  // namespace models
