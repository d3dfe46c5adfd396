// The kernel's configuration from /chosen: Linux's own boot parameters in `bootargs`
// (swiotlb=, coherent_pool=, dma_debug=, iommu.strict=, arm-smmu.disable_bypass=), dmasim's drivers'
// module parameters (dmasim_mfd.declare_sram=) and the policies dmasim makes
// selectable as `dmasim,` properties, so a scenario can pick the 2011 behaviour or today's.
#pragma once

#include "dma/policy.h"
#include "platforms/devicetree/device_tree.h"

#include <string>
#include <vector>

namespace platform {

struct BootParams {
    std::string bootargs;
    dma::Policy dma;
    uint64_t kmalloc_min_align = 0;       // dmasim,kmalloc-min-align; 0: kmalloc's default
    bool arm_smmu_disable_bypass = true;  // arm-smmu.disable_bypass: unmatched streams fault (sCR0.USFCFG)
    bool mfd_declare_sram = false;        // dmasim_mfd.declare_sram: the MFD's cells declare SRAM slices
    std::vector<std::string> warnings;    // unknown bootargs, ignored as the kernel ignores them
};

// ConfigError naming /chosen and the property for a malformed value.
BootParams parse_boot_params(const DeviceTree& tree);

// The bootargs dmasim understands, for the docs and `describe`.
const std::vector<std::pair<std::string, std::string>>& known_bootargs();

}  // namespace platform
