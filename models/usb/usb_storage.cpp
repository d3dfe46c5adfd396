#include "models/usb/usb_storage.h"

#include <algorithm>
#include <cstring>

namespace models {

using namespace usb;

const PropertyTable<UsbStorageConfig>& UsbStorage::properties() {
    static const PropertyTable<UsbStorageConfig> table{
        UsbStorageConfig{},
        {PropertySpec<UsbStorageConfig>::number(PropertyType::u32, "dmasim,blocks", "blocks", &UsbStorageConfig::blocks)
             .at_least(1)
             .with_unit("512-byte blocks")
             .with_doc("its capacity, as READ CAPACITY(10) reports it")}};
    return table;
}

UsbStorage::UsbStorage(std::string name, uint16_t vendor, uint16_t product, uint32_t blocks, Instrumentation& instr)
    : UsbDevice(std::move(name), vendor, product, instr), blocks_(blocks),
      stat_commands_(instr.counter(this->name() + ".commands")),
      stat_blocks_read_(instr.counter(this->name() + ".blocks_read")),
      stat_blocks_written_(instr.counter(this->name() + ".blocks_written")),
      stat_phase_errors_(instr.counter(this->name() + ".phase_errors")) {
    usb_interface_descriptor interface {
        USB_DT_INTERFACE_SIZE, USB_DT_INTERFACE, 0, 0, 2, USB_CLASS_MASS_STORAGE, USB_SC_SCSI, USB_PR_BULK, 0
    };
    set_configuration_descriptor(interface, {},
                                 {{USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, bulk_in, USB_ENDPOINT_XFER_BULK, max_packet,
                                   0},
                                  {USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, bulk_out, USB_ENDPOINT_XFER_BULK, max_packet,
                                   0}});
}

uint8_t UsbStorage::initial_byte(uint32_t lba, unsigned offset) {
    return static_cast<uint8_t>((lba * 131u + offset * 7u + (offset >> 8)) ^ 0x5a);
}

std::vector<uint8_t> UsbStorage::block(uint32_t lba) const {
    std::vector<uint8_t> data(storage_block_size);
    auto written = written_.find(lba);
    for (unsigned i = 0; i < storage_block_size; ++i)
        data[i] = written != written_.end() ? written->second[i] : initial_byte(lba, i);
    return data;
}

void UsbStorage::reset_function() {
    phase_ = Phase::command;
    data_.clear();
    data_done_ = 0;
    expected_ = 0;
}

UsbHandshake UsbStorage::class_request(const usb_ctrlrequest& setup, std::vector<uint8_t>& data) {
    if ((setup.bRequestType & USB_RECIP_MASK) != USB_RECIP_INTERFACE)
        return UsbHandshake::stall;
    if (setup.bRequest == US_BULK_RESET_REQUEST && !is_in_request(setup)) {
        reset_function();  // the halts stay until the host clears them
        return UsbHandshake::ack;
    }
    if (setup.bRequest == US_BULK_GET_MAX_LUN && is_in_request(setup)) {
        data = {0};
        return UsbHandshake::ack;
    }
    return UsbHandshake::stall;
}

// Out of phase: the device halts both bulk endpoints and waits for the host's reset recovery.
UsbHandshake UsbStorage::phase_error() {
    ++stat_phase_errors_;
    halt(bulk_in);
    halt(bulk_out);
    reset_function();
    return UsbHandshake::stall;
}

UsbHandshake UsbStorage::data_out(uint8_t, const std::vector<uint8_t>& data) {
    if (phase_ == Phase::command)
        return command(data);
    if (phase_ != Phase::data_out || data_.size() + data.size() > expected_)
        return phase_error();
    data_.insert(data_.end(), data.begin(), data.end());
    if (data_.size() == expected_)
        finish_write();
    return UsbHandshake::ack;
}

UsbHandshake UsbStorage::data_in(uint8_t, uint32_t max_length, std::vector<uint8_t>& data) {
    if (phase_ == Phase::data_in) {
        size_t count = std::min<size_t>(max_length, data_.size() - data_done_);
        data.assign(data_.begin() + static_cast<long>(data_done_),
                    data_.begin() + static_cast<long>(data_done_ + count));
        data_done_ += count;
        if (data_done_ == data_.size())
            phase_ = Phase::status;
        return UsbHandshake::ack;
    }
    if (phase_ != Phase::status || max_length < US_BULK_CS_WRAP_LEN)
        return phase_error();
    data = status_wrapper();
    reset_function();
    return UsbHandshake::ack;
}

UsbHandshake UsbStorage::command(const std::vector<uint8_t>& data) {
    if (data.size() != US_BULK_CB_WRAP_LEN)
        return phase_error();
    std::memcpy(&cbw_, data.data(), sizeof cbw_);
    if (cbw_.Signature != US_BULK_CB_SIGN || cbw_.Length == 0 || cbw_.Length > sizeof cbw_.CDB)
        return phase_error();
    ++stat_commands_;
    execute(cbw_);
    return UsbHandshake::ack;
}

void UsbStorage::execute(const bulk_cb_wrap& cbw) {
    data_.clear();
    data_done_ = 0;
    expected_ = cbw.DataTransferLength;
    status_ = US_BULK_STAT_OK;
    bool in = cbw.Flags & US_BULK_FLAG_IN;
    uint32_t lba = get_be32(cbw.CDB + 2);
    uint32_t count = get_be16(cbw.CDB + 7);
    bool in_range = lba <= blocks_ && count <= blocks_ - lba;
    bool accepted = false;
    switch (cbw.CDB[0]) {
    case TEST_UNIT_READY: accepted = expected_ == 0; break;
    case READ_CAPACITY:
        accepted = in && expected_ == 8;
        if (accepted) {
            data_.resize(8);
            put_be32(data_.data(), blocks_ - 1);
            put_be32(data_.data() + 4, storage_block_size);
        }
        break;
    case READ_10:
        accepted = in && in_range && expected_ == count * storage_block_size;
        if (accepted)
            read_blocks(lba, count);
        break;
    case WRITE_10: accepted = !in && in_range && expected_ == count * storage_block_size; break;
    default: break;
    }
    if (!accepted) {
        // The command failed: no data stage (the device halts the endpoint the host expects
        // data on, BOT's case Hi > Dn / Ho > Dn); the status says so.
        status_ = US_BULK_STAT_FAIL;
        if (expected_)
            halt(in ? bulk_in : bulk_out);
        phase_ = Phase::status;
        return;
    }
    phase_ = expected_ == 0 ? Phase::status : in ? Phase::data_in : Phase::data_out;
}

void UsbStorage::read_blocks(uint32_t lba, uint32_t count) {
    for (uint32_t i = 0; i < count; ++i) {
        std::vector<uint8_t> contents = block(lba + i);
        data_.insert(data_.end(), contents.begin(), contents.end());
    }
    stat_blocks_read_ += count;
}

void UsbStorage::finish_write() {
    uint32_t lba = get_be32(cbw_.CDB + 2);
    for (size_t i = 0; i * storage_block_size < data_.size(); ++i)
        std::memcpy(written_[static_cast<uint32_t>(lba + i)].data(), data_.data() + i * storage_block_size,
                    storage_block_size);
    stat_blocks_written_ += data_.size() / storage_block_size;
    phase_ = Phase::status;
}

std::vector<uint8_t> UsbStorage::status_wrapper() const {
    auto transferred = static_cast<uint32_t>(cbw_.Flags & US_BULK_FLAG_IN ? data_done_ : data_.size());
    bulk_cs_wrap csw{US_BULK_CS_SIGN, cbw_.Tag, expected_ - std::min(expected_, transferred), status_};
    std::vector<uint8_t> bytes;
    append_bytes(bytes, csw);
    return bytes;
}

}  // namespace models
