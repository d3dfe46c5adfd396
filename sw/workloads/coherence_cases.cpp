#include "sw/workloads/coherence_cases.h"

#include "models/cpu/core.h"
#include "sw/drivers/dma/bus_master.h"
#include "sw/kernel/kernel.h"

#include <algorithm>

namespace sw {

namespace {

uint8_t cpu_pattern(uint64_t i) { return static_cast<uint8_t>(0x11 + i); }
uint8_t device_pattern(uint64_t i) { return static_cast<uint8_t>(0xa0 ^ i); }

// One case's program: a buffer, its addresses, and the maintenance Linux does on ARMv7 with an
// outer cache (clean inner then outer; invalidate outer then inner).
class Case {
public:
    Case(WorkloadContext& context, uint64_t size)
        : cpu_(context.cpu), kernel_(context.kernel), context_(context), size_(size),
          pa_(context.kernel.alloc_contiguous(size)), va_(Kernel::phys_to_virt(pa_)),
          master_(*context.bus_masters[context.params.integer("master")]) {}

    void cpu_write(uint8_t (*pattern)(uint64_t), uint64_t from = 0, uint64_t to = ~0ULL) {
        for (uint64_t i = from; i < std::min(to, size_); ++i)
            cpu_.store8(va_ + i, pattern(i));
    }
    // Reads through `va` and counts bytes that differ from `pattern`.
    void cpu_check(uint64_t va, uint8_t (*pattern)(uint64_t), uint64_t from = 0, uint64_t to = ~0ULL) {
        for (uint64_t i = from; i < std::min(to, size_); ++i)
            context_.data_errors += cpu_.load8(va + i) != pattern(i);
    }
    void cpu_touch() { cpu_check_discarding(va_); }
    void device_write() {
        std::vector<uint8_t> data(size_);
        for (uint64_t i = 0; i < size_; ++i)
            data[i] = device_pattern(i);
        device_write_bytes(0, data);
    }
    void device_write_bytes(uint64_t offset, const std::vector<uint8_t>& data) {
        require_transfer(master_.write(pa_ + offset, data.data(), data.size()), master_);
    }
    void device_check(uint8_t (*pattern)(uint64_t)) {
        std::vector<uint8_t> data(size_);
        require_transfer(master_.read(pa_, data.data(), size_), master_);
        for (uint64_t i = 0; i < size_; ++i)
            context_.data_errors += data[i] != pattern(i);
    }
    void clean_for_device() {
        cpu_.dc_clean(va_, size_);
        kernel_.outer_clean_range(pa_, size_);
        cpu_.dsb();
    }
    void invalidate_for_cpu() {
        kernel_.outer_inv_range(pa_, size_);
        cpu_.dc_invalidate(va_, size_);
        cpu_.dsb();
    }
    void flush() {
        cpu_.dc_clean_invalidate(va_, size_);
        kernel_.outer_flush_range(pa_, size_);
        cpu_.dsb();
    }
    void preload() {
        for (uint64_t offset = 0; offset < size_; offset += cpu_.l1d().line_size())
            cpu_.pld(va_ + offset);
    }

    models::Core& cpu() { return cpu_; }
    Kernel& kernel() { return kernel_; }
    uint64_t pa() const { return pa_; }
    uint64_t va() const { return va_; }
    uint64_t size() const { return size_; }

private:
    void cpu_check_discarding(uint64_t va) {
        for (uint64_t i = 0; i < size_; ++i)
            cpu_.load8(va + i);
    }

    models::Core& cpu_;
    Kernel& kernel_;
    WorkloadContext& context_;
    uint64_t size_;
    uint64_t pa_, va_;
    BusMaster& master_;
};

void stale_cpu_read(Case& c, bool fixed) {
    c.cpu_write(cpu_pattern);
    c.clean_for_device();
    c.cpu_touch();  // the lines are now cached, clean
    c.device_write();
    if (fixed)
        c.invalidate_for_cpu();
    c.cpu_check(c.va(), device_pattern);
}

void lost_device_write(Case& c, bool fixed) {
    c.cpu_write(cpu_pattern);  // dirty lines over the buffer
    if (fixed)
        c.flush();
    c.device_write();
    if (fixed)
        c.invalidate_for_cpu();
    else
        c.flush();  // the dirty lines are written back over the device's data
    c.cpu_check(c.va(), device_pattern);
}

void stale_device_read(Case& c, bool fixed) {
    c.cpu_write(cpu_pattern);
    if (fixed)
        c.clean_for_device();
    c.device_check(cpu_pattern);
}

void mismatched_alias(Case& c, bool fixed) {
    c.cpu_write(cpu_pattern);  // through the cacheable linear map
    if (fixed)
        c.flush();
    uint64_t uncached = c.kernel().ioremap(c.pa(), c.size(), models::MemType::normal_nc);
    c.cpu_check(uncached, cpu_pattern);
}

void outer_clean_order(Case& c, bool fixed) {
    c.cpu_write(cpu_pattern);
    c.cpu().dc_clean(c.va(), c.size());  // the L1 only: dirty data now sits in the L2
    if (fixed)
        c.kernel().outer_clean_range(c.pa(), c.size());
    c.cpu().dsb();
    c.device_check(cpu_pattern);
}

// Invalidating the L1 before the L2 lets a speculative refill of the L1 take the L2's stale copy.
void outer_invalidate_order(Case& c, bool fixed) {
    c.cpu_write(cpu_pattern);
    c.clean_for_device();
    c.cpu_touch();
    c.device_write();
    if (fixed) {
        c.kernel().outer_inv_range(c.pa(), c.size());
        c.cpu().dc_invalidate(c.va(), c.size());
        c.preload();
    } else {
        c.cpu().dc_invalidate(c.va(), c.size());
        c.preload();
        c.kernel().outer_inv_range(c.pa(), c.size());
    }
    c.cpu().dsb();
    c.cpu_check(c.va(), device_pattern);
}

// Two buffers in one line, disjoint bytes: the CPU's half stays cached while the device writes the
// other half. Nothing is wrong, and byte-accurate monitoring reports nothing.
void shared_line(Case& c, bool) {
    uint64_t half = c.size() / 2;
    c.cpu_write(cpu_pattern);
    c.clean_for_device();
    c.cpu_check(c.va(), cpu_pattern, 0, half);  // CPU half cached
    std::vector<uint8_t> device_half(c.size() - half);
    for (uint64_t i = half; i < c.size(); ++i)
        device_half[i - half] = device_pattern(i);
    c.device_write_bytes(half, device_half);
    c.cpu_check(c.va(), cpu_pattern, 0, half);  // still fine: the device did not write these bytes
}

// Stores through a write-combined mapping merge into line-sized bursts; the device sees them
// after the barrier that drains the buffer.
void write_combine(Case& c, bool) {
    uint64_t combined = c.kernel().ioremap(c.pa(), c.size(), models::MemType::write_combined);
    for (uint64_t i = 0; i < c.size(); i += 8) {
        uint64_t word = 0;
        for (unsigned b = 0; b < 8; ++b)
            word |= uint64_t(cpu_pattern(i + b)) << (8 * b);
        c.cpu().store64(combined + i, word);
    }
    c.cpu().dsb();
    c.device_check(cpu_pattern);
}

const std::vector<std::pair<std::string, void (*)(Case&, bool)>>& cases() {
    static const std::vector<std::pair<std::string, void (*)(Case&, bool)>> all = {
        {"stale-cpu-read", stale_cpu_read},
        {"lost-device-write", lost_device_write},
        {"stale-device-read", stale_device_read},
        {"mismatched-alias", mismatched_alias},
        {"outer-clean-order", outer_clean_order},
        {"outer-invalidate-order", outer_invalidate_order},
        {"shared-line", shared_line},
        {"write-combine", write_combine},
    };
    return all;
}

void run_case(WorkloadContext& context) {
    const std::string& name = context.params.text("case");
    uint64_t size = context.params.integer("size");
    if (name == "shared-line")
        size = context.cpu.l1d().line_size();
    Case c(context, size);
    for (const auto& [case_name, program] : cases())
        if (case_name == name)
            program(c, context.params.boolean("fixed"));
}

std::vector<std::string> case_names() {
    std::vector<std::string> names;
    for (const auto& entry : cases())
        names.push_back(entry.first);
    return names;
}

}  // namespace

Workload coherence_cases_workload() {
    return Workload{
        "coherence",
        "a CPU program and a bus master producing one coherence hazard; fixed=true adds the correct maintenance",
        {
            {"case", ParamType::choice, "stale-cpu-read", "which hazard to produce", case_names()},
            {"fixed", ParamType::boolean, "false", "do the correct cache maintenance", {}},
            {"size", ParamType::size, "256", "buffer size in bytes (shared-line uses one cache line)", {}},
            {"master", ParamType::integer, "0", "which bus master acts as the device", {}},
        },
        run_case,
        check_index_param("coherence", "master", IndexOf::bus_master),
    };
}

}  // namespace sw
