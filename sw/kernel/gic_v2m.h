// A GICv2m MSI frame as Linux's irq-gic-v2m.c drives it: gicv2m_init_one finds the frame's range of
// SPIs (the tree's arm,msi-base-spi and arm,msi-num-spis when both are there, else the frame's
// MSI_TYPER register), gicv2m_irq_domain_alloc hands out blocks of it.
#pragma once

#include "models/cpu/core.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sw {

// A GICv2m frame as the device tree gives it: its physical base and the optional override of
// its MSI_TYPER.
struct MsiFrameInfo {
    uint64_t base = 0;
    std::optional<unsigned> base_spi;  // arm,msi-base-spi (an interrupt ID, despite the name)
    std::optional<unsigned> num_spis;  // arm,msi-num-spis
};

class GicV2m {
public:
    // `frame_va`: the frame's registers, ioremap'd.
    GicV2m(models::Core& cpu, const MsiFrameInfo& frame, uint64_t frame_va)
        : cpu_(cpu), frame_(frame), frame_va_(frame_va) {}

    // gicv2m_init_one: the range from the tree or MSI_TYPER, checked as is_msi_spi_valid does.
    // "" when the frame is usable, else Linux's pr_err (the frame then raises nothing).
    std::string init();
    bool usable() const { return count_ != 0; }
    unsigned base_id() const { return base_id_; }
    unsigned count() const { return count_; }
    uint64_t doorbell() const;  // the physical address of MSI_SETSPI_NS

    // `count` consecutive IDs, aligned to count rounded up to a power of two as multi-MSI needs:
    // 0 or -ENOSPC.
    int alloc(unsigned count, unsigned& first_irq);
    // false when the IDs are not an allocated block.
    bool free(unsigned first_irq, unsigned count);

private:
    models::Core& cpu_;
    MsiFrameInfo frame_;
    uint64_t frame_va_;
    unsigned base_id_ = 0, count_ = 0;
    std::vector<bool> allocated_;  // by ID - base_id_
};

}  // namespace sw
