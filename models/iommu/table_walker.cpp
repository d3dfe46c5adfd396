#include "models/iommu/table_walker.h"

namespace models {

using namespace smmu;

const char* to_string(TranslationFault fault) {
    switch (fault) {
    case TranslationFault::none: return "none";
    case TranslationFault::translation: return "translation";
    case TranslationFault::access_flag: return "access_flag";
    case TranslationFault::permission: return "permission";
    case TranslationFault::external: return "external";
    }
    return "?";
}

namespace {

constexpr unsigned levels_max = 4;
constexpr unsigned min_t0sz = 16, max_t0sz = 39;  // 48 to 25 input bits with a 4 KiB granule
constexpr uint64_t ttbr_address_mask = (1ULL << 48) - 1;

WalkResult fault_at(WalkResult result, TranslationFault fault, unsigned level) {
    result.fault = fault;
    result.level = level;
    return result;
}

}  // namespace

WalkResult walk_tables(uint64_t ttbr0, uint32_t tcr, uint64_t iova, DescriptorReader& reader) {
    WalkResult result;
    unsigned t0sz = field_get(tcr, TCR_T0SZ_HI, TCR_T0SZ_LO);
    if ((tcr & TCR_EPD0) || field_get(tcr, TCR_TG0_HI, TCR_TG0_LO) != 0 || t0sz < min_t0sz || t0sz > max_t0sz)
        return fault_at(result, TranslationFault::translation, 0);
    unsigned input_bits = 64 - t0sz;
    if (iova >> input_bits)
        return fault_at(result, TranslationFault::translation, 0);
    // As io-pgtable-arm's ARM_LPAE_START_LVL: as many levels as the bits above the page offset need,
    // the first one resolving what is left over.
    unsigned levels = (input_bits - granule_shift + bits_per_level - 1) / bits_per_level;
    unsigned start = levels_max - levels;
    unsigned start_bits = input_bits - granule_shift - bits_per_level * (levels - 1);
    uint64_t table = ttbr0 & ttbr_address_mask & ~((8ULL << start_bits) - 1);  // BADDR: the table's alignment

    for (unsigned level = start; level < levels_max; ++level) {
        unsigned shift = granule_shift + bits_per_level * (levels_max - 1 - level);
        unsigned bits = level == start ? start_bits : bits_per_level;
        uint64_t index = (iova >> shift) & ((1ULL << bits) - 1);
        uint64_t pa = table + index * 8;
        uint64_t descriptor = 0;
        if (!reader.read_descriptor(pa, level, descriptor))
            return fault_at(result, TranslationFault::external, level);
        result.path[result.levels++] = WalkedDescriptor{pa, descriptor};
        uint64_t type = descriptor & PTE_TYPE_MASK;
        if (!(descriptor & PTE_VALID))
            return fault_at(result, TranslationFault::translation, level);
        if (level < levels_max - 1 && type == PTE_TYPE_TABLE) {
            table = descriptor & PTE_ADDR_MASK;
            continue;
        }
        // A leaf: a page at level 3, a block at levels 1 and 2; a "block" at level 0 or 3 is reserved.
        bool leaf = level == levels_max - 1 ? type == PTE_TYPE_PAGE : level > 0 && type == PTE_TYPE_BLOCK;
        if (!leaf)
            return fault_at(result, TranslationFault::translation, level);
        if (!(descriptor & PTE_AF))
            return fault_at(result, TranslationFault::access_flag, level);
        uint64_t span_mask = (1ULL << shift) - 1;
        result.level = level;
        result.span_shift = shift;
        result.descriptor = descriptor;
        result.pa = (descriptor & PTE_ADDR_MASK & ~span_mask) | (iova & span_mask);
        return result;
    }
    return result;  // not reached: level 3 always ends the walk
}

}  // namespace models
