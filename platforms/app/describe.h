// The text `dmasim describe` prints: Platform::description() as people read it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace platform {

// Text form of Platform::description().
std::string describe_text(const nlohmann::ordered_json& description);

}  // namespace platform
