// Unit tests of models::Cache, the plain-C++ cache array: hits and misses, LRU replacement,
// write-back and write-allocate, maintenance by line and by set/way, prefetch, statistics,
// geometry checks and the byte-accurate stale mask, against a fake backend standing in for memory.
#include "models/cpu/cache.h"

#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <map>
#include <vector>

using models::Cache;
using models::CacheGeometry;
using models::CacheTiming;
using models::Initiator;
using models::InitiatorKind;
using models::Instrumentation;
using models::MaintOp;

namespace {

constexpr uint32_t line = 64;
constexpr uint64_t fetch_ps = 50000;
constexpr uint64_t write_back_ps = 70000;

// The byte a never-written backend line holds at `address`: distinct per address.
uint8_t initial_byte(uint64_t address) { return static_cast<uint8_t>(address * 7 + (address >> 8) + 3); }

// Memory below the cache: lines on demand, with every fetch and write-back counted and recorded.
class FakeBackend : public models::LineBackend {
public:
    struct WriteBack {
        uint64_t line_address;
        std::array<uint8_t, line> data;
        uint64_t dirty;
        uint64_t stale;
    };

    uint64_t fetch_line(uint64_t line_address, uint8_t* data, const Initiator&, uint64_t& delay_ps) override {
        ++fetches;
        fetched.push_back(line_address);
        std::memcpy(data, line_of(line_address).data(), line);
        delay_ps += fetch_ps;
        return stale_on_fetch;
    }

    uint64_t write_back_line(uint64_t line_address, const uint8_t* data, uint64_t dirty, uint64_t stale,
                             const Initiator&, uint64_t& delay_ps) override {
        WriteBack record{line_address, {}, dirty, stale};
        std::memcpy(record.data.data(), data, line);
        write_backs.push_back(record);
        std::memcpy(line_of(line_address).data(), data, line);
        delay_ps += write_back_ps;
        return 0;
    }

    std::array<uint8_t, line>& line_of(uint64_t line_address) {
        auto found = memory.find(line_address);
        if (found == memory.end()) {
            std::array<uint8_t, line> bytes;
            for (uint32_t i = 0; i < line; ++i)
                bytes[i] = initial_byte(line_address + i);
            found = memory.emplace(line_address, bytes).first;
        }
        return found->second;
    }

    uint8_t byte(uint64_t address) { return line_of(address & ~uint64_t(line - 1))[address % line]; }

    std::map<uint64_t, std::array<uint8_t, line>> memory;
    unsigned fetches = 0;
    std::vector<uint64_t> fetched;
    std::vector<WriteBack> write_backs;
    uint64_t stale_on_fetch = 0;
};

// Records on_stale_read; the other callbacks must not happen in these tests.
class FakeObserver : public models::CoherenceObserver {
public:
    struct StaleRead {
        std::string cache;
        uint64_t line_address;
        uint64_t mask;
        InitiatorKind reader;
    };
    void on_stale_read(const std::string& cache, uint64_t line_address, uint64_t stale_bytes, const uint8_t*,
                       const Initiator& reader, uint64_t) override {
        stale_reads.push_back({cache, line_address, stale_bytes, reader.kind});
    }
    void on_lost_write(const std::string&, uint64_t, uint64_t, const uint8_t*, const Initiator&, uint64_t) override {
        ++others;
    }
    void on_mismatched_alias(const std::string&, uint64_t, unsigned, models::MemType, bool, const uint8_t*,
                             const Initiator&, uint64_t) override {
        ++others;
    }
    std::vector<StaleRead> stale_reads;
    int others = 0;
};

// A 512-byte, 2-way cache with 64-byte lines and 4 sets: addresses 0x100 apart share a set.
struct Fixture {
    Instrumentation instr;
    FakeBackend below;
    Cache cache{"t", CacheGeometry{512, line, 4}, CacheTiming{1000, {2000, 2000, 2000}}, instr};
    Initiator cpu{InitiatorKind::core, 0, 0};
    uint64_t delay = 0;

    Fixture() { cache.set_next_level(&below); }

    uint64_t stat(const std::string& name) const { return instr.counter_value("t." + name); }

    bool read(uint64_t pa, void* dst, unsigned length) { return cache.read(pa, dst, length, cpu, delay); }
    bool write(uint64_t pa, const void* src, unsigned length) { return cache.write(pa, src, length, cpu, delay); }
    uint8_t read8(uint64_t pa) {
        uint8_t value = 0;
        read(pa, &value, 1);
        return value;
    }
    void write32(uint64_t pa, uint32_t value) { write(pa, &value, 4); }
    bool present(uint64_t pa) { return static_cast<bool>(cache.probe(pa)); }
};

// Lines of set 0.
constexpr uint64_t A = 0x1000, B = 0x1100, C = 0x1200;
// A line of set 1.
constexpr uint64_t D = 0x1040;

}  // namespace

TEST_CASE("the geometry derives the ways and rejects inconsistent shapes", "[cache]") {
    CHECK(CacheGeometry{32768, 64, 128}.ways() == 4);
    CHECK(CacheGeometry{32768, 64, 128}.check().empty());
    CHECK(CacheGeometry{512, 64, 4}.check().empty());
    CHECK(CacheGeometry{512, 48, 4}.check() == "line size 48 must be a power of two from 8 to 64 bytes");
    CHECK(CacheGeometry{512, 128, 4}.check() == "line size 128 must be a power of two from 8 to 64 bytes");
    CHECK(CacheGeometry{512, 4, 4}.check() == "line size 4 must be a power of two from 8 to 64 bytes");
    CHECK(CacheGeometry{512, 64, 3}.check() == "number of sets 3 must be a power of two");
    CHECK(CacheGeometry{512, 64, 0}.check() == "number of sets 0 must be a power of two");
    CHECK(CacheGeometry{1000, 64, 4}.check() == "size 1000 must be a non-zero multiple of line size x sets = 256");
    CHECK(CacheGeometry{0, 64, 4}.check() == "size 0 must be a non-zero multiple of line size x sets = 256");
}

TEST_CASE("a miss fetches the line from below and a second access hits", "[cache]") {
    Fixture f;
    uint8_t bytes[8];
    CHECK_FALSE(f.read(A + 8, bytes, 8));
    CHECK(f.below.fetches == 1);
    REQUIRE(f.below.fetched.size() == 1);
    CHECK(f.below.fetched[0] == A);  // the whole line, from its first byte
    for (unsigned i = 0; i < 8; ++i)
        CHECK(bytes[i] == initial_byte(A + 8 + i));
    CHECK(f.delay == fetch_ps + 1000);

    f.delay = 0;
    uint8_t again[4];
    CHECK(f.read(A + 60, again, 4));
    CHECK(f.below.fetches == 1);
    CHECK(f.delay == 1000);  // a hit costs the hit time only
    for (unsigned i = 0; i < 4; ++i)
        CHECK(again[i] == initial_byte(A + 60 + i));
    CHECK(f.stat("read_misses") == 1);
    CHECK(f.stat("read_hits") == 1);
    CHECK(f.stat("fills") == 1);
}

TEST_CASE("the least recently used line of a set is the one evicted", "[cache]") {
    Fixture f;
    f.read8(A);
    f.read8(B);
    f.read8(A);  // A is now more recent than B
    f.read8(C);  // the set is full: B goes
    CHECK(f.present(A));
    CHECK_FALSE(f.present(B));
    CHECK(f.present(C));
    CHECK(f.stat("evictions") == 1);
    CHECK(f.below.fetches == 3);

    // A line of another set neither evicts nor is evicted.
    f.read8(D);
    CHECK(f.stat("evictions") == 1);
    f.read8(B);  // set 0 holds A and C, C the more recent: A goes
    CHECK_FALSE(f.present(A));
    CHECK(f.present(B));
    CHECK(f.present(C));
    CHECK(f.present(D));
    CHECK(f.stat("evictions") == 2);
}

TEST_CASE("evicting a dirty line writes back the merged line and a clean one writes nothing", "[cache]") {
    Fixture f;
    f.write32(A + 8, 0xdeadbeef);
    f.read8(B);
    CHECK(f.below.write_backs.empty());
    f.read8(C);  // evicts A, which is dirty
    REQUIRE(f.below.write_backs.size() == 1);
    const FakeBackend::WriteBack& wb = f.below.write_backs[0];
    CHECK(wb.line_address == A);
    CHECK(wb.dirty == models::byte_mask(8, 4));
    uint32_t written;
    std::memcpy(&written, &wb.data[8], 4);
    CHECK(written == 0xdeadbeef);
    for (unsigned i = 0; i < line; ++i)
        if (i < 8 || i >= 12)
            CHECK(wb.data[i] == initial_byte(A + i));
    CHECK(f.stat("write_backs") == 1);
    CHECK(f.stat("evictions") == 1);

    // B and C are clean: evicting them writes nothing.
    f.read8(A);
    f.read8(D);
    f.read8(A + 0x300);
    CHECK(f.stat("evictions") == 3);
    CHECK(f.below.write_backs.size() == 1);
    CHECK(f.stat("write_backs") == 1);
}

TEST_CASE("a write miss allocates: the line is fetched and the written bytes merged", "[cache]") {
    Fixture f;
    uint16_t value = 0xa55a;
    CHECK_FALSE(f.write(A + 6, &value, 2));
    CHECK(f.below.fetches == 1);
    CHECK(f.stat("write_misses") == 1);
    CHECK(f.stat("write_hits") == 0);

    uint8_t bytes[line];
    CHECK(f.read(A, bytes, line));
    CHECK(f.below.fetches == 1);
    for (unsigned i = 0; i < line; ++i) {
        if (i == 6)
            CHECK(bytes[i] == 0x5a);
        else if (i == 7)
            CHECK(bytes[i] == 0xa5);
        else
            CHECK(bytes[i] == initial_byte(A + i));
    }
    auto view = f.cache.probe(A);
    REQUIRE(view);
    CHECK(*view.dirty == models::byte_mask(6, 2));
    CHECK(f.cache.dirty_lines() == 1);

    CHECK(f.write(A + 6, &value, 2));
    CHECK(f.stat("write_hits") == 1);
}

TEST_CASE("clean by line writes back and keeps the line and a second clean writes nothing", "[cache]") {
    Fixture f;
    f.write32(A + 16, 0x01020304);
    f.cache.maintain_line(MaintOp::clean, A + 40, f.cpu, f.delay);  // any address within the line
    REQUIRE(f.below.write_backs.size() == 1);
    CHECK(f.below.write_backs[0].line_address == A);
    CHECK(f.below.write_backs[0].dirty == models::byte_mask(16, 4));
    CHECK(f.below.byte(A + 16) == 0x04);
    auto view = f.cache.probe(A);
    REQUIRE(view);
    CHECK(*view.dirty == 0);
    CHECK(f.cache.dirty_lines() == 0);

    f.cache.maintain_line(MaintOp::clean, A, f.cpu, f.delay);
    CHECK(f.below.write_backs.size() == 1);
    CHECK(f.stat("maint.clean") == 2);

    CHECK(f.read8(A + 17) == 0x03);  // still a hit on the kept line
    CHECK(f.below.fetches == 1);
    CHECK(f.stat("read_hits") == 1);
}

TEST_CASE("invalidate by line discards dirty data and the next read refetches memory's bytes", "[cache]") {
    Fixture f;
    f.write32(A, 0xffffffff);
    f.cache.maintain_line(MaintOp::invalidate, A, f.cpu, f.delay);
    CHECK(f.below.write_backs.empty());
    CHECK_FALSE(f.present(A));
    CHECK(f.cache.dirty_lines() == 0);
    CHECK(f.stat("maint.invalidate") == 1);

    CHECK(f.read8(A) == initial_byte(A));
    CHECK(f.read8(A + 3) == initial_byte(A + 3));
    CHECK(f.below.fetches == 2);

    // Invalidating a line that is absent does nothing but cost time.
    uint64_t before = f.delay;
    f.cache.maintain_line(MaintOp::invalidate, B, f.cpu, f.delay);
    CHECK(f.delay == before + 2000);
    CHECK(f.present(A));
}

TEST_CASE("clean+invalidate by line writes back then drops the line", "[cache]") {
    Fixture f;
    f.write32(A + 4, 0x11223344);
    f.cache.maintain_line(MaintOp::clean_invalidate, A, f.cpu, f.delay);
    REQUIRE(f.below.write_backs.size() == 1);
    CHECK(f.below.write_backs[0].line_address == A);
    CHECK_FALSE(f.present(A));
    CHECK(f.stat("maint.clean_invalidate") == 1);

    uint32_t value = 0;
    CHECK_FALSE(f.read(A + 4, &value, 4));
    CHECK(value == 0x11223344);  // from memory, which the write-back updated
    CHECK(f.below.fetches == 2);
}

TEST_CASE("maintenance by set/way acts on that one line only", "[cache]") {
    Fixture f;
    f.write32(A, 0xaaaaaaaa);  // set 0, way 0 (the first empty way)
    f.write32(B, 0xbbbbbbbb);  // set 0, way 1
    f.write32(D, 0xdddddddd);  // set 1, way 0

    f.cache.maintain_set_way(MaintOp::clean_invalidate, 0, 1, f.cpu, f.delay);
    REQUIRE(f.below.write_backs.size() == 1);
    CHECK(f.below.write_backs[0].line_address == B);
    CHECK_FALSE(f.present(B));
    CHECK(f.present(A));
    CHECK(f.present(D));
    CHECK(f.cache.dirty_lines() == 2);

    f.cache.maintain_set_way(MaintOp::clean, 1, 0, f.cpu, f.delay);
    REQUIRE(f.below.write_backs.size() == 2);
    CHECK(f.below.write_backs[1].line_address == D);
    CHECK(f.present(D));
    CHECK(f.cache.dirty_lines() == 1);

    f.cache.maintain_set_way(MaintOp::invalidate, 0, 0, f.cpu, f.delay);
    CHECK_FALSE(f.present(A));
    CHECK(f.below.write_backs.size() == 2);  // A's dirty data is discarded
    CHECK(f.cache.dirty_lines() == 0);

    // Out-of-range operands are ignored.
    f.write32(C, 1);
    f.cache.maintain_set_way(MaintOp::clean_invalidate, 4, 0, f.cpu, f.delay);
    f.cache.maintain_set_way(MaintOp::clean_invalidate, 0, 2, f.cpu, f.delay);
    CHECK(f.present(C));
    CHECK(f.below.write_backs.size() == 2);
    CHECK(f.stat("maint.set_way") == 5);
}

TEST_CASE("prefetch fills a clean line once and reports a line already present", "[cache]") {
    Fixture f;
    CHECK(f.cache.prefetch(A + 12, f.cpu, f.delay));
    CHECK(f.below.fetches == 1);
    CHECK(f.stat("prefetch_fills") == 1);
    CHECK(f.stat("fills") == 0);
    auto view = f.cache.probe(A);
    REQUIRE(view);
    CHECK(*view.dirty == 0);

    CHECK_FALSE(f.cache.prefetch(A, f.cpu, f.delay));
    CHECK(f.below.fetches == 1);
    CHECK(f.stat("prefetch_fills") == 1);

    CHECK(f.read8(A + 12) == initial_byte(A + 12));
    CHECK(f.stat("read_hits") == 1);
    CHECK(f.below.fetches == 1);

    f.write32(B, 5);
    CHECK_FALSE(f.cache.prefetch(B, f.cpu, f.delay));  // present and dirty: left alone
    CHECK(f.cache.dirty_lines() == 1);
}

TEST_CASE("a prefetched line that is never used is the next victim of its set", "[cache]") {
    Fixture f;
    f.read8(A);                                  // way 0, used
    CHECK(f.cache.prefetch(B, f.cpu, f.delay));  // way 1, not used
    f.read8(C);                                  // must evict the unused prefetch, not A
    CHECK(f.present(A));
    CHECK_FALSE(f.present(B));
    CHECK(f.present(C));
}

// Cortex-A53 TRM (DDI 0500D) 6.6.1-6.6.2: PLD and the automatic prefetcher start linefills "in the
// background"; the requester goes on at once.
TEST_CASE("prefetch: the fill goes to the level below but the requester is not charged for it", "[cache][prefetch]") {
    Fixture f;
    f.delay = 3000;
    CHECK(f.cache.prefetch(A, f.cpu, f.delay));
    CHECK(f.below.fetches == 1);  // the level below (memory) served a fill, as for a demand miss
    CHECK(f.delay == 3000);       // issued, not waited for
}

// Cortex-A72 TRM 7.4: a demand for a line a prefetch is fetching is served as the data returns.
TEST_CASE("prefetch: a demand while the fill is in flight pays the rest of the fill and the hit", "[cache][prefetch]") {
    Fixture f;
    CHECK(f.cache.prefetch(A, f.cpu, f.delay));  // issued at 0, arrives at fetch_ps
    f.delay = 20000;
    CHECK(f.read8(A + 8) == initial_byte(A + 8));  // a hit, on a line still arriving
    CHECK(f.delay == fetch_ps + 1000);
    CHECK(f.stat("prefetch_useful") == 1);
    CHECK(f.stat("prefetch_late") == 1);
    CHECK(f.stat("read_hits") == 1);
    CHECK(f.stat("read_misses") == 0);
    CHECK(f.below.fetches == 1);
}

TEST_CASE("prefetch: a demand after the fill arrived pays the hit latency only", "[cache][prefetch]") {
    Fixture f;
    CHECK(f.cache.prefetch(A, f.cpu, f.delay));
    f.delay = fetch_ps + 5000;
    CHECK(f.read8(A + 3) == initial_byte(A + 3));
    CHECK(f.delay == fetch_ps + 5000 + 1000);
    CHECK(f.stat("prefetch_useful") == 1);
    CHECK(f.stat("prefetch_late") == 0);
}

TEST_CASE("prefetch: only the first demand of a prefetched line counts it useful and reports it", "[cache][prefetch]") {
    Fixture f;
    CHECK(f.cache.prefetch(A, f.cpu, f.delay));
    CHECK_FALSE(f.cache.take_prefetched_hit());
    f.read8(A);
    CHECK(f.cache.take_prefetched_hit());
    CHECK_FALSE(f.cache.take_prefetched_hit());  // taken once
    f.read8(D);
    f.write32(A, 1);  // a later demand of the same line: an ordinary hit
    CHECK_FALSE(f.cache.take_prefetched_hit());
    CHECK(f.stat("prefetch_useful") == 1);
    CHECK(f.stat("prefetch_useless") == 0);
}

TEST_CASE("prefetch: a prefetched line evicted or invalidated unused is counted useless", "[cache][prefetch]") {
    Fixture f;
    f.read8(A);                                  // way 0, used
    CHECK(f.cache.prefetch(B, f.cpu, f.delay));  // way 1, never demanded
    f.read8(C);                                  // evicts B
    CHECK_FALSE(f.present(B));
    CHECK(f.stat("prefetch_useless") == 1);
    CHECK(f.stat("prefetch_useful") == 0);

    CHECK(f.cache.prefetch(D, f.cpu, f.delay));
    f.cache.maintain_line(MaintOp::invalidate, D, f.cpu, f.delay);
    CHECK(f.stat("prefetch_useless") == 2);
    f.cache.maintain_line(MaintOp::clean, D, f.cpu, f.delay);  // gone: nothing more to count
    f.read8(D);                                                // a demand miss now, not a prefetch use
    CHECK(f.stat("prefetch_useful") == 0);
    CHECK(f.stat("prefetch_useless") == 2);
    CHECK(f.stat("prefetch_fills") == 2);
}

TEST_CASE("prefetch: a dirty victim's write-back is charged to the requester as on a demand fill",
          "[cache][prefetch]") {
    Fixture f;
    f.write32(A, 1);
    f.write32(B, 2);  // set 0 full of dirty lines; A least recently used
    f.delay = 0;
    CHECK(f.cache.prefetch(C, f.cpu, f.delay));
    REQUIRE(f.below.write_backs.size() == 1);
    CHECK(f.below.write_backs[0].line_address == A);
    CHECK(f.delay == write_back_ps);  // the write-back, not the fill
    f.read8(C);                       // the fill started after the write-back
    CHECK(f.delay == write_back_ps + fetch_ps + 1000);
}

TEST_CASE("prefetch: write-backs the fill causes in the level below are charged to the requester",
          "[cache][prefetch]") {
    Instrumentation instr;
    FakeBackend memory;
    Cache l2{"l2", CacheGeometry{512, line, 4}, CacheTiming{8000, {2000, 2000, 2000}}, instr};
    Cache l1{"l1", CacheGeometry{256, line, 4}, CacheTiming{1000, {2000, 2000, 2000}}, instr};
    l2.set_next_level(&memory);
    l1.set_next_level(&l2);
    Initiator cpu{InitiatorKind::core, 0, 0};
    uint64_t delay = 0;
    uint32_t value = 7;
    l2.write(A, &value, 4, cpu, delay);
    l2.write(B, &value, 4, cpu, delay);  // the L2's set 0 full of dirty lines
    delay = 0;
    CHECK(l1.prefetch(C, cpu, delay));  // the L2 must evict A to fill C
    REQUIRE(memory.write_backs.size() == 1);
    CHECK(delay == write_back_ps);
    CHECK(l1.write_back_time_ps() == write_back_ps);  // counted once, by the level that wrote back
    uint8_t byte = 0;
    l1.read(C, &byte, 1, cpu, delay);
    CHECK(delay == write_back_ps + fetch_ps + 8000 + 1000);  // then the fill through the L2, then the hit
    CHECK(instr.counter_value("l1.prefetch_late") == 1);
}

TEST_CASE("the cache's statistics count each kind of access under its name", "[cache]") {
    Fixture f;
    f.read8(A);       // read miss, fill
    f.read8(A + 1);   // read hit
    f.write32(A, 1);  // write hit
    f.write32(B, 2);  // write miss, fill
    f.write32(C, 3);  // write miss, fill, evicts A (dirty): write-back
    f.cache.maintain_line(MaintOp::clean, B, f.cpu, f.delay);
    CHECK(f.stat("read_misses") == 1);
    CHECK(f.stat("read_hits") == 1);
    CHECK(f.stat("write_hits") == 1);
    CHECK(f.stat("write_misses") == 2);
    CHECK(f.stat("fills") == 3);
    CHECK(f.stat("evictions") == 1);
    CHECK(f.stat("write_backs") == 2);
    CHECK(f.stat("maint.clean") == 1);
    CHECK(f.instr.counter_value("other.read_hits") == 0);
    CHECK(f.instr.counters().count("t.prefetch_fills") == 1);
}

TEST_CASE("as a next level the cache takes whole written-back lines without fetching", "[cache]") {
    Fixture f;
    uint8_t data[line];
    for (unsigned i = 0; i < line; ++i)
        data[i] = static_cast<uint8_t>(0x80 + i);
    CHECK(f.cache.write_back_line(A, data, models::byte_mask(0, 8), 0, f.cpu, f.delay) == 0);
    CHECK(f.below.fetches == 0);
    CHECK(f.stat("write_misses") == 1);
    auto view = f.cache.probe(A);
    REQUIRE(view);
    CHECK(*view.dirty == models::byte_mask(0, 8));
    CHECK(std::memcmp(view.data, data, line) == 0);

    uint8_t out[line] = {};
    f.cache.fetch_line(A, out, f.cpu, f.delay);
    CHECK(std::memcmp(out, data, line) == 0);
    CHECK(f.stat("read_hits") == 1);
    CHECK(f.below.fetches == 0);

    // Its own eviction writes the line on down.
    f.read8(B);
    f.read8(C);
    REQUIRE(f.below.write_backs.size() == 1);
    CHECK(f.below.write_backs[0].line_address == A);
    CHECK(f.below.write_backs[0].data[5] == 0x85);
}

TEST_CASE("a read of stale bytes is reported byte-accurately and a CPU write makes bytes current", "[cache]") {
    Fixture f;
    FakeObserver observer;
    f.cache.set_observer(&observer);
    f.read8(A);  // fill
    auto view = f.cache.probe(A);
    REQUIRE(view);
    *view.stale = models::byte_mask(8, 8);  // a device wrote bytes 8..15 to memory since

    uint8_t bytes[8];
    f.read(A, bytes, 8);  // bytes 0..7: current
    f.read(A + 16, bytes, 8);
    CHECK(observer.stale_reads.empty());

    f.read(A + 6, bytes, 4);  // bytes 6..9: 8 and 9 are stale
    REQUIRE(observer.stale_reads.size() == 1);
    CHECK(observer.stale_reads[0].cache == "t");
    CHECK(observer.stale_reads[0].line_address == A);
    CHECK(observer.stale_reads[0].mask == models::byte_mask(8, 2));
    CHECK(observer.stale_reads[0].reader == InitiatorKind::core);

    uint16_t value = 0x1234;
    f.write(A + 8, &value, 2);  // the CPU's bytes 8, 9 are now the newest
    CHECK(*f.cache.probe(A).stale == models::byte_mask(10, 6));
    f.read(A + 8, bytes, 2);
    CHECK(observer.stale_reads.size() == 1);
    f.read(A + 8, bytes, 4);
    REQUIRE(observer.stale_reads.size() == 2);
    CHECK(observer.stale_reads[1].mask == models::byte_mask(10, 2));
    CHECK(observer.others == 0);
}

TEST_CASE("the stale mask delivered by the level below follows the line", "[cache]") {
    Fixture f;
    FakeObserver observer;
    f.cache.set_observer(&observer);
    f.below.stale_on_fetch = models::byte_mask(32, 4);
    f.read8(A);
    CHECK(observer.stale_reads.empty());
    CHECK(*f.cache.probe(A).stale == models::byte_mask(32, 4));
    f.read8(A + 35);
    REQUIRE(observer.stale_reads.size() == 1);
    CHECK(observer.stale_reads[0].mask == models::byte_mask(35, 1));
    // Invalidation forgets the mask along with the line.
    f.below.stale_on_fetch = 0;
    f.cache.maintain_line(MaintOp::invalidate, A, f.cpu, f.delay);
    f.read8(A + 35);
    CHECK(observer.stale_reads.size() == 1);
}

TEST_CASE("each maintenance operation costs its own time per line", "[cache]") {
    Instrumentation instr;
    FakeBackend below;
    Cache cache{"t", CacheGeometry{512, line, 4}, CacheTiming{1000, {3000, 5000, 7000}}, instr};
    cache.set_next_level(&below);
    Initiator cpu{InitiatorKind::core, 0, 0};
    uint64_t clean = 0, invalidate = 0, flush = 0;
    cache.maintain_line(MaintOp::clean, 0x0, cpu, clean);  // absent lines: the visit alone
    cache.maintain_line(MaintOp::invalidate, 0x0, cpu, invalidate);
    cache.maintain_line(MaintOp::clean_invalidate, 0x0, cpu, flush);
    CHECK(clean == 3000);
    CHECK(invalidate == 5000);
    CHECK(flush == 7000);
}
