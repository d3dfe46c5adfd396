// The board tree of tests/scenarios/boards, written as kernel boards are, as the platform builder
// reads it: each structure real trees have, read as Linux reads it.
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

namespace {

const std::string boards = DMASIM_SOURCE_DIR "/tests/scenarios/boards";

platform::DeviceTree board_tree() {
    return platform::DeviceTree::load(boards + "/acme-board.dts", {boards + "/include"});
}

bool has_warning(const platform::Platform& p, const std::string& part) {
    const auto& warnings = p.warnings();
    return std::any_of(warnings.begin(), warnings.end(),
                       [&](const std::string& w) { return w.find(part) != std::string::npos; });
}

}  // namespace

TEST_CASE("kernel-style board: early_init_dt_scan_memory takes every memory node and entry, less those of size 0",
          "[platform][boards]") {
    models::Instrumentation instr;
    platform::DeviceTree tree = board_tree();
    platform::Platform p(tree, platform::PlatformOptions{}, instr);
    std::vector<sw::PhysRange> ram;
    for (const platform::MemoryRegion& region : p.memories())
        if (region.ram)
            ram.push_back(sw::PhysRange{region.base, region.size});
    REQUIRE(ram.size() == 2);
    CHECK(ram[0].base == 0x80000000);
    CHECK(ram[0].size == 0x80000000);
    CHECK(ram[1].base == 0x880000000);
    CHECK(ram[1].size == 0x40000000);
    CHECK(p.boot_params().bootargs.empty());  // bootargs = "" (early_init_dt_scan_chosen)
}

TEST_CASE("kernel-style board: of_dma_get_max_cpu_address reads the dma-ranges of a PCIe host dmasim does not "
          "model, which is reported",
          "[platform][boards]") {
    models::Instrumentation instr;
    platform::DeviceTree tree = board_tree();
    platform::Platform p(tree, platform::PlatformOptions{}, instr);
    CHECK(p.zone_dma_limit() == 0xc0000000);
    CHECK(p.zone_dma_bound() == "the dma-ranges of /pcie@60000000");
    CHECK(has_warning(p, "node /pcie@60000000: PCI host bridge \"acme,soc-pcie\" is not modelled"));
    const auto& unmodelled = p.description().at("pci_hosts_not_modelled");
    REQUIRE(unmodelled.size() == 1);
    CHECK(unmodelled[0]["inbound"][0]["cpu"] == "0x80000000");
    CHECK(p.pci_hosts().size() == 1);  // the ECAM one only
}

TEST_CASE("kernel-style board: disabled nodes - a platform device, a PCI function (pci_set_of_node) and the region "
          "a memory-region names (of_reserved_mem_device_init_by_idx)",
          "[platform][boards][device_status]") {
    models::Instrumentation instr;
    platform::DeviceTree tree = board_tree();
    platform::Platform p(tree, platform::PlatformOptions{}, instr);
    CHECK(p.bus_masters().size() == 1);
    REQUIRE(p.pci_hosts().size() == 1);
    REQUIRE(p.pci_hosts()[0].endpoints.size() == 1);
    CHECK(p.pci_hosts()[0].endpoints[0].node == "/pcie@40000000/ep@1,0");
    CHECK(std::none_of(p.reserved().begin(), p.reserved().end(),
                       [](const platform::ReservedRegion& r) { return r.name == "dma-pool@9ff00000"; }));
    REQUIRE(p.dma_devices().size() >= 1);
    CHECK_FALSE(p.dma_devices()[0].coherent_pool);
    CHECK(has_warning(p, "node /soc/dma-agent@1000000: property 'memory-region': /reserved-memory/dma-pool@9ff00000 "
                         "is disabled"));
}

TEST_CASE("kernel-style board: a 64-bit prefetchable window above 4 GiB, and CMA alloc-ranges in the root's cells "
          "(__reserved_mem_alloc_size)",
          "[platform][boards]") {
    models::Instrumentation instr;
    platform::DeviceTree tree = board_tree();
    platform::Platform p(tree, platform::PlatformOptions{}, instr);
    const auto& windows = p.pci_hosts()[0].bridge.outbound;
    REQUIRE(windows.size() == 2);
    CHECK(windows[1].cpu_base == 0x1000000000);
    CHECK(windows[1].mem64);
    CHECK(windows[1].prefetchable);
    auto cma = std::find_if(p.reserved().begin(), p.reserved().end(),
                            [](const platform::ReservedRegion& r) { return r.name == "linux,cma"; });
    REQUIRE(cma != p.reserved().end());
    CHECK(cma->cma_default);
    REQUIRE(cma->alloc_ranges.size() == 1);
    CHECK(cma->alloc_ranges[0].base == 0x80000000);
    CHECK(cma->alloc_ranges[0].size == 0x40000000);
}
