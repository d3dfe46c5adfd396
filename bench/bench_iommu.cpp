#include "bench_iommu.h"

#include "models/bus/dma_port.h"
#include "models/bus/memory.h"
#include "models/bus/router.h"
#include "models/coherence/coherence_monitor.h"
#include "models/cpu/cache.h"
#include "models/iommu/smmu.h"
#include "models/iommu/smmu_regs.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <systemc>
#include <tlm>
#include <vector>

namespace {

using namespace smmu;

constexpr uint64_t kib = 1024, mib = 1024 * kib;
constexpr uint64_t ram_base = 0x80000000, ram_size = 64 * mib;
constexpr uint64_t data_pa = ram_base + 16 * mib;  // the buffer; the tables from ram_base
constexpr uint64_t iova = 0x40000000;
constexpr uint64_t buffer = 256 * kib;
constexpr uint32_t burst = 64;
constexpr uint32_t stream_id = 0x10;
constexpr unsigned bank = 0;
constexpr uint16_t asid = 1;

using Clock = std::chrono::steady_clock;

// A DMA engine's memory side.
struct Engine : sc_core::sc_module {
    tlm::tlm_initiator_socket<> out{"out"};
    models::DmaPort port;
    Engine(sc_core::sc_module_name name, models::Instrumentation& instr)
        : sc_module(name), port(out, instr, this->name()) {}
};

// The CPU's stores to the SMMU's registers.
struct RegisterPort : sc_core::sc_module, tlm::tlm_bw_transport_if<> {
    tlm::tlm_initiator_socket<> out{"out"};
    explicit RegisterPort(sc_core::sc_module_name name) : sc_module(name) { out.bind(*this); }

    void write(uint64_t offset, uint64_t value, unsigned length) {
        tlm::tlm_generic_payload payload;
        payload.set_write();
        payload.set_address(offset);
        payload.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
        payload.set_data_length(length);
        payload.set_streaming_width(length);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        out->b_transport(payload, delay);
        if (!payload.is_response_ok())
            throw std::runtime_error("an SMMU register write failed");
    }
    tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload&, tlm::tlm_phase&, sc_core::sc_time&) override {
        return tlm::TLM_COMPLETED;
    }
    void invalidate_direct_mem_ptr(sc_dt::uint64, sc_dt::uint64) override {}
};

// RAM, the SMMU, the two engines and the monitor with a platform's two cache levels to probe.
struct System {
    models::Instrumentation instr;
    models::Memory ram{"ram", ram_size, instr};
    models::Router bus{"bus", instr};
    models::Smmu smmu{"smmu0", models::SmmuConfig{}, instr};
    Engine direct{"direct", instr}, translated{"translated", instr};
    RegisterPort regs{"regs"};
    models::Cache l1{"cpu0.l1d", models::CacheGeometry{32 * kib, 64, 128}, models::CacheTiming{}, instr};
    models::Cache l2{"l2", models::CacheGeometry{512 * kib, 64, 1024}, models::CacheTiming{}, instr};
    models::CoherenceMonitor monitor{instr, bus, 64, 100};
    uint64_t next_table = ram_base;

    System() {
        for (Engine* engine : {&direct, &translated})
            engine->out.bind(bus.in);
        smmu.walk_out.bind(bus.in);
        bus.out.bind(ram.in);
        bus.map_target(0, "ram", ram_base, ram_size, models::TargetTiming{50000, 0}, true);
        regs.out.bind(smmu.cfg_in);
        monitor.add_cache(&l1);
        monitor.add_cache(&l2);
        bus.add_observer(&monitor);
        smmu.set_iotlb_observer(&monitor);
        translated.port.set_translator(&smmu, stream_id);
        uint64_t root = new_table();
        for (uint64_t offset = 0; offset < buffer; offset += page_size)
            map_page(root, iova + offset, data_pa + offset);
        std::vector<uint8_t> pattern(buffer);
        for (uint64_t i = 0; i < buffer; ++i)
            pattern[i] = static_cast<uint8_t>(i * 31 + (i >> 12));
        ram.backdoor_write(data_pa - ram_base, pattern.data(), pattern.size());
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
        program(root);
    }

    uint64_t new_table() {
        uint64_t table = next_table;
        next_table += page_size;
        return table;
    }
    // io-pgtable-arm's 4-level tables, written by the back door as a loader would.
    void map_page(uint64_t root, uint64_t va, uint64_t pa) {
        uint64_t table = root;
        for (unsigned level = 0; level < 3; ++level) {
            uint64_t slot = table + ((va >> (12 + 9 * (3 - level))) & 0x1ff) * 8;
            uint64_t entry = 0;
            ram.backdoor_read(slot - ram_base, &entry, sizeof entry);
            if (!(entry & PTE_VALID)) {
                entry = new_table() | PTE_TYPE_TABLE;
                ram.backdoor_write(slot - ram_base, &entry, sizeof entry);
            }
            table = entry & PTE_ADDR_MASK;
        }
        uint64_t leaf = pa | PTE_TYPE_PAGE | PTE_AF | PTE_SH_IS | PTE_nG | PTE_AP_UNPRIV |
                        uint64_t(MAIR_ATTR_IDX_CACHE) << PTE_ATTRINDX_SHIFT;
        ram.backdoor_write(table + ((va >> 12) & 0x1ff) * 8 - ram_base, &leaf, sizeof leaf);
    }
    // As arm_smmu_write_context_bank, arm_smmu_write_sme and arm_smmu_device_reset program it.
    void program(uint64_t root) {
        uint64_t cb = smmu.register_file_size() / 2 + bank * page_size;
        regs.write(page_size + GR1_CBA2R(bank), CBA2R_VA64, 4);
        regs.write(page_size + GR1_CBAR(bank), field_prep(CBAR_TYPE_S1_TRANS_S2_BYPASS, CBAR_TYPE_HI, CBAR_TYPE_LO), 4);
        regs.write(cb + CB_TCR2, TCR2_AS | field_prep(TCR2_SEP_UPSTREAM, TCR2_SEP_HI, TCR2_SEP_LO), 4);
        regs.write(cb + CB_TTBR0, root | uint64_t(asid) << TTBRn_ASID_SHIFT, 8);
        regs.write(cb + CB_TCR, field_prep(16, TCR_T0SZ_HI, TCR_T0SZ_LO) | TCR_EPD1, 4);
        regs.write(cb + CB_SCTLR, SCTLR_CFIE | SCTLR_CFRE | SCTLR_AFE | SCTLR_TRE | SCTLR_M | SCTLR_ASIDPNE, 4);
        regs.write(GR0_S2CR(0), field_prep(S2CR_TYPE_TRANS, S2CR_TYPE_HI, S2CR_TYPE_LO), 4);
        regs.write(GR0_SMR(0), SMR_VALID | stream_id, 4);
        regs.write(GR0_sCR0, sCR0_GFRE | sCR0_GFIE | sCR0_USFCFG, 4);
    }
};

// One pass: the device reads the buffer, then writes it back; returns the sum of the bytes read.
uint64_t pass(models::DmaPort& port, uint64_t address, std::vector<uint8_t>& data, uint64_t& delay_ps) {
    models::Initiator device{models::InitiatorKind::device, 0, stream_id};
    if (port.read(address, data.data(), buffer, device, burst, false, delay_ps) != tlm::TLM_OK_RESPONSE ||
        port.write(address, data.data(), buffer, device, burst, false, delay_ps) != tlm::TLM_OK_RESPONSE)
        throw std::runtime_error("a DMA pass failed");
    uint64_t sum = 0;
    for (uint8_t byte : data)
        sum += byte;
    return sum;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// The passes' total as their median says: a pass lasts a fraction of a millisecond, so the median
// shrugs off the host's other work landing on a few of them.
double median_total(std::vector<double> times) {
    std::sort(times.begin(), times.end());
    return times[times.size() / 2] * static_cast<double>(times.size());
}

}  // namespace

IommuDmaMeasurement run_iommu_dma(uint64_t bytes) {
    System system;
    std::vector<uint8_t> data(buffer);
    uint64_t delay_ps = 0;
    pass(system.translated.port, iova, data, delay_ps);  // warms the IOTLB
    uint64_t walks = system.instr.counter_value("smmu0.walks");
    IommuDmaMeasurement m;
    uint64_t passes = std::max<uint64_t>(1, bytes / (2 * buffer));
    std::vector<double> direct_times, iommu_times;
    for (uint64_t i = 0; i < passes; ++i) {
        Clock::time_point start = Clock::now();
        m.direct_checksum += pass(system.direct.port, data_pa, data, delay_ps);
        direct_times.push_back(seconds_since(start));
        start = Clock::now();
        m.iommu_checksum += pass(system.translated.port, iova, data, delay_ps);
        iommu_times.push_back(seconds_since(start));
    }
    m.direct_seconds = median_total(direct_times);
    m.iommu_seconds = median_total(iommu_times);
    m.bytes = passes * buffer * 2;
    m.timed_walks = system.instr.counter_value("smmu0.walks") - walks;
    if (system.monitor.total())
        throw std::runtime_error("the DMA raised hazards");
    return m;
}
