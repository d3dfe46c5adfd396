// The SMMU's register file as models/iommu/smmu_regs.h lays it out: GR0 in page 0, GR1 in page 1,
// context bank n at page numpage + n, numpage = 2^(ID1.NUMPAGENDXB + 1) the smallest that holds the
// context banks (Linux's ARM_SMMU_CB(smmu, n)). It stores every 32-bit word and applies each
// register's access rules; what a write sets in motion (invalidations, interrupts) is the SMMU's
// (models/iommu/smmu.h). Part of the SMMU model.
#pragma once

#include "models/iommu/smmu_regs.h"

#include <cstdint>
#include <vector>

namespace models {

struct SmmuConfig;

class SmmuRegisterFile {
public:
    // The register an offset falls on.
    struct Location {
        enum class Space { gr0, gr1, context_bank, none } space = Space::none;
        unsigned bank = 0;    // the context bank, in its space
        unsigned offset = 0;  // in the register page
    };

    explicit SmmuRegisterFile(const SmmuConfig& config);

    unsigned numpage() const { return numpage_; }
    uint64_t size() const { return 2ULL * numpage_ * smmu::page_size; }
    Location locate(uint64_t offset) const;

    // Software's read of the 32-bit word at `offset`: write-only and unimplemented registers read 0.
    uint32_t read(uint64_t offset) const;
    // Software's write of the 32-bit word at `offset`: ignored by read-only and unimplemented
    // registers; an SMR keeps the stream-ID bits the SMMU implements (what Linux's
    // arm_smmu_test_smr_masks probes); FSR and sGFSR clear the bits written as 1; FSRRESTORE sets
    // FSR. Returns where it landed.
    Location write(uint64_t offset, uint32_t value);
    // As software last wrote it or the hardware set it (write-only registers included).
    uint32_t peek(uint64_t offset) const { return offset / 4 < words_.size() ? words_[offset / 4] : 0; }

    // The model's own accesses.
    uint32_t gr0(unsigned offset) const { return words_[offset / 4]; }
    uint32_t gr1(unsigned offset) const { return words_[(smmu::page_size + offset) / 4]; }
    uint32_t cb(unsigned bank, unsigned offset) const { return words_[(cb_page(bank) + offset) / 4]; }
    uint64_t cb64(unsigned bank, unsigned offset) const {
        return uint64_t(cb(bank, offset + 4)) << 32 | cb(bank, offset);
    }
    void set_gr0(unsigned offset, uint32_t value) { words_[offset / 4] = value; }
    void set_gr0_64(unsigned offset, uint64_t value) { set64(offset, value); }
    void set_gr1(unsigned offset, uint32_t value) { words_[(smmu::page_size + offset) / 4] = value; }
    void set_cb(unsigned bank, unsigned offset, uint32_t value) { words_[(cb_page(bank) + offset) / 4] = value; }
    void set_cb64(unsigned bank, unsigned offset, uint64_t value) { set64(cb_page(bank) + offset, value); }

private:
    enum class Kind { unimplemented, plain, read_only, write_only, write_one_to_clear, fsr_restore, smr };
    Kind kind(const Location& where) const;
    uint64_t cb_page(unsigned bank) const { return (numpage_ + bank) * smmu::page_size; }
    void set64(uint64_t offset, uint64_t value) {
        words_[offset / 4] = static_cast<uint32_t>(value);
        words_[offset / 4 + 1] = static_cast<uint32_t>(value >> 32);
    }

    unsigned numpage_;
    unsigned context_banks_;
    unsigned stream_match_groups_;
    uint32_t smr_writable_;
    std::vector<uint32_t> words_;
};

}  // namespace models
