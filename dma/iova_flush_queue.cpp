#include "dma/iova_flush_queue.h"

namespace dma {

void IovaFlushQueue::queue(uint64_t pfn, std::vector<uint64_t> freed_tables, uint64_t now_ps) {
    poll(now_ps);
    if (entries_.size() == fq_size - 1)
        flush();
    entries_.push_back(Entry{pfn, std::move(freed_tables)});
    if (!timer_on_) {
        timer_on_ = true;
        timer_due_ps_ = now_ps + fq_timeout_ps;
    }
}

// The timer flushes whether or not anything is queued, as Linux's does.
void IovaFlushQueue::poll(uint64_t now_ps) {
    if (!timer_on_ || now_ps < timer_due_ps_)
        return;
    timer_on_ = false;
    flush();
}

void IovaFlushQueue::flush() {
    ++stat_flushes_;
    domain_.flush_iotlb_all();
    IotlbGather freed;
    freed.queued = true;  // nothing left to invalidate: only the tables to hand back
    for (Entry& entry : entries_) {
        iovad_.free_iova(entry.pfn);
        freed.freed_tables.insert(freed.freed_tables.end(), entry.freed_tables.begin(), entry.freed_tables.end());
    }
    entries_.clear();
    if (!freed.freed_tables.empty())
        domain_.iotlb_sync(freed);
}

}  // namespace dma
