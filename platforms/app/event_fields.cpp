#include "platforms/app/event_fields.h"

namespace platform {

const models::FieldValue* find_field(const models::Event& event, const char* key) {
    for (const models::Field& field : event.fields)
        if (field.key == key)
            return &field.value;
    return nullptr;
}

const uint64_t* unsigned_field(const models::Event& event, const char* key) {
    const models::FieldValue* value = find_field(event, key);
    return value ? std::get_if<uint64_t>(value) : nullptr;
}

}  // namespace platform
