// Scenario files are read with yaml-cpp and checked key by key, so that every error names the
// file, the line and the key at fault instead of surfacing as a yaml-cpp conversion exception.
#include "platforms/app/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>

namespace platform {
namespace {

[[noreturn]] void fail(const std::string& message) { throw ConfigError(message); }

int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

// How a value that is not what was expected reads in an error message.
std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    default: return "an empty value";
    }
}

std::string join(const std::vector<std::string>& items) {
    std::string list;
    for (const std::string& item : items)
        list += (list.empty() ? "" : ", ") + item;
    return list;
}

std::string expected(const std::string& what, const YAML::Node& got) {
    return "expected " + what + ", got " + describe(got);
}

// Decimal or 0x hex without a sign; nullopt if malformed or wider than 64 bits.
std::optional<uint64_t> parse_uint(std::string_view text) {
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
        base = 16;
    }
    uint64_t value = 0;
    const char* end = text.data() + text.size();
    auto [stop, error] = std::from_chars(text.data(), end, value, base);
    if (error != std::errc() || stop != end)
        return std::nullopt;
    return value;
}

// An unsigned number already matched by the expectation form: integers (hex ones exactly up to
// 64 bits) or decimals; nullopt only when out of range.
std::optional<double> parse_magnitude(const std::string& text) {
    if (auto integer = parse_uint(text))
        return static_cast<double>(*integer);
    double value = 0;
    const char* end = text.data() + text.size();
    auto [stop, error] = std::from_chars(text.data(), end, value, std::chars_format::fixed);
    if (error != std::errc() || stop != end)
        return std::nullopt;
    return value;
}

CompareOp op_named(const std::string& op) {
    static const std::map<std::string, CompareOp> ops = {
        {"==", CompareOp::eq}, {"!=", CompareOp::ne}, {"<", CompareOp::lt},
        {"<=", CompareOp::le}, {">", CompareOp::gt},  {">=", CompareOp::ge},
    };
    return ops.at(op);
}

// One key: value pair of a YAML map, with the key's text.
struct Entry {
    std::string name;
    YAML::Node key;
    YAML::Node value;
};

// Reads one scenario document; `file` prefixes every error message.
class ScenarioReader {
public:
    explicit ScenarioReader(const std::string& file) : file_(file) {}

    Scenario read(const std::string& yaml_text) const {
        Scenario scenario;
        scenario.file = file_;
        std::set<std::string> seen;
        for (const Entry& entry : entries(document(yaml_text), "")) {
            (this->*field_named(entry).read)(entry, scenario);
            seen.insert(entry.name);
        }
        for (const Field& field : fields_) {
            if (field.required && !seen.count(field.name))
                fail(file_ + ": missing required key '" + field.name + "'");
        }
        return scenario;
    }

private:
    using ReadField = void (ScenarioReader::*)(const Entry&, Scenario&) const;
    struct Field {
        const char* name;
        bool required;
        ReadField read;
    };
    static const std::vector<Field> fields_;

    std::string at(const YAML::Node& node) const { return file_ + ":" + std::to_string(line_of(node)); }

    // "FILE:LINE: key 'K': PROBLEM", LINE being that of `where`: the key, or the offending item.
    [[noreturn]] void key_error(const Entry& entry, const YAML::Node& where, const std::string& problem) const {
        fail(at(where) + ": key '" + entry.name + "': " + problem);
    }

    static std::string key_list() {
        std::vector<std::string> names;
        for (const Field& field : fields_)
            names.push_back(field.name);
        return join(names);
    }

    // The single top-level map; anything after it would otherwise be silently ignored.
    YAML::Node document(const std::string& yaml_text) const {
        std::vector<YAML::Node> documents;
        try {
            documents = YAML::LoadAll(yaml_text);
        } catch (const YAML::ParserException& e) {
            fail(file_ + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                 ": YAML syntax error: " + e.msg);
        }
        const std::string top_level = "a map of keys (" + key_list() + ")";
        if (documents.empty() || documents[0].IsNull())
            fail(file_ + ": empty scenario, expected " + top_level);
        if (documents.size() > 1)
            fail(at(documents[1]) + ": expected a single YAML document");
        if (!documents[0].IsMap())
            fail(at(documents[0]) + ": " + expected(top_level, documents[0]));
        return documents[0];
    }

    // The entries of `map` in file order. yaml-cpp accepts repeated keys without complaint, so
    // they are caught here; `context` says which map the message is about.
    std::vector<Entry> entries(const YAML::Node& map, const std::string& context) const {
        std::vector<Entry> result;
        std::map<std::string, int> first_line;
        for (const auto& pair : map) {
            if (!pair.first.IsScalar())
                fail(at(pair.first) + ": " + context + expected("a key name", pair.first));
            const std::string name = pair.first.Scalar();
            auto [first, is_new] = first_line.emplace(name, line_of(pair.first));
            if (!is_new)
                fail(at(pair.first) + ": " + context + "duplicate key '" + name + "' (first at line " +
                     std::to_string(first->second) + ")");
            result.push_back({name, pair.first, pair.second});
        }
        return result;
    }

    const Field& field_named(const Entry& entry) const {
        for (const Field& field : fields_) {
            if (entry.name == field.name)
                return field;
        }
        fail(at(entry.key) + ": unknown key '" + entry.name + "' (expected one of: " + key_list() + ")");
    }

    std::string text(const Entry& entry) const {
        if (!entry.value.IsScalar())
            key_error(entry, entry.key, expected("a string", entry.value));
        return entry.value.Scalar();
    }

    std::string nonempty_text(const Entry& entry) const {
        const std::string value = text(entry);
        if (value.empty())
            key_error(entry, entry.key, expected("a non-empty string", entry.value));
        return value;
    }

    // The items of a list of strings, as nodes so that each keeps its line.
    std::vector<YAML::Node> string_items(const Entry& entry) const {
        if (!entry.value.IsSequence())
            key_error(entry, entry.key, expected("a list of strings", entry.value));
        std::vector<YAML::Node> items(entry.value.begin(), entry.value.end());
        for (const YAML::Node& item : items) {
            if (!item.IsScalar())
                key_error(entry, item, expected("each item to be a string", item));
        }
        return items;
    }

    void read_name(const Entry& entry, Scenario& scenario) const { scenario.name = nonempty_text(entry); }
    void read_description(const Entry& entry, Scenario& scenario) const { scenario.description = text(entry); }
    void read_platform(const Entry& entry, Scenario& scenario) const { scenario.platform = nonempty_text(entry); }
    void read_workload(const Entry& entry, Scenario& scenario) const { scenario.workload = nonempty_text(entry); }

    // Only the shape is checked here; the node and property are checked against the device tree.
    void read_overrides(const Entry& entry, Scenario& scenario) const {
        for (const YAML::Node& item : string_items(entry)) {
            const std::string& override_text = item.Scalar();
            const size_t colon = override_text.find(':');
            const size_t equals = override_text.find('=', colon);
            if (override_text.empty() || override_text[0] != '/' || colon == std::string::npos ||
                equals == std::string::npos || equals == colon + 1)
                fail(at(item) + ": override '" + override_text + "': expected '/node/path:property=value'");
            scenario.overrides.push_back(override_text);
        }
    }

    // Resolved against the scenario's folder, as its platform is.
    void read_include_dirs(const Entry& entry, Scenario& scenario) const {
        for (const YAML::Node& item : string_items(entry)) {
            if (item.Scalar().empty())
                key_error(entry, item, expected("each item to be a folder", item));
            const std::filesystem::path dir = item.Scalar();
            scenario.include_dirs.push_back(dir.is_relative()
                                                ? (std::filesystem::path(file_).parent_path() / dir).string()
                                                : dir.string());
        }
    }

    // Values stay text: only the workload knows their types.
    void read_params(const Entry& entry, Scenario& scenario) const {
        if (!entry.value.IsMap())
            key_error(entry, entry.key, expected("a map of parameter names to values", entry.value));
        for (const Entry& param : entries(entry.value, "key '" + entry.name + "': ")) {
            if (!param.value.IsScalar())
                key_error(entry, param.key,
                          "parameter '" + param.name + "': " + expected("a scalar value", param.value));
            scenario.params[param.name] = param.value.Scalar();
        }
    }

    // Hex is accepted too, as seeds are often written that way.
    void read_seed(const Entry& entry, Scenario& scenario) const {
        const std::optional<uint64_t> seed = entry.value.IsScalar() ? parse_uint(entry.value.Scalar()) : std::nullopt;
        if (!seed)
            key_error(entry, entry.key, expected("a non-negative integer", entry.value));
        scenario.seed = seed;
    }

    void read_expect(const Entry& entry, Scenario& scenario) const {
        for (const YAML::Node& item : string_items(entry)) {
            Expectation expectation = Expectation::parse(item.Scalar(), at(item));
            expectation.line = line_of(item);
            scenario.expect.push_back(expectation);
        }
    }

    // A run that demonstrates a simulation error passes when it ends with one.
    void read_expect_exit(const Entry& entry, Scenario& scenario) const {
        const std::optional<uint64_t> code = entry.value.IsScalar() ? parse_uint(entry.value.Scalar()) : std::nullopt;
        if (!code || (*code != exit_pass && *code != exit_simulation_error))
            key_error(entry, entry.key, expected("0 or 3 (a simulation error)", entry.value));
        scenario.expect_exit = static_cast<int>(*code);
    }

    // On the key's line, as CMake reads the labels from that line to label the scenario's test.
    void read_labels(const Entry& entry, Scenario& scenario) const {
        const std::vector<YAML::Node> items = string_items(entry);
        if (line_of(entry.value) != line_of(entry.key))
            key_error(entry, entry.key, "expected a one-line list such as [smoke, coherence] (CMake reads that line)");
        const std::vector<std::string>& known = Scenario::known_labels();
        for (const YAML::Node& item : items) {
            const std::string& label = item.Scalar();
            if (std::find(known.begin(), known.end(), label) == known.end())
                key_error(entry, item, "unknown label '" + label + "' (expected one of: " + join(known) + ")");
            if (std::find(scenario.labels.begin(), scenario.labels.end(), label) != scenario.labels.end())
                key_error(entry, item, "label '" + label + "' given twice");
            scenario.labels.push_back(label);
        }
    }

    void read_golden(const Entry& entry, Scenario& scenario) const {
        if (!entry.value.IsScalar() || (entry.value.Scalar() != "true" && entry.value.Scalar() != "false"))
            key_error(entry, entry.key, expected("true or false", entry.value));
        scenario.golden = entry.value.Scalar() == "true";
    }

    std::string file_;
};

// In the order the file format documents them, which is the order error messages list them in.
const std::vector<ScenarioReader::Field> ScenarioReader::fields_ = {
    {"name", true, &ScenarioReader::read_name},
    {"description", false, &ScenarioReader::read_description},
    {"platform", true, &ScenarioReader::read_platform},
    {"overrides", false, &ScenarioReader::read_overrides},
    {"include_dirs", false, &ScenarioReader::read_include_dirs},
    {"workload", true, &ScenarioReader::read_workload},
    {"params", false, &ScenarioReader::read_params},
    {"seed", false, &ScenarioReader::read_seed},
    {"expect", false, &ScenarioReader::read_expect},
    {"expect_exit", false, &ScenarioReader::read_expect_exit},
    {"labels", false, &ScenarioReader::read_labels},
    {"golden", false, &ScenarioReader::read_golden},
};

}  // namespace

Expectation Expectation::parse(const std::string& text, const std::string& where) {
    // Stat path, op, then a number (optional minus sign, magnitude) optionally times a stat, or a
    // stat alone; "<=" and ">=" are tried before "<" and ">". A right-hand stat starts with a letter
    // or '_', so that nothing that starts like a number reads as a stat.
    static const std::string stat_path = R"([A-Za-z0-9_@,-]+(?:\.[A-Za-z0-9_@,-]+)*)";
    static const std::string right_stat_path = R"([A-Za-z_][A-Za-z0-9_@,-]*(?:\.[A-Za-z0-9_@,-]+)*)";
    static const std::regex form(R"(\s*()" + stat_path + R"()\s*(==|!=|<=|>=|<|>)\s*)" +
                                 R"((?:(-?)(0[xX][0-9A-Fa-f]+|[0-9]+(?:\.[0-9]+)?)(?:\s*\*\s*()" + right_stat_path +
                                 R"())?|()" + right_stat_path + R"())\s*)");
    std::smatch match;
    const std::string prefix = where + ": expectation '" + text + "': ";
    if (!std::regex_match(text, match, form))
        fail(prefix + "expected '<stat path> <op> <value>' with op one of == != < <= > >= and value a number, "
                      "a stat path or '<number> * <stat path>'");
    Expectation expectation;
    expectation.text = text;
    expectation.stat = match[1].str();
    expectation.op = op_named(match[2].str());
    expectation.right_stat = match[5].matched ? match[5].str() : match[6].str();
    expectation.value = 1;
    if (match[4].matched) {
        const std::optional<double> magnitude = parse_magnitude(match[4].str());
        if (!magnitude)
            fail(prefix + "value '" + match[4].str() + "' is out of range");
        expectation.value = match[3].length() ? -*magnitude : *magnitude;
    }
    return expectation;
}

bool Expectation::holds(double actual, double right) const {
    const double bound = right_stat.empty() ? value : value * right;
    switch (op) {
    case CompareOp::eq: return actual == bound;
    case CompareOp::ne: return actual != bound;
    case CompareOp::lt: return actual < bound;
    case CompareOp::le: return actual <= bound;
    case CompareOp::gt: return actual > bound;
    case CompareOp::ge: return actual >= bound;
    }
    return false;  // not reached: the switch covers every op, but g++ cannot tell
}

const std::vector<std::string>& Scenario::known_labels() {
    static const std::vector<std::string> labels = {"smoke", "coherence", "dma", "pci", "iommu",
                                                    "mfd",   "dma-buf",   "ttm", "slow"};
    return labels;
}

Scenario Scenario::load(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        fail(path + ": cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str(), path);
}

Scenario Scenario::parse(const std::string& yaml_text, const std::string& file_name) {
    return ScenarioReader(file_name).read(yaml_text);
}

}  // namespace platform
