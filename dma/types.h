// The vocabulary of the DMA-mapping layer, with Linux's names and values: bus addresses, the
// mapping-error value, masks, directions and allocation/mapping attributes.
#pragma once

#include <cstdint>

namespace dma {

using dma_addr_t = uint64_t;

// What a failed mapping returns (Linux's DMA_MAPPING_ERROR); test it with dma::mapping_error().
constexpr dma_addr_t DMA_MAPPING_ERROR = ~0ULL;
// What dma_to_phys returns for a bus address outside every dma-range ((phys_addr_t)-1).
constexpr uint64_t invalid_phys_addr = ~0ULL;

// A run of physical memory: [pa, pa + size).
struct PhysExtent {
    uint64_t pa = 0;
    uint64_t size = 0;
};

// Linux's DMA_BIT_MASK(n): the n low bits set (all 64 for n >= 64).
constexpr uint64_t dma_bit_mask(unsigned bits) { return bits >= 64 ? ~0ULL : (1ULL << bits) - 1; }

// Linux's enum dma_data_direction, in its order (DMA_BIDIRECTIONAL = 0 ... DMA_NONE = 3).
enum class DmaDirection { bidirectional, to_device, from_device, none };
const char* to_string(DmaDirection dir);
// Mappings need a real direction: DMA_NONE is only for debugging.
inline bool valid_direction(DmaDirection dir) { return dir != DmaDirection::none; }

// DMA attributes (Linux's DMA_ATTR_*), bit flags with Linux's values.
using Attrs = unsigned long;
namespace attr {
constexpr Attrs weak_ordering = 1UL << 1;
constexpr Attrs write_combine = 1UL << 2;
constexpr Attrs non_consistent = 1UL << 3;  // the 3.4-era attribute: a noncoherent allocation
constexpr Attrs no_kernel_mapping = 1UL << 4;
constexpr Attrs skip_cpu_sync = 1UL << 5;
constexpr Attrs force_contiguous = 1UL << 6;
constexpr Attrs alloc_single_pages = 1UL << 7;
constexpr Attrs no_warn = 1UL << 8;
constexpr Attrs privileged = 1UL << 9;
}  // namespace attr

// Whether an allocation may block (Linux's GFP_KERNEL) or not (GFP_ATOMIC: interrupt context, a
// spinlock held). A non-blocking coherent allocation that needs a remap comes from the atomic pool.
enum class Gfp { kernel, atomic };

}  // namespace dma
