// The typed records the DMA layer gives its mapping listeners for each map, unmap, alloc and free
// call (dma/mapping_listener.h), and dma::MappingHistory, built from them: which mapping covers an
// address, live or recently ended (the hazards' evidence and the timeline use it).
#include "dma/mapping_history.h"
#include "dma/mapping_listener.h"
#include "dma_sim.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

using namespace dma_sim;
using dma::DebugType;
using dma::DmaDirection;
using dma::DmaMapping;
using dma::MappingCall;
using dma::MappingChange;
using dma::MappingHistory;
using dma::MappingRecord;

namespace {

// A call's record as the DMA layer gives it (dma/mapping.cpp).
MappingRecord record(MappingCall call, const std::string& device, uint64_t start_ps, uint64_t dma_addr, uint64_t pa,
                     uint64_t size, std::optional<DmaDirection> dir = DmaDirection::from_device,
                     uint64_t duration_ps = 100) {
    DebugType type = dir ? DebugType::single : DebugType::coherent;
    return MappingRecord{call, device, type, dir, dma_addr, pa, size, start_ps, duration_ps, {}};
}

// Every record the layer gives, and, in one list, the records and the events in the order they came.
class Recorder : public dma::MappingListener, public models::EventSink {
public:
    void on_mapping_call(const MappingRecord& record) override {
        records.push_back(record);
        order.push_back(std::string("record ") + dma::event_name(record.call));
    }
    void on_event(const models::Event& event) override {
        events.push_back(event);
        order.push_back("event " + *event.name);
    }

    std::vector<MappingRecord> records;
    std::vector<models::Event> events;
    std::vector<std::string> order;
};

const uint64_t* unsigned_field(const models::Event& event, const std::string& key) {
    for (const models::Field& field : event.fields)
        if (field.key == key)
            return std::get_if<uint64_t>(&field.value);
    return nullptr;
}

}  // namespace

TEST_CASE("mapping history: live mappings by bus address, ends, and the latest mapping covering an address",
          "[dma][mapping]") {
    MappingHistory history({{"eth0", "dma0"}, {"eth1", "dma0"}});
    MappingHistory::Applied opened = history.apply(record(MappingCall::map, "eth0", 1000, 0x8000, 0x48000, 0x100));
    REQUIRE(opened.change == MappingChange::open);
    REQUIRE(opened.mapping);
    CHECK(opened.mapping->serial == 1);
    CHECK(opened.mapping->type == DebugType::single);
    CHECK(opened.mapping->direction == DmaDirection::from_device);
    CHECK(opened.mapping->mapped_ps == 1000);
    CHECK(opened.mapping->map_call_ps == 100);
    CHECK(history.live_count() == 1);

    // Bus addresses are looked up in the bus master's space, bounded by the mapping's size.
    CHECK(history.live_at("dma0", 0x8000) == history.live_at("dma0", 0x80ff));
    REQUIRE(history.live_at("dma0", 0x80ff));
    CHECK(history.live_at("dma0", 0x80ff)->device == "eth0");
    CHECK_FALSE(history.live_at("dma0", 0x8100));
    CHECK_FALSE(history.live_at("dma0", 0x7fff));
    CHECK_FALSE(history.live_at("eth0", 0x8000));  // the device's space is its master's

    // A failed map opens nothing; an unmap by another device of the same master ends nothing.
    CHECK(history.apply(record(MappingCall::map, "eth0", 1100, dma::DMA_MAPPING_ERROR, 0, 0x100)).change ==
          MappingChange::none);
    MappingHistory::Applied foreign = history.apply(record(MappingCall::unmap, "eth1", 1200, 0x8000, 0x48000, 0x100));
    CHECK(foreign.change == MappingChange::close);
    CHECK_FALSE(foreign.mapping);
    CHECK(history.live_count() == 1);

    // A second mapping of the same bytes: the latest one covers them.
    history.apply(record(MappingCall::alloc, "eth1", 2000, 0x9000, 0x48080, 0x100, std::nullopt));
    REQUIRE(history.covering(0x48080));
    CHECK(history.covering(0x48080)->serial == 2);
    CHECK(history.covering(0x48080)->type == DebugType::coherent);
    CHECK_FALSE(history.covering(0x48080)->direction);  // an allocation's
    CHECK(history.covering(0x4807f)->serial == 1);
    CHECK_FALSE(history.covering(0x48180));

    // Once unmapped, a mapping still covers its bytes, with the end of its unmap call.
    MappingHistory::Applied closed = history.apply(record(MappingCall::unmap, "eth0", 3000, 0x8000, 0x48000, 0x100,
                                                          DmaDirection::from_device, 250));
    REQUIRE(closed.mapping);
    CHECK(closed.mapping->serial == 1);
    CHECK(history.live_count() == 1);
    CHECK_FALSE(history.live_at("dma0", 0x8000));
    const DmaMapping* ended = history.covering(0x48000);
    REQUIRE(ended);
    CHECK(ended->serial == 1);
    REQUIRE(ended->unmapped_ps);
    CHECK(*ended->unmapped_ps == 3250);
    CHECK_FALSE(history.covering(0x48080)->unmapped_ps);

    // A free closes an allocation as an unmap closes a mapping.
    CHECK(history.apply(record(MappingCall::free, "eth1", 4000, 0x9000, 0x48080, 0x100, std::nullopt)).mapping);
    CHECK(history.live_count() == 0);
}

TEST_CASE("mapping history: only the last ended_kept ended mappings are remembered", "[dma][mapping]") {
    MappingHistory history({});
    const uint64_t count = MappingHistory::ended_kept + 1;
    for (uint64_t i = 0; i < count; ++i) {  // one page each, mapped and unmapped in turn
        history.apply(record(MappingCall::map, "dev", 10 * i, 0x1000 * i, 0x40000000 + 0x1000 * i, 0x1000));
        history.apply(record(MappingCall::unmap, "dev", 10 * i + 5, 0x1000 * i, 0x40000000 + 0x1000 * i, 0x1000));
    }
    CHECK(history.live_count() == 0);
    CHECK_FALSE(history.covering(0x40000000));  // the first, forgotten
    REQUIRE(history.covering(0x40001000));
    CHECK(history.covering(0x40001000)->serial == 2);
    REQUIRE(history.covering(0x40000000 + 0x1000 * (count - 1)));
    CHECK(history.covering(0x40000000 + 0x1000 * (count - 1))->serial == count);
}

TEST_CASE("mapping listeners: a typed record of each map, unmap, alloc and free, just before its event",
          "[dma][mapping]") {
    dma::Policy no_swiotlb;
    no_swiotlb.swiotlb_slots = 0;  // so that a buffer beyond the mask fails instead of bouncing
    Recorder recorder;             // before the simulation, which they outlive
    MappingHistory history({});
    Sim sim({}, no_swiotlb);
    sim.context.add_mapping_listener(recorder);
    sim.context.add_mapping_listener(history);
    sim.context.instr().add_sink(&recorder, "dma.map,dma.unmap,dma.alloc,dma.free");
    const std::string device = sim.dev.name();
    uint64_t single_pa = 0, coherent_cpu = 0, pages_pa = 0, unreachable_pa = 0;
    dma::dma_addr_t single = 0, coherent = 0, pages = 0, failed = 0;
    std::vector<dma::Scatterlist> sgl(2);
    int sg_mapped = 0;
    std::string fault = sim.run([&] {
        // Allocated first, so that its bytes cannot be pages an earlier allocation had.
        uint64_t unreachable = sim.kernel.kmalloc().kmalloc(64);
        unreachable_pa = sw::Kernel::virt_to_phys(unreachable);

        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        single_pa = sw::Kernel::virt_to_phys(va);
        single = dma::map_single(sim.dev, va, 256, DmaDirection::to_device);
        dma::unmap_single(sim.dev, single, 256, DmaDirection::to_device);

        coherent_cpu = dma::alloc_coherent(sim.dev, 4096, coherent);
        dma::free_coherent(sim.dev, 4096, coherent_cpu, coherent);

        pages_pa = dma::alloc_pages(sim.dev, 4096, pages, DmaDirection::bidirectional);
        dma::free_pages(sim.dev, 4096, pages_pa, pages, DmaDirection::bidirectional);

        for (dma::Scatterlist& sg : sgl) {
            sg.pa = sim.kernel.alloc_contiguous(4096);
            sg.length = 512;
        }
        sg_mapped = dma::map_sg(sim.dev, sgl, 2, DmaDirection::from_device);
        dma::unmap_sg(sim.dev, sgl, 2, DmaDirection::from_device);

        sim.dev.store_dma_mask(dma::dma_bit_mask(31));  // RAM starts at 2 GiB: every buffer is beyond it
        failed = dma::map_single(sim.dev, unreachable, 64, DmaDirection::from_device);
    });
    REQUIRE(fault.empty());
    REQUIRE(coherent_cpu);
    REQUIRE(pages_pa);
    REQUIRE(sg_mapped == 2);
    CHECK(failed == dma::DMA_MAPPING_ERROR);

    struct Expected {
        MappingCall call;
        DebugType type;
        std::optional<DmaDirection> direction;
        dma::dma_addr_t dma_addr;
        uint64_t size;
        MappingChange change;
    };
    const std::vector<Expected> expected = {
        {MappingCall::map, DebugType::single, DmaDirection::to_device, single, 256, MappingChange::open},
        {MappingCall::unmap, DebugType::single, DmaDirection::to_device, single, 256, MappingChange::close},
        {MappingCall::alloc, DebugType::coherent, std::nullopt, coherent, 4096, MappingChange::open},
        {MappingCall::free, DebugType::coherent, std::nullopt, coherent, 4096, MappingChange::close},
        {MappingCall::alloc, DebugType::noncoherent, DmaDirection::bidirectional, pages, 4096, MappingChange::open},
        {MappingCall::free, DebugType::noncoherent, DmaDirection::bidirectional, pages, 4096, MappingChange::close},
        {MappingCall::map, DebugType::sg, DmaDirection::from_device, sgl[0].dma_address, 512, MappingChange::open},
        {MappingCall::map, DebugType::sg, DmaDirection::from_device, sgl[1].dma_address, 512, MappingChange::open},
        {MappingCall::unmap, DebugType::sg, DmaDirection::from_device, sgl[0].dma_address, 512, MappingChange::close},
        {MappingCall::unmap, DebugType::sg, DmaDirection::from_device, sgl[1].dma_address, 512, MappingChange::close},
        {MappingCall::map, DebugType::single, DmaDirection::from_device, dma::DMA_MAPPING_ERROR, 64,
         MappingChange::none},
    };
    REQUIRE(recorder.records.size() == expected.size());
    REQUIRE(recorder.events.size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        INFO("record " << i);
        const MappingRecord& got = recorder.records[i];
        CHECK(got.call == expected[i].call);
        CHECK(got.device == device);
        CHECK(got.type == expected[i].type);
        CHECK(got.direction == expected[i].direction);
        CHECK(got.dma_addr == expected[i].dma_addr);
        CHECK(got.size == expected[i].size);
        CHECK(got.change() == expected[i].change);
        if (got.change() != MappingChange::none)
            CHECK(got.pa == got.dma_addr);  // no dma-ranges on this platform: bus address = physical address
        // Told first, then emitted as the event with the same values.
        CHECK(recorder.order[2 * i] == std::string("record ") + dma::event_name(got.call));
        CHECK(recorder.order[2 * i + 1] == std::string("event ") + dma::event_name(got.call));
        const models::Event& event = recorder.events[i];
        CHECK(event.source == got.device);
        CHECK(event.time_ps == got.start_ps);
        REQUIRE(unsigned_field(event, "dma_addr"));
        CHECK(*unsigned_field(event, "dma_addr") == got.dma_addr);
        REQUIRE(unsigned_field(event, "duration_ps"));
        CHECK(*unsigned_field(event, "duration_ps") == got.duration_ps);
        if (i > 0)
            CHECK(got.start_ps >= recorder.records[i - 1].start_ps);
    }
    CHECK(recorder.records[0].pa == single_pa);
    CHECK(recorder.records[0].duration_ps > 0);  // the map cleaned the buffer's lines

    // The history followed them all: five mappings opened and ended, the failed one none.
    CHECK(history.live_count() == 0);
    const DmaMapping* mapped = history.covering(single_pa);
    REQUIRE(mapped);
    CHECK(mapped->serial == 1);
    CHECK(mapped->unmapped_ps == recorder.records[1].start_ps + recorder.records[1].duration_ps);
    REQUIRE(history.covering(sgl[1].dma_address));
    CHECK(history.covering(sgl[1].dma_address)->serial == 5);
    CHECK_FALSE(history.covering(unreachable_pa));
}
