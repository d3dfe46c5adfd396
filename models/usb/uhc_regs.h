// The programming interface of dmasim's USB host controller (models/usb/uhc.h), shared
// with its driver (sw/drivers/usb/uhc_hcd.h). dmasim's own, in the spirit of xHCI and EHCI: a register
// block in BAR0 (capabilities, command and status, a transfer ring and its doorbell, one status
// and control register per root-hub port, at xHCI's bit positions) and transfer descriptors (TDs)
// in a ring of coherent memory that the controller reads and writes back by DMA. Every register
// is 32 bits wide.
#pragma once

#include <cstdint>

namespace uhc {

// dmasim's PCI IDs, and the class code of a USB controller with an unspecified interface.
constexpr uint16_t PCI_VENDOR_ID_DMASIM = 0x1234;
constexpr uint16_t PCI_DEVICE_ID_DMASIM_UHC = 0x0c03;
constexpr uint32_t PCI_CLASS_SERIAL_USB_OTHER = 0x0c0380;

constexpr unsigned register_bar = 0;
constexpr uint64_t register_bar_size = 0x1000;

// Reads MAGIC_VALUE ("UHC1"): the driver's check that the BAR is this register block.
constexpr unsigned UHC_MAGIC = 0x00;
constexpr uint32_t MAGIC_VALUE = 0x31434855;

// Read-only: the root hub's ports (bits 7:0) and the address bits the DMA engine drives (15:8),
// what xHCI's HCSPARAMS1 and AC64 say.
constexpr unsigned UHC_HCSPARAMS = 0x04;
constexpr uint32_t HCS_MAX_PORTS(uint32_t p) { return p & 0xff; }
constexpr uint32_t HCS_DMA_BITS(uint32_t p) { return p >> 8 & 0xff; }

constexpr unsigned UHC_USBCMD = 0x08;
constexpr uint32_t CMD_RUN = 1u << 0;    // run the ring; clear: halt after the current TD
constexpr uint32_t CMD_RESET = 1u << 1;  // controller reset: halted, registers and ports as at power-on
constexpr uint32_t CMD_EIE = 1u << 2;    // interrupt on EINT and HSE

constexpr unsigned UHC_USBSTS = 0x0c;
constexpr uint32_t STS_HALT = 1u << 0;   // read-only: the controller is halted
constexpr uint32_t STS_FATAL = 1u << 2;  // host system error (write 1 to clear): the ring was unreachable
constexpr uint32_t STS_EINT = 1u << 3;   // a TD with IOC completed (write 1 to clear)

// The TD ring: its bus address (64-byte aligned) and its entries (a power of two up to
// max_ring_entries). Latched when RUN is set; the controller then starts at entry 0.
constexpr unsigned UHC_RING_LO = 0x10;
constexpr unsigned UHC_RING_HI = 0x14;
constexpr unsigned UHC_RING_SIZE = 0x18;
constexpr uint32_t max_ring_entries = 256;
// Written with the enqueue index: the TDs before it (from the controller's dequeue index on) are
// the controller's to run, in ring order.
constexpr unsigned UHC_DOORBELL = 0x1c;
constexpr unsigned UHC_DEQUEUE = 0x20;  // read-only: the next TD the controller runs

// Port n (1-based) at xHCI's offset; bits as xHCI's PORTSC.
constexpr unsigned UHC_PORTSC(unsigned port) { return 0x400 + 0x10 * (port - 1); }
constexpr unsigned max_ports = 15;
constexpr uint32_t PORT_CONNECT = 1u << 0;  // read-only: a device is attached
constexpr uint32_t PORT_PE = 1u << 1;       // read-only: enabled (set by a completed reset)
constexpr uint32_t PORT_RESET = 1u << 4;    // write 1: bus reset; the device is then at address 0
constexpr uint32_t PORT_SPEED_HIGH = 3u << 10;
constexpr uint32_t PORT_CSC = 1u << 17;  // connect status change (write 1 to clear)
constexpr uint32_t PORT_RC = 1u << 21;   // reset change: a reset completed (write 1 to clear)

// --- transfer descriptors: 32 bytes each, little-endian ---
constexpr unsigned td_size = 32;
constexpr unsigned TD_BUFFER = 0x00;  // 64 bits: the data's bus address
constexpr unsigned TD_LENGTH = 0x08;  // bytes to transfer, at most max_td_length
constexpr unsigned TD_CONTROL = 0x0c;
constexpr unsigned TD_SETUP = 0x10;   // control transfers: the 8-byte setup packet, inline
constexpr unsigned TD_STATUS = 0x18;  // written back by the controller
constexpr unsigned TD_ACTUAL = 0x1c;  // written back: bytes transferred
constexpr uint32_t max_td_length = 64 * 1024;

constexpr uint32_t TD_ADDR(unsigned address) { return address & 0x7f; }  // the device's address
constexpr uint32_t TD_EP(unsigned endpoint) { return (endpoint & 0xf) << 8; }
constexpr uint32_t TD_DIR_IN = 1u << 15;
constexpr uint32_t TD_TYPE(unsigned type) { return (type & 3) << 16; }  // USB_ENDPOINT_XFER_*
constexpr uint32_t TD_IOC = 1u << 24;                                   // interrupt on completion
constexpr unsigned TD_GET_ADDR(uint32_t control) { return control & 0x7f; }
constexpr unsigned TD_GET_EP(uint32_t control) { return control >> 8 & 0xf; }
constexpr unsigned TD_GET_TYPE(uint32_t control) { return control >> 16 & 3; }

// TD_STATUS: software sets TD_ACTIVE; the controller writes the completion code with it clear.
constexpr uint32_t TD_ACTIVE = 1u << 31;
constexpr uint32_t TD_CC(uint32_t status) { return status & 0xff; }
// Completion codes, numbered as xHCI's.
constexpr uint32_t CC_SUCCESS = 1;
constexpr uint32_t CC_DMA_ERROR = 2;          // the data buffer could not be read or written by DMA
constexpr uint32_t CC_TRANSACTION_ERROR = 4;  // no enabled device answers at that address
constexpr uint32_t CC_TD_ERROR = 5;           // a malformed TD (inactive, too long, bad endpoint type)
constexpr uint32_t CC_STALL = 6;              // the device stalled the endpoint
constexpr uint32_t CC_SHORT_PACKET = 13;      // an IN transfer ended early: ACTUAL is less than LENGTH

}  // namespace uhc
