// The architecture's cache maintenance for DMA on a non-coherent device (Linux's
// arch_sync_dma_for_device / arch_sync_dma_for_cpu on ARMv7 with a PL310), done through the core's
// memory interface on the L1 and the kernel's outer-cache operations:
//   clean:      L1 by VA, then the outer cache by PA;
//   invalidate: at unmap / sync_for_cpu the outer cache by PA, then the L1 by VA (so no refill
//               takes a stale outer copy: __dma_page_dev_to_cpu); at map / sync_for_device the L1,
//               then the outer cache (__dma_page_cpu_to_device), so a partial line the L1 cleans
//               reaches memory through the outer cache's own clean of it;
// each followed by a DSB. The policy (the context's, read at each call) says what map does for
// FROM_DEVICE and what an invalidation does with its partial lines. Buffers are addressed by PA and must lie in the
// linear map. Each range operation is the event `dma.maint` (a slice on the timeline: op, pa, size, duration_ps).
#pragma once

#include "dma/policy.h"
#include "dma/types.h"
#include "models/common/instrumentation.h"

#include <cstdint>

namespace models {
class Core;
}  // namespace models
namespace sw {
class Kernel;
}

namespace dma {

class CacheMaintenance {
public:
    CacheMaintenance(sw::Kernel& kernel, models::Instrumentation& instr, const Policy& policy);

    // Before the device accesses the buffer (map, sync_for_device): TO_DEVICE and BIDIRECTIONAL
    // clean; FROM_DEVICE invalidates or cleans per Policy::from_device_map.
    void for_device(uint64_t pa, uint64_t size, DmaDirection dir);
    // Before the CPU reads what the device wrote (unmap, sync_for_cpu): FROM_DEVICE and
    // BIDIRECTIONAL invalidate; TO_DEVICE needs nothing.
    void for_cpu(uint64_t pa, uint64_t size, DmaDirection dir);
    // Clean and invalidate (a buffer about to be remapped uncached): L1 then outer.
    void flush(uint64_t pa, uint64_t size);

private:
    void clean(uint64_t pa, uint64_t size);
    void invalidate(uint64_t pa, uint64_t size, bool inner_first);
    void emit_maint(const char* op, uint64_t pa, uint64_t size, uint64_t start_ps);

    sw::Kernel& kernel_;
    models::Instrumentation& instr_;
    const Policy& policy_;
    models::Core& cpu_;
    uint64_t& stat_clean_;       // dma.maint.clean: ranges cleaned
    uint64_t& stat_invalidate_;  // dma.maint.invalidate
    uint64_t& stat_flush_;       // dma.maint.flush
    models::EventKind ev_maint_;
};

}  // namespace dma
