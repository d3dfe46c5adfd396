// The pool of anonymous buffer objects (sw/drivers/gpu/ttm_anon_pool.h, seed 001): with the
// hypervisor's DMA-constraints function bound (arm-pci-hypervisor.dts) it allocates through that
// function's device (dma_alloc_attrs: coherent), and the BO's first move to a real device copies;
// on bare metal (arm-pci-noncoherent.dts) it has no device: pages from the page allocator, no
// coherent allocation, mapped only when the BO is first bound. 00:01.0 is given a 64-bit engine.
#include "pci_sim.h"

#include "dma/device.h"
#include "sw/drivers/gpu/ttm_anon_pool.h"
#include "sw/drivers/gpu/ttm_bo.h"
#include "sw/drivers/pci/hv_dma_constraints.h"
#include "sw/kernel/kernel.h"

using pci_sim::PciSim;
using pci_sim::shipped;
using sw::TtmBufferObject;
using sw::TtmCaching;
using sw::TtmDevice;
using sw::TtmMoveKind;

namespace {

const std::vector<std::string> wide_ep1 = {"/pcie@40000000/ep@1,0:dmasim,dma-bits=<64>"};

void boot_all(PciSim& sim) {
    sim.pci.scan();
    sim.pci.probe_drivers();
}

}  // namespace

TEST_CASE("ttm_anon_pool: with the hypervisor's function anonymous BOs are allocated through its device", "[ttm]") {
    PciSim sim(wide_ep1, shipped("arm-pci-hypervisor.dts"));
    sim.run([&] {
        boot_all(sim);
        sw::HvDmaConstraints* hypervisor = sw::HvDmaConstraints::find(&sim.pci);
        REQUIRE(hypervisor);
        std::unique_ptr<sw::TtmPool> anon = sw::ttm_anon_pool_create(&sim.pci, sim.kernel, sim.instrumentation());
        CHECK(anon->device() == &hypervisor->dev());
        CHECK(anon->use_dma_alloc());
        CHECK_FALSE(anon->use_dma32());  // vmwgfx's ttm_device_init(..., use_dma_alloc, false)
        TtmDevice wide("wide", sim.test_device("0000:00:01.0").dev(), sim.kernel, sim.instrumentation());
        {
            TtmBufferObject bo(*anon, 64, TtmCaching::cached);
            CHECK_FALSE(bo.bound());
            REQUIRE(bo.tt().blocks.size() == 1);
            CHECK(bo.tt().blocks[0].vaddr != 0);                                           // dma_alloc_attrs' address
            CHECK(bo.tt().blocks[0].dma_addr + bo.tt().blocks[0].size() <= (1ULL << 32));  // its 32 bits
            CHECK(sim.stat("ttm.anon.coherent_allocations") == 1);
            CHECK(sim.stat("ttm.anon.allocator_pages") == 0);
            bo.cpu_write(0, std::vector<uint8_t>(4096, 0x5a));
            bo.end_cpu_access();  // nothing to sync in coherent blocks
            // its pages are the hypervisor function's: the first bind copies them
            CHECK(bo.move_kind(wide, {}) == TtmMoveKind::copy);
            CHECK(bo.move_to(wide, {}) == TtmMoveKind::copy);
            CHECK(bo.bound());
            CHECK(&bo.device() == &wide);
            CHECK(bo.tt().mapped_for == &wide.dev());
            CHECK(bo.cpu_read(0, 4096) == std::vector<uint8_t>(4096, 0x5a));
            CHECK(sim.stat("ttm.bytes_copied") == 64 * 4096);
        }
        CHECK(anon->pool_blocks(TtmCaching::cached, 6) == 1);  // given back to the anonymous pool
    });
}

TEST_CASE("ttm_anon_pool: on bare metal anonymous BOs get plain pages and no coherent allocation", "[ttm]") {
    PciSim sim(wide_ep1);
    sim.run([&] {
        boot_all(sim);
        std::unique_ptr<sw::TtmPool> anon = sw::ttm_anon_pool_create(&sim.pci, sim.kernel, sim.instrumentation());
        CHECK(anon->device() == nullptr);
        CHECK_FALSE(anon->use_dma_alloc());
        TtmDevice wide("wide", sim.test_device("0000:00:01.0").dev(), sim.kernel, sim.instrumentation());
        TtmBufferObject bo(*anon, 64, TtmCaching::cached);
        CHECK_FALSE(bo.bound());
        CHECK(bo.tt().blocks[0].vaddr == 0);
        CHECK(bo.tt().mapped_for == nullptr);  // no device to map for yet
        CHECK(sim.stat("ttm.maps") == 0);
        CHECK(sim.stat("ttm.anon.coherent_allocations") == 0);
        CHECK(sim.stat("ttm.anon.allocator_pages") == 64);
        bo.cpu_write(0, std::vector<uint8_t>(4096, 0xa5));
        bo.end_cpu_access();  // unmapped: nothing to sync (the map at bind cleans)
        CHECK(sim.stat("ttm.bytes_cleaned") == 0);
        // the 64-bit device reaches the pages: bound without a copy, mapped (and cleaned) now
        CHECK(bo.move_to(wide, {}) == TtmMoveKind::rebind);
        CHECK(bo.tt().mapped_for == &wide.dev());
        CHECK(sim.stat("ttm.maps") == 1);
        CHECK(sim.stat("ttm.bytes_cleaned") == 64 * 4096);
        CHECK(sim.stat("ttm.bytes_copied") == 0);
    });
}

TEST_CASE("ttm_anon_pool: a pool with use_dma_alloc needs a device", "[ttm]") {
    PciSim sim;
    sim.run([&] {
        CHECK_THROWS_WITH(sw::TtmPool("p", nullptr, sim.kernel, sim.instrumentation(), true, false),
                          Catch::Contains("use_dma_alloc but no device"));
    });
}

TEST_CASE("ttm_anon_pool: without a PCI core there is no hypervisor's function", "[ttm]") {
    PciSim sim;
    sim.run([&] {
        std::unique_ptr<sw::TtmPool> anon = sw::ttm_anon_pool_create(nullptr, sim.kernel, sim.instrumentation());
        CHECK(anon->device() == nullptr);
        CHECK_FALSE(anon->use_dma_alloc());
    });
}
