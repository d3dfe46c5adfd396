// The CPU parts dmasim knows by their device-tree `compatible`: what Linux reads from the hardware
// on such a part and a device tree need not say — the architecture (MIDR / the kernel it runs:
// ARMv7 32-bit or arm64) and the L1 data cache's geometry (CLIDR / CCSIDR, per each part's TRM).
// A `d-cache-*` property in the tree still overrides the geometry.
#pragma once

#include "models/cpu/cache.h"

#include <string>
#include <vector>

namespace models {

enum class CpuArch { armv7, arm64 };
const char* to_string(CpuArch arch);  // "armv7", "arm64"

struct CpuPart {
    const char* compatible;  // "arm,cortex-a9"
    CpuArch arch;
    CacheGeometry l1d;  // where the TRM leaves the size to the implementer: the usual configuration
    // The TRM's range of L1D sizes when the implementer chooses ("16, 32 or 64 KiB"), else empty:
    // describe says the size was assumed.
    const char* l1d_size_options;
    const char* reference;  // the manual and section the geometry comes from
};

// Every part in the table, in the order of the table.
const std::vector<CpuPart>& cpu_parts();
// The first of `compatibles` (most specific first, as in a node) that the table knows; null if none.
const CpuPart* find_cpu_part(const std::vector<std::string>& compatibles);

}  // namespace models
