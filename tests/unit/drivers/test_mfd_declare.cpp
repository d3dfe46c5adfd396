// The MFD's SM501-style pools (dmasim_mfd.declare_sram, sw/drivers/mfd/mfd.h): the driver splits
// its SRAM window between the cells as drivers/mfd/sm501.c sm501_create_mem carves its local
// memory, and each cell's driver declares its slice at probe as drivers/usb/host/ohci-sm501.c does
// (dma_declare_coherent_memory): a pool per cell, disjoint, with handles at the SRAM's bus address,
// and a cell that fills its slice gets NULL -- never its sibling's pages, never system RAM.
#include "dma/coherent_memory.h"
#include "dma_sim.h"
#include "sw/drivers/mfd/mfd.h"
#include "sw/drivers/mfd/mfd_function.h"

#include <catch2/catch.hpp>
#include <cerrno>

using dma_sim::no_map_base;
using dma_sim::no_map_region;
using dma_sim::Sim;

namespace {

constexpr uint64_t sram_size = 0x10000;  // 16 pages, inside the fixture's no-map region

sw::MfdInfo mfd_info(unsigned cells, uint64_t sram = no_map_base, uint64_t size = sram_size) {
    sw::MfdInfo info;
    info.name = "mfd@0";
    info.node = "/mfd@0";
    info.sram = sram;
    info.sram_size = size;
    info.declare_sram = true;
    const char* compatibles[] = {"dmasim,mfd-dsp", "dmasim,mfd-usb"};
    for (unsigned i = 0; i < cells; ++i) {
        std::string name = (i % 2 ? "usb@" : "dsp@") + std::to_string(i);
        info.cells.push_back(sw::MfdCellInfo{name, "/mfd@0/" + name, compatibles[i % 2], {}});
    }
    return info;
}

}  // namespace

TEST_CASE("Mfd::sram_slices: equal whole-page slices in the cells' order, the rest to the last, none with fewer "
          "pages than cells",
          "[mfd-declare]") {
    std::vector<sw::MfdMemResource> two = sw::Mfd::sram_slices(mfd_info(2, 0x50010000));
    REQUIRE(two.size() == 2);
    CHECK(two[0].start == 0x50010000);
    CHECK(two[0].size == 0x8000);
    CHECK(two[1].start == 0x50018000);
    CHECK(two[1].size == 0x8000);
    for (const sw::MfdMemResource& slice : two)
        CHECK(slice.parent_start == 0x50010000);  // mem->parent->start: the "sram" window

    std::vector<sw::MfdMemResource> three = sw::Mfd::sram_slices(mfd_info(3, 0x50010000));  // 16 pages: 5, 5, 6
    REQUIRE(three.size() == 3);
    CHECK(three[0].size == 5 * 4096);
    CHECK(three[1].start == three[0].start + three[0].size);
    CHECK(three[2].start == three[1].start + three[1].size);
    CHECK(three[2].size == 6 * 4096);
    CHECK(three[2].start + three[2].size == 0x50010000 + sram_size);

    CHECK(sw::Mfd::sram_slices(mfd_info(2, 0x50010000, 4096)).empty());  // one page for two cells
    CHECK(sw::Mfd::sram_slices(mfd_info(0)).empty());
}

TEST_CASE("mfd cells under declare_sram: each declares its own disjoint slice at probe, handles at the SRAM's bus "
          "address, and a full slice is NULL with no fallback",
          "[mfd-declare]") {
    Sim sim(no_map_region());
    models::Instrumentation instr;
    sw::MfdInfo info = mfd_info(2);
    info.memory_region = "linux,cma";  // the fixture's no-map pool: with declare_sram it is not used
    sw::Mfd mfd(sim.kernel, instr, info, sim.dev);
    sw::MfdCells cells = sw::mfd_add_devices(sim.dev, info.cells, sw::Mfd::sram_slices(info));
    sw::MfdFunction dsp(mfd, *cells[0], *sw::mfd_function_kind("dmasim,mfd-dsp"));
    sw::MfdFunction usb(mfd, *cells[1], *sw::mfd_function_kind("dmasim,mfd-usb"));
    const uint64_t block = sw::MfdFunction::job_block_size;  // 4 pages: two fit a 32 KiB slice

    int dsp_probe = 1, usb_probe = 1, third = 0;
    sw::MfdJobBlock d1, d2, d3, u1;
    std::string fault = sim.run([&] {
        dsp_probe = dsp.probe();
        usb_probe = usb.probe();
        REQUIRE(dsp.alloc_block(d1) == 0);
        REQUIRE(dsp.alloc_block(d2) == 0);
        third = dsp.alloc_block(d3);  // past the slice: the sibling has room, system RAM has plenty
        REQUIRE(usb.alloc_block(u1) == 0);
    });
    REQUIRE(fault.empty());
    REQUIRE(dsp_probe == 0);
    REQUIRE(usb_probe == 0);

    // A pool per cell, named after it, over its own half of the SRAM; the shared pool never made.
    const std::shared_ptr<dma::CoherentMemory>& dsp_pool = dsp.dev().dma_mem();
    const std::shared_ptr<dma::CoherentMemory>& usb_pool = usb.dev().dma_mem();
    REQUIRE(dsp_pool);
    REQUIRE(usb_pool);
    CHECK(dsp_pool != usb_pool);
    CHECK(dsp_pool->name() == "dsp@0");
    CHECK(usb_pool->name() == "usb@1");
    CHECK(dsp_pool->phys_base() == no_map_base);
    CHECK(usb_pool->phys_base() == no_map_base + sram_size / 2);
    CHECK(dsp_pool->size() == sram_size / 2);
    CHECK(usb_pool->size() == sram_size / 2);
    CHECK_FALSE(sim.context.reserved_pool("linux,cma"));
    CHECK(sim.stat("dma.coherent_pool.dsp@0.pages") == 8);
    CHECK(sim.stat("dma.coherent_pool.usb@1.pages") == 8);

    // Handles: the SRAM's bus address (what HELLO tells the firmware) plus the offset in the SRAM.
    CHECK(mfd.sram_bus() == no_map_base);
    CHECK(d1.bus == mfd.sram_bus() + (d1.cpu - dsp_pool->virt_base()));
    CHECK(u1.bus == mfd.sram_bus() + sram_size / 2 + (u1.cpu - usb_pool->virt_base()));
    CHECK(d1.bus != d2.bus);
    for (dma::dma_addr_t bus : {d1.bus, d2.bus})
        CHECK(bus + block <= mfd.sram_bus() + sram_size / 2);
    CHECK(u1.bus >= mfd.sram_bus() + sram_size / 2);

    // The third block does not fit the dsp's slice: NULL and -ENOMEM, from its own pool only.
    CHECK(third == -ENOMEM);
    CHECK(d3.cpu == 0);
    CHECK(sim.stat("dma.coherent_pool.dsp@0.failures") == 1);
    CHECK(sim.stat("dma.alloc_failures") == 1);
    CHECK(sim.stat("dma.coherent_pool.usb@1.allocs") == 1);  // the usb block only: nothing borrowed
    CHECK(usb_pool->free_pages() == 4);
    CHECK_THAT(dsp.error(), Catch::Contains("mfd-dsp dsp@0: cannot allocate a 16384-byte job block"));
    CHECK_THAT(mfd.messages()[0], Catch::Contains("mfd-dsp dsp@0: coherent memory declared: mfd@0's SRAM") &&
                                      Catch::Contains("bus addresses from"));

    // remove: dma_release_declared_memory, the cell has no pool any more.
    dsp.remove();
    usb.remove();
    CHECK_FALSE(dsp.dev().dma_mem());
    CHECK_FALSE(usb.dev().dma_mem());
}
