// The MFD (models/mfd/mfd.h) driven through TLM as the core's stores and loads reach it, running
// tiny hand-assembled 8051 programs: CPUCS and the code window, the windows on the SRAM (WINSEL
// enabled or not), the mailboxes both ways with their interrupts, the address decoder and its
// outside_local_memory report, DMA chains started by the host and by the firmware (with every
// error cause), and the stats. Each case elaborates once: one per process, as ctest runs them.
#include "models/bus/memory.h"
#include "models/bus/router.h"
#include "models/coherence/coherence_monitor.h"
#include "models/mfd/mfd.h"
#include "models/mfd/mfd_fw_regs.h"
#include "models/mfd/mfd_regs.h"
#include "platforms/app/outputs.h"
#include "tlm_port.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

using namespace mfd;

namespace {

constexpr uint64_t ns = 1000, us = 1000 * ns;
constexpr uint64_t ram_base = 0x80000000, ram_size = 64 * 1024;
constexpr uint64_t sram_base = 0x50010000, sram_size = 64 * 1024;
constexpr uint64_t machine_cycle_ps = 250 * ns;  // 48 MHz / 12

class Decodes : public models::LocalMemoryObserver {
public:
    void on_outside_local_memory(const models::LocalMemoryDecode& decode) override { seen.push_back(decode); }
    std::vector<models::LocalMemoryDecode> seen;
};

class Events : public models::EventSink {
public:
    void on_event(const models::Event& event) override { events.push_back(event); }
    size_t count(const std::string& name) const {
        size_t n = 0;
        for (const models::Event& event : events)
            n += *event.name == name;
        return n;
    }
    std::vector<models::Event> events;
};

// Records the bursts on the system bus and whether they snooped.
class Bursts : public models::BusObserver {
public:
    void on_bus_access(const tlm::tlm_generic_payload& payload, uint64_t address, uint64_t) override {
        accesses.emplace_back(address, models::access_of(payload).snoop);
    }
    std::vector<std::pair<uint64_t, bool>> accesses;
};

models::MfdConfig config() {
    models::MfdConfig c;
    c.id = 0x40;
    c.sram_bus_base = sram_base;
    c.sram_size = sram_size;
    c.code_size = 16 * 1024;
    c.sram_latency_ps = 10 * ns;
    c.quantum_ps = 10 * us;
    return c;
}

// An MFD with RAM behind a router on its engine's side, ports on its three windows, its interrupt
// line recorded as (level, absolute time); elaborated.
struct Rig {
    models::Instrumentation instr;
    models::Memory ram{"ram", ram_size, instr};
    models::Router bus{"bus", instr};
    models::Mfd mfd{"mfd0", config(), instr};
    Port regs{"regs"}, sram{"sram"}, code{"code"};
    Decodes decodes;
    Events events;
    Bursts bursts;
    std::vector<std::pair<bool, uint64_t>> irq;

    Rig() {
        mfd.dma_out.bind(bus.in);
        bus.out.bind(ram.in);
        bus.map_target(0, "ram", ram_base, ram_size, models::TargetTiming{50 * ns, 0}, true);
        bus.add_observer(&bursts);
        regs.out.bind(mfd.mmio_in);
        sram.out.bind(mfd.sram_in);
        code.out.bind(mfd.code_in);
        mfd.set_irq_level([this](bool level, uint64_t delay_ps) {
            irq.emplace_back(level, sc_core::sc_time_stamp().value() + delay_ps);
        });
        mfd.set_local_memory_observer(&decodes);
        instr.add_sink(&events, "mfd.*,dma.*");
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
    void load(const std::vector<uint8_t>& program, uint16_t at = 0) {
        std::vector<uint8_t> bytes = program;
        REQUIRE(code.access(tlm::TLM_WRITE_COMMAND, at, bytes.data(), static_cast<unsigned>(bytes.size())) ==
                tlm::TLM_OK_RESPONSE);
    }
    void sram_write(uint64_t offset, const void* data, unsigned length) {
        std::vector<uint8_t> bytes(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + length);
        REQUIRE(sram.access(tlm::TLM_WRITE_COMMAND, offset, bytes.data(), length) == tlm::TLM_OK_RESPONSE);
    }
    uint8_t sram_byte(uint64_t offset) {
        uint8_t value = 0;
        REQUIRE(sram.access(tlm::TLM_READ_COMMAND, offset, &value, 1) == tlm::TLM_OK_RESPONSE);
        return value;
    }
    void descriptor(uint32_t at, uint32_t sram_offset, uint32_t system, uint32_t length, uint32_t control) {
        uint32_t words[4] = {sram_offset, system, length, control};
        sram_write(at, words, sizeof words);
    }
    void run_for(uint64_t ps) { sc_core::sc_start(sc_core::sc_time::from_value(ps)); }
    uint64_t stat(const std::string& name) const { return instr.counter_value("mfd0." + name); }
    // The last level sent for a time at or before `time_ps`.
    bool irq_at(uint64_t time_ps) const {
        bool level = false;
        uint64_t latest = 0;
        for (const auto& [asserted, at] : irq)
            if (at <= time_ps && at >= latest) {
                level = asserted;
                latest = at;
            }
        return level;
    }
};

std::vector<uint8_t> pattern(size_t size, uint8_t salt) {
    std::vector<uint8_t> data(size);
    for (size_t i = 0; i < size; ++i)
        data[i] = static_cast<uint8_t>(i * 7 + salt);
    return data;
}

// Hand-assembled MCS-51.
constexpr uint8_t MOV_DPTR = 0x90, MOV_A_IMM = 0x74, MOVX_TO_DPTR = 0xf0, MOVX_FROM_DPTR = 0xe0, MOV_DIR_IMM = 0x75,
                  MOV_A_DIR = 0xe5, MOV_DIR_A = 0xf5, ORL_DIR_IMM = 0x43, SJMP = 0x80, LJMP = 0x02, RETI = 0x32,
                  INC_A = 0x04;
constexpr uint8_t PCON = 0x87, IE = 0xa8, IDL = 0x01;
// Idles for ever (no interrupt enabled, or waking and idling again).
const std::vector<uint8_t> idle_loop = {ORL_DIR_IMM, PCON, IDL, SJMP, 0xfb};

}  // namespace

TEST_CASE("mfd: CPUCS holds the 8051 in reset, code writes land only then, and it runs from 0 when released", "[mfd]") {
    Rig rig;
    CHECK(rig.read(MFD_ID) == ID_VALUE);
    CHECK(rig.read(MFD_SRAM_SIZE) == sram_size);
    CHECK(rig.read(MFD_CODE_SIZE) == 16 * 1024);
    CHECK(rig.read(MFD_CPUCS) == CPUCS_RESET);
    std::vector<uint8_t> program = {MOV_DPTR, 0x01, 0x00, MOV_A_IMM, 0x5a, MOVX_TO_DPTR};  // 2 + 1 + 2 cycles
    program.insert(program.end(), idle_loop.begin(), idle_loop.end());                     // ORL: 2 cycles
    rig.load(program);
    rig.run_for(10 * us);
    CHECK(rig.stat("mcs51_instructions") == 0);  // held in reset
    rig.write(MFD_CPUCS, 0, 1 * us);
    CHECK(rig.read(MFD_CPUCS, 1 * us) == 0);
    uint8_t patch = 0x00;
    REQUIRE(rig.code.access(tlm::TLM_WRITE_COMMAND, 4, &patch, 1) == tlm::TLM_OK_RESPONSE);
    CHECK(rig.stat("code_writes_ignored") == 1);
    rig.run_for(100 * us);
    CHECK(rig.mfd.mcs51().code(4) == 0x5a);  // the ignored write left the code as loaded
    CHECK(rig.stat("mcs51_instructions") == 4);
    CHECK(rig.stat("mcs51_cycles") == 8);  // and one idle cycle that took no interrupt before it sleeps
    CHECK(rig.mfd.mcs51().idle());
    CHECK(rig.mfd.mcs51().acc() == 0x5a);
    // Reset again: the core stops, code writes land.
    rig.write(MFD_CPUCS, CPUCS_RESET);
    rig.run_for(10 * us);
    REQUIRE(rig.code.access(tlm::TLM_WRITE_COMMAND, 4, &patch, 1) == tlm::TLM_OK_RESPONSE);
    CHECK(rig.mfd.mcs51().code(4) == 0x00);
    CHECK(rig.stat("code_writes_ignored") == 1);
    CHECK(rig.events.count("mfd.state") >= 3);  // reset, running, idle, reset
}

TEST_CASE("mfd: a window shows its SRAM page while WINSEL enables it, the 8051's own XDATA otherwise", "[mfd]") {
    Rig rig;
    uint8_t host_byte = 0x77;
    rig.sram_write(0x2020, &host_byte, 1);
    std::vector<uint8_t> program = {
        MOV_A_IMM,      0x5a,
        MOV_DPTR,       0x80,
        0x10,           MOVX_TO_DPTR,  // own XDATA 0x8010 (window 0 off)
        MOV_DIR_IMM,    MFD_SFR_WINSEL0,
        0x81,           MOVX_TO_DPTR,  // SRAM page 1: 0x1010
        MOV_DIR_IMM,    MFD_SFR_WINSEL1,
        0x82,           MOV_DPTR,
        0x90,           0x20,  // window 1 on page 2
        MOVX_FROM_DPTR,        // SRAM 0x2020 (the host's 0x77)
        MOV_DPTR,       0x80,
        0x30,           MOVX_TO_DPTR,  // to SRAM 0x1030
        MOV_DIR_IMM,    MFD_SFR_WINSEL0,
        0x01,           MOV_DPTR,
        0x80,           0x10,  // window 0 off (page bits kept)
        MOVX_FROM_DPTR,        // own XDATA 0x8010: 0x5a
        MOV_DIR_IMM,    MFD_SFR_WINSEL0,
        0x81,           MOV_DPTR,
        0x80,           0x40,
        MOVX_TO_DPTR,  // to SRAM 0x1040
    };
    program.insert(program.end(), idle_loop.begin(), idle_loop.end());
    rig.load(program);
    rig.write(MFD_CPUCS, 0);
    rig.run_for(100 * us);
    CHECK(rig.sram_byte(0x1010) == 0x5a);
    CHECK(rig.sram_byte(0x1030) == 0x77);
    CHECK(rig.sram_byte(0x1040) == 0x5a);  // what the 8051's own 0x8010 held, not the SRAM's 0x1010
    CHECK(rig.sram_byte(0x0010) == 0);     // page 0 untouched
    CHECK(rig.stat("window_switches") == 4);
    CHECK(rig.events.count("mfd.window") == 4);
}

TEST_CASE("mfd: mailboxes both ways: the doorbell raises INT0 from its time on, MBSEND the host's interrupt until "
          "it clears MBOX",
          "[mfd]") {
    Rig rig;
    std::vector<uint8_t> program(0x62, 0);
    auto put = [&](uint16_t at, std::vector<uint8_t> bytes) { std::copy(bytes.begin(), bytes.end(), &program[at]); };
    put(0x00, {LJMP, 0x00, 0x30});
    put(0x03, {LJMP, 0x00, 0x50});  // INT0
    put(0x30, {MOV_DIR_IMM, IE, 0x81, ORL_DIR_IMM, PCON, IDL, SJMP, 0xfb});
    put(0x50, {MOV_DIR_IMM, MFD_SFR_MBIDX, 0, MOV_A_DIR, MFD_SFR_MBDATA, INC_A,  // the host's byte 0, plus one
               MOV_DIR_IMM, MFD_SFR_MBIDX, 0, MOV_DIR_A, MFD_SFR_MBDATA,         // as the reply's byte 0
               MOV_DIR_IMM, MFD_SFR_MBSTAT, MFD_MBSTAT_H2F,                      // acknowledge
               MOV_DIR_IMM, MFD_SFR_MBSEND, 0, RETI});
    rig.load(program);
    rig.write(MFD_IRQ_ENABLE, IRQ_MBOX);
    rig.write(MFD_CPUCS, 0);
    rig.run_for(20 * us);
    REQUIRE(rig.mfd.mcs51().idle());
    // Posted ahead of the kernel (the core's local time): the firmware sees it at 50 us, not before.
    rig.write(MFD_H2F0, 0x41, 30 * us);
    rig.write(MFD_H2F_DOORBELL, 1, 50 * us);
    CHECK(rig.read(MFD_H2F_DOORBELL, 50 * us) == 1);
    CHECK(rig.stat("mailbox_messages_h2f") == 1);
    rig.run_for(200 * us);
    CHECK(rig.stat("mailbox_messages_f2h") == 1);
    // The doorbell rang at 20 + 50 us: the reply, and the interrupt, come after it.
    uint64_t doorbell_ps = 70 * us;
    CHECK_FALSE(rig.irq_at(doorbell_ps));
    uint64_t now = sc_core::sc_time_stamp().value();
    CHECK(rig.irq_at(now));
    CHECK(rig.read(MFD_H2F_DOORBELL) == 0);  // acknowledged
    CHECK(rig.read(MFD_IRQ_STATUS) == IRQ_MBOX);
    CHECK((rig.read(MFD_F2H0) & 0xff) == 0x42);
    CHECK(rig.events.count("mfd.mailbox") == 2);
    // The host reads the reply and clears MBOX: the line drops, the firmware may send again.
    rig.write(MFD_IRQ_STATUS, IRQ_MBOX, 1 * us);
    CHECK(rig.read(MFD_IRQ_STATUS, 1 * us) == 0);
    CHECK_FALSE(rig.irq.back().first);
}

TEST_CASE("mfd: the address decoder keeps the SRAM-index bits and reports a bus address outside the SRAM once",
          "[mfd][hazard]") {
    Rig rig;
    auto decode = [](uint32_t address, uint8_t save) {
        std::vector<uint8_t> bytes;
        for (unsigned i = 0; i < 4; ++i)
            bytes.insert(bytes.end(), {MOV_DIR_IMM, uint8_t(MFD_SFR_XADDR0 + i), uint8_t(address >> (8 * i))});
        for (uint8_t sfr : {MFD_SFR_XPAGE, MFD_SFR_XOFFL, MFD_SFR_XOFFH})
            bytes.insert(bytes.end(), {MOV_A_DIR, sfr, MOV_DIR_A, save++});
        return bytes;
    };
    std::vector<uint8_t> program = decode(0x50012345, 0x30);  // inside: page 2, offset 0x345
    std::vector<uint8_t> outside = decode(0x80003456, 0x40);  // system RAM: reaches page 3, offset 0x456
    program.insert(program.end(), outside.begin(), outside.end());
    program.insert(program.end(), idle_loop.begin(), idle_loop.end());
    rig.load(program);
    rig.write(MFD_CPUCS, 0, 2 * us);
    rig.run_for(100 * us);
    const models::Mcs51& core = rig.mfd.mcs51();
    CHECK(core.iram(0x30) == 0x82);
    CHECK(core.iram(0x31) == 0x45);
    CHECK(core.iram(0x32) == 0x03);
    CHECK(core.iram(0x40) == 0x83);
    CHECK(core.iram(0x41) == 0x56);
    CHECK(core.iram(0x42) == 0x04);
    REQUIRE(rig.decodes.seen.size() == 1);  // three reads of one decode, one report
    const models::LocalMemoryDecode& seen = rig.decodes.seen[0];
    CHECK(seen.bus_address == 0x80003456);
    CHECK(seen.local_base == sram_base);
    CHECK(seen.local_size == sram_size);
    CHECK(seen.local_offset == 0x3456);
    CHECK(seen.actor == "mfd0.mcs51");
    CHECK(seen.time_ps > 2 * us);  // after the release, on the 8051's time
}

TEST_CASE("mfd: a host-started chain moves data both ways without snooping, BUSY until its end, then DONE and "
          "the interrupt",
          "[mfd][dma]") {
    Rig rig;
    std::vector<uint8_t> data = pattern(256, 5);
    rig.ram.backdoor_write(0x100, data.data(), data.size());
    rig.descriptor(0x100, 0x1000, ram_base + 0x100, 256, 0);                                   // to SRAM
    rig.descriptor(0x110, 0x1000, ram_base + 0x800, 256, MFD_DESC_TO_SYSTEM | MFD_DESC_LAST);  // back out
    rig.write(MFD_IRQ_ENABLE, IRQ_DMA_DONE | IRQ_DMA_ERROR);
    rig.write(MFD_DMA_DESC, 0x100, 100 * ns);
    CHECK(rig.read(MFD_DMA_STATUS, 100 * ns) == DMA_STATUS_BUSY);
    CHECK(rig.read(MFD_IRQ_STATUS, 100 * ns) == 0);
    std::vector<uint8_t> out(256);
    rig.ram.backdoor_read(0x800, out.data(), out.size());
    CHECK(out == data);
    CHECK(rig.sram_byte(0x1000 + 17) == data[17]);
    rig.run_for(10 * us);
    CHECK(rig.read(MFD_DMA_STATUS) == DMA_STATUS_DONE);
    CHECK(rig.read(MFD_IRQ_STATUS) == IRQ_DMA_DONE);
    CHECK(rig.irq_at(sc_core::sc_time_stamp().value()));
    CHECK(rig.stat("dma_bytes_to_sram") == 256);
    CHECK(rig.stat("dma_bytes_to_system") == 256);
    CHECK(rig.stat("dma_chains") == 1);
    CHECK(rig.stat("dma_descriptors") == 2);
    CHECK(rig.bursts.accesses.size() == 8);  // 64-byte bursts
    for (const auto& [address, snooped] : rig.bursts.accesses)
        CHECK_FALSE(snooped);
    CHECK(rig.events.count("dma.read") == 1);
    CHECK(rig.events.count("dma.write") == 1);
}

TEST_CASE("mfd: chain errors: a descriptor outside the SRAM or of length 0, an SRAM range past its end, a bus "
          "hole, a start while busy",
          "[mfd][dma]") {
    Rig rig;
    rig.write(MFD_IRQ_ENABLE, IRQ_DMA_DONE | IRQ_DMA_ERROR);
    auto run = [&](uint32_t first) {
        rig.write(MFD_IRQ_STATUS, IRQ_DMA_DONE | IRQ_DMA_ERROR);
        rig.write(MFD_DMA_DESC, first);
        rig.run_for(10 * us);
        CHECK(rig.read(MFD_IRQ_STATUS) == IRQ_DMA_ERROR);
        return std::pair<uint32_t, uint32_t>(dma_status_cause(rig.read(MFD_DMA_STATUS)), rig.read(MFD_DMA_ERROR_ADDR));
    };
    CHECK(run(sram_size - 8) == std::pair<uint32_t, uint32_t>(DMA_CAUSE_DESCRIPTOR, sram_size - 8));
    rig.descriptor(0x200, 0, ram_base, 0, MFD_DESC_LAST);
    CHECK(run(0x200) == std::pair<uint32_t, uint32_t>(DMA_CAUSE_DESCRIPTOR, 0x200));
    rig.descriptor(0x200, sram_size - 16, ram_base, 32, MFD_DESC_LAST);
    CHECK(run(0x200) == std::pair<uint32_t, uint32_t>(DMA_CAUSE_SRAM, sram_size - 16));
    rig.descriptor(0x200, 0, 0x10000000, 128, MFD_DESC_TO_SYSTEM | MFD_DESC_LAST);  // nothing there
    CHECK(run(0x200) == std::pair<uint32_t, uint32_t>(DMA_CAUSE_BUS, 0x10000000));
    CHECK(rig.stat("dma_errors") == 4);
    // A start while a chain runs is refused: STATUS shows it beside BUSY; the chain still ends DONE.
    rig.write(MFD_IRQ_STATUS, IRQ_DMA_ERROR);
    rig.descriptor(0x300, 0, ram_base, 4096, MFD_DESC_TO_SYSTEM | MFD_DESC_LAST);
    rig.write(MFD_DMA_DESC, 0x300);
    rig.write(MFD_DMA_DESC, 0x300, 10 * ns);
    uint32_t status = rig.read(MFD_DMA_STATUS, 10 * ns);
    CHECK(status & DMA_STATUS_BUSY);
    CHECK(status & DMA_STATUS_ERROR);
    CHECK(dma_status_cause(status) == DMA_CAUSE_BUSY);
    CHECK(rig.read(MFD_IRQ_STATUS, 10 * ns) == IRQ_DMA_ERROR);
    rig.run_for(100 * us);
    CHECK(rig.read(MFD_DMA_STATUS) == DMA_STATUS_DONE);
    CHECK(rig.stat("dma_busy_rejects") == 1);
    CHECK(rig.events.count("mfd.dma_error") == 5);
}

TEST_CASE("mfd: a firmware-started chain raises INT1 with DMACTL DONE at its end, not the host's interrupt",
          "[mfd][dma]") {
    Rig rig;
    std::vector<uint8_t> data = pattern(4096, 9);  // 64 bursts of 60 ns: longer than the next instruction
    rig.sram_write(0x1000, data.data(), static_cast<unsigned>(data.size()));
    rig.descriptor(0x200, 0x1000, ram_base + 0x40, 4096, MFD_DESC_TO_SYSTEM | MFD_DESC_LAST);
    std::vector<uint8_t> program(0x80, 0);
    auto put = [&](uint16_t at, std::vector<uint8_t> bytes) { std::copy(bytes.begin(), bytes.end(), &program[at]); };
    put(0x00, {LJMP, 0x00, 0x30});
    put(0x13, {LJMP, 0x00, 0x60});  // INT1
    put(0x30, {MOV_DIR_IMM,
               MFD_SFR_DMADL,
               0x00,
               MOV_DIR_IMM,
               MFD_SFR_DMADH,
               0x02,
               MOV_DIR_IMM,
               IE,
               0x84,
               MOV_DIR_IMM,
               MFD_SFR_DMACTL,
               MFD_DMACTL_START,
               MOV_A_DIR,
               MFD_SFR_DMACTL,
               MOV_DIR_A,
               0x41,
               ORL_DIR_IMM,
               PCON,
               IDL,
               SJMP,
               0xfb});
    put(0x60, {MOV_A_DIR, MFD_SFR_DMACTL, MOV_DIR_A, 0x40, MOV_DIR_IMM, MFD_SFR_DMACTL, MFD_DMACTL_CLEAR, RETI});
    rig.load(program);
    rig.write(MFD_IRQ_ENABLE, IRQ_DMA_DONE | IRQ_DMA_ERROR | IRQ_MBOX);
    rig.write(MFD_CPUCS, 0);
    rig.run_for(100 * us);
    const models::Mcs51& core = rig.mfd.mcs51();
    CHECK(core.iram(0x41) == MFD_DMACTL_BUSY);  // read right after the start
    CHECK(core.iram(0x40) == MFD_DMACTL_DONE);  // in the INT1 handler
    CHECK(core.idle());                         // cleared: INT1 dropped, no second entry
    std::vector<uint8_t> out(4096);
    rig.ram.backdoor_read(0x40, out.data(), out.size());
    CHECK(out == data);
    CHECK(rig.read(MFD_IRQ_STATUS) == 0);
    CHECK_FALSE(rig.irq_at(sc_core::sc_time_stamp().value()));
    CHECK(rig.stat("dma_chains") == 1);
    CHECK(rig.stat("dma_bytes_to_system") == 4096);
    CHECK(rig.stat("mcs51_cycles") * machine_cycle_ps <= sc_core::sc_time_stamp().value());
}

TEST_CASE("mfd: the coherence monitor counts outside_local_memory and hazards.json carries its evidence",
          "[mfd][hazard]") {
    Rig rig;
    models::CoherenceMonitor monitor(rig.instr, rig.bus, 64, 10);
    rig.mfd.set_local_memory_observer(&monitor);
    std::vector<uint8_t> program;
    for (unsigned i = 0; i < 4; ++i)
        program.insert(program.end(), {MOV_DIR_IMM, uint8_t(MFD_SFR_XADDR0 + i), uint8_t(0x80001234 >> (8 * i))});
    program.insert(program.end(), {MOV_A_DIR, MFD_SFR_XPAGE});
    program.insert(program.end(), idle_loop.begin(), idle_loop.end());
    rig.load(program);
    rig.write(MFD_CPUCS, 0);
    rig.run_for(100 * us);
    CHECK(monitor.count(models::HazardKind::outside_local_memory) == 1);
    CHECK(rig.instr.counter_value("hazards.outside_local_memory") == 1);
    nlohmann::ordered_json json = platform::hazards_json(&monitor, nullptr);
    CHECK(json["counts"]["outside_local_memory"] == 1);
    REQUIRE(json["details"].size() == 1);
    const auto& detail = json["details"][0];
    CHECK(detail["kind"] == "outside_local_memory");
    CHECK(detail["address"] == "0x80001234");
    CHECK(detail["actor"] == "mfd0.mcs51");
    CHECK(detail["cache"] == "mfd0.decoder");
    CHECK(detail["local_base"] == "0x50010000");
    CHECK(detail["local_size"] == sram_size);
    CHECK(detail["local_offset"] == "0x1234");
}
