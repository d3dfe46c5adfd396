// USB devices on the root hub of dmasim's USB host controller. They have no DMA of their own:
// the controller (models/usb/uhc.h) moves their data between the USB and memory; a
// device only answers transactions on its endpoints. Each has the USB device framework's state
// (default after a bus reset, addressed, configured), answers the standard requests on endpoint 0
// (GET_DESCRIPTOR for its device and configuration descriptors, SET_ADDRESS, SET_CONFIGURATION,
// GET_CONFIGURATION, GET_STATUS, CLEAR_FEATURE(ENDPOINT_HALT)), and stalls what it does not know.
//   UsbStorageDevice: a bulk storage device (mass storage class, SCSI over the Bulk-Only
//     Transport): a command block wrapper on bulk OUT, the data stage, a status wrapper on bulk
//     IN; TEST UNIT READY, READ CAPACITY(10), READ(10) and WRITE(10) of 512-byte blocks. A block
//     never written reads initial_byte(). A wrapper it cannot take (bad size or signature, a
//     transfer out of phase) halts both bulk endpoints until the BOT reset and CLEAR_FEATUREs
//     (the specification's reset recovery).
//   UsbHidDevice: a boot-protocol mouse (HID class) with an interrupt IN endpoint polled every
//     millisecond; its n-th report is report(n).
// Stats, under the device's name (<controller>.port<N>): storage: commands, blocks_read,
// blocks_written, phase_errors; mouse: reports.
#pragma once

#include "models/common/instrumentation.h"
#include "models/usb/usb_protocol.h"

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace models {

// How a device ends a transaction: it takes or gives the data (ack), or refuses (stall).
enum class UsbHandshake { ack, stall };

class UsbDevice {
public:
    UsbDevice(std::string name, uint16_t vendor, uint16_t product, Instrumentation& instr);
    virtual ~UsbDevice() = default;
    UsbDevice(const UsbDevice&) = delete;
    UsbDevice& operator=(const UsbDevice&) = delete;

    const std::string& name() const { return name_; }
    virtual std::string kind() const = 0;  // "bulk storage"
    uint8_t address() const { return address_; }
    uint8_t configuration() const { return configuration_; }
    const usb::usb_device_descriptor& device_descriptor() const { return device_; }

    // A bus reset (the port's): address 0, not configured, no endpoint halted, function state reset.
    void bus_reset();
    // A control transfer on endpoint 0: the setup packet; the OUT data stage in `data`, or the
    // IN data stage returned in it (at most `in_length` bytes).
    UsbHandshake control(const usb::usb_ctrlrequest& setup, std::vector<uint8_t>& data, uint32_t in_length);
    // A bulk or interrupt transfer on endpoint `number`: the host's data, or up to `max_length`
    // bytes from the device (fewer: a short packet ends the transfer). Stalls an endpoint the
    // configuration does not have, or one that is halted.
    UsbHandshake transfer_out(unsigned number, const std::vector<uint8_t>& data);
    UsbHandshake transfer_in(unsigned number, uint32_t max_length, std::vector<uint8_t>& data);
    // The endpoint's descriptor in the current configuration, or nullptr.
    const usb::usb_endpoint_descriptor* endpoint(uint8_t address) const;
    // How often the host polls an interrupt endpoint (its bInterval), in picoseconds.
    uint64_t polling_period_ps(uint8_t address) const;

protected:
    // The subclass's configuration: one interface with its endpoints (and class descriptors
    // placed before the endpoints).
    void set_configuration_descriptor(const usb::usb_interface_descriptor& interface,
                                      const std::vector<uint8_t>& class_descriptors,
                                      const std::vector<usb::usb_endpoint_descriptor>& endpoints);
    virtual UsbHandshake class_request(const usb::usb_ctrlrequest& setup, std::vector<uint8_t>& data);
    virtual UsbHandshake data_out(uint8_t endpoint, const std::vector<uint8_t>& data) = 0;
    virtual UsbHandshake data_in(uint8_t endpoint, uint32_t max_length, std::vector<uint8_t>& data) = 0;
    // Back to the function's power-on state (bus reset, a new configuration).
    virtual void reset_function() = 0;
    void halt(uint8_t endpoint) { halted_.insert(endpoint); }

    Instrumentation& instr_;

private:
    UsbHandshake standard_request(const usb::usb_ctrlrequest& setup, std::vector<uint8_t>& data);
    UsbHandshake get_descriptor(uint16_t value, std::vector<uint8_t>& data);
    bool usable(uint8_t endpoint, uint8_t direction) const;

    std::string name_;
    usb::usb_device_descriptor device_{};
    std::vector<uint8_t> config_;
    uint8_t address_ = 0;
    uint8_t configuration_ = 0;
    std::set<uint8_t> halted_;
};

class UsbStorageDevice : public UsbDevice {
public:
    static constexpr uint8_t bulk_in = 0x81;
    static constexpr uint8_t bulk_out = 0x02;
    static constexpr uint16_t max_packet = 512;

    UsbStorageDevice(std::string name, uint16_t vendor, uint16_t product, uint32_t blocks, Instrumentation& instr);
    std::string kind() const override { return "bulk storage"; }
    uint32_t blocks() const { return blocks_; }
    // What a block holds before anything is written to it.
    static uint8_t initial_byte(uint32_t lba, unsigned offset);
    // The block's contents (for checkers and tests).
    std::vector<uint8_t> block(uint32_t lba) const;

protected:
    UsbHandshake class_request(const usb::usb_ctrlrequest& setup, std::vector<uint8_t>& data) override;
    UsbHandshake data_out(uint8_t endpoint, const std::vector<uint8_t>& data) override;
    UsbHandshake data_in(uint8_t endpoint, uint32_t max_length, std::vector<uint8_t>& data) override;
    void reset_function() override;

private:
    enum class Phase { command, data_in, data_out, status };
    UsbHandshake command(const std::vector<uint8_t>& data);
    // Runs the CDB: the data stage to send, or the bytes to take; the status.
    void execute(const usb::bulk_cb_wrap& cbw);
    void read_blocks(uint32_t lba, uint32_t count);
    void finish_write();
    UsbHandshake phase_error();
    std::vector<uint8_t> status_wrapper() const;

    uint32_t blocks_;
    std::map<uint32_t, std::array<uint8_t, usb::storage_block_size>> written_;
    Phase phase_ = Phase::command;
    usb::bulk_cb_wrap cbw_{};
    std::vector<uint8_t> data_;  // the data stage: to send (IN) or received so far (OUT)
    size_t data_done_ = 0;       // bytes of the data stage sent
    uint32_t expected_ = 0;      // bytes the host announced for the data stage
    uint8_t status_ = usb::US_BULK_STAT_OK;
    uint64_t& stat_commands_;
    uint64_t& stat_blocks_read_;
    uint64_t& stat_blocks_written_;
    uint64_t& stat_phase_errors_;
};

class UsbHidDevice : public UsbDevice {
public:
    static constexpr uint8_t interrupt_in = 0x81;
    static constexpr uint8_t b_interval = 4;  // every 2^3 microframes: 1 ms

    UsbHidDevice(std::string name, uint16_t vendor, uint16_t product, Instrumentation& instr);
    std::string kind() const override { return "boot-protocol mouse"; }
    // The n-th report (0-based) since the last reset: buttons, X, Y, wheel.
    static std::array<uint8_t, usb::hid_boot_mouse_report_size> report(uint64_t n);

protected:
    UsbHandshake class_request(const usb::usb_ctrlrequest& setup, std::vector<uint8_t>& data) override;
    UsbHandshake data_out(uint8_t endpoint, const std::vector<uint8_t>& data) override;
    UsbHandshake data_in(uint8_t endpoint, uint32_t max_length, std::vector<uint8_t>& data) override;
    void reset_function() override { sent_ = 0; }

private:
    uint64_t sent_ = 0;
    uint64_t& stat_reports_;
};

}  // namespace models
