// The Arm SMMU as its driver reaches it (models/iommu/smmu_regs.h): the register file through
// an ioremap'd window, a page per global space and per context bank (Linux's arm_smmu_readl /
// arm_smmu_writel and the gr0 / gr1 / cb helpers of arm-smmu.h), the TLB sync handshake
// (__arm_smmu_tlb_sync), and the device's messages (dev_notice, dev_err, dev_warn): kept in
// messages() and emitted as the event `iommu.log`. Every access is a load or store of the core.
#pragma once

#include "models/common/instrumentation.h"

#include <cstdint>
#include <string>
#include <vector>

namespace models {
class Core;
}

namespace sw {

class ArmSmmuIo {
public:
    // `who`: the message prefix, as dev_name prints it ("arm-smmu iommu@2b400000").
    ArmSmmuIo(models::Core& cpu, models::Instrumentation& instr, std::string who);

    // The window (0: unmapped), the register page size and the number of global pages: until
    // probe reads ID1, one page per space from 0.
    void set_window(uint64_t va) { base_ = va; }
    uint64_t window() const { return base_; }
    void set_layout(unsigned pgshift, unsigned numpage);

    uint32_t gr0_read(unsigned offset) { return readl(0, offset); }
    void gr0_write(unsigned offset, uint32_t value) { writel(0, offset, value); }
    uint32_t gr1_read(unsigned offset) { return readl(1, offset); }
    void gr1_write(unsigned offset, uint32_t value) { writel(1, offset, value); }
    // Context bank n: page numpage + n (Linux's ARM_SMMU_CB).
    uint32_t cb_read(unsigned n, unsigned offset) { return readl(numpage_ + n, offset); }
    void cb_write(unsigned n, unsigned offset, uint32_t value) { writel(numpage_ + n, offset, value); }
    uint64_t cb_readq(unsigned n, unsigned offset);
    void cb_writeq(unsigned n, unsigned offset, uint64_t value);

    // arm_smmu_tlb_sync_global (sTLBGSYNC / sTLBGSTATUS) and arm_smmu_tlb_sync_context
    // (TLBSYNC / TLBSTATUS): the sync started, then the status polled until it is done, Linux's
    // spin-then-back-off for up to a second; a timeout is logged.
    void tlb_sync_global();
    void tlb_sync_context(unsigned cbndx);

    void log(const std::string& message);
    const std::string& who() const { return who_; }
    const std::vector<std::string>& messages() const { return messages_; }
    models::Core& cpu() { return cpu_; }

private:
    uint32_t readl(unsigned page, unsigned offset);
    void writel(unsigned page, unsigned offset, uint32_t value);
    uint64_t address(unsigned page, unsigned offset) const { return base_ + (uint64_t(page) << pgshift_) + offset; }
    void tlb_sync(unsigned page, unsigned sync, unsigned status);
    void udelay(uint64_t us);

    models::Core& cpu_;
    models::Instrumentation& instr_;
    std::string who_;
    uint64_t base_ = 0;
    unsigned pgshift_ = 12;
    unsigned numpage_ = 1;
    std::vector<std::string> messages_;
    models::EventKind ev_log_;
};

}  // namespace sw
