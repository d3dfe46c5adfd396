// The flush queue of a domain in lazy mode (iommu.strict=0; Linux's struct iova_fq and queue_iova,
// drivers/iommu/dma-iommu.c): an unmap clears the page-table entries but neither invalidates the
// IOTLB nor frees the IOVA range; the range waits here until the whole domain's IOTLB is flushed
// (flush_iotlb_all), so the device may still reach the old pages through a stale IOTLB entry until
// then, but no new mapping can reuse the IOVA before the flush. Linux flushes when a queue is full
// (IOVA_DEFAULT_FQ_SIZE slots, one kept empty: 255 entries) or, from a timer, IOVA_FQ_TIMEOUT (10 ms)
// after the first queueing since the last timer flush. dmasim has one CPU and no kernel timers: the
// timer is checked whenever the DMA layer queues, maps or allocates IOVA space on the domain (poll),
// and flushes then if it would have fired. Page-table pages an unmap freed (IotlbGather::freed_tables)
// wait with their range and are handed back with the domain's iotlb_sync after the flush.
#pragma once

#include "dma/iommu.h"
#include "dma/iova.h"

#include <cstdint>
#include <deque>
#include <vector>

namespace dma {

class IovaFlushQueue {
public:
    static constexpr size_t fq_size = 256;                     // IOVA_DEFAULT_FQ_SIZE
    static constexpr uint64_t fq_timeout_ps = 10'000'000'000;  // IOVA_FQ_TIMEOUT: 10 ms

    // `stat_flushes` counts every flush (dma.iommu.fq_flushes).
    IovaFlushQueue(IommuDomain& domain, IovaDomain& iovad, uint64_t& stat_flushes)
        : domain_(domain), iovad_(iovad), stat_flushes_(stat_flushes) {}

    // Linux's queue_iova: a full queue is flushed first; the timer starts if it is not running.
    // `pfn` is the range's first granule.
    void queue(uint64_t pfn, std::vector<uint64_t> freed_tables, uint64_t now_ps);
    // Linux's fq_flush_timeout, when the timer started by a queueing is due at `now_ps`.
    void poll(uint64_t now_ps);
    // Linux's fq_flush_iotlb then fq_ring_free: the domain's IOTLB flushed, every queued range freed.
    void flush();

    size_t pending() const { return entries_.size(); }

private:
    struct Entry {
        uint64_t pfn = 0;
        std::vector<uint64_t> freed_tables;
    };

    IommuDomain& domain_;
    IovaDomain& iovad_;
    uint64_t& stat_flushes_;
    std::deque<Entry> entries_;
    bool timer_on_ = false;
    uint64_t timer_due_ps_ = 0;
};

}  // namespace dma
