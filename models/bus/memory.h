// Sparse RAM: 4 KiB pages allocated on first write, so a 4 GiB DRAM costs only what is touched.
// Serves TLM reads and writes, grants DMI per page, and offers back-door access for loaders and
// checkers (named as such: it bypasses every cache and every observer).
#pragma once

#include "models/bus/target_timing.h"
#include "models/common/instrumentation.h"

#include <cstdint>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

namespace models {

class Memory : public sc_core::sc_module, public tlm::tlm_fw_transport_if<> {
public:
    static constexpr uint64_t page_size = 4096;

    tlm::tlm_target_socket<> in;

    Memory(sc_core::sc_module_name name, uint64_t size, Instrumentation& instr);

    // The timing the router gives a memory node's regions (DRAM) and an mmio-sram's (SRAM).
    static const PropertyTable<TargetTiming>& dram_properties();
    static const PropertyTable<TargetTiming>& sram_properties();

    uint64_t size() const { return size_; }
    uint64_t pages_allocated() const { return stat_pages_; }

    void backdoor_read(uint64_t offset, void* dst, uint64_t length) const;
    void backdoor_write(uint64_t offset, const void* src, uint64_t length);

    void b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) override;
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi) override;
    unsigned int transport_dbg(tlm::tlm_generic_payload& payload) override;
    tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload&, tlm::tlm_phase&, sc_core::sc_time&) override {
        return tlm::TLM_COMPLETED;  // loosely timed only
    }

private:
    uint8_t* page_for_write(uint64_t page_number);
    const uint8_t* page_for_read(uint64_t page_number) const;  // nullptr if never written
    bool execute(tlm::tlm_generic_payload& payload);

    // Two-level page table: directories of 1024 pages (4 MiB) made on first touch, so lookups
    // are two array indexings and an untouched 4 GiB costs one small top-level array.
    static constexpr uint64_t pages_per_directory = 1024;
    using Page = std::unique_ptr<uint8_t[]>;
    using Directory = std::unique_ptr<Page[]>;

    uint64_t size_;
    std::vector<Directory> directories_;
    uint64_t& stat_pages_;
};

}  // namespace models
