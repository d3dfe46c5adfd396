// Buffer objects (sw/drivers/gpu/ttm_bo.h): the move decision for each pair of devices -- a target
// that reaches the pages (rebind), one that does not (bounce, or copy when asked or when its pool
// wants DMA32 or its own pages), one behind an IOMMU (the same pages at an IOVA) -- the data through
// a move, and the hazard TTM leaves open: CPU writes to cached pages after populate reach a
// non-coherent device stale, unless the CPU-access bracket syncs them.
#include "pci_sim.h"

#include "models/pci/pci_endpoint_test_regs.h"
#include "sw/drivers/gpu/ttm_bo.h"
#include "sw/kernel/kernel.h"
#include "sw/workloads/workload.h"

using pci_sim::PciSim;
using sw::TtmBufferObject;
using sw::TtmCaching;
using sw::TtmDevice;
using sw::TtmMoveKind;
using sw::TtmMovePolicy;
using sw::TtmPoolSwitches;

namespace {

const std::vector<std::string> wide_ep1 = {"/pcie@40000000/ep@1,0:dmasim,dma-bits=<64>"};
const char* ep1 = "0000:00:01.0";
const char* ep2 = "0000:00:02.0";
constexpr TtmPoolSwitches plain{false, false};

// The endpoint reads the whole BO and checks its CRC against what the CPU wrote.
bool device_reads(sw::PciEndpointTest& test, TtmBufferObject& bo, const std::vector<uint8_t>& expected) {
    bool good = true;
    for (const sw::TtmDmaSegment& segment : bo.dma_segments()) {
        uint32_t crc = pci_endpoint_test::crc32_le(~0u, expected.data() + segment.offset, segment.size);
        uint32_t status = test.run_command(pci_endpoint_test::COMMAND_READ, segment.addr, 0,
                                           static_cast<uint32_t>(segment.size), crc);
        good = good && (status & pci_endpoint_test::STATUS_READ_SUCCESS);
    }
    return good;
}

}  // namespace

TEST_CASE("ttm_bo: moves between a 64-bit and a 30-bit device on the non-coherent PCI platform", "[ttm]") {
    PciSim sim(wide_ep1);
    sim.run([&] {
        sim.boot();
        dma::Device& ep1_dev = sim.test_device(ep1).dev();
        dma::Device& ep2_dev = sim.test_device(ep2).dev();
        TtmDevice wide("wide", ep1_dev, sim.kernel, sim.instrumentation(), plain);
        TtmDevice narrow_plain("np", ep2_dev, sim.kernel, sim.instrumentation(), plain);
        TtmDevice narrow_dma32("nd", ep2_dev, sim.kernel, sim.instrumentation(), TtmPoolSwitches{false, true});
        TtmDevice narrow_alloc("na", ep2_dev, sim.kernel, sim.instrumentation(), TtmPoolSwitches{true, true});

        TtmBufferObject bo(wide, 64, TtmCaching::cached);  // high RAM: beyond the 30-bit device's window
        CHECK(bo.move_kind(wide, {}) == TtmMoveKind::rebind);
        CHECK(bo.move_kind(narrow_plain, {}) == TtmMoveKind::bounce);
        CHECK(bo.move_kind(narrow_plain, TtmMovePolicy{true, false, {}}) == TtmMoveKind::copy);
        CHECK(bo.move_kind(narrow_dma32, {}) == TtmMoveKind::copy);  // TTM_PAGE_FLAG_DMA32
        CHECK(bo.move_kind(narrow_alloc, {}) == TtmMoveKind::copy);  // its own coherent pages

        // Copied into pages the 30-bit device reaches (ZONE_DMA): then the wide one reaches them too.
        REQUIRE(bo.move_to(narrow_plain, TtmMovePolicy{true, true, {}}) == TtmMoveKind::copy);
        CHECK(sim.kernel.page_allocator().zone_of(bo.tt().blocks[0].pa) == sw::Zone::dma);
        CHECK(sim.stat("ttm.bytes_copied") == 64 * 4096);
        CHECK(bo.move_kind(wide, {}) == TtmMoveKind::rebind);
        CHECK(bo.move_kind(narrow_dma32, {}) == TtmMoveKind::rebind);

        // ZONE_DMA32 here is the upper GiB below 4 GiB, in neither inbound window of the bridge:
        // a DMA32 page is reachable by neither device, and both bounce it.
        TtmBufferObject dma32_bo(narrow_dma32, 16, TtmCaching::cached);
        CHECK(sim.kernel.page_allocator().zone_of(dma32_bo.tt().blocks[0].pa) == sw::Zone::dma32);
        CHECK_FALSE(narrow_dma32.reaches(dma32_bo.tt().blocks[0].pa, 4096));
        CHECK(dma32_bo.move_kind(narrow_plain, {}) == TtmMoveKind::bounce);
        CHECK(dma32_bo.move_kind(wide, {}) == TtmMoveKind::bounce);
        CHECK(dma32_bo.move_kind(narrow_alloc, {}) == TtmMoveKind::copy);
    });
}

TEST_CASE("ttm_bo: behind the IOMMU a 32-bit device maps the same pages at an IOVA, without a copy", "[ttm]") {
    PciSim sim({}, pci_sim::shipped("arm-pci-iommu.dts"));
    sim.run([&] {
        sim.boot();
        TtmDevice wide("wide", sim.test_device(ep2).dev(), sim.kernel, sim.instrumentation(), plain);
        TtmDevice narrow("narrow", sim.test_device(ep1).dev(), sim.kernel, sim.instrumentation(), plain);
        TtmDevice narrow_alloc("na", sim.test_device(ep1).dev(), sim.kernel, sim.instrumentation(),
                               TtmPoolSwitches{true, true});
        REQUIRE(narrow.behind_iommu());
        TtmBufferObject bo(wide, 64, TtmCaching::cached);
        uint64_t pa = bo.tt().blocks[0].pa;
        CHECK(pa >= (1ULL << 32));
        CHECK(bo.move_kind(narrow_alloc, {}) == TtmMoveKind::copy);  // Linux's choice ignores the IOMMU
        uint64_t iovas = sim.stat("ttm.iova_allocations");
        REQUIRE(bo.move_to(narrow, {}) == TtmMoveKind::iommu);
        CHECK(bo.tt().blocks[0].pa == pa);
        CHECK(bo.tt().blocks[0].dma_addr < (1ULL << 32));
        CHECK(sim.stat("ttm.iova_allocations") == iovas + 1);
        CHECK(sim.stat("ttm.bytes_copied") == 0);
        CHECK(sim.stat("swiotlb.maps") == 0);
        std::vector<uint8_t> data = sw::pattern_bytes(bo.size(), 7);
        bo.cpu_write(0, data);
        bo.end_cpu_access();
        CHECK(device_reads(sim.test_device(ep1), bo, data));
        CHECK(sim.stat("ttm.moves.iommu") == 1);
    });
}

namespace {

// A cached BO on the 64-bit device, written by the CPU after populate and read by the device: true
// when the device saw the CPU's data.
bool write_after_populate(PciSim& sim, bool bracket) {
    bool good = false;
    sim.run([&] {
        sim.boot();
        TtmDevice wide("wide", sim.test_device(ep1).dev(), sim.kernel, sim.instrumentation(), plain);
        TtmBufferObject bo(wide, 16, TtmCaching::cached);
        std::vector<uint8_t> data = sw::pattern_bytes(bo.size(), 1);
        bo.cpu_write(0, data);  // dirty lines of the cached linear map
        if (bracket)
            bo.end_cpu_access();
        good = device_reads(sim.test_device(ep1), bo, data);
    });
    return good;
}

}  // namespace

TEST_CASE("ttm_bo: CPU writes after populate reach a non-coherent device stale", "[ttm]") {
    PciSim sim(wide_ep1);
    CHECK_FALSE(write_after_populate(sim, false));
    CHECK(sim.stat("hazards.stale_device_read") > 0);
}

TEST_CASE("ttm_bo: end_cpu_access after CPU writes makes them reach the device", "[ttm]") {
    PciSim sim(wide_ep1);
    CHECK(write_after_populate(sim, true));
    CHECK(sim.hazards() == 0);
}

TEST_CASE("ttm_bo: write-combined BOs reach the device without a sync", "[ttm]") {
    PciSim sim(wide_ep1);
    sim.run([&] {
        sim.boot();
        TtmDevice wide("wide", sim.test_device(ep1).dev(), sim.kernel, sim.instrumentation(), plain);
        TtmBufferObject bo(wide, 16, TtmCaching::write_combined);
        std::vector<uint8_t> data = sw::pattern_bytes(bo.size(), 2);
        bo.cpu_write(0, data);
        CHECK(device_reads(sim.test_device(ep1), bo, data));
        CHECK(bo.cpu_read(0, bo.size()) == data);
    });
    CHECK(sim.hazards() == 0);
}

TEST_CASE("ttm_bo: the data survives every kind of move there and back", "[ttm]") {
    PciSim sim(wide_ep1);
    sim.run([&] {
        sim.boot();
        TtmDevice wide("wide", sim.test_device(ep1).dev(), sim.kernel, sim.instrumentation(), plain);
        TtmDevice narrow("np", sim.test_device(ep2).dev(), sim.kernel, sim.instrumentation(), plain);
        TtmDevice narrow_alloc("na", sim.test_device(ep2).dev(), sim.kernel, sim.instrumentation(),
                               TtmPoolSwitches{true, true});
        TtmBufferObject bo(wide, 32, TtmCaching::cached);
        std::vector<uint8_t> data = sw::pattern_bytes(bo.size(), 3);
        bo.cpu_write(0, data);
        bo.end_cpu_access();
        CHECK(bo.move_to(narrow, {}) == TtmMoveKind::bounce);
        CHECK(device_reads(sim.test_device(ep2), bo, data));
        CHECK(sim.stat("swiotlb.maps") == 1);
        CHECK(bo.move_to(narrow_alloc, {}) == TtmMoveKind::copy);
        CHECK(device_reads(sim.test_device(ep2), bo, data));
        CHECK(bo.move_to(wide, {}) == TtmMoveKind::copy);  // out of the device's own pages
        CHECK(narrow_alloc.pool().pool_blocks(TtmCaching::cached, 5) == 1);
        bo.begin_cpu_access();
        CHECK(bo.cpu_read(0, bo.size()) == data);
        CHECK(sim.stat("ttm.bytes_copied") == 2 * bo.size());
    });
    CHECK(sim.hazards() == 0);
}

TEST_CASE("ttm_bo: a move's copy by the first engine that reaches the old and the new pages, else by the CPU",
          "[ttm]") {
    PciSim sim(wide_ep1);
    sim.run([&] {
        sim.boot();
        sw::PciEndpointTest& ep1_test = sim.test_device(ep1);
        sw::PciEndpointTest& ep2_test = sim.test_device(ep2);
        TtmDevice wide("wide", ep1_test.dev(), sim.kernel, sim.instrumentation(), plain);
        TtmDevice narrow("np", ep2_test.dev(), sim.kernel, sim.instrumentation(), plain);
        TtmDevice narrow_dma32("nd", ep2_test.dev(), sim.kernel, sim.instrumentation(), TtmPoolSwitches{false, true});
        std::vector<std::string> used;
        auto engine = [&](sw::PciEndpointTest& test) {
            return sw::TtmCopyEngine{&test.dev(),
                                     [&used, &test](dma::dma_addr_t src, dma::dma_addr_t dst, uint64_t size) {
                                         used.push_back(test.pdev().name());
                                         return (test.run_command(pci_endpoint_test::COMMAND_COPY, src, dst,
                                                                  static_cast<uint32_t>(size)) &
                                                 pci_endpoint_test::STATUS_COPY_SUCCESS) != 0;
                                     }};
        };
        // The 30-bit endpoint first: it cannot reach the BO's high pages, so the 64-bit one copies.
        TtmMovePolicy policy{true, false, {engine(ep2_test), engine(ep1_test)}};

        TtmBufferObject bo(wide, 64, TtmCaching::cached);
        std::vector<uint8_t> data = sw::pattern_bytes(bo.size(), 4);
        bo.cpu_write(0, data);
        bo.end_cpu_access();
        REQUIRE(bo.move_to(narrow, policy) == TtmMoveKind::copy);
        CHECK(used == std::vector<std::string>{ep1});  // one order-6 block each side: one COPY command
        CHECK(sim.stat("ttm.engine_copies") == 1);
        CHECK(sim.stat("ttm.engine_bytes_copied") == bo.size());
        CHECK(sim.stat("ttm.engine_commands") == 1);
        CHECK(sim.stat("ttm.cpu_copies") == 0);
        CHECK(sim.stat("ttm.bytes_copied") == bo.size());
        CHECK(sim.kernel.page_allocator().zone_of(bo.tt().blocks[0].pa) == sw::Zone::dma);
        // The engine's mappings are gone; the BO is mapped for its new device only.
        CHECK(sim.context.debug().entries_of(ep1_test.dev()).empty());
        CHECK(device_reads(ep2_test, bo, data));
        bo.begin_cpu_access();
        CHECK(bo.cpu_read(0, bo.size()) == data);  // the destination's unmap invalidated the CPU's lines

        // DMA32 pages are in neither inbound window: no engine reaches them, the CPU copies.
        TtmBufferObject dma32_bo(narrow_dma32, 16, TtmCaching::cached);
        used.clear();
        REQUIRE(dma32_bo.move_to(narrow, policy) == TtmMoveKind::copy);
        CHECK(used.empty());
        CHECK(sim.stat("ttm.cpu_copies") == 1);
        CHECK(sim.stat("ttm.engine_copies") == 1);
    });
    CHECK(sim.hazards() == 0);
    CHECK(sim.context.debug().report_count() == 0);
}
