// A JSON file a run wrote, read back by `dmasim report` and `dmasim regress`: every missing or
// mistyped field is a ConfigError naming the file, the field and what was expected, so that a
// truncated or hand-edited output folder gets a clear message instead of a JSON library exception.
#pragma once

#include "platforms/errors.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace platform {

class JsonField {
public:
    // The top level of `path`, which must hold a JSON object.
    static JsonField load(const std::string& path);
    // The top level of `root` (an object), as read from a file named `file`.
    static JsonField of(nlohmann::ordered_json root, const std::string& file);

    JsonField operator[](const std::string& key) const;  // a member that must exist
    std::optional<JsonField> find(const std::string& key) const;
    std::vector<JsonField> items() const;                            // of an array
    std::vector<std::pair<std::string, JsonField>> members() const;  // of an object, in file order

    std::string text() const;
    uint64_t number() const;  // a non-negative integer
    bool flag() const;
    bool is_null() const { return value_->is_null(); }
    bool is_object() const { return value_->is_object(); }
    const nlohmann::ordered_json& value() const { return *value_; }

    const std::string& file() const { return root_->file; }
    const std::string& path() const { return path_; }  // "expectations[0].result"; empty at the top

    // ConfigError "FILE: field PATH: expected WHAT, got ...".
    [[noreturn]] void fail(const std::string& what) const;

private:
    struct Root {
        nlohmann::ordered_json value;
        std::string file;
    };
    JsonField(std::shared_ptr<const Root> root, const nlohmann::ordered_json* value, std::string path)
        : root_(std::move(root)), value_(value), path_(std::move(path)) {}
    const nlohmann::ordered_json& expect(nlohmann::ordered_json::value_t type, const char* what) const;

    std::shared_ptr<const Root> root_;
    const nlohmann::ordered_json* value_;
    std::string path_;
};

}  // namespace platform
