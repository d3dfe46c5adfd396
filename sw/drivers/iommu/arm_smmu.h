// The driver of the Arm SMMU-500 ("arm,mmu-500", models/iommu/smmu_regs.h), after Linux's
// drivers/iommu/arm/arm-smmu/arm-smmu.c: probe maps the registers, reads ID0-ID2 for what the
// hardware offers (arm_smmu_device_cfg_probe: stream matching groups, context banks, address
// sizes; the table walk is coherent when the SMMU's device is, ID0.CTTW only noted), resets it
// (arm_smmu_device_reset with the MMU-500's arm_mmu500_reset: every SMR invalid, every S2CR fault
// or bypass, every context bank disabled, TLBIALLNSNH and a global sync, then sCR0 with
// GFRE/GFIE/GCFGFRE/GCFGFIE, VMIDPNE/PTM, USFCFG as arm-smmu.disable_bypass says, CLIENTPD clear),
// takes the global fault interrupt, and registers itself with the DMA layer
// (iommu_device_register). attach_device gives a device a domain (its group's: devices whose
// stream IDs share a stream map entry share one): a context bank with its ASID, io-pgtable-arm
// tables (sw/drivers/iommu/io_pgtable_arm.h), CBAR/TCR/TCR2/TTBR0/MAIR0/SCTLR, the bank's context
// interrupt, and the SMR/S2CR entries of its stream IDs. A context fault prints Linux's
// "Unhandled context fault: fsr=0x…, iova=0x…, fsynr=0x…, cbfrsynra=0x…, cb=N" and clears FSR.
// Messages go to messages() and the event `iommu.log`; stats: iommu.context_faults,
// iommu.global_faults. Every register access is a load or store of the core through the
// ioremap'd window; probe, attach_device, remove and the domains' operations run on the core.
#pragma once

#include "dma/iommu.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dma {
class Context;
class Device;
}  // namespace dma

namespace sw {

class Kernel;

// What the device tree gives the driver (platform_get_resource, platform_get_irq, and the
// SMMU's own struct device, whose dma-coherent decides how its tables are written).
struct ArmSmmuInfo {
    std::string name;  // dev_name, e.g. "iommu@2b400000"
    std::string node;  // the node's path, as iommus / iommu-map name it
    uint64_t registers = 0;
    uint64_t registers_size = 0;
    std::vector<unsigned> global_irqs;   // #global-interrupts first entries of `interrupts`
    std::vector<unsigned> context_irqs;  // the rest, one per context bank
    // Linux's arm-smmu.disable_bypass (default true): unmatched streams fault (sCR0.USFCFG).
    bool disable_bypass = true;
};

class ArmSmmu : public dma::Iommu {
public:
    static constexpr const char* driver_name = "arm-smmu";

    // `dev` is the SMMU's own device (coherent when the node is dma-coherent); its page tables
    // are written and cleaned with the DMA API on it, as io-pgtable-arm does.
    ArmSmmu(Kernel& kernel, dma::Device& dev, ArmSmmuInfo info);
    ~ArmSmmu() override;
    ArmSmmu(const ArmSmmu&) = delete;
    ArmSmmu& operator=(const ArmSmmu&) = delete;

    // On the core: 0, or a negative errno (-ENODEV: no stage-1 support or not an SMMUv2 register
    // file; the device is then left as found). Registers the IOMMU with dev's DMA context.
    int probe();
    void remove();

    const ArmSmmuInfo& info() const { return info_; }
    // What probe found, for describe and tests.
    unsigned num_context_banks() const;
    unsigned num_mapping_groups() const;
    bool coherent_walk() const;
    // What the driver printed (dev_notice, dev_err, dev_warn), "arm-smmu <name>: <message>" each,
    // in order; each is also the event `iommu.log`.
    const std::vector<std::string>& messages() const;

    // --- dma::Iommu ---
    const std::string& node() const override { return info_.node; }
    dma::IommuDomain* attach_device(dma::Device& dev, const std::vector<uint32_t>& stream_ids,
                                    std::string& error) override;

private:
    struct State;  // probed features, ioremap'd window, domains, SMR/S2CR shadow (arm_smmu.cpp)
    struct Group;
    struct Master;

    void release_resources();
    int cfg_probe();
    void device_reset();
    void mmu500_reset();
    void test_smr_masks();
    void write_smr(unsigned idx);
    void write_s2cr(unsigned idx);
    void write_sme(unsigned idx);
    void write_context_bank(unsigned idx);
    int find_sme(uint16_t id, uint16_t mask);
    int master_alloc_smes(Master& master, std::string& error);
    void master_free_smes(Master& master);
    Group* device_group(Master& master, std::string& error);
    bool init_domain_context(Group& group, const std::string& device, std::string& error);
    void destroy_domain_context(Group& group);
    void context_fault(unsigned cbndx);
    void global_fault();
    Kernel& kernel_;
    dma::Device& dev_;
    ArmSmmuInfo info_;
    std::unique_ptr<State> state_;
};

}  // namespace sw
