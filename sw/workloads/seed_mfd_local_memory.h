// `seed-mfd-local-memory` (seed experiment 6): the MFD's cell drivers (sw/drivers/mfd/) run jobs on
// its 8051 firmware. A job block comes from dma_alloc_coherent on the cell's device -- the MFD's
// SRAM pool when the tree gives the MFD its memory-region -- and the CPU fills it; the firmware
// reaches it through its address decoder and windows, the MFD's DMA engine fetches the input
// (input=engine: from a streaming buffer mapped TO_DEVICE) and writes the output (output=engine:
// into a buffer mapped FROM_DEVICE); the host reads the result and checks it against the same
// computation done on the host (FN_GAIN for the dsp cell, FN_CRC16 for the usb cell).
//
// Without the pool the blocks are system RAM the firmware's decoder cannot reach: it reads and
// writes the SRAM page the address's low bits name (outside_local_memory), so the status never
// reaches the block and the data are wrong. exhaust=true first allocates blocks until the pool
// returns NULL (never system RAM) and checks each lies in the SRAM.
//
// Stats: workload.mfd.jobs, .job_errors (the driver refused or the firmware failed), .bad_checksums,
// .pool_allocs, .pool_failures, .outside_pool (a block outside the MFD's SRAM), .bytes_in,
// .bytes_out; workload.data_errors counts wrong bytes and wrong checksums.
#pragma once

#include "sw/workloads/workload.h"

namespace sw {

Workload seed_mfd_local_memory_workload();

}  // namespace sw
