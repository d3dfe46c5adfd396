#include "platforms/app/json_field.h"

#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace platform {

using Json = nlohmann::ordered_json;

namespace {

std::string describe(const Json& value) {
    switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "the string " + value.dump();
    case Json::value_t::boolean: return value.dump();
    default: return "the number " + value.dump();
    }
}

}  // namespace

JsonField JsonField::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError(fmt::format("{}: cannot open (expected a file written by dmasim run)", path));
    std::ostringstream text;
    text << in.rdbuf();
    Json root;
    try {
        root = Json::parse(text.str());
    } catch (const Json::parse_error& error) {
        throw ConfigError(fmt::format("{}: not valid JSON (byte {}): {}", path, error.byte, error.what()));
    }
    return of(std::move(root), path);
}

JsonField JsonField::of(Json root, const std::string& file) {
    auto shared = std::make_shared<const Root>(Root{std::move(root), file});
    JsonField top(shared, &shared->value, "");
    top.expect(Json::value_t::object, "a JSON object");
    return top;
}

void JsonField::fail(const std::string& what) const {
    throw ConfigError(fmt::format("{}: {}expected {}, got {}", file(), path_.empty() ? "" : "field " + path_ + ": ",
                                  what, describe(*value_)));
}

const Json& JsonField::expect(Json::value_t type, const char* what) const {
    if (value_->type() != type)
        fail(what);
    return *value_;
}

std::optional<JsonField> JsonField::find(const std::string& key) const {
    const Json& object = expect(Json::value_t::object, "an object");
    auto found = object.find(key);
    if (found == object.end())
        return std::nullopt;
    return JsonField(root_, &*found, path_.empty() ? key : path_ + "." + key);
}

JsonField JsonField::operator[](const std::string& key) const {
    std::optional<JsonField> member = find(key);
    if (!member)
        throw ConfigError(fmt::format("{}: {}missing field '{}'", file(), path_.empty() ? "" : "field " + path_ + ": ",
                                      key));
    return *member;
}

std::vector<JsonField> JsonField::items() const {
    std::vector<JsonField> items;
    const Json& array = expect(Json::value_t::array, "an array");
    for (size_t i = 0; i < array.size(); ++i)
        items.push_back(JsonField(root_, &array[i], fmt::format("{}[{}]", path_, i)));
    return items;
}

std::vector<std::pair<std::string, JsonField>> JsonField::members() const {
    std::vector<std::pair<std::string, JsonField>> members;
    const Json& object = expect(Json::value_t::object, "an object");
    for (auto member = object.begin(); member != object.end(); ++member)
        members.emplace_back(member.key(), JsonField(root_, &member.value(),
                                                     path_.empty() ? member.key() : path_ + "." + member.key()));
    return members;
}

std::string JsonField::text() const { return expect(Json::value_t::string, "a string").get<std::string>(); }

// A parser makes every non-negative integer unsigned; a value built in code may be signed.
uint64_t JsonField::number() const {
    if (value_->is_number_integer() && value_->get<int64_t>() >= 0)
        return value_->get<uint64_t>();
    fail("a non-negative integer");
}

bool JsonField::flag() const { return expect(Json::value_t::boolean, "true or false").get<bool>(); }

}  // namespace platform
