// The host's register interface of dmasim's multi-function device ("dmasim,mfd"): shared by the
// model (models/mfd/mfd.h) and its driver (sw/drivers/mfd/). The node's `reg` has three windows,
// named by reg-names: "regs" (these registers, 32-bit aligned accesses), "sram" (the local SRAM,
// any access size) and "code" (the 8051's code memory: writes land only while CPUCS holds the
// core in reset, as the EZ-USB's CPUCS arranges). Offsets the table does not name read as zero
// and ignore writes. The 8051's side is models/mfd/mfd_fw_regs.h.
#pragma once

#include <cstdint>

namespace mfd {

// Read-only: ID_VALUE ("MFD1" as little-endian bytes).
constexpr unsigned MFD_ID = 0x00;
constexpr uint32_t ID_VALUE = 0x3144464d;
constexpr unsigned MFD_SRAM_SIZE = 0x04;  // read-only: bytes of SRAM
constexpr unsigned MFD_CODE_SIZE = 0x08;  // read-only: bytes of code memory behind the code window

// CPUCS: RESET holds the 8051 in reset (its reset value); writing 0 releases it, which starts it
// at address 0; writing RESET again stops it and resets it.
constexpr unsigned MFD_CPUCS = 0x10;
constexpr uint32_t CPUCS_RESET = 1u << 0;

// Interrupt causes: IRQ_STATUS latches them (write 1 to clear; clearing MBOX acknowledges the
// firmware's message); the MFD's interrupt line is asserted while IRQ_STATUS & IRQ_ENABLE != 0.
constexpr unsigned MFD_IRQ_STATUS = 0x14;
constexpr unsigned MFD_IRQ_ENABLE = 0x18;
constexpr uint32_t IRQ_MBOX = 1u << 0;       // the firmware posted a message (F2H)
constexpr uint32_t IRQ_DMA_DONE = 1u << 1;   // a DMA the host started has ended
constexpr uint32_t IRQ_DMA_ERROR = 1u << 2;  // ... with an error

// Host to firmware: four words, then a write to the doorbell posts them (the 8051's external
// interrupt 0 rises); the doorbell reads 1 until the firmware acknowledges the message.
constexpr unsigned MFD_H2F0 = 0x20;  // words at 0x20, 0x24, 0x28, 0x2c
constexpr unsigned MFD_H2F_DOORBELL = 0x30;
// Firmware to host: four read-only words, valid from the MBOX interrupt until it is cleared.
constexpr unsigned MFD_F2H0 = 0x40;  // words at 0x40, 0x44, 0x48, 0x4c
constexpr unsigned mailbox_words = 4;

// The DMA engine, started by the host: writing the SRAM offset of the first descriptor starts the
// chain (descriptor format: MFD_DESC_* in mfd_fw_regs.h). STATUS reads BUSY until the simulated
// time the chain ends, then DONE or ERROR with a cause; ERROR_ADDR names what was refused.
constexpr unsigned MFD_DMA_DESC = 0x50;
constexpr unsigned MFD_DMA_STATUS = 0x54;
constexpr unsigned MFD_DMA_ERROR_ADDR = 0x58;
constexpr uint32_t DMA_STATUS_BUSY = 1u << 0;
constexpr uint32_t DMA_STATUS_DONE = 1u << 1;
constexpr uint32_t DMA_STATUS_ERROR = 1u << 2;
constexpr unsigned DMA_STATUS_CAUSE_SHIFT = 8;
constexpr uint32_t DMA_STATUS_CAUSE_MASK = 0xfu << DMA_STATUS_CAUSE_SHIFT;
constexpr uint32_t DMA_CAUSE_NONE = 0;
constexpr uint32_t DMA_CAUSE_DESCRIPTOR = 1;  // a descriptor outside the SRAM, or its length 0 or too long
constexpr uint32_t DMA_CAUSE_SRAM = 2;        // an SRAM range past the SRAM's end
constexpr uint32_t DMA_CAUSE_BUS = 3;         // the system bus answered an error (a hole)
constexpr uint32_t DMA_CAUSE_BUSY = 4;        // started while a chain was running: ignored
constexpr uint32_t dma_status_cause(uint32_t status) {
    return (status & DMA_STATUS_CAUSE_MASK) >> DMA_STATUS_CAUSE_SHIFT;
}

// The smallest register window (reg's "regs" entry) that holds every register.
constexpr uint64_t register_space = 0x100;

}  // namespace mfd
