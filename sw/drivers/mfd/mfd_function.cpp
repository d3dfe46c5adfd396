#include "sw/drivers/mfd/mfd_function.h"

#include "dma/coherent_memory.h"
#include "dma/device.h"
#include "dma/mapping.h"
#include "dma/reserved_mem.h"
#include "models/cpu/core.h"
#include "sw/drivers/mfd/mfd.h"
#include "sw/drivers/mfd/mfd_core.h"
#include "sw/kernel/kernel.h"

#include <cerrno>
#include <fmt/format.h>

namespace sw {

namespace {

const MfdFunctionKind kinds[] = {
    {"dmasim,mfd-dsp", "mfd-dsp", MFD_FN_GAIN},
    {"dmasim,mfd-usb", "mfd-usb", MFD_FN_CRC16},
};

}  // namespace

const MfdFunctionKind* mfd_function_kind(const std::string& compatible) {
    for (const MfdFunctionKind& kind : kinds)
        if (compatible == kind.compatible)
            return &kind;
    return nullptr;
}

const char* mfd_status_name(uint32_t status) {
    switch (status) {
    case MFD_STATUS_NONE: return "none (the firmware never wrote it)";
    case MFD_STATUS_DONE: return "done";
    case MFD_STATUS_BAD_FUNCTION: return "bad function";
    case MFD_STATUS_BAD_LENGTH: return "bad length";
    case MFD_STATUS_DMA_ERROR: return "DMA error";
    default: return "unknown";
    }
}

MfdFunction::MfdFunction(Mfd& mfd, MfdCellDevice& cell, const MfdFunctionKind& kind)
    : mfd_(mfd), cell_(cell), kind_(kind) {}

const std::string& MfdFunction::name() const { return cell_.info().name; }

dma::Device& MfdFunction::dev() { return cell_.dev(); }

int MfdFunction::fail(int rc, const std::string& message) {
    mfd_.log_as(kind_.driver_name, name(), message);
    error_ = mfd_.messages().back();
    return rc;
}

int MfdFunction::probe() {
    cell_.dma_configure();
    if (cell_.memory())
        return declare_memory(*cell_.memory());
    const std::optional<std::string>& region = mfd_.info().memory_region;
    if (!region) {
        mfd_.log_as(kind_.driver_name, name(),
                    fmt::format("{} has no memory-region: coherent memory comes from system RAM", mfd_.info().name));
        return 0;
    }
    if (int rc = dma::of_reserved_mem_device_init(dev(), *region); rc < 0)
        return fail(rc, fmt::format("cannot use {}'s memory-region {} ({})", mfd_.info().name, *region, rc));
    mfd_.log_as(kind_.driver_name, name(), fmt::format("coherent memory from {}'s pool {}", mfd_.info().name, *region));
    return 0;
}

// As drivers/usb/host/ohci-sm501.c ohci_hcd_sm501_drv_probe declares its slice of SM501's local
// memory: dma_declare_coherent_memory(dev, mem->start, mem->start - mem->parent->start,
// resource_size(mem)). SM501's functions see their local memory from address 0; the MFD's engine and
// address decoder see the SRAM at its bus address (the one HELLO told the firmware), so the handles
// are that address plus the slice's offset in the SRAM.
int MfdFunction::declare_memory(const MfdMemResource& mem) {
    const dma::dma_addr_t device_addr = mfd_.sram_bus() + (mem.start - mem.parent_start);
    if (int rc = dma::declare_coherent_memory(dev(), mem.start, device_addr, mem.size); rc < 0)
        return fail(rc, fmt::format("cannot declare coherent memory [{:#x}, {:#x}) ({})", mem.start,
                                    mem.start + mem.size, rc));
    mfd_.log_as(kind_.driver_name, name(),
                fmt::format("coherent memory declared: {}'s SRAM [{:#x}, {:#x}), bus addresses from {:#x}",
                            mfd_.info().name, mem.start, mem.start + mem.size, device_addr));
    return 0;
}

void MfdFunction::remove() {
    if (cell_.memory())
        dma::release_coherent_memory(dev());  // dma_release_declared_memory, as ohci-sm501's remove
    else
        dma::of_reserved_mem_device_release(dev());
}

int MfdFunction::alloc_block(MfdJobBlock& block) {
    block.cpu = dma::alloc_coherent(dev(), job_block_size, block.bus);
    if (!block.cpu)
        return fail(-ENOMEM, fmt::format("cannot allocate a {}-byte job block (-ENOMEM)", job_block_size));
    return 0;
}

void MfdFunction::free_block(MfdJobBlock& block) {
    if (block.cpu)
        dma::free_coherent(dev(), job_block_size, block.cpu, block.bus);
    block = MfdJobBlock{};
}

void MfdFunction::write_data(const MfdJobBlock& block, const std::vector<uint8_t>& data) {
    mfd_.kernel().cpu().write_block(block.cpu + MFD_JOB_DATA, data.data(), data.size());
}

std::vector<uint8_t> MfdFunction::read_data(const MfdJobBlock& block, uint16_t length) {
    std::vector<uint8_t> data(length);
    mfd_.kernel().cpu().read_block(block.cpu + MFD_JOB_DATA, data.data(), length);
    return data;
}

int MfdFunction::run(const MfdJobBlock& block, const MfdJob& job, MfdJobResult& result) {
    models::Core& cpu = mfd_.kernel().cpu();
    cpu.store16(block.cpu + MFD_JOB_FUNCTION, kind_.function);
    cpu.store16(block.cpu + MFD_JOB_LENGTH, job.length);
    cpu.store32(block.cpu + MFD_JOB_INPUT, job.input);
    cpu.store32(block.cpu + MFD_JOB_OUTPUT, job.output);
    cpu.store8(block.cpu + MFD_JOB_PARAM, job.param);
    cpu.store32(block.cpu + MFD_JOB_STATUS, MFD_STATUS_NONE);
    cpu.store16(block.cpu + MFD_JOB_CHECKSUM, 0);
    Mfd::Message reply{};
    // The doorbell's Device store orders after the header's write-combined stores.
    if (int rc = mfd_.call(Mfd::Message{MFD_MSG_RUN, static_cast<uint32_t>(block.bus), 0, 0}, reply); rc < 0)
        return fail(rc, "RUN: " + mfd_.error());
    result.status = reply[1];
    result.checksum = static_cast<uint16_t>(reply[2]);
    uint32_t in_block = cpu.load32(block.cpu + MFD_JOB_STATUS);
    if (in_block != result.status)
        return fail(-EIO, fmt::format("job block at bus address {:#x}: the firmware replied status {} ({}) but the "
                                      "block says {} ({}): what the firmware wrote did not reach the block",
                                      block.bus, result.status, mfd_status_name(result.status), in_block,
                                      mfd_status_name(in_block)));
    if (result.status != MFD_STATUS_DONE)
        return fail(-EIO, fmt::format("job block at bus address {:#x}: status {} ({})", block.bus, result.status,
                                      mfd_status_name(result.status)));
    return 0;
}

}  // namespace sw
