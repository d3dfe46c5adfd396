// Reads an Intel HEX image (SDCC's .ihx: data records 00 up to the end record 01) into the 8051's
// code memory, for the 8051 cross-check's runner and the 8051 benchmark. Throws std::runtime_error
// naming the file and line of a malformed record.
#pragma once

#include "models/mfd/mcs51.h"

#include <cctype>
#include <fstream>
#include <stdexcept>
#include <string>

namespace oracle {

inline void load_intel_hex(const std::string& path, models::Mcs51& cpu) {
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error(path + ": cannot open");
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            continue;
        auto byte = [&](size_t index) {
            size_t at = 1 + 2 * index;
            if (line[0] != ':' || at + 2 > line.size() || !isxdigit(line[at]) || !isxdigit(line[at + 1]))
                throw std::runtime_error(path + ":" + std::to_string(number) +
                                         ": expected an Intel HEX record (:LLAAAATT...)");
            return uint8_t(std::stoul(line.substr(at, 2), nullptr, 16));
        };
        uint8_t count = byte(0), type = byte(3);
        uint16_t addr = uint16_t(byte(1) << 8 | byte(2));
        if (type == 1)
            return;
        if (type != 0)
            continue;
        for (uint8_t i = 0; i < count; ++i)
            cpu.write_code(uint16_t(addr + i), byte(4 + i));
    }
}

}  // namespace oracle
