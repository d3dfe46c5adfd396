// `coherent-alias` (seed experiment 2): a coherent buffer of a non-coherent device handed back and
// forth between the device and the CPU while the CPU works on cacheable memory next to it. Where
// the cacheable linear alias of the buffer's pages is kept (ARM in 2011), the prefetcher pulls
// alias lines into the cache behind the software's back, and a core whose uncached accesses hit
// cached lines reads stale data; with the alias removed nothing can be prefetched.
#pragma once

#include "sw/workloads/workload.h"

namespace sw {

Workload coherent_alias_workload();

}  // namespace sw
