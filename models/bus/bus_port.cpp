#include "models/bus/bus_port.h"

#include "models/common/access_fault.h"

#include <fmt/format.h>

namespace models {

BusPort::BusPort(tlm::tlm_initiator_socket<>& socket) : socket_(socket) {
    socket_.bind(*this);
    payload_.set_extension(&extension_);
}

tlm::tlm_response_status BusPort::try_transfer(tlm::tlm_command command, uint64_t address, void* data, unsigned length,
                                               const Initiator& initiator, MemType type, uint64_t& delay_ps,
                                               bool snoop) {
    extension_.initiator = initiator;
    extension_.mem_type = type;
    extension_.snoop = snoop;
    payload_.set_command(command);
    payload_.set_address(address);
    payload_.set_data_ptr(static_cast<unsigned char*>(data));
    payload_.set_data_length(length);
    payload_.set_streaming_width(length);
    payload_.set_byte_enable_ptr(nullptr);
    payload_.set_dmi_allowed(false);
    payload_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = sc_core::sc_time::from_value(delay_ps);
    socket_->b_transport(payload_, delay);
    delay_ps = delay.value();
    return payload_.get_response_status();
}

void BusPort::transfer(tlm::tlm_command command, uint64_t address, void* data, unsigned length,
                       const Initiator& initiator, MemType type, uint64_t& delay_ps, bool snoop) {
    tlm::tlm_response_status status = try_transfer(command, address, data, length, initiator, type, delay_ps, snoop);
    if (status != tlm::TLM_OK_RESPONSE) {
        throw AccessFault(AccessFault::Kind::bus_error, address,
                          fmt::format("bus error ({}) on {} of {} bytes at PA {:#x} by {}",
                                      payload_.get_response_string(),
                                      command == tlm::TLM_READ_COMMAND ? "read" : "write", length, address,
                                      initiator.describe()));
    }
}

uint64_t BusPort::fetch_line(uint64_t line_address, uint8_t* data, const Initiator& who, uint64_t& delay_ps) {
    transfer(tlm::TLM_READ_COMMAND, line_address, data, line_size_, who, MemType::normal_wb, delay_ps);
    return 0;  // fresh from memory
}

uint64_t BusPort::write_back_line(uint64_t line_address, const uint8_t* data, uint64_t, uint64_t stale,
                                  const Initiator& who, uint64_t& delay_ps) {
    Initiator writer{InitiatorKind::writeback, who.id, 0};
    if (stale && observer_)
        observer_->on_lost_write(cache_name_, line_address, stale, data, writer, delay_ps);
    transfer(tlm::TLM_WRITE_COMMAND, line_address, const_cast<uint8_t*>(data), line_size_, writer, MemType::normal_wb,
             delay_ps);
    return 0;
}

}  // namespace models
