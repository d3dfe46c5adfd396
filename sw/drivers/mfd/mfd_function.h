// The drivers of the MFD's cells (sw/drivers/mfd/mfd_core.h), one per function the firmware runs
// (sw/firmware/mfd/mfd_protocol.h): "dmasim,mfd-dsp" (mfd-dsp, FN_GAIN) and "dmasim,mfd-usb"
// (mfd-usb, FN_CRC16). Probe configures the cell's DMA from its node (platform_dma_configure) and
// either declares the memory resource the MFD's driver gave the cell (dmasim_mfd.declare_sram, as
// ohci-sm501 declares its slice of SM501's local memory) or reaches the MFD's coherent pool through
// the parent's memory-region, as Linux's cell drivers call of_reserved_mem_device_init_by_idx(dev,
// parent's node, 0). A job: dma_alloc_coherent of a job
// block on the cell's device (from the pool; NULL when it is full -- kernel/dma/coherent.c has no
// fallback to system RAM), its header (and data) written by the CPU, RUN through the MFD's
// mailbox, the reply checked against the status the firmware wrote into the block.
#pragma once

#include "dma/types.h"
#include "sw/firmware/mfd/mfd_protocol.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dma {
class Device;
}

namespace sw {

class Mfd;
class MfdCellDevice;
struct MfdMemResource;

struct MfdFunctionKind {
    const char* compatible;
    const char* driver_name;
    uint8_t function;  // MFD_FN_*
};
// The cell driver that binds to `compatible`, or null.
const MfdFunctionKind* mfd_function_kind(const std::string& compatible);

// A job block: the CPU's address of the coherent allocation and its bus address.
struct MfdJobBlock {
    uint64_t cpu = 0;
    dma::dma_addr_t bus = 0;
};

struct MfdJob {
    uint8_t param = 0;
    uint16_t length = 0;
    uint32_t input = 0;   // bus address the engine fetches the data from; 0: the data is in the block
    uint32_t output = 0;  // bus address the engine writes the result to; 0: it stays in the block
};

struct MfdJobResult {
    uint32_t status = MFD_STATUS_NONE;  // as the firmware replied
    uint16_t checksum = 0;
};

const char* mfd_status_name(uint32_t status);

class MfdFunction {
public:
    static constexpr uint64_t job_block_size = MFD_JOB_PAGES * 4096;

    MfdFunction(Mfd& mfd, MfdCellDevice& cell, const MfdFunctionKind& kind);
    MfdFunction(const MfdFunction&) = delete;
    MfdFunction& operator=(const MfdFunction&) = delete;

    // 0, or the error of dma_declare_coherent_memory for the cell's memory resource, else of
    // of_reserved_mem_device_init for the parent's memory-region. With neither the cell's coherent
    // memory comes from system RAM (logged).
    int probe();
    void remove();

    const MfdFunctionKind& kind() const { return kind_; }
    const std::string& name() const;
    dma::Device& dev();

    // dma_alloc_coherent of a job block on the cell's device: 0, or -ENOMEM (logged).
    int alloc_block(MfdJobBlock& block);
    void free_block(MfdJobBlock& block);
    // The block's data area, through the CPU.
    void write_data(const MfdJobBlock& block, const std::vector<uint8_t>& data);
    std::vector<uint8_t> read_data(const MfdJobBlock& block, uint16_t length);

    // Writes the header, sends RUN and waits for the reply: 0; -EIO when the firmware's status is
    // not DONE, or the block's status is not the one it replied (its writes did not reach the
    // block); the mailbox's errors. `result` holds the reply either way.
    int run(const MfdJobBlock& block, const MfdJob& job, MfdJobResult& result);

    const std::string& error() const { return error_; }

private:
    int fail(int rc, const std::string& message);
    int declare_memory(const MfdMemResource& mem);

    Mfd& mfd_;
    MfdCellDevice& cell_;
    const MfdFunctionKind& kind_;
    std::string error_;
};

}  // namespace sw
