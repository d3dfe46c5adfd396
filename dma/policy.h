// The choices of the DMA-mapping layer that differ between kernels and architectures, set together
// by an architecture profile (armv7 or arm64: what that architecture's Linux does,
// platform::arch_policy) and each still selectable on its own, so that the historical settings,
// and the difference each one makes, can be observed.
#pragma once

#include "models/common/access_extension.h"
#include "sw/kernel/partial_lines.h"

#include <cstdint>

namespace dma {

// Cache maintenance at map / sync_for_device of a FROM_DEVICE buffer: ARMv7 invalidates
// (__dma_page_cpu_to_device: dmac_map_area -> v7_dma_inv_range, then outer_inv_range), arm64
// cleans (arch_sync_dma_for_device: dcache_clean_poc for every direction).
enum class FromDeviceMapPolicy { invalidate, clean };
// The cacheable linear-map alias of a coherent allocation on a non-coherent device: `kept` (ARM in
// 2011; a prefetch into the alias can corrupt the buffer) or `removed` (the linear-map pages are
// retyped non-cacheable while allocated).
enum class AliasPolicy { kept, removed };
// How the CPU maps coherent allocations (Linux's pgprot_dmacoherent): `normal_nc` as ARMv7 with
// ARM_DMA_MEM_BUFFERABLE (forced on for v7, arch/arm/mm/Kconfig) and arm64 do - Normal
// non-cacheable, the very type of write-combined allocations (pgprot_writecombine), so stores
// merge; `strongly_ordered` as older ARM kernels did (pgprot_noncached, L_PTE_MT_UNCACHED): every
// access its own bus transaction, what the 2012 thread of seed 004 measured.
enum class CoherentMemType { normal_nc, strongly_ordered };

const char* to_string(FromDeviceMapPolicy policy);
const char* to_string(AliasPolicy policy);
const char* to_string(sw::PartialLines partial);
const char* to_string(CoherentMemType memory);

// The sizes and switches are Linux's boot parameters, with Linux's defaults; the choices default
// to arm64's.
struct Policy {
    FromDeviceMapPolicy from_device_map = FromDeviceMapPolicy::clean;
    // What an invalidation by range does with its partial first and last lines, at map (FROM_DEVICE
    // under `invalidate`) and at unmap / sync_for_cpu.
    sw::PartialLines inv_partial_lines = sw::PartialLines::clean_invalidate;
    CoherentMemType coherent_memory = CoherentMemType::normal_nc;
    AliasPolicy alias = AliasPolicy::removed;
    // kmalloc's minimum alignment (ARCH_KMALLOC_MINALIGN; on ARMv7 ARCH_DMA_MINALIGN) and whether a
    // small kmalloc-sized FROM_DEVICE/BIDIRECTIONAL mapping for a non-coherent device bounces
    // (CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC: dma_kmalloc_needs_bounce), with the cache alignment it
    // checks sizes against (dma_get_cache_alignment: ARCH_DMA_MINALIGN).
    uint64_t kmalloc_min_align = 8;
    bool kmalloc_bounce = true;
    uint64_t dma_cache_alignment = 128;
    uint64_t swiotlb_slots = 32768;  // swiotlb=<nslabs>: 2 KiB slots, 64 MiB
    bool swiotlb_force = false;      // swiotlb=force: every streaming mapping bounces
    bool swiotlb_disabled = false;   // swiotlb=noforce: no bounce buffer at all (swiotlb_force_disable)
    // coherent_pool=<size>; 0 (the default, or coherent_pool=0): Linux's size, from the RAM at boot
    // (dma_atomic_pool_init).
    uint64_t atomic_pool_size = 0;
    bool debug = true;  // dma_debug=off switches dma-debug off
    // dma_pool poisoning and its corruption check (Linux's DMAPOOL_DEBUG, on with slub_debug);
    // each pool takes the value in force when it is created.
    bool pool_debug = false;
    // iommu.strict: an unmap invalidates the IOTLB before it returns (Linux's default on Arm);
    // iommu.strict=0 defers invalidation to a flush queue (lazy mode) for trusted devices.
    bool iommu_strict = true;
};

// Linux's atomic pool size when coherent_pool= does not set one (kernel/dma/pool.c
// dma_atomic_pool_init, 5.8+): 128 KiB per GiB of RAM (`total_ram_pages` 4 KiB pages), at least
// 128 KiB, at most the largest buddy block (MAX_ORDER_NR_PAGES).
uint64_t default_atomic_pool_size(uint64_t total_ram_pages);

// Linux's pgprot for a coherent allocation's CPU mapping (dma_pgprot on a non-coherent device):
// pgprot_writecombine for DMA_ATTR_WRITE_COMBINE, else pgprot_dmacoherent.
models::MemType coherent_mem_type(const Policy& policy, bool write_combine);

}  // namespace dma
