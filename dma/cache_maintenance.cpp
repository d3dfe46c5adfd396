#include "dma/cache_maintenance.h"

#include "models/core.h"
#include "sw/kernel.h"

namespace dma {

CacheMaintenance::CacheMaintenance(sw::Kernel& kernel, models::Instrumentation& instr)
    : kernel_(kernel), cpu_(kernel.cpu()), stat_clean_(instr.counter("dma.maint.clean")),
      stat_invalidate_(instr.counter("dma.maint.invalidate")), stat_flush_(instr.counter("dma.maint.flush")) {}

void CacheMaintenance::for_device(uint64_t pa, uint64_t size, DmaDirection dir, FromDeviceMapPolicy policy) {
    if (dir == DmaDirection::from_device && policy == FromDeviceMapPolicy::invalidate)
        invalidate(pa, size);
    else
        clean(pa, size);
}

void CacheMaintenance::for_cpu(uint64_t pa, uint64_t size, DmaDirection dir) {
    if (dir != DmaDirection::to_device)
        invalidate(pa, size);
}

void CacheMaintenance::flush(uint64_t pa, uint64_t size) {
    ++stat_flush_;
    cpu_.dc_clean_invalidate(sw::Kernel::phys_to_virt(pa), size);
    kernel_.outer_flush_range(pa, size);
    cpu_.dsb();
}

void CacheMaintenance::clean(uint64_t pa, uint64_t size) {
    ++stat_clean_;
    cpu_.dc_clean(sw::Kernel::phys_to_virt(pa), size);
    kernel_.outer_clean_range(pa, size);
    cpu_.dsb();
}

void CacheMaintenance::invalidate(uint64_t pa, uint64_t size) {
    ++stat_invalidate_;
    kernel_.outer_inv_range(pa, size);
    cpu_.dc_invalidate(sw::Kernel::phys_to_virt(pa), size);
    cpu_.dsb();
}

}  // namespace dma
