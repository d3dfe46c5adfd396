#include "sw/workloads/seed_mfd_local_memory.h"

#include "dma/device.h"
#include "dma/mapping.h"
#include "models/cpu/core.h"
#include "sw/drivers/mfd/mfd.h"
#include "sw/drivers/mfd/mfd_function.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace sw {

namespace {

// The functions as the host computes them (sw/firmware/mfd/mfd_protocol.h).
uint8_t gain(uint8_t x, uint8_t param) { return static_cast<uint8_t>(std::min(255u, (unsigned(x) * param) >> 4)); }

uint16_t crc16_usb(const std::vector<uint8_t>& data) {
    uint16_t crc = 0xffff;
    for (uint8_t x : data) {
        crc ^= x;
        for (int bit = 0; bit < 8; ++bit)
            crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
    }
    return crc ^ 0xffff;
}

// What a job should leave: the processed data and its checksum.
std::pair<std::vector<uint8_t>, uint16_t> expected(uint8_t function, std::vector<uint8_t> data, uint8_t param) {
    if (function == MFD_FN_CRC16)
        return {data, crc16_usb(data)};
    uint16_t sum = 0;
    for (uint8_t& x : data) {
        x = gain(x, param);
        sum = static_cast<uint16_t>(sum + x);
    }
    return {data, sum};
}

Mfd& first_mfd(const WorkloadContext& context) {
    if (context.mfds.empty())
        throw ParamError("seed-mfd-local-memory: the platform has no multi-function device (dmasim,mfd); use "
                         "e.g. --platform arm-mfd.dts");
    return *context.mfds.front();
}

// A streaming buffer for the engine's side of a job.
struct Stream {
    uint64_t va = 0;
    dma::dma_addr_t handle = 0;
};

class LocalMemory {
public:
    explicit LocalMemory(WorkloadContext& context)
        : context_(context), cpu_(context.cpu), mfd_(first_mfd(context)), length_(context.params.integer("length")),
          param_(static_cast<uint8_t>(context.params.integer("param"))),
          engine_in_(context.params.text("input") == "engine"), engine_out_(context.params.text("output") == "engine"),
          stat_jobs_(counter("jobs")), stat_job_errors_(counter("job_errors")),
          stat_bad_checksums_(counter("bad_checksums")), stat_pool_allocs_(counter("pool_allocs")),
          stat_pool_failures_(counter("pool_failures")), stat_outside_(counter("outside_pool")),
          stat_bytes_in_(counter("bytes_in")), stat_bytes_out_(counter("bytes_out")),
          ev_job_(context.instr.declare_event("workload.mfd_job", "a job of seed-mfd-local-memory with a wrong "
                                                                  "result or an error")) {
        const std::string& cell = context.params.text("cell");
        for (MfdFunction* function : mfd_.functions())
            if (cell == "both" || function->kind().driver_name == "mfd-" + cell)
                functions_.push_back(function);
        if (functions_.empty())
            throw std::runtime_error(fmt::format("seed-mfd-local-memory: {} has no cell bound to mfd-{}",
                                                 mfd_.info().name, cell));
    }

    void run() {
        if (context_.params.boolean("exhaust"))
            exhaust();
        uint64_t jobs = context_.params.integer("jobs");
        for (uint64_t n = 0; n < jobs; ++n)
            job(*functions_[n % functions_.size()], n);
        context_.summary.push_back(fmt::format(
            "seed-mfd-local-memory: {} jobs of {} bytes on {} (input {}, output {}), coherent memory {}: {} failed, "
            "{} bad checksums, {} wrong bytes or checksums",
            jobs, length_, names(), engine_in_ ? "by the engine" : "in the block",
            engine_out_ ? "by the engine" : "in the block", pool_text(), stat_job_errors_, stat_bad_checksums_,
            context_.data_errors));
    }

private:
    uint64_t& counter(const char* name) { return context_.instr.counter(std::string("workload.mfd.") + name); }

    // Where the cells' coherent memory comes from, as the MFD's driver chose it (sw/drivers/mfd/mfd.h).
    std::string pool_text() const {
        if (mfd_.info().declare_sram)
            return "from SRAM slices declared by the cells' drivers";
        return mfd_.info().memory_region ? "from the pool " + *mfd_.info().memory_region : "from system RAM";
    }

    std::string names() const {
        std::vector<std::string> list;
        for (const MfdFunction* function : functions_)
            list.push_back(function->name());
        return fmt::format("{}", fmt::join(list, " and "));
    }

    bool in_sram(MfdFunction& function, const MfdJobBlock& block) {
        dma::dma_addr_t sram = function.dev().phys_to_dma(mfd_.info().sram);
        return block.bus >= sram && block.bus - sram + MfdFunction::job_block_size <= mfd_.info().sram_size;
    }

    int alloc(MfdFunction& function, MfdJobBlock& block) {
        if (int rc = function.alloc_block(block); rc < 0) {
            ++stat_pool_failures_;
            return rc;
        }
        ++stat_pool_allocs_;
        if (!in_sram(function, block))
            ++stat_outside_;
        return 0;
    }

    // Blocks from the cells in turn until one allocation returns NULL; as many tries as the SRAM
    // holds blocks, and one more.
    void exhaust() {
        std::vector<std::pair<MfdFunction*, MfdJobBlock>> held;
        uint64_t tries = mfd_.info().sram_size / MfdFunction::job_block_size + 1;
        for (uint64_t n = 0; n < tries; ++n) {
            MfdFunction& function = *functions_[n % functions_.size()];
            MfdJobBlock block;
            if (alloc(function, block) < 0)
                break;
            held.emplace_back(&function, block);
        }
        context_.summary.push_back(fmt::format("seed-mfd-local-memory: exhausting the pool: {} job blocks of {} bytes, "
                                               "{} outside the MFD's SRAM, then {} NULL",
                                               stat_pool_allocs_, MfdFunction::job_block_size, stat_outside_,
                                               stat_pool_failures_));
        for (auto& [function, block] : held)
            function->free_block(block);
    }

    Stream stream(uint64_t size, dma::Device& dev, dma::DmaDirection dir, const std::vector<uint8_t>* data) {
        Stream s;
        s.va = context_.kernel.kmalloc().kmalloc(size);
        if (!s.va)
            throw std::runtime_error("seed-mfd-local-memory: kmalloc failed");
        if (data)
            cpu_.write_block(s.va, data->data(), size);
        s.handle = dma::map_single(dev, s.va, size, dir);
        if (dma::mapping_error(dev, s.handle))
            throw std::runtime_error(fmt::format("seed-mfd-local-memory: cannot map a {}-byte buffer for {}", size,
                                                 dev.name()));
        return s;
    }

    void release(Stream& s, uint64_t size, dma::Device& dev, dma::DmaDirection dir) {
        dma::unmap_single(dev, s.handle, size, dir);
        context_.kernel.kmalloc().kfree(s.va);
    }

    void job(MfdFunction& function, uint64_t n) {
        ++stat_jobs_;
        MfdJobBlock block;
        if (alloc(function, block) < 0) {
            ++stat_job_errors_;
            return;
        }
        dma::Device& dev = function.dev();
        std::vector<uint8_t> data = pattern_bytes(length_, context_.seed * 1000 + n);
        MfdJob job{param_, static_cast<uint16_t>(length_), 0, 0};
        Stream in, out;
        if (engine_in_) {
            in = stream(length_, dev, dma::DmaDirection::to_device, &data);
            job.input = static_cast<uint32_t>(in.handle);
        } else {
            function.write_data(block, data);
        }
        if (engine_out_) {
            out = stream(length_, dev, dma::DmaDirection::from_device, nullptr);
            job.output = static_cast<uint32_t>(out.handle);
        }
        stat_bytes_in_ += length_;
        MfdJobResult result;
        bool failed = function.run(block, job, result) < 0;
        stat_job_errors_ += failed;
        std::vector<uint8_t> seen(length_);
        if (engine_out_) {
            release(out, length_, dev, dma::DmaDirection::from_device);  // the CPU owns it again
            cpu_.read_block(out.va, seen.data(), length_);
        } else {
            seen = function.read_data(block, static_cast<uint16_t>(length_));
        }
        stat_bytes_out_ += length_;
        if (engine_in_)
            release(in, length_, dev, dma::DmaDirection::to_device);
        function.free_block(block);
        check(function, n, data, seen, result, failed);
    }

    void check(MfdFunction& function, uint64_t n, const std::vector<uint8_t>& data, const std::vector<uint8_t>& seen,
               const MfdJobResult& result, bool failed) {
        auto [want, checksum] = expected(function.kind().function, data, param_);
        uint64_t wrong = 0;
        for (uint64_t i = 0; i < length_; ++i)
            wrong += seen[i] != want[i];
        bool bad_checksum = result.checksum != checksum;
        stat_bad_checksums_ += bad_checksum;
        context_.data_errors += wrong + bad_checksum;
        if ((wrong || bad_checksum || failed) && ev_job_.enabled())
            context_.instr.emit(ev_job_, models::Event{cpu_.now_ps(),
                                                       nullptr,
                                                       function.name(),
                                                       {{"job", n},
                                                        {"status", uint64_t(result.status)},
                                                        {"checksum", uint64_t(result.checksum)},
                                                        {"expected_checksum", uint64_t(checksum)},
                                                        {"wrong_bytes", wrong}}});
    }

    WorkloadContext& context_;
    models::Core& cpu_;
    Mfd& mfd_;
    std::vector<MfdFunction*> functions_;
    uint64_t length_;
    uint8_t param_;
    bool engine_in_;
    bool engine_out_;
    uint64_t& stat_jobs_;
    uint64_t& stat_job_errors_;
    uint64_t& stat_bad_checksums_;
    uint64_t& stat_pool_allocs_;
    uint64_t& stat_pool_failures_;
    uint64_t& stat_outside_;
    uint64_t& stat_bytes_in_;
    uint64_t& stat_bytes_out_;
    models::EventKind ev_job_;
};

}  // namespace

Workload seed_mfd_local_memory_workload() {
    return Workload{
        "seed-mfd-local-memory",
        "seed experiment 6: the MFD's cell drivers run jobs on its 8051 firmware in dma_alloc_coherent job blocks; "
        "right only when the blocks come from the MFD's SRAM pool (its memory-region)",
        {
            {"cell", ParamType::choice, "both", "the cell(s) running jobs, in turn", {"dsp", "usb", "both"}},
            {"jobs", ParamType::integer, "4", "jobs to run", {}, 0, 10000},
            {"length",
             ParamType::size,
             "6000",
             "bytes of data per job (past a 4 KiB page: the window pages)",
             {},
             1,
             MFD_JOB_MAX_DATA},
            {"param", ParamType::integer, "24", "the dsp cell's gain, in sixteenths", {}, 0, 255},
            {"input",
             ParamType::choice,
             "block",
             "the data: written by the CPU into the job block, or fetched by the MFD's engine from a streaming "
             "buffer mapped TO_DEVICE",
             {"block", "engine"}},
            {"output",
             ParamType::choice,
             "block",
             "the result: read from the job block, or written by the engine into a buffer mapped FROM_DEVICE",
             {"block", "engine"}},
            {"exhaust",
             ParamType::boolean,
             "false",
             "first allocate job blocks until the coherent pool returns NULL",
             {}},
        },
        [](WorkloadContext& context) { LocalMemory(context).run(); },
        [](const WorkloadContext& context) { first_mfd(context); },
    };
}

}  // namespace sw
