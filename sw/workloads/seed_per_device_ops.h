// `seed-per-device-ops` (seed 002: "we need both IOMMU and direct mapped DMA on some machines", and
// cache handling as flags on the device that every ops uses): on one platform, one DMA master
// behind the IOMMU (IOMMU ops) and one on direct ops run the same driver routine. Cases:
// - same-driver: each device receives data into one long-lived FROM_DEVICE mapping of a kmalloc
//   buffer (above 4 GiB on the PCI platforms), over and over; the fixed driver syncs for the CPU
//   before reading, the broken one does not. Both devices need the same cache maintenance -- the
//   IOMMU does not make DMA coherent -- and both break without it; the direct device's 32-bit
//   reach bounces the buffer through swiotlb, the IOMMU device's maps it at a 32-bit IOVA.
// - stale-iotlb: a driver managing IOVAs itself on the device's domain (as GPU drivers do with
//   iommu_map / iommu_unmap_fast) unmaps a page with invalidation deferred (a queued gather, as lazy
//   mode does) and maps another page at the same IOVA; the broken driver reuses it before flushing
//   the IOTLB (Linux's flush queue exists to prevent exactly that), so the device's write lands in
//   the old page through the stale IOTLB entry; the fixed one flushes first (iommu_flush_iotlb_all).
// - lazy-unmap: streaming map / DMA / unmap cycles through the DMA API; with iommu.strict=0 the
//   IOVAs go through the flush queue and are not reused before it flushes.
// - past-mapping: the device writes twice the length of its mapping: the IOMMU stops it at the
//   first unmapped page with a translation fault (Linux's "Unhandled context fault" message), the
//   run goes on and the mapped part arrived.
// Device errors are counted, not fatal. Stats: workload.per_device_ops.transfers, .device_errors, and
// for same-driver per device (iommu, direct): .<device>.sync_maintenance, .map_maintenance, .bounces,
// .wrong_bytes.
#pragma once

#include "sw/workloads/workload.h"

namespace sw {

Workload seed_per_device_ops_workload();

}  // namespace sw
