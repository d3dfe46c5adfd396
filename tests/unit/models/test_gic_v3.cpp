// The GICv3 model's registers as Linux's irq-gic-v3.c drives them (distributor, the core's
// redistributor, the CPU interface's system registers through the core), a wired SPI delivered
// through them, and GICv2m's range as gicv2m_init_one finds it (MSI_TYPER, or the tree's
// properties when both are there). One simulation per test case.
#include "gic_trees.h"
#include "models/common/access_fault.h"
#include "models/irq/interrupt_controller.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"
#include "sw/kernel/kernel.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <functional>
#include <string>
#include <systemc>
#include <vector>

namespace {

// A board from gic_trees with a booted kernel; the GIC's registers mapped for tests that drive
// them by hand through the core.
struct GicSim {
    TempDir dir;
    models::Instrumentation instr;
    platform::DeviceTree tree;
    platform::Platform platform;
    sw::Kernel kernel;
    models::Core& cpu;
    models::InterruptController& gic;

    GicSim(const std::string& dts, const std::vector<std::string>& overrides = {})
        : tree(load(dir.write("board.dts", dts), overrides)), platform(tree, platform::PlatformOptions{}, instr),
          kernel(platform.core(), instr, platform.kernel_ram(), platform.kernel_reserved(),
                 platform.outer_cache_registers(), platform.zone_dma_limit(), platform.interrupt_controller_info()),
          cpu(platform.core()), gic(*platform.interrupt_controller()) {}

    static platform::DeviceTree load(const std::string& path, const std::vector<std::string>& overrides) {
        platform::DeviceTree tree = platform::DeviceTree::load(path);
        for (const std::string& spec : overrides)
            tree.apply_override(spec);
        return tree;
    }
    std::string run(const std::function<void()>& program) {
        cpu.set_program([&](models::Core&) { program(); });
        sc_core::sc_start();
        return cpu.fault();
    }
};

constexpr unsigned bus_master_irq = 48;  // SPI 16

}  // namespace

TEST_CASE("gic-v3: gic_dist_init, gic_enable_redist and gic_cpu_sys_reg_init leave the registers as Linux does",
          "[irq][gicv3]") {
    GicSim sim(gic_trees::gic_v3_with_its());
    auto info = sim.platform.interrupt_controller_info();
    REQUIRE(info);
    CHECK(info->version == sw::GicVersion::v3);
    CHECK(info->redistributor == 0xfef00000);
    CHECK_FALSE(info->msi_frame);
    uint64_t gicd = sim.kernel.ioremap(info->distributor, gic::gicv3_distributor_space);
    uint64_t gicr = sim.kernel.ioremap(info->redistributor, gic::redistributor_space);
    uint64_t sgi = gicr + gic::gicr_sgi_base;
    std::string fault = sim.run([&] {
        // Reset: the redistributor asleep, affinity routing off - nothing can be forwarded.
        CHECK(sim.cpu.load32(gicr + gic::gicr_waker) ==
              (gic::gicr_waker_processor_sleep | gic::gicr_waker_children_asleep));
        CHECK(sim.gic.delivery_blocker().find("affinity routing is off") != std::string::npos);
        CHECK((sim.cpu.load32(gicd + gic::gicd_pidr2) & gic::pidr2_arch_mask) == gic::pidr2_arch_gicv3);
        CHECK(sim.cpu.load64(gicr + gic::gicr_typer) == gic::gicr_typer_last);  // affinity 0, the last

        REQUIRE(sim.kernel.request_irq(
                    bus_master_irq, [] {}, "test") == 0);  // the GIC's init runs first
        CHECK(sim.cpu.load32(gicd + gic::gicd_ctlr) ==
              (gic::gicd_ctlr_are_ns | gic::gicd_ctlr_enable_g1a | gic::gicd_ctlr_enable_g1));
        CHECK(sim.cpu.load32(gicr + gic::gicr_waker) == 0);
        CHECK(sim.cpu.read_gic_system_register(gic::icc_pmr_el1) == 0xf0);
        CHECK(sim.cpu.read_gic_system_register(gic::icc_igrpen1_el1) == 1);
        CHECK(sim.cpu.read_gic_system_register(gic::icc_sre_el1) == 1);
        CHECK(sim.cpu.load64(gicd + gic::gicd_irouter + bus_master_irq * 8) == 0);
        CHECK(sim.cpu.load32(gicd + gic::gicd_ipriorityr + bus_master_irq) == 0xa0a0a0a0);
        CHECK(sim.cpu.load32(gicd + gic::gicd_isenabler + 4) == 1u << (bus_master_irq - 32));
        CHECK(sim.gic.delivery_blocker().empty());

        // With ARE, the distributor's bank of IDs 0-31 reads as zero and ignores writes; the
        // redistributor's SGI frame holds them.
        sim.cpu.store32(gicd + gic::gicd_isenabler, 1u << 20);
        CHECK(sim.cpu.load32(gicd + gic::gicd_isenabler) == 0);
        CHECK(sim.cpu.load32(sgi + gic::gicd_isenabler) == 0);  // all private ones off (gic_cpu_config)
        sim.cpu.store32(sgi + gic::gicd_isenabler, 1u << 20);
        CHECK(sim.cpu.load32(sgi + gic::gicd_isenabler) == 1u << 20);
        CHECK(sim.cpu.load32(sgi + gic::gicd_ipriorityr + 20) == 0xa0a0a0a0);

        // A 32-bit access to the 64-bit IROUTER, and a register the model lacks: bus errors.
        CHECK_THROWS_AS(sim.cpu.load32(gicd + gic::gicd_irouter + bus_master_irq * 8), models::AccessFault);
        CHECK_THROWS_AS(sim.cpu.load32(gicd + 0x80), models::AccessFault);  // GICD_IGROUPR
        CHECK_THROWS_WITH(sim.cpu.read_gic_system_register(gic::sys_reg(3, 0, 12, 11, 5)),
                          "cpu0: MRS of system register 0x18cba0, which its interrupt controller does not have "
                          "(undefined instruction)");
    });
    CHECK(fault.empty());
}

TEST_CASE("gic-v3: a wired SPI reaches the core - ICC_IAR1_EL1 acknowledges, ICC_EOIR1_EL1 ends it, "
          "ICC_PMR_EL1 and GICD_IROUTER hold it back",
          "[irq][gicv3]") {
    GicSim sim(gic_trees::gic_v3_with_its());
    uint64_t gicd = sim.kernel.ioremap(sim.platform.interrupt_controller_info()->distributor,
                                       gic::gicv3_distributor_space);
    std::string fault = sim.run([&] {
        REQUIRE(sim.kernel.request_irq(
                    bus_master_irq, [] {}, "test") == 0);
        sim.gic.set_level(bus_master_irq, true);
        CHECK(sim.cpu.irq_pending());
        // The mask: below the interrupt's priority (0xa0), nothing is signalled.
        sim.cpu.write_gic_system_register(gic::icc_pmr_el1, 0xa0);
        CHECK_FALSE(sim.cpu.irq_pending());
        CHECK(sim.gic.delivery_blocker().find("ICC_PMR_EL1 = 0xa0 masks") != std::string::npos);
        sim.cpu.write_gic_system_register(gic::icc_pmr_el1, 0xf0);
        // Routed to another core's affinity: not this one's.
        sim.cpu.store64(gicd + gic::gicd_irouter + bus_master_irq * 8, 0x100);
        CHECK_FALSE(sim.cpu.irq_pending());
        sim.cpu.store64(gicd + gic::gicd_irouter + bus_master_irq * 8, gic::irouter_any_core);
        CHECK(sim.cpu.irq_pending());

        CHECK(sim.cpu.read_gic_system_register(gic::icc_iar1_el1) == bus_master_irq);
        CHECK_FALSE(sim.cpu.irq_pending());  // active: held back until its EOI
        CHECK(sim.cpu.read_gic_system_register(gic::icc_iar1_el1) == gic::spurious_id);
        sim.gic.set_level(bus_master_irq, false);
        sim.cpu.write_gic_system_register(gic::icc_eoir1_el1, bus_master_irq);
        CHECK_FALSE(sim.cpu.irq_pending());

        // The kernel's path: WFI, then gic_handle_irq's IAR, handler, EOIR.
        unsigned handled = 0;
        sim.kernel.free_irq(bus_master_irq);
        REQUIRE(sim.kernel.request_irq(
                    bus_master_irq,
                    [&] {
                        ++handled;
                        sim.gic.set_level(bus_master_irq, false);
                    },
                    "test") == 0);
        sim.gic.set_level(bus_master_irq, true, sc_core::sc_time(3, sc_core::SC_US));
        sim.kernel.wait_for_interrupt();
        CHECK(handled == 1);
        CHECK(sim.cpu.now_ps() >= 3000000);
    });
    CHECK(fault.empty());
    CHECK(sim.instr.counter_value("irq.handled") == 1);
}

TEST_CASE("gic-v3: no ITS is modelled - the kernel has no MSI and says why", "[irq][gicv3]") {
    GicSim sim(gic_trees::gic_v3_with_its());
    std::string fault = sim.run([&] {
        CHECK_FALSE(sim.kernel.has_msi());
        CHECK(sim.kernel.no_msi_reason() == "the GICv3 has no ITS modelled");
        unsigned first = 0;
        CHECK(sim.kernel.alloc_msi_vectors(1, first) == -ENODEV);
    });
    CHECK(fault.empty());
    CHECK(sim.platform.warnings().size() >= 1);
}

TEST_CASE("gicv2m_init_one: without arm,msi-base-spi the range is MSI_TYPER's (base 25:16, count 9:0)", "[irq][v2m]") {
    GicSim sim(gic_trees::gic400_v2m_without_base_spi());
    sw::MsiFrameInfo frame = *sim.platform.interrupt_controller_info()->msi_frame;
    CHECK_FALSE(frame.base_spi);
    uint64_t v2m = sim.kernel.ioremap(frame.base, gic::msi_frame_space);
    std::string fault = sim.run([&] {
        CHECK(sim.cpu.load32(v2m + gic::msi_typer) == (224u << 16 | 32));
        CHECK(sim.kernel.has_msi());
        unsigned first = 0;
        REQUIRE(sim.kernel.alloc_msi_vectors(4, first) == 0);
        CHECK(first == 224);
        CHECK(sim.kernel.msi_doorbell() == 0x2c1c0040);
    });
    CHECK(fault.empty());
}

TEST_CASE("gicv2m_init_one: arm,msi-base-spi and arm,msi-num-spis together override MSI_TYPER", "[irq][v2m]") {
    const std::string frame = "/interrupt-controller@2c001000/v2m@0";
    GicSim sim(gic_trees::gic400_v2m_without_base_spi(),
               {frame + ":arm,msi-base-spi=<96>", frame + ":arm,msi-num-spis=<16>"});
    CHECK(sim.platform.interrupt_controller_info()->msi_frame->base_spi == 96u);
    CHECK(sim.gic.config().msi_frame->base_id == 96);  // the frame's MSI_TYPER reports the same range
    std::string fault = sim.run([&] {
        unsigned first = 0;
        REQUIRE(sim.kernel.alloc_msi_vectors(16, first) == 0);
        CHECK(first == 96);
        CHECK(sim.kernel.alloc_msi_vectors(1, first) == -ENOSPC);
    });
    CHECK(fault.empty());
}

TEST_CASE("gicv2m_of_init: arm,msi-base-spi without arm,msi-num-spis is warned and MSI_TYPER is read", "[irq][v2m]") {
    const std::string frame = "/interrupt-controller@2c001000/v2m@0";
    GicSim sim(gic_trees::gic400_v2m_without_base_spi(), {frame + ":arm,msi-base-spi=<96>"});
    CHECK_FALSE(sim.platform.interrupt_controller_info()->msi_frame->base_spi);
    CHECK(sim.platform.warnings().front().find("arm,msi-base-spi and arm,msi-num-spis override MSI_TYPER only "
                                               "together") != std::string::npos);
    std::string fault = sim.run([&] {
        unsigned first = 0;
        REQUIRE(sim.kernel.alloc_msi_vectors(1, first) == 0);
        CHECK(first == 224);
    });
    CHECK(fault.empty());
}

TEST_CASE("gicv2m_init_one: a range is_msi_spi_valid refuses leaves the platform without MSI, warned", "[irq][v2m]") {
    const std::string gic = "/interrupt-controller@2c001000";
    GicSim sim(gic_trees::gic400_v2m_without_base_spi(),
               {gic + ":dmasim,num-irqs=<1024>", gic + "/v2m@0:arm,msi-base-spi=<1000>",
                gic + "/v2m@0:arm,msi-num-spis=<20>"});
    std::string fault = sim.run([&] {
        CHECK_FALSE(sim.kernel.has_msi());
        CHECK(sim.kernel.no_msi_reason() ==
              "the GICv2m frame's range was refused: Number of SPIs (20) exceed maximum (988)");
    });
    CHECK(fault.empty());
    REQUIRE(sim.kernel.interrupts());
    CHECK(sim.kernel.interrupts()->warnings() ==
          std::vector<std::string>{"GICv2m: Number of SPIs (20) exceed maximum (988)"});
}

TEST_CASE("gic-400 without a GICv2m frame: the platform elaborates (no unbound socket) and has no MSI", "[irq]") {
    GicSim sim(gic_trees::gic400_without_v2m());
    CHECK_FALSE(sim.platform.interrupt_controller_info()->msi_frame);
    std::string fault = sim.run([&] {  // sc_start elaborates first: an unbound socket would throw here
        CHECK_FALSE(sim.kernel.has_msi());
        CHECK(sim.kernel.no_msi_reason() == "the GIC has no GICv2m frame");
    });
    CHECK(fault.empty());
}
