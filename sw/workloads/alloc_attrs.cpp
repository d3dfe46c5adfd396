#include "sw/workloads/alloc_attrs.h"

#include "dma/cache_maintenance.h"
#include "dma/context.h"
#include "dma/mapping.h"
#include "models/cpu/core.h"
#include "sw/drivers/dma/bus_master.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace sw {

namespace {

using dma::dma_addr_t;
using dma::DmaDirection;

// The ways a driver can get its frame buffer, in the table's order.
enum class Kind { coherent, write_combine, noncoherent, streaming };

struct Case {
    Kind kind;
    const char* name;   // in stat paths and the `case` parameter
    const char* label;  // in the table
};

const Case cases[] = {
    {Kind::coherent, "coherent", "coherent"},  // labelled with its memory type (Policy::coherent_memory)
    {Kind::write_combine, "write_combine", "write-combined"},
    {Kind::noncoherent, "noncoherent", "noncoherent (cached)"},
    {Kind::streaming, "streaming", "streaming (cached)"},
};

// Simulated time of each phase of one case, in ps; `syncs` is the part of them spent on cache
// maintenance (sync, map and unmap calls).
struct Timing {
    uint64_t fill = 0, device_read = 0, device_write = 0, reads = 0, syncs = 0;
    uint64_t total() const { return fill + device_read + device_write + reads; }
};

// "12.345" microseconds from picoseconds, and "7.08x" from a ratio: in integers, so that the
// summary reads the same on every host.
std::string microseconds(uint64_t ps) { return fmt::format("{}.{:03}", ps / 1000000, ps / 1000 % 1000); }
std::string times(uint64_t slow, uint64_t fast) {
    uint64_t x100 = fast ? slow * 100 / fast : 0;
    return fmt::format("{}.{:02}x", x100 / 100, x100 % 100);
}

// The buffer as the driver holds it.
struct Buffer {
    uint64_t cpu_addr = 0;                       // kernel VA the CPU uses
    dma_addr_t handle = dma::DMA_MAPPING_ERROR;  // bus address the device uses
};

class FrameBufferTest {
public:
    explicit FrameBufferTest(WorkloadContext& context)
        : context_(context), cpu_(context.cpu), size_(context.params.integer("size")),
          reads_(context.params.integer("reads")), syncs_enabled_(context.params.boolean("syncs")),
          ev_note_(context.instr.declare_event("workload.alloc_attrs", "wrong data seed-alloc-attrs saw")) {
        uint64_t index = context.params.integer("device");
        dev_ = context.devices[index];
        master_ = context.bus_masters[index];
    }

    // Fill, device read, device write, repeated CPU reads; every byte checked on every pass.
    Timing run(const Case& c, uint64_t salt) {
        case_ = &c;
        timing_ = Timing{};
        std::vector<uint8_t> cpu_data = pattern_bytes(size_, salt), device_data = pattern_bytes(size_, salt + 1);
        Buffer buffer = allocate();
        timing_.fill = elapsed([&] {
            cpu_.write_block(buffer.cpu_addr, cpu_data.data(), size_);
            give_to_device(buffer, DmaDirection::to_device);
        });
        std::vector<uint8_t> device_saw(size_);
        timing_.device_read = device_reads(buffer.handle, device_saw);
        count_errors(cpu_data, device_saw, "the device", "the CPU's fill");
        timing_.device_read += elapsed([&] { device_done(buffer, DmaDirection::to_device); });
        timing_.device_write = elapsed([&] { give_to_device(buffer, DmaDirection::from_device); });
        timing_.device_write += device_writes(buffer.handle, device_data);
        timing_.reads = elapsed([&] {
            device_done(buffer, DmaDirection::from_device);
            std::vector<uint8_t> seen(size_);
            for (uint64_t pass = 0; pass < reads_; ++pass) {
                cpu_.read_block(buffer.cpu_addr, seen.data(), size_);
                count_errors(device_data, seen, "the CPU",
                             fmt::format("the device's write (read pass {} of {})", pass + 1, reads_));
            }
        });
        release(buffer);
        return timing_;
    }

private:
    template <typename Body>
    uint64_t elapsed(Body body) {
        uint64_t start = cpu_.now_ps();
        body();
        return cpu_.now_ps() - start;
    }
    // The device reads the frame buffer into `seen`, or writes `data` over it, a device buffer's
    // worth per command. Only its commands are timed: the CPU's copies through the device's buffer
    // stand for data a real device would consume or produce itself.
    uint64_t device_reads(dma_addr_t handle, std::vector<uint8_t>& seen) {
        uint64_t device_ps = 0;
        for (uint64_t done = 0; done < size_;) {
            uint64_t chunk = std::min(master_->buffer_size(), size_ - done);
            device_ps += elapsed([&] { require_transfer(master_->read_to_buffer(handle + done, chunk), *master_); });
            require_transfer(master_->copy_from_buffer(seen.data() + done, chunk), *master_);
            done += chunk;
        }
        return device_ps;
    }
    uint64_t device_writes(dma_addr_t handle, const std::vector<uint8_t>& data) {
        uint64_t device_ps = 0;
        for (uint64_t done = 0; done < size_;) {
            uint64_t chunk = std::min(master_->buffer_size(), size_ - done);
            require_transfer(master_->copy_to_buffer(data.data() + done, chunk), *master_);
            device_ps += elapsed([&] { require_transfer(master_->write_from_buffer(handle + done, chunk), *master_); });
            done += chunk;
        }
        return device_ps;
    }
    // Cache maintenance, timed on its own as well as within its phase.
    template <typename Body>
    void maintain(Body body) {
        timing_.syncs += elapsed(body);
    }
    dma::Attrs map_attrs() const { return syncs_enabled_ ? 0 : dma::attr::skip_cpu_sync; }

    Buffer allocate() {
        Buffer buffer;
        switch (case_->kind) {
        case Kind::coherent: buffer.cpu_addr = dma::alloc_coherent(*dev_, size_, buffer.handle); break;
        case Kind::write_combine:
            buffer.cpu_addr = dma::alloc_attrs(*dev_, size_, buffer.handle, dma::attr::write_combine);
            break;
        case Kind::noncoherent:
            buffer.cpu_addr = dma::alloc_noncoherent(*dev_, size_, buffer.handle, DmaDirection::bidirectional);
            break;
        case Kind::streaming:  // mapped per transfer
            buffer.cpu_addr = Kernel::phys_to_virt(context_.kernel.alloc_contiguous(size_));
            break;
        }
        if (!buffer.cpu_addr)
            throw std::runtime_error(fmt::format("seed-alloc-attrs: {} allocation of {} bytes failed", case_->name,
                                                 size_));
        if (case_->kind == Kind::noncoherent || case_->kind == Kind::streaming)
            start_cold(buffer);
        return buffer;
    }

    // Every case starts with its buffer out of the caches, as a coherent allocation leaves it, so
    // that none inherits the lines of its allocation's zeroing or of the case before it.
    void start_cold(const Buffer& buffer) { context_.dma->cache().flush(Kernel::virt_to_phys(buffer.cpu_addr), size_); }

    void release(const Buffer& buffer) {
        switch (case_->kind) {
        case Kind::coherent: dma::free_coherent(*dev_, size_, buffer.cpu_addr, buffer.handle); break;
        case Kind::write_combine:
            dma::free_attrs(*dev_, size_, buffer.cpu_addr, buffer.handle, dma::attr::write_combine);
            break;
        case Kind::noncoherent:
            dma::free_noncoherent(*dev_, size_, buffer.cpu_addr, buffer.handle, DmaDirection::bidirectional);
            break;
        case Kind::streaming: context_.kernel.free_contiguous(Kernel::virt_to_phys(buffer.cpu_addr), size_); break;
        }
    }

    // Before the device touches the buffer: uncached and write-combined memory need only the
    // barrier that drains the write buffer (wmb); cacheable memory is synced or mapped for the
    // device, which cleans it to memory.
    void give_to_device(Buffer& buffer, DmaDirection dir) {
        switch (case_->kind) {
        case Kind::coherent:
        case Kind::write_combine: cpu_.dsb(); break;
        case Kind::noncoherent:
            if (syncs_enabled_ && dir == DmaDirection::to_device)  // BIDIRECTIONAL: one clean covers both
                maintain([&] {
                    dma::sync_single_for_device(*dev_, buffer.handle, size_, DmaDirection::bidirectional);
                });
            break;
        case Kind::streaming:
            maintain([&] { buffer.handle = dma::map_single(*dev_, buffer.cpu_addr, size_, dir, map_attrs()); });
            if (dma::mapping_error(*dev_, buffer.handle))
                throw std::runtime_error(fmt::format("seed-alloc-attrs: map_single of {:#x} ({} bytes, {}) failed",
                                                     buffer.cpu_addr, size_, dma::to_string(dir)));
            break;
        }
    }

    // After the device is done: cacheable memory the device wrote is invalidated before the CPU
    // reads it.
    void device_done(Buffer& buffer, DmaDirection dir) {
        switch (case_->kind) {
        case Kind::coherent:
        case Kind::write_combine: break;
        case Kind::noncoherent:
            if (syncs_enabled_ && dir == DmaDirection::from_device)
                maintain([&] { dma::sync_single_for_cpu(*dev_, buffer.handle, size_, DmaDirection::bidirectional); });
            break;
        case Kind::streaming:
            maintain([&] { dma::unmap_single(*dev_, buffer.handle, size_, dir, map_attrs()); });
            break;
        }
    }

    void count_errors(const std::vector<uint8_t>& expected, const std::vector<uint8_t>& seen, const char* who,
                      const std::string& what) {
        uint64_t errors = 0;
        for (size_t i = 0; i < expected.size(); ++i)
            errors += expected[i] != seen[i];
        if (!errors)
            return;
        context_.instr.counter(fmt::format("workload.alloc_attrs.{}.data_errors", case_->name)) += errors;
        context_.data_errors += errors;
        context_.instr.emit(ev_note_, models::Event{cpu_.now_ps(),
                                                    nullptr,
                                                    "seed-alloc-attrs",
                                                    {{"message", fmt::format("{}: {} saw {} wrong bytes of {} in {}",
                                                                             case_->name, who, errors, size_, what)}}});
    }

    WorkloadContext& context_;
    models::Core& cpu_;
    dma::Device* dev_ = nullptr;
    BusMaster* master_ = nullptr;
    uint64_t size_;
    uint64_t reads_;
    bool syncs_enabled_;
    models::EventKind ev_note_;
    const Case* case_ = nullptr;
    Timing timing_;
};

void record(WorkloadContext& context, const Case& c, const Timing& timing) {
    auto stat = [&](const char* phase) -> uint64_t& {
        return context.instr.counter(fmt::format("workload.alloc_attrs.{}.{}_ps", c.name, phase));
    };
    stat("fill") = timing.fill;
    stat("device_read") = timing.device_read;
    stat("device_write") = timing.device_write;
    stat("reads") = timing.reads;
    stat("syncs") = timing.syncs;
    stat("total") = timing.total();
}

using Rows = std::vector<std::pair<const Case*, Timing>>;

const Timing* timing_of(const Rows& rows, Kind kind) {
    for (const auto& [c, timing] : rows)
        if (c->kind == kind)
            return &timing;
    return nullptr;
}

// The run summary's table: one row per case, times in microseconds; then how much faster than
// uncached the write-combined fill and the cached reads (syncs included) are.
void summarize(WorkloadContext& context, const Rows& rows) {
    context.summary.push_back(fmt::format("seed-alloc-attrs: {} bytes, {} CPU read passes (simulated time in us{})",
                                          context.params.integer("size"), context.params.integer("reads"),
                                          context.params.boolean("syncs") ? ""
                                                                          : "; the cached cases WITHOUT their syncs"));
    context.summary.push_back(fmt::format("  {:<21} {:>11} {:>11} {:>12} {:>11} {:>10} {:>11}", "case", "CPU fill",
                                          "dev read", "dev write", "CPU reads", "syncs", "total"));
    bool strongly_ordered = context.dma->policy().coherent_memory == dma::CoherentMemType::strongly_ordered;
    std::string coherent_label = strongly_ordered ? "coherent (s-ordered)" : "coherent (Normal NC)";
    for (const auto& [c, timing] : rows)
        context.summary.push_back(fmt::format("  {:<21} {:>11} {:>11} {:>12} {:>11} {:>10} {:>11}",
                                              c->kind == Kind::coherent ? coherent_label : c->label,
                                              microseconds(timing.fill), microseconds(timing.device_read),
                                              microseconds(timing.device_write), microseconds(timing.reads),
                                              microseconds(timing.syncs), microseconds(timing.total())));
    const Timing* uncached = timing_of(rows, Kind::coherent);
    const Timing* write_combined = timing_of(rows, Kind::write_combine);
    const Timing* cached = timing_of(rows, Kind::noncoherent);
    if (uncached && write_combined)
        context.summary.push_back(fmt::format("  CPU fill: write-combined {} faster than coherent",
                                              times(uncached->fill, write_combined->fill)));
    if (uncached && cached)
        context.summary.push_back(fmt::format("  CPU reads: noncoherent with its sync {} faster than coherent",
                                              times(uncached->reads, cached->reads)));
}

std::vector<std::string> case_choices() {
    std::vector<std::string> choices{"all"};
    for (const Case& c : cases)
        choices.push_back(c.name);
    return choices;
}

void run_alloc_attrs(WorkloadContext& context) {
    FrameBufferTest test(context);
    const std::string& selected = context.params.text("case");
    Rows rows;
    uint64_t salt = 0;
    for (const Case& c : cases) {
        salt += 2;
        if (selected != "all" && selected != c.name)
            continue;
        Timing timing = test.run(c, salt);
        record(context, c, timing);
        rows.emplace_back(&c, timing);
    }
    summarize(context, rows);
}

}  // namespace

Workload alloc_attrs_workload() {
    return Workload{
        "seed-alloc-attrs",
        "fills a frame buffer, lets the device read and rewrite it, reads it back: coherent (its memory type per "
        "dmasim,dma-coherent-memory), "
        "write-combined, noncoherent with syncs and streaming; the simulated time of each phase side by side",
        {
            {"device", ParamType::integer, "0", "which DMA device (bus master) to use", {}},
            {"size", ParamType::size, "1M", "bytes of the frame buffer", {}, 64, 64 << 20},
            {"reads", ParamType::integer, "4", "CPU passes reading the buffer back", {}, 1, 1000},
            {"case", ParamType::choice, "all", "which allocation to measure", case_choices()},
            {"syncs",
             ParamType::boolean,
             "true",
             "false: the noncoherent and streaming cases skip their cache maintenance (no syncs, "
             "DMA_ATTR_SKIP_CPU_SYNC on map and unmap), as a broken driver would",
             {}},
        },
        run_alloc_attrs,
        check_index_param("seed-alloc-attrs", "device", IndexOf::dma_device),
    };
}

}  // namespace sw
