#include "models/bus/router.h"

#include "models/common/access_extension.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace models {

Router::Router(sc_core::sc_module_name name, Instrumentation& instr)
    : sc_module(name), in("in"), out("out"), instr_(instr),
      stat_errors_(instr.counter(std::string(this->name()) + ".address_errors")),
      ev_error_(instr.declare_event("bus.error", "an access decoded to no target (a hole in the address map)")) {
    in.register_b_transport(this, &Router::b_transport);
    in.register_get_direct_mem_ptr(this, &Router::get_direct_mem_ptr);
    in.register_transport_dbg(this, &Router::transport_dbg);
    out.register_invalidate_direct_mem_ptr(this, &Router::invalidate_direct_mem_ptr);
}

void Router::map_target(unsigned port, const std::string& target_name, uint64_t base, uint64_t size,
                        TargetTiming timing, bool observed) {
    AddressRange range{base, size};
    if (!range.valid())
        throw std::invalid_argument(fmt::format("{} [{:#x}, +{:#x}) is empty or runs past 2^64", target_name, base,
                                                size));
    for (const Route& route : routes_) {
        if (range.overlaps(route.range))
            throw std::invalid_argument(fmt::format("{} [{:#x}, {:#x}) overlaps {} [{:#x}, {:#x})", target_name, base,
                                                    range.end(), route.name, route.range.base, route.range.end()));
    }
    std::string prefix = std::string(name()) + "." + target_name;
    uint64_t ps_per_byte_q16 = timing.bytes_per_us ? (1000000ULL << 16) / timing.bytes_per_us : 0;
    routes_.push_back(Route{port, target_name, range, timing, observed, 0, ps_per_byte_q16,
                            &instr_.counter(prefix + ".reads"), &instr_.counter(prefix + ".writes"),
                            &instr_.counter(prefix + ".bytes")});
    std::sort(routes_.begin(), routes_.end(),
              [](const Route& a, const Route& b) { return a.range.base < b.range.base; });
}

const Router::Route* Router::decode(uint64_t address) const {
    auto after = std::upper_bound(routes_.begin(), routes_.end(), address,
                                  [](uint64_t a, const Route& r) { return a < r.range.base; });
    if (after == routes_.begin())
        return nullptr;
    const Route& route = *(after - 1);
    return route.range.contains(address) ? &route : nullptr;
}

// The data phase occupies the target for length / bandwidth; the latency overlaps with other
// transfers. Returns the completion time.
uint64_t Router::occupy(Route& route, uint64_t start_ps, uint64_t length) {
    uint64_t begin = std::max(start_ps, route.busy_until_ps);
    uint64_t transfer = (length * route.ps_per_byte_q16) >> 16;
    route.busy_until_ps = begin + transfer;
    return begin + transfer + route.timing.latency_ps;
}

void Router::b_transport(int, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
    uint64_t address = payload.get_address();
    uint64_t length = payload.get_data_length();
    Route* route = const_cast<Route*>(decode(address));
    if (!route || length > route->range.end() - address) {
        ++stat_errors_;
        payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        if (ev_error_.enabled()) {
            instr_.emit(ev_error_, Event{(sc_core::sc_time_stamp() + delay).value(),
                                         nullptr,
                                         name(),
                                         {{"address", address},
                                          {"length", length},
                                          {"initiator", access_of(payload).initiator.describe()},
                                          {"command", std::string(payload.is_read() ? "read" : "write")}}});
        }
        return;
    }
    uint64_t now = sc_core::sc_time_stamp().value();
    uint64_t done = occupy(*route, now + delay.value(), length);
    delay = sc_core::sc_time::from_value(done - now);
    payload.set_address(address - route->range.base);
    out[route->port]->b_transport(payload, delay);
    payload.set_address(address);
    if (!payload.is_response_ok())
        return;
    ++*(payload.is_read() ? route->reads : route->writes);
    *route->bytes += length;
    if (route->observed)
        for (BusObserver* observer : observers_)
            observer->on_bus_access(payload, address, now + delay.value());
}

bool Router::get_direct_mem_ptr(int, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi) {
    uint64_t address = payload.get_address();
    const Route* route = decode(address);
    if (!route)
        return false;
    payload.set_address(address - route->range.base);
    bool granted = out[route->port]->get_direct_mem_ptr(payload, dmi);
    payload.set_address(address);
    if (granted) {
        dmi.set_start_address(dmi.get_start_address() + route->range.base);
        dmi.set_end_address(std::min<uint64_t>(dmi.get_end_address(), route->range.size - 1) + route->range.base);
        dmi.set_read_latency(sc_core::sc_time::from_value(route->timing.latency_ps));
        dmi.set_write_latency(sc_core::sc_time::from_value(route->timing.latency_ps));
    }
    return granted;
}

unsigned int Router::transport_dbg(int, tlm::tlm_generic_payload& payload) {
    uint64_t address = payload.get_address();
    const Route* route = decode(address);
    if (!route || payload.get_data_length() > route->range.end() - address)
        return 0;
    payload.set_address(address - route->range.base);
    unsigned int done = out[route->port]->transport_dbg(payload);
    payload.set_address(address);
    return done;
}

void Router::invalidate_direct_mem_ptr(int port, sc_dt::uint64 start, sc_dt::uint64 end) {
    for (const Route& route : routes_) {
        if (route.port != static_cast<unsigned>(port))
            continue;
        uint64_t last = std::min<uint64_t>(end, route.range.size - 1);  // "everything" is ~0
        for (unsigned i = 0; i < in.size(); ++i)
            in[i]->invalidate_direct_mem_ptr(start + route.range.base, last + route.range.base);
    }
}

bool Router::backdoor(tlm::tlm_command command, uint64_t address, void* data, uint64_t length) {
    tlm::tlm_generic_payload payload;
    payload.set_command(command);
    payload.set_address(address);
    payload.set_data_ptr(static_cast<unsigned char*>(data));
    payload.set_data_length(static_cast<unsigned>(length));
    return transport_dbg(0, payload) == length;
}

bool Router::backdoor_read(uint64_t address, void* dst, uint64_t length) {
    return backdoor(tlm::TLM_READ_COMMAND, address, dst, length);
}

bool Router::backdoor_write(uint64_t address, const void* src, uint64_t length) {
    return backdoor(tlm::TLM_WRITE_COMMAND, address, const_cast<void*>(src), length);
}

}  // namespace models
