// The pool of "anonymous" buffer objects, BOs no device is bound to yet (seed 001). Thomas
// Hellstrom: "let's say ttm were trying to detect a hypervisor dummy virtual device sitting on the
// pci bus [...] The TTM page pool could then grab that device and create a struct dev to use for
// allocating 'anonymous' TTM BO memory [...] bare metal wouldn't need to allocate coherent memory,
// since the virtual device wouldn't be present."
// - With the hypervisor's DMA-constraints function bound (sw/drivers/pci/hv_dma_constraints.h):
//   a pool on its device with use_dma_alloc, and without use_dma32 -- what vmwgfx passes
//   ttm_device_init when vmw_dma_select_mode picks vmw_dma_alloc_coherent, and what nouveau's and
//   amdgpu's drm_need_swiotlb() forces in a Xen PV guest (xen_pv_domain()): blocks come from
//   dma_alloc_attrs on that device, so the hypervisor's constraints apply to them. Like every
//   per-device pool's, its pages belong to that device: the first move to a real device copies.
// - Without it (bare metal): a pool without a device, ttm_pool_init(pool, NULL, ...): pages from
//   the page allocator, unmapped until the BO's first move maps them; no coherent allocation.
// Its stats are the pool's, under the label "anon" (ttm.anon.coherent_allocations,
// ttm.anon.allocator_pages, ...).
#pragma once

#include "sw/drivers/gpu/ttm_pool.h"

#include <memory>

namespace sw {

class PciSubsystem;

constexpr const char* ttm_anon_pool_label = "anon";

// The pool for anonymous BOs of a kernel whose PCI core is `pci` (null: no PCI, bare metal).
std::unique_ptr<TtmPool> ttm_anon_pool_create(const PciSubsystem* pci, Kernel& kernel, models::Instrumentation& instr);

}  // namespace sw
