#include "sw/workloads/workload.h"

#include "sw/drivers/dma/bus_master.h"
#include "sw/workloads/alloc_attrs.h"
#include "sw/workloads/coherence_cases.h"
#include "sw/workloads/coherent_alias.h"
#include "sw/workloads/dma_selftest.h"
#include "sw/workloads/memtest.h"
#include "sw/workloads/peek.h"
#include "sw/workloads/seed_buffer_objects.h"
#include "sw/workloads/seed_mfd_local_memory.h"
#include "sw/workloads/seed_missing_sync.h"
#include "sw/workloads/seed_per_device_ops.h"
#include "sw/workloads/seed_shared_buffer.h"
#include "sw/workloads/seed_small_buffers.h"
#include "sw/workloads/seed_usb_delegation.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace sw {

bool parse_size(const std::string& text, uint64_t& out) {
    if (text.empty())
        return false;
    size_t used = 0;
    uint64_t value;
    try {
        value = std::stoull(text, &used, 0);
    } catch (const std::exception&) {
        return false;
    }
    if (text[0] == '-')
        return false;
    std::string suffix = text.substr(used);
    unsigned shift = 0;
    if (suffix == "K" || suffix == "k" || suffix == "KiB")
        shift = 10;
    else if (suffix == "M" || suffix == "MiB")
        shift = 20;
    else if (suffix == "G" || suffix == "GiB")
        shift = 30;
    else if (!suffix.empty())
        return false;
    if (shift && value > (~0ULL >> shift))
        return false;
    out = value << shift;
    return true;
}

uint64_t Params::integer(const std::string& name) const { return numbers_.at(name); }

bool Params::boolean(const std::string& name) const { return numbers_.at(name) != 0; }

const std::string& Params::text(const std::string& name) const { return values_.at(name); }

WorkloadRegistry& WorkloadRegistry::builtin() {
    static WorkloadRegistry registry = [] {
        WorkloadRegistry r;
        r.add(memtest_workload());
        r.add(coherence_cases_workload());
        r.add(peek_workload());
        r.add(dma_selftest_workload());
        r.add(coherent_alias_workload());
        r.add(alloc_attrs_workload());
        r.add(seed_missing_sync_workload());
        r.add(seed_buffer_objects_workload());
        r.add(seed_usb_delegation_workload());
        r.add(seed_small_buffers_workload());
        r.add(seed_mfd_local_memory_workload());
        r.add(seed_per_device_ops_workload());
        r.add(seed_shared_buffer_workload());
        return r;
    }();
    return registry;
}

void WorkloadRegistry::add(Workload workload) {
    std::string name = workload.name;
    workloads_.emplace(std::move(name), std::move(workload));
}

const Workload* WorkloadRegistry::find(const std::string& name) const {
    auto found = workloads_.find(name);
    return found == workloads_.end() ? nullptr : &found->second;
}

static std::string bounds(const ParamSpec& spec) {
    if (spec.min == 0 && spec.max == ~0ULL)
        return "";
    return spec.max == ~0ULL ? fmt::format(" of at least {}", spec.min)
                             : fmt::format(" from {} to {}", spec.min, spec.max);
}

static std::string expected_form(const ParamSpec& spec) {
    switch (spec.type) {
    case ParamType::integer: return "a non-negative integer" + bounds(spec);
    case ParamType::size: return "a size in bytes such as 4096, 0x1000, 64K or 2M" + bounds(spec);
    case ParamType::boolean: return "true or false";
    case ParamType::choice: return fmt::format("one of: {}", fmt::join(spec.choices, ", "));
    case ParamType::text: return "text";
    }
    return "?";
}

static bool parse_value(const ParamSpec& spec, const std::string& text, uint64_t& number) {
    switch (spec.type) {
    case ParamType::integer: return parse_size(text, number) && text.find_first_of("KkMG") == std::string::npos;
    case ParamType::size: return parse_size(text, number);
    case ParamType::boolean:
        number = text == "true" || text == "1" || text == "yes";
        return number || text == "false" || text == "0" || text == "no";
    case ParamType::choice:
        for (size_t i = 0; i < spec.choices.size(); ++i)
            if (spec.choices[i] == text) {
                number = i;
                return true;
            }
        return false;
    case ParamType::text: return true;
    }
    return false;
}

Params WorkloadRegistry::resolve(const Workload& workload, const std::map<std::string, std::string>& given) {
    std::vector<std::string> known;
    for (const ParamSpec& spec : workload.params)
        known.push_back(spec.name);
    for (const auto& [name, value] : given) {
        if (std::find(known.begin(), known.end(), name) == known.end())
            throw ParamError(fmt::format("workload '{}' has no parameter '{}' (known: {})", workload.name, name,
                                         known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
    }
    Params params;
    for (const ParamSpec& spec : workload.params) {
        auto found = given.find(spec.name);
        const std::string& text = found == given.end() ? spec.default_value : found->second;
        uint64_t number = 0;
        bool numeric = spec.type == ParamType::integer || spec.type == ParamType::size;
        if (!parse_value(spec, text, number) || (numeric && (number < spec.min || number > spec.max)))
            throw ParamError(fmt::format("workload '{}' parameter '{}': expected {}, got '{}'", workload.name,
                                         spec.name, expected_form(spec), text));
        params.values_[spec.name] = text;
        params.numbers_[spec.name] = number;
    }
    return params;
}

std::function<void(const WorkloadContext&)> check_index_param(const std::string& workload, const std::string& param,
                                                              IndexOf what) {
    return [workload, param, what](const WorkloadContext& context) {
        uint64_t index = context.params.integer(param);
        size_t count = what == IndexOf::bus_master ? context.bus_masters.size()
                       : context.dma               ? std::min(context.devices.size(), context.bus_masters.size())
                                                   : 0;
        if (index >= count)
            throw ParamError(fmt::format("workload '{}' parameter '{}': expected the index of a {} (a "
                                         "\"dmasim,bus-master\" node), {}, got '{}'",
                                         workload, param, what == IndexOf::bus_master ? "bus master" : "DMA device",
                                         count ? fmt::format("0 to {} on this platform", count - 1)
                                               : std::string("but the platform has none"),
                                         index));
    };
}

std::vector<uint8_t> pattern_bytes(uint64_t size, uint64_t salt) {
    std::vector<uint8_t> data(size);
    for (uint64_t i = 0; i < size; ++i)
        data[i] = static_cast<uint8_t>((i * 97 + salt * 53 + (i >> 9)) ^ 0xa5);
    return data;
}

void require_transfer(int rc, const BusMaster& master) {
    if (rc < 0)
        throw std::runtime_error(master.error());
}

}  // namespace sw
