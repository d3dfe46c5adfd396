// mfd-core (sw/drivers/mfd/mfd_core.h): cells share the parent's mask and dma_parms, copy its
// coherent mask, take their own node's DMA configuration at probe, and reach the parent's pool
// only through of_reserved_mem_device_init (released by mfd_remove_devices).
#include "dma/coherent_memory.h"
#include "dma/reserved_mem.h"
#include "dma_sim.h"
#include "sw/drivers/mfd/mfd_core.h"

#include <catch2/catch.hpp>

using dma_sim::no_map_region;
using dma_sim::Sim;

namespace {

sw::MfdCellInfo cell_info(const std::string& name, dma::DmaConfig dma = {}) {
    return sw::MfdCellInfo{name, "/mfd/" + name, "dmasim,mfd-dsp", std::move(dma)};
}

}  // namespace

TEST_CASE("mfd_add_devices: a cell per child, its mask the parent's, its coherent mask a copy", "[mfd-core]") {
    Sim sim(no_map_region());
    dma::Device& parent = sim.dev;
    parent.store_coherent_dma_mask(dma::dma_bit_mask(31));
    sw::MfdCells cells = sw::mfd_add_devices(parent, {cell_info("dsp@0"), cell_info("usb@1")});
    REQUIRE(cells.size() == 2);
    CHECK(cells[1]->info().name == "usb@1");
    CHECK(cells[0]->dev().name() == "dsp@0");
    CHECK(&cells[0]->parent() == &parent);
    CHECK(cells[0]->dev().coherent_dma_mask() == dma::dma_bit_mask(31));
    REQUIRE(dma::set_mask(cells[0]->dev(), dma::dma_bit_mask(36)) == 0);
    CHECK(parent.dma_mask() == dma::dma_bit_mask(36));
    CHECK(cells[1]->dev().dma_mask() == dma::dma_bit_mask(36));  // one mask for the MFD and all its cells
    CHECK_FALSE(cells[0]->dev().dma_mem());                      // no pool until its driver asks for one
}

TEST_CASE("mfd-core: a cell's node decides its coherence and ranges, applied once at probe", "[mfd-core]") {
    Sim sim;
    dma::DmaConfig own({dma::DmaRange{0x80000000, 0x0, 0x40000000}}, 0x3fffffff, dma::dma_bit_mask(30), true);
    sw::MfdCells cells = sw::mfd_add_devices(sim.dev, {cell_info("dsp@0", own)});
    sw::MfdCellDevice& cell = *cells[0];
    CHECK_FALSE(cell.dev().is_coherent());
    cell.dma_configure();
    cell.dma_configure();  // a second probe does not add the ranges again
    CHECK(cell.dev().is_coherent());
    CHECK_FALSE(sim.dev.is_coherent());  // the parent's own node said otherwise
    CHECK(cell.dev().dma_ranges().size() == 1);
    CHECK(cell.dev().phys_to_dma(0x80001000) == 0x1000);
    CHECK(sim.dev.dma_mask() == dma::dma_bit_mask(30));  // *dev->dma_mask &= mask: the shared mask
}

TEST_CASE("mfd_remove_devices: the cells leave the parent's pool, which stays", "[mfd-core]") {
    Sim sim(no_map_region());
    sw::MfdCells cells = sw::mfd_add_devices(sim.dev, {cell_info("dsp@0"), cell_info("usb@1")});
    for (auto& cell : cells)
        REQUIRE(dma::of_reserved_mem_device_init(cell->dev(), "linux,cma") == 0);
    CHECK(cells[0]->dev().dma_mem() == cells[1]->dev().dma_mem());
    std::shared_ptr<dma::CoherentMemory> pool = cells[0]->dev().dma_mem();
    sw::mfd_remove_devices(cells);
    CHECK(cells.empty());
    CHECK(pool.use_count() == 2);  // ours and the context's (rmem->priv)
}
