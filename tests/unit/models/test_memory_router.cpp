// Unit tests of models::Memory (sparse RAM with TLM, DMI and back-door access) and models::Router
// (address decoding, holes, latency, bandwidth occupancy, observers, DMI and back-door through it).
// Router test cases elaborate (sc_start(SC_ZERO_TIME)) once each: run them one per process, as
// ctest does.
#include "models/bus/memory.h"
#include "models/bus/router.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

using models::Instrumentation;
using models::Memory;
using models::Router;
using models::TargetTiming;

namespace {

constexpr uint64_t KiB = 1024, GiB = 1024 * 1024 * 1024;

// A payload over `data`, ready for b_transport.
struct Payload {
    tlm::tlm_generic_payload gp;
    Payload(tlm::tlm_command command, uint64_t address, void* data, unsigned length) {
        gp.set_command(command);
        gp.set_address(address);
        gp.set_data_ptr(static_cast<unsigned char*>(data));
        gp.set_data_length(length);
        gp.set_streaming_width(length);
        gp.set_byte_enable_ptr(nullptr);
        gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    }
};

tlm::tlm_response_status transport(tlm::tlm_fw_transport_if<>& target, tlm::tlm_command command, uint64_t address,
                                   void* data, unsigned length) {
    Payload payload(command, address, data, length);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    target.b_transport(payload.gp, delay);
    return payload.gp.get_response_status();
}

// The initiator end of a socket bound to the router under test.
class TestInitiator : public sc_core::sc_module, public tlm::tlm_bw_transport_if<> {
public:
    tlm::tlm_initiator_socket<> out;

    explicit TestInitiator(sc_core::sc_module_name name) : sc_module(name), out("out") { out.bind(*this); }

    // One access at local-time offset `delay` (advanced by the access); returns the response.
    tlm::tlm_response_status access(tlm::tlm_command command, uint64_t address, void* data, unsigned length,
                                    sc_core::sc_time& delay) {
        Payload payload(command, address, data, length);
        out->b_transport(payload.gp, delay);
        last_address = payload.gp.get_address();
        return payload.gp.get_response_status();
    }
    tlm::tlm_response_status write(uint64_t address, const void* data, unsigned length, sc_core::sc_time& delay) {
        return access(tlm::TLM_WRITE_COMMAND, address, const_cast<void*>(data), length, delay);
    }
    tlm::tlm_response_status read(uint64_t address, void* data, unsigned length, sc_core::sc_time& delay) {
        return access(tlm::TLM_READ_COMMAND, address, data, length, delay);
    }
    tlm::tlm_response_status write(uint64_t address, const void* data, unsigned length) {
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        return write(address, data, length, delay);
    }
    tlm::tlm_response_status read(uint64_t address, void* data, unsigned length) {
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        return read(address, data, length, delay);
    }

    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload&, tlm::tlm_phase&, sc_core::sc_time&) override {
        return tlm::TLM_COMPLETED;
    }
    void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}

    uint64_t last_address = 0;
};

class RecordingObserver : public models::BusObserver {
public:
    struct Access {
        uint64_t address;
        bool write;
        unsigned length;
        uint64_t time_ps;
    };
    void on_bus_access(const tlm::tlm_generic_payload& payload, uint64_t address, uint64_t time_ps) override {
        accesses.push_back({address, payload.is_write(), payload.get_data_length(), time_ps});
    }
    std::vector<Access> accesses;
};

constexpr uint64_t ram_base = 0x80000000, ram_size = 64 * KiB;
constexpr uint64_t sram_base = 0x10000000, sram_size = 16 * KiB;
constexpr uint64_t ram_latency_ps = 100000;  // 100 ns
constexpr uint64_t ram_bytes_per_us = 4096;  // 4 KiB per microsecond
constexpr uint64_t sram_latency_ps = 10000;  // 10 ns, unlimited bandwidth

// A router with RAM (observed, bandwidth-limited) and SRAM (not observed) behind it, elaborated.
struct Bus {
    Instrumentation instr;
    Memory ram{"ram", ram_size, instr};
    Memory sram{"sram", sram_size, instr};
    Router bus{"bus", instr};
    TestInitiator cpu{"cpu"};
    RecordingObserver observer;

    Bus() {
        cpu.out.bind(bus.in);
        bus.out.bind(ram.in);
        bus.out.bind(sram.in);
        bus.map_target(1, "sram", sram_base, sram_size, TargetTiming{sram_latency_ps, 0}, false);
        bus.map_target(0, "ram", ram_base, ram_size, TargetTiming{ram_latency_ps, ram_bytes_per_us}, true);
        bus.add_observer(&observer);
        sc_core::sc_start(sc_core::SC_ZERO_TIME);  // completes the multi-socket bindings
    }
    uint64_t stat(const std::string& path) const { return instr.counter_value(path); }
};

}  // namespace

// --- Memory ---

TEST_CASE("memory is sparse: reads allocate nothing and a write allocates its one page", "[memory]") {
    Instrumentation instr;
    Memory mem("mem", 4 * GiB, instr);
    CHECK(mem.size() == 4 * GiB);
    uint64_t value = 0xffffffffffffffff;
    CHECK(transport(mem, tlm::TLM_READ_COMMAND, 0, &value, 8) == tlm::TLM_OK_RESPONSE);
    CHECK(value == 0);  // never written: zeros
    value = 1;
    CHECK(transport(mem, tlm::TLM_READ_COMMAND, 3 * GiB, &value, 8) == tlm::TLM_OK_RESPONSE);
    CHECK(value == 0);
    uint8_t buffer[64];
    mem.backdoor_read(2 * GiB, buffer, sizeof buffer);
    CHECK(mem.pages_allocated() == 0);

    value = 0x0123456789abcdef;
    CHECK(transport(mem, tlm::TLM_WRITE_COMMAND, 3 * GiB + 100, &value, 8) == tlm::TLM_OK_RESPONSE);
    CHECK(mem.pages_allocated() == 1);
    CHECK(instr.counter_value("mem.pages_touched") == 1);
    CHECK(transport(mem, tlm::TLM_WRITE_COMMAND, 3 * GiB + 4000, &value, 8) == tlm::TLM_OK_RESPONSE);
    CHECK(mem.pages_allocated() == 1);  // same page

    CHECK(transport(mem, tlm::TLM_WRITE_COMMAND, 4094, &value, 4) == tlm::TLM_OK_RESPONSE);
    CHECK(mem.pages_allocated() == 3);  // straddles pages 0 and 1
    CHECK(instr.counter_value("mem.pages_touched") == 3);
}

TEST_CASE("memory returns through b_transport what was written through it", "[memory]") {
    Instrumentation instr;
    Memory mem("mem", 1 * GiB, instr);
    uint8_t out[16], in[16] = {};
    for (unsigned i = 0; i < sizeof out; ++i)
        out[i] = static_cast<uint8_t>(0xa0 + i);
    CHECK(transport(mem, tlm::TLM_WRITE_COMMAND, 0x12340, out, sizeof out) == tlm::TLM_OK_RESPONSE);
    CHECK(transport(mem, tlm::TLM_READ_COMMAND, 0x12340, in, sizeof in) == tlm::TLM_OK_RESPONSE);
    CHECK(std::memcmp(in, out, sizeof out) == 0);

    uint32_t word = 0;
    CHECK(transport(mem, tlm::TLM_READ_COMMAND, 0x12344, &word, 4) == tlm::TLM_OK_RESPONSE);
    CHECK(word == 0xa7a6a5a4);

    // transport_dbg reads the same bytes and reports how many.
    uint8_t debug[4] = {};
    Payload payload(tlm::TLM_READ_COMMAND, 0x12348, debug, 4);
    CHECK(mem.transport_dbg(payload.gp) == 4);
    CHECK(debug[0] == 0xa8);
    CHECK(debug[3] == 0xab);
}

TEST_CASE("memory answers an access beyond its end with an address error", "[memory]") {
    Instrumentation instr;
    Memory mem("mem", 64 * KiB, instr);
    uint64_t value = 7;
    CHECK(transport(mem, tlm::TLM_READ_COMMAND, 64 * KiB, &value, 4) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(transport(mem, tlm::TLM_WRITE_COMMAND, 64 * KiB - 4, &value, 8) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(transport(mem, tlm::TLM_WRITE_COMMAND, ~0ULL - 2, &value, 8) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(mem.pages_allocated() == 0);
    CHECK(transport(mem, tlm::TLM_WRITE_COMMAND, 64 * KiB - 8, &value, 8) == tlm::TLM_OK_RESPONSE);

    Payload payload(tlm::TLM_READ_COMMAND, 64 * KiB, &value, 4);
    CHECK(mem.transport_dbg(payload.gp) == 0);

    // Byte enables are not supported, and say so.
    unsigned char enables[4] = {0xff, 0, 0xff, 0};
    Payload masked(tlm::TLM_WRITE_COMMAND, 0, &value, 4);
    masked.gp.set_byte_enable_ptr(enables);
    masked.gp.set_byte_enable_length(4);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    mem.b_transport(masked.gp, delay);
    CHECK(masked.gp.get_response_status() == tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
}

TEST_CASE("memory grants DMI per page with a pointer aliasing its data", "[memory]") {
    Instrumentation instr;
    Memory mem("mem", 64 * KiB, instr);
    uint64_t ignored = 0;
    Payload payload(tlm::TLM_READ_COMMAND, 0x5123, &ignored, 8);
    tlm::tlm_dmi dmi;
    REQUIRE(mem.get_direct_mem_ptr(payload.gp, dmi));
    CHECK(dmi.get_start_address() == 0x5000);
    CHECK(dmi.get_end_address() == 0x5fff);
    CHECK(dmi.is_read_write_allowed());
    REQUIRE(dmi.get_dmi_ptr() != nullptr);

    dmi.get_dmi_ptr()[0x123] = 0x5a;
    dmi.get_dmi_ptr()[0xfff] = 0xa5;
    uint8_t seen[2] = {};
    mem.backdoor_read(0x5123, &seen[0], 1);
    mem.backdoor_read(0x5fff, &seen[1], 1);
    CHECK(seen[0] == 0x5a);
    CHECK(seen[1] == 0xa5);

    uint32_t value = 0xcafef00d;
    mem.backdoor_write(0x5200, &value, 4);
    uint32_t through_dmi;
    std::memcpy(&through_dmi, dmi.get_dmi_ptr() + 0x200, 4);
    CHECK(through_dmi == 0xcafef00d);

    Payload outside(tlm::TLM_READ_COMMAND, 64 * KiB, &ignored, 8);
    tlm::tlm_dmi refused;
    CHECK_FALSE(mem.get_direct_mem_ptr(outside.gp, refused));
}

TEST_CASE("DMI of a memory's last partial page ends at the memory's end", "[memory]") {
    Instrumentation instr;
    Memory mem("mem", 0x1800, instr);
    uint64_t ignored = 0;
    Payload payload(tlm::TLM_READ_COMMAND, 0x1200, &ignored, 8);
    tlm::tlm_dmi dmi;
    REQUIRE(mem.get_direct_mem_ptr(payload.gp, dmi));
    CHECK(dmi.get_start_address() == 0x1000);
    CHECK(dmi.get_end_address() == 0x17ff);
}

TEST_CASE("memory back-door access crosses page boundaries", "[memory]") {
    Instrumentation instr;
    Memory mem("mem", 1 * GiB, instr);
    std::vector<uint8_t> out(2 * Memory::page_size + 100), in(out.size());
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<uint8_t>(i * 13 + 1);
    mem.backdoor_write(Memory::page_size - 50, out.data(), out.size());
    CHECK(mem.pages_allocated() == 4);  // 50 bytes in page 0, pages 1 and 2 whole, 50 in page 3
    mem.backdoor_read(Memory::page_size - 50, in.data(), in.size());
    CHECK(in == out);

    // The written range ends 50 bytes into page 3; a read across its end sees zeros after it,
    // and a read into page 4, never written, allocates nothing.
    uint8_t span[100];
    std::memset(span, 0xee, sizeof span);
    mem.backdoor_read(3 * Memory::page_size, span, sizeof span);
    CHECK(span[0] == out[out.size() - 50]);
    CHECK(span[49] == out[out.size() - 1]);
    CHECK(span[50] == 0);
    CHECK(span[99] == 0);
    std::memset(span, 0xee, sizeof span);
    mem.backdoor_read(4 * Memory::page_size - 50, span, sizeof span);
    CHECK(std::all_of(span, span + sizeof span, [](uint8_t byte) { return byte == 0; }));
    CHECK(mem.pages_allocated() == 4);

    uint64_t word = 0;
    CHECK(transport(mem, tlm::TLM_READ_COMMAND, 2 * Memory::page_size - 4, &word, 8) == tlm::TLM_OK_RESPONSE);
    uint64_t expected;
    std::memcpy(&expected, &out[Memory::page_size + 50 - 4], 8);
    CHECK(word == expected);
}

// --- Router ---

TEST_CASE("router decodes to the right target with target-local addresses", "[router]") {
    Bus b;
    REQUIRE(b.bus.decode(ram_base) != nullptr);
    CHECK(b.bus.decode(ram_base)->name == "ram");
    CHECK(b.bus.decode(ram_base + ram_size - 1)->name == "ram");
    CHECK(b.bus.decode(ram_base + ram_size) == nullptr);
    CHECK(b.bus.decode(ram_base - 1) == nullptr);
    CHECK(b.bus.decode(sram_base + 5)->name == "sram");
    CHECK(b.bus.decode(sram_base)->range == models::AddressRange{sram_base, sram_size});
    CHECK(b.bus.decode(0) == nullptr);
    REQUIRE(b.bus.routes().size() == 2);
    CHECK(b.bus.routes()[0].name == "sram");  // sorted by base

    uint32_t value = 0x11223344;
    CHECK(b.cpu.write(ram_base + 0x10, &value, 4) == tlm::TLM_OK_RESPONSE);
    CHECK(b.cpu.last_address == ram_base + 0x10);  // the payload's address is restored
    uint32_t seen = 0;
    b.ram.backdoor_read(0x10, &seen, 4);
    CHECK(seen == 0x11223344);
    CHECK(b.sram.pages_allocated() == 0);

    value = 0x55667788;
    CHECK(b.cpu.write(sram_base + 0x3ffc, &value, 4) == tlm::TLM_OK_RESPONSE);
    b.sram.backdoor_read(0x3ffc, &seen, 4);
    CHECK(seen == 0x55667788);
    CHECK(b.ram.pages_allocated() == 1);

    uint32_t back = 0;
    CHECK(b.cpu.read(ram_base + 0x10, &back, 4) == tlm::TLM_OK_RESPONSE);
    CHECK(back == 0x11223344);

    CHECK(b.stat("bus.ram.writes") == 1);
    CHECK(b.stat("bus.ram.reads") == 1);
    CHECK(b.stat("bus.ram.bytes") == 8);
    CHECK(b.stat("bus.sram.writes") == 1);
    CHECK(b.stat("bus.address_errors") == 0);
}

TEST_CASE("router answers a hole or an access running past a target with an address error", "[router]") {
    Bus b;
    uint64_t value = 42;
    CHECK(b.cpu.read(0x20000000, &value, 8) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(b.stat("bus.address_errors") == 1);
    CHECK(b.cpu.write(ram_base + ram_size - 4, &value, 8) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(b.stat("bus.address_errors") == 2);
    CHECK(b.ram.pages_allocated() == 0);
    CHECK(b.cpu.write(ram_base - 8, &value, 8) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(b.stat("bus.address_errors") == 3);
    CHECK(b.stat("bus.ram.writes") == 0);
    CHECK(b.observer.accesses.empty());
}

TEST_CASE("router adds the target's latency to an access", "[router]") {
    Bus b;
    uint32_t value = 1;
    sc_core::sc_time delay = sc_core::sc_time(5, sc_core::SC_NS);
    CHECK(b.cpu.write(sram_base, &value, 4, delay) == tlm::TLM_OK_RESPONSE);
    CHECK(delay == sc_core::sc_time(15, sc_core::SC_NS));  // unlimited bandwidth: latency only

    delay = sc_core::SC_ZERO_TIME;
    CHECK(b.cpu.read(ram_base, &value, 4, delay) == tlm::TLM_OK_RESPONSE);
    CHECK(delay >= sc_core::sc_time(100, sc_core::SC_NS));
    CHECK(delay <= sc_core::sc_time(102, sc_core::SC_NS));  // 4 bytes at 4 GB/s: about 1 ns more
}

TEST_CASE("router bandwidth makes back-to-back accesses to one target queue", "[router]") {
    Bus b;
    std::vector<uint8_t> block(4 * KiB, 0x3c);
    const sc_core::sc_time transfer = sc_core::sc_time(1, sc_core::SC_US);  // 4 KiB at 4096 bytes/us

    sc_core::sc_time first = sc_core::SC_ZERO_TIME, second = sc_core::SC_ZERO_TIME;
    CHECK(b.cpu.write(ram_base, block.data(), 4 * KiB, first) == tlm::TLM_OK_RESPONSE);
    CHECK(b.cpu.write(ram_base + 4 * KiB, block.data(), 4 * KiB, second) == tlm::TLM_OK_RESPONSE);
    CHECK(first >= transfer + sc_core::sc_time(100, sc_core::SC_NS));
    CHECK(second >= first + transfer);

    // Another target is not held up by the RAM's queue.
    sc_core::sc_time other = sc_core::SC_ZERO_TIME;
    CHECK(b.cpu.write(sram_base, block.data(), 4 * KiB, other) == tlm::TLM_OK_RESPONSE);
    CHECK(other == sc_core::sc_time(10, sc_core::SC_NS));

    // An access that starts after the target is free again is not delayed by earlier ones.
    sc_core::sc_time later = second + sc_core::sc_time(1, sc_core::SC_US);
    sc_core::sc_time start = later;
    uint32_t word = 0;
    CHECK(b.cpu.read(ram_base, &word, 4, later) == tlm::TLM_OK_RESPONSE);
    CHECK(later - start < sc_core::sc_time(102, sc_core::SC_NS));
    CHECK(word == 0x3c3c3c3c);
}

TEST_CASE("router observers see completed accesses to observed targets by system address", "[router]") {
    Bus b;
    uint64_t value = 9;
    sc_core::sc_time delay = sc_core::sc_time(1, sc_core::SC_US);
    CHECK(b.cpu.write(ram_base + 0x100, &value, 8, delay) == tlm::TLM_OK_RESPONSE);
    CHECK(b.cpu.write(sram_base + 0x100, &value, 8) == tlm::TLM_OK_RESPONSE);  // not observed
    CHECK(b.cpu.read(0x30000000, &value, 8) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    REQUIRE(b.observer.accesses.size() == 1);
    CHECK(b.observer.accesses[0].address == ram_base + 0x100);
    CHECK(b.observer.accesses[0].write);
    CHECK(b.observer.accesses[0].length == 8);
    CHECK(b.observer.accesses[0].time_ps == delay.value());
}

TEST_CASE("router back-door access uses system addresses", "[router]") {
    Bus b;
    uint8_t out[32];
    for (unsigned i = 0; i < sizeof out; ++i)
        out[i] = static_cast<uint8_t>(i + 1);
    CHECK(b.bus.backdoor_write(sram_base + 0xff0, out, sizeof out));
    uint8_t in[32] = {};
    b.sram.backdoor_read(0xff0, in, sizeof in);
    CHECK(std::memcmp(in, out, sizeof out) == 0);

    uint64_t word = 0x8877665544332211;
    b.ram.backdoor_write(0x1ffc, &word, 8);  // across a page boundary
    uint64_t seen = 0;
    CHECK(b.bus.backdoor_read(ram_base + 0x1ffc, &seen, 8));
    CHECK(seen == word);

    CHECK_FALSE(b.bus.backdoor_read(0x20000000, &seen, 8));
    CHECK_FALSE(b.bus.backdoor_write(0x20000000, &word, 8));
    // No timing, no observers, no counters.
    CHECK(b.observer.accesses.empty());
    CHECK(b.stat("bus.ram.reads") == 0);
    CHECK(b.stat("bus.address_errors") == 0);
}

TEST_CASE("router DMI carries system addresses and the target's latency", "[router]") {
    Bus b;
    uint64_t ignored = 0;
    Payload payload(tlm::TLM_READ_COMMAND, ram_base + 0x1234, &ignored, 8);
    tlm::tlm_dmi dmi;
    REQUIRE(b.cpu.out->get_direct_mem_ptr(payload.gp, dmi));
    CHECK(payload.gp.get_address() == ram_base + 0x1234);
    CHECK(dmi.get_start_address() == ram_base + 0x1000);
    CHECK(dmi.get_end_address() == ram_base + 0x1fff);
    CHECK(dmi.get_read_latency() == sc_core::sc_time(100, sc_core::SC_NS));
    CHECK(dmi.get_write_latency() == sc_core::sc_time(100, sc_core::SC_NS));
    REQUIRE(dmi.get_dmi_ptr() != nullptr);

    // The pointer is the RAM's storage for that page.
    dmi.get_dmi_ptr()[0x234] = 0x77;
    uint8_t seen = 0;
    b.ram.backdoor_read(0x1234, &seen, 1);
    CHECK(seen == 0x77);

    Payload hole(tlm::TLM_READ_COMMAND, 0x20000000, &ignored, 8);
    tlm::tlm_dmi refused;
    CHECK_FALSE(b.cpu.out->get_direct_mem_ptr(hole.gp, refused));
}

TEST_CASE("router refuses overlapping targets", "[router]") {
    Instrumentation instr;
    Router bus("bus", instr);
    bus.map_target(0, "ram", 0x80000000, 0x10000, TargetTiming{}, true);
    CHECK_THROWS_AS(bus.map_target(1, "x", 0x8000f000, 0x2000, TargetTiming{}, false), std::invalid_argument);
    CHECK_THROWS_AS(bus.map_target(1, "y", 0x7fff0000, 0x20000, TargetTiming{}, false), std::invalid_argument);
    CHECK_THROWS_AS(bus.map_target(1, "z", 0x80000000, 0x10000, TargetTiming{}, false), std::invalid_argument);
    try {
        bus.map_target(1, "x", 0x8000f000, 0x2000, TargetTiming{}, false);
    } catch (const std::invalid_argument& error) {
        std::string message = error.what();
        CHECK(message.find("x") != std::string::npos);
        CHECK(message.find("overlaps ram") != std::string::npos);
    }
    // Adjacent targets are fine.
    CHECK_NOTHROW(bus.map_target(1, "below", 0x7fff0000, 0x10000, TargetTiming{}, false));
    CHECK_NOTHROW(bus.map_target(2, "above", 0x80010000, 0x10000, TargetTiming{}, false));
    CHECK(bus.routes().size() == 3);
}

TEST_CASE("router maps a target that ends at 2^64 and refuses an empty one", "[router]") {
    Instrumentation instr;
    Router bus("bus", instr);
    constexpr uint64_t top_base = ~0ULL - 0xffff;
    bus.map_target(0, "top", top_base, 0x10000, TargetTiming{}, false);
    REQUIRE(bus.decode(~0ULL) != nullptr);
    CHECK(bus.decode(~0ULL)->name == "top");
    CHECK(bus.decode(top_base - 1) == nullptr);
    CHECK(bus.decode(0) == nullptr);
    CHECK_THROWS_AS(bus.map_target(1, "x", ~0ULL - 0xff, 0x10, TargetTiming{}, false), std::invalid_argument);
    CHECK_THROWS_AS(bus.map_target(1, "empty", 0x1000, 0, TargetTiming{}, false), std::invalid_argument);
    CHECK_NOTHROW(bus.map_target(1, "below", top_base - 0x10000, 0x10000, TargetTiming{}, false));
    CHECK(bus.routes().size() == 2);
}
