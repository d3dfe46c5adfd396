// What the device tree gives the MFD's driver (sw/drivers/mfd/mfd.h) and mfd-core, as Linux's
// platform_get_resource_byname, platform_get_irq and of_property_read give them: the windows'
// physical addresses, the interrupt, the firmware's name and the cells (child nodes); and the
// driver's module parameter from the kernel command line.
#pragma once

#include "dma/device.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sw {

// A function of the MFD: a child node, created as a platform device by mfd-core.
struct MfdCellInfo {
    std::string name;        // the node's name, as dev_name(), e.g. "dsp@0"
    std::string node;        // its path
    std::string compatible;  // e.g. "dmasim,mfd-dsp"
    // What of_dma_configure finds on the cell's own node (its coherence, the dma-ranges above it),
    // applied when the cell probes (Linux's platform_dma_configure).
    dma::DmaConfig dma = {};
};

struct MfdInfo {
    std::string name;  // the MFD node's name, e.g. "mfd@48000000"
    std::string node;
    uint64_t registers = 0, registers_size = 0;  // reg-names "regs"
    uint64_t sram = 0, sram_size = 0;            // "sram"
    uint64_t code = 0, code_size = 0;            // "code"
    std::optional<unsigned> irq;
    uint64_t clock_hz = 0;
    std::string firmware_name;                 // firmware-name, e.g. "dmasim-mfd.ihx"
    std::optional<std::string> memory_region;  // the node's memory-region (a reserved region's name)
    // dmasim_mfd.declare_sram (bootargs): the driver splits the SRAM between the cells, and each
    // cell's driver declares its slice as its coherent pool at probe (sw/drivers/mfd/mfd.h).
    bool declare_sram = false;
    std::vector<MfdCellInfo> cells;
};

}  // namespace sw
