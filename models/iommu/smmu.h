// An Arm SMMU-500 (SMMUv2 architecture), stage 1 only, AArch64 long-descriptor tables with a 4 KiB
// granule, programmed through its registers (models/iommu/smmu_regs.h) as Linux's arm-smmu driver
// programs it. Only the page tables live in memory: the walker reads descriptors over the bus
// (`walk_out`) as `iommu_walker` transactions that snoop the CPU's caches only when the SMMU is
// dma-coherent (ID0.CTTW) -- which is where a non-coherent walker meets a descriptor left dirty in
// a cache.
//
// Masters in front of it translate through it (models::DmaTranslator, on their DmaPort): a stream
// ID is matched against the SMR groups, its S2CR says translate (through a context bank), bypass
// or fault; an unmatched stream bypasses, or is a global fault with sCR0.USFCFG set; with
// sCR0.CLIENTPD set every stream bypasses. A context bank translates through its IOTLB (tagged by
// context bank and ASID, set-associative, LRU) or a walk from TTBR0; a translation, access-flag or
// permission fault is recorded in FSR/FAR/FSYNR0 and CBFRSYNRA, raises the context interrupt when
// SCTLR.CFIE is set, and fails the access with a bus error the master reports.
//
// Stats, under the SMMU's name: iotlb_hits, iotlb_misses, walks, descriptor_reads,
// faults.translation, faults.access_flag, faults.permission, faults.external, faults.global,
// invalidations, bypassed. Events: smmu.walk (a slice), smmu.fault, smmu.tlbi (instants).
#pragma once

#include "models/common/dma_translator.h"
#include "models/common/instrumentation.h"
#include "models/common/property_table.h"
#include "models/iommu/smmu_regs.h"

#include <cstdint>
#include <functional>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace models {

class Cache;

struct SmmuConfig {
    unsigned context_banks = 8;             // ID1.NUMCB
    unsigned stream_match_groups = 16;      // ID0.NUMSMRG
    unsigned stream_id_bits = 16;           // ID0.NUMSIDB
    unsigned input_address_bits = 48;       // ID2.UBS
    unsigned output_address_bits = 48;      // ID2.OAS (and IAS)
    bool coherent_walk = false;             // dma-coherent: ID0.CTTW, walks snoop the caches
    unsigned iotlb_entries = 128;           // dmasim,iotlb-entries
    unsigned iotlb_ways = 4;                // dmasim,iotlb-ways
    uint64_t iotlb_hit_latency_ps = 1000;   // dmasim,iotlb-latency-ns
    uint64_t walk_level_latency_ps = 2000;  // dmasim,walk-level-latency-ns: per level, plus the read's own
};

class Smmu : public sc_core::sc_module, public DmaTranslator {
public:
    tlm_utils::simple_target_socket<Smmu> cfg_in;  // the register file, 2 * numpage pages
    tlm::tlm_initiator_socket<> walk_out;          // the walker's descriptor reads

    // Drives an interrupt line: asserted or not from sc_time_stamp() + delay_ps on. The global
    // fault interrupt and the context interrupt (one per context bank, CBAR.IRPTNDX picks which
    // of the node's context interrupts; Linux's arm-smmu uses one per bank).
    using IrqLevel = std::function<void(unsigned index, bool asserted, uint64_t delay_ps)>;

    Smmu(sc_core::sc_module_name name, const SmmuConfig& config, Instrumentation& instr);

    // The arm,mmu-500 node's dmasim,* properties.
    static const PropertyTable<SmmuConfig>& properties();
    const SmmuConfig& config() const { return config_; }
    // Bytes of the register file (the node's reg size must be at least this).
    uint64_t register_file_size() const;

    // Caches a coherent walker keeps coherent (as DmaPort's snooping), innermost first.
    void add_snooped_cache(Cache* cache);
    // Global fault interrupt: index 0; context bank n's: index 1 + n (the order of the node's
    // `interrupts` after #global-interrupts).
    void set_irq_level(IrqLevel irq_level);

    // --- DmaTranslator ---
    tlm::tlm_response_status translate(uint32_t stream_id, uint64_t iova, uint64_t length, bool write,
                                       const Initiator& who, uint64_t& pa, uint64_t& delay_ps) override;

    // For describe and tests: register values as software last wrote them (backdoor, no side effects).
    uint32_t peek_register(uint64_t offset) const;

private:
    struct Impl;  // the model's state: registers, IOTLB, walker (models/iommu/smmu.cpp)
    SmmuConfig config_;
    Instrumentation& instr_;
};

}  // namespace models
