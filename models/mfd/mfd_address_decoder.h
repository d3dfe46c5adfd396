// The MFD's address decoder (MFD_SFR_XADDR0-3, XPAGE, XOFFL/H in mfd_fw_regs.h): the firmware
// writes a bus address, as the host's DMA API gave it, and reads the window setting (enable | SRAM
// page) and the offset in that page which reach it. Like the MFD's local bus, it keeps only the
// bits that index the SRAM (the SRAM's size rounded up to a power of two): an address outside the
// SRAM reaches the SRAM page its low bits name. Such a decode is reported to the
// LocalMemoryObserver (HazardKind::outside_local_memory), once per address written.
#pragma once

#include "models/coherence/local_memory_observer.h"

#include <array>
#include <cstdint>
#include <string>

namespace models {

class MfdAddressDecoder {
public:
    MfdAddressDecoder(std::string name, std::string actor, uint64_t sram_bus_base, uint64_t sram_size);

    void set_observer(LocalMemoryObserver* observer) { observer_ = observer; }

    // XADDR0-3: byte `index` of the address, least significant first.
    void write_address_byte(unsigned index, uint8_t value);
    uint8_t address_byte(unsigned index) const { return static_cast<uint8_t>(address_ >> (8 * index)); }
    uint32_t address() const { return address_; }

    // The SRAM offset the address reaches.
    uint32_t sram_offset() const { return address_ & index_mask_; }
    // XPAGE, XOFFL, XOFFH, read at `time_ps`: the first read of a decode outside the SRAM reports it.
    uint8_t page(uint64_t time_ps);
    uint8_t offset_low(uint64_t time_ps);
    uint8_t offset_high(uint64_t time_ps);

private:
    void check(uint64_t time_ps);

    std::string name_, actor_;
    uint64_t sram_bus_base_, sram_size_;
    uint32_t index_mask_;
    uint32_t address_ = 0;
    bool checked_ = false;  // the current address has been decoded (and reported, if outside)
    LocalMemoryObserver* observer_ = nullptr;
};

}  // namespace models
