// swiotlb on the non-coherent platform: streaming mappings a device cannot reach (or every one,
// when bouncing is forced) go through bounce slots; the bus master, standing in for the device,
// reads and writes the bounce buffer at the returned bus address, and the CPU and the coherence
// monitor check what arrives on each side. One simulation per test case.
#include "dma_sim.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <fmt/format.h>

namespace {

using dma::DmaDirection;
using dma::Swiotlb;
using dma_sim::cpu_pattern;
using dma_sim::device_pattern;
using dma_sim::Sim;

constexpr uint64_t KiB = 1024;
constexpr uint64_t slot = Swiotlb::io_tlb_size;
constexpr uint64_t segment = Swiotlb::io_tlb_size * Swiotlb::io_tlb_segsize;

// 2 GiB of DRAM at 0x80000000, its first GiB ZONE_DMA; the device sees DRAM at bus address 0
// (dma-ranges cpu 0x80000000 -> bus 0), so a 30-bit mask reaches ZONE_DMA only, as a Raspberry
// Pi 4's 30-bit devices do. The range is the dma::Device's; the bus master, which has no inbound
// window, is driven at the physical address (dev.dma_to_phys).
constexpr uint64_t zone_dma_limit = 0xc0000000;
const std::vector<std::string> two_gib = {"/memory@80000000:reg=<0x0 0x80000000 0x0 0x80000000>"};

void make_30_bit_device(Sim& sim) {
    sim.dev.add_dma_range({0x80000000, 0x0, 0x80000000});
    REQUIRE(dma::set_mask_and_coherent(sim.dev, dma::dma_bit_mask(30)) == 0);
}

dma::Policy small_forced_pool(uint64_t slots) {
    dma::Policy policy;
    policy.swiotlb_slots = slots;
    policy.swiotlb_force = true;
    return policy;
}

// The bounce buffer's physical address behind a bus address (what the device side uses).
uint64_t tlb_pa(Sim& sim, dma::dma_addr_t addr) { return sim.dev.dma_to_phys(addr); }

}  // namespace

TEST_CASE("swiotlb: a 30-bit device bounces buffers above its reach in every direction", "[swiotlb]") {
    Sim sim(two_gib, {}, zone_dma_limit);
    make_30_bit_device(sim);
    const uint64_t sizes[3] = {1000, 5000, 3000};
    const DmaDirection dirs[3] = {DmaDirection::to_device, DmaDirection::from_device, DmaDirection::bidirectional};
    uint64_t va[3] = {}, pa[3] = {}, bounce[3] = {};
    dma::dma_addr_t addr[3] = {};
    uint64_t to_device_seen = 0, bidir_seen = 0, from_device_got = 0, bidir_got = 0, to_device_kept = 0;
    std::string fault = sim.run([&] {
        for (int i = 0; i < 3; ++i) {
            pa[i] = sim.kernel.alloc_contiguous(8 * KiB, sw::Zone::dma32);  // above ZONE_DMA
            va[i] = sw::Kernel::phys_to_virt(pa[i]);
            sim.cpu_write(va[i], sizes[i], cpu_pattern);  // dirty in the caches only
            addr[i] = dma::map_single(sim.dev, va[i], sizes[i], dirs[i]);
            bounce[i] = tlb_pa(sim, addr[i]);
        }
        to_device_seen = sim.device_errors(bounce[0], sizes[0], cpu_pattern);
        bidir_seen = sim.device_errors(bounce[2], sizes[2], cpu_pattern);
        sim.device_write(bounce[1], sizes[1], device_pattern);
        sim.device_write(bounce[2], sizes[2], device_pattern);
        for (int i = 0; i < 3; ++i)
            dma::unmap_single(sim.dev, addr[i], sizes[i], dirs[i]);
        to_device_kept = sim.cpu_errors(va[0], sizes[0], cpu_pattern);
        from_device_got = sim.cpu_errors(va[1], sizes[1], device_pattern);
        bidir_got = sim.cpu_errors(va[2], sizes[2], device_pattern);
    });
    REQUIRE(fault.empty());
    Swiotlb& swiotlb = sim.context.swiotlb();
    CHECK(swiotlb.start() + swiotlb.size() <= zone_dma_limit);  // the pool is in ZONE_DMA
    for (int i = 0; i < 3; ++i) {
        CHECK(pa[i] >= zone_dma_limit);
        CHECK(addr[i] <= dma::dma_bit_mask(30));
        CHECK(swiotlb.is_swiotlb_buffer(bounce[i]));
    }
    // Slots 0, then 2..4 (a 5000-byte mapping starts on a page), then 5..6.
    CHECK(bounce[0] == swiotlb.start());
    CHECK(bounce[1] == swiotlb.start() + 2 * slot);
    CHECK(bounce[2] == swiotlb.start() + 5 * slot);
    CHECK(to_device_seen == 0);
    CHECK(bidir_seen == 0);
    CHECK(from_device_got == 0);
    CHECK(bidir_got == 0);
    CHECK(to_device_kept == 0);
    CHECK(sim.hazards() == 0);
    CHECK(sim.stat("swiotlb.total_slots") == 32768);
    CHECK(sim.stat("swiotlb.maps") == 3);
    // Every map copies in; FROM_DEVICE and BIDIRECTIONAL unmaps copy back.
    CHECK(sim.stat("swiotlb.bounced_bytes") == 1000 + 5000 + 3000 + 5000 + 3000);
    CHECK(sim.stat("swiotlb.slots_high_water") == 1 + 3 + 2);
    CHECK(sim.stat("swiotlb.slots_in_use") == 0);
    CHECK(swiotlb.used() == 0);
    CHECK(sim.stat("dma.mapping_errors") == 0);
    CHECK(dma::max_mapping_size(sim.dev) == 256 * KiB);  // the device may bounce
}

TEST_CASE("swiotlb: a buffer the 30-bit device reaches is not bounced", "[swiotlb]") {
    Sim sim(two_gib, {}, zone_dma_limit);
    make_30_bit_device(sim);
    uint64_t pa = 0, errors = 0;
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        pa = sim.kernel.alloc_contiguous(4 * KiB, sw::Zone::dma);
        sim.cpu_write(sw::Kernel::phys_to_virt(pa), 256, cpu_pattern);
        addr = dma::map_page(sim.dev, pa, 0, 256, DmaDirection::to_device);
        errors = sim.device_errors(sim.dev.dma_to_phys(addr), 256, cpu_pattern);
        dma::unmap_page(sim.dev, addr, 256, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(pa < zone_dma_limit);
    CHECK(addr == pa - 0x80000000);
    CHECK(errors == 0);
    CHECK(sim.stat("swiotlb.maps") == 0);
    CHECK(sim.stat("swiotlb.bounced_bytes") == 0);
}

TEST_CASE("swiotlb: a 30-bit device's coherent allocation comes from ZONE_DMA", "[swiotlb]") {
    Sim sim(two_gib, {}, zone_dma_limit);
    make_30_bit_device(sim);
    CHECK(dma::set_mask(sim.dev, dma::dma_bit_mask(29)) == -EIO);  // below ZONE_DMA's reach
    dma::dma_addr_t handle = 0;
    uint64_t cpu_addr = 0, errors = 0;
    std::string fault = sim.run([&] {
        cpu_addr = dma::alloc_coherent(sim.dev, 8 * KiB, handle);
        REQUIRE(cpu_addr != 0);
        sim.device_write(sim.dev.dma_to_phys(handle), 256, device_pattern);
        errors = sim.cpu_errors(cpu_addr, 256, device_pattern);
    });
    REQUIRE(fault.empty());
    CHECK(handle + 8 * KiB - 1 <= dma::dma_bit_mask(30));
    CHECK(sim.dev.dma_to_phys(handle) < zone_dma_limit);
    CHECK(errors == 0);
    CHECK(sim.hazards() == 0);
}

TEST_CASE("swiotlb: without ZONE_DMA a 30-bit mask cannot reach RAM and is refused", "[swiotlb]") {
    Sim sim(two_gib);
    sim.dev.add_dma_range({0x80000000, 0x0, 0x80000000});
    CHECK(dma::set_mask(sim.dev, dma::dma_bit_mask(30)) == -EIO);
    CHECK(dma::set_mask(sim.dev, dma::dma_bit_mask(31)) == 0);  // all 2 GiB of RAM
}

TEST_CASE("swiotlb=force bounces a buffer the device reaches", "[swiotlb]") {
    Sim sim({}, small_forced_pool(1024));
    uint64_t va = 0, device_errors = 0, cpu_errors = 0;
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        va = sim.kernel.kmalloc().kmalloc(512);
        sim.cpu_write(va, 512, cpu_pattern);
        addr = dma::map_single(sim.dev, va, 512, DmaDirection::bidirectional);
        device_errors = sim.device_errors(addr, 512, cpu_pattern);
        sim.device_write(addr, 512, device_pattern);
        dma::unmap_single(sim.dev, addr, 512, DmaDirection::bidirectional);
        cpu_errors = sim.cpu_errors(va, 512, device_pattern);
    });
    REQUIRE(fault.empty());
    CHECK(addr != sw::Kernel::virt_to_phys(va));
    CHECK(addr == sim.context.swiotlb().start());
    CHECK(device_errors == 0);
    CHECK(cpu_errors == 0);
    CHECK(sim.hazards() == 0);
    CHECK(sim.stat("swiotlb.total_slots") == 1024);
    CHECK(sim.stat("swiotlb.maps") == 1);
    CHECK(sim.stat("swiotlb.bounced_bytes") == 1024);
    CHECK(sim.stat("dma.maint.clean") == 1);       // the bounce buffer, at map
    CHECK(sim.stat("dma.maint.invalidate") == 1);  // the bounce buffer, at unmap
    CHECK(dma::max_mapping_size(sim.dev) == 256 * KiB);
    sim.context.policy().swiotlb_force = false;
    CHECK(dma::max_mapping_size(sim.dev) == ~0ULL);  // 32-bit mask, all RAM below 4 GiB
    sim.dev.set_force_bounce(true);
    CHECK(dma::max_mapping_size(sim.dev) == 256 * KiB);
}

TEST_CASE("swiotlb: a full pool gives DMA_MAPPING_ERROR with Linux's message, NO_WARN only silences it", "[swiotlb]") {
    Sim sim({}, small_forced_pool(256));  // two segments
    dma::dma_addr_t first = 0, second = 0, refused = 0, quiet = 0, too_big = 0;
    std::string fault = sim.run([&] {
        uint64_t pa = sim.kernel.alloc_contiguous(segment);
        first = dma::map_page(sim.dev, pa, 0, segment, DmaDirection::to_device);
        second = dma::map_page(sim.dev, pa, 0, segment, DmaDirection::to_device);
        refused = dma::map_page(sim.dev, pa, 0, 1, DmaDirection::to_device);
        quiet = dma::map_page(sim.dev, pa, 0, 1, DmaDirection::to_device, dma::attr::no_warn);
        dma::unmap_page(sim.dev, first, segment, DmaDirection::to_device);
        dma::unmap_page(sim.dev, second, segment, DmaDirection::to_device);
        too_big = dma::map_page(sim.dev, pa, 0, segment + 1, DmaDirection::to_device);  // never fits a segment
    });
    REQUIRE(fault.empty());
    CHECK_FALSE(dma::mapping_error(sim.dev, first));
    CHECK_FALSE(dma::mapping_error(sim.dev, second));
    CHECK(dma::mapping_error(sim.dev, refused));
    CHECK(dma::mapping_error(sim.dev, quiet));
    CHECK(dma::mapping_error(sim.dev, too_big));
    REQUIRE(sim.context.warnings().size() == 2);
    CHECK(sim.context.warnings()[0] ==
          "dma-agent@1000000: swiotlb buffer is full (sz: 1 bytes), total 256 (slots), used 256 (slots)");
    CHECK(sim.context.warnings()[1] ==
          "dma-agent@1000000: swiotlb buffer is full (sz: 262145 bytes), total 256 (slots), used 0 (slots)");
    CHECK(sim.stat("dma.mapping_errors") == 3);
    CHECK(sim.stat("swiotlb.full") == 3);
    CHECK(sim.stat("swiotlb.maps") == 2);
    CHECK(sim.stat("swiotlb.slots_high_water") == 256);
    CHECK(sim.stat("swiotlb.slots_in_use") == 0);
}

TEST_CASE("swiotlb: a bounce buffer never crosses a 128-slot segment, and freed slots merge again", "[swiotlb]") {
    Sim sim({}, small_forced_pool(256));
    std::vector<std::pair<uint64_t, uint64_t>> bounces;  // (offset in the pool, size)
    dma::dma_addr_t whole_a = 0, whole_b = 0;
    std::string fault = sim.run([&] {
        uint64_t pa = sim.kernel.alloc_contiguous(segment);
        // 100 slots; 50 that no longer fit the first segment; smaller runs after them; 25 slots that
        // only fit the first segment's tail, found by wrapping around.
        const uint64_t sizes[] = {100 * slot, 50 * slot, 20 * slot + 1, 3000, 7 * slot, 40 * slot, 25 * slot};
        std::vector<dma::dma_addr_t> addrs;
        for (uint64_t size : sizes) {
            dma::dma_addr_t addr = dma::map_page(sim.dev, pa, 0, size, DmaDirection::from_device);
            REQUIRE_FALSE(dma::mapping_error(sim.dev, addr));
            addrs.push_back(addr);
            bounces.emplace_back(addr - sim.context.swiotlb().start(), size);
        }
        for (size_t i = 0; i < addrs.size(); ++i)
            dma::unmap_page(sim.dev, addrs[i], sizes[i], DmaDirection::from_device, dma::attr::skip_cpu_sync);
        whole_a = dma::map_page(sim.dev, pa, 0, segment, DmaDirection::to_device);
        whole_b = dma::map_page(sim.dev, pa, 0, segment, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    REQUIRE(bounces.size() == 7);
    CHECK(bounces[0].first == 0);
    CHECK(bounces[1].first == segment);     // slots 100..149 would cross into the second segment
    CHECK(bounces[4].first == 202 * slot);  // a page or more starts on an even slot (201 is free)
    CHECK(bounces[6].first == 100 * slot);
    for (const auto& [offset, size] : bounces) {
        CHECK(offset % slot == 0);
        CHECK(offset / segment == (offset + size - 1) / segment);
    }
    CHECK(sim.stat("swiotlb.slots_in_use") == 256);  // the two whole segments
    CHECK_FALSE(dma::mapping_error(sim.dev, whole_a));
    CHECK_FALSE(dma::mapping_error(sim.dev, whole_b));
    CHECK(sim.stat("swiotlb.full") == 0);
}

TEST_CASE("swiotlb: syncs copy exactly per direction", "[swiotlb]") {
    Sim sim({}, small_forced_pool(256));
    uint64_t to_device_untouched = 0, from_device_stale = 0, bidir_to_cpu = 0, bidir_to_device = 0,
             skipped_untouched = 0, bytes_after_maps = 0, bytes_total = 0;
    std::string fault = sim.run([&] {
        uint64_t to_va = sim.kernel.kmalloc().kmalloc(256), from_va = sim.kernel.kmalloc().kmalloc(256),
                 bidir_va = sim.kernel.kmalloc().kmalloc(256), skip_va = sim.kernel.kmalloc().kmalloc(256);
        for (uint64_t va : {to_va, from_va, bidir_va, skip_va})
            sim.cpu_write(va, 256, cpu_pattern);
        dma::dma_addr_t to = dma::map_single(sim.dev, to_va, 256, DmaDirection::to_device);
        dma::dma_addr_t from = dma::map_single(sim.dev, from_va, 256, DmaDirection::from_device);
        dma::dma_addr_t bidir = dma::map_single(sim.dev, bidir_va, 256, DmaDirection::bidirectional);
        dma::dma_addr_t skip = dma::map_single(sim.dev, skip_va, 256, DmaDirection::from_device);
        bytes_after_maps = sim.stat("swiotlb.bounced_bytes");

        // TO_DEVICE: what a device writes into the bounce buffer never comes back.
        sim.device_write(to, 256, device_pattern);
        dma::sync_single_for_cpu(sim.dev, to, 256, DmaDirection::to_device);
        dma::unmap_single(sim.dev, to, 256, DmaDirection::to_device);
        to_device_untouched = sim.cpu_errors(to_va, 256, cpu_pattern);

        // FROM_DEVICE: sync_for_device does not copy the CPU's new bytes to the bounce buffer.
        sim.cpu_write(from_va, 256, device_pattern);
        dma::sync_single_for_device(sim.dev, from, 256, DmaDirection::from_device);
        from_device_stale = sim.device_errors(from, 256, cpu_pattern);
        dma::unmap_single(sim.dev, from, 256, DmaDirection::from_device);

        // BIDIRECTIONAL: both ways.
        sim.device_write(bidir, 256, device_pattern);
        dma::sync_single_for_cpu(sim.dev, bidir, 256, DmaDirection::bidirectional);
        bidir_to_cpu = sim.cpu_errors(bidir_va, 256, device_pattern);
        sim.cpu_write(bidir_va, 256, cpu_pattern);
        dma::sync_single_for_device(sim.dev, bidir, 256, DmaDirection::bidirectional);
        bidir_to_device = sim.device_errors(bidir, 256, cpu_pattern);
        dma::unmap_single(sim.dev, bidir, 256, DmaDirection::bidirectional);

        // SKIP_CPU_SYNC on unmap: no copy back.
        sim.device_write(skip, 256, device_pattern);
        dma::unmap_single(sim.dev, skip, 256, DmaDirection::from_device, dma::attr::skip_cpu_sync);
        skipped_untouched = sim.cpu_errors(skip_va, 256, cpu_pattern);
        bytes_total = sim.stat("swiotlb.bounced_bytes");
    });
    REQUIRE(fault.empty());
    CHECK(to_device_untouched == 0);
    CHECK(from_device_stale == 0);
    CHECK(bidir_to_cpu == 0);
    CHECK(bidir_to_device == 0);
    CHECK(skipped_untouched == 0);
    CHECK(bytes_after_maps == 4 * 256);
    // from: unmap copies back (256); bidir: sync_for_cpu, sync_for_device and unmap (3 * 256).
    CHECK(bytes_total - bytes_after_maps == 4 * 256);
    CHECK(sim.stat("swiotlb.slots_in_use") == 0);
    CHECK(sim.hazards() == 0);
}

TEST_CASE("swiotlb: a partial sync copies the bytes at its offset, across slots", "[swiotlb]") {
    Sim sim({}, small_forced_pool(256));
    const uint64_t size = 3 * slot, offset = slot + 1900, length = 300;  // straddles slots 1 and 2
    uint64_t inside = 0, before = 0, after = 0, copied = 0;
    std::string fault = sim.run([&] {
        uint64_t pa = sim.kernel.alloc_contiguous(2 * size);
        uint64_t va = sw::Kernel::phys_to_virt(pa);
        sim.cpu_write(va, size, cpu_pattern);
        dma::dma_addr_t addr = dma::map_page(sim.dev, pa, 0, size, DmaDirection::from_device);
        sim.device_write(addr, size, device_pattern);
        uint64_t bytes = sim.stat("swiotlb.bounced_bytes");
        dma::sync_single_range_for_cpu(sim.dev, addr, offset, length, DmaDirection::from_device);
        copied = sim.stat("swiotlb.bounced_bytes") - bytes;
        for (uint64_t i = 0; i < size; ++i) {
            uint8_t byte = sim.cpu.load8(va + i);
            if (i < offset)
                before += byte != cpu_pattern(i);
            else if (i < offset + length)
                inside += byte != device_pattern(i);
            else
                after += byte != cpu_pattern(i);
        }
        dma::unmap_page(sim.dev, addr, size, DmaDirection::from_device, dma::attr::skip_cpu_sync);
    });
    REQUIRE(fault.empty());
    CHECK(copied == length);
    CHECK(inside == 0);
    CHECK(before == 0);
    CHECK(after == 0);
    CHECK(sim.hazards() == 0);
}

TEST_CASE("swiotlb: a bounce buffer the device cannot reach either is Linux's overflow error", "[swiotlb]") {
    Sim sim;                                        // the pool is at the start of RAM, 0x80000000
    sim.dev.store_dma_mask(dma::dma_bit_mask(31));  // as bus code would, unchecked
    dma::dma_addr_t addr = 0;
    uint64_t pa = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(64);
        pa = sw::Kernel::virt_to_phys(va);
        addr = dma::map_single(sim.dev, va, 64, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(dma::mapping_error(sim.dev, addr));
    REQUIRE(sim.context.warnings().size() == 1);
    CHECK(sim.context.warnings()[0] ==
          fmt::format("dma-agent@1000000: DMA addr {:#x}+64 overflow (mask 0x7fffffff, bus limit 0x0); it is the "
                      "swiotlb buffer for PA {:#x}",
                      sim.context.swiotlb().start(), pa));
    CHECK(sim.stat("dma.mapping_errors") == 1);
    CHECK(sim.stat("swiotlb.slots_in_use") == 0);  // given back
    CHECK(sim.stat("dma.maint.clean") == 0);
}

TEST_CASE("swiotlb: forced bouncing without a pool is refused with Linux's message", "[swiotlb]") {
    dma::Policy policy;
    policy.swiotlb_slots = 0;
    Sim sim({}, policy);
    sim.dev.set_force_bounce(true);
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        addr = dma::map_single(sim.dev, sim.kernel.kmalloc().kmalloc(64), 64, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(dma::mapping_error(sim.dev, addr));
    CHECK_FALSE(sim.context.swiotlb().is_active());
    CHECK(dma::max_mapping_size(sim.dev) == ~0ULL);
    REQUIRE(sim.context.warnings().size() == 1);
    CHECK_THAT(sim.context.warnings()[0], Catch::Contains("Can not allocate SWIOTLB buffer earlier"));
    CHECK(sim.stat("swiotlb.total_slots") == 0);
}

TEST_CASE("swiotlb: a pool the kernel cannot supply is a clear error naming its size and zone", "[swiotlb]") {
    dma::Policy policy;
    policy.swiotlb_slots = 1 << 20;  // 2 GiB, in 1 GiB of RAM
    CHECK_THROWS_WITH(Sim({}, policy), Catch::Contains("swiotlb: cannot allocate its pool of 1048576 slots "
                                                       "(2147483648 bytes) from the DMA32 zone"));
}

TEST_CASE("swiotlb: a slot count is rounded up to whole segments", "[swiotlb]") {
    Sim sim({}, small_forced_pool(200));
    CHECK(sim.context.swiotlb().nslabs() == 256);
    CHECK(sim.stat("swiotlb.total_slots") == 256);
}

TEST_CASE("swiotlb: a sync past the end of its mapping is Linux's buffer overflow warning", "[swiotlb]") {
    Sim sim({}, small_forced_pool(256));
    uint64_t copied_long = 0, copied_outside = 0, errors = 0;
    std::string fault = sim.run([&] {
        uint64_t pa = sim.kernel.alloc_contiguous(4 * KiB);
        uint64_t va = sw::Kernel::phys_to_virt(pa);
        sim.cpu_write(va, 4 * KiB, cpu_pattern);
        dma::dma_addr_t addr = dma::map_page(sim.dev, pa, 0, 256, DmaDirection::from_device);
        sim.device_write(addr, 512, device_pattern);  // past the mapping, inside the slot
        uint64_t bytes = sim.stat("swiotlb.bounced_bytes");
        dma::sync_single_for_cpu(sim.dev, addr, 356, DmaDirection::from_device);  // 100 bytes too many
        copied_long = sim.stat("swiotlb.bounced_bytes") - bytes;
        dma::sync_single_range_for_cpu(sim.dev, addr, 300, 10, DmaDirection::from_device);  // entirely past it
        copied_outside = sim.stat("swiotlb.bounced_bytes") - bytes - copied_long;
        errors = sim.cpu_errors(va, 256, device_pattern);
        for (uint64_t i = 256; i < 4 * KiB; ++i)
            errors += sim.cpu.load8(va + i) != cpu_pattern(i);
        dma::unmap_page(sim.dev, addr, 256, DmaDirection::from_device);
    });
    REQUIRE(fault.empty());
    CHECK(copied_long == 256);  // truncated to the mapping
    CHECK(copied_outside == 0);
    CHECK(errors == 0);  // nothing past the mapping reached the original
    REQUIRE(sim.context.warnings().size() == 2);
    CHECK(sim.context.warnings()[0] ==
          "dma-agent@1000000: Buffer overflow detected. Allocation size: 256. Mapping size: 356.");
    CHECK(sim.context.warnings()[1] ==
          "dma-agent@1000000: Buffer overflow detected. Allocation size: 256. Mapping size: 10+300.");
    CHECK(sim.stat("swiotlb.overflows") == 2);
}
