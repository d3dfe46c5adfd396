#include "platforms/app/outputs.h"

#include "platforms/app/event_fields.h"
#include "platforms/errors.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <unistd.h>

namespace platform {

static std::string temporary_for(const std::string& path) { return fmt::format("{}.tmp.{}", path, ::getpid()); }

void write_file_atomically(const std::string& path, const std::string& content) {
    std::string temporary = temporary_for(path);
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out)
            throw ConfigError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
        out << content;
        out.close();
        if (!out) {
            std::remove(temporary.c_str());
            throw ConfigError(fmt::format("{}: write failed", path));
        }
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        int error = errno;
        std::remove(temporary.c_str());
        throw ConfigError(fmt::format("{}: cannot rename into place: {}", path, std::strerror(error)));
    }
}

void check_writable(const std::string& path, const std::string& what) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error))
        throw ConfigError(fmt::format("{} {}: cannot write: it is a folder", what, path));
    std::string temporary = temporary_for(path);
    if (!std::ofstream(temporary, std::ios::binary | std::ios::trunc))
        throw ConfigError(fmt::format("{} {}: cannot write: {}", what, path, std::strerror(errno)));
    std::remove(temporary.c_str());
}

nlohmann::ordered_json counters_json(const models::Instrumentation& instr) {
    nlohmann::ordered_json root = nlohmann::ordered_json::object();
    for (const auto& [path, value] : instr.counters()) {
        nlohmann::ordered_json* node = &root;
        size_t start = 0;
        for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', start)) {
            node = &(*node)[path.substr(start, dot - start)];
            start = dot + 1;
        }
        (*node)[path.substr(start)] = *value;
    }
    return root;
}

static std::string hex_bytes(const std::vector<uint8_t>& bytes) {
    std::string out;
    for (uint8_t byte : bytes)
        out += fmt::format("{}{:02x}", out.empty() ? "" : " ", byte);
    return out;
}

nlohmann::ordered_json dma_debug_json(const dma::DmaDebug& debug) {
    nlohmann::ordered_json out;
    out["enabled"] = debug.enabled();
    nlohmann::ordered_json counts = nlohmann::ordered_json::object();
    for (const dma::DebugCheckInfo& info : dma::debug_checks())
        counts[info.id] = debug.count(info.check);
    out["counts"] = counts;
    out["total"] = debug.report_count();
    nlohmann::ordered_json reports = nlohmann::ordered_json::array();
    for (const dma::DebugReport& report : debug.reports())
        reports.push_back({{"check", dma::to_string(report.check)},
                           {"device", report.device},
                           {"time_ps", report.time_ps},
                           {"message", report.message}});
    out["reports"] = reports;
    return out;
}

// The words hazards.json names a mapping's direction with: none for a coherent allocation.
static std::string direction_word(const dma::DmaMapping& mapping) {
    return mapping.direction ? dma::to_string(*mapping.direction) : "";
}

nlohmann::ordered_json mapping_json(const std::optional<dma::DmaMapping>& mapping) {
    if (!mapping)
        return nullptr;
    std::string direction = direction_word(*mapping);
    return {{"device", mapping->device},
            {"type", dma::to_string(mapping->type)},
            {"direction", direction.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(direction)},
            {"dma_addr", fmt::format("{:#x}", mapping->dma_addr)},
            {"pa", fmt::format("{:#x}", mapping->pa)},
            {"size", mapping->size},
            {"mapped_ps", mapping->mapped_ps},
            {"unmapped_ps", mapping->unmapped_ps ? nlohmann::ordered_json(*mapping->unmapped_ps) : nullptr}};
}

std::string describe_mapping(const std::string& device, const std::string& type, const std::string& direction,
                             uint64_t size, uint64_t dma_addr, std::optional<uint64_t> unmapped_ps) {
    std::string text = fmt::format("{} {}{} {} bytes @ dma {:#x}", device, type,
                                   direction.empty() ? "" : " " + direction, size, dma_addr);
    if (unmapped_ps)
        text += fmt::format(" (unmapped at {})", format_time(*unmapped_ps));
    return text;
}

std::string describe_mapping(const dma::DmaMapping& mapping) {
    return describe_mapping(mapping.device, dma::to_string(mapping.type), direction_word(mapping), mapping.size,
                            mapping.dma_addr, mapping.unmapped_ps);
}

nlohmann::ordered_json hazards_json(const models::CoherenceMonitor* monitor, const HazardMappings* mappings) {
    nlohmann::ordered_json out;
    out["monitor"] = monitor != nullptr;
    nlohmann::ordered_json counts = nlohmann::ordered_json::object();
    nlohmann::ordered_json details = nlohmann::ordered_json::array();
    if (monitor) {
        for (int i = 0; i < models::hazard_kind_count; ++i)
            counts[models::to_string(static_cast<models::HazardKind>(i))] =
                monitor->count(static_cast<models::HazardKind>(i));
        for (const models::Hazard& hazard : monitor->details()) {
            size_t index = details.size();
            bool known = mappings && index < mappings->mappings().size();
            nlohmann::ordered_json detail = {{"kind", models::to_string(hazard.kind)},
                                             {"time_ps", hazard.time_ps},
                                             {"address", fmt::format("{:#x}", hazard.address)},
                                             {"length", hazard.length},
                                             {"bytes", hazard.bytes},
                                             {"actor", hazard.actor},
                                             {"cache", hazard.where},
                                             {"previous_writer", hazard.previous_writer},
                                             {"previous_time_ps", hazard.previous_time_ps},
                                             {"expected", hex_bytes(hazard.expected)},
                                             {"observed", hex_bytes(hazard.observed)}};
            if (hazard.kind == models::HazardKind::stale_iotlb) {  // the descriptor above; the access here
                detail["iova"] = fmt::format("{:#x}", hazard.iova);
                detail["translated_pa"] = fmt::format("{:#x}", hazard.translated_pa);
                detail["current_pa"] = hazard.current_pa
                                           ? nlohmann::ordered_json(fmt::format("{:#x}", *hazard.current_pa))
                                           : nlohmann::ordered_json(nullptr);
                detail["filled_time_ps"] = hazard.filled_time_ps;
            }
            if (hazard.kind == models::HazardKind::outside_local_memory) {  // the bus address decoded; where
                detail["local_base"] = fmt::format("{:#x}", hazard.local_base);
                detail["local_size"] = hazard.local_size;
                detail["local_offset"] = fmt::format("{:#x}", hazard.local_offset);
            }
            detail["mapping"] = known ? mapping_json(mappings->mappings()[index]) : nullptr;
            details.push_back(std::move(detail));
        }
        out["total"] = monitor->total();
        out["details_kept"] = details.size();
        out["details_limit"] = monitor->max_details();
    }
    out["counts"] = counts;
    out["details"] = details;
    return out;
}

std::string format_field(const models::FieldValue& value) {
    if (const auto* number = std::get_if<uint64_t>(&value))
        return *number > 0xffff ? fmt::format("{:#x}", *number) : fmt::format("{}", *number);
    if (const auto* number = std::get_if<int64_t>(&value))
        return fmt::format("{}", *number);
    if (const auto* number = std::get_if<double>(&value))
        return fmt::format("{}", *number);
    return "\"" + std::get<std::string>(value) + "\"";
}

std::string format_time(uint64_t ps) {
    if (ps >= 1000000000ULL)
        return fmt::format("{:.3f} ms", ps / 1e9);
    if (ps >= 1000000ULL)
        return fmt::format("{:.3f} us", ps / 1e6);
    return fmt::format("{} ns", ps / 1000);
}

void LogSink::note(uint64_t time_ps, const std::string& text) {
    text_ += fmt::format("[{:>16} ps] {}\n", time_ps, text);
}

void LogSink::on_event(const models::Event& event) {
    if (event_lines_ == max_event_lines)
        note(event.time_ps,
             fmt::format("log: {} events logged; further events are counted in stats.json only", max_event_lines));
    if (event_lines_++ >= max_event_lines)
        return;
    std::string line = fmt::format("{}: {}", event.source, *event.name);
    for (const models::Field& field : event.fields)
        line += fmt::format(" {}={}", field.key, format_field(field.value));
    const uint64_t* address = unsigned_field(event, "address");
    if (mappings_ && address && event.name->rfind("hazard.", 0) == 0) {
        const dma::DmaMapping* mapping = mappings_->covering(*address);
        line += " mapping=" + (mapping ? format_field(describe_mapping(*mapping)) : std::string("none"));
    }
    note(event.time_ps, line);
}

}  // namespace platform
