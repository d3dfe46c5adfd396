#include "dma/swiotlb.h"

#include "dma/context.h"
#include "dma/device.h"
#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace dma {

namespace {

constexpr uint64_t page_size = sw::PageAllocator::page_size;
constexpr uint64_t slots_per_page = page_size / Swiotlb::io_tlb_size;

uint64_t round_to_segments(uint64_t nslabs) {
    return (nslabs + Swiotlb::io_tlb_segsize - 1) / Swiotlb::io_tlb_segsize * Swiotlb::io_tlb_segsize;
}

}  // namespace

Swiotlb::Swiotlb(sw::Kernel& kernel, models::Instrumentation& instr, uint64_t nslabs)
    : kernel_(kernel), instr_(instr), nslabs_(round_to_segments(nslabs)),
      stat_total_slots_(instr.counter("swiotlb.total_slots")), stat_maps_(instr.counter("swiotlb.maps")),
      stat_bounced_bytes_(instr.counter("swiotlb.bounced_bytes")),
      stat_slots_in_use_(instr.counter("swiotlb.slots_in_use")),
      stat_slots_high_water_(instr.counter("swiotlb.slots_high_water")), stat_full_(instr.counter("swiotlb.full")),
      stat_overflows_(instr.counter("swiotlb.overflows")),
      ev_bounced_(instr.declare_event("swiotlb.bounced", "a streaming mapping got a swiotlb bounce buffer")) {
    if (!is_active())
        return;
    sw::Zone zone = kernel.page_allocator().lowest_populated_zone();
    try {
        start_ = kernel.alloc_contiguous(size(), zone);
    } catch (const std::runtime_error& error) {
        throw SwiotlbPoolError(fmt::format("swiotlb: cannot allocate its pool of {} slots ({} bytes) from the {} "
                                           "zone: {}",
                                           nslabs_, size(), sw::to_string(zone), error.what()),
                               nslabs_, zone, error.what());
    }
    slots_.resize(nslabs_);
    for (uint64_t i = 0; i < nslabs_; ++i)
        slots_[i].list = io_tlb_segsize - i % io_tlb_segsize;
    stat_total_slots_ = nslabs_;
}

uint64_t Swiotlb::tbl_map_single(Device& dev, uint64_t orig_addr, uint64_t size, Attrs attrs,
                                 uint64_t alloc_align_mask) {
    Context& context = dev.context();
    if (!is_active()) {
        context.warn(dev,
                     "Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce "
                     "buffer",
                     context.stat_mapping_errors);
        return invalid_phys_addr;
    }
    if (size == 0)
        throw std::invalid_argument(fmt::format("{}: swiotlb mapping of PA {:#x} with 0 bytes", dev.name(), orig_addr));
    // Whole alignment units, as Linux's ALIGN(mapping_size + offset, alloc_align_mask + 1): an IOMMU
    // maps the device the whole granule, so no other mapping's slots may lie in it.
    uint64_t alloc_size = (size + alloc_align_mask) & ~alloc_align_mask;
    int64_t index = find_slots(alloc_size, alloc_align_mask);
    if (index < 0) {
        ++stat_full_;
        std::string message = fmt::format("swiotlb buffer is full (sz: {} bytes), total {} (slots), used {} (slots)",
                                          alloc_size, nslabs_, used_);
        if (attrs & attr::no_warn)
            ++context.stat_mapping_errors;
        else
            context.warn(dev, message, context.stat_mapping_errors);
        return invalid_phys_addr;
    }
    for (uint64_t i = 0; i < nr_slots(alloc_size); ++i)
        slots_[index + i].orig_addr = orig_addr + (i << io_tlb_shift);
    uint64_t tlb_addr = start_ + (uint64_t(index) << io_tlb_shift);
    ++stat_maps_;
    if (ev_bounced_.enabled())
        instr_.emit(ev_bounced_, models::Event{kernel_.cpu().now_ps(),
                                               nullptr,
                                               dev.name(),
                                               {{"orig_pa", orig_addr}, {"tlb_pa", tlb_addr}, {"size", size}}});
    bounce(dev, tlb_addr, size, DmaDirection::to_device);
    return tlb_addr;
}

void Swiotlb::tbl_unmap_single(Device& dev, uint64_t tlb_addr, uint64_t size, DmaDirection dir, Attrs attrs) {
    if (!(attrs & attr::skip_cpu_sync))
        sync_single_for_cpu(dev, tlb_addr, size, dir);
    release_slots(tlb_addr);
}

void Swiotlb::sync_single_for_device(Device& dev, uint64_t tlb_addr, uint64_t size, DmaDirection dir) {
    if (dir == DmaDirection::to_device || dir == DmaDirection::bidirectional)
        bounce(dev, tlb_addr, size, DmaDirection::to_device);
}

void Swiotlb::sync_single_for_cpu(Device& dev, uint64_t tlb_addr, uint64_t size, DmaDirection dir) {
    if (dir == DmaDirection::from_device || dir == DmaDirection::bidirectional)
        bounce(dev, tlb_addr, size, DmaDirection::from_device);
}

// Walks from the last position with Linux's strides: a mapping of a page or more only starts on
// a page-aligned slot (the pool starts on a page, so that is an even slot index), and one with an
// alignment mask only on a slot so aligned.
int64_t Swiotlb::find_slots(uint64_t alloc_size, uint64_t alloc_align_mask) {
    uint64_t nslots = nr_slots(alloc_size);
    uint64_t stride = std::max<uint64_t>(alloc_size >= page_size ? slots_per_page : 1,
                                         (alloc_align_mask >> io_tlb_shift) + 1);
    if (nslots > nslabs_ - used_)
        return -1;
    uint64_t index = index_;
    for (uint64_t checked = 0; checked < nslabs_;) {
        if (index % stride) {
            index = wrap_index(index + 1);
            ++checked;
            continue;
        }
        if (slots_[index].list >= nslots) {
            for (uint64_t i = index; i < index + nslots; ++i) {
                slots_[i].list = 0;
                slots_[i].alloc_size = alloc_size - ((i - index) << io_tlb_shift);
            }
            // Free slots before the run, in its segment, now end where it starts.
            uint64_t count = 0;
            for (uint64_t i = index; i % io_tlb_segsize && slots_[i - 1].list; --i)
                slots_[i - 1].list = ++count;
            index_ = wrap_index(index + nslots);
            used_ += nslots;
            stat_slots_in_use_ = used_;
            stat_slots_high_water_ = std::max(stat_slots_high_water_, used_);
            return static_cast<int64_t>(index);
        }
        index = wrap_index(index + stride);
        checked += stride;
    }
    return -1;
}

// Frees the run and merges it with the free slots after and before it in its segment. A slot
// that holds no mapping (a repeated unmap) frees nothing, as in Linux.
void Swiotlb::release_slots(uint64_t tlb_addr) {
    uint64_t index = slot_index(tlb_addr);
    uint64_t nslots = nr_slots(slots_[index].alloc_size);
    if (nslots == 0)
        return;
    uint64_t segment_end = (index / io_tlb_segsize + 1) * io_tlb_segsize;
    uint64_t count = index + nslots < segment_end ? slots_[index + nslots].list : 0;
    for (uint64_t i = index + nslots; i-- > index;) {
        slots_[i].list = ++count;
        slots_[i].orig_addr = invalid_phys_addr;
        slots_[i].alloc_size = 0;
    }
    for (uint64_t i = index; i % io_tlb_segsize && slots_[i - 1].list; --i)
        slots_[i - 1].list = ++count;
    used_ -= nslots;
    stat_slots_in_use_ = used_;
}

void Swiotlb::bounce(Device& dev, uint64_t tlb_addr, uint64_t size, DmaDirection dir) {
    const Slot& slot = slots_[slot_index(tlb_addr)];
    if (slot.orig_addr == invalid_phys_addr)
        return;
    Context& context = dev.context();
    uint64_t tlb_offset = tlb_addr & (io_tlb_size - 1);
    if (tlb_offset > slot.alloc_size) {
        context.warn(dev,
                     fmt::format("Buffer overflow detected. Allocation size: {}. Mapping size: {}+{}.", slot.alloc_size,
                                 size, tlb_offset),
                     stat_overflows_);
        return;
    }
    uint64_t orig_addr = slot.orig_addr + tlb_offset;
    uint64_t alloc_size = slot.alloc_size - tlb_offset;
    if (size > alloc_size) {
        context.warn(dev,
                     fmt::format("Buffer overflow detected. Allocation size: {}. Mapping size: {}.", alloc_size, size),
                     stat_overflows_);
        size = alloc_size;
    }
    if (dir == DmaDirection::to_device)
        copy_through_cpu(orig_addr, tlb_addr, size);
    else
        copy_through_cpu(tlb_addr, orig_addr, size);
}

void Swiotlb::copy_through_cpu(uint64_t from_pa, uint64_t to_pa, uint64_t size) {
    std::vector<uint8_t> data(size);
    models::Core& cpu = kernel_.cpu();
    cpu.read_block(sw::Kernel::phys_to_virt(from_pa), data.data(), size);
    cpu.write_block(sw::Kernel::phys_to_virt(to_pa), data.data(), size);
    stat_bounced_bytes_ += size;
}

}  // namespace dma
