// What a ConfigError says: for tests of bad input, which check the message names the file, line or
// node and what was expected.
#pragma once

#include "platforms/errors.h"

#include <catch2/catch.hpp>
#include <string>

// The message of the ConfigError `action` throws, or "no error".
template <typename Action>
std::string error_of(Action action) {
    try {
        action();
    } catch (const platform::ConfigError& e) {
        return e.what();
    }
    return "no error";
}

// The message of the ConfigError `action` throws; fails the test if it throws none.
template <typename Action>
std::string config_error(Action action) {
    std::string message = error_of(action);
    if (message == "no error")
        FAIL("expected a ConfigError");
    return message;
}
