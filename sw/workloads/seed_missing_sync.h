// `seed-missing-sync` (seed experiment 1): a driver receives data from the DMA test endpoint into
// one long-lived buffer, over and over: it clears the buffer, hands it to the device
// (dma_sync_single_for_device), has the device write it (COMMAND_WRITE), and reads it on the
// completion interrupt. The broken driver reads without dma_sync_single_for_cpu: on a
// non-coherent bridge the CPU's cached lines of the buffer, still valid after the clean that
// sync_for_device did (arm64's policy), hide the device's data (stale_cpu_read, a wrong
// checksum); when the buffer bounces through swiotlb, the data never leaves the bounce buffer.
// The fixed driver syncs; on a coherent bridge the snoops make even the broken one work.
//
// After the driver has consumed a buffer, the workload takes ownership properly and counts the
// bytes the driver saw wrong (workload.data_errors). Stats: workload.missing_sync.transfers,
// workload.missing_sync.bad_checksums. Event: workload.missing_sync (a transfer the driver got
// wrong).
#pragma once

#include "sw/workloads/workload.h"

namespace sw {

Workload seed_missing_sync_workload();

}  // namespace sw
