#include "sw/drivers/iommu/arm_smmu_io.h"

#include "models/cpu/core.h"
#include "models/iommu/smmu_regs.h"

namespace sw {

using namespace smmu;

namespace {

constexpr uint32_t dummy_value = ~0u;  // what Linux writes to the sync and TLBI-all registers (QCOM_DUMMY_VAL)
constexpr uint64_t tlb_loop_timeout_us = 1000000;  // TLB_LOOP_TIMEOUT: 1 s
constexpr unsigned tlb_spin_count = 10;            // TLB_SPIN_COUNT

}  // namespace

ArmSmmuIo::ArmSmmuIo(models::Core& cpu, models::Instrumentation& instr, std::string who)
    : cpu_(cpu), instr_(instr), who_(std::move(who)),
      ev_log_(instr.declare_event("iommu.log", "an IOMMU driver logged a message")) {}

void ArmSmmuIo::set_layout(unsigned pgshift, unsigned numpage) {
    pgshift_ = pgshift;
    numpage_ = numpage;
}

uint32_t ArmSmmuIo::readl(unsigned page, unsigned offset) { return cpu_.load32(address(page, offset)); }

void ArmSmmuIo::writel(unsigned page, unsigned offset, uint32_t value) { cpu_.store32(address(page, offset), value); }

uint64_t ArmSmmuIo::cb_readq(unsigned n, unsigned offset) { return cpu_.load64(address(numpage_ + n, offset)); }

void ArmSmmuIo::cb_writeq(unsigned n, unsigned offset, uint64_t value) {
    cpu_.store64(address(numpage_ + n, offset), value);
}

void ArmSmmuIo::tlb_sync_global() { tlb_sync(0, GR0_sTLBGSYNC, GR0_sTLBGSTATUS); }

void ArmSmmuIo::tlb_sync_context(unsigned cbndx) { tlb_sync(numpage_ + cbndx, CB_TLBSYNC, CB_TLBSTATUS); }

// __arm_smmu_tlb_sync. GSACTIVE and SACTIVE are the same bit.
void ArmSmmuIo::tlb_sync(unsigned page, unsigned sync, unsigned status) {
    writel(page, sync, dummy_value);
    for (uint64_t delay = 1; delay < tlb_loop_timeout_us; delay *= 2) {
        for (unsigned spin = 0; spin < tlb_spin_count; ++spin)
            if (!(readl(page, status) & sTLBGSTATUS_GSACTIVE))
                return;
        udelay(delay);
    }
    log("TLB sync timed out -- SMMU may be deadlocked");
}

// The kernel's udelay: the core busy for that long.
void ArmSmmuIo::udelay(uint64_t us) { cpu_.compute(us * 1000000 / cpu_.config().cycle_ps); }

void ArmSmmuIo::log(const std::string& message) {
    messages_.push_back(who_ + ": " + message);
    if (ev_log_.enabled())
        instr_.emit(ev_log_, models::Event{cpu_.now_ps(), nullptr, who_, {{"message", message}}});
}

}  // namespace sw
