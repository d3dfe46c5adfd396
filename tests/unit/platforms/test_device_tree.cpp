// Unit tests of platform::DeviceTree / DtNode: loading (.dts through dtc, .dtb), decoding of
// properties, error messages and overrides.
#include "config_error.h"
#include "platforms/devicetree/device_tree.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;
using platform::ConfigError;
using platform::DeviceTree;
using platform::DtNode;

namespace {

DeviceTree load_source(const std::string& source, const std::string& name = "test.dts") {
    TempDir dir;
    return DeviceTree::load(dir.write(name, source));
}

// Restores PATH when the test ends, even if it fails.
class PathOverride {
public:
    explicit PathOverride(const std::string& path) : saved_(std::getenv("PATH") ? std::getenv("PATH") : "") {
        ::setenv("PATH", path.c_str(), 1);
    }
    PathOverride(const PathOverride&) = delete;
    PathOverride& operator=(const PathOverride&) = delete;
    ~PathOverride() { ::setenv("PATH", saved_.c_str(), 1); }

private:
    std::string saved_;
};

// The executable `name` in PATH (the tests need its real location to build a PATH of their own).
std::string find_in_path(const std::string& name) {
    std::stringstream dirs(std::getenv("PATH") ? std::getenv("PATH") : "");
    for (std::string dir; std::getline(dirs, dir, ':');)
        if (::access((dir + "/" + name).c_str(), X_OK) == 0)
            return dir + "/" + name;
    return name;
}

const char* const kBoard = R"(/dts-v1/;
/ {
    #address-cells = <2>;
    #size-cells = <2>;
    compatible = "acme,board", "acme,soc";

    memory@80000000 {
        device_type = "memory";
        reg = <0x0 0x80000000 0x1 0x0>, <0x8 0x0 0x0 0x40000000>;
    };

    cpus {
        #address-cells = <1>;
        #size-cells = <0>;
        ranges;
        cpu@1 {
            reg = <1>;
            d-cache-size = <0x8000>;
            timebase = <0x1 0x23456789>;
            short-timebase = <0x1000>;
            model = "acme-a1", "unused";
            bytes3 = [01 02 03];
            two-cells = <1 2>;
            three-cells = <1 2 3>;
            empty-string = "";
            unterminated = [41 42];
            zero = <0>;
            flag-prop;
            next-level-cache = <&l2>;
            dangling = <0x99>;
        };
    };

    l2: cache {
        compatible = "cache";
    };

    soc {
        #address-cells = <1>;
        #size-cells = <1>;
        ranges = <0x0 0x0 0x40000000 0x10000000>;
        dma-ranges;

        uart@1000 {
            compatible = "acme,uart", "ns16550a";
            reg = <0x1000 0x100>;
            clock-frequency = <1843200>;
        };
        timer@2000 {
            reg = <0x2000 0x10 0x3000 0x20>;
        };
        bad-reg@4000 {
            reg = <0x4000 0x10 0x5000>;
        };
    };

    pcie@30000000 {
        #address-cells = <3>;
        #size-cells = <2>;
        reg = <0x0 0x30000000 0x0 0x1000000>;
        ranges = <0x02000000 0x0 0x40000000  0x0 0x40000000  0x0 0x10000000>;
        device@0 {
            reg = <0x02000000 0x1 0x2  0x0 0x1000>;
        };
    };

    plain {
        device {
            reg = <0x1 0x2 0x3>;
        };
    };

    wide {
        #address-cells = <4>;
        #size-cells = <1>;
        child {
            reg = <0 0 0 1 2>;
        };
    };
};
)";

}  // namespace

TEST_CASE("reg decodes with the parent's cell counts", "[device_tree]") {
    const DeviceTree tree = load_source(kBoard);

    SECTION("2 address cells, 2 size cells") {
        const auto reg = tree.at("/memory@80000000").reg();
        REQUIRE(reg.size() == 2);
        CHECK(reg[0].address == 0x80000000);
        CHECK(reg[0].size == 0x100000000);
        CHECK(reg[1].address == 0x800000000);
        CHECK(reg[1].size == 0x40000000);
    }
    SECTION("1 address cell, 1 size cell") {
        const auto reg = tree.at("/soc/timer@2000").reg();
        REQUIRE(reg.size() == 2);
        CHECK(reg[0].address == 0x2000);
        CHECK(reg[0].size == 0x10);
        CHECK(reg[1].address == 0x3000);
        CHECK(reg[1].size == 0x20);
    }
    SECTION("0 size cells") {
        const auto reg = tree.at("/cpus/cpu@1").reg();
        REQUIRE(reg.size() == 1);
        CHECK(reg[0].address == 1);
        CHECK(reg[0].size == 0);
    }
    SECTION("defaults of 2 address cells and 1 size cell") {
        const auto reg = tree.at("/plain/device").reg();
        REQUIRE(reg.size() == 1);
        CHECK(reg[0].address == 0x100000002);
        CHECK(reg[0].size == 3);
    }
    SECTION("a 3-cell (PCI) address keeps its low two cells") {
        const auto reg = tree.at("/pcie@30000000/device@0").reg();
        REQUIRE(reg.size() == 1);
        CHECK(reg[0].address == 0x100000002);
        CHECK(reg[0].size == 0x1000);
    }
    SECTION("a length that is not a whole number of tuples") {
        const std::string message = config_error([&] { tree.at("/soc/bad-reg@4000").reg(); });
        CHECK_THAT(message, Catch::Contains("node /soc/bad-reg@4000"));
        CHECK_THAT(message, Catch::Contains("property 'reg'"));
        CHECK_THAT(message, Catch::Contains("(address, size) tuples of 1+1 cells, got 3 cells"));
    }
    SECTION("more address cells than supported") {
        const std::string message = config_error([&] { tree.at("/wide/child").reg(); });
        CHECK_THAT(message, Catch::Contains("node /wide/child"));
        CHECK_THAT(message, Catch::Contains("address cells must be 1 to 3"));
    }
    SECTION("missing") {
        const std::string message = config_error([&] { tree.at("/soc").reg(); });
        CHECK_THAT(message, Catch::Contains("node /soc: property 'reg'"));
        CHECK_THAT(message, Catch::Contains("but it is missing"));
    }
}

TEST_CASE("ranges: absent, empty (identity) and translating", "[device_tree]") {
    const DeviceTree tree = load_source(kBoard);

    CHECK_FALSE(tree.at("/soc/uart@1000").ranges().has_value());

    const auto identity = tree.at("/soc").ranges("dma-ranges");
    REQUIRE(identity.has_value());
    CHECK(identity->empty());

    // Empty means identity whatever the cell counts, even #size-cells = <0>.
    const auto cpus = tree.at("/cpus").ranges();
    REQUIRE(cpus.has_value());
    CHECK(cpus->empty());

    const auto soc = tree.at("/soc").ranges();
    REQUIRE(soc.has_value());
    REQUIRE(soc->size() == 1);
    CHECK((*soc)[0].child_address == 0x0);
    CHECK((*soc)[0].parent_address == 0x40000000);
    CHECK((*soc)[0].size == 0x10000000);

    // 3-cell child address: the high (space code) cell 0x02000000 is dropped.
    const auto pcie = tree.at("/pcie@30000000").ranges();
    REQUIRE(pcie.has_value());
    REQUIRE(pcie->size() == 1);
    CHECK((*pcie)[0].child_address == 0x40000000);
    CHECK((*pcie)[0].parent_address == 0x40000000);
    CHECK((*pcie)[0].size == 0x10000000);
}

TEST_CASE("scalar, string and cell properties", "[device_tree]") {
    const DeviceTree tree = load_source(kBoard);
    const DtNode cpu = tree.at("/cpus/cpu@1");

    CHECK(cpu.u32("d-cache-size") == 0x8000);
    CHECK(cpu.u64("timebase") == 0x123456789);
    CHECK(cpu.u64("short-timebase") == 0x1000);
    CHECK(cpu.string("model") == "acme-a1");
    CHECK(cpu.cells("three-cells") == std::vector<uint32_t>{1, 2, 3});
    CHECK(cpu.cells("flag-prop").empty());
    CHECK(cpu.flag("flag-prop"));
    CHECK_FALSE(cpu.flag("no-such-flag"));
    CHECK(tree.at("/cpus").address_cells() == 1);
    CHECK(tree.at("/cpus").size_cells() == 0);
    CHECK(tree.at("/plain").address_cells() == 2);
    CHECK(tree.at("/plain").size_cells() == 1);

    SECTION("optional properties") {
        CHECK(cpu.u32_or("d-cache-size", 1) == 0x8000);
        CHECK(cpu.u32_or("i-cache-size", 77) == 77);
        CHECK(cpu.u64_or("timebase", 1) == 0x123456789);
        CHECK(cpu.u64_or("no-timebase", 0x1234567890) == 0x1234567890);
        CHECK(cpu.string_or("model", "x") == "acme-a1");
        CHECK(cpu.string_or("no-model", "generic") == "generic");
        CHECK_THROWS_AS(cpu.u32_or("two-cells", 1), ConfigError);
        CHECK_THROWS_AS(cpu.string_or("empty-string", "x"), ConfigError);
    }
}

TEST_CASE("malformed properties name the node, the property and what was wrong", "[device_tree]") {
    const DeviceTree tree = load_source(kBoard);
    const DtNode cpu = tree.at("/cpus/cpu@1");

    const std::string u32_of_two = config_error([&] { cpu.u32("two-cells"); });
    CHECK(u32_of_two == "test.dts: node /cpus/cpu@1: property 'two-cells': expected one 32-bit cell, got 8 bytes");

    CHECK_THAT(config_error([&] { cpu.u32("bytes3"); }), Catch::Contains("got 3 bytes"));
    CHECK_THAT(config_error([&] { cpu.u64("three-cells"); }),
               Catch::Contains("property 'three-cells': expected one or two 32-bit cells, got 12 bytes"));
    CHECK_THAT(config_error([&] { cpu.cells("bytes3"); }),
               Catch::Contains("property 'bytes3': expected a whole number of 32-bit cells"));
    CHECK_THAT(config_error([&] { cpu.string("empty-string"); }), Catch::Contains("got an empty string"));
    CHECK_THAT(config_error([&] { cpu.string("zero"); }), Catch::Contains("got an empty string"));
    CHECK_THAT(config_error([&] { cpu.string("unterminated"); }),
               Catch::Contains("property 'unterminated': expected a non-empty string, got 2 bytes without"));
}

TEST_CASE("a missing required property names the node and the property", "[device_tree]") {
    const DeviceTree tree = load_source(kBoard);
    const DtNode cpu = tree.at("/cpus/cpu@1");

    CHECK(config_error([&] { cpu.u32("i-cache-size"); }) ==
          "test.dts: node /cpus/cpu@1: property 'i-cache-size': expected one 32-bit cell, but it is missing");
    for (const auto& read :
         std::vector<std::function<void()>>{[&] { cpu.u64("x-prop"); }, [&] { cpu.string("x-prop"); },
                                            [&] { cpu.cells("x-prop"); }, [&] { cpu.phandle_target("x-prop"); }}) {
        const std::string message = config_error(read);
        CHECK_THAT(message, Catch::StartsWith("test.dts: node /cpus/cpu@1: property 'x-prop': expected "));
        CHECK_THAT(message, Catch::EndsWith("but it is missing"));
    }
}

TEST_CASE("compatible lists", "[device_tree]") {
    const DeviceTree tree = load_source(kBoard);

    CHECK(tree.root().compatible() == std::vector<std::string>{"acme,board", "acme,soc"});
    const DtNode uart = tree.at("/soc/uart@1000");
    CHECK(uart.compatible() == std::vector<std::string>{"acme,uart", "ns16550a"});
    CHECK(uart.is_compatible("ns16550a"));
    CHECK(uart.is_compatible("acme,uart"));
    CHECK_FALSE(uart.is_compatible("ns16550"));
    CHECK(tree.at("/memory@80000000").compatible().empty());
    CHECK_FALSE(tree.at("/memory@80000000").is_compatible("memory"));
}

TEST_CASE("phandles", "[device_tree]") {
    const DeviceTree tree = load_source(kBoard);
    const DtNode cpu = tree.at("/cpus/cpu@1");

    CHECK(cpu.phandle_target("next-level-cache").path() == "/cache");

    const uint32_t phandle = cpu.u32("next-level-cache");
    const auto by_phandle = tree.by_phandle(phandle);
    REQUIRE(by_phandle.has_value());
    CHECK(by_phandle->path() == "/cache");
    CHECK_FALSE(tree.by_phandle(0x99).has_value());

    const std::string dangling = config_error([&] { cpu.phandle_target("dangling"); });
    CHECK_THAT(dangling, Catch::Contains("node /cpus/cpu@1: property 'dangling'"));
    CHECK_THAT(dangling, Catch::Contains("0x99"));
}

TEST_CASE("navigation", "[device_tree]") {
    const DeviceTree tree = load_source(kBoard);

    const DtNode root = tree.root();
    CHECK(root.path() == "/");
    CHECK_FALSE(root.parent().has_value());

    const DtNode uart = tree.at("/soc/uart@1000");
    CHECK(uart.name() == "uart@1000");
    REQUIRE(uart.parent().has_value());
    CHECK(uart.parent()->path() == "/soc");

    std::vector<std::string> soc_children;
    for (const DtNode& child : tree.at("/soc").children())
        soc_children.push_back(child.name());
    CHECK(soc_children == std::vector<std::string>{"uart@1000", "timer@2000", "bad-reg@4000"});
    REQUIRE(tree.at("/soc").child("timer@2000").has_value());
    CHECK(tree.at("/soc").child("timer@2000")->path() == "/soc/timer@2000");
    CHECK_FALSE(tree.at("/soc").child("nothing").has_value());

    std::vector<std::string> paths;
    for (const DtNode& node : tree.all_nodes())
        paths.push_back(node.path());
    CHECK(paths == std::vector<std::string>{"/", "/memory@80000000", "/cpus", "/cpus/cpu@1", "/cache", "/soc",
                                            "/soc/uart@1000", "/soc/timer@2000", "/soc/bad-reg@4000", "/pcie@30000000",
                                            "/pcie@30000000/device@0", "/plain", "/plain/device", "/wide",
                                            "/wide/child"});

    CHECK(tree.find("/soc/uart@1000").has_value());
    CHECK_FALSE(tree.find("/soc/uart@9999").has_value());
    CHECK_THAT(config_error([&] { tree.at("/nowhere"); }), Catch::Contains("test.dts: no node /nowhere"));
}

TEST_CASE("loading .dts files", "[device_tree]") {
    TempDir dir;

    SECTION("the source name carries no folder") {
        const DeviceTree tree = DeviceTree::load(dir.write("boards/board.dts", kBoard));
        CHECK(tree.source_name() == "board.dts");
    }
    SECTION("a syntax error reports dtc's message with file and line") {
        const std::string path = dir.write("bad.dts", "/dts-v1/;\n/ {\n    a = <1>;\n    b = ;\n};\n");
        const std::string message = config_error([&] { DeviceTree::load(path); });
        CHECK_THAT(message, Catch::StartsWith("dtc failed on " + path + ":\n"));
        CHECK(std::regex_search(message, std::regex(R"(bad\.dts:\d)")));
    }
    SECTION("a missing file") {
        const std::string path = dir.path("absent.dts");
        CHECK(config_error([&] { DeviceTree::load(path); }) == path + ": cannot open: No such file or directory");
    }
    SECTION("/include/ is resolved through the include folders") {
        dir.write("common/soc.dtsi", "/ { soc { compatible = \"acme,included\"; }; };\n");
        const std::string path = dir.write("boards/board.dts",
                                           "/dts-v1/;\n/include/ \"soc.dtsi\"\n/ { model = \"m\"; };\n");

        const DeviceTree tree = DeviceTree::load(path, {dir.path("common")});
        CHECK(tree.at("/soc").is_compatible("acme,included"));
        CHECK(tree.root().string("model") == "m");

        CHECK_THAT(config_error([&] { DeviceTree::load(path); }), Catch::Contains("soc.dtsi"));
    }
    SECTION("a nested include may name a file beside the top-level source") {
        dir.write("boards/common.dtsi", "/ { model = \"beside\"; };\n");
        dir.write("boards/parts/cpu.dtsi", "/include/ \"common.dtsi\"\n");
        const std::string path = dir.write("boards/board.dts", "/dts-v1/;\n/include/ \"parts/cpu.dtsi\"\n/ { };\n");
        CHECK(DeviceTree::load(path).root().string("model") == "beside");
    }
    SECTION("a missing cpp or dtc is reported as such, with the package to install") {
        const std::string path = dir.write("board.dts", kBoard);
        {
            const PathOverride no_tools(dir.path("empty-bin"));
            CHECK_THAT(config_error([&] { DeviceTree::load(path); }),
                       Catch::Contains("cpp not found in PATH (install cpp)"));
        }
        std::filesystem::create_directories(dir.path("cpp-only"));
        std::filesystem::create_symlink(find_in_path("cpp"), dir.path("cpp-only/cpp"));
        const PathOverride only_cpp(dir.path("cpp-only"));
        CHECK_THAT(config_error([&] { DeviceTree::load(path); }),
                   Catch::Contains("dtc not found in PATH (install device-tree-compiler)"));
    }
}

// The kernel's cmd_dtc (scripts/Makefile.lib): cpp -nostdinc -undef -D__DTS__ -x assembler-with-cpp
// with -I folders, then dtc, whose errors follow cpp's linemarkers back to the user's files.
TEST_CASE("cmd_dtc: a .dts is preprocessed - #include of a .dtsi and of a header from an -I folder, #define, "
          "errors at the included file's line",
          "[device_tree][cpp]") {
    TempDir dir;
    dir.write("include/dt-bindings/acme.h", "#define ACME_IRQ 42\n#define ACME_BASE(n) (0x1000 * (n))\n");
    dir.write("dts/soc.dtsi", "#include <dt-bindings/acme.h>\n/ {\n\tsoc {\n\t\tirq = <ACME_IRQ>;\n"
                              "\t\tbase = <ACME_BASE(3)>;\n\t};\n};\n");
    const std::string board = dir.write("dts/board.dts", "/dts-v1/;\n#include \"soc.dtsi\"\n#define LABEL \"acme\"\n"
                                                         "/ { model = LABEL; linux,code = <1>; };\n");

    SECTION("macros expand, the file's own folder and -I folders are searched, and linux/arm stay names") {
        const DeviceTree tree = DeviceTree::load(board, {dir.path("include")});
        CHECK(tree.at("/soc").u32("irq") == 42);
        CHECK(tree.at("/soc").u32("base") == 0x3000);
        CHECK(tree.root().string("model") == "acme");
        CHECK(tree.root().u32("linux,code") == 1);  // -undef: no predefined `linux` macro
    }
    SECTION("a header no -I folder holds: cpp's message naming the including file and line") {
        const std::string message = config_error([&] { DeviceTree::load(board); });
        CHECK_THAT(message, Catch::StartsWith("cpp failed on " + board + ":\n"));
        CHECK_THAT(message, Catch::Contains("soc.dtsi:1:") && Catch::Contains("dt-bindings/acme.h"));
    }
    SECTION("a syntax error in the included .dtsi names that .dtsi and its line") {
        dir.write("dts/soc.dtsi", "/ {\n\tsoc {\n\t\tok = <1>;\n\t\tbad = ;\n\t};\n};\n");
        const std::string message = config_error([&] { DeviceTree::load(board, {dir.path("include")}); });
        CHECK_THAT(message, Catch::StartsWith("dtc failed on " + board + ":\n"));
        CHECK(std::regex_search(message, std::regex(R"(dts/soc\.dtsi:4\.\d)")));
    }
    SECTION("a .dts without directives compiles to the blob dtc alone makes") {
        const std::string plain = dir.write("plain.dts", kBoard);
        const std::vector<std::string> dtc = {"dtc", "-q", "-I", "dts", "-O", "dtb", "-o", dir.path("plain.dtb"),
                                              plain};
        std::string command;
        for (const std::string& arg : dtc)
            command += arg + " ";
        REQUIRE(std::system(command.c_str()) == 0);
        CHECK(DeviceTree::load(plain).blob() == DeviceTree::load(dir.path("plain.dtb")).blob());
    }
}

TEST_CASE("loading blobs", "[device_tree]") {
    TempDir dir;
    const DeviceTree original = load_source(kBoard);
    const std::string bytes(original.blob().begin(), original.blob().end());

    SECTION("by the .dtb extension") {
        const DeviceTree tree = DeviceTree::load(dir.write("board.dtb", bytes));
        CHECK(tree.source_name() == "board.dtb");
        CHECK(tree.at("/soc/uart@1000").u32("clock-frequency") == 1843200);
    }
    SECTION("by the magic number, whatever the name") {
        const DeviceTree tree = DeviceTree::load(dir.write("board.dts", bytes));
        CHECK(tree.at("/memory@80000000").reg().size() == 2);
    }
    SECTION("from memory") {
        const DeviceTree tree = DeviceTree::from_blob(original.blob(), "copy");
        CHECK(tree.source_name() == "copy");
        CHECK(tree.at("/cpus/cpu@1").u32("d-cache-size") == 0x8000);
    }
    SECTION("an invalid blob names the file") {
        const std::string path = dir.write("junk.dtb", std::string(100, 'x'));
        CHECK_THAT(config_error([&] { DeviceTree::load(path); }),
                   Catch::StartsWith("junk.dtb: not a valid device tree blob"));
        CHECK_THAT(config_error([&] { DeviceTree::from_blob(std::vector<char>(8, 0), "tiny"); }),
                   Catch::StartsWith("tiny: not a valid device tree blob"));
    }
    SECTION("a truncated blob") {
        const std::string half = bytes.substr(0, bytes.size() / 2);
        CHECK_THAT(config_error([&] { DeviceTree::load(dir.write("half.dtb", half)); }),
                   Catch::StartsWith("half.dtb: not a valid device tree blob"));
    }
}

TEST_CASE("overrides of each value form", "[device_tree]") {
    DeviceTree tree = load_source(kBoard);
    const auto uart = [&] { return tree.at("/soc/uart@1000"); };  // offsets move when the tree changes

    SECTION("string") {
        tree.apply_override("/soc/uart@1000:status=\"enabled\"");
        CHECK(uart().string("status") == "enabled");
        // Seven letters and the terminating NUL: exactly two cells, the last byte zero.
        CHECK(uart().cells("status") == std::vector<uint32_t>{0x656e6162, 0x6c656400});
    }
    SECTION("cells") {
        tree.apply_override("/soc/uart@1000:clock-frequency=<1 0x2 3>");
        CHECK(uart().cells("clock-frequency") == std::vector<uint32_t>{1, 2, 3});
    }
    SECTION("empty cells") {
        tree.apply_override("/soc/uart@1000:clock-frequency=<>");
        CHECK(uart().has("clock-frequency"));
        CHECK(uart().cells("clock-frequency").empty());
    }
    SECTION("a number that fits in one cell") {
        tree.apply_override("/soc/uart@1000:clock-frequency=48000000");
        CHECK(uart().cells("clock-frequency") == std::vector<uint32_t>{48000000});
        tree.apply_override("/soc/uart@1000:clock-frequency=0xffffffff");
        CHECK(uart().cells("clock-frequency") == std::vector<uint32_t>{0xffffffff});
    }
    SECTION("a 64-bit number takes two cells") {
        tree.apply_override("/soc/uart@1000:window=0x123456789");
        CHECK(uart().cells("window") == std::vector<uint32_t>{0x1, 0x23456789});
        CHECK(uart().u64("window") == 0x123456789);
    }
    SECTION("K, M and G suffixes") {
        tree.apply_override("/soc/uart@1000:fifo=64K");
        tree.apply_override("/soc/uart@1000:buffer=0x2M");
        tree.apply_override("/soc/uart@1000:memory=4G");
        CHECK(uart().u32("fifo") == 64 * 1024);
        CHECK(uart().u32("buffer") == 2 * 1024 * 1024);
        CHECK(uart().cells("memory") == std::vector<uint32_t>{0x1, 0x0});
    }
    SECTION("true and empty give an empty property") {
        tree.apply_override("/soc/uart@1000:dma-coherent=true");
        tree.apply_override("/soc/uart@1000:clock-frequency=");
        CHECK(uart().flag("dma-coherent"));
        CHECK(uart().cells("dma-coherent").empty());
        CHECK(uart().cells("clock-frequency").empty());
    }
    SECTION("false deletes the property, present or not") {
        tree.apply_override("/soc/uart@1000:clock-frequency=false");
        CHECK_FALSE(uart().has("clock-frequency"));
        tree.apply_override("/soc/uart@1000:clock-frequency=false");
        CHECK_FALSE(uart().has("clock-frequency"));
        CHECK(uart().has("reg"));
    }
    SECTION("spaces around the property and value are ignored") {
        tree.apply_override("/soc/uart@1000: clock-frequency = 7 ");
        CHECK(uart().u32("clock-frequency") == 7);
    }
    SECTION("a value larger than the spare room grows the blob") {
        const size_t before = tree.blob().size();
        std::string cells = "<";
        for (int i = 0; i < 40000; ++i)
            cells += std::to_string(i) + " ";
        tree.apply_override("/soc/uart@1000:big=" + cells + ">");
        CHECK(tree.blob().size() > before);
        const std::vector<uint32_t> big = uart().cells("big");
        REQUIRE(big.size() == 40000);
        CHECK(big[39999] == 39999);
        CHECK(uart().u32("clock-frequency") == 1843200);
        CHECK(tree.at("/memory@80000000").reg()[0].address == 0x80000000);
    }
    SECTION("an overridden tree survives a round trip through its blob") {
        tree.apply_override("/cpus/cpu@1:d-cache-size=32K");
        const DeviceTree copy = DeviceTree::from_blob(tree.blob(), "copy");
        CHECK(copy.at("/cpus/cpu@1").u32("d-cache-size") == 32 * 1024);
    }
}

TEST_CASE("bad overrides name the spec and what was expected", "[device_tree]") {
    DeviceTree tree = load_source(kBoard, "arm-noncoherent.dts");
    const auto error_of = [&](const std::string& spec) { return config_error([&] { tree.apply_override(spec); }); };

    CHECK(error_of("/cpus/cpu@9:x=1") == "override '/cpus/cpu@9:x=1': no node /cpus/cpu@9 in arm-noncoherent.dts");
    CHECK_THAT(error_of("/soc/uart@1000"),
               Catch::Contains("override '/soc/uart@1000': expected /node/path:property=value (no ':')"));
    CHECK_THAT(error_of("/soc/uart@1000:clock-frequency"), Catch::Contains("(no '=')"));
    CHECK_THAT(error_of(":x=1"), Catch::Contains("(no node path)"));
    CHECK_THAT(error_of("/soc:=1"), Catch::Contains("(no property name)"));
    CHECK_THAT(error_of("/soc:x=\"open"), Catch::Contains("closing '\"'"));
    CHECK_THAT(error_of("/soc:x=<1 2"), Catch::Contains("closing '>'"));
    CHECK_THAT(error_of("/soc:x=<1 0x100000000>"), Catch::Contains("got '0x100000000'"));
    CHECK_THAT(error_of("/soc:x=<1 two>"), Catch::Contains("got 'two'"));
    CHECK_THAT(error_of("/soc:x=12Q"), Catch::Contains("override '/soc:x=12Q': expected \"text\""));
    CHECK_THAT(error_of("/soc:x=-1"), Catch::Contains("got '-1'"));
    CHECK_THAT(error_of("/soc:x=99999999999999999999"), Catch::Contains("got '99999999999999999999'"));
    CHECK_THAT(error_of("/soc:x=0xffffffffffffffffK"), Catch::Contains("got '0xffffffffffffffffK'"));
    CHECK_FALSE(tree.at("/soc").has("x"));
}
