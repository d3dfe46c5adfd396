// `dma-selftest`: a driver-style program that drives every family of the DMA-mapping API against a
// bus master, verifying the data on both sides, and optionally injects one misuse (or each in
// turn) so that dma-debug and the coherence monitor can be seen catching it.
#pragma once

#include "sw/workloads/workload.h"

namespace sw {

Workload dma_selftest_workload();

}  // namespace sw
