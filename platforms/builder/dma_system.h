// The DMA-mapping layer of a booted platform: the context built with the boot parameters, and one
// dma::Device per DMA-capable node, configured as Linux's of_dma_configure and
// of_reserved_mem_device_init do (masks, bus limit, dma-ranges, coherence, per-device pool, the
// IOMMU it names), one per IOMMU for the IOMMU's own DMA (its page tables), and one per MFD.
#pragma once

#include "dma/context.h"
#include "dma/device.h"
#include "platforms/builder/platform.h"

#include <memory>
#include <vector>

namespace platform {

class DmaSystem {
public:
    DmaSystem(Platform& platform, sw::Kernel& kernel, models::Instrumentation& instr);
    ~DmaSystem();

    dma::Context& context() { return *context_; }
    // In the order of Platform::dma_devices() (and of Platform::bus_masters()).
    std::vector<dma::Device*> devices() const;
    // The IOMMUs' own devices (their drivers write page tables through them), in the order of
    // Platform::iommus().
    std::vector<dma::Device*> iommu_devices() const;
    // The MFDs' devices, in the order of Platform::mfds(), configured by of_dma_configure and
    // without a pool: each MFD's driver assigns its memory-region when it probes.
    std::vector<dma::Device*> mfd_devices() const;

private:
    // The reserved-memory region `region` with the base the kernel gave it.
    static const sw::ReservedArea& placed_area(const std::string& region, sw::Kernel& kernel);

    std::unique_ptr<dma::Context> context_;
    std::vector<std::unique_ptr<dma::Device>> devices_;
    std::vector<std::unique_ptr<dma::Device>> iommu_devices_;
    std::vector<std::unique_ptr<dma::Device>> mfd_devices_;
};

}  // namespace platform
