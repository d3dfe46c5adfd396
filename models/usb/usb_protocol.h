// What travels on the USB wire, as the USB 2.0 specification's chapter 9 and the class
// specifications define it and Linux names it (include/uapi/linux/usb/ch9.h, include/linux/usb/
// storage.h, include/linux/hid.h, include/scsi/scsi_proto.h): setup packets, the standard
// descriptors, the Bulk-Only Transport's command and status wrappers, and the few SCSI commands a
// bulk storage device answers. Shared by the device models (models/usb/usb_device.h) and the USB
// core and drivers (sw/drivers/usb/), so both sides agree. Multi-byte USB fields are little-endian, as on
// the host dmasim runs on; SCSI command fields are big-endian (get_be32/put_be32).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace usb {

// --- setup packets (bmRequestType, bRequest) ---
constexpr uint8_t USB_DIR_OUT = 0x00;
constexpr uint8_t USB_DIR_IN = 0x80;
constexpr uint8_t USB_TYPE_MASK = 0x60;
constexpr uint8_t USB_TYPE_STANDARD = 0x00;
constexpr uint8_t USB_TYPE_CLASS = 0x20;
constexpr uint8_t USB_RECIP_MASK = 0x1f;
constexpr uint8_t USB_RECIP_DEVICE = 0x00;
constexpr uint8_t USB_RECIP_INTERFACE = 0x01;
constexpr uint8_t USB_RECIP_ENDPOINT = 0x02;

constexpr uint8_t USB_REQ_GET_STATUS = 0x00;
constexpr uint8_t USB_REQ_CLEAR_FEATURE = 0x01;
constexpr uint8_t USB_REQ_SET_ADDRESS = 0x05;
constexpr uint8_t USB_REQ_GET_DESCRIPTOR = 0x06;
constexpr uint8_t USB_REQ_GET_CONFIGURATION = 0x08;
constexpr uint8_t USB_REQ_SET_CONFIGURATION = 0x09;
constexpr uint16_t USB_ENDPOINT_HALT = 0;  // the feature selector of CLEAR_FEATURE to an endpoint

#pragma pack(push, 1)
struct usb_ctrlrequest {
    uint8_t bRequestType;
    uint8_t bRequest;
    uint16_t wValue;
    uint16_t wIndex;
    uint16_t wLength;
};
#pragma pack(pop)
static_assert(sizeof(usb_ctrlrequest) == 8, "a setup packet is 8 bytes");

// --- descriptors ---
constexpr uint8_t USB_DT_DEVICE = 0x01;
constexpr uint8_t USB_DT_CONFIG = 0x02;
constexpr uint8_t USB_DT_INTERFACE = 0x04;
constexpr uint8_t USB_DT_ENDPOINT = 0x05;
constexpr uint8_t USB_DT_DEVICE_SIZE = 18;
constexpr uint8_t USB_DT_CONFIG_SIZE = 9;
constexpr uint8_t USB_DT_INTERFACE_SIZE = 9;
constexpr uint8_t USB_DT_ENDPOINT_SIZE = 7;

constexpr uint8_t USB_ENDPOINT_NUMBER_MASK = 0x0f;
constexpr uint8_t USB_ENDPOINT_DIR_MASK = 0x80;
constexpr uint8_t USB_ENDPOINT_XFERTYPE_MASK = 0x03;
constexpr uint8_t USB_ENDPOINT_XFER_CONTROL = 0;
constexpr uint8_t USB_ENDPOINT_XFER_BULK = 2;
constexpr uint8_t USB_ENDPOINT_XFER_INT = 3;

constexpr uint8_t USB_CLASS_PER_INTERFACE = 0x00;
constexpr uint8_t USB_CLASS_HID = 0x03;
constexpr uint8_t USB_CLASS_MASS_STORAGE = 0x08;
constexpr uint8_t USB_CONFIG_ATT_ONE = 0x80;  // bmAttributes' reserved bit, always set

#pragma pack(push, 1)
struct usb_device_descriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint16_t bcdUSB;
    uint8_t bDeviceClass;
    uint8_t bDeviceSubClass;
    uint8_t bDeviceProtocol;
    uint8_t bMaxPacketSize0;
    uint16_t idVendor;
    uint16_t idProduct;
    uint16_t bcdDevice;
    uint8_t iManufacturer;
    uint8_t iProduct;
    uint8_t iSerialNumber;
    uint8_t bNumConfigurations;
};

struct usb_config_descriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint16_t wTotalLength;  // this descriptor and every interface, class and endpoint descriptor after it
    uint8_t bNumInterfaces;
    uint8_t bConfigurationValue;
    uint8_t iConfiguration;
    uint8_t bmAttributes;
    uint8_t bMaxPower;  // in 2 mA units
};

struct usb_interface_descriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bInterfaceNumber;
    uint8_t bAlternateSetting;
    uint8_t bNumEndpoints;
    uint8_t bInterfaceClass;
    uint8_t bInterfaceSubClass;
    uint8_t bInterfaceProtocol;
    uint8_t iInterface;
};

struct usb_endpoint_descriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bEndpointAddress;  // number | USB_DIR_IN for an IN endpoint
    uint8_t bmAttributes;      // the transfer type
    uint16_t wMaxPacketSize;
    uint8_t bInterval;  // high speed interrupt endpoints: every 2^(bInterval-1) microframes of 125 us
};
#pragma pack(pop)
static_assert(sizeof(usb_device_descriptor) == USB_DT_DEVICE_SIZE, "device descriptor size");
static_assert(sizeof(usb_config_descriptor) == USB_DT_CONFIG_SIZE, "configuration descriptor size");
static_assert(sizeof(usb_interface_descriptor) == USB_DT_INTERFACE_SIZE, "interface descriptor size");
static_assert(sizeof(usb_endpoint_descriptor) == USB_DT_ENDPOINT_SIZE, "endpoint descriptor size");

constexpr uint64_t microframe_ps = 125000000;  // 125 us: a high-speed bus's (micro)frame

// --- HID (boot protocol mouse) ---
constexpr uint8_t USB_INTERFACE_SUBCLASS_BOOT = 1;
constexpr uint8_t USB_INTERFACE_PROTOCOL_MOUSE = 2;
constexpr uint8_t HID_DT_HID = 0x21;
constexpr uint8_t HID_REQ_SET_IDLE = 0x0a;
constexpr uint8_t HID_REQ_SET_PROTOCOL = 0x0b;
constexpr unsigned hid_boot_mouse_report_size = 4;  // buttons, X, Y, wheel

// --- mass storage, Bulk-Only Transport ---
constexpr uint8_t USB_SC_SCSI = 0x06;
constexpr uint8_t USB_PR_BULK = 0x50;
constexpr uint8_t US_BULK_RESET_REQUEST = 0xff;  // class request: back to waiting for a command
constexpr uint8_t US_BULK_GET_MAX_LUN = 0xfe;

constexpr uint32_t US_BULK_CB_SIGN = 0x43425355;  // "USBC"
constexpr uint8_t US_BULK_FLAG_IN = 0x80;
constexpr uint32_t US_BULK_CS_SIGN = 0x53425355;  // "USBS"
constexpr uint8_t US_BULK_STAT_OK = 0;
constexpr uint8_t US_BULK_STAT_FAIL = 1;
constexpr uint8_t US_BULK_STAT_PHASE = 2;

#pragma pack(push, 1)
// The command block wrapper the host sends on the bulk OUT endpoint.
struct bulk_cb_wrap {
    uint32_t Signature;
    uint32_t Tag;  // echoed in the status
    uint32_t DataTransferLength;
    uint8_t Flags;  // US_BULK_FLAG_IN: the data stage is IN
    uint8_t Lun;
    uint8_t Length;  // of CDB
    uint8_t CDB[16];
};

// The command status wrapper the device returns on the bulk IN endpoint.
struct bulk_cs_wrap {
    uint32_t Signature;
    uint32_t Tag;
    uint32_t Residue;  // bytes of the data stage not transferred
    uint8_t Status;
};
#pragma pack(pop)
constexpr unsigned US_BULK_CB_WRAP_LEN = 31;
constexpr unsigned US_BULK_CS_WRAP_LEN = 13;
static_assert(sizeof(bulk_cb_wrap) == US_BULK_CB_WRAP_LEN, "CBW size");
static_assert(sizeof(bulk_cs_wrap) == US_BULK_CS_WRAP_LEN, "CSW size");

// --- SCSI commands (block commands, 10-byte forms) ---
constexpr uint8_t TEST_UNIT_READY = 0x00;
constexpr uint8_t READ_CAPACITY = 0x25;  // 8 bytes: last LBA, block length (big-endian)
constexpr uint8_t READ_10 = 0x28;        // LBA in bytes 2-5, blocks in 7-8 (big-endian)
constexpr uint8_t WRITE_10 = 0x2a;
constexpr unsigned storage_block_size = 512;

// A setup packet whose data stage goes to the host (bRequestType's USB_DIR_IN).
inline bool is_in_request(const usb_ctrlrequest& setup) { return setup.bRequestType & USB_DIR_IN; }

// `value`'s bytes appended to `bytes`, as a descriptor or wrapper goes on the wire.
template <typename T>
void append_bytes(std::vector<uint8_t>& bytes, const T& value) {
    size_t at = bytes.size();
    bytes.resize(at + sizeof value);
    std::memcpy(bytes.data() + at, &value, sizeof value);
}

inline uint32_t get_be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline uint16_t get_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void put_be32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}
inline void put_be16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

}  // namespace usb
