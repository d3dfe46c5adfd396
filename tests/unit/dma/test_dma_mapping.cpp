// The DMA-mapping API on the non-coherent platform: a program on the simulated core maps buffers
// for the platform's bus master (standing in for the device the dma::Device describes), the
// master reads and writes them, and the coherence monitor says whether anything went wrong.
// One simulation per test case: catch_discover_tests runs each in its own process.
#include "dma/coherent_memory.h"
#include "dma_sim.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <fmt/format.h>

using namespace dma_sim;
using dma::DmaDirection;

TEST_CASE("map, device write, unmap, CPU read: the device's data and no hazard", "[dma]") {
    Sim sim;
    uint64_t va = 0, errors = 0;
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        va = sim.kernel.kmalloc().kmalloc(256);
        sim.cpu_write(va, 256, cpu_pattern);  // dirty lines over the buffer
        addr = dma::map_single(sim.dev, va, 256, DmaDirection::from_device);
        sim.device_write(addr, 256, device_pattern);
        dma::unmap_single(sim.dev, addr, 256, DmaDirection::from_device);
        errors = sim.cpu_errors(va, 256, device_pattern);
    });
    REQUIRE(fault.empty());
    CHECK(addr == sw::Kernel::virt_to_phys(va));
    CHECK(errors == 0);
    CHECK(sim.hazards() == 0);
    CHECK(sim.stat("dma.maint.clean") == 1);       // map, FROM_DEVICE under the default clean policy
    CHECK(sim.stat("dma.maint.invalidate") == 1);  // unmap
}

TEST_CASE("omitting unmap leaves the CPU reading stale cached lines", "[dma]") {
    Sim sim;
    uint64_t errors = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        sim.cpu_write(va, 256, cpu_pattern);
        dma::dma_addr_t addr = dma::map_single(sim.dev, va, 256, DmaDirection::from_device);
        sim.device_write(addr, 256, device_pattern);
        errors = sim.cpu_errors(va, 256, device_pattern);  // the lines are still cached, clean
    });
    REQUIRE(fault.empty());
    CHECK(errors == 256);
    CHECK(sim.stat("hazards.stale_cpu_read") > 0);
}

TEST_CASE("sync_for_cpu and sync_for_device pass a bidirectional buffer back and forth", "[dma]") {
    Sim sim;
    uint64_t first = 0, second = 0, third = 0, ranged = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        dma::dma_addr_t addr = dma::map_single(sim.dev, va, 256, DmaDirection::bidirectional);
        sim.device_write(addr, 256, device_pattern);
        dma::sync_single_for_cpu(sim.dev, addr, 256, DmaDirection::bidirectional);
        first = sim.cpu_errors(va, 256, device_pattern);
        sim.cpu_write(va, 256, cpu_pattern);
        dma::sync_single_for_device(sim.dev, addr, 256, DmaDirection::bidirectional);
        second = sim.device_errors(addr, 256, cpu_pattern);
        sim.device_write(addr + 64, 128, device_pattern);
        dma::sync_single_range_for_cpu(sim.dev, addr, 64, 128, DmaDirection::bidirectional);
        ranged = sim.cpu_errors(va + 64, 128, device_pattern);
        dma::sync_single_range_for_device(sim.dev, addr, 64, 128, DmaDirection::bidirectional);
        sim.device_write(addr, 256, device_pattern);
        dma::unmap_single(sim.dev, addr, 256, DmaDirection::bidirectional);
        third = sim.cpu_errors(va, 256, device_pattern);
    });
    REQUIRE(fault.empty());
    CHECK(first == 0);
    CHECK(second == 0);
    CHECK(ranged == 0);
    CHECK(third == 0);
    CHECK(sim.hazards() == 0);
}

TEST_CASE("TO_DEVICE map cleans: the device reads what the CPU wrote", "[dma]") {
    Sim sim;
    uint64_t errors = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        sim.cpu_write(va, 256, cpu_pattern);
        dma::dma_addr_t addr = dma::map_single(sim.dev, va, 256, DmaDirection::to_device);
        errors = sim.device_errors(addr, 256, cpu_pattern);
        dma::unmap_single(sim.dev, addr, 256, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(errors == 0);
    CHECK(sim.hazards() == 0);
    CHECK(sim.stat("dma.maint.clean") == 1);
    CHECK(sim.stat("dma.maint.invalidate") == 0);  // TO_DEVICE unmap does nothing
}

TEST_CASE("SKIP_CPU_SYNC skips the clean: the device reads stale memory", "[dma]") {
    Sim sim;
    uint64_t errors = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        sim.cpu_write(va, 256, cpu_pattern);
        dma::dma_addr_t addr = dma::map_single(sim.dev, va, 256, DmaDirection::to_device, dma::attr::skip_cpu_sync);
        errors = sim.device_errors(addr, 256, cpu_pattern);
    });
    REQUIRE(fault.empty());
    CHECK(errors > 0);
    CHECK(sim.stat("hazards.stale_device_read") == 4);
    CHECK(sim.stat("dma.maint.clean") == 0);
}

namespace {

// A line shared by CPU data (its first half) and a FROM_DEVICE buffer (its second half).
struct SharedLineResult {
    uint64_t cpu_bytes_lost = 0;
    uint64_t device_errors = 0;
};

SharedLineResult run_shared_line(dma::FromDeviceMapPolicy policy,
                                 sw::PartialLines partial = sw::PartialLines::invalidate) {
    Sim sim;
    sim.context.policy().from_device_map = policy;
    sim.context.policy().inv_partial_lines = partial;
    sim.context.policy().kmalloc_bounce = false;  // the buffer stays where it is (no arm64 bounce)
    SharedLineResult result;
    std::string fault = sim.run([&] {
        uint64_t line = sim.kernel.kmalloc().kmalloc(64);
        REQUIRE(line % 64 == 0);
        sim.cpu_write(line, 32, cpu_pattern);  // dirty, in the cache only
        dma::dma_addr_t addr = dma::map_single(sim.dev, line + 32, 32, DmaDirection::from_device);
        sim.device_write(addr, 32, device_pattern);
        dma::unmap_single(sim.dev, addr, 32, DmaDirection::from_device);
        result.device_errors = sim.cpu_errors(line + 32, 32, device_pattern);
        result.cpu_bytes_lost = sim.cpu_errors(line, 32, cpu_pattern);
    });
    REQUIRE(fault.empty());
    return result;
}

}  // namespace

TEST_CASE("FROM_DEVICE map with the historical pure invalidate discards CPU data sharing the line", "[dma]") {
    SharedLineResult result = run_shared_line(dma::FromDeviceMapPolicy::invalidate);
    CHECK(result.cpu_bytes_lost == 32);
    CHECK(result.device_errors == 0);
}

// ARMv7's v7_dma_inv_range (arch/arm/mm/cache-v7.S) cleans and invalidates the partial first and
// last lines before invalidating the rest.
TEST_CASE("FROM_DEVICE map as ARMv7's v7_dma_inv_range: the partial line is cleaned, the CPU's data kept", "[dma]") {
    SharedLineResult result = run_shared_line(dma::FromDeviceMapPolicy::invalidate, sw::PartialLines::clean_invalidate);
    CHECK(result.cpu_bytes_lost == 0);
    CHECK(result.device_errors == 0);
}

TEST_CASE("FROM_DEVICE map with the clean policy keeps CPU data sharing the line", "[dma]") {
    SharedLineResult result = run_shared_line(dma::FromDeviceMapPolicy::clean);
    CHECK(result.cpu_bytes_lost == 0);
    CHECK(result.device_errors == 0);
}

namespace {

struct CoherentResult {
    uint64_t pa = 0;
    uint64_t cpu_addr = 0;
    dma::dma_addr_t handle = 0;
    models::MemType mapping = models::MemType::device, alias = models::MemType::device,
                    alias_after_free = models::MemType::device;
    uint64_t device_errors = 0, cpu_errors = 0, maint_during_use = 0;
    bool mapped_after_free = true;
};

// Allocates 4 KiB coherent on `sim.dev`, passes data both ways without maintenance, frees.
CoherentResult run_coherent(Sim& sim, dma::Attrs attrs, bool prefetch_alias) {
    CoherentResult r;
    std::string fault = sim.run([&] {
        r.cpu_addr = dma::alloc_attrs(sim.dev, 4096, r.handle, attrs);
        REQUIRE(r.cpu_addr != 0);
        r.pa = sim.dev.dma_to_phys(r.handle);
        r.mapping = sim.type_of(r.cpu_addr);
        r.alias = sim.linear_type(r.pa);
        auto maint = [&] {
            return sim.stat("dma.maint.clean") + sim.stat("dma.maint.invalidate") + sim.stat("dma.maint.flush");
        };
        uint64_t maint_before = maint();
        if (prefetch_alias)
            sim.cpu.pld(sw::Kernel::phys_to_virt(r.pa));  // a speculative fill through the linear alias
        sim.cpu_write(r.cpu_addr, 256, cpu_pattern);
        sim.cpu.dsb();
        r.device_errors = sim.device_errors(r.handle, 256, cpu_pattern);
        sim.device_write(r.handle + 256, 256, device_pattern);
        r.cpu_errors = sim.cpu_errors(r.cpu_addr + 256, 256, device_pattern);
        r.maint_during_use = maint() - maint_before;
        dma::free_attrs(sim.dev, 4096, r.cpu_addr, r.handle, attrs);
        r.alias_after_free = sim.linear_type(r.pa);
        models::Translation translation;
        r.mapped_after_free = sim.cpu.mmu().translate(r.cpu_addr, translation);
    });
    REQUIRE(fault.empty());
    return r;
}

}  // namespace

TEST_CASE("alloc_coherent on a non-coherent device: an uncached mapping, the alias removed", "[dma]") {
    Sim sim;
    CoherentResult r = run_coherent(sim, 0, true);
    CHECK(r.cpu_addr >= models::Mmu::vmalloc_base);
    CHECK(r.handle == r.pa);
    CHECK(r.pa < (1ULL << 32));
    CHECK(r.mapping == models::MemType::write_combined);  // pgprot_dmacoherent: Normal NC, merging
    CHECK(r.alias == models::MemType::normal_nc);
    CHECK(r.alias_after_free == models::MemType::normal_wb);
    CHECK_FALSE(r.mapped_after_free);
    CHECK(r.device_errors == 0);
    CHECK(r.cpu_errors == 0);
    CHECK(r.maint_during_use == 0);
    CHECK(sim.stat("dma.maint.flush") == 1);  // at allocation
    CHECK(sim.hazards() == 0);                // the prefetch found no cacheable alias
}

TEST_CASE("alloc_coherent with the alias kept: the linear alias stays cacheable", "[dma]") {
    Sim sim;
    sim.context.policy().alias = dma::AliasPolicy::kept;
    CoherentResult r = run_coherent(sim, 0, true);
    CHECK(r.mapping == models::MemType::write_combined);
    CHECK(r.alias == models::MemType::normal_wb);
    CHECK(r.maint_during_use == 0);
    CHECK(sim.stat("hazards.mismatched_alias") > 0);  // the uncached stores hit the prefetched line
}

TEST_CASE("alloc_attrs with WRITE_COMBINE maps write-combined", "[dma]") {
    Sim sim;
    CoherentResult r = run_coherent(sim, dma::attr::write_combine, false);
    CHECK(r.mapping == models::MemType::write_combined);
    CHECK(r.device_errors == 0);
    CHECK(r.cpu_errors == 0);
    CHECK(sim.hazards() == 0);
}

TEST_CASE("a coherent device gets the cacheable linear address and no maintenance", "[dma]") {
    Sim sim;
    sim.dev.set_coherent(true);
    CoherentResult r = run_coherent(sim, 0, false);
    CHECK(r.cpu_addr == sw::Kernel::phys_to_virt(r.pa));
    CHECK(r.mapping == models::MemType::normal_wb);
    CHECK(sim.stat("dma.maint.flush") == 0);
}

TEST_CASE("NON_CONSISTENT and alloc_noncoherent give cacheable memory the caller syncs", "[dma]") {
    Sim sim;
    models::MemType attrs_type = models::MemType::device, noncoherent_type = models::MemType::device;
    uint64_t errors = 0;
    std::string fault = sim.run([&] {
        dma::dma_addr_t handle = 0;
        uint64_t va = dma::alloc_attrs(sim.dev, 4096, handle, dma::attr::non_consistent);
        attrs_type = sim.type_of(va);
        dma::free_attrs(sim.dev, 4096, va, handle, dma::attr::non_consistent);

        va = dma::alloc_noncoherent(sim.dev, 4096, handle, DmaDirection::to_device);
        noncoherent_type = sim.type_of(va);
        sim.cpu_write(va, 256, cpu_pattern);
        dma::sync_single_for_device(sim.dev, handle, 256, DmaDirection::to_device);
        errors = sim.device_errors(handle, 256, cpu_pattern);
        dma::free_noncoherent(sim.dev, 4096, va, handle, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(attrs_type == models::MemType::normal_wb);
    CHECK(noncoherent_type == models::MemType::normal_wb);
    CHECK(errors == 0);
    CHECK(sim.hazards() == 0);
    CHECK(sim.stat("dma.maint.flush") == 0);
}

TEST_CASE("set_mask refuses a mask that cannot reach RAM with -EIO", "[dma]") {
    Sim sim;  // RAM 0x80000000..0xbfffffff
    CHECK(dma::set_mask(sim.dev, dma::dma_bit_mask(31)) == -EIO);
    CHECK(sim.dev.dma_mask() == dma::dma_bit_mask(32));  // unchanged
    CHECK(dma::set_coherent_mask(sim.dev, dma::dma_bit_mask(24)) == -EIO);
    CHECK(dma::set_mask_and_coherent(sim.dev, dma::dma_bit_mask(64)) == 0);
    CHECK(sim.dev.dma_mask() == dma::dma_bit_mask(64));
    CHECK(sim.dev.coherent_dma_mask() == dma::dma_bit_mask(64));
    CHECK(dma::get_required_mask(sim.dev) == dma::dma_bit_mask(32));
}

TEST_CASE("dma-ranges translate addresses and make a 30-bit mask sufficient", "[dma]") {
    Sim sim;
    sim.dev.add_dma_range({0x80000000, 0x0, 0x40000000});
    CHECK(sim.dev.phys_to_dma(0x80001000) == 0x1000);
    CHECK(sim.dev.dma_to_phys(0x1000) == 0x80001000);
    CHECK(sim.dev.phys_to_dma(0x70000000) == dma::DMA_MAPPING_ERROR);
    CHECK(sim.dev.dma_to_phys(0x40000000) == dma::invalid_phys_addr);
    CHECK(dma::get_required_mask(sim.dev) == dma::dma_bit_mask(30));
    CHECK(dma::set_mask(sim.dev, dma::dma_bit_mask(30)) == 0);
    CHECK(dma::set_mask(sim.dev, dma::dma_bit_mask(29)) == -EIO);
    CHECK_THROWS_WITH(sim.dev.add_dma_range({0x90000000, 0x0, 0x1000}),
                      Catch::Contains("overlaps the range at cpu 0x80000000"));
}

TEST_CASE("a map beyond the mask or the bus limit is a mapping error, warned and counted", "[dma]") {
    dma::Policy no_swiotlb;
    no_swiotlb.swiotlb_slots = 0;  // else the unreachable buffers would bounce (test_swiotlb.cpp)
    Sim sim({}, no_swiotlb);
    sim.dev.store_dma_mask(dma::dma_bit_mask(31));  // as bus code would, unchecked
    dma::dma_addr_t beyond_mask = 0, beyond_limit = 0, within = 0;
    uint64_t va = 0;
    std::string fault = sim.run([&] {
        va = sim.kernel.kmalloc().kmalloc(64);  // above 2 GiB: RAM starts at 0x80000000
        beyond_mask = dma::map_single(sim.dev, va, 64, DmaDirection::to_device);
        sim.dev.store_dma_mask(dma::dma_bit_mask(32));
        sim.dev.set_bus_dma_limit(0x8fffffff);
        beyond_limit = dma::map_page(sim.dev, 0x90000000, 0, 64, DmaDirection::to_device);
        within = dma::map_page(sim.dev, 0x8ffff000, 0xfc0, 64, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(dma::mapping_error(sim.dev, beyond_mask));
    CHECK(dma::mapping_error(sim.dev, beyond_limit));
    CHECK_FALSE(dma::mapping_error(sim.dev, within));
    CHECK(within == 0x8fffffc0);
    CHECK(sim.stat("dma.mapping_errors") == 2);
    CHECK(sim.stat("dma.maint.clean") == 1);  // only the mapping that succeeded
    REQUIRE(sim.context.warnings().size() == 2);
    std::string overflow = fmt::format("dma-agent@1000000: DMA addr {:#x}+64 overflow", sw::Kernel::virt_to_phys(va));
    CHECK_THAT(sim.context.warnings()[0], Catch::Contains(overflow) && Catch::Contains("mask 0x7fffffff"));
    CHECK_THAT(sim.context.warnings()[1], Catch::Contains("bus limit 0x8fffffff"));
}

TEST_CASE("map_single refuses a vmalloc/ioremap address", "[dma]") {
    Sim sim;
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        uint64_t pa = sim.kernel.alloc_contiguous(4096);
        uint64_t remapped = sim.kernel.ioremap(pa, 4096, models::MemType::normal_nc);
        addr = dma::map_single(sim.dev, remapped, 64, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(dma::mapping_error(sim.dev, addr));
    REQUIRE(sim.context.warnings().size() == 1);
    CHECK_THAT(sim.context.warnings()[0], Catch::Contains("rejecting DMA map"));
}

TEST_CASE("map_sg maps each entry, unmap_sg with the original count syncs them all", "[dma]") {
    dma::Policy no_swiotlb;
    no_swiotlb.swiotlb_slots = 0;  // so that an unreachable entry fails instead of bouncing
    Sim sim({}, no_swiotlb);
    std::vector<dma::Scatterlist> sgl(3);
    int mapped = 0, failed = -1;
    uint64_t errors = 0;
    std::string fault = sim.run([&] {
        const uint64_t offsets[] = {0, 128, 512}, lengths[] = {256, 320, 1024};
        for (int i = 0; i < 3; ++i) {
            sgl[i].pa = sim.kernel.alloc_contiguous(4096);
            sgl[i].offset = offsets[i];
            sgl[i].length = lengths[i];
            sim.cpu_write(sw::Kernel::phys_to_virt(sgl[i].pa + offsets[i]), lengths[i], cpu_pattern);
        }
        mapped = dma::map_sg(sim.dev, sgl, 3, DmaDirection::from_device);
        for (const dma::Scatterlist& sg : sgl)
            sim.device_write(sg.dma_address, sg.dma_length, device_pattern);
        dma::unmap_sg(sim.dev, sgl, 3, DmaDirection::from_device);
        for (const dma::Scatterlist& sg : sgl)
            errors += sim.cpu_errors(sw::Kernel::phys_to_virt(sg.pa + sg.offset), sg.length, device_pattern);
        sim.dev.set_bus_dma_limit(sgl[2].pa - 1);  // the last entry becomes unreachable
        failed = dma::map_sg(sim.dev, sgl, 3, DmaDirection::from_device);
    });
    REQUIRE(fault.empty());
    CHECK(mapped == 3);
    for (const dma::Scatterlist& sg : sgl) {
        CHECK(sg.dma_length == sg.length);
    }
    CHECK(sgl[0].dma_address == sgl[0].pa);
    CHECK(sgl[1].dma_address == sgl[1].pa + 128);
    CHECK(errors == 0);
    CHECK(sim.stat("dma.maint.invalidate") == 3);  // unmap_sg's syncs; the failed map_sg synced none
    CHECK(sim.hazards() == 0);
    CHECK(failed == 0);
    CHECK(sim.stat("dma.mapping_errors") == 1);
}

TEST_CASE("a device with a parent maps through the parent's mask and flags", "[dma]") {
    Sim sim;
    dma::Device child("usb-device", sim.dev);
    CHECK(&child.dma_dev() == &sim.dev);
    sim.dev.store_dma_mask(dma::dma_bit_mask(31));
    sim.dev.set_coherent(true);
    dma::dma_addr_t refused = 0, accepted = 0;
    int rc = -1;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(64);
        refused = dma::map_single(child, va, 64, DmaDirection::to_device);
        rc = dma::set_mask(child, dma::dma_bit_mask(64));
        accepted = dma::map_single(child, va, 64, DmaDirection::to_device);
        dma::unmap_single(child, accepted, 64, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(dma::mapping_error(child, refused));
    CHECK(rc == 0);
    CHECK(sim.dev.dma_mask() == dma::dma_bit_mask(64));  // set through the child, on the parent
    CHECK(child.dma_mask() == dma::dma_bit_mask(32));    // the child's own mask is not used
    CHECK_FALSE(dma::mapping_error(child, accepted));
    CHECK(sim.stat("dma.maint.clean") == 0);  // the parent is coherent
    CHECK_THAT(sim.context.warnings().at(0), Catch::StartsWith("dma-agent@1000000:"));
}

TEST_CASE("a mapping with direction none stops the program with a clear error", "[dma]") {
    Sim sim;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(64);
        dma::map_single(sim.dev, va, 64, DmaDirection::none);
    });
    CHECK_THAT(fault, Catch::Contains("dma-agent@1000000: map_page with direction none"));
}

// Linux's dma_direct_alloc_no_mapping, on a non-coherent device and a coherent one alike.
TEST_CASE("NO_KERNEL_MAPPING: the linear address as a cookie, no remap, no zeroing, the caches flushed", "[dma]") {
    Sim sim;  // alias policy `removed`: even so the linear alias keeps its type
    uint64_t dirty_pa = 0, cookie = 0, coherent_cookie = 0, unzeroed = 0, flushes = 0;
    dma::dma_addr_t handle = 0, coherent_handle = 0;
    models::MemType linear = models::MemType::device, cookie_type = models::MemType::device;
    std::string fault = sim.run([&] {
        // A page the CPU dirties and frees: the allocator hands the lowest free page out again.
        dirty_pa = sim.kernel.alloc_contiguous(4096);
        sim.cpu_write(sw::Kernel::phys_to_virt(dirty_pa), 256, cpu_pattern);
        sim.kernel.free_contiguous(dirty_pa, 4096);
        cookie = dma::alloc_attrs(sim.dev, 4096, handle, dma::attr::no_kernel_mapping);
        flushes = sim.stat("dma.maint.flush");
        linear = sim.linear_type(dirty_pa);
        cookie_type = sim.type_of(cookie);
        unzeroed = 256 - sim.device_errors(handle, 256, cpu_pattern);  // the CPU's bytes, written back
        sim.device_write(handle, 4096, device_pattern);
        dma::free_attrs(sim.dev, 4096, cookie, handle, dma::attr::no_kernel_mapping);

        sim.dev.set_coherent(true);
        coherent_cookie = dma::alloc_attrs(sim.dev, 4096, coherent_handle, dma::attr::no_kernel_mapping);
        dma::free_attrs(sim.dev, 4096, coherent_cookie, coherent_handle, dma::attr::no_kernel_mapping);
    });
    REQUIRE(fault.empty());
    REQUIRE(sim.dev.dma_to_phys(handle) == dirty_pa);
    CHECK(cookie == sw::Kernel::phys_to_virt(dirty_pa));  // no vmalloc-area remap
    CHECK_FALSE(sw::Kernel::is_vmalloc_addr(cookie));
    CHECK(cookie_type == models::MemType::normal_wb);
    CHECK(linear == models::MemType::normal_wb);
    CHECK(unzeroed == 256);
    CHECK(flushes == 1);
    CHECK(coherent_cookie == sw::Kernel::phys_to_virt(sim.dev.dma_to_phys(coherent_handle)));
    CHECK(sim.stat("dma.maint.flush") == 2);  // arch_dma_prep_coherent on the coherent device too
    CHECK(sim.stat("dma.bad_frees") == 0);
    CHECK(sim.hazards() == 0);
}

// Hints dma-direct does not implement: WEAK_ORDERING (optional for platforms), PRIVILEGED and
// ALLOC_SINGLE_PAGES (IOMMU page-table and allocation hints). Accepted and ignored.
TEST_CASE("WEAK_ORDERING, PRIVILEGED and ALLOC_SINGLE_PAGES are accepted and change nothing", "[dma]") {
    Sim sim;
    const dma::Attrs hints = dma::attr::weak_ordering | dma::attr::privileged | dma::attr::alloc_single_pages;
    uint64_t plain_cleans = 0, hinted_cleans = 0, errors = 0, zero_errors = 0;
    models::MemType type = models::MemType::device;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        sim.cpu_write(va, 256, cpu_pattern);
        dma::dma_addr_t plain = dma::map_single(sim.dev, va, 256, DmaDirection::to_device);
        dma::mapping_error(sim.dev, plain);
        dma::unmap_single(sim.dev, plain, 256, DmaDirection::to_device);
        plain_cleans = sim.stat("dma.maint.clean");
        dma::dma_addr_t hinted = dma::map_single(sim.dev, va, 256, DmaDirection::to_device, hints);
        hinted_cleans = sim.stat("dma.maint.clean") - plain_cleans;
        dma::mapping_error(sim.dev, hinted);
        errors = sim.device_errors(hinted, 256, cpu_pattern);
        dma::unmap_single(sim.dev, hinted, 256, DmaDirection::to_device, hints);

        dma::dma_addr_t handle = 0;
        uint64_t cpu_addr = dma::alloc_attrs(sim.dev, 4096, handle, hints);
        type = sim.type_of(cpu_addr);
        zero_errors = sim.cpu_errors(cpu_addr, 4096, [](uint64_t) { return uint8_t(0); });
        dma::free_attrs(sim.dev, 4096, cpu_addr, handle, hints);
    });
    REQUIRE(fault.empty());
    CHECK(plain_cleans == 1);
    CHECK(hinted_cleans == 1);
    CHECK(errors == 0);
    CHECK(type == models::MemType::write_combined);  // the same uncached remap as without them
    CHECK(zero_errors == 0);
    CHECK(sim.stat("dma_debug.reports") == 0);
    CHECK(sim.hazards() == 0);
}

namespace {

// Ops whose map_sg merges entries that are adjacent in bus addresses into one DMA segment, as
// an IOMMU's may: the segments go into the first entries' dma fields, the entry after the last
// gets dma_length 0. Each segment is mapped, synced and unmapped as one range by the direct ops.
class MergingOps : public dma::DirectOps {
public:
    const char* name() const { return "merging"; }

    int map_sg(dma::Device& dev, std::vector<dma::Scatterlist>& sgl, int nents, DmaDirection dir,
               dma::Attrs attrs) override {
        std::vector<dma::Scatterlist> segments;
        for (int i = 0; i < nents; ++i) {
            dma::dma_addr_t addr = dev.phys_to_dma(sgl[i].pa + sgl[i].offset);
            if (!segments.empty() && segments.back().dma_address + segments.back().dma_length == addr)
                segments.back().dma_length += sgl[i].length;
            else
                segments.push_back({0, 0, 0, addr, sgl[i].length});
        }
        for (size_t k = 0; k < segments.size(); ++k) {
            dma::dma_addr_t addr = map_page(dev, dev.dma_to_phys(segments[k].dma_address), 0, segments[k].dma_length,
                                            dir, attrs);
            if (addr == dma::DMA_MAPPING_ERROR)
                return 0;
            sgl[k].dma_address = addr;
            sgl[k].dma_length = segments[k].dma_length;
        }
        if (segments.size() < static_cast<size_t>(nents))
            sgl[segments.size()].dma_length = 0;
        return static_cast<int>(segments.size());
    }
    void unmap_sg(dma::Device& dev, std::vector<dma::Scatterlist>& sgl, int nents, DmaDirection dir,
                  dma::Attrs attrs) override {
        for (int k = 0; k < nents && sgl[k].dma_length; ++k)
            unmap_page(dev, sgl[k].dma_address, sgl[k].dma_length, dir, attrs);
    }
    void sync_sg_for_cpu(dma::Device& dev, std::vector<dma::Scatterlist>& sgl, int nents, DmaDirection dir) override {
        for (int k = 0; k < nents && sgl[k].dma_length; ++k)
            sync_single_for_cpu(dev, sgl[k].dma_address, sgl[k].dma_length, dir);
    }
    void sync_sg_for_device(dma::Device& dev, std::vector<dma::Scatterlist>& sgl, int nents,
                            DmaDirection dir) override {
        for (int k = 0; k < nents && sgl[k].dma_length; ++k)
            sync_single_for_device(dev, sgl[k].dma_address, sgl[k].dma_length, dir);
    }
};

// Four entries over two physically contiguous runs, a page apart: entries 0-1 and 2-3 merge.
std::vector<dma::Scatterlist> two_runs(Sim& sim) {
    uint64_t base = sim.kernel.alloc_contiguous(5 * 4096);
    std::vector<dma::Scatterlist> sgl = {{base, 0, 4096},
                                         {base + 4096, 0, 2048},
                                         {base + 3 * 4096, 512, 3584},
                                         {base + 4 * 4096, 0, 1024}};
    for (const dma::Scatterlist& sg : sgl)
        sim.cpu_write(sw::Kernel::phys_to_virt(sg.pa + sg.offset), sg.length, cpu_pattern);
    return sgl;
}

}  // namespace

TEST_CASE("map_sg returns the merged count - unmap and sync take the original nents", "[dma]") {
    Sim sim;
    MergingOps merging;
    sim.dev.set_ops(merging);
    std::vector<dma::Scatterlist> sgl;
    int mapped = 0;
    uint64_t to_device_errors = 0, from_device_errors = 0, reports_while_correct = 0;
    std::string fault = sim.run([&] {
        sgl = two_runs(sim);
        mapped = dma::map_sg(sim.dev, sgl, 4, DmaDirection::bidirectional);
        for (int k = 0; k < mapped; ++k) {
            to_device_errors += sim.device_errors(sgl[k].dma_address, 1024, cpu_pattern);
            sim.device_write(sgl[k].dma_address, sgl[k].dma_length, device_pattern);
        }
        dma::sync_sg_for_cpu(sim.dev, sgl, 4, DmaDirection::bidirectional);
        dma::sync_sg_for_device(sim.dev, sgl, 4, DmaDirection::bidirectional);
        dma::unmap_sg(sim.dev, sgl, 4, DmaDirection::bidirectional);
        reports_while_correct = sim.stat("dma_debug.reports");
        for (int k = 0; k < mapped; ++k)
            from_device_errors += sim.cpu_errors(sw::Kernel::phys_to_virt(sim.dev.dma_to_phys(sgl[k].dma_address)),
                                                 sgl[k].dma_length, device_pattern);
    });
    REQUIRE(fault.empty());
    CHECK(mapped == 2);
    CHECK(sgl[0].dma_address == sgl[0].pa);
    CHECK(sgl[0].dma_length == 4096 + 2048);
    CHECK(sgl[1].dma_address == sgl[2].pa + 512);
    CHECK(sgl[1].dma_length == 3584 + 1024);
    CHECK(sgl[2].dma_length == 0);
    CHECK(to_device_errors == 0);
    CHECK(from_device_errors == 0);
    CHECK(reports_while_correct == 0);
    CHECK(sim.context.debug().active_entries() == 0);
    CHECK(sim.hazards() == 0);
}

// Linux's dma-debug: a sync or unmap with the mapped count differs from the count map_sg was
// given, once per segment it looks at; the unmap still removes the entries.
TEST_CASE("dma-debug reports sync and unmap of a merged list with the mapped count", "[dma][dma-debug]") {
    Sim sim;
    MergingOps merging;
    sim.dev.set_ops(merging);
    int mapped = 0;
    std::string fault = sim.run([&] {
        std::vector<dma::Scatterlist> sgl = two_runs(sim);
        mapped = dma::map_sg(sim.dev, sgl, 4, DmaDirection::to_device);
        dma::sync_sg_for_device(sim.dev, sgl, mapped, DmaDirection::to_device);
        dma::unmap_sg(sim.dev, sgl, mapped, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    REQUIRE(mapped == 2);
    CHECK(sim.stat("dma_debug.sync_different_sg_count") == 2);
    CHECK(sim.stat("dma_debug.free_different_sg_count") == 2);
    CHECK(sim.stat("dma_debug.reports") == 4);
    const std::vector<dma::DebugReport>& reports = sim.context.debug().reports();
    REQUIRE(reports.size() == 4);
    CHECK_THAT(reports[0].message,
               Catch::StartsWith("device driver syncs DMA sg list with different entry count [map count=4] [sync "
                                 "count=2]") &&
                   Catch::EndsWith("[size=6144 bytes] [mapped with DMA_TO_DEVICE] [synced with DMA_TO_DEVICE]"));
    CHECK_THAT(reports[2].message,
               Catch::StartsWith("device driver frees DMA sg list with different entry count [map count=4] [unmap "
                                 "count=2]") &&
                   Catch::EndsWith("[size=6144 bytes] [mapped with DMA_TO_DEVICE] [unmapped with DMA_TO_DEVICE]"));
    CHECK(sim.context.debug().active_entries() == 0);
}

TEST_CASE("dma_capable: empty, wrapping and error addresses, the mask, the bus limit and dma-range holes", "[dma]") {
    Sim sim;  // 32-bit masks, no bus limit
    CHECK(dma::dma_capable(sim.dev, 0x80000000, 0x1000));
    CHECK_FALSE(dma::dma_capable(sim.dev, 0x80000000, 0));  // an empty range is refused
    CHECK_FALSE(dma::dma_capable(sim.dev, dma::DMA_MAPPING_ERROR, 1));
    CHECK(dma::dma_capable(sim.dev, 0xfffff000, 0x1000));  // ends on the mask's last byte
    CHECK_FALSE(dma::dma_capable(sim.dev, 0xfffff000, 0x1001));
    sim.dev.store_dma_mask(dma::dma_bit_mask(64));
    CHECK_FALSE(dma::dma_capable(sim.dev, 0xfffffffffffff000, 0x2000));  // wraps around
    CHECK_FALSE(dma::dma_capable(sim.dev, dma::DMA_MAPPING_ERROR, 1));   // even under a 64-bit mask
    CHECK(dma::dma_capable(sim.dev, 0x100000000, 0x1000));
    sim.dev.set_bus_dma_limit(0x3fffffff);  // the smaller of mask and limit applies
    CHECK(dma::dma_capable(sim.dev, 0x3ffff000, 0x1000));
    CHECK_FALSE(dma::dma_capable(sim.dev, 0x3ffff000, 0x1001));
    sim.dev.store_dma_mask(dma::dma_bit_mask(24));
    CHECK_FALSE(dma::dma_capable(sim.dev, 0x1000000, 1));
    dma::Device child("usb-device", sim.dev);  // a delegating device is judged by its parent
    CHECK(dma::dma_capable(child, 0xfff000, 0x1000));
    CHECK_FALSE(dma::dma_capable(child, 0xfff000, 0x1001));

    // Two dma-ranges with a hole between them: a page in the hole has no bus address, and what
    // phys_to_dma gives for it (DMA_MAPPING_ERROR) is never capable.
    Sim ranged;
    ranged.dev.add_dma_range({0x80000000, 0x0, 0x10000000});
    ranged.dev.add_dma_range({0xa0000000, 0x20000000, 0x10000000});
    CHECK(dma::dma_capable(ranged.dev, ranged.dev.phys_to_dma(0x8ffff000), 0x1000));
    CHECK(ranged.dev.phys_to_dma(0x90000000) == dma::DMA_MAPPING_ERROR);
    CHECK_FALSE(dma::dma_capable(ranged.dev, ranged.dev.phys_to_dma(0x90000000), 0x1000));
    CHECK(dma::dma_capable(ranged.dev, ranged.dev.phys_to_dma(0xa0000000), 0x1000));
}

// Linux's dma_alloc_attrs asks the device's own pool first whatever the attributes: NON_CONSISTENT
// gets the pool's memory, consistent, which needs no sync. A sync of it maintains the caches
// through the linear alias, which a no-map pool does not have: a data abort, as Linux oopses
// (dma-debug, which does not track pool allocations, is never reached). alloc_noncoherent bypasses
// the pool: cacheable system memory that dma-debug tracks and the driver syncs.
TEST_CASE("NON_CONSISTENT on a device with its own coherent pool comes from the pool - alloc_noncoherent does not",
          "[dma]") {
    Sim sim(dma_sim::no_map_region());
    REQUIRE(dma::declare_coherent_memory(sim.dev, dma_sim::no_map_base, dma_sim::no_map_base, dma_sim::no_map_size) ==
            0);
    auto in_pool = [](dma::dma_addr_t addr) {
        return addr >= dma_sim::no_map_base && addr < dma_sim::no_map_base + dma_sim::no_map_size;
    };
    dma::dma_addr_t coherent = 0, non_consistent = 0, noncoherent = 0;
    models::MemType coherent_type = models::MemType::device, non_consistent_type = models::MemType::device,
                    noncoherent_type = models::MemType::device;
    uint64_t errors = 0, reports_before_pool_sync = 0, used_pages = 0;
    std::string fault = sim.run([&] {
        uint64_t a = dma::alloc_coherent(sim.dev, 4096, coherent);
        uint64_t b = dma::alloc_attrs(sim.dev, 4096, non_consistent, dma::attr::non_consistent);
        coherent_type = sim.type_of(a);
        non_consistent_type = sim.type_of(b);
        used_pages = sim.stat("dma.coherent_pool." + sim.dev.name() + ".used_pages");
        sim.device_write(non_consistent, 4096, device_pattern);
        errors = sim.cpu_errors(b, 4096, device_pattern);  // consistent memory: no sync needed
        uint64_t c = dma::alloc_noncoherent(sim.dev, 4096, noncoherent, DmaDirection::bidirectional);
        noncoherent_type = sim.type_of(c);
        sim.device_write(noncoherent, 4096, device_pattern);
        dma::sync_single_for_cpu(sim.dev, noncoherent, 4096, DmaDirection::bidirectional);
        errors += sim.cpu_errors(c, 4096, device_pattern);
        dma::free_noncoherent(sim.dev, 4096, c, noncoherent, DmaDirection::bidirectional);
        reports_before_pool_sync = sim.stat("dma_debug.reports");
        dma::sync_single_for_cpu(sim.dev, non_consistent, 4096, DmaDirection::bidirectional);  // faults
    });
    CHECK(in_pool(coherent));
    CHECK(in_pool(non_consistent));
    CHECK(non_consistent != coherent);
    CHECK(used_pages == 2);
    CHECK(non_consistent_type == coherent_type);  // the pool's mapping, not a cacheable one
    CHECK(non_consistent_type != models::MemType::normal_wb);
    CHECK_FALSE(in_pool(noncoherent));
    CHECK(noncoherent_type == models::MemType::normal_wb);
    CHECK(errors == 0);
    CHECK(reports_before_pool_sync == 0);
    CHECK_THAT(fault,
               Catch::Contains("data abort") && Catch::Contains(fmt::format("translation fault at VA {:#x}",
                                                                            sw::Kernel::phys_to_virt(non_consistent))));
    CHECK(sim.stat("dma_debug.reports") == 0);
    CHECK(sim.hazards() == 0);
}
