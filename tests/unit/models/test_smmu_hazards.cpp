// The SMMU under the coherence monitor: a stale IOTLB entry (its descriptor changed in memory with
// no invalidation) and a non-coherent walker reading a descriptor still dirty in a CPU cache, each
// against its fix (TLBIVA; a coherent walk). One elaboration per test case.
#include "smmu_sim.h"

#include "models/bus/bus_port.h"
#include "models/coherence/coherence_monitor.h"
#include "models/cpu/cache.h"
#include "platforms/app/outputs.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>

using namespace smmu_sim;

namespace {

constexpr unsigned bank = 0;
constexpr uint16_t asid = 3;
constexpr uint32_t sid = 0x10;
constexpr uint64_t iova = 0x10000000;
const models::Initiator cpu0{models::InitiatorKind::core, 0, 0};

// The CPU's cache in front of the bus: its write-backs and fills go through a BusPort.
struct CpuSide : sc_core::sc_module {
    tlm::tlm_initiator_socket<> out{"out"};
    models::BusPort port{out};
    models::Cache cache;

    CpuSide(sc_core::sc_module_name name, models::Instrumentation& instr)
        : sc_module(name), cache("cpu0.l1d", models::CacheGeometry{}, models::CacheTiming{}, instr) {
        cache.set_next_level(&port);
    }
};

// A mapped context under the monitor, with the CPU's cache.
struct WatchedRig : Rig {
    models::CoherenceMonitor monitor{instr, bus, 64, 100};
    CpuSide cpu_side{"cpu_side", instr};
    uint64_t root;
    uint64_t leaf_pa;

    explicit WatchedRig(const models::SmmuConfig& config = default_config())
        : Rig(config), root(new_table()), leaf_pa(map(root, iova, leaf(data_base))) {
        cpu_side.out.bind(bus.in);
        bus.add_observer(&monitor);
        monitor.add_cache(&cpu_side.cache);
        smmu.set_iotlb_observer(&monitor);
        elaborate();
        program_context(bank, asid, root);
        match_stream(0, sid, 0, bank);
        enable(false);
    }
    // The CPU rewrites a descriptor with an uncached store: memory has it at once.
    void store_descriptor(uint64_t pa, uint64_t value) {
        REQUIRE(cpu.access(tlm::TLM_WRITE_COMMAND, pa, &value, sizeof value, cpu0) == tlm::TLM_OK_RESPONSE);
    }
    uint64_t hazards(models::HazardKind kind) const { return monitor.count(kind); }
};

std::vector<uint8_t> bytes_of(uint64_t value) {
    std::vector<uint8_t> bytes(8);
    std::memcpy(bytes.data(), &value, 8);
    return bytes;
}

}  // namespace

TEST_CASE("stale_iotlb: the device hits an entry whose leaf was rewritten with no TLBI", "[smmu][coherence]") {
    WatchedRig rig;
    Translation filled = rig.translate(sid, iova + 0x40, true);
    REQUIRE(filled.ok());
    uint64_t fill_time = filled.delay_ps;  // the walk's end, from time 0
    // Unmap and map the IOVA again to another page without invalidating (IOVA reuse).
    uint64_t old_leaf = leaf(data_base), new_leaf = leaf(data_base + 0x3000);
    rig.store_descriptor(rig.leaf_pa, new_leaf);
    Translation stale = rig.translate(sid, iova + 0x80, false);
    REQUIRE(stale.ok());
    CHECK(stale.pa == data_base + 0x80);  // the IOTLB still gives the old page
    CHECK(rig.hazards(models::HazardKind::stale_iotlb) == 1);
    CHECK(rig.instr.counter_value("hazards.stale_iotlb") == 1);
    REQUIRE(rig.monitor.details().size() == 1);
    const models::Hazard& hazard = rig.monitor.details()[0];
    CHECK(hazard.kind == models::HazardKind::stale_iotlb);
    CHECK(hazard.address == rig.leaf_pa);
    CHECK(hazard.length == 8);
    CHECK(hazard.iova == iova + 0x80);
    CHECK(hazard.translated_pa == data_base + 0x80);
    REQUIRE(hazard.current_pa);
    CHECK(*hazard.current_pa == data_base + 0x3080);
    CHECK(hazard.filled_time_ps == fill_time);
    CHECK(hazard.previous_writer == "cpu0");
    CHECK(hazard.where == "smmu0 IOTLB");
    CHECK(hazard.actor.find("device3") == 0);
    CHECK(hazard.expected == bytes_of(new_leaf));
    CHECK(hazard.observed == bytes_of(old_leaf));
    // Each access through the stale entry is one.
    rig.translate(sid, iova, false);
    CHECK(rig.hazards(models::HazardKind::stale_iotlb) == 2);
}

TEST_CASE("stale_iotlb: an unmapped leaf the tables no longer give", "[smmu][coherence]") {
    WatchedRig rig;
    REQUIRE(rig.translate(sid, iova, false).ok());
    rig.store_descriptor(rig.leaf_pa, 0);  // __arm_lpae_clear_pte, no tlb_add_page
    REQUIRE(rig.translate(sid, iova, false).ok());
    REQUIRE(rig.monitor.details().size() == 1);
    CHECK_FALSE(rig.monitor.details()[0].current_pa);
}

TEST_CASE("stale_iotlb: a rewritten table descriptor above the leaf", "[smmu][coherence]") {
    WatchedRig rig;
    REQUIRE(rig.translate(sid, iova, false).ok());
    uint64_t level2 = rig.descriptor_address(rig.root, iova, 2);
    uint64_t other_table = rig.new_table();
    rig.set_descriptor(other_table + ((iova >> 12) & 0x1ff) * 8, leaf(data_base + 0x9000));
    rig.store_descriptor(level2, other_table | PTE_TYPE_TABLE);
    REQUIRE(rig.translate(sid, iova, false).ok());
    REQUIRE(rig.monitor.details().size() == 1);
    CHECK(rig.monitor.details()[0].address == level2);
    CHECK(*rig.monitor.details()[0].current_pa == data_base + 0x9000);
}

TEST_CASE("stale_iotlb fixed: TLBIVA after the change, the next access walks the new tables", "[smmu][coherence]") {
    WatchedRig rig;
    REQUIRE(rig.translate(sid, iova, true).ok());
    rig.store_descriptor(rig.leaf_pa, leaf(data_base + 0x3000));
    rig.write_cb64(bank, CB_TLBIVA, iova >> 12 | uint64_t(asid) << 48);
    rig.write_cb(bank, CB_TLBSYNC, 0);
    Translation t = rig.translate(sid, iova, false);
    REQUIRE(t.ok());
    CHECK(t.pa == data_base + 0x3000);
    REQUIRE(rig.translate(sid, iova, false).ok());
    CHECK(rig.hazards(models::HazardKind::stale_iotlb) == 0);
    CHECK(rig.monitor.total() == 0);
}

TEST_CASE("stale_iotlb: a write elsewhere in the descriptor's line, its value unchanged, is none",
          "[smmu][coherence]") {
    WatchedRig rig;
    REQUIRE(rig.translate(sid, iova, false).ok());
    rig.store_descriptor(rig.leaf_pa + 8, leaf(data_base + 0x1000));  // the next page's leaf
    REQUIRE(rig.translate(sid, iova + 0x1000, false).ok());
    REQUIRE(rig.translate(sid, iova, false).ok());
    CHECK(rig.hazards(models::HazardKind::stale_iotlb) == 0);
}

TEST_CASE("stale_iommu_walk: the walker reads a descriptor still dirty in the CPU's cache", "[smmu][coherence]") {
    WatchedRig rig;
    uint64_t fresh = iova + 0x2000;
    uint64_t leaf_pa = rig.descriptor_address(rig.root, fresh, 3);  // in the same table line as iova's
    uint64_t delay = 0;
    uint64_t value = leaf(data_base + 0x2000);
    rig.cpu_side.cache.write(leaf_pa, &value, sizeof value, cpu0, delay);  // no clean to the PoC
    Translation t = rig.translate(sid, fresh, false);
    CHECK_FALSE(t.ok());  // memory still holds the invalid entry
    CHECK(rig.cb(bank, CB_FSR) == FSR_TF);
    CHECK(rig.hazards(models::HazardKind::stale_iommu_walk) == 1);
    REQUIRE_FALSE(rig.monitor.details().empty());
    CHECK(rig.monitor.details()[0].address == leaf_pa);
    CHECK(rig.monitor.details()[0].actor == "iommu0 walker");
}

TEST_CASE("stale_iommu_walk fixed: a coherent walk (dma-coherent, ID0.CTTW) snoops the cache", "[smmu][coherence]") {
    models::SmmuConfig config = default_config();
    config.coherent_walk = true;
    WatchedRig rig(config);
    rig.smmu.add_snooped_cache(&rig.cpu_side.cache);
    uint64_t fresh = iova + 0x2000;
    uint64_t leaf_pa = rig.descriptor_address(rig.root, fresh, 3);
    uint64_t delay = 0;
    uint64_t value = leaf(data_base + 0x2000);
    rig.cpu_side.cache.write(leaf_pa, &value, sizeof value, cpu0, delay);
    Translation t = rig.translate(sid, fresh, false);
    REQUIRE(t.ok());
    CHECK(t.pa == data_base + 0x2000);
    CHECK(rig.monitor.total() == 0);
    CHECK(rig.instr.counter_value("smmu0.snooped_lines") == 4);
}

TEST_CASE("stale_iotlb: hazards.json and run.log carry its evidence", "[smmu][coherence]") {
    WatchedRig rig;
    platform::LogSink log;
    rig.instr.add_sink(&log, "hazard.*");
    REQUIRE(rig.translate(sid, iova, true).ok());
    rig.store_descriptor(rig.leaf_pa, 0);
    REQUIRE(rig.translate(sid, iova + 0x10, false).ok());
    nlohmann::ordered_json json = platform::hazards_json(&rig.monitor, nullptr);
    CHECK(json["counts"]["stale_iotlb"] == 1);
    const nlohmann::ordered_json& detail = json["details"].at(0);
    CHECK(detail["kind"] == "stale_iotlb");
    CHECK(detail["cache"] == "smmu0 IOTLB");
    CHECK(detail["iova"] == fmt::format("{:#x}", iova + 0x10));
    CHECK(detail["translated_pa"] == fmt::format("{:#x}", data_base + 0x10));
    CHECK(detail["current_pa"].is_null());
    CHECK(detail["filled_time_ps"] == 1000 + 4 * (2000 + ram_latency_ps));
    CHECK(detail["previous_writer"] == "cpu0");
    CHECK(log.text().find("hazard.stale_iotlb") != std::string::npos);
    CHECK(log.text().find(fmt::format("iova={:#x}", iova + 0x10)) != std::string::npos);
    CHECK(log.text().find("pa_now=\"none\"") != std::string::npos);
}
