// The Catch2 main shared by the unit tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

// libsystemc refers to sc_main (its own main calls it); the unit tests use Catch2's main and
// call sc_core::sc_start() directly, so this definition only satisfies the link.
extern "C" int sc_main(int, char**) { return 0; }
