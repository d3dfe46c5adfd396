// What an invalidation by range does with the cache lines it covers only in part (its first and
// last): Linux cleans and invalidates them, so the bytes outside the range that share them
// survive - ARMv7's v7_dma_inv_range (arch/arm/mm/cache-v7.S), the PL310's l2c210_inv_range
// (arch/arm/mm/cache-l2x0.c) and arm64's dcache_inval_poc (arch/arm64/mm/cache.S); `invalidate`
// discards them with the rest, as older kernels of other architectures did (seed 003's 2002 thread).
#pragma once

namespace sw {

enum class PartialLines { clean_invalidate, invalidate };

}  // namespace sw
