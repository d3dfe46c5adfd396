// scripts/check-layers (DESIGN.md, rule 2): it passes on the tree, and fails naming file and line
// on an include against the layers or on software including a device model.
#include "cli_runner.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

namespace {

const std::string check_layers = DMASIM_SOURCE_DIR "/scripts/check-layers";

Result run_check(const std::string& root) {
    TempDir out;
    const std::string stdout_file = out.path("stdout.txt"), stderr_file = out.path("stderr.txt");
    int status = std::system((quote(check_layers) + " --root " + quote(root) + " >" + quote(stdout_file) + " 2>" +
                              quote(stderr_file))
                                 .c_str());
    Result result;
    result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_file(stdout_file);
    result.err = read_file(stderr_file);
    INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
    return result;
}

// A tree with one file `path` holding `text`, beside the headers it names.
Result check_one(const std::string& path, const std::string& text) {
    TempDir tree;
    for (const char* header :
         {"models/cpu/core.h", "models/bus/memory.h", "models/pci/ring_nic_regs.h", "models/bus/bus_master.h",
          "models/bus/bus_master_regs.h", "sw/kernel/kernel.h", "dma/mapping.h", "sw/drivers/pci/pci.h",
          "sw/workloads/workload.h", "platforms/devicetree/device_tree.h", "platforms/app/simulation.h"})
        tree.write(header, "#pragma once\n");
    tree.write(path, text);
    return run_check(tree.path(""));
}

}  // namespace

TEST_CASE("check-layers: the tree's includes all point down the layers", "[layers]") {
    Result result = run_check(DMASIM_SOURCE_DIR);
    CHECK(result.code == 0);
    CHECK(contains(result.out, "every include points down the layers"));
}

TEST_CASE("check-layers: an upward include fails, naming file, line and the two layers", "[layers]") {
    SECTION("a model including the DMA layer") {
        Result result = check_one("models/cpu/cache.cpp",
                                  "// a cache\n#include \"models/cpu/core.h\"\n#include \"dma/mapping.h\"\n");
        CHECK(result.code == 1);
        CHECK(contains(result.out, "models/cpu/cache.cpp:3: includes dma/mapping.h: models is below dma"));
    }
    SECTION("the kernel including a driver") {
        Result result = check_one("sw/kernel/kmalloc.cpp", "#include \"sw/drivers/pci/pci.h\"\n");
        CHECK(result.code == 1);
        CHECK(contains(result.out,
                       "sw/kernel/kmalloc.cpp:1: includes sw/drivers/pci/pci.h: sw/kernel is below sw/drivers"));
    }
    SECTION("a driver including a workload") {
        Result result = check_one("sw/drivers/pci/ring_nic.cpp", "#include \"sw/workloads/workload.h\"\n");
        CHECK(result.code == 1);
        CHECK(contains(result.out, "sw/drivers/pci/ring_nic.cpp:1: includes sw/workloads/workload.h"));
    }
    SECTION("anything outside platforms/ including platforms/") {
        Result result = check_one("dma/swiotlb.cpp", "#include \"platforms/devicetree/device_tree.h\"\n");
        CHECK(result.code == 1);
        CHECK(contains(
            result.out,
            "dma/swiotlb.cpp:1: includes platforms/devicetree/device_tree.h: dma is below platforms/devicetree"));
    }
    SECTION("the device-tree loader including the application") {
        Result result = check_one("platforms/devicetree/device_tree.cpp", "#include \"platforms/app/simulation.h\"\n");
        CHECK(result.code == 1);
        CHECK(contains(result.out, "platforms/devicetree/device_tree.cpp:1: includes platforms/app/simulation.h"));
    }
}

TEST_CASE("check-layers: software includes of models/ only its registers and the core", "[layers]") {
    SECTION("a workload including a device model fails") {
        Result result = check_one("sw/workloads/w.cpp", "#include \"models/bus/memory.h\"\n");
        CHECK(result.code == 1);
        CHECK(contains(
            result.out,
            "sw/workloads/w.cpp:1: includes models/bus/memory.h: software drives a device only through its registers"));
    }
    SECTION("a driver including its device's registers and the core passes") {
        Result result = check_one(
            "sw/drivers/pci/ring_nic.cpp",
            "#include \"models/pci/ring_nic_regs.h\"\n#include \"models/cpu/core.h\"\n#include \"dma/mapping.h\"\n");
        CHECK(result.code == 0);
    }
    SECTION("a workload including the bus master's model fails, its driver including its registers passes") {
        Result model = check_one("sw/workloads/w.cpp", "#include \"models/bus/bus_master.h\"\n");
        CHECK(model.code == 1);
        CHECK(contains(model.out, "sw/workloads/w.cpp:1: includes models/bus/bus_master.h: software drives a device "
                                  "only through its registers"));
        Result registers = check_one("sw/drivers/dma/bus_master.cpp", "#include \"models/bus/bus_master_regs.h\"\n");
        CHECK(registers.code == 0);
    }
    SECTION("tests include anything") {
        Result result = check_one("tests/unit/models/test_x.cpp",
                                  "#include \"platforms/app/simulation.h\"\n#include \"models/bus/memory.h\"\n");
        CHECK(result.code == 0);
    }
}
