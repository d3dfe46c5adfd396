// A bulk storage device (mass storage class, SCSI over the Bulk-Only Transport) on dmasim's USB
// host controller, driven by sw/drivers/usb/usb_storage.h: a command block wrapper on bulk OUT,
// the data stage, a status wrapper on bulk IN; TEST UNIT READY, READ CAPACITY(10), READ(10) and
// WRITE(10) of 512-byte blocks. A block never written reads initial_byte(). A wrapper it cannot
// take (bad size or signature, a transfer out of phase) halts both bulk endpoints until the BOT
// reset and CLEAR_FEATUREs (the specification's reset recovery).
// Stats: <name>.commands, blocks_read, blocks_written, phase_errors.
#pragma once

#include "models/common/property_table.h"
#include "models/usb/usb_device.h"

#include <array>
#include <map>

namespace models {

struct UsbStorageConfig {
    uint32_t blocks = 2048;
};

class UsbStorage : public UsbDevice {
public:
    static constexpr uint8_t bulk_in = 0x81;
    static constexpr uint8_t bulk_out = 0x02;
    static constexpr uint16_t max_packet = 512;

    UsbStorage(std::string name, uint16_t vendor, uint16_t product, uint32_t blocks, Instrumentation& instr);
    // A storage device's node's properties.
    static const PropertyTable<UsbStorageConfig>& properties();
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

}  // namespace models
