// `seed-alloc-attrs` (seed experiment 5, from the 2012 thread on one `alloc` with attributes): a
// frame buffer filled by the CPU, read and rewritten by the device and read back by the CPU, once
// per way of allocating it: coherent (Normal NC as Linux maps it, the type write-combined memory
// has; or strongly-ordered as older ARM kernels did, dmasim,dma-coherent-memory), write-combined,
// noncoherent (cacheable, with explicit syncs) and a streaming mapping of ordinary pages. Each
// phase's simulated time is a stat, `workload.alloc_attrs.<case>.<phase>_ps`, and the run's summary
// shows them side by side: on a non-coherent ARM the difference between the attributes is plain.
#pragma once

#include "sw/workloads/workload.h"

namespace sw {

Workload alloc_attrs_workload();

}  // namespace sw
