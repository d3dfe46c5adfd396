// dmasim's USB host controller: a PCI function (models/pci/pci_endpoint.h) with a root hub whose
// ports hold USB devices that have no DMA of their own (models/usb/usb_device.h). Every byte a
// device sends or receives is moved between the USB and memory by this controller's DMA engine,
// through the host bridge, with the controller's requester ID and within its addressing limit.
//
// Programming interface (models/usb/uhc_regs.h, BAR0, 32-bit accesses; others read
// zero and are ignored): software builds transfer descriptors (TDs) in a ring in coherent
// memory, sets RUN, and writes the enqueue index to DOORBELL. The controller's thread then runs
// the TDs in ring order, each from where the last one ended: it reads the TD by DMA, finds the
// device by address on an enabled port, moves the data (OUT: DMA read from the buffer, then to the
// device; IN: from the device, then DMA write to the buffer; control: the inline setup packet and
// a data stage), writes TD_STATUS (the completion code, TD_ACTIVE clear) and TD_ACTUAL back by
// DMA, and with TD_IOC sets USBSTS.EINT and interrupts (MSI vector 0, else INTx held while EINT or
// HSE is set and EIE is on). An interrupt IN TD waits for the endpoint's next polling slot.
//   - A buffer the engine cannot reach (beyond its DMA address bits: the endpoint base refuses it
//     and reports pci.dma_refused; outside the bridge's inbound windows: an unsupported request)
//     ends the TD with CC_DMA_ERROR: an OUT sends nothing to the device, an IN loses the data the
//     device sent.
//   - A ring the engine cannot read or write back is a host system error: USBSTS.HSE, halted,
//     interrupt.
//   - A port reset (PORTSC.PR) resets the device (address 0) and enables the port at once.
// USB time: 480 Mbit/s on the bus for every byte moved, plus the DMA engine's own time.
//
// Stats, under the endpoint's name (ep<N>): tds, td_errors (a completion code other than success
// or short packet), td_dma_errors, host_system_errors, port_resets, usb_bytes_in, usb_bytes_out.
// Event: usb.td (a slice per TD: address, endpoint, type, direction, length, actual, completion
// code, duration_ps).
#pragma once

#include "models/pci/pci_endpoint.h"
#include "models/usb/uhc_regs.h"
#include "models/usb/usb_device.h"

#include <memory>
#include <string>
#include <vector>

namespace models {

// What a controller's node configures beyond the endpoint's properties.
struct UhcConfig {
    unsigned ports = 2;
};

class Uhc : public PciEndpoint {
public:
    static constexpr uint64_t usb_ps_per_byte = 16667;  // high speed: 480 Mbit/s

    // `ports`: the root hub's, 1 to uhc::max_ports (std::invalid_argument otherwise).
    Uhc(sc_core::sc_module_name name, const PciEndpointConfig& config, unsigned ports, Instrumentation& instr);
    SC_HAS_PROCESS(Uhc);

    // The controller's own properties (the endpoint's: PciEndpoint::properties()).
    static const PropertyTable<UhcConfig>& properties();

    std::string device_kind() const override;
    void bar_read(unsigned bar, uint64_t offset, uint8_t* data, unsigned length, uint64_t& delay_ps) override;
    void bar_write(unsigned bar, uint64_t offset, const uint8_t* data, unsigned length, uint64_t& delay_ps) override;

    // Elaboration: `device` on root-hub port `port` (1-based); std::invalid_argument for a port
    // the hub does not have or one already taken.
    void connect(unsigned port, std::unique_ptr<UsbDevice> device);
    unsigned ports() const { return static_cast<unsigned>(ports_.size()); }
    UsbDevice* device(unsigned port) const { return ports_.at(port - 1).device.get(); }
    // A register's value (for checkers and tests).
    uint32_t reg(unsigned offset) const;

private:
    struct Port {
        std::unique_ptr<UsbDevice> device;
        uint32_t portsc = 0;
    };
    struct Td {
        uint64_t buffer = 0;
        uint32_t length = 0;
        uint32_t control = 0;
        usb::usb_ctrlrequest setup{};
        uint32_t status = 0;
    };

    void scheduler();  // SC_THREAD
    // Runs the TD at the dequeue index from `delay_ps` on: false if the ring was unreachable.
    bool run_td(Td& td, uint32_t& code, uint32_t& actual, uint64_t& delay_ps);
    uint32_t execute(const Td& td, uint32_t& actual, uint64_t& delay_ps);
    uint32_t control_transfer(UsbDevice& device, const Td& td, uint32_t& actual, uint64_t& delay_ps);
    uint32_t out_transfer(UsbDevice& device, const Td& td, uint32_t& actual, uint64_t& delay_ps);
    uint32_t in_transfer(UsbDevice& device, const Td& td, uint32_t& actual, uint64_t& delay_ps);
    // The OUT data the engine fetches from the TD's buffer; false if that DMA fails.
    bool fetch_out_data(const Td& td, std::vector<uint8_t>& data, uint64_t& delay_ps);
    // The IN data the device sent, stored in the TD's buffer: the TD's completion code.
    uint32_t store_in_data(const Td& td, const std::vector<uint8_t>& data, uint32_t& actual, uint64_t& delay_ps);
    // The device at `address` on an enabled port, or nullptr.
    UsbDevice* addressed(unsigned address) const;
    void write_command(uint32_t value, uint64_t delay_ps);
    void write_port(unsigned port, uint32_t value);
    void reset_controller(uint64_t delay_ps);
    void start_ring();
    void host_system_error(uint64_t delay_ps);
    // EINT or HSE became set: MSI, or the INTx level.
    void signal_interrupt(uint64_t delay_ps);
    void update_intx(uint64_t delay_ps);
    bool running() const { return !(usbsts_ & uhc::STS_HALT); }
    uint64_t td_address(uint32_t index) const { return ring_base_ + uint64_t(index) * uhc::td_size; }
    void emit_td(const Td& td, uint32_t code, uint32_t actual, uint64_t start_ps);

    std::vector<Port> ports_;
    uint32_t usbcmd_ = 0;
    uint32_t usbsts_ = uhc::STS_HALT;
    uint32_t ring_lo_ = 0, ring_hi_ = 0, ring_size_ = 0;
    uint64_t ring_base_ = 0;  // latched when RUN is set
    uint32_t ring_entries_ = 0;
    uint32_t doorbell_ = 0;
    uint32_t dequeue_ = 0;
    uint64_t generation_ = 0;  // changes when the ring restarts: a TD in flight then no longer counts
    sc_core::sc_event doorbell_event_;
    uint64_t& stat_tds_;
    uint64_t& stat_td_errors_;
    uint64_t& stat_td_dma_errors_;
    uint64_t& stat_host_system_errors_;
    uint64_t& stat_port_resets_;
    uint64_t& stat_bytes_in_;
    uint64_t& stat_bytes_out_;
    EventKind ev_td_;
};

}  // namespace models
