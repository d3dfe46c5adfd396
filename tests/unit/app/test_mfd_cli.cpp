// The MFD end to end through the command line: the firmware its node names must be found before a
// run starts (check and run), --firmware-path is searched before the build's folder, and the seed-6
// pair differs as the README says.
#include "cli_runner.h"

#include <catch2/catch.hpp>
#include <filesystem>

namespace {

const std::string mfd_node = "/local-bus/mfd@50000000";

std::string missing_firmware_scenario(const TempDir& dir) {
    return dir.write("missing.yaml", "name: missing\n"
                                     "platform: arm-mfd.dts\n"
                                     "overrides:\n"
                                     "  - '" +
                                         mfd_node +
                                         ":firmware-name=\"nope.ihx\"'\n"
                                         "workload: seed-mfd-local-memory\n");
}

}  // namespace

TEST_CASE("mfd: a firmware no folder has is a configuration error in check and run, naming the node, the device, "
          "the name and the folders",
          "[mfd][cli]") {
    TempDir dir;
    const std::string scenario = missing_firmware_scenario(dir);
    Result check = dmasim(dir, "check " + quote(scenario) + " --firmware-path " + quote(dir.path("extra")));
    Result run = dmasim(dir, "run -q -o out " + quote(scenario));
    for (const Result& r : {check, run}) {
        CHECK(r.code == 2);
        CHECK(contains(r.err, "node " + mfd_node +
                                  ": property 'firmware-name': mfd@50000000: firmware nope.ihx "
                                  "not found in "));
        CHECK(contains(r.err, DMASIM_FIRMWARE_DIR));
    }
    CHECK(contains(check.err, dir.path("extra") + ", " DMASIM_FIRMWARE_DIR));
    CHECK_FALSE(std::filesystem::exists(dir.path("out/stats.json")));  // refused before the run
}

TEST_CASE("mfd: --firmware-path folders are searched first", "[mfd][cli]") {
    TempDir dir;
    std::filesystem::create_directories(dir.path("fw"));
    std::filesystem::copy_file(DMASIM_FIRMWARE_DIR "/dmasim-mfd.ihx", dir.path("fw/custom.ihx"));
    const std::string custom = "-c '" + mfd_node + ":firmware-name=\"custom.ihx\"'";
    CHECK(dmasim(dir, "check " + quote(DMASIM_SOURCE_DIR "/platforms/arm-mfd.dts") + " " + custom).code == 2);
    Result r = dmasim(dir, "run -q -o out --platform arm-mfd.dts --workload seed-mfd-local-memory -p jobs=1 "
                           "--firmware-path " +
                               quote(dir.path("fw")) + " " + custom);
    CHECK(r.code == 0);
    CHECK(contains(read_file(dir.path("out/run.log")), "loaded firmware custom.ihx"));
}

TEST_CASE("mfd: seed 6 - job blocks from the SRAM pool are right, from system RAM wrong", "[mfd][cli]") {
    TempDir dir;
    const std::string run = "run -q --platform arm-mfd.dts --workload seed-mfd-local-memory -p jobs=2 ";
    REQUIRE(dmasim(dir, run + "-o fixed").code == 0);
    REQUIRE(dmasim(dir, run + "-o broken -c '" + mfd_node + ":memory-region=false'").code == 0);
    nlohmann::json fixed = load_json(dir.path("fixed/stats.json")), broken = load_json(dir.path("broken/stats.json"));
    CHECK(fixed["workload"]["data_errors"] == 0);
    CHECK(fixed["workload"]["mfd"]["job_errors"] == 0);
    CHECK(broken["workload"]["data_errors"] > 0);
    CHECK(broken["workload"]["mfd"]["job_errors"] == 2);
    CHECK(broken["workload"]["mfd"]["outside_pool"] == 2);
    std::string log = read_file(dir.path("broken/run.log"));
    CHECK(contains(log, "mfd@50000000 has no memory-region: coherent memory comes from system RAM"));
    CHECK(contains(log, "what the firmware wrote did not reach the block"));
}

TEST_CASE("mfd: dmasim_mfd.declare_sram=1 with a memory-region too - the cells declare their slices, the region is "
          "not used",
          "[mfd][cli]") {
    TempDir dir;
    Result r = dmasim(dir, "run -q -o out --platform arm-mfd.dts --workload seed-mfd-local-memory -p jobs=2 -c "
                           "'/chosen:bootargs=\"dmasim_mfd.declare_sram=1\"'");
    REQUIRE(r.code == 0);
    nlohmann::json stats = load_json(dir.path("out/stats.json"));
    CHECK(stats["workload"]["mfd"]["job_errors"] == 0);
    CHECK(stats["workload"]["data_errors"] == 0);
    CHECK(stats["dma"]["coherent_pool"]["dsp@0"]["allocs"] == 1);
    CHECK(stats["dma"]["coherent_pool"]["usb@1"]["allocs"] == 1);
    CHECK_FALSE(stats["dma"]["coherent_pool"].contains("mfd-sram@50010000"));  // of_reserved_mem_device_init never ran
    std::string log = read_file(dir.path("out/run.log"));
    CHECK(contains(log, "memory-region mfd-sram@50010000 not used (a device has one coherent pool)"));
    CHECK(contains(log, "coherent memory declared: mfd@50000000's SRAM [0x50018000, 0x50020000)"));
}

TEST_CASE("mfd: a firmware that never answers HELLO, or one past the code memory, fails the MFD's probe",
          "[mfd][cli]") {
    TempDir dir;
    dir.write("fw/silent.ihx", ":0200000080FE80\n:00000001FF\n");  // sjmp . at the reset vector
    dir.write("fw/large.ihx", ":0280000080FE00\n:00000001FF\n");   // at 32 KiB, past the 16 KiB code window
    const std::string run = "run -q -o out --platform arm-mfd.dts --workload seed-mfd-local-memory --firmware-path " +
                            quote(dir.path("fw")) + " -c '" + mfd_node + ":firmware-name=";
    Result silent = dmasim(dir, run + "\"silent.ihx\"'");
    CHECK(silent.code == 3);
    CHECK(contains(silent.err, "dmasim-mfd mfd@50000000: firmware silent.ihx did not answer HELLO within 10 ms"));
    Result large = dmasim(dir, run + "\"large.ihx\"'");
    CHECK(large.code == 3);
    CHECK(contains(large.err, "firmware large.ihx: 2 bytes at 0x8000 lie past the 16384-byte code memory"));
}
