#include "models/mfd/mfd_address_decoder.h"

#include "models/mfd/mfd_fw_regs.h"

#include <utility>

namespace models {

namespace {

// The bits that index `size` bytes: its size rounded up to a power of two, less one.
uint32_t index_mask_for(uint64_t size) {
    uint64_t span = 1;
    while (span < size)
        span <<= 1;
    return static_cast<uint32_t>(span - 1);
}

}  // namespace

MfdAddressDecoder::MfdAddressDecoder(std::string name, std::string actor, uint64_t sram_bus_base, uint64_t sram_size)
    : name_(std::move(name)), actor_(std::move(actor)), sram_bus_base_(sram_bus_base), sram_size_(sram_size),
      index_mask_(index_mask_for(sram_size)) {}

void MfdAddressDecoder::write_address_byte(unsigned index, uint8_t value) {
    unsigned shift = 8 * index;
    address_ = (address_ & ~(0xffu << shift)) | uint32_t(value) << shift;
    checked_ = false;
}

uint8_t MfdAddressDecoder::page(uint64_t time_ps) {
    check(time_ps);
    return static_cast<uint8_t>(MFD_WINSEL_ENABLE | ((sram_offset() >> MFD_SRAM_PAGE_SHIFT) & MFD_WINSEL_PAGE_MASK));
}

uint8_t MfdAddressDecoder::offset_low(uint64_t time_ps) {
    check(time_ps);
    return static_cast<uint8_t>(sram_offset() & 0xff);
}

uint8_t MfdAddressDecoder::offset_high(uint64_t time_ps) {
    check(time_ps);
    return static_cast<uint8_t>((sram_offset() & (MFD_WINDOW_SIZE - 1)) >> 8);
}

void MfdAddressDecoder::check(uint64_t time_ps) {
    if (checked_)
        return;
    checked_ = true;
    bool inside = address_ >= sram_bus_base_ && address_ - sram_bus_base_ < sram_size_;
    if (!inside && observer_)
        observer_->on_outside_local_memory(LocalMemoryDecode{name_, actor_, address_, sram_bus_base_, sram_size_,
                                                             sram_offset(), time_ps});
}

}  // namespace models
