// The hypervisor's DMA-constraints function (models/pci/hv_dma_constraints.h) and its driver
// (sw/drivers/pci/hv_dma_constraints.h) on arm-pci-hypervisor.dts: a configuration space with one
// vendor-specific capability, bound by its driver, which sets the masks from it; absent on bare
// metal (arm-pci-noncoherent.dts); a node that gives it an interrupt is refused.
#include "pci_sim.h"

#include "dma/device.h"
#include "dma/mapping.h"
#include "models/pci/hv_dma_constraints_regs.h"
#include "sw/drivers/pci/hv_dma_constraints.h"

using pci_sim::PciSim;
using pci_sim::shipped;
using sw::HvDmaConstraints;

namespace {

const std::string hypervisor = shipped("arm-pci-hypervisor.dts");
const std::string constraints_node = "/pcie@40000000/constraints@5,0";

}  // namespace

TEST_CASE("hv_dma_constraints: the driver binds the function and sets its DMA masks from its capability", "[pci]") {
    PciSim sim({}, hypervisor);
    sim.run([&] {
        sim.pci.scan();
        sim.pci.probe_drivers();
        sw::PciDev* pdev = sim.pci.find("0000:00:05.0");
        REQUIRE(pdev);
        CHECK(pdev->vendor == hv_dma_constraints::PCI_VENDOR_ID_DMASIM);
        CHECK(pdev->device == hv_dma_constraints::PCI_DEVICE_ID_HV_DMA_CONSTRAINTS);
        CHECK(pdev->class_code == hv_dma_constraints::PCI_CLASS_MEMORY_OTHER);
        CHECK(pdev->pin == 0);
        CHECK(pdev->msi_cap == 0);
        for (unsigned bar = 0; bar < pci::PCI_STD_NUM_BARS; ++bar)
            CHECK(sw::pci_resource_len(*pdev, bar) == 0);
        unsigned cap = sw::pci_find_capability(*pdev, pci::PCI_CAP_ID_VNDR);
        CHECK(cap == models::PciEndpoint::vendor_capability);
        CHECK(sw::pci_read_config_byte(*pdev, cap + hv_dma_constraints::CAP_LENGTH) == hv_dma_constraints::CAP_SIZEOF);
        CHECK(sw::pci_read_config_byte(*pdev, cap + hv_dma_constraints::CAP_DMA_BITS) == 32);

        HvDmaConstraints* bound = HvDmaConstraints::find(&sim.pci);
        REQUIRE(bound);
        CHECK(&bound->pdev() == pdev);
        CHECK(bound->dma_bits() == 32);
        CHECK(bound->dev().dma_mask() == dma::dma_bit_mask(32));
        CHECK(bound->dev().coherent_dma_mask() == dma::dma_bit_mask(32));
        // the bridge's dma-ranges shape it as any function's: its bus limit is the windows' end
        CHECK(bound->dev().bus_dma_limit() == sim.test_device("0000:00:01.0").dev().bus_dma_limit());
        // it does no DMA: bus mastering stays off
        CHECK_FALSE(sw::pci_read_config_word(*pdev, pci::PCI_COMMAND) & pci::PCI_COMMAND_MASTER);
    });
}

TEST_CASE("hv_dma_constraints: on bare metal there is no such function to bind", "[pci]") {
    PciSim sim;
    sim.run([&] {
        sim.pci.scan();
        sim.pci.probe_drivers();
        CHECK(sim.pci.bound_to(HvDmaConstraints::driver_name).empty());
        CHECK(HvDmaConstraints::find(&sim.pci) == nullptr);
        CHECK(HvDmaConstraints::find(nullptr) == nullptr);
    });
}

TEST_CASE("hv_dma_constraints: bits narrower than ZONE_DMA get no mask, so the driver does not bind", "[pci]") {
    PciSim sim({constraints_node + ":dmasim,dma-bits=<20>"}, hypervisor);
    sim.run([&] {
        sim.pci.scan();
        sim.pci.probe_drivers();
        REQUIRE(sim.pci.find("0000:00:05.0"));
        CHECK(HvDmaConstraints::find(&sim.pci) == nullptr);
    });
}

TEST_CASE("hv_dma_constraints: a node that gives the function an interrupt is a config error naming it", "[pci]") {
    CHECK_THROWS_WITH(PciSim({constraints_node + ":interrupts=<1>"}, hypervisor), Catch::Contains("constraints@5,0") &&
                                                                                      Catch::Contains("'interrupts'") &&
                                                                                      Catch::Contains("no interrupt"));
    CHECK_THROWS_WITH(PciSim({constraints_node + ":dmasim,msi-vectors=<1>"}, hypervisor),
                      Catch::Contains("'dmasim,msi-vectors'"));
}
