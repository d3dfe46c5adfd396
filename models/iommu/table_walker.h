// The SMMU's stage-1 table walk: AArch64 VMSA long descriptors with a 4 KiB granule, 9 bits of IOVA
// per level, as Linux's io-pgtable-arm.c lays tables out. TCR.T0SZ gives the input size (64 - T0SZ
// bits, 25 to 48) and so the start level; TTBR0[47:0] the first table. Invalid descriptors and the
// reserved types (a block at level 0 or 3) are translation faults, a leaf with AF clear an
// access-flag fault, a descriptor read that fails an external fault. Part of the SMMU model
// (models/iommu/smmu.h); the reader decides how descriptors are read (timed over the bus, or by
// debug transport for evidence).
#pragma once

#include "models/coherence/iotlb_observer.h"
#include "models/iommu/smmu_regs.h"

#include <array>
#include <cstdint>

namespace models {

enum class TranslationFault { none, translation, access_flag, permission, external };
const char* to_string(TranslationFault fault);

class DescriptorReader {
public:
    virtual ~DescriptorReader() = default;
    // The 8-byte descriptor at `pa`, for a lookup at `level`; false when the read fails.
    virtual bool read_descriptor(uint64_t pa, unsigned level, uint64_t& value) = 0;
};

struct WalkResult {
    TranslationFault fault = TranslationFault::none;
    unsigned level = 0;        // the leaf's lookup level, or the one that faulted (0 before any lookup)
    uint64_t pa = 0;           // the output address of the IOVA
    unsigned span_shift = 12;  // log2 of the leaf's size
    uint64_t descriptor = 0;   // the leaf
    unsigned levels = 0;       // descriptors read
    std::array<WalkedDescriptor, 4> path{};
};

// Walks TTBR0's tables for `iova` as TCR configures them. A TCR the model does not walk (EPD0 set,
// a granule other than 4 KiB, T0SZ outside 16..39) or an IOVA beyond the input size is a
// translation fault at level 0.
WalkResult walk_tables(uint64_t ttbr0, uint32_t tcr, uint64_t iova, DescriptorReader& reader);

// The permission fault, if any, of an access through `leaf` by a device: devices are unprivileged
// (S2CR.PRIVCFG default), so a leaf without AP[1] (io-pgtable's IOMMU_PRIV mappings) refuses them;
// AP[2] refuses writes.
inline TranslationFault check_permission(uint64_t leaf, bool write) {
    if (!(leaf & smmu::PTE_AP_UNPRIV) || (write && (leaf & smmu::PTE_AP_RDONLY)))
        return TranslationFault::permission;
    return TranslationFault::none;
}

}  // namespace models
