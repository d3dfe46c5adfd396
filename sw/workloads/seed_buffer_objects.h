// `seed-buffer-objects` (seed experiment 4, seeds 000 and 001: moving TTM buffer objects between a
// 64-bit and a 32-bit device): a BO of `pages` pages is created on the wide test endpoint, filled
// by the CPU and read by that device, moved to the narrow endpoint, updated by the CPU, read and
// then overwritten by that device, moved back (the CPU checks what the narrow device wrote), and
// moved to the narrow device again, which reads it once more: on that second move a per-device
// pool hands out the pages the move back gave it (pool hits). The narrow device's pool switches
// are the configuration: `plain` pages (mapped; bounced by swiotlb, or copied into pages it
// reaches with unreachable=copy), `dma32` (TTM's GFP_DMA32 pages), `dma-alloc` (a per-device
// dma_alloc_attrs pool), or `auto` (Linux's choice, nouveau's: dma_alloc and DMA32 for a device
// short of RAM). On arm-pci-iommu.dts the narrow device maps the same pages at an IOVA.
// anonymous=true creates the BO before any device takes it, from the pool of anonymous BOs
// (sw/drivers/gpu/ttm_anon_pool.h, seed 001: through the hypervisor's DMA-constraints function when
// one is bound, plain pages on bare metal) and binds it to the wide device after the CPU filled it;
// the summary adds a line, stats anon_coherent_allocations and anon_allocator_pages.
// fixed=false leaves out the syncs Linux's TTM leaves out (none after populate or after a move's
// CPU copy): on the non-coherent bridge the devices read stale data from cached BOs.
// copy=engine: a move's copy is made by the DMA engine of an endpoint that reaches both the old
// and the new pages (the COPY command, the pages mapped for it with the DMA API), by the CPU when
// no endpoint does.
// The summary prints one row for the configuration. Stats: workload.buffer_objects.* -- moves,
// bo_copies, bytes_copied, cpu_copies, engine_copies, engine_bytes_copied, bounces, bytes_bounced,
// iova_allocations, ptes_written (the IOMMU's descriptors written during the run), bytes_cleaned,
// bytes_invalidated, second_move_pool_hits, pages_<device>_<zone> (pages allocated), bad_device_reads,
// bad_cpu_checks, time_ns -- beside the TTM layer's ttm.* ones (ttm.<device>.pages.<caching>.order<N>.<zone>:
// the pages per device, caching, order and zone).
#pragma once

#include "sw/workloads/workload.h"

namespace sw {

Workload seed_buffer_objects_workload();

}  // namespace sw
