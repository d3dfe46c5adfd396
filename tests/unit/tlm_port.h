// A TLM initiator bound straight to a model's target socket, for model tests: the core's (or a
// device's) accesses without the core, with an initiator and a local-time offset.
#pragma once

#include "models/common/access_extension.h"

#include <cstdint>
#include <systemc>
#include <tlm>

class Port : public sc_core::sc_module, public tlm::tlm_bw_transport_if<> {
public:
    tlm::tlm_initiator_socket<> out;

    explicit Port(sc_core::sc_module_name name) : sc_module(name), out("out") { out.bind(*this); }

    // At simulated time `at_ps` (a local-time offset, as the core's accesses carry).
    tlm::tlm_response_status access(tlm::tlm_command command, uint64_t address, void* data, unsigned length,
                                    const models::Initiator& who = {}, uint64_t at_ps = 0) {
        models::AccessExtension extension;
        extension.initiator = who;
        tlm::tlm_generic_payload payload;
        payload.set_extension(&extension);
        payload.set_command(command);
        payload.set_address(address);
        payload.set_data_ptr(static_cast<unsigned char*>(data));
        payload.set_data_length(length);
        payload.set_streaming_width(length);
        payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_core::sc_time delay = sc_core::sc_time::from_value(at_ps);
        out->b_transport(payload, delay);
        payload.clear_extension(&extension);
        return payload.get_response_status();
    }
    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload&, tlm::tlm_phase&, sc_core::sc_time&) override {
        return tlm::TLM_COMPLETED;
    }
    void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}
};
