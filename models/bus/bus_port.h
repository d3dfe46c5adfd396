// The initiator side of a socket, shared by every model that issues bus transactions: builds the
// payload with its AccessExtension, turns an error response into an AccessFault, and serves as
// the memory-side LineBackend of a last-level cache (where lost device writes become visible).
#pragma once

#include "models/coherence/coherence_observer.h"
#include "models/cpu/line_backend.h"

#include <cstdint>
#include <systemc>
#include <tlm>

namespace models {

class BusPort : public LineBackend, public tlm::tlm_bw_transport_if<> {
public:
    explicit BusPort(tlm::tlm_initiator_socket<>& socket);
    ~BusPort() override { payload_.clear_extension(&extension_); }  // a member, not heap-owned

    void set_observer(CoherenceObserver* observer) { observer_ = observer; }
    // The last-level cache this port serves: its line size and its name for hazard reports.
    void serve_cache(const std::string& cache_name, unsigned line_size) {
        cache_name_ = cache_name;
        line_size_ = line_size;
    }

    // One transaction; throws AccessFault on an error response. `delay_ps` is the caller's
    // local-time offset, advanced by the transaction's latency.
    void transfer(tlm::tlm_command command, uint64_t address, void* data, unsigned length, const Initiator& initiator,
                  MemType type, uint64_t& delay_ps, bool snoop = false);
    // As transfer(), but returns the response instead of throwing (for devices that report errors).
    tlm::tlm_response_status try_transfer(tlm::tlm_command command, uint64_t address, void* data, unsigned length,
                                          const Initiator& initiator, MemType type, uint64_t& delay_ps,
                                          bool snoop = false);

    uint64_t fetch_line(uint64_t line_address, uint8_t* data, const Initiator& who, uint64_t& delay_ps) override;
    uint64_t write_back_line(uint64_t line_address, const uint8_t* data, uint64_t dirty, uint64_t stale,
                             const Initiator& who, uint64_t& delay_ps) override;

    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload&, tlm::tlm_phase&, sc_core::sc_time&) override {
        return tlm::TLM_COMPLETED;
    }
    void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}

private:
    tlm::tlm_initiator_socket<>& socket_;
    tlm::tlm_generic_payload payload_;
    AccessExtension extension_;
    CoherenceObserver* observer_ = nullptr;
    std::string cache_name_;
    unsigned line_size_ = 64;
};

}  // namespace models
