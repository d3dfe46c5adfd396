// dmasim_mcs51_run: runs an Intel HEX image on models::Mcs51 with plain memory behind it
// (models::Mcs51PlainMemory), then prints the state for scripts/mcs51-oracle to compare with s51's:
//
//   dmasim_mcs51_run IMAGE.ihx (--halt | --instructions N) [--limit N]
//
// --halt stops before the first `sjmp .` (0x80 0xfe) reached; --instructions stops after N
// instructions (interrupt entries and idle cycles are not instructions). --limit bounds either run
// (default 10^8 steps; exceeding it is an error). Output, one `key value` a line: halt_pc (with
// --halt), pc, instructions, cycles, iram (256 bytes in hex), sfr (0x80-0xff), xdata (64 KiB) and
// unexecuted (the opcodes never executed, in hex; `-` when none).
#include "models/mfd/mcs51.h"
#include "models/mfd/mcs51_plain_memory.h"
#include "oracle/intel_hex.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string& message) {
    std::cerr << "dmasim_mcs51_run: " << message << "\n";
    std::exit(2);
}

void print_hex(const char* key, const uint8_t* bytes, size_t size) {
    std::printf("%s ", key);
    for (size_t i = 0; i < size; ++i)
        std::printf("%02x", bytes[i]);
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    std::string image;
    bool halt = false;
    uint64_t stop_after = 0, limit = 100000000;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--halt")
            halt = true;
        else if (arg == "--instructions" && i + 1 < argc)
            stop_after = std::strtoull(argv[++i], nullptr, 0);
        else if (arg == "--limit" && i + 1 < argc)
            limit = std::strtoull(argv[++i], nullptr, 0);
        else if (image.empty() && arg[0] != '-')
            image = arg;
        else
            fail("usage: dmasim_mcs51_run IMAGE.ihx (--halt | --instructions N) [--limit N]");
    }
    if (image.empty() || halt == (stop_after != 0))
        fail("usage: dmasim_mcs51_run IMAGE.ihx (--halt | --instructions N) [--limit N]");

    models::Mcs51PlainMemory memory;
    models::Mcs51 cpu(memory);
    try {
        oracle::load_intel_hex(image, cpu);
    } catch (const std::exception& error) {
        fail(error.what());
    }
    std::set<uint8_t> executed;
    for (uint64_t steps = 0;; ++steps) {
        if (halt && cpu.code(cpu.pc()) == 0x80 && cpu.code(uint16_t(cpu.pc() + 1)) == 0xfe)
            break;
        if (!halt && cpu.instructions() == stop_after)
            break;
        if (steps == limit)
            fail(image + ": no halt or instruction count reached within " + std::to_string(limit) + " steps");
        uint64_t before = cpu.instructions();
        uint8_t opcode = cpu.code(cpu.pc());
        cpu.step();
        if (cpu.instructions() != before)
            executed.insert(opcode);
    }

    if (halt)
        std::printf("halt_pc %u\n", cpu.pc());
    std::printf("pc %u\ninstructions %llu\ncycles %llu\n", cpu.pc(), (unsigned long long)cpu.instructions(),
                (unsigned long long)cpu.cycles());
    std::array<uint8_t, 256> iram;
    for (unsigned addr = 0; addr < 256; ++addr)
        iram[addr] = cpu.iram(uint8_t(addr));
    print_hex("iram", iram.data(), iram.size());
    // The core's own SFRs (mcs51.h) over the plain ones.
    std::array<uint8_t, 128> sfrs = memory.sfrs;
    namespace sfr = models::sfr;
    for (uint8_t addr : {sfr::P0, sfr::SP, sfr::DPL, sfr::DPH, sfr::PCON, sfr::TCON, sfr::TMOD, sfr::TL0, sfr::TL1,
                         sfr::TH0, sfr::TH1, sfr::P1, sfr::P2, sfr::IE, sfr::P3, sfr::IP, sfr::PSW, sfr::ACC, sfr::B})
        sfrs[addr - 0x80] = cpu.sfr(addr);
    print_hex("sfr", sfrs.data(), sfrs.size());
    print_hex("xdata", memory.xdata.data(), memory.xdata.size());
    std::printf("unexecuted");
    for (unsigned op = 0; op < 256; ++op)
        if (!executed.count(uint8_t(op)))
            std::printf(" %02x", op);
    std::printf(executed.size() == 256 ? " -\n" : "\n");
    return 0;
}
