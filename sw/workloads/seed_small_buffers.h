// `seed-small-buffers` (seed experiment 3): a stack exchanges frames with itself through the ring
// device in loopback, like an echo responder: a window of frames goes out, then each frame received
// is checked, freed and answered with the next one from the receive path. The ring_nic driver
// receives into small kmalloc'd buffers (the frame size, 32 bytes by default), each allocated right
// after its per-packet rx_info, which the driver writes when posting the buffer, updates while the
// device owns it and checks on completion; the rx_info's sequence tags the frame. Without a DMA
// minimum alignment kmalloc packs the two into one cache line, so on a non-coherent bridge the
// buffer's cache maintenance hits the record beside it:
//   - FROM_DEVICE map = invalidate (ARMv7, 2011): mapping the buffer throws away the record the
//     driver has just written: stale records, wrongly tagged frames;
//   - FROM_DEVICE map = clean (arm64): the record survives the map, but the line stays cached; the
//     driver's updates during the DMA dirty it and the unmap's invalidate throws them away: stale
//     records, right tags. (Were the dirty line written back before the unmap, by an eviction or a
//     clean for a neighbour's mapping, its stale copy of the buffer would overwrite the frame: a
//     lost_device_write.)
// The device's data arrives intact either way, and dma-debug, which sees mappings, not the CPU's
// objects beside them, has nothing to say. fix=dma_pool receives into blocks of a dma_pool of
// line-aligned coherent blocks; fix=min_align keeps the kmalloc'd buffers but needs the kernel's
// kmalloc minimum alignment to cover a cache line (/chosen dmasim,kmalloc-min-align = <64>), so no
// two objects share one.
//
// Stats: workload.small_buffers.frames, .bad_frames (frames whose data was wrong), .bad_tags
// (frames tagged with the wrong sequence), .bad_records (frames whose rx_info read back wrong),
// .shared_line_buffers (received buffers sharing a cache line with another object), .irqs;
// workload.data_errors counts the wrong bytes of data, tags and records. Event:
// workload.small_buffers (a frame received wrong).
#pragma once

#include "sw/workloads/workload.h"

namespace sw {

Workload seed_small_buffers_workload();

}  // namespace sw
