// `seed-small-buffers` (seed experiment 3): a stack sends frames through the ring device in
// loopback and checks each frame it receives. The ring_nic driver receives into small kmalloc'd
// buffers (the frame size, 32 bytes by default), each allocated right after its per-packet
// rx_info, which the driver writes when posting the buffer, updates while the device owns it and
// reads back on completion; small TX frames are copied into kmalloc'd buffers of the same size.
// Without a DMA minimum alignment these objects pack two to a cache line, so on a non-coherent
// bridge the cache maintenance for one object hits its neighbour:
//   - FROM_DEVICE map = invalidate (ARMv7, 2011): mapping a buffer throws away the CPU's freshly
//     written neighbour, typically its own rx_info: the driver reads stale records (wrong tags);
//   - FROM_DEVICE map = clean (arm64): the line stays cached with the buffer's old bytes; a CPU
//     write to the neighbour dirties it, and the next clean of the line (mapping the neighbour)
//     writes the old bytes over what the device wrote: lost_device_write, wrong frame data.
// fix=dma_pool receives into blocks of a dma_pool of line-aligned coherent blocks; fix=min_align
// keeps the kmalloc'd buffers but needs the kernel's kmalloc minimum alignment to cover a cache
// line (/chosen dmasim,kmalloc-min-align = <64>), so no two objects share one.
//
// Stats: workload.small_buffers.frames, .bad_frames (frames whose data was wrong), .bad_tags
// (frames the driver tagged with the wrong sequence), .rx_info_corrupt (records that did not read
// as posted), .shared_line_buffers (received buffers sharing a cache line with another object),
// .irqs; workload.data_errors counts the wrong bytes of data and tags. Event:
// workload.small_buffers (a frame received wrong).
#pragma once

#include "sw/workload.h"

namespace sw {

Workload seed_small_buffers_workload();

}  // namespace sw
