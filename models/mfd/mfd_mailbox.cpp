#include "models/mfd/mfd_mailbox.h"

namespace models {

uint32_t MfdMailbox::word(const std::array<uint8_t, bytes>& message, unsigned index) {
    uint32_t value = 0;
    for (unsigned byte = 0; byte < 4; ++byte)
        value |= uint32_t(message[4 * index + byte]) << (8 * byte);
    return value;
}

void MfdMailbox::write_h2f_word(unsigned index, uint32_t value) {
    for (unsigned byte = 0; byte < 4; ++byte)
        h2f_[4 * index + byte] = static_cast<uint8_t>(value >> (8 * byte));
}

void MfdMailbox::ring_doorbell(uint64_t time_ps) {
    h2f_pending_ = true;
    h2f_posted_ps_ = time_ps;
}

uint8_t MfdMailbox::read_data() {
    uint8_t value = h2f_[index_];
    index_ = (index_ + 1) % bytes;
    return value;
}

void MfdMailbox::write_data(uint8_t value) {
    f2h_draft_[index_] = value;
    index_ = (index_ + 1) % bytes;
}

void MfdMailbox::send() {
    f2h_ = f2h_draft_;
    f2h_busy_ = true;
}

}  // namespace models
