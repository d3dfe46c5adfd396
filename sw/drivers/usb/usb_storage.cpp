#include "sw/drivers/usb/usb_storage.h"

#include "sw/drivers/usb/usb_bus.h"
#include "sw/kernel/kernel.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace sw {

using namespace usb;

UsbDriver usb_storage_driver() {
    return usb_driver_of<UsbStorage>(UsbStorage::driver_name, {{USB_CLASS_MASS_STORAGE, USB_SC_SCSI, USB_PR_BULK}});
}

UsbStorage* UsbStorage::of(UsbDevice& udev) { return bus_driver_data<UsbStorage>(udev, driver_name); }

UsbStorage::UsbStorage(UsbDevice& udev)
    : udev_(udev), stat_commands_(udev.bus.instr().counter("usb.storage.commands")),
      stat_transport_errors_(udev.bus.instr().counter("usb.storage.transport_errors")),
      stat_resets_(udev.bus.instr().counter("usb.storage.resets")) {}

int UsbStorage::probe() {
    const usb_endpoint_descriptor* in = udev_.find_endpoint(USB_ENDPOINT_XFER_BULK, USB_DIR_IN);
    const usb_endpoint_descriptor* out = udev_.find_endpoint(USB_ENDPOINT_XFER_BULK, USB_DIR_OUT);
    if (!in || !out) {
        udev_.bus.log(std::string(driver_name) + " " + udev_.name(),
                      "no bulk-in and bulk-out endpoint pair: not a Bulk-Only mass storage interface");
        return -ENODEV;
    }
    recv_ = usb_rcvbulkpipe(in->bEndpointAddress);
    send_ = usb_sndbulkpipe(out->bEndpointAddress);
    iobuf_ = usb_alloc_coherent(udev_, iobuf_size, iobuf_dma_);
    if (!iobuf_)
        return -ENOMEM;
    udev_.bus.log(std::string(driver_name) + " " + udev_.name(), "USB Mass Storage device detected");
    return 0;
}

void UsbStorage::disconnect() {
    usb_free_coherent(udev_, iobuf_size, iobuf_, iobuf_dma_);
    iobuf_ = 0;
}

int UsbStorage::test_unit_ready() {
    const uint8_t cdb[10] = {TEST_UNIT_READY};
    return transport(cdb, false, 0, 0);
}

// The data stage into a buffer of its own: the status wrapper is read into iobuf after it.
int UsbStorage::read_capacity(uint32_t& blocks) {
    uint64_t data = usb_kmalloc_dma_safe(udev_.kernel(), 8);
    if (!data)
        return -ENOMEM;
    const uint8_t cdb[10] = {READ_CAPACITY};
    int rc = transport(cdb, true, data, 8);
    if (rc == 0) {
        uint8_t reply[8];
        udev_.kernel().cpu().read_block(data, reply, sizeof reply);
        blocks = get_be32(reply) + 1;
    }
    udev_.kernel().kmalloc().kfree(data);
    return rc;
}

int UsbStorage::read_blocks(uint32_t lba, uint32_t count, uint64_t va) { return rw_blocks(READ_10, lba, count, va); }

int UsbStorage::write_blocks(uint32_t lba, uint32_t count, uint64_t va) { return rw_blocks(WRITE_10, lba, count, va); }

int UsbStorage::rw_blocks(uint8_t opcode, uint32_t lba, uint32_t count, uint64_t va) {
    constexpr uint32_t blocks_per_command = max_transfer / storage_block_size;
    for (uint32_t done = 0; done < count;) {
        uint32_t blocks = std::min(blocks_per_command, count - done);
        uint8_t cdb[10] = {opcode};
        put_be32(cdb + 2, lba + done);
        put_be16(cdb + 7, static_cast<uint16_t>(blocks));
        uint64_t offset = uint64_t(done) * storage_block_size;
        if (int rc = transport(cdb, opcode == READ_10, va + offset, blocks * storage_block_size); rc < 0)
            return rc;
        done += blocks;
    }
    return 0;
}

int UsbStorage::iobuf_transfer(UsbPipe pipe, uint32_t length, uint32_t& actual) {
    Urb urb;
    urb.dev = &udev_;
    urb.pipe = pipe;
    urb.transfer_flags = URB_NO_TRANSFER_DMA_MAP;
    urb.transfer_buffer = iobuf_;
    urb.transfer_dma = iobuf_dma_;
    urb.transfer_buffer_length = length;
    int rc = usb_start_wait_urb(urb);
    actual = urb.actual_length;
    return rc;
}

// Linux's usb_stor_Bulk_transport.
int UsbStorage::transport(const uint8_t (&cdb)[10], bool in, uint64_t va, uint32_t length) {
    models::Core& cpu = udev_.kernel().cpu();
    ++stat_commands_;
    bulk_cb_wrap cbw{US_BULK_CB_SIGN, ++tag_, length, in ? US_BULK_FLAG_IN : uint8_t(0), 0, sizeof cdb, {}};
    std::memcpy(cbw.CDB, cdb, sizeof cdb);
    cpu.write_block(iobuf_, &cbw, sizeof cbw);
    uint32_t actual = 0;
    if (int rc = iobuf_transfer(send_, US_BULK_CB_WRAP_LEN, actual); rc < 0)
        return transport_error(rc, "command");
    if (length) {
        UsbPipe pipe = in ? recv_ : send_;
        int rc = usb_bulk_msg(udev_, pipe, va, length, actual);
        if (rc == -EPIPE)  // the device refused the data stage; the status says why
            rc = usb_clear_halt(udev_, pipe);
        if (rc < 0)
            return transport_error(rc, "data");
    }
    int rc = iobuf_transfer(recv_, US_BULK_CS_WRAP_LEN, actual);
    if (rc == -EPIPE) {  // a halted bulk-in: cleared, and the status read again
        rc = usb_clear_halt(udev_, recv_);
        if (rc == 0)
            rc = iobuf_transfer(recv_, US_BULK_CS_WRAP_LEN, actual);
    }
    if (rc < 0)
        return transport_error(rc, "status");
    bulk_cs_wrap csw;
    cpu.read_block(iobuf_, &csw, sizeof csw);
    if (actual != US_BULK_CS_WRAP_LEN || csw.Signature != US_BULK_CS_SIGN || csw.Tag != tag_ ||
        csw.Status == US_BULK_STAT_PHASE)
        return transport_error(-EIO, "status wrapper");
    if (csw.Status != US_BULK_STAT_OK || csw.Residue) {
        udev_.bus.log(std::string(driver_name) + " " + udev_.name(),
                      fmt::format("command {:#04x} failed: status {}, residue {}", cdb[0], csw.Status, csw.Residue));
        return -EIO;
    }
    return 0;
}

int UsbStorage::transport_error(int rc, const char* stage) {
    ++stat_transport_errors_;
    udev_.bus.log(std::string(driver_name) + " " + udev_.name(),
                  fmt::format("{} transfer of command tag {} failed with error {}: resetting", stage, tag_, rc));
    reset_recovery();
    return rc;
}

// Linux's usb_stor_Bulk_reset: the class-specific reset, then both bulk endpoints cleared. No
// data stage: it works whatever the device's buffers are.
void UsbStorage::reset_recovery() {
    ++stat_resets_;
    usb_control_msg(udev_, usb_sndctrlpipe(0), US_BULK_RESET_REQUEST, USB_TYPE_CLASS | USB_RECIP_INTERFACE, 0,
                    udev_.interface.bInterfaceNumber, 0, 0);
    usb_clear_halt(udev_, recv_);
    usb_clear_halt(udev_, send_);
}

}  // namespace sw
