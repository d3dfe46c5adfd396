// The MFD platform (platforms/arm-mfd.dts): the dmasim,mfd node built as its binding reads it (three
// named windows, clock, firmware, interrupt, the pool named for its driver, the cells), what its
// driver is told, describe's section, and the node's errors naming node and property.
#include "cli_runner.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"

#include <catch2/catch.hpp>
#include <string>

namespace {

const std::string mfd_platform = DMASIM_SOURCE_DIR "/platforms/arm-mfd.dts";
const std::string mfd_node = "/local-bus/mfd@50000000";

Result describe(const TempDir& dir, const std::string& overrides = "") {
    return dmasim(dir, "describe " + quote(mfd_platform) + " " + overrides);
}

}  // namespace

TEST_CASE("mfd platform: arm-mfd.dts builds the MFD, its driver's info and its pool with no warning",
          "[mfd_platform]") {
    models::Instrumentation instr;
    platform::DeviceTree tree = platform::DeviceTree::load(mfd_platform);
    platform::Platform p(tree, platform::PlatformOptions{}, instr);
    CHECK(p.warnings().empty());  // the no-map pool lies in the MFD's SRAM: device memory, not outside RAM
    REQUIRE(p.mfds().size() == 1);
    REQUIRE(p.mfd_models().size() == 1);
    const platform::MfdSpec& spec = p.mfds()[0];
    CHECK(spec.model == "mfd0");
    const sw::MfdInfo& info = spec.info;
    CHECK(info.name == "mfd@50000000");
    CHECK(info.node == mfd_node);
    CHECK(info.registers == 0x50000000);
    CHECK(info.sram == 0x50010000);
    CHECK(info.sram_size == 0x10000);
    CHECK(info.code == 0x50020000);
    CHECK(info.code_size == 0x4000);
    CHECK(info.irq == 49u);
    CHECK(info.clock_hz == 48000000);
    CHECK(info.firmware_name == "dmasim-mfd.ihx");
    CHECK(info.memory_region == std::optional<std::string>("mfd-sram@50010000"));
    CHECK_FALSE(info.declare_sram);  // dmasim_mfd.declare_sram is not in the bootargs
    REQUIRE(info.cells.size() == 2);
    CHECK(info.cells[0].name == "dsp@0");
    CHECK(info.cells[0].compatible == "dmasim,mfd-dsp");
    CHECK(info.cells[1].name == "usb@1");
    CHECK(info.cells[1].compatible == "dmasim,mfd-usb");
    // Its DMA device: non-coherent, no pool at boot (the driver assigns it), not among dma_devices().
    CHECK(spec.dma.name == "mfd@50000000");
    CHECK_FALSE(spec.dma.dma.coherent);
    CHECK_FALSE(spec.dma.coherent_pool);
    CHECK(p.dma_devices().empty());
    const models::Mfd& mfd = *p.mfd_models()[0];
    CHECK(mfd.config().sram_bus_base == 0x50010000);
    CHECK(mfd.config().sram_size == 0x10000);
    CHECK(mfd.config().code_size == 0x4000);
    const auto& json = p.description()["mfds"][0];
    CHECK(json["pool"]["region"] == "mfd-sram@50010000");
    CHECK(json["pool"]["size"] == 0x10000);
    CHECK(json["cells"].size() == 2);
    CHECK(json["firmware"] == "dmasim-mfd.ihx");
    CHECK(json["clock_hz"] == 48000000);
    CHECK(json["declare_sram"] == false);
    CHECK(json["cells"][0]["declared_pool"].is_null());
    CHECK(p.description()["kernel"]["dmasim_mfd_declare_sram"] == false);
}

TEST_CASE("mfd platform: describe shows the SRAM, the pool, the cells, the firmware and the 8051's clock",
          "[mfd_platform][cli]") {
    TempDir dir;
    Result r = describe(dir);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("multi-function devices:") && Catch::Contains("64 KiB SRAM at 0x50010000") &&
                          Catch::Contains("8051 at 48 MHz") && Catch::Contains("firmware \"dmasim-mfd.ihx\"") &&
                          Catch::Contains("coherent pool: mfd-sram@50010000 (64 KiB") &&
                          Catch::Contains("cell dsp@0") && Catch::Contains("dmasim,mfd-usb"));
    CHECK_THAT(r.err, !Catch::Contains("outside every memory node"));
    // Without the pool: none, and describe says so.
    Result bare = describe(dir, "-c '" + mfd_node + ":memory-region=false'");
    REQUIRE(bare.code == 0);
    CHECK_THAT(bare.out, Catch::Contains("coherent pool: none"));
    // dmasim_mfd.declare_sram=1: a slice per cell, the memory-region not used.
    Result declared = describe(dir, "-c '/chosen:bootargs=\"dmasim_mfd.declare_sram=1\"'");
    REQUIRE(declared.code == 0);
    CHECK_THAT(declared.out,
               Catch::Contains("coherent pool: a slice of the SRAM per cell, declared by its driver at probe "
                               "(dmasim_mfd.declare_sram=1); memory-region mfd-sram@50010000 not used") &&
                   Catch::Contains("dmasim,mfd-dsp; declared pool 32 KiB of SRAM at 0x50010000 (bus 0x50010000)") &&
                   Catch::Contains("dmasim,mfd-usb; declared pool 32 KiB of SRAM at 0x50018000 (bus 0x50018000)"));
}

TEST_CASE("mfd platform: bad reg, reg-names, sizes and pools are errors naming the node and property",
          "[mfd_platform][cli]") {
    TempDir dir;
    struct Bad {
        std::string override, property, expected;
    };
    const Bad bad[] = {
        {"reg-names=\"regs\"", "reg-names", "three windows"},
        {"reg=<0x50000000 0x80 0x50010000 0x10000 0x50020000 0x4000>", "reg", "at least 0x100"},
        {"reg=<0x50000000 0x1000 0x50010000 0x10800 0x50020000 0x4000>", "reg", "whole 4 KiB pages"},
        {"reg=<0x50000000 0x1000 0x50010000 0x10000 0x50020000 0x20000>", "reg", "64 KiB"},
        {"dma-coherent=", "dma-coherent", "never snoops"},
    };
    for (const Bad& b : bad) {
        Result r = describe(dir, "-c '" + mfd_node + ":" + b.override + "'");
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("node " + mfd_node + ": property '" + b.property + "'") &&
                              Catch::Contains(b.expected));
    }
    // A window named twice (and "code" not at all).
    std::string text = read_file(mfd_platform);
    const std::string names = "reg-names = \"regs\", \"sram\", \"code\";";
    REQUIRE(text.find(names) != std::string::npos);
    text.replace(text.find(names), names.size(), "reg-names = \"regs\", \"sram\", \"sram\";");
    Result twice = dmasim(dir, "describe " + quote(dir.write("twice.dts", text)));
    CHECK(twice.code == 2);
    CHECK_THAT(twice.err,
               Catch::Contains("node " + mfd_node + ": property 'reg-names'") && Catch::Contains("each once"));
    // A pool that is not no-map.
    Result mapped = describe(dir, "-c '/reserved-memory/mfd-sram@50010000:no-map=false'");
    CHECK(mapped.code == 2);
    CHECK_THAT(mapped.err, Catch::Contains("property 'memory-region'") && Catch::Contains("no-map"));
}
