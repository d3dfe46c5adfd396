// The bus master's driver on the shipped platforms, every access to the device a load or store of
// the core: probe, transfers with the interrupt and polled, transfers split by the device's buffer,
// COPY, and the errors a transfer can end in (a hole, a range outside the bus's dma-ranges, no
// buffer, not probed), each an error code and a message, the simulation going on. One simulation
// per test case.
#include "models/bus/bus_master_regs.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"
#include "sw/drivers/dma/bus_master.h"
#include "sw/kernel/kernel.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <functional>
#include <string>
#include <systemc>
#include <vector>

namespace {

// A platform with a booted kernel and the bus master's driver (not probed yet).
struct Sim {
    models::Instrumentation instr;
    platform::DeviceTree tree;
    platform::Platform platform;
    sw::Kernel kernel;
    models::Core& cpu;
    sw::BusMaster master;

    explicit Sim(const std::vector<std::string>& overrides = {}, const char* dts = "arm-noncoherent.dts")
        : tree(load(dts, overrides)), platform(tree, platform::PlatformOptions{}, instr),
          kernel(platform.core(), instr, platform.kernel_ram(), platform.kernel_reserved(),
                 platform.outer_cache_registers(), platform.zone_dma_limit(), platform.interrupt_controller_info()),
          cpu(platform.core()), master(kernel, platform.kernel_bus_masters().at(0)) {}

    static platform::DeviceTree load(const std::string& dts, const std::vector<std::string>& overrides) {
        platform::DeviceTree tree = platform::DeviceTree::load(DMASIM_SOURCE_DIR "/platforms/" + dts);
        for (const std::string& spec : overrides)
            tree.apply_override(spec);
        return tree;
    }
    // Runs `program` on the core; returns the core's fault ("" if none).
    std::string run(const std::function<void()>& program) {
        cpu.set_program([&](models::Core&) { program(); });
        sc_core::sc_start();
        return cpu.fault();
    }
    uint64_t stat(const std::string& path) const { return instr.counter_value(path); }
};

std::vector<uint8_t> pattern(size_t size, unsigned salt) {
    std::vector<uint8_t> data(size);
    for (size_t i = 0; i < size; ++i)
        data[i] = static_cast<uint8_t>(i * 13 + salt);
    return data;
}

// The device writes a pattern to fresh pages, reads it back, copies it to other pages and reads
// the copy: every byte must come back. Pages the CPU never touched: no cache maintenance needed.
void round_trip(Sim& sim, uint64_t size) {
    uint64_t a = sim.kernel.alloc_contiguous(size), b = sim.kernel.alloc_contiguous(size);
    std::vector<uint8_t> data = pattern(size, 5), seen(size);
    CHECK(sim.master.write(a, data.data(), size) == 0);
    CHECK(sim.master.read(a, seen.data(), size) == 0);
    CHECK(seen == data);
    CHECK(sim.master.copy(a, b, size) == 0);
    seen.assign(size, 0);
    CHECK(sim.master.read(b, seen.data(), size) == 0);
    CHECK(seen == data);
}

}  // namespace

TEST_CASE("bus master driver: probe maps the device and takes its interrupt, transfers wait in WFI for it",
          "[bus_master]") {
    Sim sim;
    std::string fault = sim.run([&] {
        REQUIRE(sim.master.probe() == 0);
        CHECK(sim.master.uses_irq());
        CHECK(sim.master.buffer_size() == 1 << 20);
        CHECK(sim.master.readl(bus_master::BM_ID) == bus_master::ID_VALUE);
        round_trip(sim, 3000);
        sim.master.remove();
    });
    CHECK(fault.empty());
    CHECK(sim.stat("dma0.commands") == 4);
    CHECK(sim.stat("irq.48.count") == 4);  // one interrupt per command
    CHECK(sim.stat("cpu0.wfi") == 4);
    CHECK(sim.stat("dma0.read_bytes") == 3 * 3000);
    CHECK(sim.stat("dma0.write_bytes") == 2 * 3000);
    CHECK(sim.stat("cpu0.data_aborts") == 0);
}

TEST_CASE("bus master driver: without an interrupt it polls STATUS", "[bus_master]") {
    Sim sim({"/soc/dma-agent@1000000:interrupts=false"});
    std::string fault = sim.run([&] {
        REQUIRE(sim.master.probe() == 0);
        CHECK_FALSE(sim.master.uses_irq());
        round_trip(sim, 256);
        sim.master.remove();
    });
    CHECK(fault.empty());
    CHECK(sim.stat("dma0.commands") == 4);
    CHECK(sim.stat("cpu0.wfi") == 0);
    CHECK(sim.stat("gic.irqs_raised") == 0);
}

TEST_CASE("bus master driver: a transfer larger than the device's buffer goes a buffer's worth per command",
          "[bus_master]") {
    Sim sim({"/soc/dma-agent@1000000:reg=<0x1000000 0x1000 0x1100000 0x100>"});  // a 256-byte buffer
    std::string fault = sim.run([&] {
        REQUIRE(sim.master.probe() == 0);
        CHECK(sim.master.buffer_size() == 256);
        round_trip(sim, 1000);  // 4 commands per read and write, 1 for the copy
        std::vector<uint8_t> too_big(257);
        CHECK(sim.master.copy_to_buffer(too_big.data(), too_big.size()) == -EINVAL);
        CHECK(sim.master.read_to_buffer(0x80000000, too_big.size()) == -EINVAL);
        CHECK_THAT(sim.master.error(), Catch::Contains("257 bytes do not fit its 256-byte buffer"));
        sim.master.remove();
    });
    CHECK(fault.empty());
    CHECK(sim.stat("dma0.commands") == 4 + 4 + 1 + 4);
}

TEST_CASE("bus master driver: DMA to a hole is an error the driver reports, not a crash", "[bus_master]") {
    Sim sim;
    std::string fault = sim.run([&] {
        REQUIRE(sim.master.probe() == 0);
        std::vector<uint8_t> data(128, 0x5a);
        CHECK(sim.master.write(0x40000000, data.data(), data.size()) == -EIO);
        CHECK(sim.master.error() == "dmasim-bus-master dma-agent@1000000: DMA write of 128 bytes failed at bus "
                                    "address 0x40000000: bus error");
        CHECK((sim.master.readl(bus_master::BM_STATUS) & bus_master::STATUS_ERROR) != 0);
        round_trip(sim, 64);  // the device goes on working
        sim.master.remove();
    });
    CHECK(fault.empty());
    CHECK(sim.stat("dma0.errors") == 1);
    CHECK(sim.stat("cpu0.data_aborts") == 0);
}

TEST_CASE("bus master driver: a range outside the bus's dma-ranges is refused before anything moves", "[bus_master]") {
    Sim sim({}, "arm-pci-noncoherent.dts");  // /soc's dma-ranges: bus 0..1 GiB -> RAM at 0x80000000
    std::string fault = sim.run([&] {
        REQUIRE(sim.master.probe() == 0);
        std::vector<uint8_t> seen(128);
        CHECK(sim.master.read(0x3fffffc0, seen.data(), seen.size()) == -EIO);
        CHECK(sim.master.error() == "dmasim-bus-master dma-agent@1000000: DMA read of 128 bytes failed at bus "
                                    "address 0x3fffffc0: outside every window of its bus's dma-ranges");
        CHECK(sim.master.read(0x1000, seen.data(), seen.size()) == 0);  // inside: RAM at 0x80001000
        sim.master.remove();
    });
    CHECK(fault.empty());
    CHECK(sim.stat("dma0.window_errors") == 1);
    CHECK(sim.stat("dma0.read_bytes") == 128);
}

TEST_CASE("bus master driver: no buffer, no READ or WRITE, and before probe nothing", "[bus_master]") {
    Sim sim({"/soc/dma-agent@1000000:reg=<0x1000000 0x1000>"});
    std::string fault = sim.run([&] {
        std::vector<uint8_t> data(64);
        CHECK(sim.master.write(0x80000000, data.data(), data.size()) == -ENODEV);
        CHECK_THAT(sim.master.error(), Catch::EndsWith("not probed"));
        REQUIRE(sim.master.probe() == 0);
        CHECK(sim.master.buffer_size() == 0);
        CHECK(sim.master.write(0x80000000, data.data(), data.size()) == -EINVAL);
        CHECK_THAT(sim.master.error(), Catch::Contains("no data buffer"));
        uint64_t pa = sim.kernel.alloc_contiguous(4096);
        CHECK(sim.master.copy(pa, pa + 2048, 2048) == 0);
        sim.master.remove();
    });
    CHECK(fault.empty());
    CHECK(sim.stat("dma0.commands") == 1);
}
