// ZONE_DMA by arm64's rule (Platform::zone_dma_limit): the lowest CPU address any dma-ranges
// reaches, capped at 4 GiB and at the end of RAM. On the PCI platform the SoC bus's dma-ranges set
// it; without them the bridge's limit, above 4 GiB, leaves it at the cap, and the 32-bit functions
// still get their coherent memory from it.
#include "dma/mapping.h"
#include "pci_sim.h"

#include <algorithm>
#include <catch2/catch.hpp>

using pci_sim::PciSim;
using sw::Zone;

namespace {

constexpr uint64_t GiB = 1ULL << 30;

bool has_message(const PciSim& sim, const std::string& text) {
    const std::vector<std::string>& messages = sim.pci.messages();
    return std::find(messages.begin(), messages.end(), text) != messages.end();
}

}  // namespace

TEST_CASE("zone dma: on the PCI platform the dma-ranges of /soc end ZONE_DMA at 1 GiB of RAM", "[platform][mm]") {
    PciSim sim;
    CHECK(sim.platform().zone_dma_limit() == 0xc0000000);
    CHECK(sim.platform().zone_dma_bound() == "the dma-ranges of /soc");
    const sw::PageAllocator& pages = sim.kernel.page_allocator();
    CHECK(pages.zone_of(0xbffff000) == Zone::dma);
    CHECK(pages.zone_of(0xc0000000) == Zone::dma32);
    CHECK(pages.managed_pages(Zone::dma32) > 0);
    // The node stands for a real master: the SoC's DMA agent, with the bus's 30-bit reach.
    REQUIRE(sim.platform().dma_devices().size() == 1);
    CHECK(sim.platform().dma_devices()[0].node == "/soc/dma-agent@1000000");
    CHECK(sim.platform().dma_devices()[0].dma.bus_dma_limit == 0x3fffffff);
}

TEST_CASE("zone dma: without the SoC's dma-ranges the 4 GiB cap ends ZONE_DMA and DMA32 is empty", "[platform][mm]") {
    PciSim sim({"/soc:dma-ranges=false"});
    CHECK(sim.platform().zone_dma_limit() == 4 * GiB);
    CHECK(sim.platform().zone_dma_bound() == "the 4 GiB cap");
    const sw::PageAllocator& pages = sim.kernel.page_allocator();
    CHECK(pages.zone_of(0xfffff000) == Zone::dma);
    CHECK(pages.zone_of(4 * GiB) == Zone::normal);
    CHECK(pages.managed_pages(Zone::dma32) == 0);
    CHECK(pages.managed_pages(Zone::dma) > 1 * GiB / 4096);  // all of the low 2 GiB but the reservations
}

TEST_CASE("zone dma: at the 4 GiB cap the 32-bit PCI functions probe and get coherent memory in their reach",
          "[platform][pci][mm]") {
    PciSim sim({"/soc:dma-ranges=false"});
    uint64_t coherent_pa = 0;
    std::string fault = sim.run([&] {
        sim.pci.scan();
        sim.pci.probe_drivers();  // every builtin driver: the ring NIC and the USB host allocate rings
        sw::PciEndpointTest& test = sim.test_device("0000:00:01.0");
        dma::dma_addr_t handle = 0;
        uint64_t va = dma::alloc_coherent(test.dev(), 8192, handle);
        REQUIRE(va);
        coherent_pa = test.dev().dma_to_phys(handle);
        dma::free_coherent(test.dev(), 8192, va, handle);
    });
    REQUIRE(fault.empty());
    for (const char* function : {"0000:00:01.0", "0000:00:03.0", "0000:00:04.0"}) {
        INFO(function);
        REQUIRE(sim.pci.find(function));
        CHECK(sim.pci.find(function)->driver != nullptr);
    }
    for (const std::string& message : sim.pci.messages())
        CHECK(message.find("error -12") == std::string::npos);
    // Bus address 0..1 GiB is RAM from 0x80000000: the allocation came from ZONE_DMA inside it.
    CHECK(coherent_pa >= 0x80000000);
    CHECK(coherent_pa < 0xc0000000);
    CHECK(sim.kernel.page_allocator().zone_of(coherent_pa) == Zone::dma);
    // The 30-bit engine cannot reach all of a 4 GiB ZONE_DMA: its mask is refused, as in Linux.
    CHECK(has_message(sim, "pci-endpoint-test 0000:00:02.0: probe failed with error -5"));
}
