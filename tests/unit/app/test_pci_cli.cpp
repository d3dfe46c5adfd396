// The PCI platforms and seed experiment 1 through the dmasim binary: describe, the scenario pair,
// `dmasim run` with no arguments, and bad bridge nodes.
#include "cli_runner.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>
#include <filesystem>

namespace {

const std::string scenarios = DMASIM_SOURCE_DIR "/tests/scenarios/";

}  // namespace

TEST_CASE("pci cli: describe shows the bridge's windows and each endpoint's DMA limit, coherence and ops",
          "[pci][cli]") {
    TempDir dir;
    Result r = dmasim(dir, "describe arm-pci-noncoherent.dts");
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "pci0 (/pcie@40000000, pci-host-ecam-generic): ECAM at 0x40000000 (16 MiB, buses 00-0f), "
                          "non-coherent"));
    CHECK(contains(r.out, "outbound: cpu 0x50000000 -> pci 0x50000000, 256 MiB (mem32)"));
    CHECK(contains(r.out, "outbound: cpu 0x1000000000 -> pci 0x1000000000, 4 GiB (mem64, prefetchable)"));
    CHECK(contains(r.out, "inbound:  pci 0x0 -> cpu 0x80000000, 1 GiB"));
    CHECK(contains(r.out, "inbound:  pci 0x880000000 -> cpu 0x880000000, 2 GiB"));
    // The 32-bit and the 30-bit endpoint differ: each one's own mask limits it below the bus limit
    // (the end of the bridge's highest inbound window).
    CHECK(contains(r.out, "ep0 00:01.0 (/pcie@40000000/ep@1,0, pci104c,b500) DMA test endpoint: 32-bit DMA: engine "
                          "limit 0xffffffff, bus limit 0x8ffffffff, so limit 0xffffffff (reaches cpu "
                          "0x80000000-0xbfffffff); direct ops, non-coherent"));
    CHECK(contains(r.out, "ep1 00:02.0 (/pcie@40000000/ep@2,0, pci104c,b500) DMA test endpoint: 30-bit DMA: engine "
                          "limit 0x3fffffff, bus limit 0x8ffffffff, so limit 0x3fffffff (reaches cpu "
                          "0x80000000-0xbfffffff); direct ops, non-coherent"));
    // A 64-bit engine reaches the high RAM through the second window: the bus limit is its limit.
    Result wide = dmasim(dir, "describe arm-pci-noncoherent.dts -c '/pcie@40000000/usb@4,0:dmasim,dma-bits=<64>'");
    REQUIRE(wide.code == 0);
    CHECK(contains(wide.out, "64-bit DMA: engine limit 0xffffffffffffffff, bus limit 0x8ffffffff, so limit "
                             "0x8ffffffff (reaches cpu 0x80000000-0xbfffffff, cpu 0x880000000-0x8ffffffff)"));
    // A bridge without dma-ranges imposes no bus limit.
    Result identity = dmasim(dir, "describe arm-pci-noncoherent.dts -c /pcie@40000000:dma-ranges=false");
    REQUIRE(identity.code == 0);
    CHECK(contains(identity.out, "32-bit DMA: engine limit 0xffffffff, bus limit none, so limit 0xffffffff"));
    CHECK(contains(r.out, "INTA -> IRQ 169"));
    Result coherent = dmasim(dir, "describe arm-pci-coherent.dts");
    REQUIRE(coherent.code == 0);
    CHECK(contains(coherent.out, "coherent (snoops the caches)"));
    CHECK(contains(coherent.out, "direct ops, coherent"));
    Result local = dmasim(dir, "describe arm-pci-localmem.dts");
    REQUIRE(local.code == 0);
    CHECK(contains(local.out, "0x0048000000-0x00480fffff  pci0_mem pci-memory"));
    CHECK(contains(local.out, "local memory: 1 MiB at 0x48000000 (coherent pool of its functions)"));
    CHECK(contains(local.out, "coherent pool: pci0-local-memory (1 MiB, per-device, no fallback)"));
}

TEST_CASE("pci cli: describe and config.json name what ends ZONE_DMA: /soc's dma-ranges, else the 4 GiB cap",
          "[pci][cli][mm]") {
    TempDir dir;
    Result r = dmasim(dir, "describe arm-pci-noncoherent.dts");
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "ZONE_DMA below 0xc0000000 (the dma-ranges of /soc)\n"));
    CHECK(contains(r.out, "dma0 (/soc/dma-agent@1000000) stream id 0x10, 64 B bursts, non-coherent"));
    Result capped = dmasim(dir, "describe arm-pci-noncoherent.dts -c /soc:dma-ranges=false");
    REQUIRE(capped.code == 0);
    CHECK(contains(capped.out, "ZONE_DMA below 0x100000000 (the 4 GiB cap)\n"));
    // A platform without dma-ranges: all its RAM, which ends below 4 GiB, is ZONE_DMA.
    Result plain = dmasim(dir, "describe arm-noncoherent.dts");
    REQUIRE(plain.code == 0);
    CHECK(contains(plain.out, "ZONE_DMA below 0xc0000000 (the end of RAM)\n"));

    Result run = dmasim(dir, "run --platform arm-pci-noncoherent.dts --workload memtest -c /soc:dma-ranges=false "
                             "-o capped --quiet");
    REQUIRE(run.code == 0);
    nlohmann::json kernel = load_json(dir.path("capped/config.json"))["platform"]["kernel"];
    CHECK(kernel["zone_dma_limit"] == "0x100000000");
    CHECK(kernel["zone_dma_set_by"] == "4 GiB cap");
    CHECK(kernel["zone_dma_node"].is_null());
    Result soc = dmasim(dir, "run --platform arm-pci-noncoherent.dts --workload memtest -o soc --quiet");
    REQUIRE(soc.code == 0);
    kernel = load_json(dir.path("soc/config.json"))["platform"]["kernel"];
    CHECK(kernel["zone_dma_limit"] == "0xc0000000");
    CHECK(kernel["zone_dma_set_by"] == "dma-ranges");
    CHECK(kernel["zone_dma_node"] == "/soc");
}

TEST_CASE("pci cli: the seed-missing-sync pair passes, broken with stale reads and wrong data, fixed without",
          "[pci][cli]") {
    TempDir dir;
    Result broken = dmasim(dir, "run " + quote(scenarios + "pci/seed-missing-sync-broken.yaml") + " -o broken --quiet");
    Result fixed = dmasim(dir, "run " + quote(scenarios + "pci/seed-missing-sync-fixed.yaml") + " -o fixed --quiet");
    REQUIRE(broken.code == 0);
    REQUIRE(fixed.code == 0);
    nlohmann::json without = load_json(dir.path("broken/stats.json"));
    nlohmann::json with = load_json(dir.path("fixed/stats.json"));
    CHECK(without["hazards"]["stale_cpu_read"].get<uint64_t>() > 0);
    CHECK(without["workload"]["data_errors"].get<uint64_t>() > 0);
    CHECK(with["hazards"]["stale_cpu_read"].get<uint64_t>() == 0);
    CHECK(with["workload"]["data_errors"].get<uint64_t>() == 0);
    CHECK(without["result"] == "pass");
    CHECK(with["result"] == "pass");
    nlohmann::json hazards = load_json(dir.path("broken/hazards.json"));
    REQUIRE(hazards.contains("details"));
    REQUIRE_FALSE(hazards["details"].empty());
    CHECK(contains(hazards["details"][0].dump(), "ep0 (rid 00:01.0)"));  // the device's write, named
}

TEST_CASE("pci cli: run with no arguments runs experiment 1 broken and fixed and prints the contrast", "[pci][cli]") {
    TempDir dir;
    Result r = dmasim(dir, "run");
    REQUIRE(r.code == 0);
    CHECK(contains(r.out, "seed-missing-sync-broken  pass"));
    CHECK(contains(r.out, "seed-missing-sync-fixed   pass"));
    CHECK(contains(r.out, "broken: no sync_for_cpu"));
    CHECK(contains(r.out, "wrong checksums                                  8 of 8                   0 of 8"));
    nlohmann::json config = load_json(dir.path("simout/seed-missing-sync-broken/config.json"));
    CHECK(config["workload"] == "seed-missing-sync");
    CHECK(std::filesystem::is_regular_file(dir.path("simout/seed-missing-sync-fixed/hazards.json")));
    Result quiet = dmasim(dir, "run -o again --quiet");
    CHECK(quiet.code == 0);
    CHECK(quiet.out.empty());
    CHECK(std::filesystem::is_regular_file(dir.path("again/seed-missing-sync-fixed/stats.json")));
    Result lonely = dmasim(dir, "run -p fixed=true -o out --quiet");
    CHECK(lonely.code == 2);
    CHECK(contains(lonely.err, "need --workload or a scenario file"));
}

TEST_CASE("pci cli: a bridge node that does not fit its binding exits 2 naming the node and property", "[pci][cli]") {
    TempDir dir;
    Result buses = dmasim(dir, "describe arm-pci-noncoherent.dts -c '/pcie@40000000:bus-range=<0x0 0x1f>'");
    CHECK(buses.code == 2);
    CHECK(contains(buses.err, "node /pcie@40000000: property 'bus-range': expected buses ECAM covers (16 MiB: 16 "
                              "buses), got 32 buses"));
    Result devfn = dmasim(dir, "describe arm-pci-noncoherent.dts -c '/pcie@40000000/ep@2,0:reg=<0x0800 0 0 0 0>'");
    CHECK(devfn.code == 2);
    CHECK(contains(devfn.err, "node /pcie@40000000/ep@2,0: property 'reg': expected a devfn no other function uses"));
}

// A PCI function's `compatible` in the IEEE 1275 PCI binding's forms: the model is chosen by the
// vendor and device IDs of the first ID entry that has one; class entries name no model.
TEST_CASE("pci cli: a function's compatible takes the PCI binding's forms - only malformed entries are errors",
          "[pci][cli]") {
    TempDir dir;
    auto with_compatible = [&](const std::string& entries) {
        std::string dts = dir.write("compatible.dts", "/include/ \"" DMASIM_SOURCE_DIR
                                                      "/platforms/arm-pci-noncoherent.dts\"\n"
                                                      "&{/pcie@40000000/ep@2,0} { compatible = " +
                                                          entries + "; };\n");
        return dmasim(dir, "describe " + quote(dts));
    };
    for (const char* entries : {R"("pci104c,b500.1af4.1.2", "pci104c,b500.1af4.1", "pci1af4,1", "pci104c,b500.2", )"
                                R"("pci104c,b500", "pciclass,ff0000", "pciclass,ff00")",
                                R"("pci1234,5678", "pci104c,b500.2")", R"("acme,dma-tester", "pci104c,b500")"}) {
        INFO(entries);
        Result bound = with_compatible(entries);
        CHECK(bound.code == 0);
        CHECK(contains(bound.out, "ep1 00:02.0 (/pcie@40000000/ep@2,0, pci104c,b500) DMA test endpoint"));
        CHECK_FALSE(contains(bound.err, "node skipped"));
    }
    Result unknown = with_compatible(R"("pci1234,5678.1.2", "pciclass,ff00")");
    CHECK(unknown.code == 0);
    CHECK(contains(unknown.err, "node /pcie@40000000/ep@2,0: no PCI endpoint model for compatible "
                                "\"pci1234,5678.1.2\", \"pciclass,ff00\"; node skipped"));
    CHECK_FALSE(contains(unknown.out, "/pcie@40000000/ep@2,0"));
    Result class_only = with_compatible(R"("pciclass,060400", "pciclass,0604")");
    CHECK(class_only.code == 0);
    CHECK(contains(class_only.err, "node /pcie@40000000/ep@2,0: no vendor and device ID to choose a PCI endpoint "
                                   "model by, only class entries in compatible \"pciclass,060400\", "
                                   "\"pciclass,0604\"; node skipped"));
    for (const char* malformed :
         {"pci104c-b500", "pci0x104c,b500", "pci104c,b500z", "pci12345,1", "pci104c,b500.123", "pci104c,b500.1.2.3.4",
          "pci104c,b500.", "pci104c,", "pciclass,06040", "pciclass,0604000", "pciclass,06zz"}) {
        INFO(malformed);
        Result bad = with_compatible(std::string("\"pci104c,b500\", \"") + malformed + "\"");
        CHECK(bad.code == 2);
        CHECK(contains(bad.err, std::string("node /pcie@40000000/ep@2,0: property 'compatible': expected PCI binding "
                                            "entries \"pciVVVV,DDDD\", \"pciVVVV,DDDD.RR\", "
                                            "\"pciVVVV,DDDD.SSSS.ssss[.RR]\" (IDs of 1 to 4 hex digits, RR of 1 or "
                                            "2) or \"pciclass,CCSS[PP]\", got \"") +
                                    malformed + "\""));
    }
    Result none = with_compatible(R"("ep")");
    CHECK(none.code == 2);
    CHECK(contains(none.err, "node /pcie@40000000/ep@2,0: property 'compatible': expected a PCI binding entry "
                             "(\"pciVVVV,DDDD\" or \"pciclass,CCSS\" forms), got \"ep\""));
}
