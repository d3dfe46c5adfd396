// Reading an event's fields by key, for the outputs that show events (run.log, the timeline) and
// the hazards' evidence, which takes a hazard's address from its event.
#pragma once

#include "models/common/instrumentation.h"

#include <cstdint>

namespace platform {

// An event's field `key`, or null when it has none (or, for the typed one, one of another type).
const models::FieldValue* find_field(const models::Event& event, const char* key);
const uint64_t* unsigned_field(const models::Event& event, const char* key);

}  // namespace platform
