#include "sw/drivers/mfd/mfd.h"

#include "sw/drivers/mfd/mfd_function.h"

#include "dma/device.h"
#include "models/cpu/core.h"
#include "models/mfd/mfd_fw_regs.h"
#include "models/mfd/mfd_regs.h"
#include "sw/firmware/mfd/mfd_protocol.h"
#include "sw/kernel/kernel.h"

#include <cerrno>
#include <fmt/format.h>

namespace sw {

using namespace mfd;

namespace {

constexpr uint64_t sram_page = uint64_t(1) << MFD_SRAM_PAGE_SHIFT;

}  // namespace

Mfd::Mfd(Kernel& kernel, models::Instrumentation& instr, MfdInfo info, dma::Device& dev)
    : kernel_(kernel), instr_(instr), info_(std::move(info)), dev_(dev),
      ev_log_(instr.declare_event("mfd.log", "an MFD driver (the MFD's or a cell's) logged a message")) {}

Mfd::~Mfd() = default;

std::vector<MfdFunction*> Mfd::functions() const {
    std::vector<MfdFunction*> list;
    for (const auto& function : functions_)
        list.push_back(function.get());
    return list;
}

uint32_t Mfd::readl(unsigned offset) { return kernel_.cpu().load32(regs_ + offset); }

void Mfd::writel(unsigned offset, uint32_t value) { kernel_.cpu().store32(regs_ + offset, value); }

void Mfd::log_as(const std::string& driver, const std::string& device, const std::string& message) {
    messages_.push_back(fmt::format("{} {}: {}", driver, device, message));
    if (ev_log_.enabled())
        instr_.emit(ev_log_, models::Event{kernel_.cpu().now_ps(), nullptr, device, {{"message", message}}});
}

int Mfd::fail(int rc, const std::string& message) {
    log(message);
    error_ = messages_.back();
    return rc;
}

int Mfd::probe() {
    regs_ = kernel_.ioremap(info_.registers, info_.registers_size);
    if (readl(MFD_ID) != ID_VALUE) {
        remove();
        return fail(-ENODEV, "not a dmasim MFD (ID register)");
    }
    if (info_.irq && kernel_.interrupts()) {  // else it polls
        if (int rc = kernel_.request_irq(
                *info_.irq, [this] { irq_handler(); }, driver_name);
            rc < 0) {
            remove();
            return fail(rc, fmt::format("cannot request IRQ {} ({})", *info_.irq, rc));
        }
        irq_requested_ = true;
    }
    int rc = load_firmware();
    if (rc == 0)
        rc = hello();
    if (rc < 0) {
        remove();
        return rc;
    }
    if (irq_requested_)
        writel(MFD_IRQ_ENABLE, IRQ_MBOX);
    std::vector<MfdMemResource> slices;
    if (info_.declare_sram && !info_.cells.empty()) {
        slices = sram_slices(info_);
        if (slices.empty()) {
            remove();
            return fail(-ENOMEM, fmt::format("{}=1: the {}-page SRAM cannot be split between {} cells",
                                             declare_sram_param, info_.sram_size / sram_page, info_.cells.size()));
        }
        log(fmt::format("{}=1: the SRAM [{:#x}, {:#x}) split between {} cells, each slice declared by its "
                        "cell's driver{}",
                        declare_sram_param, info_.sram, info_.sram + info_.sram_size, slices.size(),
                        info_.memory_region
                            ? fmt::format("; memory-region {} not used (a device has one coherent pool)",
                                          *info_.memory_region)
                            : ""));
    }
    cells_ = mfd_add_devices(dev_, info_.cells, slices);
    bind_cells();
    return 0;
}

std::vector<MfdMemResource> Mfd::sram_slices(const MfdInfo& info) {
    const uint64_t pages = info.sram_size / sram_page, cells = info.cells.size();
    if (cells == 0 || pages < cells)
        return {};
    const uint64_t slice = pages / cells * sram_page;
    std::vector<MfdMemResource> slices;
    for (uint64_t i = 0; i < cells; ++i) {
        uint64_t start = info.sram + i * slice;
        slices.push_back(MfdMemResource{start, i + 1 == cells ? info.sram + info.sram_size - start : slice, info.sram});
    }
    return slices;
}

dma::dma_addr_t Mfd::sram_bus() const { return dev_.phys_to_dma(info_.sram); }

// The driver core's part: each cell to the driver of its compatible, probed.
void Mfd::bind_cells() {
    for (auto& cell : cells_) {
        const MfdFunctionKind* kind = mfd_function_kind(cell->info().compatible);
        if (!kind) {
            log(fmt::format("no driver for cell {} (compatible \"{}\")", cell->info().name, cell->info().compatible));
            continue;
        }
        auto function = std::make_unique<MfdFunction>(*this, *cell, *kind);
        if (function->probe() == 0)
            functions_.push_back(std::move(function));
    }
}

void Mfd::remove() {
    for (auto& function : functions_)
        function->remove();
    functions_.clear();
    mfd_remove_devices(cells_);
    if (!regs_)
        return;
    writel(MFD_IRQ_ENABLE, 0);
    if (irq_requested_) {
        kernel_.free_irq(*info_.irq);
        irq_requested_ = false;
    }
    writel(MFD_CPUCS, CPUCS_RESET);
    kernel_.iounmap(regs_, info_.registers_size);
    regs_ = 0;
}

// As the EZ-USB's loaders (drivers/usb/misc/ezusb.c ezusb_fx2_ihex_firmware_download): hold the CPU
// in reset through CPUCS, write each record through the code window, release it.
int Mfd::load_firmware() {
    writel(MFD_CPUCS, CPUCS_RESET);
    std::string error;
    if (int rc = kernel_.firmware().request_firmware(firmware_, info_.firmware_name, info_.name, error); rc < 0) {
        log(error);
        error_ = messages_.back();
        return rc;
    }
    uint32_t code_size = readl(MFD_CODE_SIZE);
    for (const FirmwareRecord& record : firmware_.records)
        if (record.address > code_size || record.data.size() > code_size - record.address)
            return fail(-EFBIG, fmt::format("firmware {}: {} bytes at {:#x} lie past the {}-byte code memory",
                                            info_.firmware_name, record.data.size(), record.address, code_size));
    code_ = kernel_.ioremap(info_.code, info_.code_size);
    for (const FirmwareRecord& record : firmware_.records)
        kernel_.cpu().write_block(code_ + record.address, record.data.data(), record.data.size());
    kernel_.iounmap(code_, info_.code_size);
    code_ = 0;
    writel(MFD_CPUCS, 0);
    log(fmt::format("loaded firmware {} ({} bytes)", info_.firmware_name, firmware_.size()));
    return 0;
}

// The first message, polled: the firmware tells its version and echoes the SRAM's bus address.
int Mfd::hello() {
    const uint32_t sram_bus = static_cast<uint32_t>(this->sram_bus());
    post(Message{MFD_MSG_HELLO, sram_bus, 0, 0});
    models::Core& cpu = kernel_.cpu();
    const uint64_t deadline = cpu.now_ps() + hello_timeout_ps;
    while (!(readl(MFD_IRQ_STATUS) & IRQ_MBOX)) {
        if (cpu.now_ps() >= deadline)
            return fail(-ETIMEDOUT, fmt::format("firmware {} did not answer HELLO within {} ms", info_.firmware_name,
                                                hello_timeout_ps / 1'000'000'000));
        cpu.compute(hello_poll_us * 1'000'000 / cpu.config().cycle_ps);  // udelay
    }
    Message reply = read_reply();
    writel(MFD_IRQ_STATUS, IRQ_MBOX);
    if (reply[0] != (MFD_MSG_HELLO | MFD_MSG_REPLY) || reply[2] != sram_bus)
        return fail(-EPROTO, fmt::format("firmware {} answered HELLO with {:#x} {:#x} {:#x}, expected {:#x} "
                                         "<version> {:#x}",
                                         info_.firmware_name, reply[0], reply[1], reply[2],
                                         MFD_MSG_HELLO | MFD_MSG_REPLY, sram_bus));
    firmware_version_ = reply[1];
    log(fmt::format("firmware version {}.{}, SRAM at bus address {:#x}", firmware_version_ >> 8,
                    firmware_version_ & 0xff, sram_bus));
    return 0;
}

void Mfd::post(const Message& message) {
    for (unsigned i = 0; i < mailbox_words; ++i)
        writel(MFD_H2F0 + 4 * i, message[i]);
    writel(MFD_H2F_DOORBELL, 1);
}

Mfd::Message Mfd::read_reply() {
    Message reply{};
    for (unsigned i = 0; i < mailbox_words; ++i)
        reply[i] = readl(MFD_F2H0 + 4 * i);
    return reply;
}

int Mfd::call(const Message& message, Message& reply) {
    if (!probed())
        return fail(-ENODEV, "not probed");
    replied_ = false;
    post(message);
    if (irq_requested_) {
        while (!replied_)
            kernel_.wait_for_interrupt();
        reply = reply_;
    } else {
        while (!(readl(MFD_IRQ_STATUS) & IRQ_MBOX)) {
        }
        reply = read_reply();
        writel(MFD_IRQ_STATUS, IRQ_MBOX);
    }
    uint32_t command = message[0] & 0xff;
    if (reply[0] != (command | MFD_MSG_REPLY))
        return fail(-EPROTO, fmt::format("firmware answered command {:#x} with {:#x}", command, reply[0]));
    return 0;
}

void Mfd::irq_handler() {
    if (!(readl(MFD_IRQ_STATUS) & IRQ_MBOX))
        return;  // not ours (IRQ_NONE)
    reply_ = read_reply();
    writel(MFD_IRQ_STATUS, IRQ_MBOX);
    replied_ = true;
}

}  // namespace sw
