// Unit tests of models::Core on the shipped non-coherent platform, without a kernel: loads and
// stores through L1 and L2, evictions, maintenance by VA and by set/way, the PL310's by-PA
// registers driven by hand, faults, the quantum, and non-cacheable and write-combined mappings.
// One simulation per test case: catch_discover_tests runs each in its own process.
#include "models/cpu/core.h"
#include "models/cpu/outer_cache.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <string>
#include <systemc>

using models::Core;
using models::MemType;
using models::Mmu;

namespace {

constexpr uint64_t dram = 0x80000000;
constexpr uint64_t hole = 0x40000000;  // between the L2 registers and DRAM

// The shipped platform, built, with a program to run on its core.
struct Machine {
    platform::DeviceTree tree;
    models::Instrumentation instr;
    platform::Platform platform;

    explicit Machine(const platform::PlatformOptions& options = {}, const std::vector<std::string>& overrides = {})
        : tree(loaded(overrides)), platform(tree, options, instr) {}

    static platform::DeviceTree loaded(const std::vector<std::string>& overrides) {
        platform::DeviceTree loaded_tree = platform::DeviceTree::load(DMASIM_SOURCE_DIR
                                                                      "/platforms/arm-noncoherent.dts");
        for (const std::string& spec : overrides)
            loaded_tree.apply_override(spec);
        return loaded_tree;
    }

    Core& core() { return platform.core(); }
    uint64_t stat(const std::string& path) const { return instr.counter_value(path); }

    void run(std::function<void(Core&)> program) {
        core().set_program(std::move(program));
        sc_core::sc_start();
        REQUIRE(core().finished());
    }

    // DRAM as memory holds it, behind every cache. Only once elaborated (from a program or after
    // the run): the router's multi-socket has no targets before. Called from programs, so it only
    // CHECKs (a failed REQUIRE would throw through the core's thread).
    uint64_t dram64(uint64_t pa) {
        uint64_t value = 0;
        CHECK(platform.bus().backdoor_read(pa, &value, 8));
        return value;
    }
    void set_dram64(uint64_t pa, uint64_t value) { CHECK(platform.bus().backdoor_write(pa, &value, 8)); }

    uint64_t l2_writes() const { return stat("l2.write_hits") + stat("l2.write_misses"); }
};

uint64_t va(uint64_t pa) { return Mmu::linear_va(pa); }

}  // namespace

TEST_CASE("core: loads return what stores of every width wrote through the write-back L1", "[core]") {
    Machine m;
    const uint64_t p = dram + 0x100000;
    uint8_t v8 = 0;
    uint16_t v16 = 0;
    uint32_t v32 = 0, v32_page = 0;
    uint64_t v64 = 0, v64_line = 0, dram_during = 1;
    m.run([&](Core& cpu) {
        cpu.store8(va(p + 1), 0xa5);
        cpu.store16(va(p + 2), 0xbeef);
        cpu.store32(va(p + 4), 0x12345678);
        cpu.store64(va(p + 8), 0x0123456789abcdef);
        cpu.store64(va(p + 60), 0xfedcba9876543210);  // straddles two lines
        cpu.store32(va(p + 4094), 0xcafef00d);        // straddles two pages
        v8 = cpu.load8(va(p + 1));
        v16 = cpu.load16(va(p + 2));
        v32 = cpu.load32(va(p + 4));
        v64 = cpu.load64(va(p + 8));
        v64_line = cpu.load64(va(p + 60));
        v32_page = cpu.load32(va(p + 4094));
        dram_during = m.dram64(p + 8);
    });
    CHECK(m.core().fault().empty());
    CHECK(v8 == 0xa5);
    CHECK(v16 == 0xbeef);
    CHECK(v32 == 0x12345678);
    CHECK(v64 == 0x0123456789abcdef);
    CHECK(v64_line == 0xfedcba9876543210);
    CHECK(v32_page == 0xcafef00d);
    CHECK(dram_during == 0);  // write-back: nothing reached memory
    CHECK(m.dram64(p + 8) == 0);
    // Lines of p (first store), p+64 (straddle), p+4032 and p+4096 (page straddle) missed.
    CHECK(m.stat("cpu0.l1d.write_misses") == 4);
    CHECK(m.stat("cpu0.l1d.read_misses") == 0);
    CHECK(m.stat("cpu0.l1d.read_hits") >= 6);
    CHECK(m.stat("cpu0.data_aborts") == 0);
}

TEST_CASE("core: a working set twice the L1 evicts and writes back into the L2 only", "[core]") {
    Machine m;
    const uint64_t p = dram + 0x200000;
    const uint64_t size = 2 * m.core().l1d().geometry().size;
    REQUIRE(size == 64 * 1024);
    uint64_t errors = 0;
    m.run([&](Core& cpu) {
        for (uint64_t offset = 0; offset < size; offset += 8)
            cpu.store64(va(p + offset), offset * 0x9e3779b97f4a7c15ULL);
        for (uint64_t offset = 0; offset < size; offset += 8)
            errors += cpu.load64(va(p + offset)) != offset * 0x9e3779b97f4a7c15ULL;
    });
    CHECK(m.core().fault().empty());
    CHECK(errors == 0);
    CHECK(m.stat("cpu0.l1d.evictions") > 0);
    CHECK(m.stat("cpu0.l1d.write_backs") > 0);
    CHECK(m.stat("cpu0.l1d.write_misses") == size / 64);
    CHECK(m.l2_writes() == m.stat("cpu0.l1d.write_backs"));
    CHECK(m.stat("bus.dram0.writes") == 0);  // 64 KiB fits in the 512 KiB L2
    CHECK(m.dram64(p) == 0);
}

TEST_CASE("core: dc_clean reaches the L2 and only the outer clean by PA reaches DRAM", "[core]") {
    Machine m;
    REQUIRE(m.platform.outer_cache_registers());
    const uint64_t regs_pa = *m.platform.outer_cache_registers();
    const uint64_t regs_va = Mmu::vmalloc_base;
    const uint64_t p = dram + 0x300040;
    const uint64_t value = 0x1122334455667788;
    uint64_t l2_writes_before = 0, l2_writes_after = 0, dram_after_l1_clean = 1, dram_after_outer_clean = 0;
    uint64_t l1_dirty_after_clean = 1;
    bool l1_still_holds = false, l2_dirty_before_outer = false, l2_dirty_after_outer = true;
    m.run([&](Core& cpu) {
        cpu.store64(va(p), value);
        l2_writes_before = m.l2_writes();
        cpu.dc_clean(va(p), 8);
        l2_writes_after = m.l2_writes();
        dram_after_l1_clean = m.dram64(p);
        auto line = cpu.l1d().probe(p);
        l1_still_holds = static_cast<bool>(line);
        if (line)
            l1_dirty_after_clean = *line.dirty;
        auto l2_line = cpu.outer_cache()->probe(p);
        l2_dirty_before_outer = l2_line && *l2_line.dirty != 0;

        // What the kernel's outer_clean_range does: the PL310's clean-by-PA register.
        cpu.mmu().map(regs_va, regs_pa, 4096, MemType::device);
        cpu.store32(regs_va + outer_cache::clean_pa, static_cast<uint32_t>(p));
        cpu.store32(regs_va + outer_cache::cache_sync, 0);
        dram_after_outer_clean = m.dram64(p);
        l2_line = cpu.outer_cache()->probe(p);
        l2_dirty_after_outer = l2_line && *l2_line.dirty != 0;
    });
    CHECK(m.core().fault().empty());
    CHECK(l2_writes_after == l2_writes_before + 1);
    CHECK(dram_after_l1_clean == 0);
    CHECK(l1_still_holds);
    CHECK(l1_dirty_after_clean == 0);
    CHECK(l2_dirty_before_outer);
    CHECK(dram_after_outer_clean == value);
    CHECK_FALSE(l2_dirty_after_outer);
    CHECK(m.stat("cpu0.l1d.maint.clean") == 1);
    CHECK(m.stat("l2.maint.clean") == 1);
    CHECK(m.stat("bus.dram0.writes") == 1);
    CHECK(m.stat("cpu0.uncached_writes") == 2);
}

TEST_CASE("core: dc_invalidate discards a dirty L1 line and the next load sees the level below", "[core]") {
    Machine m;
    const uint64_t p = dram + 0x400000;  // cleaned to the L2 once, then dirtied again
    const uint64_t q = dram + 0x400100;  // only ever dirty in the L1
    const uint64_t r = dram + 0x400200;  // clean+invalidate keeps the data
    uint64_t p_read = 0, q_read = 0, r_read = 0;
    bool q_present_after = true, r_present_after = true;
    m.run([&](Core& cpu) {
        m.set_dram64(p, 0x0101010101010101);
        m.set_dram64(q, 0x0202020202020202);
        cpu.store64(va(p), 0x1111111111111111);
        cpu.dc_clean(va(p), 8);  // the L2 now holds 0x11..
        cpu.store64(va(p), 0x2222222222222222);
        cpu.dc_invalidate(va(p), 8);  // 0x22.. is lost
        p_read = cpu.load64(va(p));

        cpu.store64(va(q), 0x3333333333333333);
        cpu.dc_invalidate(va(q), 64);
        q_present_after = static_cast<bool>(cpu.l1d().probe(q));
        q_read = cpu.load64(va(q));

        cpu.store64(va(r), 0x4444444444444444);
        cpu.dc_clean_invalidate(va(r), 8);
        r_present_after = static_cast<bool>(cpu.l1d().probe(r));
        r_read = cpu.load64(va(r));
    });
    CHECK(m.core().fault().empty());
    CHECK(p_read == 0x1111111111111111);  // the L2's copy
    CHECK(m.dram64(p) == 0x0101010101010101);
    CHECK_FALSE(q_present_after);
    CHECK(q_read == 0x0202020202020202);  // DRAM's value, through the L2
    CHECK_FALSE(r_present_after);
    CHECK(r_read == 0x4444444444444444);
    CHECK(m.stat("cpu0.l1d.maint.invalidate") == 2);
    CHECK(m.stat("cpu0.l1d.maint.clean_invalidate") == 1);
}

TEST_CASE("core: maintenance by set/way cleans the line in that set and way", "[core]") {
    Machine m;
    const uint64_t p = dram + 0x500000 + 5 * 64;  // L1 set 5 (128 sets of 64-byte lines)
    uint64_t l2_before = 0, l2_after_clean = 0, l2_after_other = 0;
    bool still_present = false, dirty_after = true;
    m.run([&](Core& cpu) {
        cpu.store64(va(p), 77);  // the first line in its set: way 0
        l2_before = m.l2_writes();
        cpu.dc_set_way(models::MaintOp::clean, 6, 0);  // another set: nothing to do
        l2_after_other = m.l2_writes();
        cpu.dc_set_way(models::MaintOp::clean, 5, 0);
        l2_after_clean = m.l2_writes();
        auto line = cpu.l1d().probe(p);
        still_present = static_cast<bool>(line);
        dirty_after = line && *line.dirty != 0;
    });
    CHECK(l2_after_other == l2_before);
    CHECK(l2_after_clean == l2_before + 1);
    CHECK(still_present);
    CHECK_FALSE(dirty_after);
    CHECK(m.stat("cpu0.l1d.maint.set_way") == 2);
}

TEST_CASE("core: a load from an unmapped VA is a translation fault that ends the program", "[core]") {
    Machine m;
    bool after = false;
    m.run([&](Core& cpu) {
        cpu.load64(0x1000);
        after = true;
    });
    CHECK_FALSE(after);
    CHECK(m.core().fault().find("translation fault at VA 0x1000") != std::string::npos);
    CHECK(m.core().fault().find("data abort") != std::string::npos);
    CHECK(m.stat("cpu0.data_aborts") == 1);
}

TEST_CASE("core: a device load from a hole in the address map is a bus error", "[core]") {
    Machine m;
    bool after = false;
    m.run([&](Core& cpu) {
        cpu.mmu().map(Mmu::vmalloc_base, hole, 4096, MemType::device);
        cpu.load32(Mmu::vmalloc_base + 0x10);
        after = true;
    });
    CHECK_FALSE(after);
    const std::string& fault = m.core().fault();
    CHECK(fault.find("bus error") != std::string::npos);
    CHECK(fault.find("0x40000010") != std::string::npos);
    CHECK(m.stat("cpu0.data_aborts") == 1);
    CHECK(m.stat("bus.address_errors") == 1);
}

TEST_CASE("core: a stream of L1 hits syncs with the kernel once per quantum and not per access", "[core]") {
    Machine m;
    const uint64_t p = dram + 0x600000;
    constexpr uint64_t loads = 100000;
    uint64_t sum = 0;
    m.run([&](Core& cpu) {
        cpu.store64(va(p), 3);
        for (uint64_t i = 0; i < loads; ++i)
            sum += cpu.load64(va(p + (i % 8) * 8));
    });
    CHECK(m.core().fault().empty());
    CHECK(sum == 3 * (loads / 8 + (loads % 8 ? 1 : 0)));
    const uint64_t accesses = m.stat("cpu0.accesses");
    CHECK(accesses == loads + 1);
    const uint64_t syncs = m.stat("cpu0.quantum_syncs");
    const uint64_t quantum_ps = m.core().config().quantum_ps;
    const uint64_t end_ps = sc_core::sc_time_stamp().value();
    CHECK(syncs > 0);
    // One sync per quantum of simulated time (plus the final one), never one per access.
    CHECK(syncs <= end_ps / quantum_ps + 1);
    CHECK(syncs * 500 < accesses);
}

TEST_CASE("core: with a 10 us quantum L1 hits sync under once per 1000 accesses", "[core]") {
    platform::PlatformOptions options;
    options.quantum_ps = 10000000;
    Machine m(options);
    const uint64_t p = dram + 0x600000;
    m.run([&](Core& cpu) {
        for (uint64_t i = 0; i < 100000; ++i)
            cpu.load64(va(p + (i % 64) * 8));
    });
    CHECK(m.core().fault().empty());
    CHECK(m.stat("cpu0.quantum_syncs") < m.stat("cpu0.accesses") / 1000);
    CHECK(m.stat("cpu0.quantum_syncs") > 0);
}

TEST_CASE("core: a non-cacheable mapping of RAM stores straight to DRAM", "[core]") {
    Machine m;
    const uint64_t p = dram + 0x700000;
    const uint64_t nc = Mmu::vmalloc_base + 0x10000;
    uint32_t dram_after_store = 0, loaded = 0;
    uint64_t l1_writes = 1;
    bool cached = true;
    m.run([&](Core& cpu) {
        m.set_dram64(p + 8, 0x5555555555555555);
        cpu.mmu().map(nc, p, 4096, MemType::normal_nc);
        cpu.store32(nc + 4, 0xabcdef01);
        uint64_t word = m.dram64(p);
        dram_after_store = static_cast<uint32_t>(word >> 32);
        l1_writes = m.stat("cpu0.l1d.write_hits") + m.stat("cpu0.l1d.write_misses");
        cached = static_cast<bool>(cpu.l1d().probe(p)) || static_cast<bool>(cpu.outer_cache()->probe(p));
        loaded = cpu.load32(nc + 8);
    });
    CHECK(m.core().fault().empty());
    CHECK(dram_after_store == 0xabcdef01);
    CHECK(l1_writes == 0);
    CHECK_FALSE(cached);
    CHECK(loaded == 0x55555555);
    CHECK(m.stat("cpu0.uncached_writes") == 1);
    CHECK(m.stat("cpu0.uncached_reads") == 1);
    CHECK(m.stat("bus.dram0.writes") == 1);
}

TEST_CASE("core: write-combined stores merge into one burst per line and a barrier drains the rest", "[core]") {
    Machine m;
    const uint64_t p = dram + 0x800000;
    const uint64_t wc = Mmu::vmalloc_base + 0x20000;
    uint64_t bursts_after_full_line = 0, dram_before_dsb = 1, dram_after_dsb = 0, bursts_after_dsb = 0;
    m.run([&](Core& cpu) {
        cpu.mmu().map(wc, p, 4096, MemType::write_combined);
        for (uint64_t i = 0; i < 8; ++i)
            cpu.store64(wc + i * 8, i + 1);  // fills the line: drained as one burst
        bursts_after_full_line = m.stat("cpu0.wc.bursts");
        cpu.store64(wc + 64, 0x99);
        cpu.store64(wc + 72, 0x98);
        dram_before_dsb = m.dram64(p + 64);
        cpu.dsb();
        dram_after_dsb = m.dram64(p + 64);
        bursts_after_dsb = m.stat("cpu0.wc.bursts");
    });
    CHECK(m.core().fault().empty());
    CHECK(bursts_after_full_line == 1);
    CHECK(m.dram64(p) == 1);
    CHECK(m.dram64(p + 56) == 8);
    CHECK(dram_before_dsb == 0);
    CHECK(dram_after_dsb == 0x99);
    CHECK(m.dram64(p + 72) == 0x98);
    CHECK(bursts_after_dsb == 2);  // bytes 0..15 of the second line: one contiguous run
    CHECK(m.stat("cpu0.wc.merged_stores") == 10);
    CHECK(m.stat("cpu0.barriers") == 1);
    CHECK(m.stat("bus.dram0.writes") == 2);
}

TEST_CASE("core: an access straddling two lines counts once and touches both lines", "[core]") {
    Machine m;
    const uint64_t p = dram + 0x200000;
    uint64_t value = 0;
    m.run([&](Core& cpu) {
        cpu.store64(va(p + 60), 0x1122334455667788ULL);
        value = cpu.load64(va(p + 60));
    });
    CHECK(value == 0x1122334455667788ULL);
    CHECK(m.stat("cpu0.accesses") == 2);
    CHECK(m.stat("cpu0.l1d.write_misses") == 2);  // both lines allocated by the one store
    CHECK(m.stat("cpu0.l1d.read_hits") == 2);
}

// The TLB holds many pages at once: each change of the map must reach those it already holds.
TEST_CASE("mmu: retyping, unmapping and removing pages take effect on translations the TLB holds", "[core]") {
    Mmu mmu;
    mmu.add_linear_region(dram, 64 * Mmu::page_size);
    const uint64_t mapped = Mmu::vmalloc_base + 16 * Mmu::page_size;  // TLB entries apart from the linear pages
    mmu.map(mapped, dram + 8 * Mmu::page_size, 2 * Mmu::page_size, MemType::normal_nc);
    models::Translation translation;
    for (uint64_t page = 0; page < 4; ++page)  // all four pages now in the TLB
        REQUIRE(mmu.translate(Mmu::linear_va(dram + page * Mmu::page_size), translation));
    REQUIRE(mmu.translate(mapped + Mmu::page_size + 4, translation));
    CHECK(translation.pa == dram + 9 * Mmu::page_size + 4);
    CHECK(translation.type == MemType::normal_nc);

    mmu.set_linear_type(dram + Mmu::page_size, Mmu::page_size, MemType::normal_nc);
    REQUIRE(mmu.translate(Mmu::linear_va(dram + Mmu::page_size), translation));
    CHECK(translation.type == MemType::normal_nc);
    mmu.remove_linear_range(dram + 2 * Mmu::page_size, Mmu::page_size);
    CHECK_FALSE(mmu.translate(Mmu::linear_va(dram + 2 * Mmu::page_size), translation));
    mmu.unmap(mapped + Mmu::page_size, Mmu::page_size);
    CHECK_FALSE(mmu.translate(mapped + Mmu::page_size, translation));
    REQUIRE(mmu.translate(Mmu::linear_va(dram + 3 * Mmu::page_size), translation));  // untouched pages stay
    CHECK(translation.type == MemType::normal_wb);
    REQUIRE(mmu.translate(mapped, translation));
    CHECK(translation.pa == dram + 8 * Mmu::page_size);
}

// A streaming load sequence under the next-line prefetcher, which goes on while the program keeps
// hitting the lines it prefetched (Cortex-A9 TRM r4p1 7.6.2) and whose linefills run in the
// background (Cortex-A53 TRM 6.6.2): the miss pays the whole fill, the next line only what remains
// of its prefetch, a line whose prefetch has arrived the L1 hit. Every fill reaches DRAM.
TEST_CASE("core: next-line prefetch fills are read from DRAM in the background and demanded lines pay the rest",
          "[core][prefetch]") {
    Machine m({}, {"/cpus/cpu@0:dmasim,prefetch=\"next-line\""});
    const uint64_t p = dram + 0x300000;
    uint64_t miss_ps = 0, in_flight_ps = 0, arrived_ps = 0;
    m.run([&](Core& cpu) {
        cpu.load64(va(p));  // a TLB walk's cost stays out of the measurements below
        uint64_t start = cpu.now_ps();
        cpu.load64(va(p + 0x1000));  // miss: prefetches p + 0x1040 alongside
        miss_ps = cpu.now_ps() - start;
        start = cpu.now_ps();
        cpu.load64(va(p + 0x1040));  // its prefetch is still in flight: prefetches p + 0x1080
        in_flight_ps = cpu.now_ps() - start;
        cpu.compute(1000);  // 1 us: p + 0x1080 has arrived
        start = cpu.now_ps();
        cpu.load64(va(p + 0x1080));
        arrived_ps = cpu.now_ps() - start;
    });
    CHECK(m.core().fault().empty());
    const uint64_t hit_ps = m.core().config().l1_hit_cycles * m.core().config().cycle_ps;
    CHECK(miss_ps > 60000);  // at least DRAM's 60 ns latency
    CHECK(in_flight_ps > hit_ps);
    CHECK(in_flight_ps < miss_ps / 2);
    CHECK(arrived_ps == hit_ps);
    // Prefetched: p+0x40 (after the first miss), p+0x1040, p+0x1080 and p+0x10c0.
    CHECK(m.stat("cpu0.prefetch.issued") == 4);
    CHECK(m.stat("cpu0.l1d.prefetch_fills") == 4);
    CHECK(m.stat("cpu0.l1d.prefetch_useful") == 2);
    CHECK(m.stat("cpu0.l1d.prefetch_late") == 1);
    CHECK(m.stat("cpu0.l1d.read_misses") == 2);
    CHECK(m.stat("bus.dram0.reads") == 2 + 4);  // demand and prefetch fills alike
}
