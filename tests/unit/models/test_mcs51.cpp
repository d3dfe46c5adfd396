// Unit tests of models::Mcs51 with small hand-assembled programs on a plain 64 KiB XDATA and no
// derivative SFRs: PSW flags (CY, AC, OV, P) at their edges, DA A, MUL and DIV, register banks,
// the stack, the upper 128 bytes against the SFRs, bit addressing, interrupts (polling order,
// priorities, nesting, RETI and the instruction after an IE/IP write), INT0 edge and level, timer 0
// in its four modes, idle, MOVX and MOVC, and cycle counts (Intel MCS-51 manual).
#include "models/mfd/mcs51.h"

#include <catch2/catch.hpp>

#include <initializer_list>
#include <vector>

using models::Mcs51;
namespace sfr = models::sfr;

namespace {

constexpr uint8_t cy = 0x80, ac = 0x40, rs0 = 0x08, ov = 0x04, p = 0x01;

struct PlainXdata : models::Mcs51Io {
    std::vector<uint8_t> xdata = std::vector<uint8_t>(0x10000);
    uint8_t read_xdata(uint16_t addr) override { return xdata[addr]; }
    void write_xdata(uint16_t addr, uint8_t value) override { xdata[addr] = value; }
    bool read_sfr(uint8_t, uint8_t&) override { return false; }
    bool write_sfr(uint8_t, uint8_t) override { return false; }
};

struct Machine {
    PlainXdata io;
    Mcs51 cpu{io};

    void load(uint16_t addr, std::initializer_list<uint8_t> bytes) {
        for (uint8_t byte : bytes)
            cpu.write_code(addr++, byte);
    }
    // Runs `steps` steps and returns the cycles they took.
    unsigned run(unsigned steps) {
        unsigned cycles = 0;
        for (unsigned i = 0; i < steps; ++i)
            cycles += cpu.step();
        return cycles;
    }
    // The PC after each of `steps` steps.
    std::vector<uint16_t> trace(unsigned steps) {
        std::vector<uint16_t> pcs;
        for (unsigned i = 0; i < steps; ++i) {
            cpu.step();
            pcs.push_back(cpu.pc());
        }
        return pcs;
    }
    uint8_t flags() const { return cpu.psw() & (cy | ac | ov); }
};

// A, then the arithmetic instruction `op` with #operand after CY is set to `carry_in`.
Machine arithmetic(uint8_t op, uint8_t a, uint8_t operand, bool carry_in) {
    Machine m;
    m.load(0, {0x74, a, uint8_t(carry_in ? 0xd3 : 0xc3), op, operand});  // MOV A,#a; SETB/CLR C; op A,#operand
    m.run(3);
    return m;
}

constexpr uint8_t add_imm = 0x24, addc_imm = 0x34, subb_imm = 0x94;

}  // namespace

TEST_CASE("Mcs51 ADD and ADDC set CY, AC and OV at their edges", "[mcs51]") {
    struct Case {
        uint8_t op, a, operand;
        bool carry_in;
        uint8_t result, flags;
    };
    for (const Case& c : {Case{add_imm, 0x7f, 0x01, false, 0x80, ac | ov},   // +127 + 1: signed overflow, nibble carry
                          Case{add_imm, 0xff, 0x01, false, 0x00, cy | ac},   // unsigned carry, no signed overflow
                          Case{add_imm, 0x80, 0x80, false, 0x00, cy | ov},   // -128 + -128
                          Case{add_imm, 0x40, 0x40, false, 0x80, ov},        // overflow without any carry
                          Case{add_imm, 0x0e, 0x01, true, 0x0f, 0},          // ADD ignores CY
                          Case{addc_imm, 0x0f, 0x00, true, 0x10, ac},        // the carry-in alone carries the nibble
                          Case{addc_imm, 0x7f, 0x00, true, 0x80, ac | ov},   // and overflows
                          Case{addc_imm, 0xff, 0xff, true, 0xff, cy | ac}})  // 255 + 255 + 1
    {
        Machine m = arithmetic(c.op, c.a, c.operand, c.carry_in);
        INFO("op " << int(c.op) << " a " << int(c.a) << " operand " << int(c.operand) << " carry " << c.carry_in);
        CHECK(int(m.cpu.acc()) == c.result);
        CHECK(int(m.flags()) == c.flags);
    }
}

TEST_CASE("Mcs51 SUBB borrows into CY and AC and flags signed overflow", "[mcs51]") {
    struct Case {
        uint8_t a, operand;
        bool borrow_in;
        uint8_t result, flags;
    };
    for (const Case& c : {Case{0x80, 0x01, false, 0x7f, ac | ov},  // -128 - 1
                          Case{0x00, 0x01, false, 0xff, cy | ac},  // unsigned borrow
                          Case{0x10, 0x0f, true, 0x00, ac},        // the borrow-in completes the nibble borrow
                          Case{0x7f, 0xff, false, 0x80, cy | ov},  // 127 - (-1)
                          Case{0x05, 0x05, true, 0xff, cy | ac},   // equal operands with a borrow-in
                          Case{0x50, 0x20, false, 0x30, 0}}) {
        Machine m = arithmetic(subb_imm, c.a, c.operand, c.borrow_in);
        INFO("a " << int(c.a) << " operand " << int(c.operand) << " borrow " << c.borrow_in);
        CHECK(int(m.cpu.acc()) == c.result);
        CHECK(int(m.flags()) == c.flags);
    }
}

TEST_CASE("Mcs51 P is the parity of ACC whichever instruction writes it", "[mcs51]") {
    Machine m;
    m.load(0, {
                  0x74, 0x01,        // MOV A,#1
                  0x75, 0xd0, 0x00,  // MOV PSW,#0: P cannot be written
                  0xe5, 0xd0,        // MOV A,PSW: reads P = 1
                  0x75, 0xe0, 0x03,  // MOV ACC,#3 (direct)
                  0x04,              // INC A
              });
    m.run(2);
    CHECK(m.cpu.psw() == p);
    m.run(1);
    CHECK(m.cpu.acc() == 0x01);
    m.run(1);
    CHECK(m.cpu.psw() == 0);
    m.run(1);
    CHECK(m.cpu.psw() == p);
    CHECK(m.cpu.sfr(sfr::PSW) == p);
}

TEST_CASE("Mcs51 DA A adjusts each BCD digit and never clears CY", "[mcs51]") {
    struct Case {
        uint8_t a, operand;
        bool carry_before_da;
        uint8_t result;
        bool carry;
    };
    for (const Case& c : {Case{0x56, 0x67, false, 0x23, true},     // 56 + 67 = 123
                          Case{0x19, 0x28, false, 0x47, false},    // 0x41 with AC: low digit + 6
                          Case{0x99, 0x01, false, 0x00, true},     // 99 + 1 = 100
                          Case{0x12, 0x00, true, 0x72, false}}) {  // CY set before DA: high digit + 6
        Machine m;
        // MOV A,#a; ADD A,#operand; [SETB C]; DA A
        if (c.carry_before_da)
            m.load(0, {0x74, c.a, 0x24, c.operand, 0xd3, 0xd4});
        else
            m.load(0, {0x74, c.a, 0x24, c.operand, 0xd4});
        m.run(c.carry_before_da ? 4 : 3);
        INFO("a " << int(c.a) << " + " << int(c.operand));
        CHECK(int(m.cpu.acc()) == c.result);
        CHECK(bool(m.cpu.psw() & cy) == (c.carry || c.carry_before_da));
    }
}

TEST_CASE("Mcs51 MUL and DIV set OV for a wide product or a zero divisor and clear CY", "[mcs51]") {
    Machine m;
    m.load(0, {
                  0xd3, 0x74, 0x50, 0x75, 0xf0, 0xa0, 0xa4,  // SETB C; MOV A,#0x50; MOV B,#0xa0; MUL AB
                  0xd3, 0x74, 0x03, 0x75, 0xf0, 0x04, 0xa4,  // 3 * 4
                  0xd3, 0x74, 0xfb, 0x75, 0xf0, 0x12, 0x84,  // 251 / 18: DIV AB
                  0xd3, 0x74, 0x05, 0x75, 0xf0, 0x00, 0x84,  // 5 / 0
              });
    m.run(4);
    CHECK(m.cpu.acc() == 0x00);
    CHECK(m.cpu.sfr(sfr::B) == 0x32);
    CHECK(m.flags() == ov);
    m.run(4);
    CHECK(m.cpu.acc() == 12);
    CHECK(m.cpu.sfr(sfr::B) == 0);
    CHECK(m.flags() == 0);
    m.run(4);
    CHECK(m.cpu.acc() == 13);
    CHECK(m.cpu.sfr(sfr::B) == 17);
    CHECK(m.flags() == 0);
    m.run(4);
    CHECK(m.flags() == ov);
    CHECK(m.cpu.acc() == 5);  // left as they were
    CHECK(m.cpu.sfr(sfr::B) == 0);
}

TEST_CASE("Mcs51 RS1 and RS0 select the register bank Rn names", "[mcs51]") {
    Machine m;
    m.load(0, {
                  0x78, 0x11,  // MOV R0,#0x11 (bank 0)
                  0xd2, 0xd3,  // SETB RS0
                  0x78, 0x22,  // bank 1
                  0xd2, 0xd4,  // SETB RS1
                  0x7f, 0x33,  // MOV R7,#0x33 (bank 3)
                  0xc2, 0xd3,  // CLR RS0
                  0x78, 0x44,  // bank 2
              });
    m.run(7);
    CHECK(m.cpu.iram(0x00) == 0x11);
    CHECK(m.cpu.iram(0x08) == 0x22);
    CHECK(m.cpu.iram(0x1f) == 0x33);
    CHECK(m.cpu.iram(0x10) == 0x44);
    CHECK((m.cpu.psw() & 0x18) == 0x10);
}

TEST_CASE("Mcs51 the stack lives in IRAM and SP wraps at 8 bits", "[mcs51]") {
    Machine m;
    m.load(0, {
                  0x74, 0xab,        // MOV A,#0xab
                  0x75, 0x81, 0xfe,  // MOV SP,#0xfe
                  0xc0, 0xe0,        // PUSH ACC -> 0xff
                  0xc0, 0xe0,        // PUSH ACC -> 0x00 (wrapped)
                  0xd0, 0xf0,        // POP B <- 0x00
                  0x75, 0x81, 0x87,  // MOV SP,#0x87
                  0xc0, 0xe0,        // PUSH ACC -> IRAM 0x88, not TCON
              });
    m.run(4);
    CHECK(m.cpu.iram(0xff) == 0xab);
    CHECK(m.cpu.iram(0x00) == 0xab);
    CHECK(m.cpu.sp() == 0x00);
    m.run(1);
    CHECK(m.cpu.sfr(sfr::B) == 0xab);
    CHECK(m.cpu.sp() == 0xff);
    m.run(2);
    CHECK(m.cpu.iram(0x88) == 0xab);
    CHECK(m.cpu.sfr(sfr::TCON) == 0);
}

TEST_CASE("Mcs51 indirect addressing reaches the upper 128 bytes where direct reaches the SFRs", "[mcs51]") {
    Machine m;
    m.load(0, {
                  0x78, 0x90,        // MOV R0,#0x90
                  0x76, 0x55,        // MOV @R0,#0x55 -> IRAM 0x90
                  0x75, 0x90, 0xaa,  // MOV 0x90,#0xaa -> P1
                  0xe6,              // MOV A,@R0
                  0xf5, 0x30,        // MOV 0x30,A
                  0xe5, 0x90,        // MOV A,0x90
                  0xe5, 0xc0,        // MOV A,0xc0: an SFR nobody implements reads 0xff
              });
    m.run(3);
    CHECK(m.cpu.iram(0x90) == 0x55);
    CHECK(m.cpu.sfr(sfr::P1) == 0xaa);
    m.run(2);
    CHECK(m.cpu.iram(0x30) == 0x55);
    m.run(1);
    CHECK(m.cpu.acc() == 0xaa);
    m.run(1);
    CHECK(m.cpu.acc() == 0xff);
    CHECK(m.cpu.sfr(0xc0) == 0xff);
}

TEST_CASE("Mcs51 bit instructions address IRAM 0x20-0x2f and the SFRs at multiples of 8", "[mcs51]") {
    Machine m;
    m.load(0, {
                  0xd2, 0xe7,        // SETB ACC.7
                  0xb2, 0x90,        // CPL P1.0
                  0xc2, 0x97,        // CLR P1.7
                  0xd2, 0x00,        // SETB 0x20.0
                  0xd2, 0x7f,        // SETB 0x2f.7
                  0xa2, 0x7f,        // MOV C,0x2f.7
                  0x92, 0x01,        // MOV 0x20.1,C
                  0xb0, 0x00,        // ANL C,/0x20.0 -> 0
                  0x72, 0xe7,        // ORL C,ACC.7 -> 1
                  0x10, 0x00, 0x01,  // JBC 0x20.0,+1: clears it and jumps
                  0x00,              // skipped
                  0x20, 0x00, 0x01,  // JB 0x20.0,+1: not taken
                  0x00,              // NOP
              });
    m.run(1);
    CHECK(m.cpu.acc() == 0x80);
    m.run(2);
    CHECK(m.cpu.sfr(sfr::P1) == 0x7e);
    m.run(2);
    CHECK(m.cpu.iram(0x20) == 0x01);
    CHECK(m.cpu.iram(0x2f) == 0x80);
    m.run(2);
    CHECK(m.cpu.iram(0x20) == 0x03);
    m.run(1);
    CHECK(!(m.cpu.psw() & cy));
    m.run(1);
    CHECK(m.cpu.psw() & cy);
    m.run(1);
    CHECK(m.cpu.iram(0x20) == 0x02);
    CHECK(m.cpu.pc() == 22);
    m.run(1);
    CHECK(m.cpu.pc() == 25);
}

namespace {

// Vectors to handlers that count in R2 (IE0), R3 (TF0), R4 (IE1) and R5 (TF1), each ending in
// RETI; the program proper starts at 0x100.
void load_vectors(Machine& m) {
    m.load(0x0000, {0x02, 0x01, 0x00});  // LJMP 0x100
    m.load(0x0003, {0x0a, 0x32});        // INC R2; RETI
    m.load(0x000b, {0x0b, 0x32});        // INC R3; RETI
    m.load(0x0013, {0x0c, 0x32});        // INC R4; RETI
    m.load(0x001b, {0x0d, 0x32});        // INC R5; RETI
}

}  // namespace

TEST_CASE("Mcs51 polls IE0 before TF0 and runs one instruction after an IE write and after RETI", "[mcs51]") {
    Machine m;
    load_vectors(m);
    m.load(0x100, {
                      0x75, 0x88, 0x23,  // 0x100 MOV TCON,#(TF0|IE0|IT0)
                      0x75, 0xa8, 0x83,  // 0x103 MOV IE,#(EA|ET0|EX0)
                      0x00,              // 0x106 NOP: runs before any interrupt
                      0x80, 0xfe,        // 0x107 SJMP $
                  });
    CHECK(m.trace(11) == std::vector<uint16_t>{0x100, 0x103, 0x106, 0x107,  // NOP ran after the IE write
                                               0x003, 0x004, 0x107,         // IE0, then RETI
                                               0x107,                       // SJMP: one instruction after RETI
                                               0x00b, 0x00c, 0x107});       // TF0
    CHECK(m.cpu.iram(2) == 1);
    CHECK(m.cpu.iram(3) == 1);
    CHECK(m.cpu.sfr(sfr::TCON) == 0x01);  // the hardware cleared IE0 (edge) and TF0
    CHECK(m.cpu.sp() == 0x07);
}

TEST_CASE("Mcs51 a high-priority interrupt goes first and preempts a low one, not the reverse", "[mcs51]") {
    Machine m;
    load_vectors(m);
    m.load(0x003, {0x0a, 0xd2, 0x8d, 0x0a, 0x32});  // IE0: INC R2; SETB TF0; INC R2; RETI
    m.load(0x100, {
                      0x75, 0xb8, 0x02,  // 0x100 MOV IP,#PT0
                      0x75, 0x88, 0x03,  // 0x103 MOV TCON,#(IE0|IT0)
                      0x75, 0xa8, 0x83,  // 0x106 MOV IE,#(EA|ET0|EX0)
                      0x80, 0xfe,        // 0x109 SJMP $
                  });
    SECTION("TF0 at high priority preempts the IE0 handler") {
        CHECK(m.trace(12) == std::vector<uint16_t>{0x100, 0x103, 0x106, 0x109, 0x109,  // SJMP after the IE write
                                                   0x003, 0x004, 0x006,                // IE0 sets TF0
                                                   0x00b, 0x00c, 0x006,                // TF0 nested
                                                   0x007});                            // IE0 goes on
        CHECK(m.cpu.sp() == 0x09);  // the nested frame returned, IE0's is still on the stack
    }
    SECTION("TF0 at low priority waits for the IE0 handler's RETI and one more instruction") {
        m.cpu.write_code(0x102, 0x00);  // IP = 0
        CHECK(m.trace(12) == std::vector<uint16_t>{0x100, 0x103, 0x106, 0x109, 0x109, 0x003, 0x004, 0x006, 0x007,
                                                   0x109,    // RETI
                                                   0x109,    // SJMP
                                                   0x00b});  // then TF0
    }
    SECTION("a pending high-priority interrupt is polled first even when later in the polling order") {
        m.cpu.write_code(0x105, 0x23);  // TF0 pending too: high, it goes before IE0, polled first but low
        CHECK(m.trace(6)[5] == 0x00b);
    }
}

TEST_CASE("Mcs51 INT0 sets IE0 on an assertion edge or follows the level", "[mcs51]") {
    Machine m;
    load_vectors(m);
    m.load(0x100, {0x75, 0xa8, 0x81, 0x80, 0xfe});  // MOV IE,#(EA|EX0); SJMP $
    SECTION("edge-triggered: one interrupt per assertion, IE0 cleared on vectoring") {
        m.load(0x100, {0xd2, 0x88, 0x75, 0xa8, 0x81, 0x80, 0xfe});  // SETB IT0; MOV IE,...; SJMP $
        m.run(4);
        m.cpu.set_int0(true);
        CHECK(m.cpu.sfr(sfr::TCON) == 0x03);
        m.run(20);
        CHECK(m.cpu.iram(2) == 1);
        CHECK(m.cpu.sfr(sfr::TCON) == 0x01);
        m.cpu.set_int0(true);  // still asserted: no new edge
        m.run(20);
        CHECK(m.cpu.iram(2) == 1);
        m.cpu.set_int0(false);
        m.cpu.set_int0(true);
        m.run(20);
        CHECK(m.cpu.iram(2) == 2);
    }
    SECTION("level-triggered: IE0 is the pin, the handler runs while it stays asserted") {
        m.run(3);
        m.cpu.set_int0(true);
        m.run(1);
        CHECK(m.cpu.pc() == 0x003);
        CHECK(m.cpu.sfr(sfr::TCON) == 0x02);  // not cleared by vectoring
        m.run(4);                             // INC, RETI, SJMP, and again
        CHECK(m.cpu.pc() == 0x003);
        m.cpu.set_int0(false);
        m.run(10);
        CHECK(m.cpu.iram(2) == 2);
        CHECK(m.cpu.sfr(sfr::TCON) == 0x00);
    }
}

TEST_CASE("Mcs51 timer 0 counts machine cycles in modes 0 to 3", "[mcs51]") {
    Machine m;
    auto timer = [&m](uint8_t tmod, uint8_t th0, uint8_t tl0) {
        m.load(0, {0x75, 0x89, tmod, 0x75, 0x8c, th0, 0x75, 0x8a, tl0,  // MOV TMOD, TH0, TL0
                   0xd2, 0x8c,                                          // SETB TR0: counts from the next
                   0x00, 0x00, 0x00, 0x90, 0x00, 0x00});                // NOP x3; MOV DPTR,#0 (2 cycles)
        m.run(4);
    };
    SECTION("mode 1: 16 bits") {
        timer(0x01, 0xff, 0xfd);
        CHECK(m.cpu.sfr(sfr::TL0) == 0xfd);
        m.run(2);
        CHECK(m.cpu.sfr(sfr::TL0) == 0xff);
        CHECK(!(m.cpu.sfr(sfr::TCON) & 0x20));
        m.run(1);
        CHECK(m.cpu.sfr(sfr::TL0) == 0x00);
        CHECK(m.cpu.sfr(sfr::TH0) == 0x00);
        CHECK(m.cpu.sfr(sfr::TCON) == 0x30);  // TF0 | TR0
        m.run(1);
        CHECK(m.cpu.sfr(sfr::TL0) == 0x02);
    }
    SECTION("mode 2: TL0 reloads from TH0") {
        timer(0x02, 0xf0, 0xfe);
        m.run(2);
        CHECK(m.cpu.sfr(sfr::TL0) == 0xf0);
        CHECK(m.cpu.sfr(sfr::TCON) & 0x20);
        m.run(1);
        CHECK(m.cpu.sfr(sfr::TL0) == 0xf1);
        CHECK(m.cpu.sfr(sfr::TH0) == 0xf0);
    }
    SECTION("mode 0: 13 bits, TL0's low 5 under TH0") {
        timer(0x00, 0xff, 0x1e);
        m.run(1);
        CHECK(m.cpu.sfr(sfr::TL0) == 0x1f);
        CHECK(m.cpu.sfr(sfr::TH0) == 0xff);
        m.run(1);
        CHECK(m.cpu.sfr(sfr::TL0) == 0x00);
        CHECK(m.cpu.sfr(sfr::TH0) == 0x00);
        CHECK(m.cpu.sfr(sfr::TCON) & 0x20);
    }
    SECTION("mode 3: TL0 on TR0 and TF0, TH0 on TR1 and TF1") {
        m.load(0, {0x75, 0x89, 0x03, 0x75, 0x8c, 0xfe, 0x75, 0x8a, 0xff,  // TMOD = 3, TH0 = 0xfe, TL0 = 0xff
                   0xd2, 0x8e, 0xd2, 0x8c, 0x00});                        // SETB TR1; SETB TR0; NOP
        m.run(5);
        CHECK(m.cpu.sfr(sfr::TH0) == 0xff);  // counted during SETB TR0
        CHECK(m.cpu.sfr(sfr::TL0) == 0xff);
        m.run(1);
        CHECK(m.cpu.sfr(sfr::TL0) == 0x00);
        CHECK(m.cpu.sfr(sfr::TH0) == 0x00);
        CHECK(m.cpu.sfr(sfr::TCON) == 0xf0);  // TF1 TR1 TF0 TR0
        CHECK(m.cpu.sfr(sfr::TL1) == 0x07);   // timer 1 runs without TR1 (lent): since MOV TMOD
    }
    SECTION("GATE: timer 0 runs only while INT0 is not asserted") {
        m.cpu.set_int0(true);
        timer(0x09, 0x00, 0x00);
        m.run(3);
        CHECK(m.cpu.sfr(sfr::TL0) == 0x00);
        m.cpu.set_int0(false);
        m.run(1);
        CHECK(m.cpu.sfr(sfr::TL0) == 0x02);
    }
}

TEST_CASE("Mcs51 idle stops execution until an enabled interrupt, which clears IDL", "[mcs51]") {
    Machine m;
    load_vectors(m);
    m.load(0x100, {
                      0x75, 0x89, 0x02,  // MOV TMOD,#2 (auto-reload)
                      0x75, 0x8c, 0xf0,  // MOV TH0,#0xf0
                      0x75, 0x8a, 0xf0,  // MOV TL0,#0xf0
                      0x75, 0xa8, 0x82,  // MOV IE,#(EA|ET0)
                      0xd2, 0x8c,        // SETB TR0
                      0x43, 0x87, 0x01,  // ORL PCON,#IDL
                      0x0e,              // INC R6: after the wake-up's RETI
                      0x80, 0xfe,        // SJMP $
                  });
    m.run(7);
    REQUIRE(m.cpu.idle());
    uint64_t executed = m.cpu.instructions();
    uint16_t idle_pc = m.cpu.pc();
    CHECK(m.run(5) == 5);
    CHECK(m.cpu.instructions() == executed);
    CHECK(m.cpu.pc() == idle_pc);
    m.run(20);
    CHECK(!m.cpu.idle());
    CHECK(m.cpu.iram(3) >= 1);
    CHECK(m.cpu.iram(6) == 1);
}

TEST_CASE("Mcs51 MOVX reaches XDATA through DPTR or P2 and Ri, MOVC the code", "[mcs51]") {
    Machine m;
    m.load(0, {
                  0x90, 0x12, 0x34,  // MOV DPTR,#0x1234
                  0x74, 0x5a,        // MOV A,#0x5a
                  0xf0,              // MOVX @DPTR,A
                  0x75, 0xa0, 0x12,  // MOV P2,#0x12
                  0x79, 0x35,        // MOV R1,#0x35
                  0x74, 0x77,        // MOV A,#0x77
                  0xf3,              // MOVX @R1,A -> 0x1235
                  0xe4,              // CLR A
                  0xe0,              // MOVX A,@DPTR
                  0x90, 0x00, 0x40,  // MOV DPTR,#0x40
                  0x74, 0x02,        // MOV A,#2
                  0x93,              // MOVC A,@A+DPTR -> code 0x42
                  0x74, 0x01,        // MOV A,#1
                  0x83,              // MOVC A,@A+PC -> code 0x1a (PC after the MOVC is 0x19)
                  0x00, 0xc3,        // 0x19: NOP, 0xc3 (data)
              });
    m.load(0x40, {0x10, 0x11, 0x12});
    m.run(7);
    CHECK(m.io.xdata[0x1234] == 0x5a);
    CHECK(m.io.xdata[0x1235] == 0x77);
    m.run(2);
    CHECK(m.cpu.acc() == 0x5a);
    m.run(3);
    CHECK(m.cpu.acc() == 0x12);
    m.run(2);
    CHECK(m.cpu.acc() == 0xc3);
}

TEST_CASE("Mcs51 instructions take the manual's machine cycles", "[mcs51]") {
    Machine m;
    m.load(0, {
                  0x00,              // NOP: 1
                  0xa5,              // reserved: a 1-cycle no-operation
                  0x90, 0x00, 0x07,  // MOV DPTR,#7: 2
                  0xa4,              // MUL AB: 4
                  0x84,              // DIV AB: 4
                  0xe0,              // MOVX A,@DPTR: 2
                  0x85, 0x30, 0x31,  // MOV direct,direct: 2
                  0xf5, 0x30,        // MOV direct,A: 1
                  0xb4, 0x01, 0x00,  // CJNE A,#1,+0: 2
                  0x31, 0x20,        // ACALL 0x120: 2
              });
    m.load(0x120, {0x22});  // RET: 2
    std::vector<unsigned> cycles;
    for (int i = 0; i < 11; ++i)
        cycles.push_back(m.cpu.step());
    CHECK(cycles == std::vector<unsigned>{1, 1, 2, 4, 4, 2, 2, 1, 2, 2, 2});
    CHECK(m.cpu.cycles() == 23);
    CHECK(m.cpu.instructions() == 11);
    CHECK(m.cpu.pc() == 0x12);
}

TEST_CASE("Mcs51 AJMP, ACALL and JMP @A+DPTR compute their targets", "[mcs51]") {
    Machine m;
    m.load(0x0700, {0xe1, 0xfe});        // AJMP 0x7fe (bits 10:8 = 111)
    m.load(0x07fe, {0x11, 0x10});        // ACALL at the page's end: the target's page is the next one's
    m.load(0x0810, {0x74, 0x04, 0x73});  // MOV A,#4; JMP @A+DPTR
    m.load(0, {0x02, 0x07, 0x00});
    m.run(3);
    CHECK(m.cpu.pc() == 0x0810);
    CHECK(m.cpu.iram(0x08) == 0x00);  // return address 0x0800, low byte first
    CHECK(m.cpu.iram(0x09) == 0x08);
    m.run(2);
    CHECK(m.cpu.pc() == 0x0004);
}
