// DMA configuration from the device tree: Linux's of_dma_configure (dma-ranges -> range map, bus
// limit and masks; dma-coherent / dma-noncoherent up the tree), ZONE_DMA from the ranges, the
// /chosen boot parameters and policies, memory-region pools, and what `describe` shows of them.
#include "cli_runner.h"
#include "config_error.h"
#include "platforms/boot/boot_params.h"
#include "platforms/boot/of_dma.h"
#include "platforms/boot/of_iommu.h"

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

using platform::ConfigError;
using platform::DeviceTree;

namespace {

// A tree with a bus `soc` (of `cells` address and size cells) holding a device `dev@0`;
// `bus_props` and `dev_props` are inserted in the bus and the device, `top` at the root. (Not formatted: the
// device-tree source keeps its own layout.)
// clang-format off
DeviceTree tree_with(const TempDir& dir, const std::string& bus_props, const std::string& dev_props,
                     const std::string& top = "", int cells = 1) {
    std::string c = std::to_string(cells);
    std::string source = R"(/dts-v1/;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	)" + top + R"(
	soc {
		compatible = "simple-bus";
		#address-cells = <)" + c + R"(>;
		#size-cells = <)" + c + R"(>;
		ranges;
		)" + bus_props + R"(
		dev@0 {
			reg = <)" + (cells == 2 ? "0x0 0x0 0x0 0x1000" : "0x0 0x1000") + R"(>;
			)" + dev_props + R"(
		};
	};
};
)";
    return DeviceTree::load(dir.write("t.dts", source));
}
// clang-format on

platform::OfDmaConfig configure(const DeviceTree& tree) {
    return platform::of_dma_configure_device(tree.at("/soc/dev@0"));
}

// A tree / > a > b > ... > dev@0: one bus per entry of `bus_props` (named a, b, c, ...), each of
// one address and one size cell (the root has two of each) with its entry inserted in it.
DeviceTree bus_chain(const TempDir& dir, const std::vector<std::string>& bus_props) {
    std::string source = "/dts-v1/;\n/ {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n", closing;
    std::string indent = "\t";
    for (size_t i = 0; i < bus_props.size(); ++i) {
        source += indent + static_cast<char>('a' + i) + " {\n" + indent + "\t#address-cells = <1>;\n" + indent +
                  "\t#size-cells = <1>;\n" + indent + "\tranges;\n" + indent + "\t" + bus_props[i] + "\n";
        closing = indent + "};\n" + closing;
        indent += "\t";
    }
    source += indent + "dev@0 { reg = <0x0 0x1000>; };\n" + closing + "};\n";
    return DeviceTree::load(dir.write("chain.dts", source));
}

// The device of a bus_chain of `buses` buses.
platform::OfDmaConfig configure_chained(const DeviceTree& tree, size_t buses) {
    std::string path;
    for (size_t i = 0; i < buses; ++i)
        path += std::string("/") + static_cast<char>('a' + i);
    return platform::of_dma_configure_device(tree.at(path + "/dev@0"));
}

// A tree / > a > b > dev@0 with `a_props` and `b_props` inserted in the buses.
DeviceTree nested_tree(const TempDir& dir, const std::string& a_props, const std::string& b_props) {
    return bus_chain(dir, {a_props, b_props});
}

platform::OfDmaConfig configure_nested(const DeviceTree& tree) { return configure_chained(tree, 2); }

}  // namespace

TEST_CASE("of_dma: without dma-ranges a device keeps 32-bit masks, no limit, identity and is non-coherent",
          "[of_dma]") {
    TempDir dir;
    platform::OfDmaConfig config = configure(tree_with(dir, "", ""));
    CHECK(config.ranges.empty());
    CHECK(config.bus_dma_limit == 0);
    CHECK(config.mask == dma::dma_bit_mask(32));
    CHECK_FALSE(config.coherent);
    CHECK_FALSE(config.ranges_node);
}

TEST_CASE("of_dma: the bus's dma-ranges give the range map, the bus limit and a mask cut to its end", "[of_dma]") {
    TempDir dir;
    // Bus addresses 0..1 GiB reach CPU 0x80000000.., as on a board whose DMA sees RAM at 0.
    platform::OfDmaConfig config = configure(tree_with(dir, "dma-ranges = <0x0 0x0 0x80000000 0x40000000>;", ""));
    REQUIRE(config.ranges.size() == 1);
    CHECK(config.ranges[0].dma_start == 0);
    CHECK(config.ranges[0].cpu_start == 0x80000000);
    CHECK(config.ranges[0].size == 0x40000000);
    CHECK(config.bus_dma_limit == 0x3fffffff);
    CHECK(config.mask == dma::dma_bit_mask(30));
    CHECK(config.ranges_node == std::string("/soc"));
}

TEST_CASE("of_dma: a window ending above 4 GiB leaves the default 32-bit mask but sets the limit", "[of_dma]") {
    TempDir dir;
    platform::OfDmaConfig config = configure(tree_with(dir, "dma-ranges = <0x0 0x0 0x0 0x0 0x2 0x0>;", "", "", 2));
    CHECK(config.bus_dma_limit == 0x1ffffffffULL);
    CHECK(config.mask == dma::dma_bit_mask(32));
}

TEST_CASE("of_dma: dma-ranges above the bus translate its parent addresses further", "[of_dma]") {
    TempDir dir;
    // `a` maps its children's addresses 0x1000_0000.. to CPU 0x8000_0000..; `b` maps device
    // addresses 0.. to a's 0x1000_0000.., so device address 0 is CPU 0x80000000.
    DeviceTree tree = nested_tree(dir, "dma-ranges = <0x10000000 0x0 0x80000000 0x10000000>;",
                                  "dma-ranges = <0x0 0x10000000 0x10000000>;");
    platform::OfDmaConfig config = configure_nested(tree);
    REQUIRE(config.ranges.size() == 1);
    CHECK(config.ranges[0].cpu_start == 0x80000000);
    CHECK(config.ranges[0].dma_start == 0);
    CHECK(config.ranges_node == std::string("/a/b"));
    // A bus address outside a's windows does not translate: an error naming b's dma-ranges and a.
    std::string message = config_error([&] {
        configure_nested(nested_tree(dir, "dma-ranges = <0x10000000 0x0 0x80000000 0x10000000>;",
                                     "dma-ranges = <0x0 0x30000000 0x10000000>;"));
    });
    CHECK_THAT(message, Catch::Contains("node /a/b: property 'dma-ranges'") && Catch::Contains("dma-ranges of /a"));
    // Above the dma-ranges that apply, a bus without any is 1:1 (Linux's of_translate_one for
    // "dma-ranges"), as is an empty one.
    CHECK(configure_nested(nested_tree(dir, "", "dma-ranges = <0x0 0x90000000 0x1000>;")).ranges.at(0).cpu_start ==
          0x90000000);
    CHECK(configure_nested(nested_tree(dir, "dma-ranges;", "dma-ranges = <0x0 0x90000000 0x1000>;"))
              .ranges.at(0)
              .cpu_start == 0x90000000);
}

TEST_CASE("of_dma: the search for dma-ranges follows Linux's of_dma_get_range", "[of_dma]") {
    TempDir dir;
    const std::string a_window = "dma-ranges = <0x0 0x0 0x80000000 0x40000000>;";
    // The device's own bus may lack dma-ranges: Linux looks one level up.
    platform::OfDmaConfig from_a = configure_nested(nested_tree(dir, a_window, ""));
    CHECK(from_a.ranges_node == std::string("/a"));
    CHECK(from_a.mask == dma::dma_bit_mask(30));
    CHECK(from_a.warnings.empty());
    // An empty dma-ranges is 1:1 and the search goes on.
    CHECK(configure_nested(nested_tree(dir, a_window, "dma-ranges;")).ranges_node == std::string("/a"));
    // dma-ranges is a bus property: on the device node itself it is not looked at.
    platform::OfDmaConfig on_device =
        configure(tree_with(dir, "", "#address-cells = <1>; #size-cells = <1>; dma-ranges = <0x0 0x80000000 0x1000>;"));
    CHECK(on_device.ranges.empty());
}

TEST_CASE("of_dma: a bus without dma-ranges between the device and the ones above ends the search, with a "
          "warning",
          "[of_dma]") {
    TempDir dir;
    // / > a (dma-ranges) > b (none) > c (none) > dev: c may lack them, b may not.
    platform::OfDmaConfig config = configure_chained(bus_chain(dir, {"dma-ranges = <0x0 0x0 0x80000000 0x40000000>;",
                                                                     "", ""}),
                                                     3);
    CHECK(config.ranges.empty());
    CHECK_FALSE(config.ranges_node);
    CHECK(config.bus_dma_limit == 0);
    CHECK(config.mask == dma::dma_bit_mask(32));
    REQUIRE(config.warnings.size() == 1);
    CHECK_THAT(config.warnings[0], Catch::Contains("node /a/b/c/dev@0") && Catch::Contains("dma-ranges of /a") &&
                                       Catch::Contains("/a/b between them has no dma-ranges"));
    // No warning when there are no dma-ranges anywhere above.
    CHECK(configure(tree_with(dir, "", "")).warnings.empty());
}

TEST_CASE("of_dma: dma-ranges on the root are an error (they have no parent address space)", "[of_dma]") {
    TempDir dir;
    DeviceTree tree = tree_with(dir, "", "", "dma-ranges = <0x0 0x0 0x0 0x80000000 0x0 0x10000000>;");
    CHECK_THAT(config_error([&] { configure(tree); }), Catch::Contains("node /: property 'dma-ranges'"));
    CHECK_THAT(config_error([&] { platform::of_dma_get_max_cpu_address(tree); }),
               Catch::Contains("node /: property 'dma-ranges'"));
}

TEST_CASE("of_dma: windows overlapping in bus or CPU addresses are an error naming the node and property", "[of_dma]") {
    TempDir dir;
    // Bus 0 and bus 0x20000000 both reach CPU 0x88000000..
    std::string cpu = config_error([&] {
        configure(tree_with(dir, "dma-ranges = <0x0 0x0 0x80000000 0x10000000 0x20000000 0x0 0x88000000 0x10000000>;",
                            ""));
    });
    CHECK_THAT(cpu, Catch::Contains("node /soc: property 'dma-ranges'") && Catch::Contains("overlap") &&
                        Catch::Contains("bus 0x20000000 -> cpu 0x88000000"));
    // Bus 0x8000000 is in both windows.
    std::string bus = config_error([&] {
        configure(tree_with(dir, "dma-ranges = <0x0 0x0 0x80000000 0x10000000 0x8000000 0x0 0xa0000000 0x10000000>;",
                            ""));
    });
    CHECK_THAT(bus, Catch::Contains("node /soc: property 'dma-ranges'") && Catch::Contains("overlap"));
    // Adjacent windows are fine.
    CHECK(configure(tree_with(dir,
                              "dma-ranges = <0x0 0x0 0x80000000 0x10000000 0x10000000 0x0 0x90000000 "
                              "0x10000000>;",
                              ""))
              .ranges.size() == 2);
}

TEST_CASE("of_dma: dma-coherent is inherited from an ancestor and dma-noncoherent nearer wins", "[of_dma]") {
    TempDir dir;
    CHECK(configure(tree_with(dir, "dma-coherent;", "")).coherent);
    CHECK(configure(tree_with(dir, "dma-coherent;", "")).coherent_node == std::string("/soc"));
    CHECK_FALSE(configure(tree_with(dir, "dma-coherent;", "dma-noncoherent;")).coherent);
    CHECK(configure(tree_with(dir, "dma-noncoherent;", "dma-coherent;")).coherent);
}

TEST_CASE("of_dma: a malformed or empty dma-range is an error naming the node and property", "[of_dma]") {
    TempDir dir;
    std::string message = config_error([&] {
        configure(tree_with(dir, "dma-ranges = <0x0 0x0 0x80000000 0x0>;", ""));
    });
    CHECK_THAT(message, Catch::Contains("node /soc: property 'dma-ranges'"));
    CHECK_THAT(message, Catch::Contains("non-empty"));
}

TEST_CASE("of_dma: the lowest limit of any dma-ranges is the max CPU address (for ZONE_DMA)", "[of_dma]") {
    TempDir dir;
    CHECK_FALSE(platform::of_dma_get_max_cpu_address(tree_with(dir, "", "")));
    auto limit = platform::of_dma_get_max_cpu_address(tree_with(dir, "dma-ranges = <0x0 0x0 0x80000000 0x40000000>;",
                                                                ""));
    REQUIRE(limit);
    CHECK(limit->address == 0xbfffffff);
    CHECK(limit->node == "/soc");
}

namespace {

// An SMMU-500 node at the root with `props` (e.g. its #iommu-cells), labelled smmu.
std::string smmu_node(const std::string& props) {
    return "smmu: iommu@2b400000 { compatible = \"arm,mmu-500\"; reg = <0x0 0x2b400000 0x0 0x10000>; " + props + " };";
}

}  // namespace

TEST_CASE("of_iommu: iommus names the device's IOMMU and stream IDs, which give it the IOMMU's ops "
          "(of_iommu_configure_device, arm_smmu_of_xlate)",
          "[of_dma][iommu]") {
    TempDir dir;
    platform::OfDmaConfig config = configure(tree_with(dir, "", "iommus = <&smmu 0x100>;",
                                                       smmu_node("#iommu-cells = <1>;")));
    REQUIRE(config.iommu);
    CHECK(config.iommu->iommu == "/iommu@2b400000");
    CHECK(config.iommu->ids == std::vector<uint32_t>{0x100});
    CHECK(config.ops == "iommu");
    // Without iommus the device bypasses the IOMMU: no fwspec, the direct ops.
    platform::OfDmaConfig bypass = configure(tree_with(dir, "", "", smmu_node("#iommu-cells = <1>;")));
    CHECK_FALSE(bypass.iommu);
    CHECK(bypass.ops == "direct");
    CHECK_FALSE(bypass.dma_config().iommu);
    CHECK(config.dma_config().iommu->ids == config.iommu->ids);
}

TEST_CASE("of_iommu: the SMR mask goes in bits 31:16, from the specifier's second cell or else the SMMU's "
          "stream-match-mask (arm_smmu_of_xlate)",
          "[of_dma][iommu]") {
    TempDir dir;
    auto ids = [&](const std::string& smmu_props, const std::string& iommus) {
        return configure(tree_with(dir, "", "iommus = " + iommus + ";", smmu_node(smmu_props))).iommu->ids;
    };
    CHECK(ids("#iommu-cells = <1>; stream-match-mask = <0x7f00>;", "<&smmu 0x10>") ==
          std::vector<uint32_t>{0x7f000010});
    CHECK(ids("#iommu-cells = <2>;", "<&smmu 0x10 0xf>") == std::vector<uint32_t>{0x000f0010});
    // A second cell wins over stream-match-mask; several entries give several IDs, in order.
    CHECK(ids("#iommu-cells = <2>; stream-match-mask = <0x7f00>;", "<&smmu 0x10 0x3 &smmu 0x20 0x0>") ==
          std::vector<uint32_t>{0x00030010, 0x20});
}

TEST_CASE("of_iommu: a bad iommus is an error naming the node and the property", "[of_dma][iommu]") {
    TempDir dir;
    auto error_for = [&](const std::string& dev_props, const std::string& top) {
        return config_error([&] { configure(tree_with(dir, "", dev_props, top)); });
    };
    const std::string smmu = smmu_node("#iommu-cells = <1>;");
    CHECK_THAT(error_for("iommus = <&other 0x1>;", smmu + " other: timer { compatible = \"arm,armv7-timer\"; };"),
               Catch::Contains("node /soc/dev@0: property 'iommus'") && Catch::Contains("a phandle to an IOMMU") &&
                   Catch::Contains("got /timer"));
    CHECK_THAT(error_for("iommus = <&smmu 0x1>;", smmu_node("#iommu-cells = <3>;")),
               Catch::Contains("node /iommu@2b400000: property '#iommu-cells'") && Catch::Contains("got <3>"));
    CHECK_THAT(error_for("iommus = <&smmu 0x1>;", smmu_node("")),
               Catch::Contains("node /iommu@2b400000: property '#iommu-cells'"));
    CHECK_THAT(error_for("iommus = <&smmu 0x1>;", smmu_node("#iommu-cells = <2>;")),
               Catch::Contains("node /soc/dev@0: property 'iommus'") && Catch::Contains("truncated"));
    CHECK_THAT(error_for("iommus = <&smmu 0x10000>;", smmu),
               Catch::Contains("property 'iommus'") && Catch::Contains("16 bits") && Catch::Contains("0x10000"));
    CHECK_THAT(error_for("iommus = <&smmu 0x1>;", smmu_node("#iommu-cells = <1>; stream-match-mask = <0x10000>;")),
               Catch::Contains("node /iommu@2b400000: property 'stream-match-mask'"));
    CHECK_THAT(error_for("iommus = <&smmu 0x1 &smmu1 0x2>;",
                         smmu + " smmu1: iommu@2b500000 { compatible = \"arm,mmu-500\"; #iommu-cells = <1>; };"),
               Catch::Contains("property 'iommus'") && Catch::Contains("one IOMMU"));
    CHECK_THAT(error_for("iommus;", smmu), Catch::Contains("property 'iommus'"));
}

namespace {

// A PCI host at the root with `props` (its iommu-map), beside an SMMU with `smmu_props`.
DeviceTree pci_host_with(const TempDir& dir, const std::string& props, const std::string& smmu_props = "") {
    std::string source = "/dts-v1/;\n/ {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n\t" +
                         smmu_node("#iommu-cells = <1>; " + smmu_props) +
                         "\n\tpcie@40000000 {\n\t\tcompatible = \"pci-host-ecam-generic\";\n\t\t" + props +
                         "\n\t};\n};\n";
    return DeviceTree::load(dir.write("pci.dts", source));
}

std::optional<sw::PciIommuMap> pci_map(const DeviceTree& tree, std::vector<std::string>* warnings = nullptr) {
    std::vector<std::string> ignored;
    return platform::of_pci_iommu_map(tree.at("/pcie@40000000"), warnings ? *warnings : ignored);
}

}  // namespace

TEST_CASE("of_iommu: a PCI function's stream ID is its requester ID through the host's iommu-map and "
          "iommu-map-mask (of_map_id)",
          "[of_dma][iommu]") {
    TempDir dir;
    // Functions of a slot share a stream ID (the mask drops the function bits); bus 1 maps elsewhere.
    std::optional<sw::PciIommuMap> map = pci_map(pci_host_with(
        dir, "iommu-map = <0x0 &smmu 0x0 0x100>, <0x100 &smmu 0x1000 0x100>; iommu-map-mask = <0xfff8>;"));
    REQUIRE(map);
    CHECK(map->iommu == "/iommu@2b400000");
    CHECK(map->mask == 0xfff8);
    REQUIRE(map->entries.size() == 2);
    CHECK(map->entries[1].rid_base == 0x100);
    CHECK(map->entries[1].sid_base == 0x1000);
    CHECK(map->entries[1].length == 0x100);
    // 00:01.1: RID 0x0009, masked 0x0008, the first entry: stream ID 0x8.
    REQUIRE(map->fwspec(0x0009));
    CHECK(map->fwspec(0x0009)->iommu == "/iommu@2b400000");
    CHECK(map->fwspec(0x0009)->ids == std::vector<uint32_t>{0x8});
    // 01:00.1: RID 0x0101, masked 0x0100: 0x1000 + 0.
    CHECK(map->fwspec(0x0101)->ids == std::vector<uint32_t>{0x1000});
    // 02:00.0 is in no entry: no IOMMU (Linux's of_map_id finds no target; the function keeps direct ops).
    CHECK_FALSE(map->fwspec(0x0200));
    // Without iommu-map-mask every bit counts; without iommu-map there is no map.
    CHECK(pci_map(pci_host_with(dir, "iommu-map = <0x0 &smmu 0x0 0x100>;"))->fwspec(0x0009)->ids ==
          std::vector<uint32_t>{0x9});
    CHECK_FALSE(pci_map(pci_host_with(dir, "")));
    // The SMMU's stream-match-mask joins each ID, in bits 31:16 (arm_smmu_of_xlate with one cell).
    CHECK(pci_map(pci_host_with(dir, "iommu-map = <0x0 &smmu 0x0 0x100>;", "stream-match-mask = <0x7>;"))
              ->fwspec(0x10)
              ->ids == std::vector<uint32_t>{0x00070010});
}

TEST_CASE("of_iommu_xlate: an IOMMU that is disabled or not modelled leaves the device without one (NO_IOMMU), "
          "with a warning",
          "[of_dma][iommu]") {
    TempDir dir;
    const std::string other_smmu =
        " smmu1: iommu@2b500000 { compatible = \"arm,mmu-401\", \"arm,smmu-v1\"; #iommu-cells = <1>; };";
    const platform::OfDmaConfig unmodelled = configure(tree_with(dir, "", "iommus = <&smmu1 0x1>;", other_smmu));
    CHECK_FALSE(unmodelled.iommu);
    CHECK(unmodelled.ops == dma::DirectOps::ops_name);
    REQUIRE(unmodelled.warnings.size() == 1);
    CHECK_THAT(unmodelled.warnings[0], Catch::Contains("node /soc/dev@0: property 'iommus'") &&
                                           Catch::Contains("/iommu@2b500000") && Catch::Contains("not modelled"));
    const platform::OfDmaConfig disabled =
        configure(tree_with(dir, "", "iommus = <&smmu 0x1>;", smmu_node("#iommu-cells = <1>; status = \"disabled\";")));
    CHECK_FALSE(disabled.iommu);
    REQUIRE(disabled.warnings.size() == 1);
    CHECK_THAT(disabled.warnings[0], Catch::Contains("disabled"));

    std::vector<std::string> warnings;
    CHECK_FALSE(pci_map(pci_host_with(dir, "iommu-map = <0x0 &smmu 0x0 0x100>;", "status = \"disabled\";"), &warnings));
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Catch::Contains("property 'iommu-map'") && Catch::Contains("disabled"));
}

TEST_CASE("of_iommu: a bad iommu-map is an error naming the host and the property", "[of_dma][iommu]") {
    TempDir dir;
    auto error_for = [&](const std::string& props, const std::string& smmu_props = "") {
        return config_error([&] { pci_map(pci_host_with(dir, props, smmu_props)); });
    };
    CHECK_THAT(error_for("iommu-map = <0x0 &smmu 0x0>;"),
               Catch::Contains("node /pcie@40000000: property 'iommu-map'") && Catch::Contains("4 cells") &&
                   Catch::Contains("got 3 cells"));
    // Linux's of_map_id: "iommu-map-mask (0xff00) ignores id-base (0x8)".
    CHECK_THAT(error_for("iommu-map = <0x8 &smmu 0x0 0x8>; iommu-map-mask = <0xff00>;"),
               Catch::Contains("property 'iommu-map'") && Catch::Contains("iommu-map-mask (0xff00)") &&
                   Catch::Contains("rid-base 0x8"));
    CHECK_THAT(error_for("iommu-map = <0x0 &gicv 0x0 0x100>; gicv: gic { compatible = \"arm,gic-400\"; };"),
               Catch::Contains("property 'iommu-map'") && Catch::Contains("a phandle to an IOMMU"));
    CHECK_THAT(error_for("iommu-map = <0x0 &smmu 0x0 0x0>;"),
               Catch::Contains("property 'iommu-map'") && Catch::Contains("length 0x0"));
    CHECK_THAT(error_for("iommu-map = <0x0 &smmu 0xff00 0x200>;"),
               Catch::Contains("property 'iommu-map'") && Catch::Contains("16-bit stream IDs"));
    CHECK_THAT(error_for("iommu-map = <0x0 &smmu 0x0 0x100>, <0x100 &smmu2 0x0 0x100>; smmu2: iommu@2b500000 { "
                         "compatible = \"arm,mmu-500\"; #iommu-cells = <1>; };"),
               Catch::Contains("property 'iommu-map'") && Catch::Contains("one IOMMU"));
}

TEST_CASE("boot params: Linux's defaults without /chosen, and bootargs parsed like the kernel does", "[of_dma]") {
    TempDir dir;
    platform::BootParams defaults = platform::parse_boot_params(tree_with(dir, "", ""));
    CHECK(defaults.dma.swiotlb_slots == 32768);
    CHECK_FALSE(defaults.dma.swiotlb_force);
    CHECK(defaults.dma.atomic_pool_size == 0);  // Linux's default, sized from the RAM at boot
    CHECK(defaults.dma.debug);
    CHECK(defaults.dma.from_device_map == dma::FromDeviceMapPolicy::clean);
    CHECK(defaults.dma.alias == dma::AliasPolicy::removed);
    CHECK(defaults.dma.iommu_strict);
    CHECK(defaults.arm_smmu_disable_bypass);

    platform::BootParams params = platform::parse_boot_params(
        tree_with(dir, "", "",
                  R"(chosen { bootargs = "console=ttyAMA0 swiotlb=1024,force coherent_pool=1M dma_debug=off";
		dmasim,dma-from-device-map = "invalidate"; dmasim,dma-alias = "kept"; dmasim,kmalloc-min-align = <64>;
		dmasim,dma-pool-debug = "on"; };)"));
    CHECK(params.dma.swiotlb_slots == 1024);
    CHECK(params.dma.swiotlb_force);
    CHECK(params.dma.atomic_pool_size == 1024 * 1024);
    CHECK_FALSE(params.dma.debug);
    CHECK(params.dma.from_device_map == dma::FromDeviceMapPolicy::invalidate);
    CHECK(params.dma.alias == dma::AliasPolicy::kept);
    CHECK(params.dma.pool_debug);
    CHECK(params.dma.kmalloc_min_align == 64);
    REQUIRE(params.warnings.size() == 1);
    CHECK_THAT(params.warnings[0], Catch::Contains("\"console=ttyAMA0\"") && Catch::Contains("ignored"));
}

TEST_CASE("boot params: the DMA profile from the first CPU's compatible, /chosen dmasim,arch over it",
          "[of_dma][profile]") {
    TempDir dir;
    auto with_cpu = [&](const std::string& compatible, const std::string& chosen = "") {
        return platform::parse_boot_params(
            tree_with(dir, "", "",
                      "cpus { #address-cells = <1>; #size-cells = <0>; cpu@0 { device_type = \"cpu\"; compatible = " +
                          compatible + "; reg = <0>; }; }; " + chosen));
    };
    platform::BootParams a9 = with_cpu("\"arm,cortex-a9\"");
    CHECK(a9.arch == models::CpuArch::armv7);
    CHECK(a9.arch_set_by == "/cpus/cpu@0 compatible \"arm,cortex-a9\"");
    CHECK(a9.dma.kmalloc_min_align == 64);
    CHECK(a9.dma.from_device_map == dma::FromDeviceMapPolicy::invalidate);
    CHECK(a9.warnings.empty());
    platform::BootParams a53 = with_cpu("\"vendor,custom\", \"arm,cortex-a53\"");
    CHECK(a53.arch == models::CpuArch::arm64);
    CHECK(a53.dma.kmalloc_bounce);
    CHECK(a53.dma.from_device_map == dma::FromDeviceMapPolicy::clean);

    // An unknown part: arm64's choices, with a warning naming the node and what chooses.
    platform::BootParams unknown = with_cpu("\"vendor,custom\"");
    CHECK(unknown.arch == models::CpuArch::arm64);
    REQUIRE(unknown.warnings.size() == 1);
    CHECK_THAT(unknown.warnings[0], Catch::Contains("node /cpus/cpu@0") && Catch::Contains("\"vendor,custom\"") &&
                                        Catch::Contains("dmasim,arch"));

    platform::BootParams chosen = with_cpu("\"arm,cortex-a53\"", "chosen { dmasim,arch = \"armv7\"; };");
    CHECK(chosen.arch == models::CpuArch::armv7);
    CHECK(chosen.arch_set_by == "/chosen dmasim,arch");
    CHECK(chosen.dma.kmalloc_min_align == 64);
    CHECK_THAT(config_error([&] { with_cpu("\"arm,cortex-a9\"", "chosen { dmasim,arch = \"x86\"; };"); }),
               Catch::Contains("node /chosen: property 'dmasim,arch'") && Catch::Contains("\"armv7\" or \"arm64\""));
}

TEST_CASE("boot params: each profile choice selectable on its own, described with what set it", "[of_dma][profile]") {
    TempDir dir;
    auto params = [&](const std::string& chosen) {
        return platform::parse_boot_params(tree_with(dir, "", "",
                                                     "chosen { dmasim,arch = \"arm64\"; " + chosen + " };"));
    };
    platform::BootParams historical =
        params("dmasim,kmalloc-min-align = <8>; dmasim,dma-kmalloc-bounce = \"off\"; dmasim,dma-from-device-map = "
               "\"invalidate\"; dmasim,dma-inv-partial-lines = \"invalidate\"; dmasim,dma-coherent-memory = "
               "\"strongly-ordered\";");
    CHECK(historical.dma.kmalloc_min_align == 8);
    CHECK_FALSE(historical.dma.kmalloc_bounce);
    CHECK(historical.dma.from_device_map == dma::FromDeviceMapPolicy::invalidate);
    CHECK(historical.dma.inv_partial_lines == sw::PartialLines::invalidate);
    CHECK(historical.dma.coherent_memory == dma::CoherentMemType::strongly_ordered);
    REQUIRE(historical.dma_choices.size() == 5);
    for (const platform::DmaChoice& choice : historical.dma_choices)
        CHECK(choice.set_by == "/chosen");
    CHECK(historical.dma_choices[1].property == "dmasim,dma-kmalloc-bounce");
    CHECK(historical.dma_choices[1].value == "off");

    platform::BootParams profile = params("dmasim,dma-from-device-map = \"invalidate\";");
    CHECK(profile.dma_choices[0].value == "8");
    CHECK(profile.dma_choices[0].set_by == "arm64 profile");
    CHECK(profile.dma_choices[2].set_by == "/chosen");

    CHECK_THAT(config_error([&] { params("dmasim,dma-inv-partial-lines = \"discard\";"); }),
               Catch::Contains("property 'dmasim,dma-inv-partial-lines'") &&
                   Catch::Contains("\"clean-invalidate\" or \"invalidate\", got \"discard\""));
    CHECK_THAT(config_error([&] { params("dmasim,kmalloc-min-align = <48>;"); }),
               Catch::Contains("a power of two up to 4096, got 48"));
}

// swiotlb=noforce: no swiotlb buffer (swiotlb_force_disable); arm64's kmalloc then aligns to
// dma_get_cache_alignment() (__kmalloc_minalign), as nothing can bounce. coherent_pool=0 leaves
// Linux's default (early_coherent_pool's 0 is dma_atomic_pool_init's "not set").
TEST_CASE("boot params: swiotlb=noforce leaves no bounce buffer and coherent_pool=0 the default size",
          "[of_dma][profile]") {
    TempDir dir;
    auto params = [&](const std::string& arch, const std::string& bootargs) {
        return platform::parse_boot_params(tree_with(dir, "", "",
                                                     "chosen { dmasim,arch = \"" + arch + "\"; bootargs = \"" +
                                                         bootargs + "\"; };"));
    };
    platform::BootParams arm64 = params("arm64", "swiotlb=noforce coherent_pool=0");
    CHECK(arm64.dma.swiotlb_disabled);
    CHECK_FALSE(arm64.dma.swiotlb_force);
    CHECK(arm64.dma.kmalloc_min_align == 128);
    CHECK(arm64.dma.atomic_pool_size == 0);
    CHECK(params("armv7", "swiotlb=noforce").dma.kmalloc_min_align == 64);
    CHECK_FALSE(params("arm64", "swiotlb=1024,force").dma.swiotlb_disabled);
}

TEST_CASE("boot params: iommu.strict= and arm-smmu.disable_bypass= are booleans as Linux's kstrtobool reads "
          "them",
          "[of_dma][iommu]") {
    TempDir dir;
    auto params = [&](const std::string& bootargs) {
        return platform::parse_boot_params(tree_with(dir, "", "", "chosen { bootargs = \"" + bootargs + "\"; };"));
    };
    platform::BootParams lazy = params("iommu.strict=0 arm-smmu.disable_bypass=0");
    CHECK_FALSE(lazy.dma.iommu_strict);
    CHECK_FALSE(lazy.arm_smmu_disable_bypass);
    CHECK(lazy.warnings.empty());
    CHECK(params("iommu.strict=1").dma.iommu_strict);
    CHECK_FALSE(params("iommu.strict=off").dma.iommu_strict);
    CHECK(params("arm-smmu.disable_bypass=on").arm_smmu_disable_bypass);
    CHECK_FALSE(params("arm-smmu.disable_bypass=N").arm_smmu_disable_bypass);
    CHECK_THAT(config_error([&] { params("iommu.strict=maybe"); }),
               Catch::Contains("node /chosen: property 'bootargs'") && Catch::Contains("iommu.strict=0 or 1") &&
                   Catch::Contains("\"iommu.strict=maybe\""));
    CHECK_THAT(config_error([&] { params("arm-smmu.disable_bypass="); }),
               Catch::Contains("arm-smmu.disable_bypass=0 or 1"));
    CHECK_THAT(config_error([&] { params("iommu.strict=o"); }), Catch::Contains("iommu.strict=o"));
}

TEST_CASE("boot params: the MFD driver's module parameter dmasim_mfd.declare_sram, '-' or '_' as Linux's parameq "
          "reads its name",
          "[of_dma][mfd]") {
    TempDir dir;
    auto params = [&](const std::string& bootargs) {
        return platform::parse_boot_params(tree_with(dir, "", "", "chosen { bootargs = \"" + bootargs + "\"; };"));
    };
    CHECK_FALSE(params("swiotlb=1024").mfd_declare_sram);
    platform::BootParams declared = params("dmasim_mfd.declare_sram=1");
    CHECK(declared.mfd_declare_sram);
    CHECK(declared.warnings.empty());
    CHECK(params("dmasim-mfd.declare_sram=y").mfd_declare_sram);
    CHECK_FALSE(params("dmasim_mfd.declare_sram=0").mfd_declare_sram);
    CHECK_FALSE(params("arm_smmu.disable_bypass=0").arm_smmu_disable_bypass);  // the same name as arm-smmu's
    CHECK_THAT(config_error([&] { params("dmasim_mfd.declare_sram=perhaps"); }),
               Catch::Contains("node /chosen: property 'bootargs'") &&
                   Catch::Contains("dmasim_mfd.declare_sram=0 or 1"));
    CHECK(params("dmasim_mfd.declare=1").warnings.size() == 1);  // not a parameter the driver has
}

TEST_CASE("boot params: bad values are errors naming /chosen, the property and the value", "[of_dma]") {
    TempDir dir;
    auto error_for = [&](const std::string& chosen) {
        return config_error([&] { platform::parse_boot_params(tree_with(dir, "", "", "chosen { " + chosen + " };")); });
    };
    CHECK_THAT(error_for(R"(bootargs = "swiotlb=lots";)"),
               Catch::Contains("node /chosen: property 'bootargs'") && Catch::Contains("swiotlb=lots"));
    CHECK_THAT(error_for(R"(bootargs = "swiotlb=1099511627777";)"), Catch::Contains("from 1 to 2^40"));
    CHECK(platform::parse_boot_params(tree_with(dir, "", "", R"(chosen { bootargs = "swiotlb=1099511627776"; };)"))
              .dma.swiotlb_slots == 1ULL << 40);
    CHECK_THAT(error_for(R"(bootargs = "coherent_pool=big";)"), Catch::Contains("coherent_pool=big"));
    CHECK_THAT(error_for(R"(bootargs = "dma_debug=maybe";)"), Catch::Contains("dma_debug=maybe"));
    CHECK_THAT(error_for(R"(dmasim,dma-from-device-map = "flush";)"),
               Catch::Contains("'dmasim,dma-from-device-map'") && Catch::Contains("\"flush\""));
    CHECK_THAT(error_for(R"(dmasim,dma-alias = "gone";)"), Catch::Contains("'dmasim,dma-alias'"));
    CHECK_THAT(error_for("dmasim,kmalloc-min-align = <48>;"), Catch::Contains("a power of two"));
}

TEST_CASE("describe shows each DMA device's masks, bus limit, coherence, ranges and pool", "[of_dma][cli]") {
    TempDir dir;
    Result plain = dmasim(dir, "describe " + quote(DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts"));
    REQUIRE(plain.code == 0);
    CHECK_THAT(plain.out, Catch::Contains("dma-agent@1000000 (/soc/dma-agent@1000000, DMA by dma0): direct ops, "
                                          "non-coherent, dma mask 0xffffffff, coherent mask 0xffffffff, bus limit "
                                          "none"));
    CHECK_THAT(plain.out, Catch::Contains("coherent pool: none (system memory)"));

    Result narrowed = dmasim(dir,
                             "describe " + quote(DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts") +
                                 " -c '/soc:dma-ranges=<0x0 0x0 0x80000000 0x40000000>' -c '/soc:dma-coherent=true'");
    REQUIRE(narrowed.code == 0);
    CHECK_THAT(narrowed.out, Catch::Contains("direct ops, coherent, dma mask 0x3fffffff, coherent mask 0x3fffffff, "
                                             "bus limit 0x3fffffff"));
    CHECK_THAT(narrowed.out, Catch::Contains("dma-range: bus 0x0 -> cpu 0x80000000, 1 GiB"));

    Result pooled = dmasim(dir, "describe " +
                                    quote(DMASIM_SOURCE_DIR "/tests/scenarios/dma/arm-noncoherent-device-pool.dts"));
    REQUIRE(pooled.code == 0);
    CHECK_THAT(pooled.out, Catch::Contains("coherent pool: dma-pool@9ff00000 (1 MiB, per-device, no fallback)"));
}

TEST_CASE("a memory-region that is not a no-map shared-dma-pool is an error naming the device", "[of_dma]") {
    TempDir dir;
    std::string source = read_file(DMASIM_SOURCE_DIR "/tests/scenarios/dma/arm-noncoherent-device-pool.dts");
    size_t at = source.find("no-map;");
    REQUIRE(at != std::string::npos);
    source.erase(at, 7);
    std::string include = "/include/ \"" DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts\"";
    size_t line = source.find("/include/");
    source.replace(line, source.find('\n', line) - line, include);
    Result r = dmasim(dir, "describe " + quote(dir.write("pool.dts", source)));
    CHECK(r.code == 2);
    CHECK_THAT(r.err,
               Catch::Contains("node /soc/dma-agent@1000000: property 'memory-region'") && Catch::Contains("no-map"));
}
