// The kernel's configuration from /chosen: Linux's own boot parameters in `bootargs`
// (swiotlb=, coherent_pool=, dma_debug=, iommu.strict=, arm-smmu.disable_bypass=), dmasim's drivers'
// module parameters (dmasim_mfd.declare_sram=) and the DMA-mapping layer's architecture profile:
// `dmasim,arch` ("armv7" or "arm64"; by default the first CPU's, from its compatible) sets the
// per-architecture choices together as that architecture's Linux makes them (arch_policy), and
// each choice's own `dmasim,` property overrides it, so a scenario can pick a historical behaviour.
#pragma once

#include "dma/policy.h"
#include "models/cpu/cpu_part.h"
#include "platforms/devicetree/device_tree.h"

#include <string>
#include <vector>

namespace platform {

// One choice of the profile as describe shows it: its /chosen property, its value, and what set it
// (the profile, or the property).
struct DmaChoice {
    std::string property;  // "dmasim,dma-from-device-map"
    std::string value;     // "clean"
    std::string set_by;    // "arm64 profile" or "/chosen"
};

struct BootParams {
    std::string bootargs;
    models::CpuArch arch = models::CpuArch::arm64;  // the DMA profile
    std::string arch_set_by;                        // "/chosen dmasim,arch", "/cpus/cpu@0 compatible ..."
    dma::Policy dma;
    std::vector<DmaChoice> dma_choices;   // the profile's choices, in the docs' order
    bool arm_smmu_disable_bypass = true;  // arm-smmu.disable_bypass: unmatched streams fault (sCR0.USFCFG)
    bool mfd_declare_sram = false;        // dmasim_mfd.declare_sram: the MFD's cells declare SRAM slices
    std::vector<std::string> warnings;    // unknown bootargs, ignored as the kernel ignores them
};

// The choices `arch`'s Linux makes (the other fields keep their defaults):
//   armv7: kmalloc aligned to ARCH_DMA_MINALIGN = L1_CACHE_BYTES (64 with CPU_V7,
//          arch/arm/include/asm/cache.h), nothing bounces; FROM_DEVICE map invalidates
//          (v7_dma_inv_range); coherent memory Normal non-cacheable.
//   arm64: kmalloc aligned to 8 (ARCH_KMALLOC_MINALIGN, Linux 6.5+) and small unaligned kmalloc
//          buffers bounced (dma_kmalloc_needs_bounce, ARCH_DMA_MINALIGN 128); FROM_DEVICE map
//          cleans (arch_sync_dma_for_device); coherent memory Normal non-cacheable.
// Both clean and invalidate the partial lines of an invalidation (v7_dma_inv_range and the PL310's
// l2c210_inv_range; arm64's dcache_inval_poc).
dma::Policy arch_policy(models::CpuArch arch);

// ConfigError naming /chosen and the property for a malformed value.
BootParams parse_boot_params(const DeviceTree& tree);

// The bootargs dmasim understands, for the docs and `describe`.
const std::vector<std::pair<std::string, std::string>>& known_bootargs();

}  // namespace platform
