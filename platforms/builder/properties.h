// Reads a node's model properties through the model's table (models/common/property_table.h):
// one routine for every model, so each property's default, range check and error message come
// from its one declaration.
#pragma once

#include "models/common/property_table.h"
#include "platforms/devicetree/device_tree.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace platform {

// The value of `spec` on `node` (which must have it), checked against what it allows: otherwise a
// ConfigError naming the node, the property, the allowed values and the value found.
uint64_t read_property(const DtNode& node, const models::PropertyInfo& spec);

// Sets each field of `config` whose property `node` has (a required one must be there); the
// others keep their value.
template <typename Config>
void read_properties(const DtNode& node, const std::vector<models::PropertySpec<Config>>& specs, Config& config) {
    for (const models::PropertySpec<Config>& spec : specs)
        if (spec.required || node.has(spec.name))
            spec.set(config, read_property(node, spec));
}

// `table`'s defaults with the properties `node` has.
template <typename Config>
Config read_properties(const DtNode& node, const models::PropertyTable<Config>& table) {
    Config config = table.defaults;
    read_properties(node, table.properties, config);
    return config;
}

// The value of `spec` in `config` as the platform's description shows it: a number in the
// property's unit, or a choice's string.
template <typename Config>
nlohmann::ordered_json property_json(const models::PropertySpec<Config>& spec, const Config& config) {
    uint64_t value = spec.get(config);
    for (const auto& [text, choice] : spec.choices)
        if (choice == value)
            return text;
    return value;
}

}  // namespace platform
