// What the DMA-mapping layer runs with: the kernel services (and through them the core), the
// policies, the direct and IOMMU ops shared by devices, the cache-maintenance helper, and the layer's
// warnings and stats. One per simulated system; every Device refers to it.
#pragma once

#include "dma/atomic_pool.h"
#include "dma/cache_maintenance.h"
#include "dma/debug.h"
#include "dma/direct_ops.h"
#include "dma/iommu.h"
#include "dma/iommu_ops.h"
#include "dma/mapping_listener.h"
#include "dma/policy.h"
#include "dma/swiotlb.h"
#include "models/common/instrumentation.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sw {
class Kernel;
}

namespace dma {

class CoherentMemory;
class Device;

class Context {
public:
    Context(sw::Kernel& kernel, models::Instrumentation& instr, Policy policy = {});
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    sw::Kernel& kernel() { return kernel_; }
    models::Core& cpu();
    Policy& policy() { return policy_; }
    DirectOps& direct_ops() { return direct_ops_; }
    // The IOMMU ops of every device attached to an IOMMU (iommu_configure, dma/iommu_ops.h).
    IommuOps& iommu_ops() { return iommu_ops_; }
    // The default swiotlb pool (Linux's io_tlb_default_mem), sized by Policy::swiotlb_slots at
    // construction.
    Swiotlb& swiotlb() { return swiotlb_; }
    CacheMaintenance& cache() { return cache_; }
    // The dma-debug checker, on unless Policy::debug is off (dma_debug=off).
    DmaDebug& debug() { return debug_; }
    // The pool of non-blocking coherent allocations (Linux's atomic pools), taken from DMA32 at
    // construction with Policy::atomic_pool_size.
    AtomicPool& atomic_pool() { return atomic_pool_; }
    models::Instrumentation& instr() { return instr_; }

    // The IOMMUs whose drivers have probed (Linux's iommu_device_register), found by node path
    // when a device is attached (of_iommu_configure); nullptr for an unknown node.
    void register_iommu(Iommu& iommu) { iommus_.push_back(&iommu); }
    void unregister_iommu(Iommu& iommu);
    Iommu* find_iommu(const std::string& node) const;

    // The coherent pool of the no-map shared-dma-pool region `region` (Linux's rmem->priv): null
    // until of_reserved_mem_device_init (dma/reserved_mem.h) makes it for the first device naming it.
    std::shared_ptr<CoherentMemory>& reserved_pool(const std::string& region) { return reserved_pools_[region]; }

    // The last byte of RAM (Linux's (max_pfn << PAGE_SHIFT) - 1).
    uint64_t max_ram_pa() const { return max_ram_pa_; }

    // A device warning, as dev_warn prints it ("<device>: <message>"): kept in warnings(),
    // emitted as a `dma.warning` event and counted in `stat`.
    void warn(const Device& dev, const std::string& message, uint64_t& stat);
    const std::vector<std::string>& warnings() const { return warnings_; }

    // Stats of the layer.
    uint64_t& stat_mapping_errors;  // dma.mapping_errors: mappings that returned DMA_MAPPING_ERROR
    uint64_t& stat_alloc_failures;  // dma.alloc_failures: allocations that returned NULL
    uint64_t& stat_bad_handles;     // dma.bad_handles: unmap/sync of an address that translates to no page
    uint64_t& stat_bad_frees;       // dma.bad_frees: frees of memory no allocation returned (nothing freed)
    uint64_t& stat_single_maps;     // dma.maps.single: map_single calls that mapped
    uint64_t& stat_page_maps;       // dma.maps.page: map_page calls that mapped
    uint64_t& stat_sg_maps;         // dma.maps.sg: DMA segments map_sg produced

    // Told of every map, unmap, alloc and free call, in the order added, just before its event
    // (dma/mapping_listener.h). Not owned: a listener outlives the calls made once it is added.
    void add_mapping_listener(MappingListener& listener) { mapping_listeners_.push_back(&listener); }
    const std::vector<MappingListener*>& mapping_listeners() const { return mapping_listeners_; }

    // The API layer's calls as timeline slices (dma/mapping.cpp): stamped with the call's start,
    // from the device DMA is delegated to, with the DMA address and duration_ps.
    const models::EventKind& event_of(MappingCall call) const;

private:
    models::EventKind ev_map_;    // dma.map: a streaming mapping (one per scatterlist segment)
    models::EventKind ev_unmap_;  // dma.unmap
    models::EventKind ev_alloc_;  // dma.alloc: a coherent or noncoherent allocation
    models::EventKind ev_free_;   // dma.free
    sw::Kernel& kernel_;
    models::Instrumentation& instr_;
    Policy policy_;
    Swiotlb swiotlb_;
    uint64_t max_ram_pa_ = 0;
    CacheMaintenance cache_;
    DirectOps direct_ops_;
    IommuOps iommu_ops_;
    DmaDebug debug_;
    models::EventKind ev_warning_;
    std::vector<std::string> warnings_;
    std::vector<MappingListener*> mapping_listeners_;
    std::vector<Iommu*> iommus_;
    std::map<std::string, std::shared_ptr<CoherentMemory>> reserved_pools_;
    AtomicPool atomic_pool_;  // last: it uses the kernel and the policy as it is built
};

}  // namespace dma
