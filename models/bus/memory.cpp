#include "models/bus/memory.h"

#include <algorithm>
#include <cstring>

namespace models {

Memory::Memory(sc_core::sc_module_name name, uint64_t size, Instrumentation& instr)
    : sc_module(name), in("in"), size_(size),
      directories_((size + page_size * pages_per_directory - 1) / (page_size * pages_per_directory)),
      stat_pages_(instr.counter(std::string(this->name()) + ".pages_touched")) {
    in.bind(*this);
}

uint8_t* Memory::page_for_write(uint64_t page_number) {
    Directory& directory = directories_[page_number / pages_per_directory];
    if (!directory)
        directory.reset(new Page[pages_per_directory]());
    Page& page = directory[page_number % pages_per_directory];
    if (!page) {
        page.reset(new uint8_t[page_size]());
        ++stat_pages_;
    }
    return page.get();
}

const uint8_t* Memory::page_for_read(uint64_t page_number) const {
    const Directory& directory = directories_[page_number / pages_per_directory];
    return directory ? directory[page_number % pages_per_directory].get() : nullptr;
}

void Memory::backdoor_read(uint64_t offset, void* dst, uint64_t length) const {
    auto* out = static_cast<uint8_t*>(dst);
    while (length) {
        uint64_t in_page = offset % page_size;
        uint64_t chunk = std::min(length, page_size - in_page);
        const uint8_t* page = page_for_read(offset / page_size);
        if (page)
            std::memcpy(out, page + in_page, chunk);
        else
            std::memset(out, 0, chunk);
        out += chunk;
        offset += chunk;
        length -= chunk;
    }
}

void Memory::backdoor_write(uint64_t offset, const void* src, uint64_t length) {
    auto* in_bytes = static_cast<const uint8_t*>(src);
    while (length) {
        uint64_t in_page = offset % page_size;
        uint64_t chunk = std::min(length, page_size - in_page);
        std::memcpy(page_for_write(offset / page_size) + in_page, in_bytes, chunk);
        in_bytes += chunk;
        offset += chunk;
        length -= chunk;
    }
}

bool Memory::execute(tlm::tlm_generic_payload& payload) {
    uint64_t address = payload.get_address();
    uint64_t length = payload.get_data_length();
    if (address >= size_ || length > size_ - address) {
        payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return false;
    }
    if (payload.get_byte_enable_ptr()) {
        payload.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        return false;
    }
    if (payload.is_read())
        backdoor_read(address, payload.get_data_ptr(), length);
    else if (payload.is_write())
        backdoor_write(address, payload.get_data_ptr(), length);
    payload.set_response_status(tlm::TLM_OK_RESPONSE);
    return true;
}

void Memory::b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time&) {
    payload.set_dmi_allowed(execute(payload));
}

unsigned int Memory::transport_dbg(tlm::tlm_generic_payload& payload) {
    return execute(payload) ? payload.get_data_length() : 0;
}

// DMI is granted one page at a time, since pages are not contiguous on the host.
bool Memory::get_direct_mem_ptr(tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi) {
    uint64_t address = payload.get_address();
    if (address >= size_)
        return false;
    uint64_t page_number = address / page_size;
    dmi.set_dmi_ptr(page_for_write(page_number));
    dmi.set_start_address(page_number * page_size);
    dmi.set_end_address(std::min(size_, (page_number + 1) * page_size) - 1);
    dmi.allow_read_write();
    dmi.set_read_latency(sc_core::SC_ZERO_TIME);
    dmi.set_write_latency(sc_core::SC_ZERO_TIME);
    return true;
}

const PropertyTable<TargetTiming>& Memory::dram_properties() {
    static const PropertyTable<TargetTiming> table{TargetTiming{60 * ps_per_ns, 12800}, target_timing_properties()};
    return table;
}

const PropertyTable<TargetTiming>& Memory::sram_properties() {
    static const PropertyTable<TargetTiming> table{TargetTiming{10 * ps_per_ns, 8000}, target_timing_properties()};
    return table;
}

}  // namespace models
