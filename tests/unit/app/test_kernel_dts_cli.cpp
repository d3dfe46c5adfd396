// `dmasim` on a .dts written as the kernel's are (#include, dt-bindings headers under an -I
// folder), through the binary: the preprocessing of the kernel's cmd_dtc (scripts/Makefile.lib)
// and errors that point into the user's files.
#include "cli_runner.h"

namespace {

const std::string boards = DMASIM_SOURCE_DIR "/tests/scenarios/boards";

}  // namespace

TEST_CASE("cli: cmd_dtc - describe and check take -I for a board's dt-bindings header", "[cli][boards]") {
    TempDir dir;
    Result described = dmasim(dir,
                              "describe " + quote(boards + "/acme-board.dts") + " -I " + quote(boards + "/include"));
    REQUIRE(described.code == 0);
    CHECK(contains(described.out, "platform acme-board.dts (\"Acme test board\")"));
    CHECK(contains(described.out, "interrupt 48"));  // GIC_SPI ACME_DMA_AGENT_IRQ: SPI 16 from the header
    CHECK(contains(described.out, "/pcie@60000000 (acme,soc-pcie): not modelled"));
    // -c applies on the preprocessed blob, and check takes it too.
    Result checked = dmasim(dir, "check " + quote(boards + "/acme-board.dts") + " --include " +
                                     quote(boards + "/include") + " -c '/soc/dma-agent@1000000:status=\"disabled\"'");
    CHECK(checked.code == 0);
    CHECK(contains(checked.out, "acme-board.dts: ok"));
}

TEST_CASE("cli: cmd_dtc - without the -I folder, cpp's message names the including .dtsi and its line",
          "[cli][boards]") {
    TempDir dir;
    Result r = dmasim(dir, "check " + quote(boards + "/acme-board.dts"));
    CHECK(r.code == 2);
    CHECK(contains(r.err, "error: cpp failed on " + boards + "/acme-board.dts:"));
    CHECK(contains(r.err, "acme-soc.dtsi:6:"));
    CHECK(contains(r.err, "dt-bindings/acme/board.h: No such file or directory"));
}

TEST_CASE("cli: cmd_dtc - a syntax error in an included .dtsi is reported at that .dtsi's line", "[cli][boards]") {
    TempDir dir;
    dir.write("include/dt-bindings/x.h", "#define X_IRQ 3\n");
    dir.write("board/soc.dtsi",
              "#include <dt-bindings/x.h>\n/ {\n\tsoc {\n\t\tirq = <X_IRQ>;\n\t\tbroken = ;\n\t};\n};\n");
    dir.write("board/board.dts", "/dts-v1/;\n#include \"soc.dtsi\"\n/ { };\n");
    Result r = dmasim(dir, "describe board/board.dts -I include");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "error: dtc failed on board/board.dts:"));
    CHECK(contains(r.err, "board/soc.dtsi:5."));
}

TEST_CASE("cli: a scenario's include_dirs are folders relative to the scenario file", "[cli][boards][scenario]") {
    TempDir dir;
    Result r = dmasim(dir, "check " + quote(boards + "/board-kernel-style-tree.yaml"));
    CHECK(r.code == 0);
    CHECK(contains(r.out, "board-kernel-style-tree.yaml: ok"));
}
