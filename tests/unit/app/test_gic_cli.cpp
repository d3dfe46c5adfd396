// End-to-end tests of the interrupt controllers real boards use, through the command line: a
// GIC-400 without a GICv2m frame (check elaborates what run builds, and runs), a Cortex-A9's GIC, a
// GICv3 with an ITS child (warned about), a v2m frame whose range comes from MSI_TYPER
// (gicv2m_init_one), and the probe failures that name what the platform lacks.
#include "cli_runner.h"
#include "gic_trees.h"
#include "temp_dir.h"
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

namespace {

// dma-selftest on `tree`: its bus master's completions arrive on interrupt ID 48.
nlohmann::json run_selftest(const TempDir& dir, const std::string& tree) {
    const std::string dts = dir.write("board.dts", tree);
    Result check = dmasim(dir, "check " + quote(dts));
    CHECK(check.code == 0);
    CHECK(contains(check.out, "board.dts: ok"));
    Result run = dmasim(dir, "run --platform " + quote(dts) + " --workload dma-selftest -q -o out");
    REQUIRE(run.code == 0);
    nlohmann::json stats = load_json(dir.path("out/stats.json"));
    CHECK(stats["result"] == "pass");
    return stats;
}

}  // namespace

TEST_CASE("gic cli: a GIC-400 without a GICv2m frame checks, describes and runs a wired interrupt - no MSI, "
          "no internal error",
          "[irq][cli]") {
    TempDir dir;
    nlohmann::json stats = run_selftest(dir, gic_trees::gic400_without_v2m());
    CHECK(stats["gic"]["raised"]["48"].get<uint64_t>() > 0);
    CHECK(stats["irq"]["48"]["count"].get<uint64_t>() > 0);
    Result describe = dmasim(dir, "describe board.dts");
    CHECK(contains(describe.out, "interrupt controller: gic (/interrupt-controller@2c001000, arm,gic-400) 256 "
                                 "interrupt IDs; distributor at 0x2c001000, CPU interface at 0x2c002000\n"
                                 "  no GICv2m frame: no MSI"));
}

TEST_CASE("gic cli: arm,cortex-a9-gic - two reg regions, a 256-byte CPU interface - runs as a GICv2", "[irq][cli]") {
    TempDir dir;
    nlohmann::json stats = run_selftest(dir, gic_trees::cortex_a9_gic());
    CHECK(stats["irq"]["48"]["count"].get<uint64_t>() > 0);
    Result describe = dmasim(dir, "describe board.dts");
    CHECK(contains(describe.out, "gicc     registers    256 B"));
    CHECK(contains(describe.out, "arm,cortex-a9-gic) 256 interrupt IDs; distributor at 0xa01000, CPU interface at "
                                 "0xa00100"));
}

TEST_CASE("gic cli: a GICv3 (gic_dist_init, gic_cpu_sys_reg_init, gic_handle_irq) takes a wired SPI of a 4-cell "
          "specifier - its ITS child is warned about",
          "[irq][cli]") {
    TempDir dir;
    nlohmann::json stats = run_selftest(dir, gic_trees::gic_v3_with_its());
    CHECK(stats["irq"]["48"]["count"].get<uint64_t>() > 0);
    Result describe = dmasim(dir, "describe board.dts");
    CHECK(contains(describe.err, "warning: board.dts: node /interrupt-controller@fee00000/msi-controller@fee20000: "
                                 "the GICv3 ITS is not modelled: the platform has no MSI; node skipped"));
    CHECK(contains(describe.out, "arm,gic-v3) 256 interrupt IDs; distributor at 0xfee00000, redistributor at "
                                 "0xfef00000 (GICv3: the CPU interface as system registers; no ITS, no MSI)"));
    CHECK(contains(describe.out, "gicr     registers  128 KiB"));
}

TEST_CASE("gic cli: a GICv3 specifier's 4th cell (a PPI partition) must be 0 for an SPI", "[irq][cli]") {
    TempDir dir;
    std::string tree = gic_trees::gic_v3_with_its();
    tree.replace(tree.find("<0 16 4 0>"), 10, "<0 16 4 1>");
    Result r = dmasim(dir, "check " + quote(dir.write("board.dts", tree)));
    CHECK(r.code == 2);
    CHECK(contains(r.err, "node /dma-agent@11000000: property 'interrupts': expected a 4th cell of 0 (a PPI "
                          "partition is not modelled; an SPI has none), got 1"));
}

TEST_CASE("gic cli: gicv2m_init_one - a frame without arm,msi-base-spi takes MSI_TYPER's range, the others are "
          "warned about",
          "[irq][cli]") {
    TempDir dir;
    dir.write("board.dts", gic_trees::gic400_v2m_without_base_spi());
    Result r = dmasim(dir, "describe board.dts");
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "MSI frame (/interrupt-controller@2c001000/v2m@0) at 0x2c1c0000: doorbell 0x2c1c0040, IDs "
                          "224-255 (MSI_TYPER's reset value: the tree has no arm,msi-base-spi / arm,msi-num-spis)"));
    CHECK(contains(r.err, "node /interrupt-controller@2c001000/v2m@10000: only one GICv2m frame is modelled"));
}

TEST_CASE("gic cli: PCI functions raise MSIs in the range the driver read from MSI_TYPER", "[irq][cli][pci]") {
    TempDir dir;
    const std::string frame = "/interrupt-controller@2c001000/msi-controller@2c1c0000";
    Result r = dmasim(dir, "run --platform arm-pci-noncoherent.dts --workload seed-missing-sync -q -o out -c " +
                               quote(frame + ":arm,msi-base-spi=false") + " -c " +
                               quote(frame + ":arm,msi-num-spis=false"));
    REQUIRE(r.code == 0);
    nlohmann::json stats = load_json(dir.path("out/stats.json"));
    CHECK(stats["gic"]["msis"].get<uint64_t>() > 0);
    CHECK(stats["gic"]["msis_ignored"].get<uint64_t>() == 0);
    CHECK(stats["gic"]["raised"].contains("224"));  // the first vector: MSI_TYPER's base, not the tree's 64
    CHECK_FALSE(stats["gic"]["raised"].contains("64"));
}

TEST_CASE("gic cli: a PCI function with neither an MSI controller nor an INTx route fails to probe saying which",
          "[irq][cli][pci]") {
    TempDir dir;
    Result r = dmasim(dir, "run --platform arm-pci-noncoherent.dts --workload memtest -q -o out -c " +
                               quote("/interrupt-controller@2c001000/msi-controller@2c1c0000:status=\"disabled\"") +
                               " -c " + quote("/pcie@40000000:interrupt-map=false"));
    REQUIRE(r.code == 0);
    std::string log = read_file(dir.path("out/run.log"));
    CHECK(contains(log, "pci-endpoint-test 0000:00:01.0: pci.log message=\"Failed to get MSI or INTx interrupts: no "
                        "MSI controller (the GIC has no GICv2m frame); no INTx: its host bridge's interrupt-map gives "
                        "its pin no interrupt\""));
    CHECK(contains(log, "pci-endpoint-test 0000:00:01.0: pci.log message=\"probe failed with error -28\""));
    CHECK(contains(log, "ring_nic 0000:00:03.0: pci.log message=\"Failed to get MSI or INTx interrupts: no MSI "
                        "controller (the GIC has no GICv2m frame)"));
}

TEST_CASE("gic cli: a Cortex-A15 GIC's 4 KiB CPU interface (as Exynos trees give it) is mapped over its size",
          "[irq][cli]") {
    TempDir dir;
    std::string tree = gic_trees::gic400_without_v2m();
    tree.replace(tree.find("<0x2c002000 0x2000>"), 19, "<0x2c002000 0x1000>");
    tree.replace(tree.find("\"arm,gic-400\""), 13, "\"arm,cortex-a15-gic\"");
    Result r = dmasim(dir, "describe " + quote(dir.write("board.dts", tree)));
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "0x002c002000-0x002c002fff  gicc     registers    4 KiB"));
}
