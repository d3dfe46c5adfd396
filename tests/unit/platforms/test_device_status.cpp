// `status` as Linux reads it (of_device_is_available): a node whose status is neither "okay" nor
// "ok" does not exist for any purpose — its device, its subtree, a reserved-memory region, a bus
// whose dma-ranges would set ZONE_DMA, an MFD's cell — so `-c /path:status="disabled"` removes it.
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

namespace {

const std::string noncoherent = DMASIM_SOURCE_DIR "/platforms/arm-pci-noncoherent.dts";
const std::string mfd_platform = DMASIM_SOURCE_DIR "/platforms/arm-mfd.dts";

platform::DeviceTree load(const std::string& file, const std::string& override_spec = "") {
    platform::DeviceTree tree = platform::DeviceTree::load(file);
    if (!override_spec.empty())
        tree.apply_override(override_spec);
    return tree;
}

bool has_region(const platform::Platform& p, const std::string& name) {
    return std::any_of(p.reserved().begin(), p.reserved().end(),
                       [&](const platform::ReservedRegion& r) { return r.name == name; });
}

}  // namespace

TEST_CASE("status: of_device_is_available takes no status, okay and ok, nothing else", "[device_status]") {
    for (const char* status : {"okay", "ok"})
        CHECK(load(noncoherent, std::string("/soc/dma-agent@1000000:status=\"") + status + "\"")
                  .at("/soc/dma-agent@1000000")
                  .is_available());
    CHECK(load(noncoherent).at("/soc/dma-agent@1000000").is_available());
    for (const char* status : {"disabled", "reserved", "fail", "fail-sss", "Okay"})
        CHECK_FALSE(load(noncoherent, std::string("/soc/dma-agent@1000000:status=\"") + status + "\"")
                        .at("/soc/dma-agent@1000000")
                        .is_available());
}

TEST_CASE("status: available_nodes leaves out a disabled node and its whole subtree", "[device_status]") {
    platform::DeviceTree tree = load(noncoherent, "/soc:status=\"disabled\"");
    std::vector<platform::DtNode> nodes = tree.available_nodes();
    CHECK(nodes.size() < tree.all_nodes().size());
    for (const platform::DtNode& node : nodes)
        CHECK(node.path().rfind("/soc", 0) != 0);
    CHECK(std::any_of(nodes.begin(), nodes.end(), [](const platform::DtNode& n) { return n.path() == "/cpus"; }));
}

TEST_CASE("status: a disabled device is not built, and the kernel gets no driver for it", "[device_status]") {
    models::Instrumentation instr_on, instr_off;
    platform::DeviceTree on = load(noncoherent);
    platform::DeviceTree off = load(noncoherent, "/soc/dma-agent@1000000:status=\"disabled\"");
    platform::Platform with(on, platform::PlatformOptions{}, instr_on);
    platform::Platform without(off, platform::PlatformOptions{}, instr_off);
    CHECK(with.bus_masters().size() == 1);
    CHECK(without.bus_masters().empty());
    CHECK(without.kernel_bus_masters().empty());
}

TEST_CASE("status: a disabled bus's dma-ranges do not set ZONE_DMA (of_dma_get_max_cpu_address)", "[device_status]") {
    models::Instrumentation instr_on, instr_off;
    platform::DeviceTree on = load(noncoherent);
    platform::DeviceTree off = load(noncoherent, "/soc:status=\"disabled\"");
    platform::Platform with(on, platform::PlatformOptions{}, instr_on);
    platform::Platform without(off, platform::PlatformOptions{}, instr_off);
    CHECK(with.zone_dma_limit() == 0xc0000000);  // the dma-ranges of /soc
    CHECK(without.zone_dma_limit() != with.zone_dma_limit());
    CHECK(without.zone_dma_bound().find("/soc") == std::string::npos);
}

TEST_CASE("status: a disabled reserved-memory region reserves nothing (fdt_scan_reserved_mem)", "[device_status]") {
    models::Instrumentation instr_on, instr_off;
    platform::DeviceTree on = load(noncoherent);
    platform::DeviceTree off = load(noncoherent, "/reserved-memory/linux,cma:status=\"disabled\"");
    platform::Platform with(on, platform::PlatformOptions{}, instr_on);
    platform::Platform without(off, platform::PlatformOptions{}, instr_off);
    CHECK(has_region(with, "linux,cma"));
    CHECK_FALSE(has_region(without, "linux,cma"));
}

TEST_CASE("status: a disabled MFD cell is not added (mfd_add_device ignores it)", "[device_status]") {
    models::Instrumentation instr;
    platform::DeviceTree tree = load(mfd_platform, "/local-bus/mfd@50000000/usb@1:status=\"disabled\"");
    platform::Platform p(tree, platform::PlatformOptions{}, instr);
    REQUIRE(p.mfds().size() == 1);
    REQUIRE(p.mfds()[0].info.cells.size() == 1);
    CHECK(p.mfds()[0].info.cells[0].name == "dsp@0");
}
