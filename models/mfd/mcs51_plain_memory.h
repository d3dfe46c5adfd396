// An Mcs51Io of plain memory: 64 KiB of XDATA and every SFR the core does not implement kept as a
// byte, all zero at reset -- the 8051 as s51 sees a program, for the s51 cross-check
// (tests/oracle) and the 8051 benchmark (bench/bench_mcs51.cpp).
#pragma once

#include "models/mfd/mcs51.h"

#include <array>
#include <vector>

namespace models {

struct Mcs51PlainMemory : Mcs51Io {
    std::vector<uint8_t> xdata = std::vector<uint8_t>(0x10000);
    std::array<uint8_t, 128> sfrs{};  // 0x80-0xff

    uint8_t read_xdata(uint16_t addr) override { return xdata[addr]; }
    void write_xdata(uint16_t addr, uint8_t value) override { xdata[addr] = value; }
    bool read_sfr(uint8_t addr, uint8_t& value) override {
        value = sfrs[addr - 0x80];
        return true;
    }
    bool write_sfr(uint8_t addr, uint8_t value) override {
        sfrs[addr - 0x80] = value;
        return true;
    }
};

}  // namespace models
