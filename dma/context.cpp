#include "dma/context.h"

#include "dma/device.h"
#include "sw/kernel/kernel.h"

#include <algorithm>

namespace dma {

Context::Context(sw::Kernel& kernel, models::Instrumentation& instr, Policy policy)
    : stat_mapping_errors(instr.counter("dma.mapping_errors")),
      stat_alloc_failures(instr.counter("dma.alloc_failures")), stat_bad_handles(instr.counter("dma.bad_handles")),
      stat_bad_frees(instr.counter("dma.bad_frees")), stat_single_maps(instr.counter("dma.maps.single")),
      stat_page_maps(instr.counter("dma.maps.page")), stat_sg_maps(instr.counter("dma.maps.sg")),
      ev_map_(instr.declare_event(event_name(MappingCall::map), "a streaming mapping: map_single/page, a map_sg "
                                                                "segment (a slice: start and duration_ps)")),
      ev_unmap_(instr.declare_event(event_name(MappingCall::unmap), "the end of a streaming mapping (a slice: start "
                                                                    "and duration_ps)")),
      ev_alloc_(instr.declare_event(event_name(MappingCall::alloc), "a coherent or noncoherent allocation (a slice: "
                                                                    "start and duration_ps)")),
      ev_free_(instr.declare_event(event_name(MappingCall::free), "the free of an allocation (a slice: start and "
                                                                  "duration_ps)")),
      kernel_(kernel), instr_(instr), policy_(policy),
      swiotlb_(kernel, instr, policy.swiotlb_disabled ? 0 : policy.swiotlb_slots), cache_(kernel, instr, policy_),
      debug_(kernel, instr, policy.debug),
      ev_warning_(instr.declare_event("dma.warning", "the DMA-mapping layer refused or could not do a request")),
      atomic_pool_(*this, instr) {
    for (const sw::PhysRange& range : kernel.ram())
        if (range.size)
            max_ram_pa_ = std::max(max_ram_pa_, range.end() - 1);
}

models::Core& Context::cpu() { return kernel_.cpu(); }

const models::EventKind& Context::event_of(MappingCall call) const {
    switch (call) {
    case MappingCall::map: return ev_map_;
    case MappingCall::unmap: return ev_unmap_;
    case MappingCall::alloc: return ev_alloc_;
    case MappingCall::free: return ev_free_;
    }
    return ev_map_;
}

void Context::warn(const Device& dev, const std::string& message, uint64_t& stat) {
    ++stat;
    warnings_.push_back(dev.name() + ": " + message);
    instr_.emit(ev_warning_, models::Event{cpu().now_ps(), nullptr, dev.name(), {{"message", message}}});
}

void Context::unregister_iommu(Iommu& iommu) {
    iommus_.erase(std::remove(iommus_.begin(), iommus_.end(), &iommu), iommus_.end());
}

Iommu* Context::find_iommu(const std::string& node) const {
    for (Iommu* iommu : iommus_)
        if (iommu->node() == node)
            return iommu;
    return nullptr;
}

}  // namespace dma
