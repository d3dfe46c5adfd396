#include "dma/cache_maintenance.h"

#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"

namespace dma {

CacheMaintenance::CacheMaintenance(sw::Kernel& kernel, models::Instrumentation& instr, const Policy& policy)
    : kernel_(kernel), instr_(instr), policy_(policy), cpu_(kernel.cpu()),
      stat_clean_(instr.counter("dma.maint.clean")), stat_invalidate_(instr.counter("dma.maint.invalidate")),
      stat_flush_(instr.counter("dma.maint.flush")),
      ev_maint_(instr.declare_event("dma.maint", "the DMA layer's cache maintenance of a buffer: clean, invalidate "
                                                 "or flush (a slice: start and duration_ps)")) {}

void CacheMaintenance::for_device(uint64_t pa, uint64_t size, DmaDirection dir) {
    if (dir == DmaDirection::from_device && policy_.from_device_map == FromDeviceMapPolicy::invalidate)
        invalidate(pa, size, true);
    else
        clean(pa, size);
}

void CacheMaintenance::for_cpu(uint64_t pa, uint64_t size, DmaDirection dir) {
    if (dir != DmaDirection::to_device)
        invalidate(pa, size, false);
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

void CacheMaintenance::invalidate(uint64_t pa, uint64_t size, bool inner_first) {
    ++stat_invalidate_;
    uint64_t start_ps = cpu_.now_ps();
    if (inner_first)
        kernel_.dcache_inv_range(pa, size, policy_.inv_partial_lines);
    kernel_.outer_inv_range(pa, size, policy_.inv_partial_lines);
    if (!inner_first)
        kernel_.dcache_inv_range(pa, size, policy_.inv_partial_lines);
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
