#include "dma/debug.h"

#include "dma/device.h"
#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <fmt/format.h>

namespace dma {

namespace {

// Linux's hash of entries by device address: 16384 buckets of 8 KiB (HASH_SIZE, HASH_FN_SHIFT). A
// sync's containing search walks back bucket by bucket, at most this far.
constexpr unsigned hash_fn_shift = 13;
constexpr uint64_t hash_size = 16384;
constexpr uint64_t hash_fn_mask = hash_size - 1;
// Linux counts a cache line's overlapping mappings in three radix-tree tags.
constexpr unsigned active_cacheline_max_overlap = 7;

const char* dir2name(DmaDirection dir) {
    switch (dir) {
    case DmaDirection::bidirectional: return "DMA_BIDIRECTIONAL";
    case DmaDirection::to_device: return "DMA_TO_DEVICE";
    case DmaDirection::from_device: return "DMA_FROM_DEVICE";
    case DmaDirection::none: return "DMA_NONE";
    }
    return "?";
}

size_t index(DebugCheck check) { return static_cast<size_t>(check); }

bool exact_match(const DebugEntry& ref, const DebugEntry& entry) {
    return entry.dev == ref.dev && entry.dev_addr == ref.dev_addr;
}

// Linux's containing_match (kernel/dma/debug.c): the entry holds the whole sync, first byte to
// last; a sync running past its mapping's end matches nothing, so it is a sync of memory the
// driver has not allocated.
bool containing_match(const DebugEntry& ref, const DebugEntry& entry) {
    return entry.dev == ref.dev && entry.dev_addr <= ref.dev_addr &&
           entry.dev_addr + entry.size >= ref.dev_addr + ref.size;
}

}  // namespace

const char* to_string(DebugType type) {
    switch (type) {
    case DebugType::single: return "single";
    case DebugType::page: return "page";
    case DebugType::sg: return "scatter-gather";
    case DebugType::coherent: return "coherent";
    case DebugType::noncoherent: return "noncoherent";
    }
    return "?";
}

const std::array<DebugCheckInfo, debug_check_count>& debug_checks() {
    using C = DebugCheck;
    static const std::array<DebugCheckInfo, debug_check_count> checks{{
        {C::free_invalid_address, "free_invalid_address", "unmap or free of DMA_MAPPING_ERROR"},
        {C::free_unallocated, "free_unallocated", "unmap or free of a device address no live mapping has"},
        {C::free_different_size, "free_different_size", "unmap or free with a size other than the mapping's"},
        {C::free_wrong_function, "free_wrong_function",
         "unmap or free with another family than the mapping's (single, page, sg, coherent, noncoherent)"},
        {C::free_different_cpu_address, "free_different_cpu_address",
         "free of an allocation with a CPU address other than the one it returned"},
        {C::free_different_sg_count, "free_different_sg_count",
         "unmap_sg with an entry count other than the one given to map_sg"},
        {C::free_different_direction, "free_different_direction", "unmap with a direction other than the mapping's"},
        {C::map_error_not_checked, "map_error_not_checked",
         "a single or page mapping unmapped without mapping_error() having been called on it"},
        {C::map_from_stack, "map_from_stack", "a mapping of memory on the kernel stack"},
        {C::map_from_text_or_rodata, "map_from_text_or_rodata", "a mapping of the kernel image's text or rodata"},
        {C::sync_unallocated, "sync_unallocated", "a sync of a device address no live mapping holds"},
        {C::sync_different_direction, "sync_different_direction",
         "a sync with a direction other than the mapping's (bidirectional mappings accept any)"},
        {C::sync_device_read_only_for_cpu, "sync_device_read_only_for_cpu",
         "sync_for_cpu of a TO_DEVICE mapping with a direction that expects device data"},
        {C::sync_device_write_only_for_device, "sync_device_write_only_for_device",
         "sync_for_device of a FROM_DEVICE mapping with a direction that sends CPU data"},
        {C::sync_different_sg_count, "sync_different_sg_count",
         "sync_sg with an entry count other than the one given to map_sg"},
        {C::sg_segment_too_long, "sg_segment_too_long", "an sg segment longer than the device's max_segment_size"},
        {C::sg_segment_across_boundary, "sg_segment_across_boundary",
         "an sg segment crossing the device's segment_boundary_mask"},
        {C::map_from_invalid_area, "map_from_invalid_area", "map_single of an address outside the linear map"},
        {C::map_from_vmalloc, "map_from_vmalloc", "map_single of a vmalloc (vmap, ioremap) address"},
        {C::overlapping_cacheline, "overlapping_cacheline",
         "a mapping the device may write starting in the cache line another such mapping starts in"},
        {C::overlapping_cacheline_overflow, "overlapping_cacheline_overflow",
         "more than 7 overlapping mappings of one cache line: mappings are probably leaking"},
        {C::leaked_at_driver_removal, "leaked_at_driver_removal",
         "a device's driver is removed while it still has mappings or allocations"},
        {C::leaked_at_exit, "leaked_at_exit", "mappings or allocations still live at the end of the run"},
    }};
    return checks;
}

const char* to_string(DebugCheck check) { return debug_checks()[index(check)].id; }

DmaDebug::DmaDebug(sw::Kernel& kernel, models::Instrumentation& instr, bool enabled, size_t max_reports)
    : kernel_(kernel), instr_(instr), enabled_(enabled), max_reports_(max_reports) {
    for (const DebugCheckInfo& info : debug_checks()) {
        std::string name = std::string("dma_debug.") + info.id;
        events_[index(info.check)] = instr.declare_event(name, std::string("dma-debug: ") + info.description);
        if (enabled_)
            stats_[index(info.check)] = &instr.counter(name);
    }
    if (enabled_) {
        buckets_.resize(hash_size);
        stat_reports_ = &instr.counter("dma_debug.reports");
        stat_active_entries_ = &instr.counter("dma_debug.active_entries");
    }
}

uint64_t DmaDebug::count(DebugCheck check) const {
    const uint64_t* stat = stats_[index(check)];
    return stat ? *stat : 0;
}

std::vector<DebugEntry> DmaDebug::entries_of(const Device& dev) const {
    std::vector<DebugEntry> found;
    for_each_entry([&](const DebugEntry& entry) {
        if (entry.dev == &dev)
            found.push_back(entry);
    });
    return found;
}

void DmaDebug::report(DebugCheck check, const std::string& device, const std::string& message) {
    size_t i = index(check);
    ++*stats_[i];
    ++*stat_reports_;
    uint64_t now = kernel_.cpu().now_ps();
    if (reports_.size() < max_reports_)
        reports_.push_back(DebugReport{check, device, message, now});
    if (events_[i].enabled())
        instr_.emit(events_[i], models::Event{now, nullptr, device, {{"message", message}}});
}

// --- entries ---

DebugEntry DmaDebug::make_ref(Device& dev, DebugType type, dma_addr_t addr, uint64_t size, DmaDirection dir) const {
    DebugEntry ref;
    ref.dev = &dev;
    ref.device = dev.name();
    ref.type = type;
    ref.dev_addr = addr;
    ref.size = size;
    ref.direction = dir;
    return ref;
}

DebugEntry DmaDebug::make_sg_ref(Device& dev, const Scatterlist& sg, int nelems, DmaDirection dir) const {
    DebugEntry ref = make_ref(dev, DebugType::sg, sg.dma_address, sg.dma_length, dir);
    ref.paddr = sg.pa + sg.offset;
    ref.sg_call_ents = nelems;
    return ref;
}

// A vmalloc address no longer mapped gives 0, as Linux's vmalloc_to_pfn.
bool DmaDebug::cpu_to_phys(uint64_t cpu_addr, uint64_t& pa) const {
    if (sw::Kernel::is_vmalloc_addr(cpu_addr)) {
        models::Translation translation;
        pa = kernel_.cpu().mmu().translate(cpu_addr, translation) ? translation.pa : 0;
        return true;
    }
    if (!kernel_.virt_addr_valid(cpu_addr))
        return false;
    pa = sw::Kernel::virt_to_phys(cpu_addr);
    return true;
}

// Linux's hash_fn.
DmaDebug::Bucket& DmaDebug::bucket_of(dma_addr_t addr) { return buckets_[(addr >> hash_fn_shift) & hash_fn_mask]; }

// Linux's __hash_bucket_find: a perfect fit (size, type, direction and sg count equal) wins;
// otherwise the best of the matches, but only if there is one match.
DmaDebug::Found DmaDebug::hash_bucket_find(Bucket& bucket, const DebugEntry& ref, MatchFn match) {
    Found best;
    int matches = 0, best_level = -1;
    for (auto it = bucket.begin(); it != bucket.end(); ++it) {
        const DebugEntry& entry = *it;
        if (!match(ref, entry))
            continue;
        ++matches;
        int level = (entry.size == ref.size) + (entry.type == ref.type) + (entry.direction == ref.direction) +
                    (entry.sg_call_ents == ref.sg_call_ents);
        if (level == 4)
            return Found{&bucket, it};
        if (level > best_level) {
            best_level = level;
            best = Found{&bucket, it};
        }
    }
    return matches == 1 ? best : Found{};
}

DmaDebug::Found DmaDebug::find_exact(const DebugEntry& ref) {
    return hash_bucket_find(bucket_of(ref.dev_addr), ref, exact_match);
}

// Linux's bucket_find_contain: the ref's bucket first, then the ones below it.
DmaDebug::Found DmaDebug::find_containing(const DebugEntry& ref) {
    uint64_t limit = std::min(hash_size, (ref.dev_addr >> hash_fn_shift) + 1);
    dma_addr_t addr = ref.dev_addr;
    for (uint64_t i = 0; i < limit; ++i, addr -= 1ULL << hash_fn_shift)
        if (Found found = hash_bucket_find(bucket_of(addr), ref, containing_match))
            return found;
    return Found{};
}

int DmaDebug::nr_mapped_entries(const DebugEntry& ref) {
    Found found = find_exact(ref);
    return found ? found.entry->sg_mapped_ents : 0;
}

void DmaDebug::add_entry(DebugEntry entry, Attrs attrs) {
    entry.time_ps = kernel_.cpu().now_ps();
    bool first_on_line = active_cacheline_insert(entry);
    Bucket& bucket = bucket_of(entry.dev_addr);
    bucket.push_back(std::move(entry));
    *stat_active_entries_ = ++entry_count_;
    const DebugEntry& e = bucket.back();
    if (!first_on_line && !(attrs & attr::skip_cpu_sync))
        report(DebugCheck::overlapping_cacheline, e.device,
               fmt::format("cacheline tracking EEXIST, overlapping mappings aren't supported [device "
                           "address=0x{:016x}] [size={} bytes] [mapped with {}] [mapped as {}] [cacheline "
                           "address=0x{:x}]",
                           e.dev_addr, e.size, dir2name(e.direction), to_string(e.type),
                           cacheline_of(e) * kernel_.cpu().l1d().line_size()));
}

void DmaDebug::remove_entry(Found found) {
    active_cacheline_remove(*found.entry);
    found.bucket->erase(found.entry);
    *stat_active_entries_ = --entry_count_;
}

// --- active cache lines ---

uint64_t DmaDebug::cacheline_of(const DebugEntry& entry) const { return entry.paddr / kernel_.cpu().l1d().line_size(); }

// A device that only reads memory leaves the CPU no stale data to consume, so TO_DEVICE
// mappings are not tracked (legitimate overlaps, e.g. one buffer sent to several devices).
bool DmaDebug::active_cacheline_insert(const DebugEntry& entry) {
    if (entry.direction == DmaDirection::to_device)
        return true;
    uint64_t line = cacheline_of(entry);
    auto [found, inserted] = active_cachelines_.try_emplace(line, 0);
    if (inserted)
        return true;
    if (++found->second > active_cacheline_max_overlap && !overlap_overflow_reported_) {
        overlap_overflow_reported_ = true;  // Linux's WARN_ONCE
        report(DebugCheck::overlapping_cacheline_overflow, entry.device,
               fmt::format("exceeded {} overlapping mappings of cacheline 0x{:x} [address=0x{:x}]",
                           active_cacheline_max_overlap, line, line * kernel_.cpu().l1d().line_size()));
    }
    return false;
}

void DmaDebug::active_cacheline_remove(const DebugEntry& entry) {
    if (entry.direction == DmaDirection::to_device)
        return;
    auto found = active_cachelines_.find(cacheline_of(entry));
    if (found == active_cachelines_.end())
        return;
    if (found->second == 0)
        active_cachelines_.erase(found);
    else
        --found->second;
}

// --- checks ---

void DmaDebug::check_unmap(const DebugEntry& ref) {
    Found found = find_exact(ref);
    if (!found) {
        if (ref.dev_addr == DMA_MAPPING_ERROR)
            report(DebugCheck::free_invalid_address, ref.device,
                   fmt::format("device driver tries to free an invalid DMA memory address [size={} bytes] "
                               "[unmapped as {}] [unmapped with {}]",
                               ref.size, to_string(ref.type), dir2name(ref.direction)));
        else
            report(DebugCheck::free_unallocated, ref.device,
                   fmt::format("device driver tries to free DMA memory it has not allocated [device "
                               "address=0x{:016x}] [size={} bytes] [unmapped as {}] [unmapped with {}]",
                               ref.dev_addr, ref.size, to_string(ref.type), dir2name(ref.direction)));
        return;
    }
    const DebugEntry& entry = *found.entry;
    if (ref.size != entry.size)
        report(DebugCheck::free_different_size, ref.device,
               fmt::format("device driver frees DMA memory with different size [device address=0x{:016x}] [map "
                           "size={} bytes] [unmap size={} bytes] [mapped with {}] [unmapped with {}]",
                           ref.dev_addr, entry.size, ref.size, dir2name(entry.direction), dir2name(ref.direction)));
    if (ref.type != entry.type)
        report(DebugCheck::free_wrong_function, ref.device,
               fmt::format("device driver frees DMA memory with wrong function [device address=0x{:016x}] "
                           "[size={} bytes] [mapped as {}] [unmapped as {}] [mapped with {}] [unmapped with {}]",
                           ref.dev_addr, ref.size, to_string(entry.type), to_string(ref.type),
                           dir2name(entry.direction), dir2name(ref.direction)));
    else if ((entry.type == DebugType::coherent || entry.type == DebugType::noncoherent) && ref.paddr != entry.paddr)
        report(DebugCheck::free_different_cpu_address, ref.device,
               fmt::format("device driver frees DMA memory with different CPU address [device address=0x{:016x}] "
                           "[size={} bytes] [cpu alloc address=0x{:016x}] [cpu free address=0x{:016x}] [mapped "
                           "with {}] [unmapped with {}]",
                           ref.dev_addr, ref.size, entry.paddr, ref.paddr, dir2name(entry.direction),
                           dir2name(ref.direction)));
    if (ref.sg_call_ents && ref.type == DebugType::sg && ref.sg_call_ents != entry.sg_call_ents)
        report(DebugCheck::free_different_sg_count, ref.device,
               fmt::format("device driver frees DMA sg list with different entry count [map count={}] [unmap "
                           "count={}] [device address=0x{:016x}] [size={} bytes] [mapped with {}] [unmapped with {}]",
                           entry.sg_call_ents, ref.sg_call_ents, ref.dev_addr, ref.size, dir2name(entry.direction),
                           dir2name(ref.direction)));
    // Maybe no bug in reality, but most implementations of the DMA API do not handle it.
    if (ref.direction != entry.direction)
        report(DebugCheck::free_different_direction, ref.device,
               fmt::format("device driver frees DMA memory with different direction [device address=0x{:016x}] "
                           "[size={} bytes] [mapped with {}] [unmapped with {}]",
                           ref.dev_addr, ref.size, dir2name(entry.direction), dir2name(ref.direction)));
    if (entry.map_err_type == MapErrType::not_checked)
        report(DebugCheck::map_error_not_checked, ref.device,
               fmt::format("device driver failed to check map error [device address=0x{:016x}] [size={} bytes] "
                           "[mapped as {}] [mapped with {}]",
                           ref.dev_addr, ref.size, to_string(entry.type), dir2name(entry.direction)));
    remove_entry(found);
}

void DmaDebug::check_sync(const DebugEntry& ref, bool to_cpu) {
    Found found = find_containing(ref);
    if (!found) {
        report(DebugCheck::sync_unallocated, ref.device,
               fmt::format("device driver tries to sync DMA memory it has not allocated [device address=0x{:016x}] "
                           "[size={} bytes] [synced with {}]",
                           ref.dev_addr, ref.size, dir2name(ref.direction)));
        return;
    }
    const DebugEntry& entry = *found.entry;
    if (entry.direction == DmaDirection::bidirectional)
        return;
    auto describe = [&] {
        return fmt::format("[device address=0x{:016x}] [size={} bytes] [mapped with {}] [synced with {}]", ref.dev_addr,
                           entry.size, dir2name(entry.direction), dir2name(ref.direction));
    };
    if (ref.direction != entry.direction)
        report(DebugCheck::sync_different_direction, ref.device,
               "device driver syncs DMA memory with different direction " + describe());
    if (to_cpu && entry.direction != DmaDirection::from_device && ref.direction != DmaDirection::to_device)
        report(DebugCheck::sync_device_read_only_for_cpu, ref.device,
               "device driver syncs device read-only DMA memory for cpu " + describe());
    if (!to_cpu && entry.direction != DmaDirection::to_device && ref.direction != DmaDirection::from_device)
        report(DebugCheck::sync_device_write_only_for_device, ref.device,
               "device driver syncs device write-only DMA memory to device " + describe());
    if (ref.sg_call_ents && ref.type == DebugType::sg && ref.sg_call_ents != entry.sg_call_ents)
        report(DebugCheck::sync_different_sg_count, ref.device,
               fmt::format("device driver syncs DMA sg list with different entry count [map count={}] [sync "
                           "count={}] [device address=0x{:016x}] [size={} bytes] [mapped with {}] [synced with {}]",
                           entry.sg_call_ents, ref.sg_call_ents, ref.dev_addr, ref.size, dir2name(entry.direction),
                           dir2name(ref.direction)));
}

// The stack is in the linear map (no VMAP_STACK): its pages are recognised by address.
void DmaDebug::check_for_stack(Device& dev, uint64_t pa) {
    uint64_t va = sw::Kernel::phys_to_virt(pa);
    if (kernel_.object_is_on_stack(va))
        report(DebugCheck::map_from_stack, dev.name(),
               fmt::format("device driver maps memory from stack [addr=0x{:016x}] [stack=0x{:016x}-0x{:016x}]", va,
                           kernel_.stack().start, kernel_.stack().end));
}

void DmaDebug::check_for_illegal_area(Device& dev, uint64_t pa, uint64_t size) {
    uint64_t va = sw::Kernel::phys_to_virt(pa);
    if (kernel_.text().intersects(va, size) || kernel_.rodata().intersects(va, size))
        report(DebugCheck::map_from_text_or_rodata, dev.name(),
               fmt::format("device driver maps memory from kernel text or rodata [addr=0x{:016x}] [len={}]", va, size));
}

// Either the driver did not set its dma_parms or whoever built the list did not respect them.
void DmaDebug::check_sg_segment(Device& dev, const Scatterlist& sg) {
    Device& target = dev.dma_dev();
    uint64_t max_seg = target.max_segment_size(), boundary = target.segment_boundary_mask();
    if (sg.length > max_seg)
        report(DebugCheck::sg_segment_too_long, dev.name(),
               fmt::format("mapping sg segment longer than device claims to support [len={}] [max={}]", sg.length,
                           max_seg));
    uint64_t start = sg.dma_address, end = start + sg.dma_length - 1;
    if ((start ^ end) & ~boundary)
        report(DebugCheck::sg_segment_across_boundary, dev.name(),
               fmt::format("mapping sg segment across boundary [start=0x{:016x}] [end=0x{:016x}] "
                           "[boundary=0x{:016x}]",
                           start, end, boundary));
}

// --- hooks ---

void DmaDebug::map_single(Device& dev, uint64_t va, uint64_t size) {
    if (!enabled_)
        return;
    if (!kernel_.virt_addr_valid(va))
        report(DebugCheck::map_from_invalid_area, dev.name(),
               fmt::format("device driver maps memory from invalid area [addr=0x{:016x}] [len={}]", va, size));
    if (sw::Kernel::is_vmalloc_addr(va))
        report(DebugCheck::map_from_vmalloc, dev.name(),
               fmt::format("device driver maps memory from vmalloc area [addr=0x{:016x}] [len={}]", va, size));
}

void DmaDebug::map_page(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir, dma_addr_t addr, Attrs attrs,
                        DebugType type) {
    if (!enabled_ || addr == DMA_MAPPING_ERROR)
        return;
    DebugEntry entry = make_ref(dev, type, addr, size, dir);
    entry.paddr = pa;
    entry.map_err_type = MapErrType::not_checked;
    check_for_stack(dev, pa);
    check_for_illegal_area(dev, pa, size);
    add_entry(std::move(entry), attrs);
}

// Marks the first unchecked mapping at the address as checked (the same address may be mapped
// more than once without an IOMMU).
void DmaDebug::mapping_error(Device& dev, dma_addr_t addr) {
    if (!enabled_)
        return;
    for (DebugEntry& entry : bucket_of(addr))
        if (entry.dev == &dev && entry.dev_addr == addr && entry.map_err_type == MapErrType::not_checked) {
            entry.map_err_type = MapErrType::checked;
            return;
        }
}

void DmaDebug::unmap_page(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir, DebugType type) {
    if (enabled_)
        check_unmap(make_ref(dev, type, addr, size, dir));
}

void DmaDebug::map_sg(Device& dev, const std::vector<Scatterlist>& sgl, int nents, int mapped_ents, DmaDirection dir,
                      Attrs attrs) {
    if (!enabled_)
        return;
    for (int i = 0; i < nents; ++i) {
        check_for_stack(dev, sgl[i].pa + sgl[i].offset);
        check_for_illegal_area(dev, sgl[i].pa + sgl[i].offset, sgl[i].length);
    }
    for (int i = 0; i < mapped_ents; ++i) {
        DebugEntry entry = make_sg_ref(dev, sgl[i], nents, dir);
        entry.sg_mapped_ents = mapped_ents;
        check_sg_segment(dev, sgl[i]);
        add_entry(std::move(entry), attrs);
    }
}

// The first entry tells how many segments map_sg produced; the rest of the list is not mapped.
void DmaDebug::unmap_sg(Device& dev, const std::vector<Scatterlist>& sgl, int nelems, DmaDirection dir) {
    if (!enabled_)
        return;
    int mapped_ents = 0;
    for (int i = 0; i < nelems; ++i) {
        if (mapped_ents && i >= mapped_ents)
            break;
        DebugEntry ref = make_sg_ref(dev, sgl[i], nelems, dir);
        if (i == 0)
            mapped_ents = nr_mapped_entries(ref);
        check_unmap(ref);
    }
}

void DmaDebug::alloc_coherent(Device& dev, uint64_t size, dma_addr_t addr, uint64_t cpu_addr, Attrs attrs) {
    uint64_t pa = 0;
    if (!enabled_ || !cpu_addr || !cpu_to_phys(cpu_addr, pa))
        return;
    DebugEntry entry = make_ref(dev, DebugType::coherent, addr, size, DmaDirection::bidirectional);
    entry.paddr = pa;
    entry.cpu_addr = cpu_addr;
    add_entry(std::move(entry), attrs);
}

void DmaDebug::free_coherent(Device& dev, uint64_t size, uint64_t cpu_addr, dma_addr_t addr) {
    uint64_t pa = 0;
    if (!enabled_ || !cpu_to_phys(cpu_addr, pa))
        return;
    DebugEntry ref = make_ref(dev, DebugType::coherent, addr, size, DmaDirection::bidirectional);
    ref.paddr = pa;
    ref.cpu_addr = cpu_addr;
    check_unmap(ref);
}

void DmaDebug::alloc_pages(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir, dma_addr_t addr, Attrs attrs) {
    if (!enabled_ || !pa)
        return;
    DebugEntry entry = make_ref(dev, DebugType::noncoherent, addr, size, dir);
    entry.paddr = pa;
    add_entry(std::move(entry), attrs);
}

void DmaDebug::free_pages(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir, dma_addr_t addr) {
    if (!enabled_)
        return;
    DebugEntry ref = make_ref(dev, DebugType::noncoherent, addr, size, dir);
    ref.paddr = pa;
    check_unmap(ref);
}

void DmaDebug::sync_single_for_cpu(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) {
    if (enabled_)
        check_sync(make_ref(dev, DebugType::single, addr, size, dir), true);
}

void DmaDebug::sync_single_for_device(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) {
    if (enabled_)
        check_sync(make_ref(dev, DebugType::single, addr, size, dir), false);
}

// Only the segments map_sg produced are checked; a list whose first entry is not mapped is not.
void DmaDebug::sync_sg(Device& dev, const std::vector<Scatterlist>& sgl, int nelems, DmaDirection dir, bool to_cpu) {
    if (!enabled_)
        return;
    int mapped_ents = 0;
    for (int i = 0; i < nelems; ++i) {
        DebugEntry ref = make_sg_ref(dev, sgl[i], nelems, dir);
        if (i == 0)
            mapped_ents = nr_mapped_entries(ref);
        if (i >= mapped_ents)
            break;
        check_sync(ref, to_cpu);
    }
}

void DmaDebug::sync_sg_for_cpu(Device& dev, const std::vector<Scatterlist>& sgl, int nelems, DmaDirection dir) {
    sync_sg(dev, sgl, nelems, dir, true);
}

void DmaDebug::sync_sg_for_device(Device& dev, const std::vector<Scatterlist>& sgl, int nelems, DmaDirection dir) {
    sync_sg(dev, sgl, nelems, dir, false);
}

// --- leaks ---

void DmaDebug::report_leak(DebugCheck check, const std::string& device, const char* when, int count,
                           const DebugEntry& entry) {
    report(check, device,
           fmt::format("device driver has pending DMA allocations {} [count={}]. One of leaked entries details: "
                       "[device address=0x{:016x}] [size={} bytes] [mapped with {}] [mapped as {}]",
                       when, count, entry.dev_addr, entry.size, dir2name(entry.direction), to_string(entry.type)));
}

void DmaDebug::check_leaks(const Device& dev) {
    if (!enabled_)
        return;
    int count = 0;
    const DebugEntry* leaked = nullptr;
    for_each_entry([&](const DebugEntry& entry) {  // Linux's device_dma_allocations: the last one found
        if (entry.dev == &dev) {
            ++count;
            leaked = &entry;
        }
    });
    if (leaked)
        report_leak(DebugCheck::leaked_at_driver_removal, dev.name(), "while released from device", count, *leaked);
}

void DmaDebug::check_leaks_at_exit() {
    if (!enabled_)
        return;
    std::map<std::string, std::pair<int, const DebugEntry*>> by_device;
    for_each_entry([&](const DebugEntry& entry) {
        auto& [count, leaked] = by_device[entry.device];
        ++count;
        leaked = &entry;
    });
    for (const auto& [device, leak] : by_device)
        report_leak(DebugCheck::leaked_at_exit, device, "at the end of the run", leak.first, *leak.second);
}

}  // namespace dma
