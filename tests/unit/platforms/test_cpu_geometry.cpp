// The L1D's geometry where the device tree does not give it: Linux reads it from the hardware
// (CCSIDR, arch/arm64/kernel/cacheinfo.c), dmasim from the table of CPU parts by compatible
// (models/cpu/cpu_part.h); each d-cache-* property in the tree overrides its field.
#include "models/cpu/cpu_part.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

const std::string noncoherent = DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts";

// The shipped tree with its cpu node's compatible and d-cache-* properties replaced by `overrides`.
platform::DeviceTree cpu_tree(const std::vector<std::string>& overrides) {
    platform::DeviceTree tree = platform::DeviceTree::load(noncoherent);
    for (const char* prop : {"d-cache-size", "d-cache-line-size", "d-cache-sets"})
        tree.apply_override(std::string("/cpus/cpu@0:") + prop + "=false");
    for (const std::string& spec : overrides)
        tree.apply_override(spec);
    return tree;
}

}  // namespace

TEST_CASE("cpu geometry: without d-cache-* a Cortex-A9 gets its TRM's L1D, 4-way with 32-byte lines (CCSIDR)",
          "[cpu_geometry]") {
    // The shipped PL310 has the tree's 64-byte lines; a Cortex-A9's are 32: the L2 is left out.
    platform::DeviceTree tree = cpu_tree({"/cpus/cpu@0:compatible=\"arm,cortex-a9\"",
                                          "/cache-controller@1e00a000:status=\"disabled\""});
    models::Instrumentation instr;
    platform::Platform p(tree, platform::PlatformOptions{}, instr);
    const models::CacheGeometry& l1 = p.core().l1d().geometry();
    CHECK(l1.line_size == 32);
    CHECK(l1.ways() == 4);
    CHECK(l1.size == 32 * 1024);
    std::string from = p.description()["cores"][0]["l1d_from"].get<std::string>();
    CHECK(from.find("Cortex-A9 TRM") != std::string::npos);
    CHECK(from.find("size assumed") != std::string::npos);
}

TEST_CASE("cpu geometry: a d-cache-* property in the tree overrides the part's field", "[cpu_geometry]") {
    platform::DeviceTree tree = cpu_tree({"/cpus/cpu@0:compatible=\"arm,cortex-a57\"",
                                          "/cpus/cpu@0:d-cache-size=<0x4000>"});
    models::Instrumentation instr;
    platform::Platform p(tree, platform::PlatformOptions{}, instr);
    const models::CacheGeometry& l1 = p.core().l1d().geometry();
    CHECK(l1.size == 16 * 1024);  // the tree's
    CHECK(l1.line_size == 64);    // the Cortex-A57's
    CHECK(l1.sets == 256);        // the Cortex-A57's: 16 KiB over 256 sets of 64-byte lines is 1 way
    std::string from = p.description()["cores"][0]["l1d_from"].get<std::string>();
    CHECK(from.find("d-cache-size from the device tree") != std::string::npos);
    CHECK(from.find("size assumed") == std::string::npos);
}

TEST_CASE("cpu geometry: an unknown part without d-cache-* is a config error naming what is missing and the parts",
          "[cpu_geometry]") {
    platform::DeviceTree tree = cpu_tree({"/cpus/cpu@0:compatible=\"acme,core-x\""});
    models::Instrumentation instr;
    try {
        platform::Platform p(tree, platform::PlatformOptions{}, instr);
        FAIL("expected a ConfigError");
    } catch (const platform::ConfigError& error) {
        std::string what = error.what();
        CHECK(what.find("/cpus/cpu@0") != std::string::npos);
        CHECK(what.find("d-cache-size, d-cache-line-size, d-cache-sets") != std::string::npos);
        CHECK(what.find("acme,core-x") != std::string::npos);
        CHECK(what.find("arm,cortex-a53") != std::string::npos);
    }
}

TEST_CASE("cpu geometry: a tree that gives the geometry keeps it and says so", "[cpu_geometry]") {
    platform::DeviceTree tree = platform::DeviceTree::load(noncoherent);
    tree.apply_override("/cpus/cpu@0:compatible=\"arm,cortex-a9\"");
    models::Instrumentation instr;
    platform::Platform p(tree, platform::PlatformOptions{}, instr);
    CHECK(p.core().l1d().geometry().line_size == 64);  // the tree's, not the Cortex-A9's 32
    CHECK(p.description()["cores"][0]["l1d_from"] == "device tree");
}
