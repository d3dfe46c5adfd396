#include "models/usb/usb_devices.h"

#include <algorithm>
#include <cstring>

namespace models {

using namespace usb;

namespace {

template <typename T>
void append(std::vector<uint8_t>& bytes, const T& value) {
    size_t at = bytes.size();
    bytes.resize(at + sizeof value);
    std::memcpy(bytes.data() + at, &value, sizeof value);
}

bool is_in(const usb_ctrlrequest& setup) { return setup.bRequestType & USB_DIR_IN; }

}  // namespace

// --- the USB device framework ---

UsbDevice::UsbDevice(std::string name, uint16_t vendor, uint16_t product, Instrumentation& instr)
    : instr_(instr), name_(std::move(name)) {
    device_.bLength = USB_DT_DEVICE_SIZE;
    device_.bDescriptorType = USB_DT_DEVICE;
    device_.bcdUSB = 0x0200;
    device_.bDeviceClass = USB_CLASS_PER_INTERFACE;
    device_.bMaxPacketSize0 = 64;
    device_.idVendor = vendor;
    device_.idProduct = product;
    device_.bcdDevice = 0x0100;
    device_.bNumConfigurations = 1;
}

void UsbDevice::set_configuration_descriptor(const usb_interface_descriptor& interface,
                                             const std::vector<uint8_t>& class_descriptors,
                                             const std::vector<usb_endpoint_descriptor>& endpoints) {
    usb_config_descriptor config{};
    config.bLength = USB_DT_CONFIG_SIZE;
    config.bDescriptorType = USB_DT_CONFIG;
    config.bNumInterfaces = 1;
    config.bConfigurationValue = 1;
    config.bmAttributes = USB_CONFIG_ATT_ONE;
    config.bMaxPower = 50;  // 100 mA
    config.wTotalLength = static_cast<uint16_t>(USB_DT_CONFIG_SIZE + USB_DT_INTERFACE_SIZE + class_descriptors.size() +
                                                endpoints.size() * USB_DT_ENDPOINT_SIZE);
    config_.clear();
    append(config_, config);
    append(config_, interface);
    config_.insert(config_.end(), class_descriptors.begin(), class_descriptors.end());
    for (const usb_endpoint_descriptor& endpoint : endpoints)
        append(config_, endpoint);
}

void UsbDevice::bus_reset() {
    address_ = 0;
    configuration_ = 0;
    halted_.clear();
    reset_function();
}

const usb_endpoint_descriptor* UsbDevice::endpoint(uint8_t address) const {
    for (size_t at = 0; at + 2 <= config_.size() && config_[at] >= 2; at += config_[at])
        if (config_[at + 1] == USB_DT_ENDPOINT) {
            const auto* descriptor = reinterpret_cast<const usb_endpoint_descriptor*>(config_.data() + at);
            if (descriptor->bEndpointAddress == address)
                return descriptor;
        }
    return nullptr;
}

uint64_t UsbDevice::polling_period_ps(uint8_t address) const {
    const usb_endpoint_descriptor* descriptor = endpoint(address);
    if (!descriptor || (descriptor->bmAttributes & USB_ENDPOINT_XFERTYPE_MASK) != USB_ENDPOINT_XFER_INT)
        return 0;
    unsigned exponent = std::clamp<unsigned>(descriptor->bInterval, 1, 16) - 1;
    return (uint64_t(1) << exponent) * microframe_ps;
}

bool UsbDevice::usable(uint8_t endpoint_address, uint8_t direction) const {
    return configuration_ && (endpoint_address & USB_DIR_IN) == direction && endpoint(endpoint_address) &&
           !halted_.count(endpoint_address);
}

UsbHandshake UsbDevice::transfer_out(unsigned number, const std::vector<uint8_t>& data) {
    auto address = static_cast<uint8_t>(number & USB_ENDPOINT_NUMBER_MASK);
    return usable(address, USB_DIR_OUT) ? data_out(address, data) : UsbHandshake::stall;
}

UsbHandshake UsbDevice::transfer_in(unsigned number, uint32_t max_length, std::vector<uint8_t>& data) {
    auto address = static_cast<uint8_t>((number & USB_ENDPOINT_NUMBER_MASK) | USB_DIR_IN);
    data.clear();
    return usable(address, USB_DIR_IN) ? data_in(address, max_length, data) : UsbHandshake::stall;
}

UsbHandshake UsbDevice::control(const usb_ctrlrequest& setup, std::vector<uint8_t>& data, uint32_t in_length) {
    if (is_in(setup))
        data.clear();
    UsbHandshake handshake = (setup.bRequestType & USB_TYPE_MASK) == USB_TYPE_STANDARD
                                 ? standard_request(setup, data)
                                 : (setup.bRequestType & USB_TYPE_MASK) == USB_TYPE_CLASS ? class_request(setup, data)
                                                                                          : UsbHandshake::stall;
    if (is_in(setup) && data.size() > std::min<uint32_t>(setup.wLength, in_length))
        data.resize(std::min<uint32_t>(setup.wLength, in_length));
    return handshake;
}

UsbHandshake UsbDevice::standard_request(const usb_ctrlrequest& setup, std::vector<uint8_t>& data) {
    uint8_t recipient = setup.bRequestType & USB_RECIP_MASK;
    switch (setup.bRequest) {
    case USB_REQ_GET_DESCRIPTOR:
        return is_in(setup) ? get_descriptor(setup.wValue, data) : UsbHandshake::stall;
    case USB_REQ_SET_ADDRESS:
        if (setup.wValue > 127)
            return UsbHandshake::stall;
        address_ = static_cast<uint8_t>(setup.wValue);
        return UsbHandshake::ack;
    case USB_REQ_SET_CONFIGURATION:
        if (!address_ || setup.wValue > 1)
            return UsbHandshake::stall;  // only an addressed device takes a configuration, and it has one
        configuration_ = static_cast<uint8_t>(setup.wValue);
        halted_.clear();
        reset_function();
        return UsbHandshake::ack;
    case USB_REQ_GET_CONFIGURATION:
        data.push_back(configuration_);
        return UsbHandshake::ack;
    case USB_REQ_GET_STATUS:
        data = {0, 0};
        return UsbHandshake::ack;
    case USB_REQ_CLEAR_FEATURE:
        if (recipient != USB_RECIP_ENDPOINT || setup.wValue != USB_ENDPOINT_HALT ||
            !endpoint(static_cast<uint8_t>(setup.wIndex)))
            return UsbHandshake::stall;
        halted_.erase(static_cast<uint8_t>(setup.wIndex));
        return UsbHandshake::ack;
    default: return UsbHandshake::stall;
    }
}

UsbHandshake UsbDevice::get_descriptor(uint16_t value, std::vector<uint8_t>& data) {
    switch (value >> 8) {
    case USB_DT_DEVICE: append(data, device_); return UsbHandshake::ack;
    case USB_DT_CONFIG:
        if ((value & 0xff) != 0)
            return UsbHandshake::stall;
        data = config_;
        return UsbHandshake::ack;
    default: return UsbHandshake::stall;  // no string descriptors
    }
}

UsbHandshake UsbDevice::class_request(const usb_ctrlrequest&, std::vector<uint8_t>&) { return UsbHandshake::stall; }

// --- bulk storage ---

UsbStorageDevice::UsbStorageDevice(std::string name, uint16_t vendor, uint16_t product, uint32_t blocks,
                                   Instrumentation& instr)
    : UsbDevice(std::move(name), vendor, product, instr), blocks_(blocks),
      stat_commands_(instr.counter(this->name() + ".commands")),
      stat_blocks_read_(instr.counter(this->name() + ".blocks_read")),
      stat_blocks_written_(instr.counter(this->name() + ".blocks_written")),
      stat_phase_errors_(instr.counter(this->name() + ".phase_errors")) {
    usb_interface_descriptor interface{USB_DT_INTERFACE_SIZE, USB_DT_INTERFACE, 0, 0, 2,
                                       USB_CLASS_MASS_STORAGE, USB_SC_SCSI, USB_PR_BULK, 0};
    set_configuration_descriptor(interface, {},
                                 {{USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, bulk_in, USB_ENDPOINT_XFER_BULK, max_packet, 0},
                                  {USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, bulk_out, USB_ENDPOINT_XFER_BULK, max_packet,
                                   0}});
}

uint8_t UsbStorageDevice::initial_byte(uint32_t lba, unsigned offset) {
    return static_cast<uint8_t>((lba * 131u + offset * 7u + (offset >> 8)) ^ 0x5a);
}

std::vector<uint8_t> UsbStorageDevice::block(uint32_t lba) const {
    std::vector<uint8_t> data(storage_block_size);
    auto written = written_.find(lba);
    for (unsigned i = 0; i < storage_block_size; ++i)
        data[i] = written != written_.end() ? written->second[i] : initial_byte(lba, i);
    return data;
}

void UsbStorageDevice::reset_function() {
    phase_ = Phase::command;
    data_.clear();
    data_done_ = 0;
    expected_ = 0;
}

UsbHandshake UsbStorageDevice::class_request(const usb_ctrlrequest& setup, std::vector<uint8_t>& data) {
    if ((setup.bRequestType & USB_RECIP_MASK) != USB_RECIP_INTERFACE)
        return UsbHandshake::stall;
    if (setup.bRequest == US_BULK_RESET_REQUEST && !is_in(setup)) {
        reset_function();  // the halts stay until the host clears them
        return UsbHandshake::ack;
    }
    if (setup.bRequest == US_BULK_GET_MAX_LUN && is_in(setup)) {
        data = {0};
        return UsbHandshake::ack;
    }
    return UsbHandshake::stall;
}

// Out of phase: the device halts both bulk endpoints and waits for the host's reset recovery.
UsbHandshake UsbStorageDevice::phase_error() {
    ++stat_phase_errors_;
    halt(bulk_in);
    halt(bulk_out);
    reset_function();
    return UsbHandshake::stall;
}

UsbHandshake UsbStorageDevice::data_out(uint8_t, const std::vector<uint8_t>& data) {
    if (phase_ == Phase::command)
        return command(data);
    if (phase_ != Phase::data_out || data_.size() + data.size() > expected_)
        return phase_error();
    data_.insert(data_.end(), data.begin(), data.end());
    if (data_.size() == expected_)
        finish_write();
    return UsbHandshake::ack;
}

UsbHandshake UsbStorageDevice::data_in(uint8_t, uint32_t max_length, std::vector<uint8_t>& data) {
    if (phase_ == Phase::data_in) {
        size_t count = std::min<size_t>(max_length, data_.size() - data_done_);
        data.assign(data_.begin() + static_cast<long>(data_done_), data_.begin() + static_cast<long>(data_done_ + count));
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

UsbHandshake UsbStorageDevice::command(const std::vector<uint8_t>& data) {
    if (data.size() != US_BULK_CB_WRAP_LEN)
        return phase_error();
    std::memcpy(&cbw_, data.data(), sizeof cbw_);
    if (cbw_.Signature != US_BULK_CB_SIGN || cbw_.Length == 0 || cbw_.Length > sizeof cbw_.CDB)
        return phase_error();
    ++stat_commands_;
    execute(cbw_);
    return UsbHandshake::ack;
}

void UsbStorageDevice::execute(const bulk_cb_wrap& cbw) {
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

void UsbStorageDevice::read_blocks(uint32_t lba, uint32_t count) {
    for (uint32_t i = 0; i < count; ++i) {
        std::vector<uint8_t> contents = block(lba + i);
        data_.insert(data_.end(), contents.begin(), contents.end());
    }
    stat_blocks_read_ += count;
}

void UsbStorageDevice::finish_write() {
    uint32_t lba = get_be32(cbw_.CDB + 2);
    for (size_t i = 0; i * storage_block_size < data_.size(); ++i)
        std::memcpy(written_[static_cast<uint32_t>(lba + i)].data(), data_.data() + i * storage_block_size,
                    storage_block_size);
    stat_blocks_written_ += data_.size() / storage_block_size;
    phase_ = Phase::status;
}

std::vector<uint8_t> UsbStorageDevice::status_wrapper() const {
    auto transferred = static_cast<uint32_t>(cbw_.Flags & US_BULK_FLAG_IN ? data_done_ : data_.size());
    bulk_cs_wrap csw{US_BULK_CS_SIGN, cbw_.Tag, expected_ - std::min(expected_, transferred), status_};
    std::vector<uint8_t> bytes;
    append(bytes, csw);
    return bytes;
}

// --- boot-protocol mouse ---

UsbHidDevice::UsbHidDevice(std::string name, uint16_t vendor, uint16_t product, Instrumentation& instr)
    : UsbDevice(std::move(name), vendor, product, instr), stat_reports_(instr.counter(this->name() + ".reports")) {
    usb_interface_descriptor interface{USB_DT_INTERFACE_SIZE, USB_DT_INTERFACE, 0, 0, 1, USB_CLASS_HID,
                                       USB_INTERFACE_SUBCLASS_BOOT, USB_INTERFACE_PROTOCOL_MOUSE, 0};
    // The HID descriptor: HID 1.11, no country, one report descriptor of the boot mouse's 50 bytes.
    std::vector<uint8_t> hid = {9, HID_DT_HID, 0x11, 0x01, 0, 1, 0x22, 50, 0};
    set_configuration_descriptor(interface, hid,
                                 {{USB_DT_ENDPOINT_SIZE, USB_DT_ENDPOINT, interrupt_in, USB_ENDPOINT_XFER_INT,
                                   hid_boot_mouse_report_size, b_interval}});
}

std::array<uint8_t, hid_boot_mouse_report_size> UsbHidDevice::report(uint64_t n) {
    return {static_cast<uint8_t>(n & 7), static_cast<uint8_t>(static_cast<int8_t>(n * 7 % 11) - 5),
            static_cast<uint8_t>(static_cast<int8_t>(n * 5 % 9) - 4), static_cast<uint8_t>(n % 4 == 3)};
}

UsbHandshake UsbHidDevice::class_request(const usb_ctrlrequest& setup, std::vector<uint8_t>&) {
    bool to_interface = (setup.bRequestType & USB_RECIP_MASK) == USB_RECIP_INTERFACE && !is_in(setup);
    if (to_interface && (setup.bRequest == HID_REQ_SET_IDLE || setup.bRequest == HID_REQ_SET_PROTOCOL))
        return UsbHandshake::ack;  // the boot protocol is all it speaks; idle rates are ignored
    return UsbHandshake::stall;
}

UsbHandshake UsbHidDevice::data_out(uint8_t, const std::vector<uint8_t>&) { return UsbHandshake::stall; }

UsbHandshake UsbHidDevice::data_in(uint8_t, uint32_t max_length, std::vector<uint8_t>& data) {
    std::array<uint8_t, hid_boot_mouse_report_size> next = report(sent_++);
    data.assign(next.begin(), next.begin() + std::min<uint32_t>(max_length, hid_boot_mouse_report_size));
    ++stat_reports_;
    return UsbHandshake::ack;
}

}  // namespace models
