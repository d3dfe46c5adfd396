// Masters behind the SMMU: the requester-ID map (Linux's of_map_id), a DmaPort translating each
// burst (and splitting at pages), the bus master's set_iommu and the PCI host bridge's set_iommu
// (inbound window first, then the IOMMU with the mapped stream ID; an unmapped requester bypasses).
// One elaboration per test case.
#include "smmu_sim.h"

#include "models/bus/bus_master.h"
#include "models/bus/bus_master_regs.h"
#include "models/bus/dma_port.h"
#include "models/pci/pci_endpoint_test.h"
#include "models/pci/pci_host_bridge.h"

#include <catch2/catch.hpp>

using namespace smmu_sim;

namespace {

constexpr unsigned bank = 1;
constexpr uint16_t asid = 7;
constexpr uint64_t iova = 0x10000000;

uint8_t pattern(uint64_t pa) { return static_cast<uint8_t>(pa * 7 + (pa >> 12)); }

// Translates stream `sid` through a context mapping iova -> data_base and iova + 4 KiB ->
// data_base + 20 KiB (not contiguous); iova + 8 KiB is not mapped. RAM holds pattern() there.
struct TwoPageRig : Rig {
    uint64_t root = new_table();

    TwoPageRig() {
        map(root, iova, leaf(data_base));
        map(root, iova + 0x1000, leaf(data_base + 0x5000));
        for (uint64_t pa : {data_base, data_base + 0x5000}) {
            std::vector<uint8_t> bytes(page_size);
            for (uint64_t i = 0; i < page_size; ++i)
                bytes[i] = pattern(pa + i);
            ram.backdoor_write(pa - ram_base, bytes.data(), bytes.size());
        }
    }
    void program(uint32_t sid) {
        program_context(bank, asid, root);
        match_stream(0, sid, 0, bank);
        enable(false);
    }
};

bool holds_pattern(const std::vector<uint8_t>& data, uint64_t offset, uint64_t pa, uint64_t length) {
    for (uint64_t i = 0; i < length; ++i)
        if (data[offset + i] != pattern(pa + i))
            return false;
    return true;
}

// A DMA engine's memory side, bare.
struct Engine : sc_core::sc_module {
    tlm::tlm_initiator_socket<> out{"out"};
    models::DmaPort port;
    Engine(sc_core::sc_module_name name, models::Instrumentation& instr)
        : sc_module(name), port(out, instr, "engine") {}
};

}  // namespace

TEST_CASE("map_requester_id: iommu-map and iommu-map-mask as Linux's of_map_id applies them", "[smmu]") {
    // iommu-map = <0x0 &smmu 0x100 0x100>, <0x200 &smmu 0x40 0x8>;
    std::vector<models::IommuMapEntry> map = {{0x0, 0x100, 0x100}, {0x200, 0x40, 0x8}};
    bool found = false;
    CHECK(models::map_requester_id(map, 0xffff, 0x08, found) == 0x108);
    CHECK(found);
    CHECK(models::map_requester_id(map, 0xffff, 0x203, found) == 0x43);
    CHECK(found);
    CHECK(models::map_requester_id(map, 0xffff, 0x100, found) == 0x100);  // between the entries: none
    CHECK_FALSE(found);
    // iommu-map-mask = <0xfff8>: the function bits dropped, every function of a slot one stream.
    CHECK(models::map_requester_id(map, 0xfff8, 0x0f, found) == 0x108);
    CHECK(found);
}

TEST_CASE("smmu: a DmaPort behind the SMMU translates each burst and splits at pages", "[smmu]") {
    constexpr uint32_t sid = 0x21;
    TwoPageRig rig;
    Engine engine("engine", rig.instr);
    engine.out.bind(rig.bus.in);
    rig.elaborate();
    rig.program(sid);
    engine.port.set_translator(&rig.smmu, sid);
    models::Initiator who{models::InitiatorKind::device, 1, sid};
    std::vector<uint8_t> data(0x3000);
    uint64_t delay = 0, failed = 0;
    // 8 KiB bursts: still one per page behind the IOMMU.
    REQUIRE(engine.port.read(iova + 0x800, data.data(), 0x1000, who, 8192, false, delay, &failed) ==
            tlm::TLM_OK_RESPONSE);
    CHECK(holds_pattern(data, 0, data_base + 0x800, 0x800));
    CHECK(holds_pattern(data, 0x800, data_base + 0x5000, 0x800));
    CHECK(rig.instr.counter_value("engine.bursts") == 2);
    CHECK(rig.stat("iotlb_misses") == 2);
    // 64-byte bursts over both pages and into the unmapped third: the fault ends it there.
    CHECK(engine.port.read(iova, data.data(), 0x3000, who, 64, false, delay, &failed) ==
          tlm::TLM_GENERIC_ERROR_RESPONSE);
    CHECK(failed == iova + 0x2000);
    CHECK(rig.instr.counter_value("engine.bursts") == 2 + 0x2000 / 64);
    CHECK(rig.stat("iotlb_hits") == 0x2000 / 64);
    CHECK(rig.cb64(bank, CB_FAR) == iova + 0x2000);
    // A write lands at the translated address.
    std::vector<uint8_t> ones(16, 0xee);
    REQUIRE(engine.port.write(iova + 0x1010, ones.data(), ones.size(), who, 64, false, delay) == tlm::TLM_OK_RESPONSE);
    uint8_t landed[16];
    rig.ram.backdoor_read(data_base + 0x5010 - ram_base, landed, sizeof landed);
    CHECK(std::vector<uint8_t>(landed, landed + 16) == ones);
}

TEST_CASE("smmu: a bus master behind the SMMU (set_iommu) reads through it and reports a fault as BUS", "[smmu]") {
    using namespace bus_master;
    constexpr uint32_t sid = 0x30;
    TwoPageRig rig;
    models::BusMasterConfig config;
    config.stream_id = 5;  // its dmasim,stream-id; the SMMU sees the iommus specifier's
    config.buffer_size = 0x4000;
    models::BusMaster master("dma0", config, rig.instr);
    Port mmio("mmio"), buffer("buffer");
    master.dma_out.bind(rig.bus.in);
    mmio.out.bind(master.mmio_in);
    buffer.out.bind(master.buffer_in);
    master.set_iommu(rig.smmu, sid);
    rig.elaborate();
    rig.program(sid);
    auto write = [&](unsigned offset, uint32_t value) {
        REQUIRE(mmio.access(tlm::TLM_WRITE_COMMAND, offset, &value, 4) == tlm::TLM_OK_RESPONSE);
    };
    auto read = [&](unsigned offset) {
        uint32_t value = 0;
        REQUIRE(mmio.access(tlm::TLM_READ_COMMAND, offset, &value, 4, {}, 1000000000) == tlm::TLM_OK_RESPONSE);
        return value;
    };
    write(BM_SRC_LO, static_cast<uint32_t>(iova + 0xf00));
    write(BM_SRC_HI, 0);
    write(BM_LENGTH, 0x200);
    write(BM_COMMAND, COMMAND_READ);
    CHECK(read(BM_STATUS) == STATUS_DONE);
    std::vector<uint8_t> data(0x200);
    REQUIRE(buffer.access(tlm::TLM_READ_COMMAND, 0, data.data(), 0x200) == tlm::TLM_OK_RESPONSE);
    CHECK(holds_pattern(data, 0, data_base + 0xf00, 0x100));
    CHECK(holds_pattern(data, 0x100, data_base + 0x5000, 0x100));

    write(BM_SRC_LO, static_cast<uint32_t>(iova + 0x1f00));
    write(BM_COMMAND, COMMAND_READ);
    uint32_t status = read(BM_STATUS);
    CHECK((status & STATUS_ERROR) != 0);
    CHECK(status_cause(status) == CAUSE_BUS);
    CHECK(read(BM_ERROR_ADDR_LO) == iova + 0x2000);  // the burst the SMMU refused
    CHECK(rig.gr1(GR1_CBFRSYNRA(bank)) == sid);
}

TEST_CASE("smmu: the PCI host bridge translates through its window, then the SMMU as iommu-map says", "[smmu]") {
    constexpr uint32_t sid = 0x108;  // requester 00:01.0 through iommu-map = <0x0 &smmu 0x100 0x10>
    TwoPageRig rig;
    models::PciHostBridgeConfig config;
    config.inbound.push_back(models::InboundWindow{0x0, 0x0, 1ULL << 32});  // bus address = IOVA
    config.inbound.push_back(models::InboundWindow{0x100000000, ram_base, 1ULL << 30});
    models::PciHostBridge bridge("pci0", config, rig.instr);
    models::PciEndpointConfig mapped_config, unmapped_config;
    mapped_config.devfn = 0x08;  // rid 0x0008
    unmapped_config.number = 1;
    unmapped_config.devfn = 0x10;  // rid 0x0010: 00:02.0, outside the map
    models::PciEndpointTest mapped("ep0", mapped_config, 1, rig.instr);
    models::PciEndpointTest unmapped("ep1", unmapped_config, 1, rig.instr);
    bridge.attach(mapped, std::nullopt);
    bridge.attach(unmapped, std::nullopt);
    Port ecam("ecam");
    ecam.out.bind(bridge.cfg_in);
    bridge.dma_out.bind(rig.bus.in);
    bridge.set_iommu(rig.smmu, {{0x0, 0x100, 0x10}}, 0xffff);
    rig.elaborate();
    rig.program(sid);

    std::vector<uint8_t> data(0x100);
    uint64_t delay = 0;
    CHECK(bridge.memory_read(mapped, iova + 0x1000, data.data(), 0x100, delay) == models::PciDmaStatus::ok);
    CHECK(holds_pattern(data, 0, data_base + 0x5000, 0x100));
    CHECK(rig.stat("walks") == 1);
    // The other endpoint has no stream in the map: its bus addresses reach memory through the window only.
    CHECK(bridge.memory_read(unmapped, 0x100000000 + (data_base - ram_base), data.data(), 0x100, delay) ==
          models::PciDmaStatus::ok);
    CHECK(holds_pattern(data, 0, data_base, 0x100));
    CHECK(rig.stat("walks") == 1);
    CHECK(rig.stat("bypassed") == 0);
    // A fault is an error completion for the endpoint, reported with its stream ID.
    CHECK(bridge.memory_read(mapped, iova + 0x2000, data.data(), 0x100, delay) ==
          models::PciDmaStatus::unsupported_request);
    CHECK(rig.gr1(GR1_CBFRSYNRA(bank)) == sid);
}
