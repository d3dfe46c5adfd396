// Loads an Intel HEX image (SDCC's .ihx) into the 8051's code memory, for the 8051 cross-check's
// runner and the 8051 benchmark, with the kernel's reader (sw::parse_ihex, the one the MFD's
// driver loads firmware with). Throws sw::FirmwareError naming the file and line of a bad record,
// std::runtime_error for a file it cannot open or data past the code memory.
#pragma once

#include "models/mfd/mcs51.h"
#include "sw/kernel/firmware.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace oracle {

inline void load_intel_hex(const std::string& path, models::Mcs51& cpu) {
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error(path + ": cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    for (const sw::FirmwareRecord& record : sw::parse_ihex(text.str(), path)) {
        if (record.address + record.data.size() > models::Mcs51::code_size)
            throw std::runtime_error(path + ": data past the 8051's 64 KiB of code memory");
        for (size_t i = 0; i < record.data.size(); ++i)
            cpu.write_code(static_cast<uint16_t>(record.address + i), record.data[i]);
    }
}

}  // namespace oracle
