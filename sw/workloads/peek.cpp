#include "sw/workloads/peek.h"

#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"

#include <string>

namespace sw {

namespace {

void run_peek(WorkloadContext& context) {
    models::MemType type = models::MemType::device;
    models::parse_mem_type(context.params.text("type"), type);
    uint64_t address = context.params.integer("address");
    uint64_t va = context.kernel.ioremap(address, 8, type);
    int width = std::stoi(context.params.text("width"));  // a choice: its text is the width
    uint64_t value = width == 8    ? context.cpu.load8(va)
                     : width == 16 ? context.cpu.load16(va)
                     : width == 32 ? context.cpu.load32(va)
                                   : context.cpu.load64(va);
    context.instr.counter("workload.value") = value;
}

}  // namespace

Workload peek_workload() {
    return Workload{
        "peek",
        "reads one word at a physical address through a new mapping (a hole ends the run with a data abort)",
        {
            {"address", ParamType::size, "0x80000000", "physical address to read", {}},
            {"type", ParamType::choice, "device", "memory type of the mapping", {"device", "nc", "wc", "wb"}},
            {"width", ParamType::choice, "32", "access width in bits", {"8", "16", "32", "64"}},
        },
        run_peek,
    };
}

}  // namespace sw
