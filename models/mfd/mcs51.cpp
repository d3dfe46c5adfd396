#include "models/mfd/mcs51.h"

#include <utility>

namespace models {

namespace {

// PSW bits.
constexpr uint8_t psw_cy = 0x80, psw_ac = 0x40, psw_ov = 0x04, psw_p = 0x01;
// TCON bits: timer overflow and run flags, external interrupt flags and their edge/level selects.
constexpr uint8_t tcon_tf1 = 0x80, tcon_tr1 = 0x40, tcon_tf0 = 0x20, tcon_tr0 = 0x10, tcon_ie1 = 0x08, tcon_it1 = 0x04,
                  tcon_ie0 = 0x02, tcon_it0 = 0x01;
// TMOD, per timer nibble (timer 1 in the high one): GATE, C/T and the mode.
constexpr uint8_t tmod_gate = 0x08, tmod_counter = 0x04, tmod_mode = 0x03;
constexpr uint8_t ie_ea = 0x80, ie_es = 0x10;
constexpr uint8_t scon_ri_ti = 0x03;
constexpr uint8_t pcon_idl = 0x01;

constexpr size_t at(uint8_t sfr_addr) { return size_t(sfr_addr - 0x80); }

constexpr std::array<bool, 128> core_sfrs = [] {
    std::array<bool, 128> is_core{};
    for (uint8_t addr : {sfr::P0, sfr::SP, sfr::DPL, sfr::DPH, sfr::PCON, sfr::TCON, sfr::TMOD, sfr::TL0, sfr::TL1,
                         sfr::TH0, sfr::TH1, sfr::P1, sfr::P2, sfr::IE, sfr::P3, sfr::IP, sfr::PSW, sfr::ACC, sfr::B})
        is_core[at(addr)] = true;
    return is_core;
}();

// Machine cycles per opcode (Intel MCS-51 instruction set table): 1 unless listed.
constexpr std::array<uint8_t, 256> cycle_table = [] {
    std::array<uint8_t, 256> cycles{};
    for (auto& c : cycles)
        c = 1;
    for (unsigned op = 0x01; op < 0x100; op += 0x10)
        cycles[op] = 2;  // AJMP, ACALL
    for (unsigned op = 0x10; op < 0x100; op += 0x10)
        cycles[op] = 2;  // the column-0 jumps, MOV DPTR, ORL/ANL C,/bit, PUSH, POP, MOVX @DPTR
    for (unsigned op = 0; op < 8; ++op) {
        cycles[0x88 + op] = 2;  // MOV direct,Rn
        cycles[0xa8 + op] = 2;  // MOV Rn,direct
        cycles[0xb8 + op] = 2;  // CJNE Rn,#data,rel
        cycles[0xd8 + op] = 2;  // DJNZ Rn,rel
    }
    for (unsigned op : {0x02, 0x12, 0x22, 0x32, 0x43, 0x53, 0x63, 0x72, 0x73, 0x75, 0x82, 0x83, 0x85, 0x86, 0x87,
                        0x92, 0x93, 0xa3, 0xa6, 0xa7, 0xb4, 0xb5, 0xb6, 0xb7, 0xd5, 0xe2, 0xe3, 0xf2, 0xf3})
        cycles[op] = 2;
    cycles[0x84] = 4;  // DIV AB
    cycles[0xa4] = 4;  // MUL AB
    return cycles;
}();

uint8_t parity(uint8_t value) { return uint8_t(__builtin_parity(value)); }

// Counts a timer's TLx/THx up by `cycles` in `mode` (0: 13 bits, TLx's low 5 under THx; 1: 16
// bits; 2: TLx reloaded from THx; 3: TLx alone, as timer 0 has it in mode 3); true on overflow.
bool count_timer(uint8_t& tl, uint8_t& th, unsigned mode, unsigned cycles) {
    switch (mode) {
    case 0: {
        unsigned value = ((unsigned(th) << 5) | (tl & 0x1f)) + cycles;
        tl = uint8_t((tl & 0xe0) | (value & 0x1f));
        th = uint8_t(value >> 5);
        return value > 0x1fff;
    }
    case 1: {
        unsigned value = ((unsigned(th) << 8) | tl) + cycles;
        tl = uint8_t(value);
        th = uint8_t(value >> 8);
        return value > 0xffff;
    }
    case 2: {
        bool overflow = false;
        for (unsigned i = 0; i < cycles; ++i) {
            if (++tl == 0) {
                tl = th;
                overflow = true;
            }
        }
        return overflow;
    }
    default: {
        unsigned value = tl + cycles;
        tl = uint8_t(value);
        return value > 0xff;
    }
    }
}

}  // namespace

Mcs51::Mcs51(Mcs51Io& io) : io_(io) { reset(); }

void Mcs51::reset() {
    sfr_.fill(0);
    sfr_[at(sfr::SP)] = 0x07;
    for (uint8_t port : {sfr::P0, sfr::P1, sfr::P2, sfr::P3})
        sfr_[at(port)] = 0xff;
    pc_ = 0;
    in_service_ = {};
    hold_interrupts_ = false;
    follow_levels();
}

uint16_t Mcs51::dptr() const { return uint16_t(sfr_[at(sfr::DPH)] << 8 | sfr_[at(sfr::DPL)]); }

uint8_t Mcs51::psw() const { return uint8_t((sfr_[at(sfr::PSW)] & ~psw_p) | parity(sfr_[at(sfr::ACC)])); }

uint8_t Mcs51::sfr(uint8_t addr) const {
    if (addr < 0x80 || !core_sfrs[at(addr)])
        return 0xff;
    return addr == sfr::PSW ? psw() : sfr_[at(addr)];
}

bool Mcs51::idle() const { return sfr_[at(sfr::PCON)] & pcon_idl; }

void Mcs51::set_int0(bool asserted) {
    if (asserted && !int0_ && (sfr_[at(sfr::TCON)] & tcon_it0))
        sfr_[at(sfr::TCON)] |= tcon_ie0;
    int0_ = asserted;
    follow_levels();
}

void Mcs51::set_int1(bool asserted) {
    if (asserted && !int1_ && (sfr_[at(sfr::TCON)] & tcon_it1))
        sfr_[at(sfr::TCON)] |= tcon_ie1;
    int1_ = asserted;
    follow_levels();
}

// A level-triggered request flag is its pin's level, whatever software writes to it.
void Mcs51::follow_levels() {
    uint8_t& tcon = sfr_[at(sfr::TCON)];
    if (!(tcon & tcon_it0))
        tcon = int0_ ? uint8_t(tcon | tcon_ie0) : uint8_t(tcon & ~tcon_ie0);
    if (!(tcon & tcon_it1))
        tcon = int1_ ? uint8_t(tcon | tcon_ie1) : uint8_t(tcon & ~tcon_ie1);
}

uint8_t Mcs51::read_sfr(uint8_t addr) {
    if (core_sfrs[at(addr)])
        return addr == sfr::PSW ? psw() : sfr_[at(addr)];
    uint8_t value = 0xff;
    return io_.read_sfr(addr, value) ? value : 0xff;
}

void Mcs51::write_sfr(uint8_t addr, uint8_t value) {
    if (!core_sfrs[at(addr)]) {
        io_.write_sfr(addr, value);
        return;
    }
    // Manual, "interrupt response": the instruction after a write to IE or IP runs first.
    if (addr == sfr::IE || addr == sfr::IP)
        hold_interrupts_ = true;
    sfr_[at(addr)] = value;
    if (addr == sfr::TCON)
        follow_levels();
}

void Mcs51::write_direct(uint8_t addr, uint8_t value) {
    if (addr < 0x80)
        iram_[addr] = value;
    else
        write_sfr(addr, value);
}

bool Mcs51::read_bit(uint8_t bit) {
    uint8_t addr = bit < 0x80 ? uint8_t(0x20 + (bit >> 3)) : uint8_t(bit & 0xf8);
    return (read_direct(addr) >> (bit & 7)) & 1;
}

void Mcs51::write_bit(uint8_t bit, bool value) {
    uint8_t addr = bit < 0x80 ? uint8_t(0x20 + (bit >> 3)) : uint8_t(bit & 0xf8);
    uint8_t mask = uint8_t(1u << (bit & 7));
    uint8_t byte = read_direct(addr);
    write_direct(addr, value ? uint8_t(byte | mask) : uint8_t(byte & ~mask));
}

void Mcs51::push(uint8_t value) { iram_[++sfr_[at(sfr::SP)]] = value; }

uint8_t Mcs51::pop() { return iram_[sfr_[at(sfr::SP)]--]; }

void Mcs51::call(uint16_t target) {
    push(uint8_t(pc_));
    push(uint8_t(pc_ >> 8));
    pc_ = target;
}

void Mcs51::add(uint8_t operand, bool carry_in) {
    uint8_t& a = acc_ref();
    unsigned sum = a + operand + carry_in;
    uint8_t flags = psw_ref() & uint8_t(~(psw_cy | psw_ac | psw_ov));
    if (sum > 0xff)
        flags |= psw_cy;
    if ((a & 0x0f) + (operand & 0x0f) + carry_in > 0x0f)
        flags |= psw_ac;
    if ((a ^ sum) & (operand ^ sum) & 0x80)
        flags |= psw_ov;
    psw_ref() = flags;
    a = uint8_t(sum);
}

void Mcs51::subb(uint8_t operand) {
    uint8_t& a = acc_ref();
    unsigned borrow_in = carry();
    unsigned difference = a - operand - borrow_in;
    uint8_t flags = psw_ref() & uint8_t(~(psw_cy | psw_ac | psw_ov));
    if (a < operand + borrow_in)
        flags |= psw_cy;
    if ((a & 0x0f) < (operand & 0x0f) + borrow_in)
        flags |= psw_ac;
    if ((a ^ operand) & (a ^ difference) & 0x80)
        flags |= psw_ov;
    psw_ref() = flags;
    a = uint8_t(difference);
}

// Manual, "DA A": each digit above 9 (or with its carry flag) gets 6 added; a carry out sets CY,
// never clears it.
void Mcs51::decimal_adjust() {
    uint8_t& a = acc_ref();
    unsigned value = a;
    bool cy = carry();
    if ((value & 0x0f) > 9 || (psw_ref() & psw_ac)) {
        value += 0x06;
        cy = cy || value > 0xff;
        value &= 0xff;
    }
    if ((value & 0xf0) > 0x90 || cy) {
        value += 0x60;
        cy = cy || value > 0xff;
    }
    a = uint8_t(value);
    set_carry(cy);
}

// The opcode cases for Rn (n = opcode & 7), eight in a row from `base`.
#define MCS51_RN(base) \
    case base:         \
    case base + 1:     \
    case base + 2:     \
    case base + 3:     \
    case base + 4:     \
    case base + 5:     \
    case base + 6:     \
    case base + 7
// The eight AJMP or ACALL opcodes (bits 7:5 are the target's bits 10:8).
#define MCS51_ABSOLUTE(low) \
    case 0x00 | low:        \
    case 0x20 | low:        \
    case 0x40 | low:        \
    case 0x60 | low:        \
    case 0x80 | low:        \
    case 0xa0 | low:        \
    case 0xc0 | low:        \
    case 0xe0 | low

// Executes the instruction whose opcode was just fetched (the cases cover all 256).
void Mcs51::execute(uint8_t op) {
    uint8_t& a = acc_ref();
    switch (op) {
    case 0x00:  // NOP
    case 0xa5:  // reserved: a no-operation
        return;
        MCS51_ABSOLUTE(0x01) : {  // AJMP addr11
            uint8_t low = fetch();
            pc_ = uint16_t((pc_ & 0xf800) | ((op & 0xe0) << 3) | low);
            return;
        }
        MCS51_ABSOLUTE(0x11) : {  // ACALL addr11
            uint8_t low = fetch();
            call(uint16_t((pc_ & 0xf800) | ((op & 0xe0) << 3) | low));
            return;
        }
    case 0x02: {  // LJMP addr16
        uint16_t high = fetch();
        pc_ = uint16_t(high << 8 | fetch());
        return;
    }
    case 0x12: {  // LCALL addr16
        uint16_t high = fetch();
        uint16_t target = uint16_t(high << 8 | fetch());
        call(target);
        return;
    }
    case 0x22: {  // RET
        uint16_t high = pop();
        pc_ = uint16_t(high << 8 | pop());
        return;
    }
    case 0x32: {  // RETI: ends the higher level in service
        uint16_t high = pop();
        pc_ = uint16_t(high << 8 | pop());
        in_service_[in_service_[1] ? 1 : 0] = false;
        hold_interrupts_ = true;
        return;
    }
    case 0x73:  // JMP @A+DPTR
        pc_ = uint16_t(dptr() + a);
        return;
    case 0x80:  // SJMP rel
        jump_relative(fetch());
        return;

    // Conditional jumps.
    case 0x10: {  // JBC bit,rel
        uint8_t bit = fetch();
        uint8_t rel = fetch();
        if (read_bit(bit)) {
            write_bit(bit, false);
            jump_relative(rel);
        }
        return;
    }
    case 0x20: {  // JB bit,rel
        uint8_t bit = fetch();
        uint8_t rel = fetch();
        if (read_bit(bit))
            jump_relative(rel);
        return;
    }
    case 0x30: {  // JNB bit,rel
        uint8_t bit = fetch();
        uint8_t rel = fetch();
        if (!read_bit(bit))
            jump_relative(rel);
        return;
    }
    case 0x40: {  // JC rel
        uint8_t rel = fetch();
        if (carry())
            jump_relative(rel);
        return;
    }
    case 0x50: {  // JNC rel
        uint8_t rel = fetch();
        if (!carry())
            jump_relative(rel);
        return;
    }
    case 0x60: {  // JZ rel
        uint8_t rel = fetch();
        if (a == 0)
            jump_relative(rel);
        return;
    }
    case 0x70: {  // JNZ rel
        uint8_t rel = fetch();
        if (a != 0)
            jump_relative(rel);
        return;
    }
    case 0xb4:  // CJNE A,#data,rel
    case 0xb5:  // CJNE A,direct,rel
    case 0xb6:  // CJNE @Ri,#data,rel
    case 0xb7:
        MCS51_RN(0xb8) : {  // CJNE Rn,#data,rel
            uint8_t left, right;
            if (op == 0xb4 || op == 0xb5) {
                left = a;
                right = op == 0xb4 ? fetch() : read_direct(fetch());
            } else {
                left = op < 0xb8 ? iram_[reg(op & 1)] : reg(op & 7);
                right = fetch();
            }
            uint8_t rel = fetch();
            set_carry(left < right);
            if (left != right)
                jump_relative(rel);
            return;
        }
    case 0xd5: {  // DJNZ direct,rel
        uint8_t addr = fetch();
        uint8_t rel = fetch();
        uint8_t value = uint8_t(read_direct(addr) - 1);
        write_direct(addr, value);
        if (value != 0)
            jump_relative(rel);
        return;
    }
        MCS51_RN(0xd8) : {  // DJNZ Rn,rel
            uint8_t rel = fetch();
            if (--reg(op & 7) != 0)
                jump_relative(rel);
            return;
        }

    // Accumulator rotates and the like.
    case 0x03:  // RR A
        a = uint8_t(a >> 1 | a << 7);
        return;
    case 0x13: {  // RRC A
        bool out = a & 1;
        a = uint8_t(a >> 1 | (carry() ? 0x80 : 0));
        set_carry(out);
        return;
    }
    case 0x23:  // RL A
        a = uint8_t(a << 1 | a >> 7);
        return;
    case 0x33: {  // RLC A
        bool out = a & 0x80;
        a = uint8_t(a << 1 | (carry() ? 1 : 0));
        set_carry(out);
        return;
    }
    case 0xc4:  // SWAP A
        a = uint8_t(a << 4 | a >> 4);
        return;
    case 0xd4:  // DA A
        decimal_adjust();
        return;
    case 0xe4:  // CLR A
        a = 0;
        return;
    case 0xf4:  // CPL A
        a = uint8_t(~a);
        return;
    case 0xa4: {  // MUL AB
        uint8_t& b = sfr_[at(sfr::B)];
        unsigned product = unsigned(a) * b;
        a = uint8_t(product);
        b = uint8_t(product >> 8);
        psw_ref() = uint8_t((psw_ref() & ~(psw_cy | psw_ov)) | (product > 0xff ? psw_ov : 0));
        return;
    }
    case 0x84: {  // DIV AB: by zero sets OV and leaves A and B
        uint8_t& b = sfr_[at(sfr::B)];
        uint8_t flags = psw_ref() & uint8_t(~(psw_cy | psw_ov));
        if (b == 0) {
            flags |= psw_ov;
        } else {
            uint8_t quotient = uint8_t(a / b);
            b = uint8_t(a % b);
            a = quotient;
        }
        psw_ref() = flags;
        return;
    }

    // Increments and decrements (no flags).
    case 0x04:  // INC A
        ++a;
        return;
    case 0x05: {  // INC direct
        uint8_t addr = fetch();
        write_direct(addr, uint8_t(read_direct(addr) + 1));
        return;
    }
    case 0x06:  // INC @Ri
    case 0x07:
        ++iram_[reg(op & 1)];
        return;
        MCS51_RN(0x08)
            :  // INC Rn
              ++reg(op & 7);
        return;
    case 0x14:  // DEC A
        --a;
        return;
    case 0x15: {  // DEC direct
        uint8_t addr = fetch();
        write_direct(addr, uint8_t(read_direct(addr) - 1));
        return;
    }
    case 0x16:  // DEC @Ri
    case 0x17:
        --iram_[reg(op & 1)];
        return;
        MCS51_RN(0x18)
            :  // DEC Rn
              --reg(op & 7);
        return;
    case 0xa3: {  // INC DPTR
        uint16_t value = uint16_t(dptr() + 1);
        sfr_[at(sfr::DPL)] = uint8_t(value);
        sfr_[at(sfr::DPH)] = uint8_t(value >> 8);
        return;
    }

    // Arithmetic: ADD, ADDC, SUBB with #data, direct, @Ri, Rn.
    case 0x24: add(fetch(), false); return;
    case 0x25: add(read_direct(fetch()), false); return;
    case 0x26:
    case 0x27:
        add(iram_[reg(op & 1)], false);
        return;
        MCS51_RN(0x28) : add(reg(op & 7), false);
        return;
    case 0x34: add(fetch(), carry()); return;
    case 0x35: add(read_direct(fetch()), carry()); return;
    case 0x36:
    case 0x37:
        add(iram_[reg(op & 1)], carry());
        return;
        MCS51_RN(0x38) : add(reg(op & 7), carry());
        return;
    case 0x94: subb(fetch()); return;
    case 0x95: subb(read_direct(fetch())); return;
    case 0x96:
    case 0x97:
        subb(iram_[reg(op & 1)]);
        return;
        MCS51_RN(0x98) : subb(reg(op & 7));
        return;

    // Logic: ORL, ANL, XRL to a direct byte (read-modify-write) or to A.
    case 0x42:
    case 0x52:
    case 0x62: {  // ORL/ANL/XRL direct,A
        uint8_t addr = fetch();
        uint8_t value = read_direct(addr);
        write_direct(addr, op == 0x42 ? uint8_t(value | a) : op == 0x52 ? uint8_t(value & a) : uint8_t(value ^ a));
        return;
    }
    case 0x43:
    case 0x53:
    case 0x63: {  // ORL/ANL/XRL direct,#data
        uint8_t addr = fetch();
        uint8_t data = fetch();
        uint8_t value = read_direct(addr);
        write_direct(addr, op == 0x43   ? uint8_t(value | data)
                           : op == 0x53 ? uint8_t(value & data)
                                        : uint8_t(value ^ data));
        return;
    }
    case 0x44: a |= fetch(); return;
    case 0x45: a |= read_direct(fetch()); return;
    case 0x46:
    case 0x47:
        a |= iram_[reg(op & 1)];
        return;
        MCS51_RN(0x48) : a |= reg(op & 7);
        return;
    case 0x54: a &= fetch(); return;
    case 0x55: a &= read_direct(fetch()); return;
    case 0x56:
    case 0x57:
        a &= iram_[reg(op & 1)];
        return;
        MCS51_RN(0x58) : a &= reg(op & 7);
        return;
    case 0x64: a ^= fetch(); return;
    case 0x65: a ^= read_direct(fetch()); return;
    case 0x66:
    case 0x67:
        a ^= iram_[reg(op & 1)];
        return;
        MCS51_RN(0x68) : a ^= reg(op & 7);
        return;

    // Carry and bit operations.
    case 0x72:  // ORL C,bit
        if (read_bit(fetch()))
            set_carry(true);
        return;
    case 0xa0:  // ORL C,/bit
        if (!read_bit(fetch()))
            set_carry(true);
        return;
    case 0x82:  // ANL C,bit
        if (!read_bit(fetch()))
            set_carry(false);
        return;
    case 0xb0:  // ANL C,/bit
        if (read_bit(fetch()))
            set_carry(false);
        return;
    case 0x92:  // MOV bit,C
        write_bit(fetch(), carry());
        return;
    case 0xa2:  // MOV C,bit
        set_carry(read_bit(fetch()));
        return;
    case 0xb2: {  // CPL bit
        uint8_t bit = fetch();
        write_bit(bit, !read_bit(bit));
        return;
    }
    case 0xc2:  // CLR bit
        write_bit(fetch(), false);
        return;
    case 0xd2:  // SETB bit
        write_bit(fetch(), true);
        return;
    case 0xb3:  // CPL C
        set_carry(!carry());
        return;
    case 0xc3:  // CLR C
        set_carry(false);
        return;
    case 0xd3:  // SETB C
        set_carry(true);
        return;

    // Data moves.
    case 0x74:  // MOV A,#data
        a = fetch();
        return;
    case 0x75: {  // MOV direct,#data
        uint8_t addr = fetch();
        write_direct(addr, fetch());
        return;
    }
    case 0x76:  // MOV @Ri,#data
    case 0x77:
        iram_[reg(op & 1)] = fetch();
        return;
        MCS51_RN(0x78)
            :  // MOV Rn,#data
              reg(op & 7) = fetch();
        return;
    case 0x85: {  // MOV direct,direct (source first)
        uint8_t source = fetch();
        uint8_t value = read_direct(source);
        write_direct(fetch(), value);
        return;
    }
    case 0x86:  // MOV direct,@Ri
    case 0x87:
        write_direct(fetch(), iram_[reg(op & 1)]);
        return;
        MCS51_RN(0x88)
            :  // MOV direct,Rn
              write_direct(fetch(), reg(op & 7));
        return;
    case 0x90:  // MOV DPTR,#data16
        sfr_[at(sfr::DPH)] = fetch();
        sfr_[at(sfr::DPL)] = fetch();
        return;
    case 0xa6:  // MOV @Ri,direct
    case 0xa7:
        iram_[reg(op & 1)] = read_direct(fetch());
        return;
        MCS51_RN(0xa8)
            :  // MOV Rn,direct
              reg(op & 7) = read_direct(fetch());
        return;
    case 0xe5:  // MOV A,direct
        a = read_direct(fetch());
        return;
    case 0xe6:  // MOV A,@Ri
    case 0xe7:
        a = iram_[reg(op & 1)];
        return;
        MCS51_RN(0xe8)
            :  // MOV A,Rn
              a = reg(op & 7);
        return;
    case 0xf5:  // MOV direct,A
        write_direct(fetch(), a);
        return;
    case 0xf6:  // MOV @Ri,A
    case 0xf7:
        iram_[reg(op & 1)] = a;
        return;
        MCS51_RN(0xf8)
            :  // MOV Rn,A
              reg(op & 7) = a;
        return;
    case 0xc0:  // PUSH direct
        push(read_direct(fetch()));
        return;
    case 0xd0: {  // POP direct
        uint8_t addr = fetch();
        write_direct(addr, pop());
        return;
    }
    case 0xc5: {  // XCH A,direct
        uint8_t addr = fetch();
        uint8_t value = read_direct(addr);
        write_direct(addr, a);
        a = value;
        return;
    }
    case 0xc6:  // XCH A,@Ri
    case 0xc7:
        std::swap(a, iram_[reg(op & 1)]);
        return;
        MCS51_RN(0xc8)
            :  // XCH A,Rn
              std::swap(a, reg(op & 7));
        return;
    case 0xd6:  // XCHD A,@Ri
    case 0xd7: {
        uint8_t& m = iram_[reg(op & 1)];
        uint8_t low = m & 0x0f;
        m = uint8_t((m & 0xf0) | (a & 0x0f));
        a = uint8_t((a & 0xf0) | low);
        return;
    }
    case 0x83:  // MOVC A,@A+PC (PC of the next instruction)
        a = code_[uint16_t(pc_ + a)];
        return;
    case 0x93:  // MOVC A,@A+DPTR
        a = code_[uint16_t(dptr() + a)];
        return;
    case 0xe0:  // MOVX A,@DPTR
        a = io_.read_xdata(dptr());
        return;
    case 0xe2:  // MOVX A,@Ri: P2 drives the address's high byte
    case 0xe3: a = io_.read_xdata(uint16_t(sfr_[at(sfr::P2)] << 8 | reg(op & 1))); return;
    case 0xf0:  // MOVX @DPTR,A
        io_.write_xdata(dptr(), a);
        return;
    case 0xf2:  // MOVX @Ri,A
    case 0xf3: io_.write_xdata(uint16_t(sfr_[at(sfr::P2)] << 8 | reg(op & 1)), a); return;
    }
    return;  // not reached: the cases cover all 256 opcodes
}

#undef MCS51_RN
#undef MCS51_ABSOLUTE

bool Mcs51::vector_interrupt() {
    uint8_t ie = sfr_[at(sfr::IE)];
    if (!(ie & ie_ea) || in_service_[1])
        return false;
    uint8_t& tcon = sfr_[at(sfr::TCON)];
    // Sources as IE and IP number them, which is also the polling order: IE0, TF0, IE1, TF1, serial.
    uint8_t requests = uint8_t(((tcon & tcon_ie0) ? 0x01 : 0) | ((tcon & tcon_tf0) ? 0x02 : 0) |
                               ((tcon & tcon_ie1) ? 0x04 : 0) | ((tcon & tcon_tf1) ? 0x08 : 0));
    uint8_t scon = 0;
    if ((ie & ie_es) && io_.read_sfr(sfr::SCON, scon) && (scon & scon_ri_ti))
        requests |= ie_es;
    requests &= ie;
    uint8_t high = requests & sfr_[at(sfr::IP)];
    unsigned level = high ? 1 : 0;
    uint8_t candidates = high ? high : requests;
    if (!candidates || (level == 0 && in_service_[0]))
        return false;
    unsigned source = unsigned(__builtin_ctz(candidates));
    // The hardware clears the timer flags and an edge-triggered interrupt's flag; a level-triggered
    // flag follows its pin, the serial flags are the handler's to clear.
    switch (source) {
    case 0:
        if (tcon & tcon_it0)
            tcon &= uint8_t(~tcon_ie0);
        break;
    case 1: tcon &= uint8_t(~tcon_tf0); break;
    case 2:
        if (tcon & tcon_it1)
            tcon &= uint8_t(~tcon_ie1);
        break;
    case 3: tcon &= uint8_t(~tcon_tf1); break;
    default: break;
    }
    in_service_[level] = true;
    sfr_[at(sfr::PCON)] &= uint8_t(~pcon_idl);
    call(uint16_t(0x03 + 8 * source));
    return true;
}

void Mcs51::count_timers(unsigned cycles) {
    uint8_t& tcon = sfr_[at(sfr::TCON)];
    uint8_t tmod = sfr_[at(sfr::TMOD)];
    if (!(tcon & (tcon_tr0 | tcon_tr1)) && (tmod & tmod_mode) != 3)
        return;  // the common case, kept cheap
    unsigned mode0 = tmod & tmod_mode;
    bool run0 = (tcon & tcon_tr0) && !(tmod & tmod_counter) && (!(tmod & tmod_gate) || !int0_);
    if (run0 && count_timer(sfr_[at(sfr::TL0)], sfr_[at(sfr::TH0)], mode0, cycles))
        tcon |= tcon_tf0;
    uint8_t tmod1 = tmod >> 4;
    unsigned mode1 = tmod1 & tmod_mode;
    bool gate1_open = !(tmod1 & tmod_counter) && (!(tmod1 & tmod_gate) || !int1_);
    if (mode0 == 3) {
        // TH0 is an 8-bit timer on TR1 and TF1. Timer 1, having lent them, runs in modes 0-2
        // without an overflow flag; its own mode 3 stops it (manual, "mode 3").
        uint8_t unused = 0;
        if ((tcon & tcon_tr1) && count_timer(sfr_[at(sfr::TH0)], unused, 3, cycles))
            tcon |= tcon_tf1;
        if (mode1 != 3 && gate1_open)
            count_timer(sfr_[at(sfr::TL1)], sfr_[at(sfr::TH1)], mode1, cycles);
        return;
    }
    if ((tcon & tcon_tr1) && mode1 != 3 && gate1_open &&
        count_timer(sfr_[at(sfr::TL1)], sfr_[at(sfr::TH1)], mode1, cycles))
        tcon |= tcon_tf1;
}

unsigned Mcs51::step() {
    unsigned cycles;
    if ((sfr_[at(sfr::IE)] & ie_ea) && !hold_interrupts_ && vector_interrupt()) {
        cycles = 2;  // the hardware LCALL
        count_timers(cycles);
    } else {
        hold_interrupts_ = false;
        if (sfr_[at(sfr::PCON)] & pcon_idl) {
            cycles = 1;
            count_timers(cycles);
        } else {
            uint8_t opcode = fetch();
            cycles = cycle_table[opcode];
            // The timers count through the instruction's cycles before its writes land: a SETB
            // TR0 starts the count after itself, as on the chip, where the write comes at the end.
            count_timers(cycles);
            execute(opcode);
            ++instructions_;
        }
    }
    cycles_ += cycles;
    return cycles;
}

}  // namespace models
