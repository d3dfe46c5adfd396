// The MFD's mailboxes (MFD_H2F*, MFD_F2H* in mfd_regs.h; MBSTAT, MBIDX, MBDATA, MBSEND in
// mfd_fw_regs.h): 16 bytes each way. The host writes its message's words and rings the doorbell;
// the message is then pending until the firmware acknowledges it (MBSTAT.H2F), the firmware seeing
// it from the doorbell's time on. The firmware fills its message a byte at a time and sends it: the
// host's words take it and the message is busy (MBSTAT.F2H_BUSY) until the host acknowledges it.
// Times are when a side's access happened (each side runs on its own local time); the owner turns
// them into interrupts.
#pragma once

#include <array>
#include <cstdint>

namespace models {

class MfdMailbox {
public:
    static constexpr unsigned bytes = 16;

    // Host side.
    void write_h2f_word(unsigned index, uint32_t value);
    uint32_t h2f_word(unsigned index) const { return word(h2f_, index); }
    uint32_t f2h_word(unsigned index) const { return word(f2h_, index); }
    void ring_doorbell(uint64_t time_ps);
    bool h2f_pending() const { return h2f_pending_; }
    // Whether the firmware, at `time_ps`, sees a pending host message.
    bool h2f_visible(uint64_t time_ps) const { return h2f_pending_ && time_ps >= h2f_posted_ps_; }
    uint64_t h2f_posted_ps() const { return h2f_posted_ps_; }
    void acknowledge_f2h() { f2h_busy_ = false; }

    // Firmware side.
    uint8_t index() const { return index_; }
    void set_index(uint8_t index) { index_ = index % bytes; }
    uint8_t read_data();             // the host message's byte at MBIDX; MBIDX advances
    void write_data(uint8_t value);  // the firmware message's byte at MBIDX; MBIDX advances
    void acknowledge_h2f() { h2f_pending_ = false; }
    void send();  // the host's F2H words take the firmware's message
    bool f2h_busy() const { return f2h_busy_; }

private:
    static uint32_t word(const std::array<uint8_t, bytes>& message, unsigned index);

    std::array<uint8_t, bytes> h2f_{}, f2h_{}, f2h_draft_{};
    bool h2f_pending_ = false, f2h_busy_ = false;
    uint64_t h2f_posted_ps_ = 0;
    uint8_t index_ = 0;
};

}  // namespace models
