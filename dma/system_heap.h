// The dma-buf exporter dmasim builds in, after Linux's system heap (drivers/dma-buf/heaps/
// system_heap.c): pages from the page allocator, the largest of 1 MiB, 64 KiB and 4 KiB blocks
// that fits first (never a larger order after a smaller one), zeroed through the CPU (__GFP_ZERO).
// Every attachment gets its own table, duplicated from the buffer's pages (dup_sg_table), which
// map_dma_buf maps with the attachment's device (dma_map_sgtable). begin_cpu_access syncs every
// mapped attachment's table for the CPU, end_cpu_access for its device, each in the direction given.
//
// dmasim's addition: system_heap_move gives the buffer fresh pages, as an exporter that can move
// its buffers (a TTM driver evicting a BO) does, and tells dynamic importers with move_notify.
#pragma once

#include "dma/dma_buf.h"
#include "sw/kernel/page_allocator.h"

#include <memory>

namespace dma {

class Context;

// Linux's system_heap_allocate: a buffer of `len` bytes (rounded up to pages) exported as "system",
// or nullptr when the page allocator runs out (what it took is given back). `highest`: the zones
// the pages may come from (Linux's heap: any).
std::unique_ptr<DmaBuf> system_heap_allocate(Context& context, uint64_t len, sw::Zone highest = sw::Zone::normal);

// The buffer's own table (its page runs, never mapped), for CPU access through the linear map as
// the exporter's vmap would give; std::invalid_argument for a buffer another exporter made.
const SgTable& system_heap_table(const DmaBuf& dmabuf);

// Moves the buffer to fresh pages: -EBUSY while a static importer has it mapped (its mapping pins
// the pages), -ENOMEM without pages. Otherwise the CPU copies the contents, dma_buf_move_notify
// tells the dynamic importers (which unmap), every attachment's table is rebuilt on the new pages
// and the old pages are freed; 0. A dynamic importer still mapped after move_notify is warned about
// (dma.buf.misuse): its device would reach freed pages.
int system_heap_move(DmaBuf& dmabuf);

}  // namespace dma
