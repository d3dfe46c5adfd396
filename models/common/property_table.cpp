#include "models/common/property_table.h"

#include <fmt/format.h>

namespace models {

bool PropertyInfo::allows(uint64_t value) const {
    if (type == PropertyType::choice) {
        for (const auto& choice : choices)
            if (choice.second == value)
                return true;
        return false;
    }
    return value >= min && value <= max && value % multiple == 0 && !(power_of_two && (value & (value - 1)));
}

std::string PropertyInfo::allowed() const {
    if (type == PropertyType::choice) {
        std::string text;
        for (size_t i = 0; i < choices.size(); ++i)
            text += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + ("\"" + choices[i].first + "\"");
        return text;
    }
    uint64_t widest = type == PropertyType::u32 ? std::numeric_limits<uint32_t>::max()
                                                : std::numeric_limits<uint64_t>::max();
    if (power_of_two) {
        std::string bounds = min > 1 && max < widest ? fmt::format(" from {} to {}", value_text(min), value_text(max))
                             : min > 1               ? " of at least " + value_text(min)
                             : max < widest          ? " up to " + value_text(max)
                                                     : "";
        return (min == 0 ? "0 or a power of two" : "a power of two") + bounds;
    }
    if (multiple > 1)
        return fmt::format("a multiple of {} from {} to {}", multiple, value_text(min), value_text(max));
    if (min == max)
        return value_text(min);
    if (max == widest)
        return min == 0 ? "any" : "at least " + value_text(min);
    return fmt::format("from {} to {}", value_text(min), value_text(max));
}

std::string PropertyInfo::expected(uint64_t value) const {
    return fmt::format("{}{}, got {}", allowed(), unit.empty() ? "" : " (" + unit + ")", value_text(value));
}

std::string PropertyInfo::value_text(uint64_t value) const {
    for (const auto& [text, choice] : choices)
        if (choice == value)
            return "\"" + text + "\"";
    return hex_digits ? fmt::format("{:#0{}x}", value, hex_digits + 2) : fmt::format("{}", value);
}

}  // namespace models
