// of_reserved_mem_device_init (dma/reserved_mem.h): one pool per no-map region, shared by every
// device naming it, handles through each device's dma-ranges; and Device::share_dma_mask, what
// mfd-core does to a cell's masks and dma_parms.
#include "dma/coherent_memory.h"
#include "dma/reserved_mem.h"
#include "dma_sim.h"

#include <catch2/catch.hpp>
#include <cerrno>

using dma_sim::no_map_base;
using dma_sim::no_map_region;
using dma_sim::no_map_size;
using dma_sim::Sim;

TEST_CASE("of_reserved_mem_device_init: every device naming a no-map region gets the same pool", "[reserved-mem]") {
    Sim sim(no_map_region());
    dma::Device other("other-agent", sim.context);
    other.add_dma_range(dma::DmaRange{0x80000000, 0x0, 0x80000000});  // bus = CPU - 2 GiB
    REQUIRE(dma::of_reserved_mem_device_init(sim.dev, "linux,cma") == 0);
    REQUIRE(dma::of_reserved_mem_device_init(other, "linux,cma") == 0);
    REQUIRE(sim.dev.dma_mem());
    CHECK(sim.dev.dma_mem() == other.dma_mem());
    CHECK(sim.dev.dma_mem() == sim.context.reserved_pool("linux,cma"));
    CHECK(sim.dev.dma_mem()->phys_base() == no_map_base);
    CHECK(sim.dev.dma_mem()->size() == no_map_size);
    CHECK(dma::of_reserved_mem_device_init(sim.dev, "linux,cma") == -EBUSY);  // one pool per device

    dma::dma_addr_t mine = 0, theirs = 0;
    std::string fault = sim.run([&] {
        CHECK(dma::alloc_coherent(sim.dev, 4096, mine) != 0);
        CHECK(dma::alloc_coherent(other, 4096, theirs) != 0);
    });
    REQUIRE(fault.empty());
    CHECK(mine == no_map_base);                        // identity addressing
    CHECK(theirs == no_map_base + 4096 - 0x80000000);  // the next page of the same pool, through its ranges
    CHECK(sim.stat("dma.coherent_pool.linux,cma.allocs") == 2);
}

TEST_CASE("of_reserved_mem_device_release: the device leaves the pool, which stays for the next one",
          "[reserved-mem]") {
    Sim sim(no_map_region());
    REQUIRE(dma::of_reserved_mem_device_init(sim.dev, "linux,cma") == 0);
    std::shared_ptr<dma::CoherentMemory> pool = sim.dev.dma_mem();
    dma::of_reserved_mem_device_release(sim.dev);
    CHECK_FALSE(sim.dev.dma_mem());
    CHECK(pool->virt_base() != 0);  // still mapped: Linux never frees rmem->priv
    REQUIRE(dma::of_reserved_mem_device_init(sim.dev, "linux,cma") == 0);
    CHECK(sim.dev.dma_mem() == pool);
}

TEST_CASE("of_reserved_mem_device_init: unknown regions, and a region neither no-map nor reusable, are refused",
          "[reserved-mem]") {
    Sim cma;  // the tree's linux,cma is reusable: a CMA area, not a pool
    CHECK(dma::of_reserved_mem_device_init(cma.dev, "nowhere") == -ENODEV);
    REQUIRE(dma::of_reserved_mem_device_init(cma.dev, "linux,cma") == 0);
    CHECK_FALSE(cma.dev.dma_mem());
    CHECK(cma.dev.cma_area() == cma.kernel.page_allocator().cma_area("linux,cma"));

    Sim plain({"/reserved-memory/linux,cma:reusable=false", "/reserved-memory/linux,cma:linux,cma-default=false"});
    CHECK(dma::of_reserved_mem_device_init(plain.dev, "linux,cma") == -EINVAL);
    CHECK_FALSE(plain.dev.dma_mem());
}

TEST_CASE("share_dma_mask: a cell's mask and dma_parms are its parent's, its coherent mask a copy", "[reserved-mem]") {
    Sim sim;
    dma::Device& parent = sim.dev;
    parent.store_dma_mask(dma::dma_bit_mask(40));
    parent.store_coherent_dma_mask(dma::dma_bit_mask(44));
    dma::Device cell("cell", sim.context);
    cell.share_dma_mask(parent);
    CHECK(cell.dma_mask() == dma::dma_bit_mask(40));
    CHECK(cell.coherent_dma_mask() == dma::dma_bit_mask(44));

    REQUIRE(dma::set_mask(cell, dma::dma_bit_mask(36)) == 0);  // through the cell: the parent's changes
    CHECK(parent.dma_mask() == dma::dma_bit_mask(36));
    REQUIRE(dma::set_coherent_mask(cell, dma::dma_bit_mask(38)) == 0);  // a copy: the parent's stays
    CHECK(parent.coherent_dma_mask() == dma::dma_bit_mask(44));

    cell.set_max_segment_size(4096);
    parent.set_segment_boundary_mask(0xffff);
    CHECK(parent.max_segment_size() == 4096);
    CHECK(cell.segment_boundary_mask() == 0xffff);

    // of_dma_configure on the cell's node cuts the shared mask too (*dev->dma_mask &= mask).
    dma::dma_configure(cell, dma::DmaConfig({}, 0, dma::dma_bit_mask(33)));
    CHECK(parent.dma_mask() == dma::dma_bit_mask(33));
    CHECK(cell.coherent_dma_mask() == dma::dma_bit_mask(33));
    CHECK(parent.coherent_dma_mask() == dma::dma_bit_mask(44));
}
