#include "sw/drivers/dma/bus_master.h"

#include "models/bus/bus_master_regs.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <cerrno>
#include <fmt/format.h>

namespace sw {

using namespace bus_master;

namespace {

const char* cause_text(uint32_t cause) {
    switch (cause) {
    case CAUSE_COMMAND: return "the device does not take the command";
    case CAUSE_LENGTH: return "a length the device does not take";
    case CAUSE_WINDOW: return "outside every window of its bus's dma-ranges";
    case CAUSE_BUS: return "bus error";
    default: return "unknown cause";
    }
}

const char* op_text(uint32_t command) {
    switch (command & COMMAND_OP_MASK) {
    case COMMAND_READ: return "read";
    case COMMAND_WRITE: return "write";
    default: return "copy";
    }
}

}  // namespace

BusMaster::BusMaster(Kernel& kernel, BusMasterInfo info) : kernel_(kernel), info_(std::move(info)) {}

uint32_t BusMaster::readl(unsigned offset) { return kernel_.cpu().load32(regs_ + offset); }

void BusMaster::writel(unsigned offset, uint32_t value) { kernel_.cpu().store32(regs_ + offset, value); }

int BusMaster::probe() {
    regs_ = kernel_.ioremap(info_.registers, info_.registers_size);
    if (uint32_t id = readl(BM_ID); id != ID_VALUE) {
        remove();
        return fail(-ENODEV, fmt::format("not a dmasim bus master (ID register {:#x}, expected {:#x})", id, ID_VALUE));
    }
    // The window the tree gives bounds what the driver uses, whatever the device says it has.
    buffer_size_ = std::min<uint64_t>(readl(BM_BUFFER_SIZE), info_.buffer_size);
    if (buffer_size_)
        buffer_ = kernel_.ioremap(info_.buffer, info_.buffer_size, models::MemType::write_combined);
    if (info_.irq && kernel_.interrupts()) {  // else it polls, as without an interrupt
        if (int rc = kernel_.request_irq(
                *info_.irq, [this] { irq_handler(); }, driver_name);
            rc < 0) {
            remove();
            return fail(rc, fmt::format("cannot request IRQ {}", *info_.irq));
        }
        irq_requested_ = true;
        writel(BM_IRQ_ENABLE, IRQ_DONE | IRQ_ERROR);
    }
    return 0;
}

void BusMaster::remove() {
    if (irq_requested_) {
        writel(BM_IRQ_ENABLE, 0);
        kernel_.free_irq(*info_.irq);
        irq_requested_ = false;
    }
    if (buffer_)
        kernel_.iounmap(buffer_, info_.buffer_size);
    if (regs_)
        kernel_.iounmap(regs_, info_.registers_size);
    buffer_ = regs_ = 0;
    buffer_size_ = 0;
}

int BusMaster::fail(int rc, const std::string& message) {
    error_ = fmt::format("{} {}: {}", driver_name, info_.name, message);
    return rc;
}

int BusMaster::check_usable(bool needs_buffer, uint64_t length) {
    if (!probed())
        return fail(-ENODEV, "not probed");
    if (needs_buffer && !buffer_size_)
        return fail(-EINVAL, "the device has no data buffer (its reg has one entry)");
    if (needs_buffer && length > buffer_size_)
        return fail(-EINVAL, fmt::format("{} bytes do not fit its {}-byte buffer", length, buffer_size_));
    return 0;
}

int BusMaster::read_to_buffer(dma::dma_addr_t addr, uint64_t length) {
    if (int rc = check_usable(true, length); rc < 0 || !length)
        return rc;
    return run(COMMAND_READ, addr, 0, static_cast<uint32_t>(length));
}

int BusMaster::write_from_buffer(dma::dma_addr_t addr, uint64_t length) {
    if (int rc = check_usable(true, length); rc < 0 || !length)
        return rc;
    return run(COMMAND_WRITE, 0, addr, static_cast<uint32_t>(length));
}

int BusMaster::copy_from_buffer(void* dst, uint64_t length) {
    if (int rc = check_usable(true, length); rc < 0)
        return rc;
    kernel_.cpu().read_block(buffer_, dst, length);
    return 0;
}

// The COMMAND store that follows drains the write-combining buffer (a Device store orders after it).
int BusMaster::copy_to_buffer(const void* src, uint64_t length) {
    if (int rc = check_usable(true, length); rc < 0)
        return rc;
    kernel_.cpu().write_block(buffer_, src, length);
    return 0;
}

int BusMaster::read(dma::dma_addr_t addr, void* dst, uint64_t length) {
    if (int rc = check_usable(true, 0); rc < 0)
        return rc;
    auto* bytes = static_cast<uint8_t*>(dst);
    for (uint64_t done = 0; done < length;) {
        uint64_t chunk = std::min(buffer_size_, length - done);
        if (int rc = read_to_buffer(addr + done, chunk); rc < 0)
            return rc;
        copy_from_buffer(bytes + done, chunk);  // fits: chunk is at most the buffer
        done += chunk;
    }
    return 0;
}

int BusMaster::write(dma::dma_addr_t addr, const void* src, uint64_t length) {
    if (int rc = check_usable(true, 0); rc < 0)
        return rc;
    const auto* bytes = static_cast<const uint8_t*>(src);
    for (uint64_t done = 0; done < length;) {
        uint64_t chunk = std::min(buffer_size_, length - done);
        copy_to_buffer(bytes + done, chunk);  // fits: chunk is at most the buffer
        if (int rc = write_from_buffer(addr + done, chunk); rc < 0)
            return rc;
        done += chunk;
    }
    return 0;
}

int BusMaster::copy(dma::dma_addr_t src, dma::dma_addr_t dst, uint64_t length) {
    if (int rc = check_usable(false, length); rc < 0 || !length)
        return rc;
    for (uint64_t done = 0; done < length;) {
        auto chunk = static_cast<uint32_t>(std::min<uint64_t>(UINT32_MAX, length - done));
        if (int rc = run(COMMAND_COPY, src + done, dst + done, chunk); rc < 0)
            return rc;
        done += chunk;
    }
    return 0;
}

int BusMaster::run(uint32_t command, dma::dma_addr_t src, dma::dma_addr_t dst, uint32_t length) {
    if ((command & COMMAND_OP_MASK) != COMMAND_WRITE) {
        writel(BM_SRC_LO, static_cast<uint32_t>(src));
        writel(BM_SRC_HI, static_cast<uint32_t>(src >> 32));
    }
    if ((command & COMMAND_OP_MASK) != COMMAND_READ) {
        writel(BM_DST_LO, static_cast<uint32_t>(dst));
        writel(BM_DST_HI, static_cast<uint32_t>(dst >> 32));
    }
    writel(BM_LENGTH, length);
    writel(BM_COMMAND, command);
    uint32_t status = wait_for_completion();
    if (!(status & STATUS_ERROR))
        return 0;
    uint64_t at = uint64_t(readl(BM_ERROR_ADDR_HI)) << 32 | readl(BM_ERROR_ADDR_LO);
    return fail(-EIO, fmt::format("DMA {} of {} bytes failed at bus address {:#x}: {}", op_text(command), length, at,
                                  cause_text(status_cause(status))));
}

// With the interrupt: the idle loop until the handler saw the command end. Without: Linux's
// readl_poll_timeout_atomic with no delay (the model always ends a command, so no timeout).
uint32_t BusMaster::wait_for_completion() {
    if (!irq_requested_) {
        uint32_t status;
        while ((status = readl(BM_STATUS)) & STATUS_BUSY) {
        }
        return status;
    }
    while (!completed_)
        kernel_.wait_for_interrupt();
    completed_ = false;
    return status_;
}

void BusMaster::irq_handler() {
    uint32_t pending = readl(BM_IRQ_STATUS);
    if (!pending)
        return;  // not ours (IRQ_NONE)
    writel(BM_IRQ_STATUS, pending);
    status_ = readl(BM_STATUS);
    completed_ = true;
}

}  // namespace sw
