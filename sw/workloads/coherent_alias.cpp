#include "sw/workloads/coherent_alias.h"

#include "dma/mapping.h"
#include "models/cpu/core.h"
#include "sw/drivers/dma/bus_master.h"
#include "sw/kernel/kernel.h"

#include <fmt/format.h>
#include <stdexcept>

namespace sw {

namespace {

uint8_t round_pattern(uint64_t round, uint64_t i) { return static_cast<uint8_t>((round * 37) ^ (i * 13) ^ 0xc3); }

void run_coherent_alias(WorkloadContext& context) {
    uint64_t index = context.params.integer("device");
    dma::Device& dev = *context.devices[index];
    BusMaster& master = *context.bus_masters[index];
    models::Core& cpu = context.cpu;
    uint64_t size = context.params.integer("size");
    uint64_t work = context.params.integer("work");

    dma::dma_addr_t handle = 0;
    uint64_t buffer = dma::alloc_coherent(dev, size, handle);
    if (!buffer)
        throw std::runtime_error(fmt::format("coherent-alias: alloc_coherent of {} bytes failed", size));
    // The driver's other data, allocated next, lies just above the buffer in physical memory.
    uint64_t work_pa = context.kernel.alloc_contiguous(work);
    uint64_t work_va = Kernel::phys_to_virt(work_pa);
    uint64_t& checked = context.instr.counter("workload.alias.bytes_checked");

    std::vector<uint8_t> data(size);
    for (uint64_t round = 0; round < context.params.integer("rounds"); ++round) {
        for (uint64_t i = 0; i < size; ++i)
            data[i] = round_pattern(round, i);
        require_transfer(master.write(handle, data.data(), size), master);
        for (uint64_t offset = 0; offset < work; offset += 8)  // cacheable work beside the buffer
            cpu.load64(work_va + offset);
        std::vector<uint8_t> seen(size);
        cpu.read_block(buffer, seen.data(), size);  // through the uncached mapping: no sync needed
        for (uint64_t i = 0; i < size; ++i)
            context.data_errors += seen[i] != data[i];
        checked += size;
    }
    context.kernel.free_contiguous(work_pa, work);
    dma::free_coherent(dev, size, buffer, handle);
}

}  // namespace

Workload coherent_alias_workload() {
    return Workload{
        "coherent-alias",
        "a coherent buffer the device rewrites each round while the CPU works on cacheable memory beside it; "
        "with the linear alias kept, prefetched alias lines go stale",
        {
            {"device", ParamType::integer, "0", "which DMA device (bus master) to use", {}},
            {"size", ParamType::size, "16K", "bytes of the coherent buffer", {}, 64, 16 << 20},
            {"work", ParamType::size, "16K", "bytes of cacheable memory the CPU reads each round", {}, 4096, 16 << 20},
            {"rounds", ParamType::integer, "8", "device-write / CPU-read rounds", {}, 1, 1000000},
        },
        run_coherent_alias,
        check_index_param("coherent-alias", "device", IndexOf::dma_device),
    };
}

}  // namespace sw
