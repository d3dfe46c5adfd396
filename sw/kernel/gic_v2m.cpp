#include "sw/kernel/gic_v2m.h"

#include "models/irq/interrupt_controller_regs.h"

#include <cerrno>
#include <fmt/format.h>

namespace sw {

namespace {

unsigned count_order_size(unsigned count) {
    unsigned size = 1;
    while (size < count)
        size *= 2;
    return size;
}

}  // namespace

// Linux takes the tree's values only when both properties are there (spi_start && nr_spis).
std::string GicV2m::init() {
    unsigned base = 0, count = 0;
    if (frame_.base_spi.value_or(0) && frame_.num_spis.value_or(0)) {
        base = *frame_.base_spi;
        count = *frame_.num_spis;
    } else {
        uint32_t typer = cpu_.load32(frame_va_ + gic::msi_typer);
        base = typer >> gic::msi_typer_base_shift & gic::msi_typer_mask;
        count = typer & gic::msi_typer_mask;
    }
    if (base < gic::first_spi)
        return fmt::format("Invalid MSI base SPI (base:{})", base);
    if (count == 0 || base + count > gic::v2m_max_spi)
        return fmt::format("Number of SPIs ({}) exceed maximum ({})", count, gic::v2m_max_spi - gic::first_spi + 1);
    base_id_ = base;
    count_ = count;
    allocated_.assign(count, false);
    return "";
}

uint64_t GicV2m::doorbell() const { return frame_.base + gic::msi_setspi_ns; }

// Linux's gicv2m_irq_domain_alloc: bitmap_find_free_region of order get_count_order(count).
int GicV2m::alloc(unsigned count, unsigned& first_irq) {
    unsigned block = count_order_size(count);
    for (unsigned offset = 0; offset + block <= allocated_.size(); offset += block) {
        bool free = true;
        for (unsigned i = 0; i < block && free; ++i)
            free = !allocated_[offset + i];
        if (!free)
            continue;
        for (unsigned i = 0; i < block; ++i)
            allocated_[offset + i] = true;
        first_irq = base_id_ + offset;
        return 0;
    }
    return -ENOSPC;
}

bool GicV2m::free(unsigned first_irq, unsigned count) {
    unsigned block = count_order_size(count);
    if (first_irq < base_id_ || first_irq - base_id_ + block > allocated_.size() || !allocated_[first_irq - base_id_])
        return false;
    for (unsigned i = 0; i < block; ++i)
        allocated_[first_irq - base_id_ + i] = false;
    return true;
}

}  // namespace sw
