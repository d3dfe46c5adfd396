// The b_transport bodies register windows share: a window of 32-bit registers (aligned 32-bit
// accesses only, served at the access's time: sc_time_stamp() + delay) and a window of plain bytes
// (a device's buffer or SRAM, any access inside it). Anything else answers TLM_ADDRESS_ERROR_RESPONSE,
// as does a byte-enabled access.
#pragma once

#include <cstdint>
#include <cstring>
#include <systemc>
#include <tlm>

namespace models {

// `read(offset, time_ps)` returns a register's value; `write(offset, value, time_ps)` stores one.
template <typename Read, typename Write>
void transport_registers32(tlm::tlm_generic_payload& payload, const sc_core::sc_time& delay, Read read, Write write) {
    uint64_t offset = payload.get_address();
    if (payload.get_data_length() != 4 || offset % 4 || payload.get_byte_enable_ptr()) {
        payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    uint64_t time_ps = (sc_core::sc_time_stamp() + delay).value();
    uint32_t value = 0;
    if (payload.is_write()) {
        std::memcpy(&value, payload.get_data_ptr(), 4);
        write(static_cast<unsigned>(offset), value, time_ps);
    } else {
        value = read(static_cast<unsigned>(offset), time_ps);
        std::memcpy(payload.get_data_ptr(), &value, 4);
    }
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

// Reads or writes [offset, offset + length) of the `size` bytes at `data`.
inline void transport_bytes(tlm::tlm_generic_payload& payload, uint8_t* data, uint64_t size) {
    uint64_t offset = payload.get_address();
    unsigned length = payload.get_data_length();
    if (offset > size || length > size - offset || payload.get_byte_enable_ptr()) {
        payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    if (payload.is_write())
        std::memcpy(data + offset, payload.get_data_ptr(), length);
    else
        std::memcpy(payload.get_data_ptr(), data + offset, length);
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace models
