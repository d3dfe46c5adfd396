#include "platforms/app/vcd.h"

#include "dma/dma_pool.h"
#include "models/irq/interrupt_line.h"
#include "platforms/app/event_fields.h"
#include "platforms/app/trace_json.h"
#include "platforms/builder/platform.h"
#include "platforms/errors.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace platform {

namespace {

// SystemC writes to the name it is given plus ".vcd": the file it writes, renamed to the path asked
// for when it is closed, whatever that path's suffix.
// An 8051's states, as the mfd.state events name them.
constexpr const char* mcs51_states[] = {"reset", "running", "idle"};

std::string temporary_path(const std::string& path) { return fmt::format("{}.tmp.{}.vcd", path, ::getpid()); }

std::string systemc_name(const std::string& temporary) { return temporary.substr(0, temporary.size() - 4); }

// Overwrites the text of the header's $date section with blanks, in place.
void blank_date(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "r+b");
    if (!file)
        return;
    char header[256] = {};
    size_t length = std::fread(header, 1, sizeof header - 1, file);
    std::string text(header, length);
    size_t start = text.find("$date");
    size_t end = start == std::string::npos ? std::string::npos : text.find("$end", start);
    if (end != std::string::npos) {
        start += std::strlen("$date");
        std::string blanks = text.substr(start, end - start);
        for (char& c : blanks)
            if (c != '\n')
                c = ' ';
        std::fseek(file, static_cast<long>(start), SEEK_SET);
        std::fwrite(blanks.data(), 1, blanks.size(), file);
    }
    std::fclose(file);
}

}  // namespace

VcdConfig vcd_config(Platform& platform, const std::string& path, uint64_t period_ps) {
    VcdConfig config;
    config.path = path;
    config.period_ps = period_ps;
    for (const models::BusMaster* master : platform.bus_masters())
        config.masters.push_back(master->name());
    for (const auto& endpoint : platform.pci_endpoints())
        config.masters.push_back(endpoint->name());
    for (const models::Mfd* mfd : platform.mfd_models()) {
        config.masters.push_back(mfd->name());
        config.mcs51s.push_back(mfd->mcs51_track());
    }
    for (const SmmuSpec& smmu : platform.iommus())
        for (const std::string& line : smmu.irq_lines)
            config.fault_lines[models::InterruptLine::event_prefix + line] = "fault." + smmu.model;
    config.caches.push_back(&platform.core().l1d());
    if (models::OuterCache* outer = platform.outer_cache())
        config.caches.push_back(&outer->cache());
    return config;
}

VcdWriter::VcdWriter(sc_core::sc_module_name name, models::Instrumentation& instr, const VcdConfig& config)
    : sc_module(name), instr_(instr), path_(config.path), temporary_(temporary_path(config.path)),
      period_ps_(config.period_ps) {
    if (period_ps_ == 0)
        throw ConfigError("--vcd-period: expected a duration greater than zero");
    if (!std::ofstream(path_, std::ios::binary | std::ios::trunc))
        throw ConfigError(fmt::format("{}: cannot write the waveforms: {}", path_, std::strerror(errno)));
    file_ = sc_core::sc_create_vcd_trace_file(systemc_name(temporary_).c_str());
    file_->set_time_unit(1, sc_core::SC_PS);
    for (const std::string& master : config.masters)
        add_wire("busy." + master);
    for (const auto& [event, unused] : instr.event_descriptions())
        if (event.rfind(models::InterruptLine::event_prefix, 0) == 0)
            add_wire(event);
    for (const std::string& mcs51 : config.mcs51s)
        for (const char* state : mcs51_states)
            state_wires_[mcs51].push_back(&add_wire(fmt::format("mcs51.{}.{}", mcs51.substr(0, mcs51.find('.')),
                                                                state)));
    for (const auto& [line, fault] : config.fault_lines)
        fault_wire_of_[line] = wire_of_.count(fault) ? wire_of_[fault] : &add_wire(fault);
    for (const models::Cache* cache : config.caches)
        add_counter(cache->name() + ".dirty_lines", Counter{nullptr, cache, "", 0});
    add_counter("dma.active_mappings", Counter{&active_mappings_, nullptr, "", 0});
    for (const auto& [path, value] : instr.counters())
        if (is_sampled_counter(path))
            add_counter(path, Counter{value, nullptr, "", 0});
    // dma_pool's stat appears with the first pool a driver creates; a wire must be declared now.
    if (!instr.counters().count(dma::dma_pool_blocks_stat))
        add_counter(dma::dma_pool_blocks_stat, Counter{nullptr, nullptr, dma::dma_pool_blocks_stat, 0});
    instr.add_sink(this, "dma.read,dma.write,dma.copy,irq.*,mfd.state");
    SC_THREAD(apply_changes);
    SC_THREAD(sample);
}

VcdWriter::~VcdWriter() {
    sc_core::sc_close_vcd_trace_file(file_);
    if (std::rename(temporary_.c_str(), path_.c_str()) != 0) {
        std::cerr << fmt::format("error: {}: cannot rename the waveforms into place: {} (they are in {})\n", path_,
                                 std::strerror(errno), temporary_);
        return;
    }
    blank_date(path_);
}

VcdWriter::Wire& VcdWriter::add_wire(const std::string& name) {
    Wire& wire = wires_.emplace_back();
    wire_of_[name] = &wire;
    sc_core::sc_trace(file_, wire.value, name);
    return wire;
}

void VcdWriter::add_counter(const std::string& name, Counter counter) {
    Counter& added = counters_.emplace_back(counter);
    sc_core::sc_trace(file_, added.value, "counters." + name);
}

void VcdWriter::schedule(uint64_t time_ps, Wire& wire, int step, bool is_level) {
    uint64_t now = sc_core::sc_time_stamp().value();
    changes_.push(Change{std::max(time_ps, now), next_sequence_++, &wire, step, is_level});
    wake_.notify(sc_core::sc_time::from_value(changes_.top().time_ps - now));
}

void VcdWriter::on_mapping_call(const dma::MappingRecord& record) {
    switch (record.change()) {
    case dma::MappingChange::open:
        active_mappings_ += live_mappings_.emplace(record.device, record.dma_addr).second;
        return;
    case dma::MappingChange::close: active_mappings_ -= live_mappings_.erase({record.device, record.dma_addr}); return;
    case dma::MappingChange::none: return;
    }
}

void VcdWriter::on_event(const models::Event& event) {
    if (event.name->rfind(models::InterruptLine::event_prefix, 0) == 0) {
        auto wire = wire_of_.find(*event.name);
        auto fault = fault_wire_of_.find(*event.name);
        for (const models::Field& field : event.fields) {
            if (field.key != "level")
                continue;
            bool asserted = std::get<uint64_t>(field.value) != 0;
            if (wire != wire_of_.end())
                schedule(event.time_ps, *wire->second, asserted, true);
            if (fault != fault_wire_of_.end())  // a line's event is a change of its level: one more or one fewer
                schedule(event.time_ps, *fault->second, asserted ? +1 : -1, false);
        }
        return;
    }
    if (*event.name == "mfd.state") {
        auto wires = state_wires_.find(event.source);
        const models::FieldValue* state = find_field(event, "op");
        if (wires == state_wires_.end() || !state)
            return;
        for (size_t i = 0; i < std::size(mcs51_states); ++i)
            schedule(event.time_ps, *wires->second[i], std::get<std::string>(*state) == mcs51_states[i], true);
        return;
    }
    auto wire = wire_of_.find("busy." + event.source);
    if (wire == wire_of_.end())
        return;
    for (const models::Field& field : event.fields) {
        if (field.key != "duration_ps")
            continue;
        schedule(event.time_ps, *wire->second, +1, false);
        schedule(event.time_ps + std::get<uint64_t>(field.value), *wire->second, -1, false);
    }
}

void VcdWriter::apply_changes() {
    for (;;) {
        sc_core::wait(wake_);
        uint64_t now = sc_core::sc_time_stamp().value();
        while (!changes_.empty() && changes_.top().time_ps <= now) {
            const Change& change = changes_.top();
            Wire& wire = *change.wire;
            wire.active = change.is_level ? unsigned(change.step) : wire.active + change.step;
            wire.value = wire.active != 0;
            changes_.pop();
        }
        if (!changes_.empty())
            wake_.notify(sc_core::sc_time::from_value(changes_.top().time_ps - now));
    }
}

void VcdWriter::sample() {
    for (;;) {
        for (Counter& counter : counters_) {
            if (!counter.late_path.empty()) {
                auto created = instr_.counters().find(counter.late_path);
                if (created == instr_.counters().end())
                    continue;
                counter.source = created->second;
                counter.late_path.clear();
            }
            counter.value = counter.cache ? counter.cache->dirty_lines() : *counter.source;
        }
        sc_core::wait(sc_core::sc_time::from_value(period_ps_));
    }
}

}  // namespace platform
