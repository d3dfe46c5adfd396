// dmasim_bench: simulated cache accesses per second against a plain C++ cache model of the same
// geometry compiled into this binary (DESIGN.md, "Performance"). Benchmarks report; they never
// assert a target, so the exit status is 0 unless a run crashed or computed a wrong result.
//
// SystemC allows one elaboration per process, so the parent process runs the reference in
// process and re-executes this binary once per simulated case and repetition
// (`dmasim_bench --case a-monitor-on`), reading one RESULT line from the child's stdout.
//
// Workloads (each preceded by an untimed warm-up that writes a pattern over the buffer, identical
// in the simulator and the reference, so that both compute the same checksum):
//   a  64-bit loads sweeping a 16 KiB buffer, repeated (L1 hits)
//   b  64-bit accesses, 1/4 of them stores, at xorshift-random addresses over 1 MiB (L1 + L2)
//   d  DMA through the SMMU with a warm IOTLB against the same DMA without it, both measured in the
//      child (bench_iommu.h): its "reference" is the DMA without the SMMU
// and the 8051 case, mcs51: models::Mcs51's instructions per second against s51's on an SDCC-built
// workload, both measured in the parent (bench_mcs51.h).

#include "bench_iommu.h"
#include "bench_mcs51.h"
#include "models/common/instrumentation.h"
#include "models/cpu/core.h"
#include "models/cpu/mmu.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <sys/wait.h>
#include <systemc>
#include <unistd.h>
#include <vector>

namespace {

constexpr uint64_t dram_base = 0x80000000;  // memory@80000000 in arm-noncoherent.dts
constexpr uint64_t kib = 1024, mib = 1024 * kib;
constexpr uint64_t a_buffer = 16 * kib;
constexpr uint64_t b_buffer = 1 * mib;
constexpr uint64_t a_default_accesses = 20'000'000;
constexpr uint64_t b_default_accesses = 5'000'000;
constexpr uint64_t d_default_bytes = 64ULL << 20;           // moved by each side of the DMA case
constexpr uint64_t mcs51_default_instructions = 4'000'000;  // run by s51; dmasim runs ten times as many

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// ---------------------------------------------------------------------------------------------
// The reference: a straightforward data-holding cache model. Write-back, write-allocate, LRU by
// use stamp, one dirty flag per line; the last level reads and writes a std::vector "DRAM".

class RefCache {
public:
    RefCache(uint32_t size, uint32_t ways, uint32_t line, RefCache* next, std::vector<uint8_t>& dram)
        : ways_(ways), line_(line), shift_(__builtin_ctz(line)), set_mask_(size / (ways * line) - 1), next_(next),
          dram_(dram), tags_(size_t(set_mask_ + 1) * ways, ~0ULL), lru_(tags_.size(), 0), dirty_(tags_.size(), 0),
          data_(size) {}  // line and size / (ways * line) are powers of two

    void read(uint64_t addr, void* dst, unsigned len) {
        size_t i = lookup(addr);
        std::memcpy(dst, &data_[i * line_ + (addr & (line_ - 1))], len);
    }
    void write(uint64_t addr, const void* src, unsigned len) {
        size_t i = lookup(addr);
        std::memcpy(&data_[i * line_ + (addr & (line_ - 1))], src, len);
        dirty_[i] = 1;
    }
    void fetch_line(uint64_t addr, uint8_t* dst) {  // a fill of the level above
        size_t i = lookup(addr);
        std::memcpy(dst, &data_[i * line_], line_);
    }
    void write_back_line(uint64_t addr, const uint8_t* src) {  // a whole line: no fill on a miss
        size_t i = find(addr >> shift_);
        if (i == npos)
            i = victim(addr >> shift_);
        lru_[i] = ++clock_;
        std::memcpy(&data_[i * line_], src, line_);
        dirty_[i] = 1;
    }
    uint64_t hits = 0, misses = 0;

private:
    static constexpr size_t npos = ~size_t(0);
    size_t find(uint64_t tag) const {
        size_t base = size_t(tag & set_mask_) * ways_;
        for (size_t i = base; i < base + ways_; ++i)
            if (tags_[i] == tag)
                return i;
        return npos;
    }
    size_t victim(uint64_t tag) {  // evicts the LRU way (writing it back if dirty), retags it
        size_t base = size_t(tag & set_mask_) * ways_, v = base;
        for (size_t i = base + 1; i < base + ways_; ++i)
            if (lru_[i] < lru_[v])
                v = i;
        if (tags_[v] != ~0ULL && dirty_[v]) {
            uint64_t old = tags_[v] << shift_;
            if (next_)
                next_->write_back_line(old, &data_[v * line_]);
            else
                std::memcpy(&dram_[old - dram_base], &data_[v * line_], line_);
        }
        tags_[v] = tag;
        dirty_[v] = 0;
        return v;
    }
    size_t lookup(uint64_t addr) {
        uint64_t tag = addr >> shift_;
        size_t i = find(tag);
        if (i != npos) {
            ++hits;
        } else {
            ++misses;
            i = victim(tag);
            uint64_t base = tag << shift_;
            if (next_)
                next_->fetch_line(base, &data_[i * line_]);
            else
                std::memcpy(&data_[i * line_], &dram_[base - dram_base], line_);
        }
        lru_[i] = ++clock_;
        return i;
    }

    uint32_t ways_, line_, shift_, set_mask_;
    RefCache* next_;
    std::vector<uint8_t>& dram_;
    std::vector<uint64_t> tags_, lru_;
    std::vector<uint8_t> dirty_, data_;
    uint64_t clock_ = 0;
};

struct RefSystem {
    std::vector<uint8_t> dram = std::vector<uint8_t>(4 * mib);
    RefCache l2{512 * kib, 8, 64, nullptr, dram};
    RefCache l1{32 * kib, 4, 64, &l2, dram};

    uint64_t load64(uint64_t pa) {
        uint64_t value;
        l1.read(pa, &value, sizeof value);
        return value;
    }
    void store64(uint64_t pa, uint64_t value) { l1.write(pa, &value, sizeof value); }
};

// ---------------------------------------------------------------------------------------------
// The workloads, written once against an "address -> access" interface so that the simulator
// (VA in the linear map) and the reference (PA) run exactly the same stream.

uint64_t pattern(uint64_t offset) { return offset * 0x9e3779b97f4a7c15ULL ^ 0x5bd1e995ULL; }

template <typename Load, typename Store>
void warm_up(uint64_t buffer, Load&&, Store&& store) {
    for (uint64_t offset = 0; offset < buffer; offset += 8)
        store(offset, pattern(offset));
}

template <typename Load, typename Store>
uint64_t workload_a(uint64_t accesses, Load&& load, Store&&) {
    uint64_t sum = 0;
    for (uint64_t done = 0; done < accesses; done += a_buffer / 8)
        for (uint64_t offset = 0; offset < a_buffer; offset += 8)
            sum += load(offset);
    return sum;
}

template <typename Load, typename Store>
uint64_t workload_b(uint64_t accesses, Load&& load, Store&& store) {
    uint64_t sum = 0, x = 0x2545f4914f6cdd1dULL;  // fixed seed
    for (uint64_t done = 0; done < accesses; ++done) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t offset = x & (b_buffer - 8);
        if ((x >> 62) == 0)
            store(offset, x);
        else
            sum += load(offset);
    }
    return sum;
}

// Accesses a workload really performs for a requested count (workload a runs whole sweeps).
uint64_t rounded_accesses(char workload, uint64_t requested) {
    if (workload == 'a') {
        uint64_t per_sweep = a_buffer / 8;
        return std::max<uint64_t>(1, (requested + per_sweep / 2) / per_sweep) * per_sweep;
    }
    return requested;
}

struct Measurement {
    uint64_t accesses = 0;
    double seconds = 0;
    uint64_t checksum = 0;
    uint64_t syncs = 0;  // simulated only: SystemC waits in the timed phase
    uint64_t core_accesses = 0;
    double ref_seconds = 0;  // the DMA case's reference, measured in the child (0 for the others)
    uint64_t ref_checksum = 0;
};

template <typename Load, typename Store>
Measurement run_workload(char workload, uint64_t accesses, Load&& load, Store&& store) {
    Measurement m;
    m.accesses = accesses;
    warm_up(workload == 'a' ? a_buffer : b_buffer, load, store);
    Clock::time_point start = Clock::now();
    m.checksum = workload == 'a' ? workload_a(accesses, load, store) : workload_b(accesses, load, store);
    m.seconds = seconds_since(start);
    return m;
}

Measurement run_reference(char workload, uint64_t accesses) {
    RefSystem ref;
    return run_workload(
        workload, accesses, [&](uint64_t offset) { return ref.load64(dram_base + offset); },
        [&](uint64_t offset, uint64_t value) { ref.store64(dram_base + offset, value); });
}

// The one line a child prints for the parent.
void print_result(const std::string& name, const Measurement& m) {
    std::printf("RESULT case=%s accesses=%llu seconds=%.9f syncs=%llu core_accesses=%llu checksum=%llx "
                "ref_seconds=%.9f ref_checksum=%llx\n",
                name.c_str(), static_cast<unsigned long long>(m.accesses), m.seconds,
                static_cast<unsigned long long>(m.syncs), static_cast<unsigned long long>(m.core_accesses),
                static_cast<unsigned long long>(m.checksum), m.ref_seconds,
                static_cast<unsigned long long>(m.ref_checksum));
    std::fflush(stdout);
}

// ---------------------------------------------------------------------------------------------
// Child: one simulated case in this process's single elaboration.

struct Case {
    std::string name;
    char workload;
    bool monitor;
};

const std::vector<Case>& all_cases() {
    static const std::vector<Case> cases{
        {"a-monitor-on", 'a', true},   {"a-monitor-off", 'a', false}, {"b-monitor-on", 'b', true},
        {"b-monitor-off", 'b', false}, {"dma-iommu", 'd', true},
    };
    return cases;
}

struct Options {
    std::string case_name;  // set in a child
    double scale = 1.0;
    int repeats = 5;
};

uint64_t requested_accesses(char workload, double scale) {
    double base = workload == 'a' ? a_default_accesses : workload == 'b' ? b_default_accesses : d_default_bytes;
    return rounded_accesses(workload, std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(base * scale))));
}

int run_child(const Options& options) {
    auto found = std::find_if(all_cases().begin(), all_cases().end(),
                              [&](const Case& c) { return c.name == options.case_name; });
    if (found == all_cases().end()) {
        std::cerr << "dmasim_bench: unknown case " << options.case_name << "\n";
        return 2;
    }
    const Case& c = *found;
    uint64_t accesses = requested_accesses(c.workload, options.scale);
    if (c.workload == 'd') {
        IommuDmaMeasurement dma = run_iommu_dma(accesses);
        if (dma.timed_walks) {
            std::cerr << "dmasim_bench: " << c.name << ": " << dma.timed_walks << " walks: the IOTLB was not warm\n";
            return 1;
        }
        Measurement m;
        m.accesses = dma.bytes;
        m.seconds = dma.iommu_seconds;
        m.checksum = dma.iommu_checksum;
        m.ref_seconds = dma.direct_seconds;
        m.ref_checksum = dma.direct_checksum;
        print_result(c.name, m);
        return 0;
    }

    models::Instrumentation instr;
    platform::DeviceTree tree = platform::DeviceTree::load(DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts");
    platform::PlatformOptions platform_options;
    platform_options.monitor = c.monitor;
    platform::Platform platform(tree, platform_options, instr);

    Measurement m;
    platform.core().set_program([&](models::Core& core) {
        auto load = [&](uint64_t offset) { return core.load64(models::Mmu::linear_va(dram_base + offset)); };
        auto store = [&](uint64_t offset, uint64_t value) {
            core.store64(models::Mmu::linear_va(dram_base + offset), value);
        };
        warm_up(c.workload == 'a' ? a_buffer : b_buffer, load, store);
        uint64_t syncs0 = instr.counter_value("cpu0.quantum_syncs");
        uint64_t accesses0 = instr.counter_value("cpu0.accesses");
        Clock::time_point start = Clock::now();
        m.checksum = c.workload == 'a' ? workload_a(accesses, load, store) : workload_b(accesses, load, store);
        m.seconds = seconds_since(start);
        m.accesses = accesses;
        m.syncs = instr.counter_value("cpu0.quantum_syncs") - syncs0;
        m.core_accesses = instr.counter_value("cpu0.accesses") - accesses0;
    });
    sc_core::sc_start();

    if (!platform.core().fault().empty()) {
        std::cerr << "dmasim_bench: " << c.name << ": " << platform.core().fault() << "\n";
        return 1;
    }
    if (!platform.core().finished() || m.accesses == 0) {
        std::cerr << "dmasim_bench: " << c.name << ": the program did not finish\n";
        return 1;
    }
    print_result(c.name, m);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Parent: spawns the children, runs the reference, prints the table.

std::string self_path;

// Runs `self --case name --scale s`; false (with a message) if it crashed or printed no result.
bool spawn_case(const Case& c, const Options& options, Measurement& out) {
    int fds[2];
    if (pipe(fds) != 0) {
        std::perror("dmasim_bench: pipe");
        return false;
    }
    std::string scale = std::to_string(options.scale);
    pid_t pid = fork();
    if (pid < 0) {
        std::perror("dmasim_bench: fork");
        return false;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        const char* argv[] = {self_path.c_str(), "--case", c.name.c_str(), "--scale", scale.c_str(), nullptr};
        execv(self_path.c_str(), const_cast<char* const*>(argv));
        std::perror("dmasim_bench: exec");
        _exit(127);
    }
    close(fds[1]);
    std::string output;
    char buffer[4096];
    for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) != 0;) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        output.append(buffer, static_cast<size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::cerr << "dmasim_bench: case " << c.name << " failed ("
                  << (WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                          : "exit status " + std::to_string(WEXITSTATUS(status)))
                  << ")\n";
        return false;
    }
    size_t at = output.find("RESULT ");
    unsigned long long accesses = 0, syncs = 0, core_accesses = 0, checksum = 0, ref_checksum = 0;
    double seconds = 0, ref_seconds = 0;
    char name[64];
    if (at == std::string::npos ||
        std::sscanf(output.c_str() + at,
                    "RESULT case=%63s accesses=%llu seconds=%lf syncs=%llu core_accesses=%llu checksum=%llx "
                    "ref_seconds=%lf ref_checksum=%llx",
                    name, &accesses, &seconds, &syncs, &core_accesses, &checksum, &ref_seconds, &ref_checksum) != 8) {
        std::cerr << "dmasim_bench: case " << c.name << ": no result line in its output:\n" << output;
        return false;
    }
    out = Measurement{accesses, seconds, checksum, syncs, core_accesses, ref_seconds, ref_checksum};
    return true;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int run_parent(const Options& options) {
    struct Row {
        const Case* c;
        std::vector<double> rates;      // simulated accesses per second, one per repetition
        std::vector<double> ref_rates;  // the reference run just before each of them
        std::vector<double> ratios;     // rates[i] / ref_rates[i]
        Measurement last, last_ref;
        bool ok = true;
    };
    std::vector<Row> rows;
    for (const Case& c : all_cases())
        rows.push_back(Row{&c, {}, {}, {}, {}, {}, true});
    bool failed = false;
    // The 8051 case: rates in instructions per second.
    std::vector<double> mcs51_rates, s51_rates, mcs51_ratios;
    Mcs51Measurement mcs51_last;
    uint64_t mcs51_instructions = std::max<uint64_t>(1000,
                                                     static_cast<uint64_t>(std::llround(mcs51_default_instructions *
                                                                                        options.scale)));

    Clock::time_point start = Clock::now();
    // Each simulated run is paired with a reference run just before it, and the repetitions
    // interleave the cases, so that a slow phase of a shared host weighs on both sides of a ratio.
    for (int rep = 0; rep < options.repeats; ++rep) {
        for (Row& row : rows) {
            if (!row.ok)
                continue;
            char workload = row.c->workload;
            Measurement ref, m;
            if (workload != 'd')  // the DMA case measures its reference in the child
                ref = run_reference(workload, requested_accesses(workload, options.scale));
            if (!spawn_case(*row.c, options, m)) {
                row.ok = false;
                failed = true;
                continue;
            }
            if (workload == 'd')
                ref = Measurement{m.accesses, m.ref_seconds, m.ref_checksum, 0, 0, 0, 0};
            row.rates.push_back(m.accesses / m.seconds);
            row.ref_rates.push_back(ref.accesses / ref.seconds);
            row.ratios.push_back(row.rates.back() / row.ref_rates.back());
            row.last = m;
            row.last_ref = ref;
        }
        if (mcs51_last.error.empty()) {
            mcs51_last = run_mcs51(DMASIM_MCS51_WORKLOAD, DMASIM_S51, mcs51_instructions);
            if (mcs51_last.error.empty()) {
                mcs51_rates.push_back(mcs51_last.dmasim_instructions / mcs51_last.dmasim_seconds);
                s51_rates.push_back(mcs51_last.s51_instructions / mcs51_last.s51_seconds);
                mcs51_ratios.push_back(mcs51_rates.back() / s51_rates.back());
            }
        }
    }

    std::printf("\ndmasim_bench: host accesses per second, arm-noncoherent.dts vs a plain C++ cache model; medians of "
                "%d paired runs\n",
                options.repeats);
    std::printf("  a: 64-bit loads sweeping 16 KiB (L1 hits), %llu accesses\n",
                static_cast<unsigned long long>(requested_accesses('a', options.scale)));
    std::printf("  b: 64-bit random accesses (1/4 stores) over 1 MiB (L1 32 KiB + L2 512 KiB), %llu accesses\n",
                static_cast<unsigned long long>(requested_accesses('b', options.scale)));
    std::printf("  d: DMA in 64-byte bursts through the SMMU (warm IOTLB) vs the same DMA without it, monitor on, "
                "%llu bytes each: bytes per second, ns per burst\n\n",
                static_cast<unsigned long long>(requested_accesses('d', options.scale)));
    std::printf("%-14s %11s %11s %7s %7s %4s %16s %8s %8s\n", "case", "sim acc/s", "ref acc/s", "ratio", "target",
                "met", "switches/1000", "sim ns", "ref ns");
    for (const Row& row : rows) {
        bool dma = row.c->workload == 'd';
        double target = row.c->workload == 'b' ? 0.5 : 0.8;
        if (!row.ok) {
            std::printf("%-14s %11s\n", row.c->name.c_str(), "FAILED");
            continue;
        }
        double sim = median(row.rates), ref = median(row.ref_rates), ratio = median(row.ratios);
        double switches = row.last.core_accesses ? 1000.0 * row.last.syncs / row.last.core_accesses : 0.0;
        char target_text[16], switches_text[32];
        std::snprintf(target_text, sizeof target_text, ">=%.1f", target);
        if (dma)
            std::snprintf(switches_text, sizeof switches_text, "-");
        else
            std::snprintf(switches_text, sizeof switches_text, "%9.3f (<1 %s)", switches,
                          switches < 1.0 ? "yes" : "no");
        double unit_ns = dma ? 64e9 : 1e9;  // per burst or per access
        std::printf("%-14s %11.4g %11.4g %7.3f %7s %4s %16s %8.2f %8.2f\n", row.c->name.c_str(), sim, ref, ratio,
                    target_text, ratio >= target ? "yes" : "no", switches_text, unit_ns / sim, unit_ns / ref);
        if (row.last.checksum != row.last_ref.checksum) {
            std::printf("  %s: CHECKSUM MISMATCH: simulated %llx, reference %llx (the two models disagree)\n",
                        row.c->name.c_str(), static_cast<unsigned long long>(row.last.checksum),
                        static_cast<unsigned long long>(row.last_ref.checksum));
            failed = true;
        }
        if (!dma && row.last.core_accesses != row.last.accesses) {
            std::printf("  %s: the core counted %llu accesses for %llu issued\n", row.c->name.c_str(),
                        static_cast<unsigned long long>(row.last.core_accesses),
                        static_cast<unsigned long long>(row.last.accesses));
            failed = true;
        }
    }
    if (!mcs51_last.error.empty()) {
        std::printf("%-14s %11s  (%s)\n", "mcs51", "not measured", mcs51_last.error.c_str());
    } else {
        double sim = median(mcs51_rates), ref = median(s51_rates), ratio = median(mcs51_ratios);
        std::printf("%-14s %11.4g %11.4g %7.1f %7s %4s %16s %8.2f %8.2f\n", "mcs51", sim, ref, ratio, ">=20",
                    ratio >= 20 ? "yes" : "no", "-", 1e9 / sim, 1e9 / ref);
        if (mcs51_last.dmasim_pc != mcs51_last.s51_pc) {
            std::printf("  mcs51: PC MISMATCH after %llu instructions: dmasim 0x%04x, s51 0x%04x\n",
                        static_cast<unsigned long long>(mcs51_last.s51_instructions), mcs51_last.dmasim_pc,
                        mcs51_last.s51_pc);
            failed = true;
        }
    }
    std::printf("  mcs51: 8051 instructions per second, models::Mcs51 (%llu instructions) vs s51 (%llu, timed less "
                "its start-up) on bench/mcs51_workload.c\n",
                static_cast<unsigned long long>(10 * mcs51_instructions),
                static_cast<unsigned long long>(mcs51_instructions));
    std::printf("\n  targets (DESIGN.md): a >=0.8x with the monitor on, b >=0.5x; under 1 SystemC thread switch per "
                "1000 accesses; d >=0.8x; mcs51 >=20x (issue 12).\n  ratio: median of per-pair ratios. The benchmark "
                "reports; it does not fail on a "
                "missed target. Total %.1f s.\n",
                seconds_since(start));
    return failed ? 1 : 0;
}

void usage() {
    std::cerr << "usage: dmasim_bench [--repeats N] [--scale X]\n"
                 "       dmasim_bench --case NAME [--scale X]   (one case alone, for profiling; NAME is mcs51, ref-a, "
                 "ref-b or";
    for (const Case& c : all_cases())
        std::cerr << " " << c.name;
    std::cerr << ")\n";
}

bool parse_options(int argc, char** argv, Options& options) {
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (i + 1 >= argc) {
            return false;
        }
        std::string value = argv[++i];
        try {
            if (arg == "--case")
                options.case_name = value;
            else if (arg == "--scale")
                options.scale = std::stod(value);
            else if (arg == "--repeats")
                options.repeats = std::stoi(value);
            else
                return false;
        } catch (const std::exception&) {
            return false;
        }
    }
    return options.scale > 0 && options.repeats > 0;
}

Options parsed_options;

}  // namespace

int sc_main(int, char**) {
    try {
        return run_child(parsed_options);
    } catch (const std::exception& error) {
        std::cerr << "dmasim_bench: " << parsed_options.case_name << ": " << error.what() << "\n";
        return 1;
    }
}

int main(int argc, char** argv) {
    if (!parse_options(argc, argv, parsed_options)) {
        usage();
        return 2;
    }
    if (parsed_options.case_name == "mcs51") {  // the 8051 case alone
        uint64_t instructions = static_cast<uint64_t>(std::llround(mcs51_default_instructions * parsed_options.scale));
        Mcs51Measurement m = run_mcs51(DMASIM_MCS51_WORKLOAD, DMASIM_S51, std::max<uint64_t>(1000, instructions));
        if (!m.error.empty()) {
            std::cerr << "dmasim_bench: mcs51: " << m.error << "\n";
            return 1;
        }
        double sim = m.dmasim_instructions / m.dmasim_seconds, ref = m.s51_instructions / m.s51_seconds;
        std::printf("mcs51: dmasim %.4g instructions/s, s51 %.4g, ratio %.1f (target >=20); PC after %llu: dmasim "
                    "0x%04x, s51 0x%04x\n",
                    sim, ref, sim / ref, static_cast<unsigned long long>(m.s51_instructions), m.dmasim_pc, m.s51_pc);
        return m.dmasim_pc == m.s51_pc ? 0 : 1;
    }
    if (parsed_options.case_name == "ref-a" || parsed_options.case_name == "ref-b") {  // for profiling
        char workload = parsed_options.case_name.back();
        Measurement m = run_reference(workload, requested_accesses(workload, parsed_options.scale));
        print_result(parsed_options.case_name, m);
        return 0;
    }
    if (parsed_options.case_name.empty()) {
        char path[4096];
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        self_path = n > 0 ? std::string(path, static_cast<size_t>(n)) : std::string(argv[0]);
        return run_parent(parsed_options);
    }
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    return sc_core::sc_elab_and_sim(argc, argv);
}
