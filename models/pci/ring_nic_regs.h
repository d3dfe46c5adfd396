// The register interface and descriptor format of dmasim's ring device (a NIC-like PCI endpoint,
// models/pci/ring_nic.h), shared by the model and its driver (sw/drivers/pci/ring_nic.h) so both
// sides agree. Registers are 32 bits wide in BAR0; descriptors are 16 bytes, little-endian, in
// rings the driver allocates in coherent memory. The IDs are dmasim's, not PCI-SIG assignments.
#pragma once

#include <cstdint>

namespace ring_nic {

constexpr uint16_t PCI_VENDOR_ID_DMASIM = 0x1234;
constexpr uint16_t PCI_DEVICE_ID_DMASIM_RING = 0x0201;
constexpr uint32_t PCI_CLASS_NETWORK_ETHERNET = 0x020000;

constexpr unsigned register_bar = 0;
constexpr uint64_t register_bar_size = 256;

// --- registers (offsets in BAR0) ---
constexpr unsigned RING_ID = 0x00;         // read-only: ID_VALUE
constexpr uint32_t ID_VALUE = 0x474e4952;  // "RING" as little-endian bytes
constexpr unsigned RING_DMA_BITS = 0x04;   // read-only: address bits the DMA engine drives

constexpr unsigned RING_CTRL = 0x08;
constexpr uint32_t CTRL_TX_ENABLE = 1u << 0;
constexpr uint32_t CTRL_RX_ENABLE = 1u << 1;
constexpr uint32_t CTRL_LOOPBACK = 1u << 2;  // each transmitted frame is received, not sent out
constexpr uint32_t CTRL_RESET = 1u << 31;    // self-clearing: engines off, indices, status, counters zero

constexpr unsigned RING_STATUS = 0x0c;          // read-only
constexpr uint32_t STATUS_DMA_ERROR = 1u << 0;  // a DMA failed; the engines stopped (reset to restart)

// Interrupt causes: INT_STATUS latches them (a write of 1 clears a bit), INT_MASK masks them (a set
// bit: the cause raises no interrupt; reset: all masked).
constexpr unsigned RING_INT_STATUS = 0x10;
constexpr unsigned RING_INT_MASK = 0x14;
constexpr uint32_t INT_TX_DONE = 1u << 0;       // a TX descriptor completed (coalesced)
constexpr uint32_t INT_RX_DONE = 1u << 1;       // an RX descriptor completed (coalesced)
constexpr uint32_t INT_RX_NO_BUFFER = 1u << 2;  // a frame was dropped: no RX descriptor posted (at once)
constexpr uint32_t INT_DMA_ERROR = 1u << 3;     // at once
constexpr uint32_t INT_ALL = INT_TX_DONE | INT_RX_DONE | INT_RX_NO_BUFFER | INT_DMA_ERROR;

// Coalescing: TX_DONE and RX_DONE count their completions since the last interrupt; one is raised
// when an unmasked cause has COAL_COUNT of them (0 and 1: every completion), or when the first of
// them is COAL_TIMER_NS old (0: no timer).
constexpr unsigned RING_COAL_COUNT = 0x18;
constexpr unsigned RING_COAL_TIMER_NS = 0x1c;

// A ring: base (bus address, 16-byte aligned), size (descriptors, 2..max_ring_size; other values
// read back 0: no ring), head (read-only: the next descriptor the device takes), tail (the
// doorbell: one past the last descriptor software posted; a value >= size is ignored).
constexpr unsigned RING_TX_BASE_LO = 0x20;
constexpr unsigned RING_TX_BASE_HI = 0x24;
constexpr unsigned RING_TX_SIZE = 0x28;
constexpr unsigned RING_TX_HEAD = 0x2c;
constexpr unsigned RING_TX_TAIL = 0x30;
constexpr unsigned RING_RX_BASE_LO = 0x40;
constexpr unsigned RING_RX_BASE_HI = 0x44;
constexpr unsigned RING_RX_SIZE = 0x48;
constexpr unsigned RING_RX_HEAD = 0x4c;
constexpr unsigned RING_RX_TAIL = 0x50;
constexpr uint32_t max_ring_size = 4096;

// Read-only counters.
constexpr unsigned RING_TX_FRAMES = 0x60;
constexpr unsigned RING_RX_FRAMES = 0x64;
constexpr unsigned RING_RX_DROPPED = 0x68;

// --- descriptors ---
// struct ring_desc { le64 addr; le16 len; le16 flags; le32 status; }
// Software fills addr (the buffer's bus address), len (TX: the frame; RX: the buffer) and flags
// with DESC_OWN, then rings the doorbell. The device hands a descriptor back by writing its second
// half (len, flags without DESC_OWN, status) once the data has moved.
constexpr uint64_t desc_size = 16;
constexpr unsigned DESC_ADDR = 0x0;
constexpr unsigned DESC_LEN = 0x8;
constexpr unsigned DESC_FLAGS = 0xa;
constexpr unsigned DESC_STATUS = 0xc;
constexpr uint16_t DESC_OWN = 1u << 0;  // the device owns the descriptor
constexpr uint32_t DESC_STATUS_DONE = 1u << 31;
constexpr uint32_t DESC_STATUS_TRUNCATED = 1u << 30;  // RX: the frame was longer than the buffer
constexpr uint32_t DESC_STATUS_LEN_MASK = 0xffff;     // bytes moved

}  // namespace ring_nic
