// The software IO TLB (Linux's kernel/dma/swiotlb.c, one default pool: io_tlb_mem with one area):
// bounce buffers in low memory for streaming mappings a device cannot reach, or for every
// mapping when bouncing is forced. The pool is cut into 2 KiB slots, grouped in segments of 128
// slots; a bounce buffer is a run of free slots inside one segment, so a mapping is at most
// 256 KiB. Each slot remembers the original address it stands for and how many bytes of the
// mapping remain from it, as Linux's io_tlb_slot does, so a partial sync copies the right bytes.
// Copies go through the core (read_block / write_block on the linear map); cache maintenance of
// the bounce buffer is the caller's (DirectOps), as in Linux.
#pragma once

#include "dma/types.h"
#include "models/common/instrumentation.h"

#include "sw/kernel/page_allocator.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace sw {
class Kernel;
}

namespace dma {

class Device;

// The kernel could not supply the default pool at boot: too many slots for the lowest zone.
class SwiotlbPoolError : public std::runtime_error {
public:
    SwiotlbPoolError(const std::string& message, uint64_t nslabs, sw::Zone zone, std::string reason)
        : std::runtime_error(message), nslabs(nslabs), zone(zone), reason(std::move(reason)) {}
    uint64_t nslabs;     // as rounded up to whole segments
    sw::Zone zone;       // where it was to come from
    std::string reason;  // the page allocator's
};

class Swiotlb {
public:
    static constexpr unsigned io_tlb_shift = 11;
    static constexpr uint64_t io_tlb_size = 1ULL << io_tlb_shift;  // one slot: 2 KiB
    static constexpr uint64_t io_tlb_segsize = 128;                // slots per segment
    // Linux's swiotlb_max_mapping_size (no min-align mask): one whole segment, 256 KiB.
    static constexpr uint64_t max_mapping_size = io_tlb_size * io_tlb_segsize;

    // Allocates the default pool of `nslabs` slots, rounded up to whole segments as Linux's
    // swiotlb=<nslabs> parsing does, from the lowest populated zone (memblock_alloc_low); 0 means
    // no swiotlb at all (as swiotlb=noforce). SwiotlbPoolError naming the size and the zone when
    // the kernel cannot supply it. The pool is never freed, as Linux's default pool.
    Swiotlb(sw::Kernel& kernel, models::Instrumentation& instr, uint64_t nslabs);
    Swiotlb(const Swiotlb&) = delete;
    Swiotlb& operator=(const Swiotlb&) = delete;

    bool is_active() const { return nslabs_ != 0; }  // is_swiotlb_active
    // Whether `pa` lies in the pool (is_swiotlb_buffer): how unmap and sync recognize a bounce.
    bool is_swiotlb_buffer(uint64_t pa) const { return is_active() && pa >= start_ && pa - start_ < size(); }
    uint64_t start() const { return start_; }
    uint64_t size() const { return nslabs_ << io_tlb_shift; }
    uint64_t nslabs() const { return nslabs_; }
    uint64_t used() const { return used_; }

    // swiotlb_tbl_map_single: slots for `size` bytes standing for `orig_addr`, filled from it
    // whatever the direction (so bytes the device does not write come back unchanged). Returns
    // the bounce buffer's physical address, or invalid_phys_addr when there is no pool or it is
    // full (warned unless NO_WARN; counted in dma.mapping_errors and, when full, swiotlb.full).
    // std::invalid_argument for 0 bytes (Linux's BUG_ON). `alloc_align_mask` (Linux's parameter of
    // that name): the bounce buffer starts on a multiple of alloc_align_mask + 1 bytes, as IOMMU ops
    // ask for their granule, and takes whole multiples of it, so that no other mapping's slots share
    // the device's IOMMU page (the slots in use count them all).
    uint64_t tbl_map_single(Device& dev, uint64_t orig_addr, uint64_t size, Attrs attrs, uint64_t alloc_align_mask = 0);
    // swiotlb_tbl_unmap_single: copies back for FROM_DEVICE / BIDIRECTIONAL unless SKIP_CPU_SYNC,
    // then frees the slots from `tlb_addr` to the end of its mapping.
    void tbl_unmap_single(Device& dev, uint64_t tlb_addr, uint64_t size, DmaDirection dir, Attrs attrs);
    // Copy to the bounce buffer for TO_DEVICE / BIDIRECTIONAL.
    void sync_single_for_device(Device& dev, uint64_t tlb_addr, uint64_t size, DmaDirection dir);
    // Copy back to the original for FROM_DEVICE / BIDIRECTIONAL.
    void sync_single_for_cpu(Device& dev, uint64_t tlb_addr, uint64_t size, DmaDirection dir);

private:
    // Linux's io_tlb_slot.
    struct Slot {
        uint64_t orig_addr = invalid_phys_addr;
        uint64_t alloc_size = 0;  // bytes of the mapping from this slot on; 0 when free
        uint64_t list = 0;        // free slots from here to the end of the segment; 0 when used
    };

    static uint64_t nr_slots(uint64_t size) { return (size + io_tlb_size - 1) >> io_tlb_shift; }
    uint64_t slot_index(uint64_t tlb_addr) const { return (tlb_addr - start_) >> io_tlb_shift; }
    uint64_t wrap_index(uint64_t index) const { return index >= nslabs_ ? 0 : index; }
    // swiotlb_area_find_slots: the first fitting run from the last position on, wrapping; -1 if none.
    int64_t find_slots(uint64_t alloc_size, uint64_t alloc_align_mask);
    void release_slots(uint64_t tlb_addr);
    // swiotlb_bounce: copies between the bounce buffer at `tlb_addr` and its original, to the
    // bounce buffer for TO_DEVICE, back to the original otherwise.
    void bounce(Device& dev, uint64_t tlb_addr, uint64_t size, DmaDirection dir);
    void copy_through_cpu(uint64_t from_pa, uint64_t to_pa, uint64_t size);

    sw::Kernel& kernel_;
    models::Instrumentation& instr_;
    uint64_t nslabs_;
    uint64_t start_ = 0;
    std::vector<Slot> slots_;
    uint64_t index_ = 0;  // where the next search starts
    uint64_t used_ = 0;
    uint64_t& stat_total_slots_;       // swiotlb.total_slots
    uint64_t& stat_maps_;              // swiotlb.maps: bounce buffers handed out
    uint64_t& stat_bounced_bytes_;     // swiotlb.bounced_bytes: bytes copied, either way
    uint64_t& stat_slots_in_use_;      // swiotlb.slots_in_use
    uint64_t& stat_slots_high_water_;  // swiotlb.slots_high_water
    uint64_t& stat_full_;              // swiotlb.full: mappings refused for want of slots
    uint64_t& stat_overflows_;         // swiotlb.overflows: syncs past the end of their mapping
    models::EventKind ev_bounced_;     // swiotlb.bounced
};

}  // namespace dma
