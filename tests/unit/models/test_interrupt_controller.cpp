// Interrupts: the GIC-400 model's registers driven by the core (enable, pending, IAR/EOIR,
// spurious, level re-pend, edge latch, the priority mask), WFI and handlers in the core's thread
// at the time a device raises its line, MSIs through the GICv2m doorbell, unhandled interrupts,
// WFI that can never wake, and the device-tree binding. One simulation per test case.
#include "config_error.h"
#include "models/common/access_fault.h"
#include "models/irq/interrupt_controller.h"
#include "platforms/app/describe.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"
#include "sw/drivers/dma/bus_master.h"
#include "sw/kernel/kernel.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <functional>
#include <stdexcept>
#include <string>
#include <systemc>
#include <tuple>
#include <vector>

using Gic = models::InterruptController;

namespace {

constexpr uint64_t ps_per_us = 1000000;

platform::DeviceTree noncoherent_tree(const std::vector<std::string>& overrides) {
    platform::DeviceTree tree = platform::DeviceTree::load(DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts");
    for (const std::string& spec : overrides)
        tree.apply_override(spec);
    return tree;
}

// The shipped non-coherent platform with a booted kernel, and the GIC's registers mapped for
// tests that drive them by hand (through the core, as software does).
struct IrqSim {
    models::Instrumentation instr;
    platform::DeviceTree tree;
    platform::Platform platform;
    sw::Kernel kernel;
    models::Core& cpu;
    Gic& gic;
    uint64_t gicd, gicc;

    explicit IrqSim(const std::vector<std::string>& overrides = {})
        : tree(noncoherent_tree(overrides)), platform(tree, platform::PlatformOptions{}, instr),
          kernel(platform.core(), instr, platform.kernel_ram(), platform.kernel_reserved(),
                 platform.outer_cache_registers(), platform.zone_dma_limit(), platform.interrupt_controller_info()),
          cpu(platform.core()), gic(*platform.interrupt_controller()),
          gicd(kernel.ioremap(platform.interrupt_controller_info()->distributor, gic::distributor_space)),
          gicc(kernel.ioremap(platform.interrupt_controller_info()->cpu_interface, gic::cpu_interface_space)) {}

    // Runs `program` on the core; returns the core's fault ("" if none).
    std::string run(const std::function<void()>& program) {
        cpu.set_program([&](models::Core&) { program(); });
        sc_core::sc_start();
        return cpu.fault();
    }
    uint64_t stat(const std::string& path) const { return instr.counter_value(path); }

    // --- inside the program ---
    void enable_forwarding(uint32_t pmr = 0xf0) {
        cpu.store32(gicd + gic::gicd_ctlr, 1);
        cpu.store32(gicc + gic::gicc_pmr, pmr);
        cpu.store32(gicc + gic::gicc_ctlr, 1);
    }
    uint32_t bank(uint32_t base, unsigned id) { return cpu.load32(gicd + base + id / 32 * 4); }
    void set_bank_bit(uint32_t base, unsigned id) { cpu.store32(gicd + base + id / 32 * 4, 1u << (id % 32)); }
    bool enabled(unsigned id) { return bank(gic::gicd_isenabler, id) >> (id % 32) & 1; }
    bool pending(unsigned id) { return bank(gic::gicd_ispendr, id) >> (id % 32) & 1; }
    bool active(unsigned id) { return bank(gic::gicd_isactiver, id) >> (id % 32) & 1; }
    uint32_t iar() { return cpu.load32(gicc + gic::gicc_iar); }
    void eoi(uint32_t id) { cpu.store32(gicc + gic::gicc_eoir, id); }
};

// Records events as (name, time, level) for the interrupt lines.
struct LineRecorder : models::EventSink {
    std::vector<std::tuple<std::string, uint64_t, uint64_t>> changes;
    void on_event(const models::Event& event) override {
        changes.emplace_back(*event.name, event.time_ps, std::get<uint64_t>(event.fields.at(0).value));
    }
};

// A device whose level-sensitive line its SystemC process asserts at a set time; its driver
// deasserts it from the core's thread at the core's time (as a write to the device's status
// register would).
struct LevelDevice : sc_core::sc_module {
    Gic& gic;
    unsigned id;
    sc_core::sc_time at;
    uint64_t raised_ps = 0;

    SC_HAS_PROCESS(LevelDevice);
    LevelDevice(sc_core::sc_module_name name, Gic& gic_, unsigned id_, sc_core::sc_time at_)
        : sc_module(name), gic(gic_), id(id_), at(at_) {
        SC_THREAD(raise);
    }
    void raise() {
        sc_core::wait(at);
        raised_ps = sc_core::sc_time_stamp().value();
        gic.set_level(id, true);
    }
    void clear(const models::Core& cpu) {
        gic.set_level(id, false, sc_core::sc_time::from_value(cpu.now_ps() - sc_core::sc_time_stamp().value()));
    }
};

}  // namespace

TEST_CASE("gic: enable, pending, IAR, EOIR, spurious and the priority mask through the registers", "[irq]") {
    IrqSim sim;
    std::string fault = sim.run([&] {
        CHECK(sim.cpu.load32(sim.gicd + gic::gicd_typer) == 7);  // 256 IDs
        sim.enable_forwarding();
        sim.set_bank_bit(gic::gicd_isenabler, 40);
        CHECK(sim.bank(gic::gicd_isenabler, 40) == 1u << 8);
        sim.set_bank_bit(gic::gicd_icenabler, 40);
        CHECK_FALSE(sim.enabled(40));

        // Pending but disabled: not signalled, IAR is spurious.
        sim.gic.pulse(40);
        CHECK(sim.pending(40));
        CHECK_FALSE(sim.cpu.irq_pending());
        CHECK(sim.iar() == gic::spurious_id);

        sim.set_bank_bit(gic::gicd_isenabler, 40);
        CHECK(sim.cpu.irq_pending());
        CHECK(sim.iar() == 40);
        CHECK(sim.active(40));
        CHECK_FALSE(sim.pending(40));  // the edge's latch is consumed
        sim.gic.pulse(40);
        CHECK(sim.pending(40));
        CHECK(sim.iar() == gic::spurious_id);  // an active interrupt holds back the others
        CHECK_FALSE(sim.cpu.irq_pending());
        sim.eoi(40);
        CHECK_FALSE(sim.active(40));
        CHECK(sim.iar() == 40);  // the second pulse, latched while active
        sim.eoi(40);

        // The lowest ID first; ICPENDR clears a latch; ISPENDR sets one.
        sim.set_bank_bit(gic::gicd_isenabler, 36);
        sim.set_bank_bit(gic::gicd_isenabler, 70);
        sim.gic.pulse(70);
        sim.gic.pulse(40);
        sim.set_bank_bit(gic::gicd_ispendr, 36);
        sim.set_bank_bit(gic::gicd_icpendr, 70);
        CHECK(sim.iar() == 36);
        sim.eoi(36);
        CHECK(sim.iar() == 40);
        sim.eoi(40);
        CHECK(sim.iar() == gic::spurious_id);

        // A mask at or below the interrupts' priority (0xa0) holds everything back.
        sim.gic.pulse(40);
        sim.cpu.store32(sim.gicc + gic::gicc_pmr, 0xa0);
        CHECK(sim.cpu.load32(sim.gicc + gic::gicc_pmr) == 0xa0);
        CHECK_FALSE(sim.cpu.irq_pending());
        CHECK(sim.iar() == gic::spurious_id);
        sim.cpu.store32(sim.gicc + gic::gicc_pmr, 0xa8);
        CHECK(sim.iar() == 40);
        sim.eoi(40);

        // GICD_IPRIORITYR: a byte per ID, reset to Linux's 0xa0; a priority the mask holds back.
        uint64_t priorities_40 = sim.gicd + gic::gicd_ipriorityr + 40;
        CHECK(sim.cpu.load32(priorities_40) == 0xa0a0a0a0);
        sim.cpu.store32(priorities_40, 0xa0a0a0b0);
        CHECK(sim.cpu.load32(priorities_40) == 0xa0a0a0b0);
        sim.gic.pulse(40);
        CHECK(sim.iar() == gic::spurious_id);  // 0xb0 is not below GICC_PMR = 0xa8
        sim.cpu.store32(priorities_40, 0xa0a0a0a0);
        CHECK(sim.iar() == 40);
        sim.eoi(40);

        // No such register: a bus error, as the model implements only its subset.
        CHECK_THROWS_AS(sim.cpu.load32(sim.gicd + 0x800), models::AccessFault);
    });
    CHECK(fault.empty());
    CHECK(sim.stat("gic.spurious") == 5);
    CHECK(sim.stat("gic.irqs_raised") == 6);
    CHECK(sim.stat("gic.raised.40") == 5);
    CHECK(sim.stat("gic.raised.70") == 1);
}

TEST_CASE("gic: a level line is pending while asserted and again after EOI - an edge line latches", "[irq]") {
    IrqSim sim;
    std::string fault = sim.run([&] {
        sim.enable_forwarding();
        sim.set_bank_bit(gic::gicd_isenabler, 41);
        sim.set_bank_bit(gic::gicd_isenabler, 42);

        // Level (the reset configuration).
        sim.gic.set_level(41, true);
        CHECK(sim.iar() == 41);
        sim.eoi(41);
        CHECK(sim.pending(41));  // still asserted: pending again
        CHECK(sim.iar() == 41);
        sim.gic.set_level(41, false);
        sim.eoi(41);
        CHECK_FALSE(sim.pending(41));
        CHECK(sim.iar() == gic::spurious_id);
        sim.gic.set_level(41, true);
        sim.gic.set_level(41, false);
        CHECK_FALSE(sim.pending(41));  // a level that went away before anyone looked is gone

        // Edge, configured as Linux's irq_set_irq_type does.
        CHECK(sim.kernel.irq_set_irq_type(42, sw::IRQ_TYPE_EDGE_RISING) == 0);
        CHECK(sim.bank(gic::gicd_icfgr, 42 * 2) == 2u << 20);  // ICFGR2, field 10
        sim.gic.set_level(42, true);
        sim.gic.set_level(42, false);
        CHECK(sim.pending(42));  // latched by the rising edge
        CHECK(sim.iar() == 42);
        sim.gic.set_level(42, true);  // rises again while active: latched again
        sim.eoi(42);
        CHECK(sim.iar() == 42);
        sim.eoi(42);
        CHECK_FALSE(sim.pending(42));  // high, but no new edge
        CHECK(sim.kernel.irq_set_irq_type(42, sw::IRQ_TYPE_LEVEL_HIGH) == 0);
        CHECK(sim.pending(42));                                // as a level, the high line is pending
        CHECK(sim.kernel.irq_set_irq_type(42, 2) == -EINVAL);  // falling edges are not for SPIs
    });
    CHECK(fault.empty());
    CHECK(sim.stat("gic.raised.41") == 2);
    CHECK(sim.stat("gic.raised.42") == 2);
}

TEST_CASE("wfi: a device's level line wakes the core, and the handler runs in the core's thread at that time",
          "[irq]") {
    IrqSim sim;
    constexpr unsigned irq = 32 + 9;
    LevelDevice device("device", sim.gic, irq, sc_core::sc_time(5, sc_core::SC_US));
    sim.gic.connect_line(irq, "device");
    CHECK_THROWS_WITH(sim.gic.connect_line(irq, "other"),
                      "gic: interrupt ID 41 is connected to line device already; cannot connect other too (a shared "
                      "line is ORed before the controller)");
    LineRecorder lines;
    sim.instr.add_sink(&lines, "irq.*");
    uint64_t handled_ps = 0, wfi_from_ps = 0;
    std::string handler_thread;
    std::string fault = sim.run([&] {
        REQUIRE(sim.kernel.request_irq(
                    irq,
                    [&] {
                        handled_ps = sim.cpu.now_ps();
                        handler_thread = sc_core::sc_get_current_process_handle().name();
                        device.clear(sim.cpu);
                    },
                    "device") == 0);
        sim.cpu.compute(2000);  // 2 us, within the quantum: local time runs ahead of the kernel's
        wfi_from_ps = sim.cpu.now_ps();
        sim.kernel.wait_for_interrupt();
    });
    CHECK(fault.empty());
    CHECK(device.raised_ps == 5 * ps_per_us);
    CHECK(handled_ps >= 5 * ps_per_us);
    CHECK(handled_ps < 6 * ps_per_us);  // an IAR read later, not a quantum later
    CHECK(handler_thread == "cpu0.run");
    // The device's line and the core's IRQ input, as the waveform shows them.
    REQUIRE(lines.changes.size() == 4);
    CHECK(lines.changes[0] == std::make_tuple(std::string("irq.device"), 5 * ps_per_us, uint64_t(1)));
    CHECK(lines.changes[1] == std::make_tuple(std::string("irq.gic.cpu0"), 5 * ps_per_us, uint64_t(1)));
    CHECK(std::get<0>(lines.changes[2]) == "irq.gic.cpu0");  // at the acknowledge
    CHECK(std::get<2>(lines.changes[2]) == 0);
    CHECK(lines.changes[3] == std::make_tuple(std::string("irq.device"), handled_ps, uint64_t(0)));
    CHECK(sim.stat("cpu0.wfi") == 1);
    CHECK(sim.stat("cpu0.wfi_ps") == 5 * ps_per_us - wfi_from_ps - 10 * 1000);  // after the DSB's 10 cycles
    CHECK(sim.stat("irq.41.count") == 1);
    CHECK(sim.stat("irq.handled") == 1);
    CHECK(sim.stat("gic.spurious") == 0);
}

TEST_CASE("wfi: an interrupt raised while the core ran ahead in its quantum is taken without waiting", "[irq]") {
    IrqSim sim;
    constexpr unsigned irq = 32 + 10;
    LevelDevice device("device", sim.gic, irq, sc_core::sc_time(5, sc_core::SC_US));
    uint64_t handled_ps = 0;
    std::string fault = sim.run([&] {
        REQUIRE(sim.kernel.request_irq(
                    irq,
                    [&] {
                        handled_ps = sim.cpu.now_ps();
                        device.clear(sim.cpu);
                    },
                    "device") == 0);
        sim.cpu.compute(8000);  // 8 us of local time: the kernel's time is still 0
        sim.kernel.wait_for_interrupt();
    });
    CHECK(fault.empty());
    CHECK(handled_ps >= 8 * ps_per_us);
    CHECK(sim.stat("cpu0.wfi") == 1);
    CHECK(sim.stat("cpu0.wfi_ps") == 0);
    CHECK(sim.stat("irq.42.count") == 1);
}

TEST_CASE("msi: a device's write to the GICv2m doorbell through the router raises the allocated SPI", "[irq]") {
    IrqSim sim({"/soc/dma-agent@1000000:interrupts=false"});  // its driver polls: the test takes every interrupt
    sw::BusMaster device(sim.kernel, sim.platform.kernel_bus_masters().at(0));
    unsigned first = 0, block = 0;
    std::vector<unsigned> handled;
    uint32_t typer = 0;
    std::string fault = sim.run([&] {
        REQUIRE(device.probe() == 0);
        REQUIRE(sim.kernel.alloc_msi_vectors(1, first) == 0);
        REQUIRE(sim.kernel.alloc_msi_vectors(3, block) == 0);
        CHECK(sim.kernel.alloc_msi_vectors(0, block) == -EINVAL);
        CHECK(sim.kernel.alloc_msi_vectors(64, block) == -ENOSPC);
        REQUIRE(sim.kernel.request_irq(
                    first, [&] { handled.push_back(first); }, "msi0") == 0);
        REQUIRE(sim.kernel.request_irq(
                    block + 2, [&] { handled.push_back(block + 2); }, "msi3") == 0);
        CHECK((sim.bank(gic::gicd_icfgr, first * 2) >> (first % 16 * 2) & 3) == 2);  // configured as an edge

        uint64_t frame = sim.kernel.ioremap(sim.platform.interrupt_controller_info()->msi_frame->base,
                                            gic::msi_frame_space);
        typer = sim.cpu.load32(frame + gic::msi_typer);

        uint64_t doorbell = sim.kernel.msi_doorbell();
        for (uint32_t data : {block + 2, 40u, first})  // 40 is not the frame's: ignored
            CHECK(device.write(doorbell, &data, 4) == 0);
        sim.kernel.wait_for_interrupt();
    });
    CHECK(fault.empty());
    CHECK(first == 64);
    CHECK(block == 68);  // 3 vectors take an aligned block of 4
    CHECK(typer == (64u << 16 | 32));
    CHECK(sim.kernel.msi_doorbell() == 0x2c1c0040);
    CHECK(handled == std::vector<unsigned>{64, 70});  // both taken in one wake-up, lowest ID first
    CHECK(sim.stat("gic.msis") == 2);
    CHECK(sim.stat("gic.msis_ignored") == 1);
    CHECK(sim.stat("gic.raised.70") == 1);
    CHECK(sim.stat("gic.raised.40") == 0);
    CHECK(sim.stat("irq.handled") == 2);
}

TEST_CASE("irq: request_irq's errors, free_irq, and an unhandled interrupt counted and disabled, not fatal", "[irq]") {
    IrqSim sim;
    unsigned handled = 0;
    bool still_enabled = true, freed_enabled = true;
    std::string fault = sim.run([&] {
        auto handler = [&] { ++handled; };
        CHECK(sim.kernel.request_irq(20, handler, "ppi") == -EINVAL);
        CHECK(sim.kernel.request_irq(256, handler, "beyond") == -EINVAL);
        CHECK(sim.kernel.request_irq(45, nullptr, "none") == -EINVAL);
        REQUIRE(sim.kernel.request_irq(45, handler, "dev") == 0);
        CHECK(sim.kernel.request_irq(45, handler, "again") == -EBUSY);

        sim.set_bank_bit(gic::gicd_isenabler, 50);  // enabled behind the kernel's back
        sim.gic.set_level(50, true);
        sim.gic.pulse(45);
        sim.kernel.wait_for_interrupt();
        still_enabled = sim.enabled(50);

        sim.kernel.free_irq(45);
        freed_enabled = sim.enabled(45);
        sim.kernel.free_irq(45);
    });
    CHECK(fault.empty());
    CHECK(handled == 1);
    CHECK(sim.stat("irq.unhandled") == 1);
    CHECK(sim.stat("irq.handled") == 1);
    CHECK_FALSE(still_enabled);  // disabled after nobody cared, or the level would fire forever
    CHECK_FALSE(freed_enabled);
    const std::vector<std::string>& warnings = sim.kernel.interrupts()->warnings();
    REQUIRE(warnings.size() == 2);
    CHECK(warnings[0] == "irq 50: nobody cared (no handler registered); Disabling IRQ #50");
    CHECK(warnings[1] == "Trying to free already-free IRQ 45");
}

TEST_CASE("wfi with no interrupt enabled ends the program with a clear error", "[irq]") {
    IrqSim sim;
    bool returned = false;
    std::string fault = sim.run([&] {
        sim.kernel.wait_for_interrupt();
        returned = true;
    });
    CHECK_FALSE(returned);
    CHECK(sim.cpu.finished());
    CHECK_THAT(fault, Catch::Contains("wfi with no interrupt enabled: nothing can wake cpu0 (no interrupt is "
                                      "enabled (GICD_ISENABLERn are all 0))"));
}

TEST_CASE("wfi that no device ever answers ends the run with the reason instead of silently", "[irq]") {
    IrqSim sim;
    std::string fault = sim.run([&] {
        REQUIRE(sim.kernel.request_irq(
                    40, [] {}, "silent") == 0);
        sim.kernel.wait_for_interrupt();
    });
    CHECK_FALSE(sim.cpu.finished());
    CHECK_THAT(fault, Catch::Contains("cpu0 waits in wfi since") &&
                          Catch::Contains("ran out of events with no interrupt pending (enabled IDs: 40)"));
}

TEST_CASE("wfi and interrupts without an interrupt controller are errors, not hangs", "[irq]") {
    models::Instrumentation instr;
    // Without the GIC the bus master's interrupt has no parent: the device goes without it (polled).
    platform::DeviceTree tree = noncoherent_tree({"/interrupt-controller@2c001000:compatible=\"acme,pic\"",
                                                  "/soc/dma-agent@1000000:interrupts=false"});
    platform::Platform bare(tree, platform::PlatformOptions{}, instr);
    CHECK(bare.interrupt_controller() == nullptr);
    CHECK_FALSE(bare.interrupt_controller_info());
    sw::Kernel kernel(bare.core(), instr, bare.kernel_ram(), bare.kernel_reserved(), bare.outer_cache_registers(), 0,
                      bare.interrupt_controller_info());
    CHECK_THROWS_WITH(kernel.wait_for_interrupt(),
                      "wait_for_interrupt: the platform has no interrupt controller (no GIC node)");
    CHECK_FALSE(kernel.has_msi());
    CHECK_THROWS_WITH(bare.core().wfi(), "wfi with no interrupt controller: nothing can wake cpu0");
}

TEST_CASE("gic binding: the GIC-400 and its v2m frame from arm-noncoherent.dts, in the map and described", "[irq]") {
    models::Instrumentation instr;
    platform::DeviceTree tree = noncoherent_tree({});
    platform::Platform platform(tree, platform::PlatformOptions{}, instr);
    REQUIRE(platform.interrupt_controller());
    CHECK(platform.interrupt_controller()->config().num_ids == 256);
    auto info = platform.interrupt_controller_info();
    REQUIRE(info);
    CHECK(info->distributor == 0x2c001000);
    CHECK(info->cpu_interface == 0x2c002000);
    REQUIRE(info->msi_frame);
    CHECK(info->msi_frame->base == 0x2c1c0000);
    CHECK(info->msi_frame->base_spi == 64u);
    CHECK(info->msi_frame->num_spis == 32u);
    for (uint64_t address : {0x2c001000ULL, 0x2c002000ULL, 0x2c003fffULL, 0x2c1c0040ULL})
        CHECK(platform.bus().decode(address));
    CHECK_FALSE(platform.bus().decode(0x2c004000));
    std::string text = platform::describe_text(platform.description());
    CHECK_THAT(text, Catch::Contains("interrupt controller: gic (/interrupt-controller@2c001000, arm,gic-400) 256 "
                                     "interrupt IDs; distributor at 0x2c001000, CPU interface at 0x2c002000"));
    CHECK_THAT(text, Catch::Contains("MSI frame (/interrupt-controller@2c001000/msi-controller@2c1c0000) at "
                                     "0x2c1c0000: doorbell 0x2c1c0040, IDs 64-95"));
    CHECK_THAT(text, Catch::Contains("gicd     registers"));
    CHECK(platform.warnings().empty());
}

TEST_CASE("gic binding: arm,cortex-a15-gic is the same controller - dmasim,num-irqs sets its IDs", "[irq]") {
    models::Instrumentation instr;
    platform::DeviceTree tree = noncoherent_tree({"/interrupt-controller@2c001000:compatible=\"arm,cortex-a15-gic\"",
                                                  "/interrupt-controller@2c001000:dmasim,num-irqs=<128>"});
    platform::Platform platform(tree, platform::PlatformOptions{}, instr);
    REQUIRE(platform.interrupt_controller());
    CHECK(platform.interrupt_controller()->config().num_ids == 128);
    CHECK(platform.interrupt_controller_info()->msi_frame->base_spi == 64u);
}

TEST_CASE("gic binding: bad properties are ConfigErrors naming the node and the property", "[irq]") {
    const std::string gic = "/interrupt-controller@2c001000";
    const std::string v2m = gic + "/msi-controller@2c1c0000";
    auto error_with = [](const std::string& override_spec) {
        return config_error([&] {
            models::Instrumentation instr;
            platform::DeviceTree tree = noncoherent_tree({override_spec});
            platform::Platform platform(tree, platform::PlatformOptions{}, instr);
        });
    };
    CHECK(error_with(gic + ":#interrupt-cells=<2>") ==
          "arm-noncoherent.dts: node " + gic +
              ": property '#interrupt-cells': expected 3 (SPI/PPI, number, trigger "
              "flags), got 2");
    CHECK_THAT(error_with(gic + ":interrupt-controller=false"),
               Catch::Contains("node " + gic + ": property 'interrupt-controller': expected the empty property"));
    CHECK_THAT(error_with(gic + ":reg=<0x0 0x2c001000 0x0 0x1000>"),
               Catch::Contains("node " + gic +
                               ": property 'reg': expected the distributor (at least 0x1000 bytes) "
                               "then the CPU interface (at least 0x100 bytes)"));
    CHECK_THAT(error_with(gic + ":dmasim,num-irqs=<100>"),
               Catch::Contains("node " + gic +
                               ": property 'dmasim,num-irqs': expected a multiple of 32 from 64 to "
                               "1024 (interrupt IDs), got 100"));
    CHECK_THAT(error_with(v2m + ":reg=<0x0 0x2c002000 0x0 0x1000>"),
               Catch::Contains("node " + v2m +
                               ": property 'reg': expected a region that overlaps no other, got v2m "
                               "[0x2c002000, 0x2c003000) overlaps gicc"));
    CHECK_THAT(error_with(v2m + ":arm,msi-base-spi=<16>"),
               Catch::Contains("node " + v2m +
                               ": property 'arm,msi-base-spi': expected the interrupt ID of an SPI "
                               "of the parent GIC (32 to 255), got 16"));
    CHECK_THAT(error_with(v2m + ":arm,msi-num-spis=<200>"),
               Catch::Contains("node " + v2m +
                               ": property 'arm,msi-num-spis': expected 1 to 192 SPIs (the parent "
                               "GIC's IDs end at 255), got 200"));
    CHECK_THAT(error_with(v2m + ":msi-controller=false"),
               Catch::Contains("node " + v2m + ": property 'msi-controller'"));
    CHECK_THAT(error_with(gic + ":compatible=\"simple-bus\""),
               Catch::Contains("node " + v2m +
                               ": property 'compatible': expected \"arm,gic-v2m-frame\" only in a "
                               "child of a GICv2 node"));
}
