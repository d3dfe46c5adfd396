#include "platforms/builder/properties.h"

#include <fmt/format.h>

namespace platform {

uint64_t read_property(const DtNode& node, const models::PropertyInfo& spec) {
    uint64_t value = 0;
    switch (spec.type) {
    case models::PropertyType::u32: value = node.u32(spec.name); break;
    case models::PropertyType::u64: value = node.u64(spec.name); break;
    case models::PropertyType::choice: {
        std::string text = node.string(spec.name);
        for (const auto& [choice, choice_value] : spec.choices)
            if (choice == text)
                return choice_value;
        node.fail(spec.name, fmt::format("{}, got \"{}\"", spec.allowed(), text));
    }
    }
    if (!spec.allows(value))
        node.fail(spec.name, spec.expected(value));
    return value;
}

}  // namespace platform
