// `seed-shared-buffer` (seed experiment 8): one buffer shared through dma-buf (dma/dma_buf.h) by two
// DMA test endpoints of different reach. The exporter's driver allocates it from the system heap
// (pages anywhere, above 4 GiB first) and attaches its own function; the importer's driver attaches
// the other. Each maps the buffer once with its own device (TO_DEVICE), as a display keeps its
// scanout buffer mapped: the wide exporter directly, a narrow importer through swiotlb bounce
// buffers or, behind the IOMMU, at IOVAs. Then, frame after frame, the CPU writes the buffer between
// dma_buf_begin_cpu_access and dma_buf_end_cpu_access (fixed=false: without the end) and each device
// reads it by DMA (COMMAND_COPY of every DMA segment into a coherent buffer of its own, which the
// workload compares with the frame).
//
// Broken: without end_cpu_access a non-coherent device reads memory the CPU's dirty lines have not
// reached (stale_device_read, wrong bytes), and a bounced importer reads the bounce buffer filled
// at map time, even on a coherent bridge (wrong bytes, no cache hazard). Fixed: end_cpu_access
// syncs every mapped attachment for its device (clean, copy into the bounce buffer): none.
//
// Stats: workload.shared_buffer.frames; per role (exporter, importer) under
// workload.shared_buffer.<role>.: data_errors (wrong bytes read), bad_frames, and the attachment's
// costs: maps, dma_segments, bounce_buffers, bounced_bytes, iommu_maps, syncs_for_device.
#pragma once

#include "sw/workloads/workload.h"

namespace sw {

Workload seed_shared_buffer_workload();

}  // namespace sw
