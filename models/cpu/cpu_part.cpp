#include "models/cpu/cpu_part.h"

namespace models {

namespace {

// A geometry from size, line size and ways.
constexpr CacheGeometry l1(uint32_t size_kib, uint32_t line_size, uint32_t ways) {
    CacheGeometry geometry;
    geometry.size = size_kib * 1024;
    geometry.line_size = line_size;
    geometry.sets = size_kib * 1024 / (line_size * ways);
    return geometry;
}

}  // namespace

const char* to_string(CpuArch arch) { return arch == CpuArch::armv7 ? "armv7" : "arm64"; }

const std::vector<CpuPart>& cpu_parts() {
    static const std::vector<CpuPart> parts = {
        {"arm,cortex-a5", CpuArch::armv7, l1(32, 32, 4), "4, 8, 16, 32 or 64 KiB",
         "Cortex-A5 TRM (DDI 0433C) 7.1: L1 data cache 4-way, 32-byte lines"},
        {"arm,cortex-a7", CpuArch::armv7, l1(32, 64, 4), "8, 16, 32 or 64 KiB",
         "Cortex-A7 MPCore TRM (DDI 0464F) 6.1: L1 data cache 4-way, 64-byte lines"},
        {"arm,cortex-a8", CpuArch::armv7, l1(32, 64, 4), "16 or 32 KiB",
         "Cortex-A8 TRM (DDI 0344K) 7.1: L1 data cache 4-way, 64-byte lines"},
        {"arm,cortex-a9", CpuArch::armv7, l1(32, 32, 4), "16, 32 or 64 KiB",
         "Cortex-A9 TRM (DDI 0388I) 7.1: L1 data cache 4-way, 32-byte lines"},
        {"arm,cortex-a15", CpuArch::armv7, l1(32, 64, 2), "",
         "Cortex-A15 MPCore TRM (DDI 0438I) 6.1: 32 KiB L1 data cache, 2-way, 64-byte lines"},
        {"arm,cortex-a17", CpuArch::armv7, l1(32, 64, 4), "",
         "Cortex-A17 MPCore TRM (DDI 0535C) 6.1: 32 KiB L1 data cache, 4-way, 64-byte lines"},
        {"arm,cortex-a35", CpuArch::arm64, l1(32, 64, 4), "8, 16, 32 or 64 KiB",
         "Cortex-A35 TRM (100236) 6.1: L1 data cache 4-way, 64-byte lines"},
        {"arm,cortex-a53", CpuArch::arm64, l1(32, 64, 4), "8, 16, 32 or 64 KiB",
         "Cortex-A53 MPCore TRM (DDI 0500J) 6.1: L1 data cache 4-way, 64-byte lines"},
        {"arm,cortex-a55", CpuArch::arm64, l1(32, 64, 4), "16, 32 or 64 KiB",
         "Cortex-A55 TRM (100442) A6.1: L1 data cache 4-way, 64-byte lines"},
        {"arm,cortex-a57", CpuArch::arm64, l1(32, 64, 2), "",
         "Cortex-A57 MPCore TRM (DDI 0488H) 6.1: 32 KiB L1 data cache, 2-way, 64-byte lines"},
        {"arm,cortex-a72", CpuArch::arm64, l1(32, 64, 2), "",
         "Cortex-A72 MPCore TRM (100095) 6.1: 32 KiB L1 data cache, 2-way, 64-byte lines"},
        {"arm,cortex-a73", CpuArch::arm64, l1(64, 64, 4), "32 or 64 KiB",
         "Cortex-A73 MPCore TRM (100048) 6.1: L1 data cache 4-way, 64-byte lines"},
        {"arm,cortex-a76", CpuArch::arm64, l1(64, 64, 4), "",
         "Cortex-A76 Core TRM (100798) A6.1: 64 KiB L1 data cache, 4-way, 64-byte lines"},
        // The architecture alone (Arm's FVP and Foundation models): no TRM fixes the geometry; this
        // is a Cortex-A53-like default and describe says it was assumed.
        {"arm,armv8", CpuArch::arm64, l1(32, 64, 4), "any size the implementation chooses",
         "Arm ARM (DDI 0487) D19.2: CCSIDR_EL1 gives the implementation's geometry"},
    };
    return parts;
}

const CpuPart* find_cpu_part(const std::vector<std::string>& compatibles) {
    for (const std::string& compatible : compatibles)
        for (const CpuPart& part : cpu_parts())
            if (compatible == part.compatible)
                return &part;
    return nullptr;
}

}  // namespace models
