#include "platforms/app/trace_json.h"

#include "dma/dma_pool.h"
#include "models/irq/interrupt_line.h"
#include "platforms/app/event_fields.h"
#include "platforms/builder/platform.h"
#include "platforms/errors.h"
#include "sw/drivers/pci/pci.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <utility>

#ifndef DMASIM_VERSION
#define DMASIM_VERSION "0.0.0"
#endif

namespace platform {

namespace {

constexpr unsigned trace_pid = 1;

// Picoseconds as microseconds, exactly: "1.766", "12", "0.000001".
std::string micros(uint64_t ps) {
    uint64_t fraction = ps % 1000000;
    if (!fraction)
        return std::to_string(ps / 1000000);
    std::string digits = fmt::format("{:06d}", fraction);
    digits.erase(digits.find_last_not_of('0') + 1);
    return fmt::format("{}.{}", ps / 1000000, digits);
}

std::string json_string(const std::string& text) { return nlohmann::json(text).dump(); }

// The fields as args; numbers above 0xffff (addresses, mostly) in hex, as run.log writes them.
std::string args_of(const models::Event& event) {
    nlohmann::ordered_json args = nlohmann::ordered_json::object();
    for (const models::Field& field : event.fields) {
        if (field.key == "duration_ps")
            continue;
        if (const auto* number = std::get_if<uint64_t>(&field.value))
            args[field.key] = *number > 0xffff ? nlohmann::ordered_json(fmt::format("{:#x}", *number))
                                               : nlohmann::ordered_json(*number);
        else if (const auto* signed_number = std::get_if<int64_t>(&field.value))
            args[field.key] = *signed_number;
        else if (const auto* real = std::get_if<double>(&field.value))
            args[field.key] = *real;
        else
            args[field.key] = std::get<std::string>(field.value);
    }
    return args.dump();
}

// "dma.maint invalidate", "dma.map single": the event's name and its operation, if it has one.
std::string slice_name(const models::Event& event) {
    for (const char* key : {"op", "type"})
        if (const models::FieldValue* value = find_field(event, key))
            if (const auto* text = std::get_if<std::string>(value))
                return *event.name + " " + *text;
    return *event.name;
}

std::string category(const std::string& name) { return name.substr(0, name.find('.')); }

}  // namespace

bool is_sampled_counter(const std::string& path) {
    return path == "swiotlb.slots_in_use" || path == "dma.atomic_pool.used" ||
           models::Instrumentation::glob_match("dma.coherent_pool.*.used_pages", path) ||
           path == dma::dma_pool_blocks_stat ||
           models::Instrumentation::glob_match("dma_pool.pools.*.blocks_in_use", path);
}

TraceLayout trace_layout(Platform& platform, const std::string& title) {
    TraceLayout layout;
    layout.title = title;
    models::Core& core = platform.core();
    layout.tracks.push_back({core.name(), core.name()});
    layout.tracks.push_back({core.l1d().name(), core.l1d().name()});
    layout.caches.push_back(&core.l1d());
    if (models::OuterCache* outer = platform.outer_cache()) {
        layout.tracks.push_back({outer->cache().name(), outer->cache().name()});
        layout.caches.push_back(&outer->cache());
    }
    layout.tracks.push_back({"dma", "dma layer (cache maintenance)"});
    for (const DmaDeviceSpec& spec : platform.dma_devices())  // as DmaSystem names their dma::Devices
        layout.tracks.push_back({spec.name, spec.name});
    for (const models::BusMaster* master : platform.bus_masters())
        layout.tracks.push_back({master->name(), master->name()});
    for (const DmaDeviceSpec& spec : platform.dma_devices())
        layout.device_masters[spec.name] = spec.model;
    // Per IOMMU, the SMMU (its walks, faults and invalidations) and its own DMA device (the cache
    // maintenance of the page tables its driver writes).
    for (const SmmuSpec& smmu : platform.iommus()) {
        layout.tracks.push_back({smmu.model, fmt::format("{} (SMMU-500 {})", smmu.model, smmu.info.node)});
        layout.tracks.push_back({smmu.dma.name, fmt::format("{} (page tables)", smmu.dma.name)});
    }
    // Per MFD, its DMA device, its engine (DMA slices) and its 8051 (firmware phases, windows,
    // mailbox interrupts, state).
    for (size_t i = 0; i < platform.mfds().size(); ++i) {
        const MfdSpec& mfd = platform.mfds()[i];
        const models::Mfd& model = *platform.mfd_models()[i];
        layout.tracks.push_back({mfd.dma.name, mfd.dma.name});
        layout.tracks.push_back({mfd.model, fmt::format("{} (MFD DMA engine {})", mfd.model, mfd.info.node)});
        layout.tracks.push_back({model.mcs51_track(),
                                 fmt::format("{} (8051, {} Hz)", model.mcs51_track(), mfd.info.clock_hz)});
        layout.device_masters[mfd.dma.name] = mfd.model;
    }
    // Per bridge, each function's DMA device (created at enumeration, named as Linux's pci_name)
    // and the endpoint doing its DMA, whose requests carry the bus addresses its mappings hold.
    const std::vector<PciHostSpec>& hosts = platform.pci_hosts();
    for (size_t domain = 0; domain < hosts.size(); ++domain) {
        const PciHostSpec& host = hosts[domain];
        layout.tracks.push_back({host.name, host.name + " (PCI host bridge)"});
        for (const PciEndpointSpec& endpoint : host.endpoints) {
            std::string function = sw::pci_name(static_cast<unsigned>(domain), host.bridge.bus_start,
                                                endpoint.config.devfn);
            std::string kind = platform.pci_endpoints().at(endpoint.config.number)->device_kind();
            kind = kind.substr(0, kind.find(" ("));  // without its details, e.g. the USB ports
            layout.tracks.push_back({function, function});
            layout.tracks.push_back({endpoint.model, fmt::format("{} ({} {})", endpoint.model, kind, function)});
            layout.device_masters[function] = endpoint.model;
        }
    }
    return layout;
}

static bool selects(const std::string& globs, const std::string& name) {
    for (const std::string& glob : models::Instrumentation::split_globs(globs))
        if (models::Instrumentation::glob_match(glob, name))
            return true;
    return false;
}

// A typo in --trace would silently trace nothing.
static void check_globs(const std::string& globs, const models::Instrumentation& instr) {
    for (const std::string& glob : models::Instrumentation::split_globs(globs)) {
        bool matches = glob.rfind("workload.", 0) == 0;
        for (const auto& [name, unused] : instr.event_descriptions())
            matches = matches || models::Instrumentation::glob_match(glob, name);
        if (!matches)
            throw ConfigError(fmt::format("--trace '{}': '{}' matches no traceable event (see --trace help)", globs,
                                          glob));
    }
}

TraceJson::TraceJson(const std::string& path, models::Instrumentation& instr, TraceLayout layout,
                     const std::string& globs)
    : path_(path), instr_(instr), layout_(std::move(layout)),
      counts_mappings_(selects(globs, "dma.map") || selects(globs, "dma.alloc")), mappings_(layout_.device_masters),
      written_dirty_(layout_.caches.size(), 0) {
    check_globs(globs, instr);
    // A mapping's end is followed whenever its start is traced, shown or not.
    std::string subscribed = globs;
    if (counts_mappings_)
        for (const char* end : {"dma.unmap", "dma.free"})
            if (!selects(globs, end)) {
                followed_only_.push_back(end);
                subscribed += std::string(",") + end;
            }
    for (dma::MappingCall call :
         {dma::MappingCall::map, dma::MappingCall::unmap, dma::MappingCall::alloc, dma::MappingCall::free})
        if (selects(subscribed, dma::event_name(call)))
            followed_calls_.insert(call);
    out_.open(path, std::ios::binary | std::ios::trunc);
    if (!out_)
        throw ConfigError(fmt::format("{}: cannot write the trace: {}", path, std::strerror(errno)));
    out_ << "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"dmasim " DMASIM_VERSION
            "\",\"time\":\"simulated microseconds\"},\"traceEvents\":[\n";
    write_record(fmt::format(R"({{"ph":"M","pid":{},"name":"process_name","args":{{"name":{}}}}})", trace_pid,
                             json_string(layout_.title)));
    for (const TraceTrack& track : layout_.tracks)
        add_track(track.source, track.label);
    if (counts_mappings_)
        write_counter("dma.active_mappings", 0, R"({"value":0})");
    sample_counters(0);
    sample_dirty_lines(0);
    instr.add_sink(this, subscribed);
}

TraceJson::~TraceJson() {
    if (!closed_)
        close();
}

void TraceJson::write_record(const std::string& record) {
    out_ << (first_record_ ? "" : ",\n") << record;
    first_record_ = false;
}

unsigned TraceJson::add_track(const std::string& source, const std::string& label) {
    unsigned tid = static_cast<unsigned>(tids_.size() + 1);
    tids_.emplace(source, tid);
    write_record(fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"thread_name","args":{{"name":{}}}}})", trace_pid,
                             tid, json_string(label)));
    write_record(fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"thread_sort_index","args":{{"sort_index":{}}}}})",
                             trace_pid, tid, tid));
    return tid;
}

unsigned TraceJson::track(const std::string& source) {
    auto found = tids_.find(source);
    return found != tids_.end() ? found->second : add_track(source, source);
}

void TraceJson::write_slice(const models::Event& event, unsigned tid, uint64_t duration_ps) {
    write_record(fmt::format(R"({{"ph":"X","pid":{},"tid":{},"ts":{},"dur":{},"cat":{},"name":{},"args":{}}})",
                             trace_pid, tid, micros(event.time_ps), micros(duration_ps),
                             json_string(category(*event.name)), json_string(slice_name(event)), args_of(event)));
}

void TraceJson::write_instant(const models::Event& event, unsigned tid) {
    write_record(fmt::format(R"({{"ph":"i","s":"t","pid":{},"tid":{},"ts":{},"cat":{},"name":{},"args":{}}})",
                             trace_pid, tid, micros(event.time_ps), json_string(category(*event.name)),
                             json_string(*event.name), args_of(event)));
}

void TraceJson::write_counter(const std::string& name, uint64_t time_ps, const std::string& args) {
    write_record(fmt::format(R"({{"ph":"C","pid":{},"ts":{},"name":{},"args":{}}})", trace_pid, micros(time_ps),
                             json_string(name), args));
}

// A flow starts inside the map call's slice; it ends inside the transfer's slice ("bp":"e"), or
// binds to the next slice on the track, the hazard's instant written right after it.
void TraceJson::write_flow(const dma::DmaMapping& mapping, unsigned to_tid, uint64_t to_ps, bool into_slice) {
    uint64_t id = next_flow_id_++;
    write_record(fmt::format(R"({{"ph":"s","pid":{},"tid":{},"ts":{},"cat":"dma.flow","name":"mapping","id":{}}})",
                             trace_pid, track(mapping.device), micros(mapping.mapped_ps + mapping.map_call_ps / 2),
                             id));
    write_record(fmt::format(R"({{"ph":"f",{}"pid":{},"tid":{},"ts":{},"cat":"dma.flow","name":"mapping","id":{}}})",
                             into_slice ? R"("bp":"e",)" : "", trace_pid, to_tid, micros(to_ps), id));
}

// A mapping's life is an async slice, from the start of its map call to the end of its unmap call.
void TraceJson::write_mapping_change(const models::Event& event, dma::MappingHistory::Applied applied) {
    if (!applied.mapping)
        return;
    const dma::DmaMapping& mapping = *applied.mapping;
    if (applied.change == dma::MappingChange::open)
        write_record(fmt::format(R"({{"ph":"b","pid":{},"tid":{},"ts":{},"cat":"dma.mapping","name":{},"id":{},)"
                                 R"("args":{}}})",
                                 trace_pid, track(event.source), micros(mapping.mapped_ps),
                                 json_string(event.source + " mapping"), mapping.serial, args_of(event)));
    else
        write_record(fmt::format(R"({{"ph":"e","pid":{},"tid":{},"ts":{},"cat":"dma.mapping","name":{},"id":{}}})",
                                 trace_pid, track(event.source), micros(*mapping.unmapped_ps),
                                 json_string(event.source + " mapping"), mapping.serial));
}

// A transfer of a bus master starting inside a live mapping of one of its devices.
void TraceJson::flow_to_transfer(const models::Event& event, unsigned tid, uint64_t middle_ps) {
    std::vector<uint64_t> flowed;
    for (const char* key : {"addr", "src_addr", "dst_addr"}) {
        const uint64_t* addr = unsigned_field(event, key);
        const dma::DmaMapping* mapping = addr ? mappings_.live_at(event.source, *addr) : nullptr;
        if (mapping && std::find(flowed.begin(), flowed.end(), mapping->serial) == flowed.end()) {
            write_flow(*mapping, tid, middle_ps, true);
            flowed.push_back(mapping->serial);
        }
    }
}

// The latest mapping, live or recently ended, whose bytes hold the hazard's first byte.
void TraceJson::flow_to_hazard(const models::Event& event, unsigned tid) {
    const uint64_t* address = unsigned_field(event, "address");
    if (const dma::DmaMapping* mapping = address ? mappings_.covering(*address) : nullptr)
        write_flow(*mapping, tid, event.time_ps, false);
}

// Counters created during the run (a dma_pool's, when a driver creates it) join when they appear.
void TraceJson::find_gauges() {
    if (instr_.counters().size() == counters_seen_)
        return;
    counters_seen_ = instr_.counters().size();
    for (const auto& [path, value] : instr_.counters())
        if (is_sampled_counter(path) && gauge_names_.insert(path).second)
            gauges_.push_back({path, value, std::nullopt});
}

void TraceJson::sample_counters(uint64_t time_ps) {
    find_gauges();
    if (mappings_.live_count() != written_live_count_) {
        written_live_count_ = mappings_.live_count();
        write_counter("dma.active_mappings", time_ps, fmt::format(R"({{"value":{}}})", written_live_count_));
    }
    for (Gauge& gauge : gauges_) {
        if (*gauge.value == gauge.written)
            continue;
        gauge.written = *gauge.value;
        write_counter(gauge.name, time_ps, fmt::format(R"({{"value":{}}})", *gauge.value));
    }
}

// A scan of every line, so at most once per dirty_sample_interval_ps of simulated time.
void TraceJson::sample_dirty_lines(uint64_t time_ps) {
    if (dirty_sampled_ && time_ps < dirty_sampled_ps_ + dirty_sample_interval_ps)
        return;
    dirty_sampled_ = true;
    dirty_sampled_ps_ = time_ps;
    std::vector<uint64_t> counts;
    for (const models::Cache* cache : layout_.caches)
        counts.push_back(cache->dirty_lines());
    if (counts == written_dirty_ && time_ps != 0)
        return;
    written_dirty_ = counts;
    nlohmann::ordered_json args = nlohmann::ordered_json::object();
    for (size_t i = 0; i < counts.size(); ++i)
        args[layout_.caches[i]->name()] = counts[i];
    write_counter("cache.dirty_lines", time_ps, args.dump());
}

void TraceJson::on_event(const models::Event& event) {
    if (closed_)
        return;
    unsigned tid = track(event.source);
    if (event.name->rfind(models::InterruptLine::event_prefix, 0) == 0) {
        const uint64_t* level = unsigned_field(event, "level");
        write_counter(*event.name, event.time_ps, fmt::format(R"({{"level":{}}})", level ? *level : 0));
        return;
    }
    const uint64_t* duration = unsigned_field(event, "duration_ps");
    uint64_t end_ps = event.time_ps + (duration ? *duration : 0);
    uint64_t middle_ps = event.time_ps + (duration ? *duration / 2 : 0);
    bool shown = std::find(followed_only_.begin(), followed_only_.end(), *event.name) == followed_only_.end();
    if (duration && shown)
        write_slice(event, tid, *duration);
    // The DMA layer gives a call's record just before its event (dma/mapping_listener.h).
    dma::MappingHistory::Applied applied = std::exchange(pending_change_, {});
    if (applied.change != dma::MappingChange::none)
        write_mapping_change(event, applied);
    else if (duration)
        flow_to_transfer(event, tid, middle_ps);
    else if (event.name->rfind("hazard.", 0) == 0)
        flow_to_hazard(event, tid);
    if (!duration && shown)
        write_instant(event, tid);
    sample_counters(end_ps);
    sample_dirty_lines(end_ps);
}

void TraceJson::on_mapping_call(const dma::MappingRecord& record) {
    if (!closed_ && followed_calls_.count(record.call))
        pending_change_ = mappings_.apply(record);
}

void TraceJson::finish(uint64_t time_ps, const std::string& result) {
    if (closed_)
        return;
    sample_counters(time_ps);
    dirty_sampled_ = false;
    sample_dirty_lines(time_ps);
    write_record(fmt::format(R"({{"ph":"i","s":"g","pid":{},"tid":1,"ts":{},"cat":"run","name":"run.end",)"
                             R"("args":{{"result":{}}}}})",
                             trace_pid, micros(time_ps), json_string(result)));
    close();
    if (out_.fail())
        throw ConfigError(fmt::format("{}: writing the trace failed", path_));
}

void TraceJson::close() {
    out_ << "\n]}\n";
    out_.close();
    closed_ = true;
}

std::string trace_help(const std::map<std::string, std::string>& descriptions) {
    size_t width = 0;
    for (const auto& [name, unused] : descriptions)
        width = std::max(width, name.size());
    std::string text =
        "Events --trace selects (comma-separated globs, e.g. --trace 'dma.*,cache.maint'; default: all):\n";
    for (const auto& [name, description] : descriptions)
        text += fmt::format("  {:<{}}  {}\n", name, width, description);
    text += "A workload declares its own events (workload.*) when it runs; counters and flows follow the events "
            "traced.\n";
    return text;
}

}  // namespace platform
