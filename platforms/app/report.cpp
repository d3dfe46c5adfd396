#include "platforms/app/report.h"

#include "platforms/app/outputs.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fmt/format.h>

namespace platform {

namespace fs = std::filesystem;

std::string ExpectationOutcome::describe() const {
    return fmt::format("{} ({})", expect, actual ? fmt::format("actual {}", *actual) : std::string("no such stat"));
}

namespace {

// stats.json's members that are not counters.
bool is_counter_group(const std::string& top_level_name) {
    return top_level_name != "expectations" && top_level_name != "result" && top_level_name != "fault";
}

void read_counters(const JsonField& field, std::map<std::string, uint64_t>& counters) {
    if (!field.is_object()) {
        counters[field.path()] = field.number();
        return;
    }
    for (const auto& [name, member] : field.members())
        if (!field.path().empty() || is_counter_group(name))
            read_counters(member, counters);
}

std::string result_marker(const ExpectationOutcome& outcome) {
    if (outcome.met())
        return "met";
    std::string marker = outcome.result;
    std::transform(marker.begin(), marker.end(), marker.begin(), [](unsigned char c) { return std::toupper(c); });
    return marker;
}

std::string expectations_title(const std::vector<ExpectationOutcome>& expectations) {
    if (expectations.empty())
        return "expectations: none";
    size_t met = std::count_if(expectations.begin(), expectations.end(), [](auto& e) { return e.met(); });
    return fmt::format("expectations: {}/{} met", met, expectations.size());
}

std::string simulated_time(const RunStats& stats) {
    uint64_t ps = stats.counter("sim.time_ps");
    return fmt::format("{} ({} ps)", format_time(ps), ps);
}

// "cpu0.l1d.read_hits" -> {"cpu0", "l1d.read_hits"}
std::pair<std::string, std::string> split_group(const std::string& path) {
    size_t dot = path.find('.');
    if (dot == std::string::npos)
        return {"", path};
    return {path.substr(0, dot), path.substr(dot + 1)};
}

// --- the report as sections of tables, rendered as text or markdown ---

struct Table {
    std::vector<std::string> header;  // empty: the rows are name/value pairs
    std::vector<std::vector<std::string>> rows;
};

struct Section {
    std::string title;
    Table table;
    std::vector<std::string> notes;  // shown after the table
};

bool is_integer(const std::string& cell) {
    return !cell.empty() && std::all_of(cell.begin(), cell.end(), [](unsigned char c) { return std::isdigit(c); });
}

// One line per cell: a message with a line break would break the table.
std::string one_line(std::string cell) {
    std::replace(cell.begin(), cell.end(), '\n', ' ');
    return cell;
}

std::string rtrim(std::string line) {
    line.erase(line.find_last_not_of(' ') + 1);
    return line;
}

std::string text_table(const Table& table) {
    std::vector<std::vector<std::string>> lines = table.rows;
    if (!table.header.empty())
        lines.insert(lines.begin(), table.header);
    size_t columns = 0;
    for (const auto& line : lines)
        columns = std::max(columns, line.size());
    std::vector<size_t> widths(columns, 0);
    std::vector<bool> numeric(columns, !table.rows.empty());
    for (const auto& line : lines)
        for (size_t c = 0; c < line.size(); ++c)
            widths[c] = std::max(widths[c], one_line(line[c]).size());
    for (const auto& row : table.rows)
        for (size_t c = 0; c < row.size(); ++c)
            numeric[c] = numeric[c] && is_integer(row[c]);
    std::string out;
    for (const auto& line : lines) {
        std::string text;
        for (size_t c = 0; c < line.size(); ++c)
            text += numeric[c] ? fmt::format("  {:>{}}", one_line(line[c]), widths[c])
                               : fmt::format("  {:<{}}", one_line(line[c]), widths[c]);
        out += rtrim(text) + "\n";
    }
    return out;
}

std::string markdown_cell(const std::string& cell) {
    std::string out;
    for (char c : one_line(cell))
        out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
}

std::string markdown_table(const Table& table) {
    std::string out;
    if (table.header.empty()) {
        for (const auto& row : table.rows)
            out += fmt::format("- **{}**: {}\n", markdown_cell(row.at(0)), markdown_cell(row.at(1)));
        return out;
    }
    auto line = [](const std::vector<std::string>& cells) {
        std::string text = "|";
        for (const std::string& cell : cells)
            text += " " + markdown_cell(cell) + " |";
        return text + "\n";
    };
    out += line(table.header);
    out += line(std::vector<std::string>(table.header.size(), "---"));
    for (const auto& row : table.rows)
        out += line(row);
    return out;
}

std::string render(const std::string& title, const std::vector<Section>& sections, ReportFormat format) {
    bool markdown = format == ReportFormat::markdown;
    std::string out = markdown ? "# " + title + "\n" : title + "\n";
    for (const Section& section : sections) {
        out += markdown ? "\n## " + section.title + "\n\n" : "\n" + section.title + "\n";
        if (!section.table.rows.empty())
            out += markdown ? markdown_table(section.table) : text_table(section.table);
        for (const std::string& note : section.notes)
            out += markdown ? "\n" + markdown_cell(note) + "\n" : "  " + one_line(note) + "\n";
    }
    return out;
}

// --- the sections ---

std::string text_of(const JsonField& field) { return field.value().is_string() ? field.text() : field.value().dump(); }

// "stale_cpu_read 256, lost_device_write 2" for the non-zero counts of `counts`.
std::string nonzero_counts(const JsonField& counts) {
    std::vector<std::string> parts;
    for (const auto& [name, count] : counts.members())
        if (count.number())
            parts.push_back(fmt::format("{} {}", name, count.number()));
    return fmt::format("{}", fmt::join(parts, ", "));
}

Section run_section(const JsonField& config, const RunStats& stats) {
    Section section{"run", {}, {}};
    auto row = [&](const std::string& name, const std::string& value) { section.table.rows.push_back({name, value}); };
    std::string description = config["description"].text();
    row("scenario", config["name"].text() + (description.empty() ? "" : " - " + description));
    std::vector<std::string> params;
    for (const auto& [name, value] : config["params"].members())
        params.push_back(name + "=" + text_of(value));
    row("workload", config["workload"].text() + (params.empty() ? "" : fmt::format(" ({})", fmt::join(params, ", "))));
    JsonField platform = config["platform"];
    std::optional<JsonField> model = platform.find("model");
    row("platform", platform["platform"].text() + (model ? " (" + model->text() + ")" : ""));
    row("seed", std::to_string(config["seed"].number()));
    std::vector<std::string> overrides;
    for (const JsonField& item : config["overrides"].items())
        overrides.push_back(item.text());
    if (!overrides.empty())
        row("overrides", fmt::format("{}", fmt::join(overrides, ", ")));
    row("result", stats.result);
    if (!stats.fault.empty())
        row("fault", stats.fault);
    row("simulated time", simulated_time(stats));
    row("dmasim", config["dmasim_version"].text());
    return section;
}

Section expectations_section(const RunStats& stats) {
    Section section{expectations_title(stats.expectations), {{"result", "expectation", "actual"}, {}}, {}};
    for (const ExpectationOutcome& outcome : stats.expectations)
        section.table.rows.push_back({result_marker(outcome), outcome.expect,
                                      outcome.actual ? std::to_string(*outcome.actual) : "no such stat"});
    return section;
}

std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

// A detail's "mapping" (outputs.h, mapping_json) as describe_mapping() words it: "none" when
// no mapping covered the hazard, "-" in a hazards.json written before details named one.
std::string mapping_cell(const JsonField& hazard) {
    std::optional<JsonField> field = hazard.find("mapping");
    if (!field)
        return "-";
    if (field->is_null())
        return "none";
    const JsonField& json = *field;
    auto address = [](const JsonField& field) -> uint64_t {
        std::string hex = field.text();
        size_t used = 0;
        try {
            uint64_t value = hex.rfind("0x", 0) == 0 ? std::stoull(hex, &used, 16) : 0;
            if (used == hex.size())
                return value;
        } catch (const std::exception&) {
        }
        field.fail("a hexadecimal address such as \"0x80001000\"");
    };
    // Read in this order, so that the first malformed field is the one reported.
    std::string device = json["device"].text();
    std::string type = json["type"].text();
    std::string direction = json["direction"].is_null() ? "" : json["direction"].text();
    uint64_t dma_addr = address(json["dma_addr"]);
    uint64_t size = json["size"].number();
    std::optional<uint64_t> unmapped_ps;
    if (!json["unmapped_ps"].is_null())
        unmapped_ps = json["unmapped_ps"].number();
    return describe_mapping(device, type, direction, size, dma_addr, unmapped_ps);
}

// outside_local_memory compares no bytes: the local memory the address should have been in, and the
// offset in it the decoder reached instead.
bool outside_local_memory(const JsonField& hazard) { return hazard["kind"].text() == "outside_local_memory"; }

std::string expected_cell(const JsonField& hazard) {
    if (!outside_local_memory(hazard))
        return or_dash(hazard["expected"].text());
    return fmt::format("local memory {} + {}", hazard["local_base"].text(), hazard["local_size"].number());
}

std::string observed_cell(const JsonField& hazard) {
    if (!outside_local_memory(hazard))
        return or_dash(hazard["observed"].text());
    return "reached offset " + hazard["local_offset"].text();
}

Section hazards_section(const JsonField& hazards) {
    if (!hazards["monitor"].flag())
        return {"hazards: not watched (the coherence monitor was off)", {}, {}};
    uint64_t total = hazards["total"].number();
    Section section{total ? fmt::format("hazards: {} ({})", total, nonzero_counts(hazards["counts"]))
                          : std::string("hazards: none"),
                    {{"time", "kind", "address", "span", "bytes", "actor", "cache", "previous writer", "written at",
                      "expected", "observed", "mapping"},
                     {}},
                    {}};
    std::vector<JsonField> details = hazards["details"].items();
    for (const JsonField& hazard : details) {
        std::string writer = hazard["previous_writer"].text();
        section.table.rows.push_back({format_time(hazard["time_ps"].number()), hazard["kind"].text(),
                                      hazard["address"].text(), std::to_string(hazard["length"].number()),
                                      std::to_string(hazard["bytes"].number()), hazard["actor"].text(),
                                      or_dash(hazard["cache"].text()), or_dash(writer),
                                      writer.empty() ? "-" : format_time(hazard["previous_time_ps"].number()),
                                      expected_cell(hazard), observed_cell(hazard), mapping_cell(hazard)});
    }
    if (details.size() < total)
        section.notes.push_back(fmt::format("the first {} of {} shown: hazards.json keeps the first {}", details.size(),
                                            total, hazards["details_limit"].number()));
    return section;
}

Section dma_debug_section(const std::optional<JsonField>& dma_debug) {
    if (!dma_debug)
        return {"dma-debug: no dma-debug.json in this folder", {}, {}};
    if (std::optional<JsonField> enabled = dma_debug->find("enabled"); enabled && !enabled->flag())
        return {"dma-debug: off", {}, {}};
    std::vector<JsonField> reports = (*dma_debug)["reports"].items();
    std::optional<JsonField> total_field = dma_debug->find("total");
    uint64_t total = total_field ? total_field->number() : reports.size();
    Section section{total ? fmt::format("dma-debug: {} reports ({})", total, nonzero_counts((*dma_debug)["counts"]))
                          : std::string("dma-debug: no reports"),
                    {{"time", "device", "check", "message"}, {}},
                    {}};
    for (const JsonField& report : reports)
        section.table.rows.push_back({format_time(report["time_ps"].number()), report["device"].text(),
                                      report["check"].text(), report["message"].text()});
    if (reports.size() < total)
        section.notes.push_back(fmt::format("the first {} of {} shown", reports.size(), total));
    return section;
}

// The prefixes P of the counters named P.<suffix> (one component), sorted.
std::vector<std::string> prefixes_with(const RunStats& stats, const std::string& suffix) {
    std::vector<std::string> prefixes;
    for (const auto& [path, value] : stats.counters)
        if (path.size() > suffix.size() + 1 && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            path[path.size() - suffix.size() - 1] == '.')
            prefixes.push_back(path.substr(0, path.size() - suffix.size() - 1));
    return prefixes;
}

Section counters_section(const RunStats& stats, const JsonField& hazards, const std::optional<JsonField>& dma_debug) {
    Section section{"main counters", {}, {}};
    auto row = [&](const std::string& name, const std::string& value) { section.table.rows.push_back({name, value}); };
    auto stat = [&](const std::string& path) { return stats.counter(path); };
    row("simulated time", simulated_time(stats));
    for (const std::string& core : prefixes_with(stats, "data_aborts"))
        row(core,
            fmt::format("{} accesses, {} uncached, {} data aborts", stat(core + ".accesses"),
                        stat(core + ".uncached_reads") + stat(core + ".uncached_writes"), stat(core + ".data_aborts")));
    for (const std::string& cache : prefixes_with(stats, "read_hits")) {
        uint64_t hits = stat(cache + ".read_hits") + stat(cache + ".write_hits");
        uint64_t misses = stat(cache + ".read_misses") + stat(cache + ".write_misses");
        row(cache, fmt::format("{} hits, {} misses ({:.1f}% hit), {} evictions, {} write-backs", hits, misses,
                               hits + misses ? 100.0 * hits / (hits + misses) : 0.0, stat(cache + ".evictions"),
                               stat(cache + ".write_backs")));
    }
    for (const std::string& master : prefixes_with(stats, "read_bytes"))
        row(master, fmt::format("DMA {} bytes read, {} bytes written, {} bursts", stat(master + ".read_bytes"),
                                stat(master + ".write_bytes"), stat(master + ".bursts")));
    for (const std::string& endpoint : prefixes_with(stats, "dma_read_bytes"))
        row(endpoint,
            fmt::format("PCI DMA {} bytes read, {} bytes written, {} refused, {} errors, {} MSIs",
                        stat(endpoint + ".dma_read_bytes"), stat(endpoint + ".dma_write_bytes"),
                        stat(endpoint + ".dma_refused"), stat(endpoint + ".dma_errors"), stat(endpoint + ".msis")));
    std::vector<std::string> swiotlb;
    for (const auto& [path, value] : stats.counters)
        if (split_group(path).first == "swiotlb")
            swiotlb.push_back(fmt::format("{} {}", split_group(path).second, value));
    if (!swiotlb.empty())
        row("swiotlb", fmt::format("{}", fmt::join(swiotlb, ", ")));
    if (hazards["monitor"].flag())
        row("hazards", std::to_string(hazards["total"].number()));
    if (dma_debug && dma_debug->find("total"))
        row("dma-debug reports", std::to_string((*dma_debug)["total"].number()));
    row("data errors", std::to_string(stat("workload.data_errors")));
    return section;
}

}  // namespace

RunStats RunStats::read(const JsonField& stats) {
    RunStats out;
    read_counters(stats, out.counters);
    for (const JsonField& item : stats["expectations"].items()) {
        JsonField actual = item["actual"];
        out.expectations.push_back({item["expect"].text(),
                                    actual.is_null() ? std::nullopt : std::optional<uint64_t>(actual.number()),
                                    item["result"].text()});
    }
    out.result = stats["result"].text();
    if (std::optional<JsonField> fault = stats.find("fault"))
        out.fault = fault->text();
    return out;
}

uint64_t RunStats::counter(const std::string& path) const {
    auto found = counters.find(path);
    return found == counters.end() ? 0 : found->second;
}

std::string stats_text(const RunStats& stats) {
    std::string out = fmt::format("result          {}\n", stats.result);
    if (!stats.fault.empty())
        out += fmt::format("fault           {}\n", stats.fault);
    out += fmt::format("simulated time  {}\n", simulated_time(stats));
    out += "\n" + expectations_title(stats.expectations) + "\n";
    for (const ExpectationOutcome& outcome : stats.expectations)
        out += fmt::format("  [{}] {}\n", result_marker(outcome), outcome.describe());

    size_t name_width = 0, value_width = 0;
    for (const auto& [path, value] : stats.counters) {
        name_width = std::max(name_width, split_group(path).second.size());
        value_width = std::max(value_width, std::to_string(value).size());
    }
    std::optional<std::string> group;
    for (const auto& [path, value] : stats.counters) {
        auto [first, rest] = split_group(path);
        if (first != group) {
            out += "\n" + (first.empty() ? std::string("(top level)") : first) + "\n";
            group = first;
        }
        out += fmt::format("  {:<{}}  {:>{}}\n", rest, name_width, value, value_width);
    }
    return out;
}

std::string report(const std::string& outdir, ReportFormat format) {
    if (!fs::is_directory(outdir))
        throw ConfigError(fmt::format("{}: not a folder (expected the output folder of a dmasim run, with "
                                      "config.json, stats.json and hazards.json)",
                                      outdir));
    auto file = [&](const char* name) { return (fs::path(outdir) / name).string(); };
    JsonField config = JsonField::load(file(output_file::config));
    RunStats stats = RunStats::read(JsonField::load(file(output_file::stats)));
    JsonField hazards = JsonField::load(file(output_file::hazards));
    std::optional<JsonField> dma_debug;
    if (fs::exists(file(output_file::dma_debug)))
        dma_debug = JsonField::load(file(output_file::dma_debug));

    std::vector<Section> sections = {run_section(config, stats), expectations_section(stats), hazards_section(hazards),
                                     dma_debug_section(dma_debug), counters_section(stats, hazards, dma_debug)};
    return render("dmasim report: " + outdir, sections, format);
}

}  // namespace platform
