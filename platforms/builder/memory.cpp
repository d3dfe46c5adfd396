// The platform builder's memories: DRAM (device_type = "memory") and SRAM (mmio-sram).
#include "platforms/builder/platform_builder.h"

namespace platform {

void Platform::Builder::add_memory(const DtNode& node) {
    for (const RegEntry& entry : node.reg()) {
        if (entry.size == 0)
            continue;
        add_target(MemoryRegion{fmt::format("dram{}", dram_count_++), node.path(), system_address(node, entry.address),
                                entry.size, true, read_properties(node, models::Memory::dram_properties())},
                   "ram");
    }
}

void Platform::Builder::add_sram(const DtNode& node) {
    std::vector<RegEntry> reg = node.reg();
    if (reg.empty() || reg[0].size == 0)
        node.fail("reg", "one non-empty (address, size) region");
    add_target(MemoryRegion{fmt::format("sram{}", sram_count_++), node.path(), system_address(node, reg[0].address),
                            reg[0].size, false, read_properties(node, models::Memory::sram_properties()), true},
               "sram");
}

}  // namespace platform
