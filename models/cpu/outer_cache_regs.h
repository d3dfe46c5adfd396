// The PL310's register interface (its TRM), shared by the model (models/cpu/outer_cache.h) and the
// kernel's l2x0 operations (sw/kernel/kernel.h), which drive it only through these registers.
#pragma once

#include <cstdint>

namespace outer_cache {

// Register offsets, as in the PL310 TRM.
enum Register : uint32_t {
    cache_id = 0x000,
    cache_type = 0x004,
    control = 0x100,
    cache_sync = 0x730,
    invalidate_pa = 0x770,
    invalidate_way = 0x77c,
    clean_pa = 0x7b0,
    clean_index = 0x7b8,
    clean_way = 0x7bc,
    clean_invalidate_pa = 0x7f0,
    clean_invalidate_index = 0x7f8,
    clean_invalidate_way = 0x7fc,
};
constexpr uint64_t register_space = 0x1000;

}  // namespace outer_cache
