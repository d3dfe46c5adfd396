#include "models/coherence/coherence_monitor.h"

#include <algorithm>
#include <cstring>

namespace models {

const char* to_string(HazardKind kind) {
    switch (kind) {
    case HazardKind::stale_cpu_read: return "stale_cpu_read";
    case HazardKind::lost_device_write: return "lost_device_write";
    case HazardKind::stale_device_read: return "stale_device_read";
    case HazardKind::mismatched_alias: return "mismatched_alias";
    case HazardKind::stale_iommu_walk: return "stale_iommu_walk";
    case HazardKind::stale_iotlb: return "stale_iotlb";
    case HazardKind::outside_local_memory: return "outside_local_memory";
    }
    return "?";
}

static const char* hazard_description(HazardKind kind) {
    switch (kind) {
    case HazardKind::stale_cpu_read: return "a cacheable read returned bytes older than a master's write to memory";
    case HazardKind::lost_device_write: return "a dirty line's write-back overwrote bytes a master wrote later";
    case HazardKind::stale_device_read: return "a master read memory while a cache held newer dirty bytes";
    case HazardKind::mismatched_alias: return "a non-cacheable access touched a line present in a cache";
    case HazardKind::stale_iommu_walk: return "the IOMMU walker read a table entry older than a dirty cached copy";
    case HazardKind::stale_iotlb:
        return "a device access was translated by an IOTLB entry whose table descriptor has changed in memory since, "
               "without an invalidation (iova, pa: the one used, pa_now: the tables', filled_ps)";
    case HazardKind::outside_local_memory:
        return "a device's address decoder reached its local memory for a bus address outside it (address, "
               "local_base, local_size, local_offset: where it landed instead)";
    }
    return "?";
}

const PropertyTable<CoherenceMonitorConfig>& CoherenceMonitor::properties() {
    static const PropertyTable<CoherenceMonitorConfig> table{
        CoherenceMonitorConfig{},
        {PropertySpec<CoherenceMonitorConfig>::choice("dmasim,coherence-monitor", "enabled",
                                                      &CoherenceMonitorConfig::enabled, {{"on", true}, {"off", false}})
             .with_doc("whether hazards are watched for and reported")}};
    return table;
}

CoherenceMonitor::CoherenceMonitor(Instrumentation& instr, Router& router, uint32_t line_size, size_t max_details)
    : instr_(instr), router_(router), line_size_(line_size), max_details_(max_details) {
    for (int i = 0; i < hazard_kind_count; ++i) {
        auto kind = static_cast<HazardKind>(i);
        counts_[i] = &instr.counter(std::string("hazards.") + to_string(kind));
        events_[i] = instr.declare_event(std::string("hazard.") + to_string(kind), hazard_description(kind));
    }
}

uint64_t CoherenceMonitor::total() const {
    uint64_t sum = 0;
    for (const uint64_t* count : counts_)
        sum += *count;
    return sum;
}

// Calls `visit(line_address, mask)` for each line that [address, address + length) touches.
template <typename Visit>
static void for_each_line(uint64_t address, uint64_t length, uint32_t line_size, Visit visit) {
    uint64_t end = address + length;
    for (uint64_t line = address & ~uint64_t(line_size - 1); line < end; line += line_size) {
        uint64_t first = std::max(address, line), last = std::min(end, line + line_size);
        visit(line, byte_mask(static_cast<unsigned>(first - line), static_cast<unsigned>(last - first)));
    }
}

void CoherenceMonitor::on_bus_access(const tlm::tlm_generic_payload& payload, uint64_t address, uint64_t time_ps) {
    const AccessExtension& access = access_of(payload);
    if (payload.is_write() && !watched_lines_.empty())
        note_descriptor_write(address, payload.get_data_length(), access.initiator, time_ps);
    if (payload.is_write() && access.initiator.kind == InitiatorKind::writeback)
        refresh_copies(address, payload.get_data_ptr(), payload.get_data_length());
    else if (payload.is_write())
        mark_stale_copies(address, payload.get_data_length(), access.initiator, time_ps);
    else if (payload.is_read() &&
             (access.initiator.kind == InitiatorKind::device || access.initiator.kind == InitiatorKind::iommu_walker))
        check_device_read(payload, address, access.initiator, time_ps);
}

// Memory now holds newer bytes than any cached copy of them.
void CoherenceMonitor::mark_stale_copies(uint64_t address, uint64_t length, const Initiator& writer, uint64_t time_ps) {
    for_each_line(address, length, line_size_, [&](uint64_t line, uint64_t mask) {
        last_write_[line] = Write{writer, time_ps};
        for (Cache* cache : caches_)
            if (Cache::LineView view = cache->probe(line))
                *view.stale |= mask;
    });
}

// A write-back brought memory up to date with the line it wrote: any other cached copy holding
// the same bytes (an L1 copy of a line the L2 just wrote back) is no longer stale in them.
void CoherenceMonitor::refresh_copies(uint64_t address, const uint8_t* data, uint64_t length) {
    for_each_line(address, length, line_size_, [&](uint64_t line, uint64_t mask) {
        for (Cache* cache : caches_) {
            Cache::LineView view = cache->probe(line);
            if (!view || !(*view.stale & mask))
                continue;
            uint64_t candidates = *view.stale & mask;  // bytes this write covers
            for (unsigned byte = 0; byte < line_size_; ++byte)
                if ((candidates >> byte & 1) && view.data[byte] == data[line + byte - address])
                    *view.stale &= ~(1ULL << byte);
        }
    });
}

void CoherenceMonitor::check_device_read(const tlm::tlm_generic_payload& payload, uint64_t address,
                                         const Initiator& reader, uint64_t time_ps) {
    HazardKind kind = reader.kind == InitiatorKind::iommu_walker ? HazardKind::stale_iommu_walk
                                                                 : HazardKind::stale_device_read;
    for_each_line(address, payload.get_data_length(), line_size_, [&](uint64_t line, uint64_t mask) {
        for (Cache* cache : caches_) {
            Cache::LineView view = cache->probe(line);
            uint64_t newer = view ? *view.dirty & ~*view.stale & mask : 0;
            if (!newer)
                continue;
            Hazard hazard(kind);
            hazard.time_ps = time_ps;
            hazard.actor = reader.describe();
            hazard.where = cache->name();
            hazard.previous_writer = "cpu (dirty in " + cache->name() + ")";
            report(std::move(hazard), line, newer, view.data, false);
            return;  // the innermost dirty copy is the evidence
        }
    });
}

void CoherenceMonitor::note_descriptor_write(uint64_t address, uint64_t length, const Initiator& writer,
                                             uint64_t time_ps) {
    for_each_line(address, length, line_size_, [&](uint64_t line, uint64_t) {
        if (!watch_count(line))
            return;
        auto watched = watched_lines_.find(line);
        if (watched == watched_lines_.end())
            return;
        watched->second.last_write = Write{writer, time_ps};
        ++watched_writes_;
    });
}

void CoherenceMonitor::on_iotlb_fill(IotlbFill& fill) {
    fill.observer_stamp = watched_writes_;
    for (unsigned level = 0; level < fill.levels; ++level) {
        uint64_t line = fill.path[level].pa & ~uint64_t(line_size_ - 1);
        ++watched_lines_[line].descriptors;
        ++watch_count(line);
    }
}

void CoherenceMonitor::on_iotlb_drop(const IotlbFill& fill) {
    for (unsigned level = 0; level < fill.levels; ++level) {
        uint64_t line = fill.path[level].pa & ~uint64_t(line_size_ - 1);
        auto watched = watched_lines_.find(line);
        if (watched == watched_lines_.end())
            continue;
        --watch_count(line);
        if (--watched->second.descriptors == 0)
            watched_lines_.erase(watched);
    }
}

void CoherenceMonitor::on_iotlb_hit(IotlbFill& fill, uint64_t iova, uint64_t pa, const Initiator& who,
                                    uint64_t delay_ps, IommuTables& tables) {
    if (fill.observer_stamp == watched_writes_)
        return;  // no watched line written since the entry was filled or last found unchanged
    for (unsigned level = 0; level < fill.levels; ++level) {
        const WalkedDescriptor& descriptor = fill.path[level];
        uint64_t now = 0;
        router_.backdoor_read(descriptor.pa, &now, sizeof now);
        if (now == descriptor.value)
            continue;
        Hazard hazard(HazardKind::stale_iotlb);
        hazard.time_ps = sc_core::sc_time_stamp().value() + delay_ps;
        hazard.actor = who.describe();
        hazard.where = fill.iommu + " IOTLB";
        hazard.iova = iova;
        hazard.translated_pa = pa;
        hazard.current_pa = tables.walk_now(fill.context_bank, iova);
        hazard.filled_time_ps = fill.time_ps;
        uint64_t line = descriptor.pa & ~uint64_t(line_size_ - 1);
        auto watched = watched_lines_.find(line);
        if (watched != watched_lines_.end() && watched->second.last_write) {
            hazard.previous_writer = watched->second.last_write->writer.describe();
            hazard.previous_time_ps = watched->second.last_write->time_ps;
        }
        std::vector<uint8_t> filled(line_size_);  // the line as the entry saw it, around the descriptor
        unsigned offset = static_cast<unsigned>(descriptor.pa - line);
        std::memcpy(filled.data() + offset, &descriptor.value, sizeof descriptor.value);
        report(std::move(hazard), line, byte_mask(offset, sizeof descriptor.value), filled.data(), true);
        return;  // the first changed level is the evidence: the ones below it hang from it
    }
    fill.observer_stamp = watched_writes_;
}

void CoherenceMonitor::on_stale_read(const std::string& cache, uint64_t line_address, uint64_t stale_bytes,
                                     const uint8_t* line_data, const Initiator& reader, uint64_t delay_ps) {
    Hazard hazard(HazardKind::stale_cpu_read);
    hazard.time_ps = sc_core::sc_time_stamp().value() + delay_ps;
    hazard.actor = reader.describe();
    hazard.where = cache;
    report(std::move(hazard), line_address, stale_bytes, line_data, true);
}

void CoherenceMonitor::on_lost_write(const std::string& cache, uint64_t line_address, uint64_t stale_bytes,
                                     const uint8_t* line_data, const Initiator& writer, uint64_t delay_ps) {
    Hazard hazard(HazardKind::lost_device_write);
    hazard.time_ps = sc_core::sc_time_stamp().value() + delay_ps;
    hazard.actor = writer.describe();
    hazard.where = cache;
    report(std::move(hazard), line_address, stale_bytes, line_data, true);
}

void CoherenceMonitor::on_mismatched_alias(const std::string& cache, uint64_t address, unsigned length, MemType type,
                                           bool is_write, const uint8_t* cached, const Initiator& who,
                                           uint64_t delay_ps) {
    Hazard hazard(HazardKind::mismatched_alias);
    hazard.time_ps = sc_core::sc_time_stamp().value() + delay_ps;
    hazard.actor = who.describe() + " " + to_string(type) + (is_write ? " write" : " read");
    hazard.where = cache;
    uint64_t line = address & ~uint64_t(line_size_ - 1);
    unsigned offset = static_cast<unsigned>(address - line);
    report(std::move(hazard), line, byte_mask(offset, std::min(length, line_size_ - offset)), cached - offset, true);
}

void CoherenceMonitor::report(Hazard hazard, uint64_t line_address, uint64_t mask, const uint8_t* line_bytes,
                              bool memory_expected) {
    int kind = static_cast<int>(hazard.kind);
    ++*counts_[kind];
    bool keep = details_.size() < max_details_;
    if (!keep && !events_[kind].enabled())
        return;
    unsigned first = static_cast<unsigned>(__builtin_ctzll(mask));
    unsigned last = 63 - static_cast<unsigned>(__builtin_clzll(mask));
    hazard.address = line_address + first;
    hazard.length = last - first + 1;
    hazard.bytes = static_cast<uint32_t>(__builtin_popcountll(mask));
    if (hazard.previous_writer.empty()) {
        auto write = last_write_.find(line_address);
        if (write != last_write_.end()) {
            hazard.previous_writer = write->second.writer.describe();
            hazard.previous_time_ps = write->second.time_ps;
        }
    }
    unsigned shown = std::min(hazard.length, evidence_bytes);
    std::vector<uint8_t> memory(shown), cached(line_bytes + first, line_bytes + first + shown);
    router_.backdoor_read(hazard.address, memory.data(), shown);
    hazard.expected = memory_expected ? memory : cached;
    hazard.observed = memory_expected ? cached : memory;
    record(std::move(hazard));
}

void CoherenceMonitor::on_outside_local_memory(const LocalMemoryDecode& decode) {
    Hazard hazard(HazardKind::outside_local_memory);
    hazard.time_ps = decode.time_ps;
    hazard.address = decode.bus_address;
    hazard.length = 1;
    hazard.actor = decode.actor;
    hazard.where = decode.decoder;
    hazard.local_base = decode.local_base;
    hazard.local_size = decode.local_size;
    hazard.local_offset = decode.local_offset;
    ++*counts_[static_cast<int>(hazard.kind)];
    record(std::move(hazard));
}

// `report` and the kinds without bytes to compare count before they get here.
void CoherenceMonitor::record(Hazard hazard) {
    int kind = static_cast<int>(hazard.kind);
    bool keep = details_.size() < max_details_;
    if (events_[kind].enabled()) {
        std::vector<Field> fields = {{"address", hazard.address},
                                     {"length", uint64_t(hazard.length)},
                                     {"actor", hazard.actor},
                                     {"previous_writer", hazard.previous_writer}};
        if (hazard.kind == HazardKind::stale_iotlb) {
            fields.push_back({"iova", hazard.iova});
            fields.push_back({"pa", hazard.translated_pa});
            fields.push_back({"pa_now", hazard.current_pa ? FieldValue(*hazard.current_pa) : FieldValue("none")});
            fields.push_back({"filled_ps", hazard.filled_time_ps});
        }
        if (hazard.kind == HazardKind::outside_local_memory) {
            fields.push_back({"local_base", hazard.local_base});
            fields.push_back({"local_size", hazard.local_size});
            fields.push_back({"local_offset", hazard.local_offset});
        }
        instr_.emit(events_[kind], Event{hazard.time_ps, nullptr, hazard.where.empty() ? hazard.actor : hazard.where,
                                         std::move(fields)});
    }
    if (keep)
        details_.push_back(std::move(hazard));
}

}  // namespace models
