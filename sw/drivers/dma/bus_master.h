// The driver of dmasim's bus master ("dmasim,bus-master", models/bus/bus_master_regs.h), a Linux
// platform driver: probe maps the registers (ioremap) and the data buffer (ioremap_wc, as a frame
// buffer is), checks the ID, and takes the node's interrupt if it has one (and the kernel an
// interrupt controller). A transfer programs the addresses and LENGTH, writes COMMAND and waits for
// the command to end: in the idle loop (WFI) until the interrupt handler saw DONE or ERROR, or,
// without an interrupt, by polling STATUS.
// READ and WRITE pass through the device's buffer: the CPU copies what the device read out of it
// (memcpy_fromio) or what it is to write into it (memcpy_toio), a buffer's worth per command.
// Every access to the device is a load or store of the core through those mappings.
#pragma once

#include "dma/types.h"

#include <cstdint>
#include <optional>
#include <string>

namespace sw {

class Kernel;

// What the device tree gives the driver (Linux's platform_get_resource and platform_get_irq):
// physical addresses and the interrupt's Linux number (the GIC interrupt ID).
struct BusMasterInfo {
    std::string name;  // the node's name, as dev_name(), e.g. "dma-agent@1000000"
    uint64_t registers = 0;
    uint64_t registers_size = 0;
    uint64_t buffer = 0;       // the data buffer window (reg's second entry)
    uint64_t buffer_size = 0;  // 0: none
    std::optional<unsigned> irq;
};

class BusMaster {
public:
    static constexpr const char* driver_name = "dmasim-bus-master";

    BusMaster(Kernel& kernel, BusMasterInfo info);
    BusMaster(const BusMaster&) = delete;
    BusMaster& operator=(const BusMaster&) = delete;

    // 0, -ENODEV (not the registers this driver knows) or request_irq's error; the device is then
    // left as probe found it. Runs on the core.
    int probe();
    void remove();

    const BusMasterInfo& info() const { return info_; }
    bool probed() const { return regs_ != 0; }
    bool uses_irq() const { return irq_requested_; }

    // Each runs to completion: 0, or -EIO when the device reported an error (error() says which),
    // -EINVAL for a READ or WRITE on a device without a buffer or beyond it, -ENODEV before
    // probe. A zero length does nothing. Addresses are bus addresses (from the DMA API).
    // read: the device reads [addr, addr + length) and the CPU copies what it read to `dst`.
    int read(dma::dma_addr_t addr, void* dst, uint64_t length);
    // write: the CPU copies `src` into the device's buffer and the device writes it at `addr`.
    int write(dma::dma_addr_t addr, const void* src, uint64_t length);
    int copy(dma::dma_addr_t src, dma::dma_addr_t dst, uint64_t length);
    // The last failure, as the driver's dev_err would print it ("" if none).
    const std::string& error() const { return error_; }

    // The steps read() and write() take a buffer's worth at a time, for a program that times the
    // device's part (its commands) apart from the CPU's copies through its buffer, which stand for
    // data a real device would consume or produce itself. `length` at most buffer_size().
    uint64_t buffer_size() const { return buffer_size_; }
    int read_to_buffer(dma::dma_addr_t addr, uint64_t length);     // READ
    int write_from_buffer(dma::dma_addr_t addr, uint64_t length);  // WRITE
    int copy_from_buffer(void* dst, uint64_t length);              // memcpy_fromio
    int copy_to_buffer(const void* src, uint64_t length);          // memcpy_toio

    uint32_t readl(unsigned offset);
    void writel(unsigned offset, uint32_t value);

private:
    // 0, or why a command of `length` bytes (through the buffer if `needs_buffer`) cannot run.
    int check_usable(bool needs_buffer, uint64_t length);
    // Programs and starts one command of at most a buffer's worth, and waits for it: 0 or -EIO.
    int run(uint32_t command, dma::dma_addr_t src, dma::dma_addr_t dst, uint32_t length);
    uint32_t wait_for_completion();
    void irq_handler();
    int fail(int rc, const std::string& message);

    Kernel& kernel_;
    BusMasterInfo info_;
    uint64_t regs_ = 0;    // ioremap'd registers (0: not probed)
    uint64_t buffer_ = 0;  // ioremap_wc'd buffer (0: none)
    uint64_t buffer_size_ = 0;
    bool irq_requested_ = false;
    bool completed_ = false;
    uint32_t status_ = 0;  // STATUS as the handler read it
    std::string error_;
};

}  // namespace sw
