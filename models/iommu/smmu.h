// An Arm SMMU-500 (SMMUv2 architecture), stage 1 only, AArch64 long-descriptor tables with a 4 KiB
// granule, programmed through its registers (models/iommu/smmu_regs.h) as Linux's arm-smmu driver
// programs it. Only the page tables live in memory: the walker reads descriptors over the bus
// (`walk_out`) as `iommu_walker` transactions that snoop the CPU's caches only when the SMMU is
// dma-coherent (ID0.CTTW) -- which is where a non-coherent walker meets a descriptor left dirty in
// a cache.
//
// Masters in front of it translate through it (models::DmaTranslator, on their DmaPort): a stream
// ID is matched against the SMR groups, its S2CR says translate (through a context bank), bypass
// or fault (recorded as a global fault, as an unmatched stream's); an unmatched stream bypasses,
// or is a global fault with sCR0.USFCFG set; with sCR0.CLIENTPD set every stream bypasses. A
// context bank translates through its IOTLB (tagged by context bank and ASID, set-associative,
// LRU) or a walk from TTBR0; a translation, access-flag or permission fault is recorded in
// FSR/FAR/FSYNR0 and CBFRSYNRA, raises the context interrupt when SCTLR.CFIE is set, and fails the
// access with a bus error the master reports.
//
// Register accesses are 32 or 64 bits, aligned; a 64-bit write lands as its high word then its low
// word (Linux's io-64-nonatomic-hi-lo.h order), so a 64-bit register's action (TLBIVA...) fires on
// its low word. TLBSYNC and sTLBGSYNC complete at once. Context bank n's interrupt is index 1 + n
// (SMMUv2: one per bank; CBAR.IRPTNDX, which Linux programs only on SMMUv1, is not used).
//
// Stats, under the SMMU's name: iotlb_hits, iotlb_misses, walks, descriptor_reads,
// faults.translation, faults.access_flag, faults.permission, faults.external, faults.global,
// invalidations (TLBI operations), syncs, bypassed (translations that bypassed), and the walker's
// DmaPort bursts and snooped_lines. Events: smmu.walk (a slice), smmu.fault, smmu.tlbi (instants).
#pragma once

#include "models/bus/dma_port.h"
#include "models/coherence/iotlb_observer.h"
#include "models/common/dma_translator.h"
#include "models/common/instrumentation.h"
#include "models/common/property_table.h"
#include "models/iommu/iotlb.h"
#include "models/iommu/smmu_register_file.h"
#include "models/iommu/smmu_regs.h"
#include "models/iommu/table_walker.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace models {

class Cache;

struct SmmuConfig {
    unsigned context_banks = 8;             // ID1.NUMCB
    unsigned stream_match_groups = 16;      // ID0.NUMSMRG
    unsigned stream_id_bits = 15;           // ID0.NUMSIDB: at most 15 (SMR.MASK [30:16] ends at VALID)
    unsigned input_address_bits = 48;       // ID2.UBS
    unsigned output_address_bits = 48;      // ID2.OAS (and IAS)
    bool coherent_walk = false;             // dma-coherent: ID0.CTTW, walks snoop the caches
    unsigned iotlb_entries = 128;           // dmasim,iotlb-entries
    unsigned iotlb_ways = 4;                // dmasim,iotlb-ways
    uint64_t iotlb_hit_latency_ps = 1000;   // dmasim,iotlb-latency-ns
    uint64_t walk_level_latency_ps = 2000;  // dmasim,walk-level-latency-ns: per level, plus the read's own
    uint32_t id = 0;                        // the walker's initiator id: its reads are "iommu<id> walker"'s
};

class Smmu : public sc_core::sc_module, public DmaTranslator, private IommuTables {
public:
    tlm_utils::simple_target_socket<Smmu> cfg_in;  // the register file, 2 * numpage pages
    tlm::tlm_initiator_socket<> walk_out;          // the walker's descriptor reads

    // Drives an interrupt line: asserted or not from sc_time_stamp() + delay_ps on. The global
    // fault interrupt and the context interrupts, one per context bank (SMMUv2).
    using IrqLevel = std::function<void(unsigned index, bool asserted, uint64_t delay_ps)>;

    Smmu(sc_core::sc_module_name name, const SmmuConfig& config, Instrumentation& instr);

    // The arm,mmu-500 node's dmasim,* properties.
    static const PropertyTable<SmmuConfig>& properties();
    // Empty when `config` is one the model takes, else what is wrong, naming the property (or the
    // field): each property's range, and the IOTLB's ways at most its entries. The constructor
    // throws std::invalid_argument with it.
    static std::string config_error(const SmmuConfig& config);
    const SmmuConfig& config() const { return config_; }
    // Bytes of the register file (the node's reg size must be at least this).
    uint64_t register_file_size() const { return regs_.size(); }

    // Caches a coherent walker keeps coherent (as DmaPort's snooping), innermost first.
    void add_snooped_cache(Cache* cache) { walker_.add_snooped_cache(cache); }
    // Global fault interrupt: index 0; context bank n's: index 1 + n (the order of the node's
    // `interrupts` after #global-interrupts).
    void set_irq_level(IrqLevel irq_level) { irq_level_ = std::move(irq_level); }
    // Who hears of each IOTLB fill, drop and hit (the coherence monitor, for stale_iotlb); none by
    // default.
    void set_iotlb_observer(IotlbObserver* observer) { observer_ = observer; }

    // --- DmaTranslator ---
    tlm::tlm_response_status translate(uint32_t stream_id, uint64_t iova, uint64_t length, bool write,
                                       const Initiator& who, uint64_t& pa, uint64_t& delay_ps) override;

    // For describe and tests: register values as software last wrote them (backdoor, no side effects).
    uint32_t peek_register(uint64_t offset) const { return regs_.peek(offset); }

private:
    struct Stats {
        uint64_t& iotlb_hits;
        uint64_t& iotlb_misses;
        uint64_t& walks;
        uint64_t& descriptor_reads;
        uint64_t& faults_global;
        uint64_t* faults[5];  // by TranslationFault (none unused)
        uint64_t& invalidations;
        uint64_t& syncs;
        uint64_t& bypassed;
    };

    void cfg_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
    void write_register(uint64_t offset, uint32_t value, uint64_t delay_ps);
    void global_register_written(unsigned offset, uint64_t delay_ps);
    void context_register_written(unsigned bank, unsigned offset, uint64_t delay_ps);

    tlm::tlm_response_status bypass(uint64_t iova, uint64_t& pa);
    // The SMR group `stream_id` matches, or -1; `conflict` when more than one does.
    struct StreamMatch {
        uint32_t stream_id = 0;
        int group = -1;
        bool conflict = false;
    };
    StreamMatch match_stream(uint32_t stream_id) const;
    tlm::tlm_response_status translate_in_context(unsigned bank, uint32_t stream_id, uint64_t iova, bool write,
                                                  const Initiator& who, uint64_t& pa, uint64_t& delay_ps);
    WalkResult timed_walk(unsigned bank, uint32_t stream_id, uint64_t iova, uint64_t& delay_ps);
    void fill(unsigned bank, uint16_t asid, uint64_t iova, const WalkResult& walk, uint64_t delay_ps);
    uint16_t asid_of(unsigned bank, uint64_t asid_field) const;

    // Records a context fault (FSR, FAR, FSYNR0, CBFRSYNRA) and raises the bank's interrupt.
    void context_fault(unsigned bank, TranslationFault fault, unsigned level, uint32_t stream_id, uint64_t iova,
                       bool write, uint64_t delay_ps);
    // Records a global fault (sGFSR `cause`, sGFSYNR0/1, sGFAR) and raises the global interrupt.
    void global_fault(uint32_t cause, uint32_t stream_id, uint64_t iova, bool write, uint64_t delay_ps);
    void update_global_irq(uint64_t delay_ps);
    void update_context_irq(unsigned bank, uint64_t delay_ps);
    void drive_irq(unsigned index, bool asserted, uint64_t delay_ps);

    // Drops the IOTLB entries `match` selects; `op` names the register for the smmu.tlbi event.
    template <typename Match>
    void invalidate(const char* op, std::vector<Field> fields, uint64_t delay_ps, Match match);

    // --- IommuTables: a walk by debug transport, for the observer's evidence ---
    std::optional<uint64_t> walk_now(unsigned context_bank, uint64_t iova) override;

    SmmuConfig config_;
    Instrumentation& instr_;
    SmmuRegisterFile regs_;
    Iotlb iotlb_;
    DmaPort walker_;
    IrqLevel irq_level_;
    std::vector<bool> irq_asserted_;  // by interrupt index: 0 global, 1 + n context bank n
    IotlbObserver* observer_ = nullptr;
    std::optional<StreamMatch> last_match_;  // the last stream matched, until an SMR changes
    Stats stats_;
    EventKind ev_walk_;
    EventKind ev_fault_;
    EventKind ev_tlbi_;
};

}  // namespace models
