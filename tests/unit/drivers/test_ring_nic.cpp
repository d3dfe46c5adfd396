// The ring device (models/pci/ring_nic.h) and its driver (sw/drivers/pci/ring_nic.h) on
// arm-pci-noncoherent.dts and arm-pci-coherent.dts: the register interface through the CPU,
// loopback with data checked on both platforms, coalescing, drops, descriptors the device does
// not own, DMA errors, probe and remove without dma-debug leaks, and seed-small-buffers' checks.
#include "pci_sim.h"

#include "models/pci/ring_nic.h"
#include "sw/drivers/pci/ring_nic.h"
#include "sw/kernel/kernel.h"
#include "sw/workloads/seed_small_buffers.h"
#include "sw/workloads/workload.h"

#include <vector>

using namespace ring_nic;
using pci_sim::PciSim;

namespace {

const char* nic_name = "0000:00:03.0";
constexpr size_t nic_index = 2;  // ep2

// Enumeration, then only ring_nic: the platform's other functions stay unbound and quiet.
void boot(PciSim& sim) {
    static const sw::PciDriverRegistry ring_only = [] {
        sw::PciDriverRegistry registry;
        registry.add(sw::ring_nic_driver());
        return registry;
    }();  // bound devices point at its drivers
    sim.pci.scan();
    sim.pci.probe_drivers(ring_only);
}

sw::RingNic& nic_of(PciSim& sim) {
    sw::PciDev* pdev = sim.pci.find(nic_name);
    REQUIRE(pdev);
    sw::RingNic* nic = sw::RingNic::of(*pdev);
    REQUIRE(nic);
    return *nic;
}

models::RingNic& model_of(PciSim& sim) {
    return dynamic_cast<models::RingNic&>(*sim.platform().pci_endpoints().at(nic_index));
}

std::vector<uint8_t> frame_pattern(uint32_t n, uint32_t size) {
    std::vector<uint8_t> bytes(size);
    for (uint32_t i = 0; i < size; ++i)
        bytes[i] = static_cast<uint8_t>(n * 31 + i * 7 + 1);
    return bytes;
}

// Frames the stack received, copied out through the CPU.
struct Received {
    std::vector<std::vector<uint8_t>> data;
    std::vector<sw::RxFrame> frames;
};

// Installs a stack that copies and frees every frame.
void collect(PciSim& sim, sw::RingNic& nic, Received& received) {
    nic.set_rx_handler([&sim, &nic, &received](const sw::RxFrame& frame) {
        std::vector<uint8_t> bytes(frame.len);
        sim.cpu.read_block(frame.va, bytes.data(), frame.len);
        received.data.push_back(bytes);
        received.frames.push_back(frame);
        nic.free_rx_frame(frame);
    });
}

// Sends frame n of `size` bytes from a kmalloc'd buffer the driver takes over.
int send(PciSim& sim, sw::RingNic& nic, uint32_t n, uint32_t size) {
    uint64_t frame = sim.kernel.kmalloc().kmalloc(size);
    REQUIRE(frame);
    std::vector<uint8_t> bytes = frame_pattern(n, size);
    sim.cpu.write_block(frame, bytes.data(), size);
    return nic.xmit(frame, size);
}

void wait_for(PciSim& sim, const Received& received, size_t frames) {
    while (received.frames.size() < frames)
        sim.kernel.wait_for_interrupt();
}

// Loops frames of many sizes back and checks each one and its tag: small ones are copied into
// ZONE_DMA buffers, large ones mapped where the stack put them (above the window: bounced).
void loopback_test(PciSim& sim) {
    const std::vector<uint32_t> sizes = {60, 128, 256, 257, 1000, 1514, 32, 2048};
    Received received;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::RingNic& nic = nic_of(sim);
        collect(sim, nic, received);
        sw::RingNicOptions options;
        options.loopback = true;
        REQUIRE(nic.open(options) == 0);
        for (uint32_t n = 0; n < 24; ++n)
            REQUIRE(send(sim, nic, n, sizes[n % sizes.size()]) == 0);
        wait_for(sim, received, 24);
        nic.stop();
        sim.pci.remove_drivers();
    });
    REQUIRE(fault.empty());
    REQUIRE(received.frames.size() == 24);
    for (uint32_t n = 0; n < 24; ++n) {
        INFO("frame " << n);
        CHECK(received.data[n] == frame_pattern(n, sizes[n % sizes.size()]));
        CHECK(received.frames[n].tag == n);
        CHECK(received.frames[n].record_errors == 0);
        CHECK_FALSE(received.frames[n].truncated);
    }
    CHECK(sim.stat("ep2.rx_frames") == 24);
    CHECK(sim.stat("ep2.tx_frames") == 24);
    CHECK(sim.hazards() == 0);
    CHECK(sim.context.debug().report_count() == 0);
    CHECK(sim.context.debug().active_entries() == 0);
}

}  // namespace

TEST_CASE("ring device: read-only registers, reset values, ring sizes, base alignment and bad doorbells", "[ring]") {
    PciSim sim;
    uint32_t id = 0, dma_bits = 0, mask = 0, id_after_write = 0, odd_size = 1, big_size = 1, size = 0, base = 0;
    uint32_t head = 1, tail_after_bad = 1, ctrl = 0;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::RingNic& nic = nic_of(sim);
        id = nic.readl(RING_ID);
        dma_bits = nic.readl(RING_DMA_BITS);
        mask = nic.readl(RING_INT_MASK);  // probe leaves every cause masked
        nic.writel(RING_ID, 0);
        id_after_write = nic.readl(RING_ID);
        nic.writel(RING_RX_SIZE, 1);
        odd_size = nic.readl(RING_RX_SIZE);
        nic.writel(RING_RX_SIZE, max_ring_size + 1);
        big_size = nic.readl(RING_RX_SIZE);
        nic.writel(RING_RX_SIZE, 8);
        nic.writel(RING_RX_BASE_LO, 0x1237);
        size = nic.readl(RING_RX_SIZE);
        base = nic.readl(RING_RX_BASE_LO);
        head = nic.readl(RING_RX_HEAD);
        nic.writel(RING_RX_TAIL, 8);  // >= size: ignored
        tail_after_bad = nic.readl(RING_RX_TAIL);
        nic.writel(RING_CTRL, CTRL_LOOPBACK | 0x100);  // only defined bits stick
        ctrl = nic.readl(RING_CTRL);
        nic.writel(RING_CTRL, CTRL_RESET);
    });
    REQUIRE(fault.empty());
    CHECK(id == ID_VALUE);
    CHECK(dma_bits == 32);  // dmasim,dma-bits of nic@3,0
    CHECK(mask == INT_ALL);
    CHECK(id_after_write == ID_VALUE);
    CHECK(odd_size == 0);
    CHECK(big_size == 0);
    CHECK(size == 8);
    CHECK(base == 0x1230);
    CHECK(head == 0);
    CHECK(tail_after_bad == 0);
    CHECK(sim.stat("ep2.bad_doorbells") == 1);
    CHECK(ctrl == CTRL_LOOPBACK);
    CHECK(model_of(sim).reg(RING_RX_SIZE) == 0);  // the reset forgot the ring
    CHECK(model_of(sim).reg(RING_ID) == ID_VALUE);
}

TEST_CASE("ring device: loopback through the driver on the non-coherent platform, data and tags checked", "[ring]") {
    PciSim sim;
    loopback_test(sim);
    CHECK(sim.stat("swiotlb.maps") > 0);  // the stack's large frames lie above the window
    CHECK(sim.stat("dma.maint.clean") > 0);
}

TEST_CASE("ring device: loopback through the driver on the coherent platform, without cache maintenance", "[ring]") {
    PciSim sim({}, pci_sim::shipped("arm-pci-coherent.dts"));
    loopback_test(sim);
    CHECK(sim.stat("dma.maint.clean") == 0);
    CHECK(sim.stat("dma.maint.invalidate") == 0);
}

TEST_CASE("ring device: coalescing raises one interrupt per COAL_COUNT frames and the timer the rest", "[ring]") {
    PciSim sim;
    Received received;
    uint64_t timer_wait_ps = 0;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::RingNic& nic = nic_of(sim);
        collect(sim, nic, received);
        sw::RingNicOptions options;
        options.loopback = true;
        options.coalesce_count = 4;
        options.coalesce_ns = 50000;
        REQUIRE(nic.open(options) == 0);
        for (uint32_t n = 0; n < 8; ++n)  // two interrupts by count
            REQUIRE(send(sim, nic, n, 64) == 0);
        while (nic.stats().irqs < 2)
            sim.kernel.wait_for_interrupt();
        uint64_t sent_ps = sim.cpu.now_ps();
        for (uint32_t n = 8; n < 10; ++n)  // too few: the timer
            REQUIRE(send(sim, nic, n, 64) == 0);
        while (nic.stats().irqs < 3)
            sim.kernel.wait_for_interrupt();
        timer_wait_ps = sim.cpu.now_ps() - sent_ps;
        nic.stop();
    });
    REQUIRE(fault.empty());
    CHECK(received.frames.size() == 10);
    CHECK(sim.stat("ep2.irqs_by_count") == 2);
    CHECK(sim.stat("ep2.irqs_by_timer") == 1);
    CHECK(sim.stat("ep2.irqs") == 3);
    CHECK(sim.stat("ep2.msis") == 3);
    CHECK(timer_wait_ps >= 50000000);
    CHECK(timer_wait_ps < 60000000);
}

// An echo stack answers each frame from the receive path, a full ring's worth (63) in flight, and
// is slow: 50 us per frame, many frames' worth of the device's time. The answer to frame n needs
// the RX buffer frame n took; the driver posts its replacement, doorbell rung, before the frame
// goes up, so the device never finds the ring empty however far the stack falls behind.
TEST_CASE("ring_nic: a slow stack's answers from the receive path always find an RX buffer, none dropped", "[ring]") {
    PciSim sim;
    constexpr uint32_t frames = 150, in_flight = sw::RingNic::ring_size - 1, size = 64;
    std::vector<std::vector<uint8_t>> received;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::RingNic& nic = nic_of(sim);
        uint32_t sent = 0;
        nic.set_rx_handler([&](const sw::RxFrame& frame) {
            std::vector<uint8_t> bytes(frame.len);
            sim.cpu.read_block(frame.va, bytes.data(), frame.len);
            received.push_back(bytes);
            nic.free_rx_frame(frame);
            sim.cpu.compute(50000);  // the stack's work on the frame: 50 us at 1 GHz
            if (sent < frames)
                REQUIRE(send(sim, nic, sent++, size) == 0);
        });
        sw::RingNicOptions options;
        options.loopback = true;
        REQUIRE(nic.open(options) == 0);
        while (sent < in_flight)
            REQUIRE(send(sim, nic, sent++, size) == 0);
        while (received.size() < frames && sim.stat("ep2.rx_dropped") == 0)
            sim.kernel.wait_for_interrupt();
        nic.stop();
    });
    REQUIRE(fault.empty());
    CHECK(sim.stat("ep2.rx_dropped") == 0);
    REQUIRE(received.size() == frames);
    for (uint32_t n = 0; n < frames; ++n) {
        INFO("frame " << n);
        CHECK(received[n] == frame_pattern(n, size));
    }
}

TEST_CASE("ring device: INTx instead of MSI, asserted until the driver acknowledges", "[ring]") {
    PciSim sim({"/pcie@40000000/nic@3,0:dmasim,msi-vectors=<0>"});
    Received received;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::RingNic& nic = nic_of(sim);
        CHECK_FALSE(sw::pci_dev_msi_enabled(nic.pdev()));
        collect(sim, nic, received);
        sw::RingNicOptions options;
        options.loopback = true;
        options.coalesce_count = 2;
        REQUIRE(nic.open(options) == 0);
        for (uint32_t n = 0; n < 6; ++n)
            REQUIRE(send(sim, nic, n, 100) == 0);
        wait_for(sim, received, 6);
        nic.stop();
    });
    REQUIRE(fault.empty());
    CHECK(received.data.back() == frame_pattern(5, 100));
    CHECK(sim.stat("ep2.irqs") == 3);
    CHECK(sim.stat("ep2.intx_asserts") == 3);
    CHECK(sim.stat("ep2.msis") == 0);
    CHECK_FALSE(model_of(sim).intx_asserted());
}

TEST_CASE("ring device: without loopback frames leave, and TX completions interrupt", "[ring]") {
    PciSim sim;
    uint32_t in_flight = 1;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::RingNic& nic = nic_of(sim);
        sw::RingNicOptions options;
        options.coalesce_count = 3;
        REQUIRE(nic.open(options) == 0);
        for (uint32_t n = 0; n < 6; ++n)
            REQUIRE(send(sim, nic, n, 300) == 0);
        while (nic.tx_in_flight())
            sim.kernel.wait_for_interrupt();
        in_flight = nic.tx_in_flight();
        nic.stop();
    });
    REQUIRE(fault.empty());
    CHECK(in_flight == 0);
    CHECK(sim.stat("ep2.tx_frames") == 6);
    CHECK(sim.stat("ep2.tx_bytes") == 6 * 300);
    CHECK(sim.stat("ep2.rx_frames") == 0);
    CHECK(sim.stat("ep2.irqs_by_count") == 2);
}

TEST_CASE("ring device: with RX off a frame is dropped and reported at once - a short buffer truncates", "[ring]") {
    PciSim sim;
    Received received;
    uint32_t status = 0;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::RingNic& nic = nic_of(sim);
        collect(sim, nic, received);
        sw::RingNicOptions options;
        options.loopback = true;
        options.rx_buffer_size = 64;
        options.coalesce_count = 1;
        REQUIRE(nic.open(options) == 0);
        REQUIRE(send(sim, nic, 0, 100) == 0);  // truncated to the 64-byte buffer
        wait_for(sim, received, 1);
        nic.writel(RING_CTRL, CTRL_TX_ENABLE | CTRL_LOOPBACK);  // RX off
        nic.writel(RING_INT_MASK, INT_ALL);                     // so that the drop stays latched
        REQUIRE(send(sim, nic, 1, 100) == 0);
        while (nic.readl(RING_TX_HEAD) != 2)
            sim.cpu.compute(1000);
        status = nic.readl(RING_INT_STATUS);
        nic.stop();
    });
    REQUIRE(fault.empty());
    REQUIRE(received.frames.size() == 1);
    CHECK(received.frames[0].truncated);
    CHECK(received.frames[0].len == 64);
    std::vector<uint8_t> head = frame_pattern(0, 100);
    head.resize(64);
    CHECK(received.data[0] == head);
    CHECK((status & INT_RX_NO_BUFFER) != 0);
    CHECK(sim.stat("ep2.rx_dropped") == 1);
    CHECK(sim.stat("ep2.tx_frames") == 2);
}

TEST_CASE("ring device: a descriptor the device does not own stops its ring", "[ring]") {
    PciSim sim;
    uint32_t head = 1;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::RingNic& nic = nic_of(sim);
        REQUIRE(nic.open(sw::RingNicOptions{}) == 0);
        nic.writel(RING_TX_TAIL, 1);  // the doorbell for a descriptor nobody posted
        sim.cpu.compute(100000);
        head = nic.readl(RING_TX_HEAD);
        nic.stop();
    });
    REQUIRE(fault.empty());
    CHECK(head == 0);
    CHECK(sim.stat("ep2.not_owned") == 1);
    CHECK(sim.stat("ep2.tx_frames") == 0);
}

TEST_CASE("ring device: a ring outside the inbound window stops the engines with a DMA error", "[ring]") {
    PciSim sim;
    uint32_t status = 0, ctrl = 1;
    uint64_t dma_errors = 0;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::RingNic& nic = nic_of(sim);
        REQUIRE(nic.open(sw::RingNicOptions{}) == 0);
        nic.writel(RING_CTRL, 0);
        nic.writel(RING_TX_BASE_LO, 0xf0000000);  // beyond the 1 GiB window: an unsupported request
        nic.writel(RING_TX_SIZE, 4);
        nic.writel(RING_CTRL, CTRL_TX_ENABLE);
        nic.writel(RING_TX_TAIL, 1);
        sim.kernel.wait_for_interrupt();
        status = nic.readl(RING_STATUS);
        ctrl = nic.readl(RING_CTRL);
        dma_errors = nic.stats().dma_errors;
        nic.stop();
    });
    REQUIRE(fault.empty());
    CHECK((status & STATUS_DMA_ERROR) != 0);
    CHECK(ctrl == 0);
    CHECK(dma_errors == 1);
    CHECK(sim.stat("ep2.dma_errors") == 1);
    CHECK(sim.stat("pci0.unsupported_requests") == 1);
}

TEST_CASE("ring_nic: probe takes MSI and the rings, remove gives everything back with no dma-debug leak", "[ring]") {
    PciSim sim;
    Received received;
    uint64_t objects_before = 0, objects_after = 0;
    bool msi = false, master_after = true;
    std::string fault = sim.run([&] {
        boot(sim);
        sw::RingNic& nic = nic_of(sim);
        msi = sw::pci_dev_msi_enabled(nic.pdev());
        objects_before = sim.kernel.kmalloc().live_objects();
        collect(sim, nic, received);
        sw::RingNicOptions options;
        options.loopback = true;
        options.rx_buffer_size = 32;
        REQUIRE(nic.open(options) == 0);
        CHECK(nic.open(options) == -EBUSY);
        for (uint32_t n = 0; n < 5; ++n)
            REQUIRE(send(sim, nic, n, 32) == 0);
        wait_for(sim, received, 5);
        REQUIRE(send(sim, nic, 5, 32) == 0);  // still in flight at removal
        sim.pci.remove_drivers();
        objects_after = sim.kernel.kmalloc().live_objects();
        master_after = model_of(sim).bus_master();
    });
    REQUIRE(fault.empty());
    CHECK(msi);
    CHECK(objects_after == objects_before);
    CHECK_FALSE(master_after);
    CHECK(sim.context.debug().count(dma::DebugCheck::leaked_at_driver_removal) == 0);
    CHECK(sim.context.debug().active_entries() == 0);
    CHECK(sim.context.debug().report_count() == 0);
}

namespace {

// seed-small-buffers run on a PciSim: the fault, if any, and the data errors.
struct SeedRun {
    std::string fault;
    uint64_t data_errors = 0;
};

SeedRun run_seed(PciSim& sim, const std::map<std::string, std::string>& params) {
    sw::Workload workload = sw::seed_small_buffers_workload();
    sw::Params resolved = sw::WorkloadRegistry::resolve(workload, params);
    models::Instrumentation& instr = sim.instrumentation();
    SeedRun run;
    sw::WorkloadContext context{sim.cpu, sim.kernel, resolved, instr, 1, run.data_errors, {}, &sim.context, {}};
    context.pci = &sim.pci;
    run.fault = sim.run([&] {
        boot(sim);
        workload.run(context);
        sim.pci.remove_drivers();
    });
    return run;
}

}  // namespace

TEST_CASE("seed-small-buffers: fixed with a dma_pool under the invalidate policy, nothing goes wrong", "[ring]") {
    PciSim sim({"/chosen:dmasim,dma-from-device-map=\"invalidate\""});
    SeedRun run = run_seed(sim, {{"fix", "dma_pool"}, {"frames", "100"}});
    REQUIRE(run.fault.empty());
    CHECK(run.data_errors == 0);
    CHECK(sim.stat("workload.small_buffers.frames") == 100);
    CHECK(sim.stat("workload.small_buffers.shared_line_buffers") == 0);
    CHECK(sim.hazards() == 0);
    CHECK(sim.context.debug().report_count() == 0);
}

// The historical settings, each named: kmalloc's 8-byte alignment without arm64's bounce
// (dma_kmalloc_needs_bounce) and invalidations that discard their partial lines.
TEST_CASE("seed-small-buffers: broken under the invalidate policy, the records written before mapping are lost",
          "[ring]") {
    PciSim sim({"/chosen:dmasim,dma-from-device-map=\"invalidate\"", "/chosen:dmasim,dma-kmalloc-bounce=\"off\"",
                "/chosen:dmasim,dma-inv-partial-lines=\"invalidate\""});
    SeedRun run = run_seed(sim, {{"frames", "100"}});
    REQUIRE(run.fault.empty());
    CHECK(sim.stat("workload.small_buffers.bad_tags") > 50);
    CHECK(sim.stat("workload.small_buffers.bad_frames") == 0);
    CHECK(run.data_errors > 0);
}

TEST_CASE("seed-small-buffers: broken under the clean policy, the updates made during the DMA are lost", "[ring]") {
    PciSim sim({"/chosen:dmasim,dma-from-device-map=\"clean\"", "/chosen:dmasim,dma-kmalloc-bounce=\"off\"",
                "/chosen:dmasim,dma-inv-partial-lines=\"invalidate\""});
    SeedRun run = run_seed(sim, {{"frames", "100"}});
    REQUIRE(run.fault.empty());
    CHECK(sim.stat("workload.small_buffers.bad_tags") == 0);
    CHECK(sim.stat("workload.small_buffers.bad_records") > 50);
    CHECK(run.data_errors > 0);
}

// arm64's profile (Linux 6.5+): the 32-byte receive buffers share lines, but each FROM_DEVICE
// mapping of them bounces through swiotlb (dma_direct_map_page -> dma_kmalloc_needs_bounce), so
// nothing the CPU keeps in those lines is cleaned over or thrown away.
TEST_CASE("seed-small-buffers: arm64 profile, dma_kmalloc_needs_bounce bounces the shared buffers, nothing lost",
          "[ring][profile]") {
    PciSim sim({"/chosen:dmasim,arch=\"arm64\""});
    SeedRun run = run_seed(sim, {{"frames", "100"}});
    REQUIRE(run.fault.empty());
    CHECK(sim.stat("workload.small_buffers.shared_line_buffers") > 0);
    CHECK(sim.stat("swiotlb.maps") >= 100);
    CHECK(run.data_errors == 0);
    CHECK(sim.hazards() == 0);
}

// ARMv7's profile: kmalloc aligned to ARCH_DMA_MINALIGN (L1_CACHE_BYTES, 64), so no receive buffer
// shares a line, and FROM_DEVICE maps invalidate (v7_dma_inv_range) without harm.
TEST_CASE("seed-small-buffers: armv7 profile, ARCH_DMA_MINALIGN keeps every buffer in lines of its own",
          "[ring][profile]") {
    PciSim sim({"/chosen:dmasim,arch=\"armv7\"", "/chosen:dmasim,dma-from-device-map=\"invalidate\""});
    SeedRun run = run_seed(sim, {{"frames", "100"}});
    REQUIRE(run.fault.empty());
    CHECK(sim.stat("workload.small_buffers.shared_line_buffers") == 0);
    CHECK(sim.stat("swiotlb.maps") == 0);
    CHECK(run.data_errors == 0);
    CHECK(sim.hazards() == 0);
}

TEST_CASE("seed-small-buffers: fix=min_align without the kernel's policy is refused with what to set", "[ring]") {
    PciSim sim;
    SeedRun run = run_seed(sim, {{"fix", "min_align"}});
    CHECK(run.fault.find("set /chosen dmasim,kmalloc-min-align = <64>") != std::string::npos);
}
