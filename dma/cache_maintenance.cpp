#include "dma/cache_maintenance.h"

#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"

namespace dma {

CacheMaintenance::CacheMaintenance(sw::Kernel& kernel, models::Instrumentation& instr)
    : kernel_(kernel), instr_(instr), cpu_(kernel.cpu()), stat_clean_(instr.counter("dma.maint.clean")),
      stat_invalidate_(instr.counter("dma.maint.invalidate")), stat_flush_(instr.counter("dma.maint.flush")),
      ev_maint_(instr.declare_event("dma.maint", "the DMA layer's cache maintenance of a buffer: clean, invalidate "
                                                 "or flush (a slice: start and duration_ps)")) {}

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
    uint64_t start_ps = cpu_.now_ps();
    cpu_.dc_clean_invalidate(sw::Kernel::phys_to_virt(pa), size);
    kernel_.outer_flush_range(pa, size);
    cpu_.dsb();
    emit_maint("flush", pa, size, start_ps);
}

void CacheMaintenance::clean(uint64_t pa, uint64_t size) {
    ++stat_clean_;
    uint64_t start_ps = cpu_.now_ps();
    cpu_.dc_clean(sw::Kernel::phys_to_virt(pa), size);
    kernel_.outer_clean_range(pa, size);
    cpu_.dsb();
    emit_maint("clean", pa, size, start_ps);
}

void CacheMaintenance::invalidate(uint64_t pa, uint64_t size) {
    ++stat_invalidate_;
    uint64_t start_ps = cpu_.now_ps();
    kernel_.outer_inv_range(pa, size);
    cpu_.dc_invalidate(sw::Kernel::phys_to_virt(pa), size);
    cpu_.dsb();
    emit_maint("invalidate", pa, size, start_ps);
}

void CacheMaintenance::emit_maint(const char* op, uint64_t pa, uint64_t size, uint64_t start_ps) {
    if (ev_maint_.enabled())
        instr_.emit(ev_maint_, models::Event{start_ps,
                                             nullptr,
                                             "dma",
                                             {{"op", std::string(op)},
                                              {"pa", pa},
                                              {"size", size},
                                              {"duration_ps", cpu_.now_ps() - start_ps}}});
}

}  // namespace dma
