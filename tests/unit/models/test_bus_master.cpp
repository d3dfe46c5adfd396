// The bus master's register interface, driven through TLM as the core's stores and loads reach
// it: READ, WRITE and COPY with STATUS busy until the transfer's end time, the interrupt causes
// and line, and every error a command can end in (no crash, nothing moved where the engine refuses
// up front); and its device-tree binding. Each case elaborates (sc_start(SC_ZERO_TIME)) once: one
// per process, as ctest runs them.
#include "config_error.h"
#include "models/bus/bus_master.h"
#include "models/bus/bus_master_regs.h"
#include "models/bus/memory.h"
#include "models/bus/router.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"
#include "tlm_port.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

using namespace bus_master;

namespace {

constexpr uint64_t ram_base = 0x80000000, ram_size = 64 * 1024;
constexpr uint64_t ram_latency_ps = 50000;  // per burst: a 256-byte transfer in 64-byte bursts takes 200 ns
constexpr uint64_t buffer_size = 4096;
constexpr uint64_t ns = 1000;

// Records what the engine put on the bus.
class Bursts : public models::BusObserver {
public:
    void on_bus_access(const tlm::tlm_generic_payload& payload, uint64_t address, uint64_t) override {
        accesses.emplace_back(address, payload.is_write());
    }
    std::vector<std::pair<uint64_t, bool>> accesses;
};

class Events : public models::EventSink {
public:
    void on_event(const models::Event& event) override { names.push_back(*event.name); }
    std::vector<std::string> names;
};

models::BusMasterConfig config_with(std::vector<models::InboundWindow> inbound = {}) {
    models::BusMasterConfig config;
    config.stream_id = 0x10;
    config.buffer_size = buffer_size;
    config.inbound = std::move(inbound);
    return config;
}

// A master with RAM behind a router, a port on its registers and one on its buffer, its interrupt
// line recorded as (level, time) changes; elaborated. Every access is at simulated time `at_ps`
// (the caller's local time, as the core's are).
struct Rig {
    models::Instrumentation instr;
    models::Memory ram{"ram", ram_size, instr};
    models::Router bus{"bus", instr};
    models::BusMaster master;
    Port regs{"regs"}, buffer{"buffer"};
    Bursts bursts;
    Events events;
    std::vector<std::pair<bool, uint64_t>> irq;

    explicit Rig(const models::BusMasterConfig& config = config_with()) : master("dma0", config, instr) {
        master.dma_out.bind(bus.in);
        bus.out.bind(ram.in);
        bus.map_target(0, "ram", ram_base, ram_size, models::TargetTiming{ram_latency_ps, 0}, true);
        bus.add_observer(&bursts);
        regs.out.bind(master.mmio_in);
        buffer.out.bind(master.buffer_in);
        master.set_irq_level([this](bool level, uint64_t delay_ps) { irq.emplace_back(level, delay_ps); });
        instr.add_sink(&events, "bus_master.*,dma.*");
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
    }

    void write(unsigned offset, uint32_t value, uint64_t at_ps = 0) {
        REQUIRE(regs.access(tlm::TLM_WRITE_COMMAND, offset, &value, 4, {}, at_ps) == tlm::TLM_OK_RESPONSE);
    }
    uint32_t read(unsigned offset, uint64_t at_ps = 0) {
        uint32_t value = 0;
        REQUIRE(regs.access(tlm::TLM_READ_COMMAND, offset, &value, 4, {}, at_ps) == tlm::TLM_OK_RESPONSE);
        return value;
    }
    void command(uint32_t op, uint64_t src, uint64_t dst, uint32_t length, uint64_t at_ps = 0) {
        write(BM_SRC_LO, static_cast<uint32_t>(src), at_ps);
        write(BM_SRC_HI, static_cast<uint32_t>(src >> 32), at_ps);
        write(BM_DST_LO, static_cast<uint32_t>(dst), at_ps);
        write(BM_DST_HI, static_cast<uint32_t>(dst >> 32), at_ps);
        write(BM_LENGTH, length, at_ps);
        write(BM_COMMAND, op, at_ps);
    }
    uint64_t error_addr(uint64_t at_ps) {
        return uint64_t(read(BM_ERROR_ADDR_HI, at_ps)) << 32 | read(BM_ERROR_ADDR_LO, at_ps);
    }
    uint64_t stat(const std::string& path) const { return instr.counter_value(path); }
};

std::vector<uint8_t> pattern(size_t size, uint8_t salt) {
    std::vector<uint8_t> data(size);
    for (size_t i = 0; i < size; ++i)
        data[i] = static_cast<uint8_t>(i * 7 + salt);
    return data;
}

}  // namespace

TEST_CASE("bus master: ID and buffer size read back, a READ fills the buffer, BUSY until its end, then DONE and "
          "the interrupt",
          "[bus_master]") {
    Rig rig;
    CHECK(rig.read(BM_ID) == ID_VALUE);
    CHECK(rig.read(BM_BUFFER_SIZE) == buffer_size);
    std::vector<uint8_t> data = pattern(256, 3);
    rig.ram.backdoor_write(0x100, data.data(), data.size());
    rig.write(BM_IRQ_ENABLE, IRQ_DONE | IRQ_ERROR);
    rig.command(COMMAND_READ, ram_base + 0x100, 0, 256, 100 * ns);
    CHECK(rig.read(BM_COMMAND, 100 * ns) == COMMAND_READ);
    CHECK(rig.read(BM_STATUS, 100 * ns) == STATUS_BUSY);
    CHECK(rig.read(BM_STATUS, 299 * ns) == STATUS_BUSY);  // 4 bursts of 50 ns from 100 ns
    CHECK(rig.read(BM_IRQ_STATUS, 299 * ns) == 0);
    CHECK(rig.read(BM_STATUS, 300 * ns) == STATUS_DONE);
    CHECK(rig.read(BM_IRQ_STATUS, 300 * ns) == IRQ_DONE);
    std::vector<uint8_t> seen(256);
    REQUIRE(rig.buffer.access(tlm::TLM_READ_COMMAND, 0, seen.data(), 256, {}, 400 * ns) == tlm::TLM_OK_RESPONSE);
    CHECK(seen == data);
    CHECK(rig.bursts.accesses.size() == 4);
    // The line: low until the end of the transfer, high from it, low once software clears the cause.
    rig.write(BM_IRQ_STATUS, IRQ_DONE, 500 * ns);
    CHECK(rig.read(BM_IRQ_STATUS, 500 * ns) == 0);
    REQUIRE(!rig.irq.empty());
    CHECK(rig.irq.back() == std::make_pair(false, 500 * ns));
    bool rose_at_end = false;
    for (const auto& [level, time] : rig.irq)
        rose_at_end |= level && time == 300 * ns;
    CHECK(rose_at_end);
    CHECK(rig.stat("dma0.commands") == 1);
    CHECK(rig.stat("dma0.read_bytes") == 256);
    CHECK(rig.events.names == std::vector<std::string>{"dma.read"});
}

TEST_CASE("bus master: WRITE puts the buffer in memory, COPY moves memory to memory", "[bus_master]") {
    Rig rig;
    std::vector<uint8_t> data = pattern(200, 9);
    REQUIRE(rig.buffer.access(tlm::TLM_WRITE_COMMAND, 0, data.data(), 200, {}, 0) == tlm::TLM_OK_RESPONSE);
    rig.command(COMMAND_WRITE, 0, ram_base + 0x1010, 200);
    CHECK(rig.read(BM_STATUS, 1000 * ns) == STATUS_DONE);
    std::vector<uint8_t> seen(200);
    rig.ram.backdoor_read(0x1010, seen.data(), seen.size());
    CHECK(seen == data);

    rig.command(COMMAND_COPY, ram_base + 0x1010, ram_base + 0x2000, 200, 1000 * ns);
    CHECK(rig.read(BM_STATUS, 1000 * ns) == STATUS_BUSY);
    CHECK(rig.read(BM_STATUS, 10000 * ns) == STATUS_DONE);
    rig.ram.backdoor_read(0x2000, seen.data(), seen.size());
    CHECK(seen == data);
    CHECK(rig.stat("dma0.commands") == 2);
    CHECK(rig.stat("dma0.write_bytes") == 400);
    CHECK(rig.events.names == std::vector<std::string>{"dma.write", "dma.copy"});
    CHECK(rig.irq.empty() == false);  // driven, but never high: IRQ_ENABLE is 0
    for (const auto& change : rig.irq)
        CHECK_FALSE(change.first);
}

TEST_CASE("bus master: commands it cannot run end in ERROR with a cause, before anything moves", "[bus_master]") {
    Rig rig;
    rig.write(BM_IRQ_ENABLE, IRQ_ERROR);
    uint64_t at = 0;
    auto status_after = [&](uint32_t op, uint64_t src, uint64_t dst, uint32_t length) {
        at += 100 * ns;
        rig.command(op, src, dst, length, at);
        return rig.read(BM_STATUS, at);  // refused: ended at once
    };
    CHECK(status_after(COMMAND_READ, ram_base, 0, 0) == (STATUS_ERROR | CAUSE_LENGTH << STATUS_CAUSE_SHIFT));
    CHECK(status_after(COMMAND_READ, ram_base, 0, buffer_size + 1) ==
          (STATUS_ERROR | CAUSE_LENGTH << STATUS_CAUSE_SHIFT));
    CHECK(status_after(COMMAND_WRITE, 0, ram_base, buffer_size + 1) ==
          (STATUS_ERROR | CAUSE_LENGTH << STATUS_CAUSE_SHIFT));
    CHECK(status_after(7, ram_base, ram_base, 64) == (STATUS_ERROR | CAUSE_COMMAND << STATUS_CAUSE_SHIFT));
    CHECK(status_after(COMMAND_WRITE | 1u << 8, 0, ram_base, 64) ==
          (STATUS_ERROR | CAUSE_COMMAND << STATUS_CAUSE_SHIFT));
    CHECK(status_cause(rig.read(BM_STATUS, at)) == CAUSE_COMMAND);
    CHECK(rig.read(BM_IRQ_STATUS, at) == IRQ_ERROR);
    CHECK(rig.irq.back().first);
    CHECK(rig.bursts.accesses.empty());
    CHECK(rig.stat("dma0.errors") == 5);
    CHECK(rig.events.names == std::vector<std::string>(5, "bus_master.error"));
}

TEST_CASE("bus master: a range outside its dma-ranges windows is a WINDOW error at its start, a hole a BUS error "
          "where the bus refused",
          "[bus_master]") {
    // Bus addresses 0..1 GiB reach RAM at ram_base, as the PCI platform's /soc dma-ranges do.
    Rig rig(config_with({models::InboundWindow{0x0, ram_base, 0x40000000}}));
    rig.command(COMMAND_READ, 0x3fffffc0, 0, 128);  // runs 64 bytes past the window
    uint32_t status = rig.read(BM_STATUS, 1000 * ns);
    CHECK(status == (STATUS_ERROR | CAUSE_WINDOW << STATUS_CAUSE_SHIFT));
    CHECK(rig.error_addr(1000 * ns) == 0x3fffffc0);
    CHECK(rig.stat("dma0.window_errors") == 1);
    CHECK(rig.bursts.accesses.empty());

    // Inside the window, but the last burst lands past the end of RAM: a hole.
    rig.command(COMMAND_COPY, 0x100, ram_size - 64, 128, 1000 * ns);
    status = rig.read(BM_STATUS, 10000 * ns);
    CHECK(status == (STATUS_ERROR | CAUSE_BUS << STATUS_CAUSE_SHIFT));
    CHECK(rig.error_addr(10000 * ns) == ram_size);  // the bus address of the refused burst
    CHECK(rig.stat("bus.address_errors") == 1);
    CHECK(rig.stat("dma0.errors") == 2);
    CHECK(rig.bursts.accesses.size() == 3);  // read, write of the first 64 bytes, read of the second
}

TEST_CASE("bus master: a COMMAND while BUSY is ignored, registers take aligned 32-bit accesses, the buffer any "
          "inside it",
          "[bus_master]") {
    Rig rig;
    rig.command(COMMAND_READ, ram_base, 0, 256);
    rig.write(BM_COMMAND, COMMAND_COPY, 10 * ns);
    CHECK(rig.read(BM_COMMAND, 10 * ns) == COMMAND_READ);
    CHECK(rig.stat("dma0.busy_rejects") == 1);
    CHECK(rig.stat("dma0.commands") == 1);
    uint64_t wide = 0;
    CHECK(rig.regs.access(tlm::TLM_READ_COMMAND, BM_STATUS, &wide, 8, {}, 0) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    uint32_t word = 0;
    CHECK(rig.regs.access(tlm::TLM_READ_COMMAND, BM_STATUS + 2, &word, 4, {}, 0) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(rig.read(0x80) == 0);  // no register: reads as zero
    CHECK(rig.buffer.access(tlm::TLM_WRITE_COMMAND, buffer_size - 2, &word, 2, {}, 0) == tlm::TLM_OK_RESPONSE);
    CHECK(rig.buffer.access(tlm::TLM_WRITE_COMMAND, buffer_size - 2, &word, 4, {}, 0) ==
          tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST_CASE("bus master binding: its windows and interrupt in the platform, bad properties ConfigErrors naming the "
          "node and the property",
          "[bus_master]") {
    const std::string agent = "/soc/dma-agent@1000000";
    auto platform_with = [](const std::vector<std::string>& overrides,
                            const std::function<void(platform::Platform&)>& use) {
        models::Instrumentation instr;
        platform::DeviceTree tree = platform::DeviceTree::load(DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts");
        for (const std::string& spec : overrides)
            tree.apply_override(spec);
        platform::Platform platform(tree, platform::PlatformOptions{}, instr);
        use(platform);
    };
    platform_with({}, [](platform::Platform& platform) {
        REQUIRE(platform.kernel_bus_masters().size() == 1);
        const sw::BusMasterInfo& info = platform.kernel_bus_masters()[0];
        CHECK(info.name == "dma-agent@1000000");
        CHECK(info.registers == 0x11000000);
        CHECK(info.registers_size == 0x1000);
        CHECK(info.buffer == 0x11100000);
        CHECK(info.buffer_size == 0x100000);
        CHECK(info.irq == 48u);
        CHECK(platform.bus().decode(0x11000000)->name == "dma0_regs");
        CHECK(platform.bus().decode(0x111fffff)->name == "dma0_buffer");
    });
    auto error_with = [&](const std::string& override_spec) {
        return config_error([&] { platform_with({override_spec}, [](platform::Platform&) {}); });
    };
    CHECK(error_with(agent + ":reg=<0x1000000 0x80>") ==
          "arm-noncoherent.dts: node " + agent +
              ": property 'reg': expected the registers (at least 0x100 bytes), "
              "then optionally the data buffer");
    CHECK_THAT(error_with(agent + ":reg=<0x1000000 0x1000 0x1100000 0x8000000>"),
               Catch::Contains("node " + agent +
                               ": property 'reg': expected a data buffer (its second entry) of 1 "
                               "byte to 64 MiB, got 0x8000000 bytes"));
    CHECK_THAT(error_with(agent + ":reg=<0x1000000 0x1000 0x1000800 0x1000>"),
               Catch::Contains("node " + agent + ": property 'reg': expected a region that overlaps no other"));
    CHECK_THAT(error_with(agent + ":interrupts=<0 16 1>"),
               Catch::Contains("node " + agent + ": property 'interrupts': expected a level-high line (flags 4"));
    CHECK_THAT(error_with(agent + ":interrupts=<1 9 4>"),
               Catch::Contains("node " + agent +
                               ": property 'interrupts': expected an SPI of the GIC (interrupt IDs "
                               "32 to 255), got 25"));
    CHECK_THAT(error_with(agent + ":interrupts=<0 300 4>"),
               Catch::Contains("node " + agent +
                               ": property 'interrupts': expected an SPI of the GIC (interrupt IDs "
                               "32 to 255), got 332"));
    CHECK_THAT(error_with("/:interrupt-parent=false"),
               Catch::Contains("node " + agent +
                               ": property 'interrupts': expected an interrupt parent: an "
                               "interrupt-parent property on the node or an ancestor"));
}
