// The register interface of dmasim's bus master ("dmasim,bus-master"), a small DMA controller:
// shared by the model (models/bus/bus_master.h) and its driver (sw/drivers/dma/bus_master.h).
// Every register is 32 bits wide, accessed with aligned 32-bit loads and stores; offsets the table
// does not name read as zero and ignore writes. The data buffer is a window of its own (the node's
// second `reg` entry), read and written by the CPU with accesses of any size.
#pragma once

#include <cstdint>

namespace bus_master {

// Read-only: ID_VALUE ("DMAB" as little-endian bytes).
constexpr unsigned BM_ID = 0x00;
constexpr uint32_t ID_VALUE = 0x42414d44;

// Read-only: bytes of the data buffer (0: the node has no buffer window; READ and WRITE then fail).
constexpr unsigned BM_BUFFER_SIZE = 0x04;

// Bus addresses: what the device drives on its bus (through its bus's dma-ranges, if any).
constexpr unsigned BM_SRC_LO = 0x08;
constexpr unsigned BM_SRC_HI = 0x0c;
constexpr unsigned BM_DST_LO = 0x10;
constexpr unsigned BM_DST_HI = 0x14;
constexpr unsigned BM_LENGTH = 0x18;  // bytes

// Writing an operation starts it (reads back the last command written).
constexpr unsigned BM_COMMAND = 0x1c;
constexpr uint32_t COMMAND_OP_MASK = 0xf;
constexpr uint32_t COMMAND_READ = 1;   // LENGTH bytes at SRC into the buffer, from its start
constexpr uint32_t COMMAND_WRITE = 2;  // the buffer's first LENGTH bytes to DST
constexpr uint32_t COMMAND_COPY = 3;   // LENGTH bytes from SRC to DST (the buffer is not used)

// Read-only: the last command's state. BUSY until the simulated time its transfer ends, then DONE,
// or ERROR with a cause.
constexpr unsigned BM_STATUS = 0x20;
constexpr uint32_t STATUS_BUSY = 1u << 0;
constexpr uint32_t STATUS_DONE = 1u << 1;
constexpr uint32_t STATUS_ERROR = 1u << 2;
constexpr unsigned STATUS_CAUSE_SHIFT = 8;
constexpr uint32_t STATUS_CAUSE_MASK = 0xfu << STATUS_CAUSE_SHIFT;
constexpr uint32_t CAUSE_NONE = 0;
constexpr uint32_t CAUSE_COMMAND = 1;  // no such operation, or a flag it does not take
constexpr uint32_t CAUSE_LENGTH = 2;   // zero, or more than the buffer holds (READ, WRITE)
constexpr uint32_t CAUSE_WINDOW = 3;   // a range outside every window of the bus's dma-ranges: nothing moved
constexpr uint32_t CAUSE_BUS = 4;      // the interconnect answered an error (a hole): the transfer stopped there
constexpr uint32_t status_cause(uint32_t status) { return (status & STATUS_CAUSE_MASK) >> STATUS_CAUSE_SHIFT; }

// Interrupt causes: IRQ_STATUS latches them when a command ends (write 1 to clear); the interrupt
// line is asserted while IRQ_STATUS & IRQ_ENABLE is not zero.
constexpr unsigned BM_IRQ_ENABLE = 0x24;
constexpr unsigned BM_IRQ_STATUS = 0x28;
constexpr uint32_t IRQ_DONE = 1u << 0;
constexpr uint32_t IRQ_ERROR = 1u << 1;

// Read-only: the bus address an ERROR concerns (the range's start, or the burst the bus refused).
constexpr unsigned BM_ERROR_ADDR_LO = 0x2c;
constexpr unsigned BM_ERROR_ADDR_HI = 0x30;

// The smallest register window (`reg`'s first entry) that holds every register.
constexpr uint64_t register_space = 0x100;

}  // namespace bus_master
