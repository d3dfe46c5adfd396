// usb-storage for bulk storage devices that speak SCSI over the Bulk-Only Transport (Linux's
// drivers/usb/storage: usb_stor_Bulk_transport, usb_stor_Bulk_reset), with the SCSI commands a
// block driver needs. As in Linux, the command and status wrappers live in a small coherent
// buffer (iobuf, from usb_alloc_coherent: URB_NO_TRANSFER_DMA_MAP), and the data stage is the
// caller's buffer, which the USB core maps through the device's dma::Device. Any transport
// error (the controller could not reach a buffer, a phase error, a bad status wrapper) is logged
// and followed by the reset recovery (the class's Bulk-Only reset, then CLEAR_FEATURE(HALT) on
// both bulk endpoints); a data stage the device stalls is cleared and its status read. Stats:
// usb.storage.commands, usb.storage.transport_errors, usb.storage.resets.
#pragma once

#include "sw/drivers/usb/usb.h"
#include "sw/drivers/usb/usb_driver.h"

#include <cstdint>

namespace sw {

class UsbStorage {
public:
    static constexpr const char* driver_name = "usb-storage";
    static constexpr uint64_t iobuf_size = 64;           // Linux's US_IOBUF_SIZE
    static constexpr uint32_t max_transfer = 64 * 1024;  // bytes per command (max_sectors 128)

    explicit UsbStorage(UsbDevice& udev);
    UsbStorage(const UsbStorage&) = delete;
    UsbStorage& operator=(const UsbStorage&) = delete;

    int probe();  // 0 or a negative errno
    void disconnect();
    // The driver's instance of a bound device, or nullptr.
    static UsbStorage* of(UsbDevice& udev);
    UsbDevice& udev() { return udev_; }

    // 0 or a negative errno. `va`: a kernel VA in the linear map, `count` blocks of 512 bytes
    // (split into commands of at most max_transfer bytes).
    int test_unit_ready();
    int read_capacity(uint32_t& blocks);
    int read_blocks(uint32_t lba, uint32_t count, uint64_t va);
    int write_blocks(uint32_t lba, uint32_t count, uint64_t va);

private:
    int rw_blocks(uint8_t opcode, uint32_t lba, uint32_t count, uint64_t va);
    // One command: the CBW, the data stage of `length` bytes at `va`, the CSW.
    int transport(const uint8_t (&cdb)[10], bool in, uint64_t va, uint32_t length);
    int iobuf_transfer(UsbPipe pipe, uint32_t length, uint32_t& actual);
    int transport_error(int rc, const char* stage);
    void reset_recovery();

    UsbDevice& udev_;
    UsbPipe send_;
    UsbPipe recv_;
    uint64_t iobuf_ = 0;
    dma::dma_addr_t iobuf_dma_ = 0;
    uint32_t tag_ = 0;
    uint64_t& stat_commands_;
    uint64_t& stat_transport_errors_;
    uint64_t& stat_resets_;
};

// Binds to mass storage interfaces with the SCSI command set over Bulk-Only.
UsbDriver usb_storage_driver();

}  // namespace sw
