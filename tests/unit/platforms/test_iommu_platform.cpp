// The IOMMU platform (platforms/arm-pci-iommu.dts): the SMMU-500 built from its node as Linux's
// arm-smmu binding reads it, wired to the GIC, the bus and the masters in front of it; what the
// kernel is told (the driver's ArmSmmuInfo, each device's fwspec, the PCI functions' reserved
// IOVAs); the node's errors; describe.
#include "cli_runner.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

namespace {

const std::string iommu_platform = DMASIM_SOURCE_DIR "/platforms/arm-pci-iommu.dts";

// `dmasim describe` of the IOMMU platform with `overrides` (-c options); its exit code and stderr.
Result describe(const TempDir& dir, const std::string& overrides = "") {
    return dmasim(dir, "describe " + quote(iommu_platform) + " " + overrides);
}

}  // namespace

TEST_CASE("iommu platform: the SMMU-500 is built from its node and the kernel is told its registers, interrupts "
          "and the masters behind it",
          "[iommu_platform]") {
    models::Instrumentation instr;
    platform::DeviceTree tree = platform::DeviceTree::load(iommu_platform);
    platform::Platform p(tree, platform::PlatformOptions{}, instr);

    REQUIRE(p.smmus().size() == 1);
    const models::Smmu& smmu = *p.smmus()[0];
    CHECK(std::string(smmu.name()) == "smmu0");
    CHECK_FALSE(smmu.config().coherent_walk);  // no dma-coherent on the node
    REQUIRE(p.kernel_iommus().size() == 1);
    const sw::ArmSmmuInfo info = p.kernel_iommus()[0];
    CHECK(info.name == "iommu@2b400000");
    CHECK(info.node == "/iommu@2b400000");
    CHECK(info.registers == 0x2b400000);
    CHECK(info.registers_size == 0x10000);
    CHECK(info.global_irqs == std::vector<unsigned>{128});  // SPI 96
    CHECK(info.context_irqs == std::vector<unsigned>{129, 130, 131, 132, 133, 134, 135, 136});
    CHECK(info.disable_bypass);  // arm-smmu.disable_bypass=1 in bootargs
    // The SMMU's own DMA device (its page tables) is non-coherent and not among the workloads' devices.
    const platform::SmmuSpec& spec = p.iommus()[0];
    CHECK(spec.dma.name == "iommu@2b400000");
    CHECK_FALSE(spec.dma.dma.coherent);
    CHECK(spec.irq_lines == std::vector<std::string>{"smmu0.global", "smmu0.context0", "smmu0.context1",
                                                     "smmu0.context2", "smmu0.context3", "smmu0.context4",
                                                     "smmu0.context5", "smmu0.context6", "smmu0.context7"});

    // dma0 names the SMMU (stream ID 0x100) and gets its ops; dma1 does not and keeps the direct ops.
    REQUIRE(p.dma_devices().size() == 2);
    const platform::DmaDeviceSpec& translated = p.dma_devices()[0];
    REQUIRE(translated.dma.iommu);
    CHECK(translated.dma.iommu->iommu == "/iommu@2b400000");
    CHECK(translated.dma.iommu->ids == std::vector<uint32_t>{0x100});
    CHECK(translated.dma.ops == "iommu");
    CHECK(p.bus_masters()[0]->config().stream_id == 0x100);
    const platform::DmaDeviceSpec& direct = p.dma_devices()[1];
    CHECK_FALSE(direct.dma.iommu);
    CHECK(direct.dma.ops == "direct");
    CHECK(p.bus_masters()[1]->config().stream_id == 0x200);

    // The PCI host's functions: their requester ID is their stream ID, through the one map entry.
    std::vector<sw::PciHostBridgeInfo> hosts = p.kernel_pci_hosts();
    REQUIRE(hosts.size() == 1);
    REQUIRE(hosts[0].iommu_map);
    CHECK(hosts[0].iommu_map->iommu == "/iommu@2b400000");
    CHECK(hosts[0].iommu_map->fwspec(0x0008)->ids == std::vector<uint32_t>{0x8});   // 00:01.0
    CHECK(hosts[0].iommu_map->fwspec(0x0010)->ids == std::vector<uint32_t>{0x10});  // 00:02.0
    CHECK_FALSE(hosts[0].dma.iommu);      // a function's fwspec is its own, given at enumeration
    CHECK_FALSE(hosts[0].dma.untrusted);  // no external-facing

    // The SMMU's lines reach the GIC as irq.smmu0.* (declared before the run, so --vcd has them).
    std::map<std::string, std::string> events = instr.event_descriptions();
    CHECK(events.count("irq.smmu0.global"));
    CHECK(events.count("irq.smmu0.context7"));
}

TEST_CASE("iommu platform: a PCI function's IOVA space keeps out of the bridge's outbound windows and the gaps "
          "around its dma-ranges (iova_reserve_pci_windows)",
          "[iommu_platform]") {
    models::Instrumentation instr;
    platform::DeviceTree tree = platform::DeviceTree::load(iommu_platform);
    platform::Platform p(tree, platform::PlatformOptions{}, instr);
    const std::vector<dma::BusRange> reserved = p.kernel_pci_hosts().at(0).dma.iova_reserved;
    auto range = [](uint64_t start, uint64_t end) { return std::make_pair(start, end); };
    std::vector<std::pair<uint64_t, uint64_t>> got;
    for (const dma::BusRange& r : reserved)
        got.push_back(range(r.start, r.end));
    // The windows (PCI addresses, both ends inclusive), then from 0 to each dma-ranges window's first
    // address (Linux's reserve_iova(lo, hi) takes both pfns) and from each window's end up.
    CHECK(got == std::vector<std::pair<uint64_t, uint64_t>>{range(0x50000000, 0x5fffffff),
                                                            range(0x1000000000, 0x10ffffffff), range(0x0, 0x80000000),
                                                            range(0x100000000, 0x880000000),
                                                            range(0x900000000, ~0ULL)});
    // The GICv2m doorbell's bus address is among them: no IOVA can alias the page the bridge takes as MSIs.
    CHECK(reserved[2].start <= 0x2c1c0040);
    CHECK(reserved[2].end >= 0x2c1c0040);
}

TEST_CASE("iommu platform: the SMMU's node and the masters' IOMMU properties are checked as Linux checks them",
          "[iommu_platform][cli]") {
    TempDir dir;
    auto error_for = [&](const std::string& overrides) {
        Result r = describe(dir, overrides);
        CHECK(r.code == 2);
        return r.err;
    };
    // arm_smmu_device_probe: "found only 7 context irq(s) but 8 required".
    CHECK_THAT(error_for("-c '/iommu@2b400000:interrupts=<0 96 4 0 97 4 0 98 4 0 99 4 0 100 4 0 101 4 0 102 4 0 "
                         "103 4>'"),
               Catch::Contains("node /iommu@2b400000: property 'interrupts'") &&
                   Catch::Contains("one per context bank (8)") && Catch::Contains("got 8 interrupt(s)"));
    CHECK_THAT(error_for("-c '/iommu@2b400000:#global-interrupts=false'"),
               Catch::Contains("node /iommu@2b400000: property '#global-interrupts'"));
    CHECK_THAT(error_for("-c '/iommu@2b400000:#global-interrupts=<2>'"),
               Catch::Contains("property '#global-interrupts'") && Catch::Contains("got <2>"));
    CHECK_THAT(error_for("-c '/iommu@2b400000:reg=<0x0 0x2b400000 0x0 0x1000>'"),
               Catch::Contains("node /iommu@2b400000: property 'reg'") && Catch::Contains("at least 0x10000"));
    CHECK_THAT(error_for("-c '/iommu@2b400000:#iommu-cells=<3>'"),
               Catch::Contains("node /iommu@2b400000: property '#iommu-cells'"));
    // The context interrupts must be SPIs no other device drives: dma1's is SPI 17.
    CHECK_THAT(error_for("-c '/iommu@2b400000:interrupts=<0 96 4 0 17 4 0 98 4 0 99 4 0 100 4 0 101 4 0 102 4 0 103 "
                         "4 0 104 4>'"),
               Catch::Contains("node /iommu@2b400000: property 'interrupts'") && Catch::Contains("49"));
    // iommus only on a DMA master; never on a PCI function (its host's iommu-map), a bridge or the GIC.
    CHECK_THAT(error_for("-c '/pcie@40000000/ep@1,0:iommus=<1 8>'"),
               Catch::Contains("node /pcie@40000000/ep@1,0: property 'iommus'") && Catch::Contains("iommu-map"));
    CHECK_THAT(error_for("-c '/interrupt-controller@2c001000:iommus=<1 8>'"),
               Catch::Contains("node /interrupt-controller@2c001000: property 'iommus'"));
    CHECK_THAT(error_for("-c '/soc/dma-agent@1200000:iommu-map=<0 1 0 16>'"),
               Catch::Contains("node /soc/dma-agent@1200000: property 'iommu-map'"));
    // A bus master emits one stream ID: iommus and dmasim,stream-id must agree.
    CHECK_THAT(error_for("-c '/soc/dma-agent@1000000:dmasim,stream-id=<0x200>'"),
               Catch::Contains("node /soc/dma-agent@1000000: property 'dmasim,stream-id'") && Catch::Contains("0x100"));
    // The phandle of iommus must name the SMMU (the GIC's phandle is not one).
    CHECK_THAT(error_for("-c '/soc/dma-agent@1000000:iommus=<1 0x100>'"),
               Catch::Contains("node /soc/dma-agent@1000000: property 'iommus'"));
}

TEST_CASE("iommu platform: describe shows the SMMU and each device's ops, stream ID and IOMMU",
          "[iommu_platform][cli]") {
    TempDir dir;
    Result r = describe(dir);
    REQUIRE(r.code == 0);
    CHECK(r.err.empty());  // every node has a model: nothing skipped
    CHECK_THAT(r.out, Catch::Contains("IOMMUs:\n  smmu0 (/iommu@2b400000, arm,mmu-500): registers at 0x2b400000 (64 "
                                      "KiB); 8 context banks, 16 stream-match groups"));
    CHECK_THAT(r.out, Catch::Contains("non-coherent walk (its driver cleans each descriptor it writes)"));
    CHECK_THAT(r.out, Catch::Contains("IOTLB 128 entries, 4-way"));
    CHECK_THAT(r.out, Catch::Contains("global fault interrupt 128, context interrupts 129, 130, 131, 132, 133, 134, "
                                      "135, 136"));
    CHECK_THAT(r.out, Catch::Contains("dma-agent@1000000 (/soc/dma-agent@1000000, DMA by dma0): iommu ops via "
                                      "/iommu@2b400000, stream ID 0x100, non-coherent"));
    CHECK_THAT(r.out, Catch::Contains("dma-agent@1200000 (/soc/dma-agent@1200000, DMA by dma1): direct ops, "
                                      "non-coherent"));
    CHECK_THAT(r.out, Catch::Contains("dma0 (/soc/dma-agent@1000000) stream id 0x100"));
    CHECK_THAT(r.out, Catch::Contains("iommu-map: requester IDs 0x0+4096 -> stream IDs 0x0+ of /iommu@2b400000"));
    CHECK_THAT(r.out, Catch::Contains("ep0 00:01.0 (/pcie@40000000/ep@1,0, pci104c,b500)"));
    CHECK_THAT(r.out, Catch::Contains("iommu ops via /iommu@2b400000, stream ID 0x8, non-coherent, dma mask "
                                      "0xffffffff"));
    CHECK_THAT(r.out, Catch::Contains("iommu ops via /iommu@2b400000, stream ID 0x10,"));
    CHECK_THAT(r.out, Catch::Contains("iommu ops via /iommu@2b400000, stream ID 0x18,"));  // the NIC at 00:03.0
    // Behind the IOMMU a function's limit bounds its IOVAs, not the RAM it reaches.
    CHECK_THAT(r.out,
               Catch::Contains("so limit 0xffffffff (IOVAs below it, mapped by the IOMMU to any RAM); iommu ops"));
    CHECK_FALSE(contains(r.out, "(reaches cpu"));

    // external-facing on the bridge (Linux's binding, on its root port): its functions are untrusted.
    Result external = describe(dir, "-c '/pcie@40000000:external-facing=true'");
    REQUIRE(external.code == 0);
    CHECK_THAT(external.out, Catch::Contains("iommu ops via /iommu@2b400000, stream ID 0x8, untrusted, non-coherent"));
    CHECK_FALSE(contains(r.out, "untrusted"));

    // A coherent walker: dma-coherent on the node (ID0.CTTW).
    Result coherent = describe(dir, "-c '/iommu@2b400000:dma-coherent=true'");
    REQUIRE(coherent.code == 0);
    CHECK_THAT(coherent.out, Catch::Contains("coherent walk (snoops the caches, from /iommu@2b400000)"));
}

TEST_CASE("iommu platform: a run puts dma0 and the PCI functions on the IOMMU's ops, the SMMU on a track of its "
          "own and its fault line in the waveforms",
          "[iommu_platform][cli]") {
    TempDir dir;
    Result r = dmasim(dir, "run " + quote(DMASIM_SOURCE_DIR "/tests/scenarios/iommu/dma-selftest-iommu.yaml") +
                               " -q -o out --trace-json trace.json --vcd waves.vcd");
    REQUIRE(r.code == 0);
    nlohmann::json config = load_json(dir.path("out/config.json"));
    const nlohmann::json& described = config["platform"];
    CHECK(described["dma_devices"][0]["ops"] == "iommu");
    CHECK(described["dma_devices"][0]["iommu"]["node"] == "/iommu@2b400000");
    CHECK(described["dma_devices"][0]["iommu"]["stream_ids"] == nlohmann::json::array({"0x100"}));
    CHECK(described["dma_devices"][1]["ops"] == "direct");
    CHECK_FALSE(described["dma_devices"][1].contains("iommu"));
    CHECK(described["pci_host_bridges"][0]["endpoints"][0]["ops"] == "iommu");
    CHECK(described["iommus"][0]["context_banks"] == 8);
    CHECK(described["kernel"]["iommu_strict"] == true);
    CHECK(described["kernel"]["arm_smmu_disable_bypass"] == true);

    nlohmann::json trace = load_json(dir.path("trace.json"));
    std::map<unsigned, std::string> tracks;
    for (const nlohmann::json& record : trace["traceEvents"])
        if (record["ph"] == "M" && record["name"] == "thread_name")
            tracks[record["tid"].get<unsigned>()] = record["args"]["name"].get<std::string>();
    size_t walks = 0;
    for (const nlohmann::json& record : trace["traceEvents"])
        if (record["ph"] == "X" && record["name"] == "smmu.walk") {
            CHECK(tracks[record["tid"].get<unsigned>()] == "smmu0 (SMMU-500 /iommu@2b400000)");
            ++walks;
        }
    CHECK(walks == load_json(dir.path("out/stats.json"))["smmu0"]["walks"].get<size_t>());
    bool page_tables_track = false;
    for (const auto& [tid, name] : tracks)
        page_tables_track = page_tables_track || name == "iommu@2b400000 (page tables)";
    CHECK(page_tables_track);

    std::string waves = read_file(dir.path("waves.vcd"));
    CHECK(contains(waves, "$scope module fault $end"));
    CHECK(contains(waves, "smmu0"));

    // A coherent walker (dma-coherent on the SMMU): walks snoop the caches, so the driver writes its
    // tables without cleaning them, and the same run needs fewer cleans.
    nlohmann::json stats = load_json(dir.path("out/stats.json"));
    REQUIRE(dmasim(dir, "run " + quote(DMASIM_SOURCE_DIR "/tests/scenarios/iommu/dma-selftest-iommu.yaml") +
                            " -q -o coherent -c '/iommu@2b400000:dma-coherent=true'")
                .code == 0);
    nlohmann::json coherent = load_json(dir.path("coherent/stats.json"));
    CHECK(stats["smmu0"]["snooped_lines"] == 0);
    CHECK(coherent["smmu0"]["snooped_lines"].get<uint64_t>() > 0);
    CHECK(coherent["dma"]["maint"]["clean"].get<uint64_t>() < stats["dma"]["maint"]["clean"].get<uint64_t>());
}

TEST_CASE("iommu platform: a device the IOMMU cannot take is a simulation error naming it and the reason",
          "[iommu_platform][cli]") {
    TempDir dir;
    // Two stream-match groups: dma0 and 00:01.0 take them, 00:02.0 finds none (arm_smmu_master_alloc_smes).
    Result r = dmasim(dir,
                      "run --platform " + quote(iommu_platform) +
                          " --workload dma-selftest -q -o out -c '/iommu@2b400000:dmasim,stream-match-groups=<2>'");
    CHECK(r.code == 3);
    CHECK_THAT(r.err, Catch::Contains("0000:00:02.0") && Catch::Contains("/iommu@2b400000") &&
                          Catch::Contains("no free stream match register"));
}
