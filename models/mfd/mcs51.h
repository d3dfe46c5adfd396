// An MCS-51 (8051) core: the whole instruction set (255 opcodes; 0xA5 is reserved and executes as
// a one-cycle no-operation, as most derivatives do), PSW with CY, AC, F0, RS1:0, OV and P, four
// register banks, 128 bytes of directly addressed internal RAM plus the 128 upper bytes reached only
// indirectly (8052), the core's SFRs (ACC, B, PSW, SP, DPL/DPH, P0-P3, IE, IP, TCON, TMOD, TL0/TH0,
// TL1/TH1, PCON), timer 0 in modes 0-3, external interrupts 0 and 1 (level or edge, TCON.IT0/IT1),
// and two interrupt priority levels (IP) with the standard polling order.
//
// Cycle counts are the Intel MCS-51 manual's machine cycles (1, 2 or 4 per instruction); one
// machine cycle is 12 clocks. The core knows no time: its owner multiplies cycles by the period.
//
// Everything outside the core -- code memory loaded by the host, external data memory (XDATA,
// MOVX) and the SFRs a derivative adds -- is reached through Mcs51Io, so the MFD decides what XDATA
// addresses mean (its SRAM window) and which extra SFRs exist (WINSEL0/1, mailboxes, DMA).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace models {

class Mcs51Io {
public:
    virtual ~Mcs51Io() = default;
    virtual uint8_t read_xdata(uint16_t addr) = 0;
    virtual void write_xdata(uint16_t addr, uint8_t value) = 0;
    // An SFR the core does not implement itself: true and `value` set if the derivative has it,
    // false if not (the core then reads 0xff and ignores the write, as an unimplemented SFR does).
    virtual bool read_sfr(uint8_t addr, uint8_t& value) = 0;
    virtual bool write_sfr(uint8_t addr, uint8_t value) = 0;
};

// The core's own SFR addresses (Intel MCS-51 manual, table "SFR memory map").
namespace sfr {
constexpr uint8_t P0 = 0x80, SP = 0x81, DPL = 0x82, DPH = 0x83, PCON = 0x87, TCON = 0x88, TMOD = 0x89, TL0 = 0x8a,
                  TL1 = 0x8b, TH0 = 0x8c, TH1 = 0x8d, P1 = 0x90, SCON = 0x98, SBUF = 0x99, P2 = 0xa0, IE = 0xa8,
                  P3 = 0xb0, IP = 0xb8, PSW = 0xd0, ACC = 0xe0, B = 0xf0;
}  // namespace sfr

class Mcs51 {
public:
    static constexpr size_t code_size = 0x10000;

    explicit Mcs51(Mcs51Io& io);

    // The reset state (manual, "reset"): PC 0, SP 7, ports 0xff, other SFRs 0; internal RAM kept.
    void reset();
    // Code memory, written by the host's loader while the core is held in reset.
    void write_code(uint16_t addr, uint8_t value) { code_[addr] = value; }
    uint8_t code(uint16_t addr) const { return code_[addr]; }

    // Executes one instruction -- or, when an interrupt is pending and allowed, the hardware LCALL
    // to its vector (2 cycles) -- and returns the machine cycles it took. In idle mode (PCON.IDL)
    // nothing executes and one cycle passes until an enabled interrupt wakes the core.
    unsigned step();

    // External interrupt pins, as levels: true = asserted (the /INTx pin driven low).
    void set_int0(bool asserted);
    void set_int1(bool asserted);

    // State, for the owner's stats and for tests (the s51 cross-check compares these).
    uint16_t pc() const { return pc_; }
    uint8_t acc() const { return sfr_[sfr::ACC - 0x80]; }
    // With P, the parity of ACC, always current.
    uint8_t psw() const;
    uint8_t sp() const { return sfr_[sfr::SP - 0x80]; }
    uint16_t dptr() const;
    // Internal RAM, 0x00-0xff (the upper half is the indirect-only bank).
    uint8_t iram(uint8_t addr) const { return iram_[addr]; }
    // A core SFR's value (0xff for an address the core does not implement).
    uint8_t sfr(uint8_t addr) const;
    bool idle() const;
    uint64_t instructions() const { return instructions_; }
    uint64_t cycles() const { return cycles_; }

private:
    uint8_t fetch() { return code_[pc_++]; }
    // Register Rn of the bank PSW.RS1:0 selects.
    uint8_t& reg(unsigned n) { return iram_[(sfr_[sfr::PSW - 0x80] & 0x18) + n]; }
    uint8_t& acc_ref() { return sfr_[sfr::ACC - 0x80]; }
    uint8_t& psw_ref() { return sfr_[sfr::PSW - 0x80]; }
    bool carry() { return psw_ref() & 0x80; }
    void set_carry(bool cy) { psw_ref() = uint8_t((psw_ref() & 0x7f) | (cy ? 0x80 : 0)); }

    uint8_t read_direct(uint8_t addr) { return addr < 0x80 ? iram_[addr] : read_sfr(addr); }
    void write_direct(uint8_t addr, uint8_t value);
    uint8_t read_sfr(uint8_t addr);
    void write_sfr(uint8_t addr, uint8_t value);
    // A bit address: 0x00-0x7f are the bits of IRAM 0x20-0x2f, 0x80-0xff those of the SFRs at
    // multiples of 8. Writes read the byte first (read-modify-write sees the latch).
    bool read_bit(uint8_t bit);
    void write_bit(uint8_t bit, bool value);
    void push(uint8_t value);
    uint8_t pop();
    void call(uint16_t target);
    void jump_relative(uint8_t offset) { pc_ = uint16_t(pc_ + int8_t(offset)); }

    void add(uint8_t operand, bool carry_in);
    void subb(uint8_t operand);
    void decimal_adjust();
    void execute(uint8_t opcode);

    void count_timers(unsigned cycles);
    void follow_levels();
    // Vectors to the highest-priority pending interrupt the in-service levels allow; false if none.
    bool vector_interrupt();

    Mcs51Io& io_;
    std::array<uint8_t, code_size> code_{};
    std::array<uint8_t, 256> iram_{};
    std::array<uint8_t, 128> sfr_{};  // 0x80-0xff, the core's own; others go to io_
    uint16_t pc_ = 0;
    bool int0_ = false, int1_ = false;  // pin levels, true = asserted
    // The interrupt levels in service (RETI ends the higher): [0] low, [1] high priority.
    std::array<bool, 2> in_service_{};
    // Set by RETI and by writes to IE or IP: the next instruction runs before any interrupt.
    bool hold_interrupts_ = false;
    uint64_t instructions_ = 0;
    uint64_t cycles_ = 0;
};

}  // namespace models
