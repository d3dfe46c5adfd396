// dma-debug (Linux's kernel/dma/debug.c): records every streaming mapping and allocation the API
// layer makes (Linux's struct dma_debug_entry) and reports driver misuse with Linux's wording:
// frees and unmaps that match no mapping or differ from it (size, function, CPU address, sg
// count, direction), a mapping whose error was never checked, syncs of unmapped memory or in the
// wrong direction, mappings of the stack, the kernel image, vmalloc or invalid addresses, sg
// segments the device cannot take, overlapping cache-line mappings, and mappings a driver leaks.
//
// The API layer (dma/mapping.cpp) calls the hooks where Linux's kernel/dma/mapping.c calls
// debug_dma_*: map_page(), unmap_page(), ... here are debug_dma_map_page(), debug_dma_unmap_page(), ...
// Each report is kept (the first max_reports), emitted as the event `dma_debug.<check>` and counted
// in the stat `dma_debug.<check>`; `dma_debug.reports` counts all and the gauge
// `dma_debug.active_entries` follows the live entries. Switched off (dma_debug=off), it records
// and reports nothing and creates no stats.
#pragma once

#include "dma/scatterlist.h"
#include "dma/types.h"
#include "models/common/instrumentation.h"

#include <array>
#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <vector>

namespace sw {
class Kernel;
}

namespace dma {

class Device;

// How the memory of an entry was mapped or allocated (Linux's dma_debug_single, ... and the older
// dma_debug_page, which tells map_single from map_page).
enum class DebugType { single, page, sg, coherent, noncoherent };
const char* to_string(DebugType type);  // Linux's type2name: "single", "page", "scatter-gather", ...

// Whether the driver tested a mapping with mapping_error() (Linux's enum map_err_types).
enum class MapErrType { not_applicable, not_checked, checked };

// One mapping or allocation (Linux's struct dma_debug_entry).
struct DebugEntry {
    const Device* dev = nullptr;  // the device the driver passed to the API
    std::string device;           // its name, for reports after it is gone
    DebugType type = DebugType::single;
    dma_addr_t dev_addr = 0;
    uint64_t size = 0;
    DmaDirection direction = DmaDirection::bidirectional;
    int sg_call_ents = 0;    // `nents` given to map_sg
    int sg_mapped_ents = 0;  // what map_sg returned
    uint64_t paddr = 0;      // physical address of the first byte
    uint64_t cpu_addr = 0;   // allocations: the CPU address returned
    MapErrType map_err_type = MapErrType::not_applicable;
    uint64_t time_ps = 0;  // when it was made (Linux keeps a stack trace)
};

// The checks, in Linux's order; the id names the stat and event `dma_debug.<id>`.
enum class DebugCheck {
    free_invalid_address,
    free_unallocated,
    free_different_size,
    free_wrong_function,
    free_different_cpu_address,
    free_different_sg_count,
    free_different_direction,
    map_error_not_checked,
    map_from_stack,
    map_from_text_or_rodata,
    sync_unallocated,
    sync_different_direction,
    sync_device_read_only_for_cpu,
    sync_device_write_only_for_device,
    sync_different_sg_count,
    sg_segment_too_long,
    sg_segment_across_boundary,
    map_from_invalid_area,
    map_from_vmalloc,
    overlapping_cacheline,
    overlapping_cacheline_overflow,
    leaked_at_driver_removal,
    leaked_at_exit,
};
constexpr size_t debug_check_count = static_cast<size_t>(DebugCheck::leaked_at_exit) + 1;

struct DebugCheckInfo {
    DebugCheck check;
    const char* id;           // snake_case, e.g. "free_different_size"
    const char* description;  // one line, for docs and listings
};
// Every check with its id and description, in DebugCheck order.
const std::array<DebugCheckInfo, debug_check_count>& debug_checks();
const char* to_string(DebugCheck check);  // its id

// One finding, as Linux's err_printk prints it ("DMA-API: <device>: <message>").
struct DebugReport {
    DebugCheck check;
    std::string device;
    std::string message;
    uint64_t time_ps = 0;
};

class DmaDebug {
public:
    static constexpr size_t default_max_reports = 100;

    // `enabled`: Policy::debug. Reports beyond `max_reports` are counted, not kept.
    DmaDebug(sw::Kernel& kernel, models::Instrumentation& instr, bool enabled,
             size_t max_reports = default_max_reports);
    DmaDebug(const DmaDebug&) = delete;
    DmaDebug& operator=(const DmaDebug&) = delete;

    bool enabled() const { return enabled_; }

    // --- hooks, called by the API layer as Linux's mapping.c calls debug_dma_* ---
    // Before a map_single: the CPU address must be a valid linear-map address, not vmalloc.
    void map_single(Device& dev, uint64_t va, uint64_t size);
    // After a map_single (type single) or map_page (type page); nothing for a failed mapping.
    void map_page(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir, dma_addr_t addr, Attrs attrs,
                  DebugType type);
    void mapping_error(Device& dev, dma_addr_t addr);
    void unmap_page(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir, DebugType type);
    // After a successful map_sg (mapped_ents > 0).
    void map_sg(Device& dev, const std::vector<Scatterlist>& sgl, int nents, int mapped_ents, DmaDirection dir,
                Attrs attrs);
    // Before the ops unmap the list.
    void unmap_sg(Device& dev, const std::vector<Scatterlist>& sgl, int nelems, DmaDirection dir);
    void alloc_coherent(Device& dev, uint64_t size, dma_addr_t addr, uint64_t cpu_addr, Attrs attrs);
    // Before the ops free the memory (so the report is in even if the free then fails).
    void free_coherent(Device& dev, uint64_t size, uint64_t cpu_addr, dma_addr_t addr);
    void alloc_pages(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir, dma_addr_t addr, Attrs attrs);
    void free_pages(Device& dev, uint64_t pa, uint64_t size, DmaDirection dir, dma_addr_t addr);
    void sync_single_for_cpu(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir);
    void sync_single_for_device(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir);
    void sync_sg_for_cpu(Device& dev, const std::vector<Scatterlist>& sgl, int nelems, DmaDirection dir);
    void sync_sg_for_device(Device& dev, const std::vector<Scatterlist>& sgl, int nelems, DmaDirection dir);

    // --- leaks ---
    // The driver is unbound from `dev` (Linux's BUS_NOTIFY_UNBOUND_DRIVER): one report if it
    // still has entries. The entries stay (as in Linux).
    void check_leaks(const Device& dev);
    // The end of the run: one report per device that still has entries, by device name.
    void check_leaks_at_exit();

    // --- results ---
    const std::vector<DebugReport>& reports() const { return reports_; }          // the first max_reports
    uint64_t report_count() const { return stat_reports_ ? *stat_reports_ : 0; }  // all of them
    uint64_t count(DebugCheck check) const;
    size_t active_entries() const { return entry_count_; }
    // The live entries of `dev`, in the order Linux's hash walks them (bucket by bucket).
    std::vector<DebugEntry> entries_of(const Device& dev) const;

private:
    // Linux's dma_entry_hash: the entries in buckets by device address, each bucket in the order
    // its entries were added (list_add_tail), which the best-fit rule relies on.
    using Bucket = std::list<DebugEntry>;
    // An entry in its bucket (Linux's entry and the bucket it locked); none when `bucket` is null.
    struct Found {
        Bucket* bucket = nullptr;
        Bucket::iterator entry;
        explicit operator bool() const { return bucket != nullptr; }
    };
    using MatchFn = bool (*)(const DebugEntry& ref, const DebugEntry& entry);

    DebugEntry make_ref(Device& dev, DebugType type, dma_addr_t addr, uint64_t size, DmaDirection dir) const;
    DebugEntry make_sg_ref(Device& dev, const Scatterlist& sg, int nelems, DmaDirection dir) const;
    // The physical address behind a CPU address of an allocation (linear map or vmalloc area);
    // false for any other address, which Linux's hooks ignore.
    bool cpu_to_phys(uint64_t cpu_addr, uint64_t& pa) const;
    void report(DebugCheck check, const std::string& device, const std::string& message);

    Bucket& bucket_of(dma_addr_t addr);
    // Every entry, bucket by bucket (Linux's loop over dma_entry_hash).
    template <typename Visit>
    void for_each_entry(Visit visit) const {
        for (const Bucket& bucket : buckets_)
            for (const DebugEntry& entry : bucket)
                visit(entry);
    }
    Found hash_bucket_find(Bucket& bucket, const DebugEntry& ref, MatchFn match);
    Found find_exact(const DebugEntry& ref);
    Found find_containing(const DebugEntry& ref);
    int nr_mapped_entries(const DebugEntry& ref);

    void add_entry(DebugEntry entry, Attrs attrs);
    void remove_entry(Found found);
    void check_unmap(const DebugEntry& ref);
    void check_sync(const DebugEntry& ref, bool to_cpu);
    void check_for_stack(Device& dev, uint64_t pa);
    void check_for_illegal_area(Device& dev, uint64_t pa, uint64_t size);
    void check_sg_segment(Device& dev, const Scatterlist& sg);
    void sync_sg(Device& dev, const std::vector<Scatterlist>& sgl, int nelems, DmaDirection dir, bool to_cpu);
    void report_leak(DebugCheck check, const std::string& device, const char* when, int count, const DebugEntry& entry);

    // Linux's active-cacheline tracking: the first cache line of each mapping the device may write.
    uint64_t cacheline_of(const DebugEntry& entry) const;
    bool active_cacheline_insert(const DebugEntry& entry);  // false: the line was already active
    void active_cacheline_remove(const DebugEntry& entry);

    sw::Kernel& kernel_;
    models::Instrumentation& instr_;
    bool enabled_;
    size_t max_reports_;
    std::vector<Bucket> buckets_;  // hash_size of them when enabled
    size_t entry_count_ = 0;
    std::map<uint64_t, unsigned> active_cachelines_;  // cache-line number -> overlapping mappings
    bool overlap_overflow_reported_ = false;

    std::vector<DebugReport> reports_;
    std::array<models::EventKind, debug_check_count> events_;
    std::array<uint64_t*, debug_check_count> stats_{};  // dma_debug.<id>, when enabled
    uint64_t* stat_reports_ = nullptr;                  // dma_debug.reports
    uint64_t* stat_active_entries_ = nullptr;           // dma_debug.active_entries
};

}  // namespace dma
