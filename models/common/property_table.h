// The device-tree properties a model takes, declared once next to the model: per property its
// name, the config field it sets, its default, the values it allows, its unit and one line of
// documentation. The platform builder reads a node into the config struct through the table
// (platforms/builder/properties.h, with range checks), the platform's description (config.json,
// `dmasim describe`) takes the resolved values through it, and each model's doc page shows it
// (`dmasim list properties`, kept in sync by tests/unit/app/test_property_docs.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace models {

// Units the tables convert between: properties in ns or Hz, fields in ps.
constexpr uint64_t ps_per_ns = 1000;
constexpr uint64_t ps_per_s = 1000000000000ULL;

enum class PropertyType {
    u32,     // one 32-bit cell
    u64,     // one or two cells
    choice,  // a string naming one of the choices
};

// A property's declaration without its config field: what the builder checks and the doc shows.
struct PropertyInfo {
    std::string name;   // "dmasim,l1-hit-cycles"
    std::string field;  // the config field it sets, as the doc names it: "l1_hit_cycles"
    PropertyType type = PropertyType::u32;
    std::string unit;  // "cycles", "ns", "bytes"...; empty when there is none
    std::string doc;   // one line
    // The values a number allows: min to max, and a power of two (0 too when min is 0) or a
    // multiple of `multiple`.
    uint64_t min = 0;
    uint64_t max = std::numeric_limits<uint32_t>::max();
    bool power_of_two = false;
    uint64_t multiple = 1;
    unsigned hex_digits = 0;  // values are shown in hex with at least these digits; 0: in decimal
    std::vector<std::pair<std::string, uint64_t>> choices;  // a choice's strings and the values they set
    bool required = false;                                  // no default: the node must have it
    std::string default_doc;  // what the doc says of a default the builder chooses per node

    bool allows(uint64_t value) const;
    std::string allowed() const;                   // "a power of two up to 4096", "\"off\" or \"on\""
    std::string value_text(uint64_t value) const;  // 4096, 0xff0000, "next-line"
    // What an error says a bad `value` should have been: "from 1 to 64 (address bits), got 65".
    std::string expected(uint64_t value) const;
};

// A property and how it reaches its config field: `get` gives the field's value in the
// property's unit (a choice's value), `set` stores one that `allows` accepted.
template <typename Config>
struct PropertySpec : PropertyInfo {
    using Getter = std::function<uint64_t(const Config&)>;
    using Setter = std::function<void(Config&, uint64_t)>;

    Getter get;
    Setter set;

    // Declarations read as one chain:
    //   PropertySpec<C>::number(PropertyType::u32, "dmasim,burst-size", "burst_size", &C::burst_size)
    //       .with_unit("bytes").power_of_two_up_to(4096).with_doc("bytes per memory request")
    static PropertySpec number(PropertyType type, std::string name, std::string field, Getter get, Setter set) {
        PropertySpec spec;
        spec.type = type;
        spec.name = std::move(name);
        spec.field = std::move(field);
        if (type == PropertyType::u64)
            spec.max = std::numeric_limits<uint64_t>::max();
        spec.get = std::move(get);
        spec.set = std::move(set);
        return spec;
    }
    template <typename Field>
    static PropertySpec number(PropertyType type, std::string name, std::string field, Field Config::*member) {
        return number(
            type, std::move(name), std::move(field), [member](const Config& c) { return uint64_t(c.*member); },
            [member](Config& c, uint64_t value) { c.*member = static_cast<Field>(value); });
    }
    // A string property; `choices` are the strings and the values of the field they set.
    template <typename Field>
    static PropertySpec choice(std::string name, std::string field, Field Config::*member,
                               std::vector<std::pair<std::string, Field>> choices) {
        PropertySpec spec = number(PropertyType::choice, std::move(name), std::move(field), member);
        for (auto& [text, value] : choices)
            spec.choices.emplace_back(std::move(text), uint64_t(value));
        return spec;
    }

    PropertySpec& with_unit(std::string text) { return unit = std::move(text), *this; }
    PropertySpec& with_doc(std::string text) { return doc = std::move(text), *this; }
    PropertySpec& range(uint64_t low, uint64_t high) { return min = low, max = high, *this; }
    PropertySpec& at_least(uint64_t low) { return min = low, *this; }
    PropertySpec& power_of_two_up_to(uint64_t high, uint64_t low = 1) {
        return power_of_two = true, min = low, max = high, *this;
    }
    PropertySpec& multiple_of(uint64_t step, uint64_t low, uint64_t high) {
        return multiple = step, min = low, max = high, *this;
    }
    PropertySpec& shown_in_hex(unsigned digits) { return hex_digits = digits, *this; }
    PropertySpec& mandatory() { return required = true, *this; }
    PropertySpec& default_is(std::string text) { return default_doc = std::move(text), *this; }
};

// The properties of one kind of node and the config they start from: a property the node lacks
// keeps the value `defaults` holds.
template <typename Config>
struct PropertyTable {
    Config defaults;
    std::vector<PropertySpec<Config>> properties;

    const PropertySpec<Config>& at(const std::string& name) const {
        for (const PropertySpec<Config>& spec : properties)
            if (spec.name == name)
                return spec;
        throw std::logic_error("no property " + name + " in the table");
    }
    // The resolved value of `name` in `config`, in the property's unit.
    uint64_t value(const Config& config, const std::string& name) const { return at(name).get(config); }
    // Empty when every field of `config` holds a value its property allows, else what the first
    // that does not should be: "dmasim,dma-bits: expected from 1 to 64 (address bits), got 65".
    std::string check(const Config& config) const {
        for (const PropertySpec<Config>& spec : properties)
            if (!spec.allows(spec.get(config)))
                return spec.name + ": expected " + spec.expected(spec.get(config));
        return {};
    }
};

// The properties of an `Inner` struct held in `Outer::*member` (a core's prefetcher settings),
// as properties of `Outer`; their fields are named `field_prefix.field` (or `field_prefix[i]`).
template <typename Outer, typename Inner>
std::vector<PropertySpec<Outer>> nested_properties(Inner Outer::*member, const std::string& field_prefix,
                                                   const std::vector<PropertySpec<Inner>>& inner) {
    std::vector<PropertySpec<Outer>> outer;
    for (const PropertySpec<Inner>& spec : inner) {
        PropertySpec<Outer> lifted;
        static_cast<PropertyInfo&>(lifted) = spec;
        lifted.field = field_prefix + (spec.field[0] == '[' ? "" : ".") + spec.field;
        lifted.get = [member, get = spec.get](const Outer& config) { return get(config.*member); };
        lifted.set = [member, set = spec.set](Outer& config, uint64_t value) { set(config.*member, value); };
        outer.push_back(std::move(lifted));
    }
    return outer;
}

// Lists of properties (a model's own and nested ones) one after another.
template <typename Config>
std::vector<PropertySpec<Config>> concat_properties(std::initializer_list<std::vector<PropertySpec<Config>>> lists) {
    std::vector<PropertySpec<Config>> all;
    for (const std::vector<PropertySpec<Config>>& list : lists)
        all.insert(all.end(), list.begin(), list.end());
    return all;
}

// One row of a model's doc table.
struct PropertyRow {
    std::string name, field, default_text, allowed, unit, doc;
};

template <typename Config>
std::vector<PropertyRow> property_rows(const PropertyTable<Config>& table) {
    std::vector<PropertyRow> rows;
    for (const PropertySpec<Config>& spec : table.properties) {
        std::string default_text = spec.required               ? "required"
                                   : !spec.default_doc.empty() ? spec.default_doc
                                                               : spec.value_text(spec.get(table.defaults));
        rows.push_back({spec.name, spec.field, default_text, spec.allowed(), spec.unit, spec.doc});
    }
    return rows;
}

}  // namespace models
