// The choices of the DMA architecture profile, each against the Linux function it follows, in both
// profiles where they differ (platform::arch_policy sets them; the boot-parameter tests are in
// tests/unit/platforms/test_of_dma.cpp). One simulation per test case.
#include "dma_sim.h"

#include "dma/kmalloc_bounce.h"
#include "dma/policy.h"
#include "platforms/boot/boot_params.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace {

using dma::DmaDirection;
using dma_sim::cpu_pattern;
using dma_sim::Sim;

dma::Policy profile(models::CpuArch arch) { return platform::arch_policy(arch); }

}  // namespace

TEST_CASE("profile: armv7 and arm64 make Linux's choices, the historical ones differ", "[profile]") {
    dma::Policy armv7 = profile(models::CpuArch::armv7), arm64 = profile(models::CpuArch::arm64);
    CHECK(armv7.kmalloc_min_align == 64);  // ARCH_DMA_MINALIGN = L1_CACHE_BYTES
    CHECK_FALSE(armv7.kmalloc_bounce);
    CHECK(armv7.from_device_map == dma::FromDeviceMapPolicy::invalidate);  // v7_dma_inv_range
    CHECK(arm64.kmalloc_min_align == 8);                                   // ARCH_KMALLOC_MINALIGN
    CHECK(arm64.kmalloc_bounce);                                           // dma_kmalloc_needs_bounce
    CHECK(arm64.dma_cache_alignment == 128);
    CHECK(arm64.from_device_map == dma::FromDeviceMapPolicy::clean);  // arch_sync_dma_for_device
    for (const dma::Policy& policy : {armv7, arm64}) {
        CHECK(policy.inv_partial_lines == sw::PartialLines::clean_invalidate);
        CHECK(policy.coherent_memory == dma::CoherentMemType::normal_nc);
        CHECK(policy.atomic_pool_size == 0);
    }
}

// include/linux/dma-map-ops.h (6.5+): dma_kmalloc_safe, dma_kmalloc_size_aligned,
// dma_kmalloc_needs_bounce.
TEST_CASE("dma_kmalloc_needs_bounce: small unaligned sizes the device may write, non-coherent, arm64 only",
          "[profile]") {
    Sim sim({}, profile(models::CpuArch::arm64));
    dma::Device coherent("coherent-agent", sim.context);
    coherent.set_coherent(true);
    CHECK(dma::dma_kmalloc_needs_bounce(sim.dev, 32, DmaDirection::from_device));
    CHECK(dma::dma_kmalloc_needs_bounce(sim.dev, 96, DmaDirection::bidirectional));
    CHECK(dma::dma_kmalloc_needs_bounce(sim.dev, 160, DmaDirection::from_device));  // kmalloc-192
    CHECK_FALSE(dma::dma_kmalloc_needs_bounce(sim.dev, 32, DmaDirection::to_device));
    CHECK_FALSE(dma::dma_kmalloc_needs_bounce(coherent, 32, DmaDirection::from_device));
    CHECK_FALSE(dma::dma_kmalloc_needs_bounce(sim.dev, 128, DmaDirection::from_device));  // kmalloc-128
    CHECK_FALSE(dma::dma_kmalloc_needs_bounce(sim.dev, 256, DmaDirection::from_device));  // 2 * ARCH_DMA_MINALIGN
    sim.context.policy() = profile(models::CpuArch::armv7);
    CHECK_FALSE(dma::dma_kmalloc_needs_bounce(sim.dev, 32, DmaDirection::from_device));
}

// dma_direct_map_page: a size dma_kmalloc_needs_bounce names goes through swiotlb_map. Whether a
// 32-byte FROM_DEVICE kmalloc buffer bounced.
static bool map_bounces_small_kmalloc_buffer(models::CpuArch arch) {
    Sim sim({}, profile(arch));
    uint64_t pa = 0, bus = 0;
    std::string fault = sim.run([&] {
        sim.kernel.kmalloc().set_min_align(sim.context.policy().kmalloc_min_align);
        uint64_t va = sim.kernel.kmalloc().kmalloc(32);
        pa = sw::Kernel::virt_to_phys(va);
        dma::dma_addr_t addr = dma::map_single(sim.dev, va, 32, DmaDirection::from_device);
        bus = addr;
        dma::unmap_single(sim.dev, addr, 32, DmaDirection::from_device);
        sim.kernel.kmalloc().kfree(va);
    });
    REQUIRE(fault.empty());
    bool bounced = sim.dev.dma_to_phys(bus) != pa;
    CHECK(sim.stat("swiotlb.maps") == (bounced ? 1 : 0));
    if (!bounced)
        CHECK(pa % 64 == 0);  // ARMv7: kmalloc aligned to ARCH_DMA_MINALIGN
    return bounced;
}

TEST_CASE("dma_direct_map_page: arm64 bounces a 32-byte FROM_DEVICE kmalloc buffer", "[profile]") {
    CHECK(map_bounces_small_kmalloc_buffer(models::CpuArch::arm64));
}

TEST_CASE("dma_direct_map_page: armv7 maps a 32-byte FROM_DEVICE kmalloc buffer, line-aligned, in place", "[profile]") {
    CHECK_FALSE(map_bounces_small_kmalloc_buffer(models::CpuArch::armv7));
}

// The CPU's 16 bytes sharing the first line of an invalidated range [16, 64): how many are lost.
// `outer_only`: the line is first pushed out of the L1, dirty in the outer cache only.
static uint64_t bytes_lost_sharing_partial_line(sw::PartialLines partial, bool outer_only) {
    Sim sim;
    REQUIRE(sim.kernel.has_outer_cache());
    uint64_t lost = 0;
    std::string fault = sim.run([&] {
        uint64_t pa = sim.kernel.alloc_contiguous(4096);
        uint64_t va = sw::Kernel::phys_to_virt(pa);
        sim.cpu_write(va, 64, cpu_pattern);
        if (outer_only)
            sim.cpu.dc_clean_invalidate(va, 64);
        else
            sim.kernel.dcache_inv_range(pa + 16, 48, partial);
        sim.kernel.outer_inv_range(pa + 16, 48, partial);
        lost = sim.cpu_errors(va, 16, cpu_pattern);
    });
    REQUIRE(fault.empty());
    return lost;
}

// l2c210_inv_range (arch/arm/mm/cache-l2x0.c, the PL310's inv_range): the partial first line is
// cleaned and invalidated, so the CPU's bytes sharing it reach memory.
TEST_CASE("outer_inv_range as the PL310's l2c210_inv_range keeps the bytes sharing a partial line", "[profile]") {
    CHECK(bytes_lost_sharing_partial_line(sw::PartialLines::clean_invalidate, true) == 0);
}

TEST_CASE("outer_inv_range, historical pure invalidate: the bytes sharing a partial line are lost", "[profile]") {
    CHECK(bytes_lost_sharing_partial_line(sw::PartialLines::invalidate, true) == 16);
}

// v7_dma_inv_range (arch/arm/mm/cache-v7.S) and arm64's dcache_inval_poc on the L1: the same.
TEST_CASE("dcache_inv_range as v7_dma_inv_range keeps the bytes sharing a partial L1 line", "[profile]") {
    CHECK(bytes_lost_sharing_partial_line(sw::PartialLines::clean_invalidate, false) == 0);
}

TEST_CASE("dcache_inv_range, historical pure invalidate: the bytes sharing a partial L1 line are lost", "[profile]") {
    CHECK(bytes_lost_sharing_partial_line(sw::PartialLines::invalidate, false) == 16);
}

// kernel/dma/pool.c dma_atomic_pool_init (5.8+): 128 KiB per GiB, at least 128 KiB, at most
// MAX_ORDER_NR_PAGES.
TEST_CASE("default_atomic_pool_size follows dma_atomic_pool_init", "[profile]") {
    constexpr uint64_t gib_pages = (1ULL << 30) / 4096;
    CHECK(dma::default_atomic_pool_size(gib_pages / 4) == 128 * 1024);
    CHECK(dma::default_atomic_pool_size(gib_pages) == 128 * 1024);
    CHECK(dma::default_atomic_pool_size(4 * gib_pages) == 512 * 1024);
    CHECK(dma::default_atomic_pool_size(4 * gib_pages - 1) == 508 * 1024);  // whole pages, rounded down
    CHECK(dma::default_atomic_pool_size(64 * gib_pages) == 4 * 1024 * 1024);
}

// pgprot_dmacoherent: Normal non-cacheable (the type pgprot_writecombine gives) on ARMv7 with
// ARM_DMA_MEM_BUFFERABLE and on arm64; strongly-ordered (pgprot_noncached) before.
TEST_CASE("coherent allocations are mapped as pgprot_dmacoherent says", "[profile]") {
    dma::Policy policy;
    CHECK(dma::coherent_mem_type(policy, false) == models::MemType::write_combined);
    CHECK(dma::coherent_mem_type(policy, true) == models::MemType::write_combined);
    policy.coherent_memory = dma::CoherentMemType::strongly_ordered;
    CHECK(dma::coherent_mem_type(policy, false) == models::MemType::normal_nc);
    CHECK(dma::coherent_mem_type(policy, true) == models::MemType::write_combined);

    Sim sim({}, policy);
    models::MemType coherent = models::MemType::normal_wb, wc = models::MemType::normal_wb;
    std::string fault = sim.run([&] {
        dma::dma_addr_t h1 = 0, h2 = 0;
        uint64_t a = dma::alloc_coherent(sim.dev, 4096, h1);
        uint64_t b = dma::alloc_attrs(sim.dev, 4096, h2, dma::attr::write_combine);
        coherent = sim.type_of(a);
        wc = sim.type_of(b);
        dma::free_coherent(sim.dev, 4096, a, h1);
        dma::free_attrs(sim.dev, 4096, b, h2, dma::attr::write_combine);
    });
    REQUIRE(fault.empty());
    CHECK(coherent == models::MemType::normal_nc);
    CHECK(wc == models::MemType::write_combined);
}

// swiotlb=noforce (swiotlb_force_disable): no bounce buffer, so dma_direct_map_page reports the
// overflow of a buffer the device cannot reach.
TEST_CASE("swiotlb=noforce: no bounce buffer, an unreachable buffer is Linux's overflow error", "[profile]") {
    dma::Policy policy;
    policy.swiotlb_disabled = true;
    Sim sim({}, policy);
    CHECK_FALSE(sim.context.swiotlb().is_active());
    sim.dev.store_dma_mask(dma::dma_bit_mask(31));  // below RAM at 0x80000000
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(64);
        addr = dma::map_single(sim.dev, va, 64, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(dma::mapping_error(sim.dev, addr));
    REQUIRE(sim.context.warnings().size() == 1);
    CHECK_THAT(sim.context.warnings()[0],
               Catch::Contains("+64 overflow (mask 0x7fffffff, bus limit 0x0)") && !Catch::Contains("swiotlb"));
    CHECK(sim.stat("swiotlb.maps") == 0);
}
