// A device as the DMA-mapping layer sees it (the DMA part of Linux's struct device): its masks,
// bus limit and dma-ranges, whether it is coherent, its ops, and optionally a parent it delegates
// DMA to (a USB device maps through its host controller). Every API call resolves dma_dev() first.
#pragma once

#include "dma/iommu.h"
#include "dma/types.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sw {
class CmaArea;
}

namespace dma {

class CoherentMemory;
class Context;
class DmaOps;

// One entry of a device's range map (from `dma-ranges`): CPU physical [cpu_start, cpu_start+size)
// appears on the device's bus at [dma_start, dma_start+size).
struct DmaRange {
    uint64_t cpu_start = 0;
    uint64_t dma_start = 0;
    uint64_t size = 0;
};

// A range of bus addresses, both ends inclusive.
struct BusRange {
    uint64_t start = 0;
    uint64_t end = 0;
};

class Device {
public:
    // A device doing its own DMA, with Linux's defaults for a new device: 32-bit masks, no bus
    // limit, identity addressing, non-coherent, the context's direct ops.
    Device(std::string name, Context& context);
    // A device whose DMA is done by `parent` (masks, ranges, flags and ops are the parent's).
    Device(std::string name, Device& parent);
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    const std::string& name() const { return name_; }
    Device* parent() const { return parent_; }
    Context& context() const { return context_; }
    // The device whose DMA settings apply: the end of the delegation chain.
    Device& dma_dev() { return parent_ ? parent_->dma_dev() : *this; }

    uint64_t dma_mask() const { return *dma_mask_; }
    uint64_t coherent_dma_mask() const { return coherent_dma_mask_; }
    // Stores a mask without checks, as bus code does when it creates the device; drivers call
    // dma::set_mask / set_coherent_mask, which check dma_supported first.
    void store_dma_mask(uint64_t mask) { *dma_mask_ = mask; }
    void store_coherent_dma_mask(uint64_t mask) { coherent_dma_mask_ = mask; }

    // The highest bus address the interconnect lets the device reach (0: no limit).
    uint64_t bus_dma_limit() const { return bus_dma_limit_; }
    void set_bus_dma_limit(uint64_t limit) { bus_dma_limit_ = limit; }

    // Adds a dma-range; std::invalid_argument for an empty, wrapping or overlapping one.
    void add_dma_range(const DmaRange& range);
    const std::vector<DmaRange>& dma_ranges() const { return ranges_; }
    // Linux's phys_to_dma / dma_to_phys: identity without ranges; outside every range,
    // DMA_MAPPING_ERROR and invalid_phys_addr.
    dma_addr_t phys_to_dma(uint64_t pa) const;
    uint64_t dma_to_phys(dma_addr_t addr) const;

    // Linux's dma_parms: the longest scatter-gather segment the device takes and the boundary a
    // segment must not cross (dma_set_max_seg_size / dma_set_seg_boundary).
    static constexpr uint64_t default_max_segment_size = 64 * 1024;
    static constexpr uint64_t default_segment_boundary_mask = 0xffffffff;
    uint64_t max_segment_size() const { return dma_parms_->max_segment_size; }
    uint64_t segment_boundary_mask() const { return dma_parms_->segment_boundary_mask; }
    void set_max_segment_size(uint64_t size) { dma_parms_->max_segment_size = size; }
    void set_segment_boundary_mask(uint64_t mask) { dma_parms_->segment_boundary_mask = mask; }

    // What Linux's mfd_add_device does to a cell: its dma_mask and dma_parms pointers are the
    // parent's (`owner`'s), so a mask or parameter set through either device is both devices',
    // and its coherent mask starts as a copy of the owner's (a value, set apart from then on).
    // The owner outlives the device.
    void share_dma_mask(Device& owner);

    bool is_coherent() const { return coherent_; }
    void set_coherent(bool coherent) { coherent_ = coherent; }
    // Every streaming mapping goes through a bounce buffer (swiotlb=force).
    bool force_bounce() const { return force_bounce_; }
    void set_force_bounce(bool force) { force_bounce_ = force; }

    DmaOps& ops() const { return *ops_; }
    void set_ops(DmaOps& ops) { ops_ = &ops; }

    // The per-device coherent pool (Linux's dev->dma_mem), possibly shared with other devices
    // using the same reserved region; null without one. Set through declare_coherent_memory /
    // assign_coherent_memory (dma/coherent_memory.h).
    const std::shared_ptr<CoherentMemory>& dma_mem() const { return dma_mem_; }
    void set_dma_mem(std::shared_ptr<CoherentMemory> mem) { dma_mem_ = std::move(mem); }

    // The device's own CMA area (Linux's dev->cma_area, from a memory-region naming a reusable
    // shared-dma-pool): its allocations try it first, whatever their size; null without one.
    sw::CmaArea* cma_area() const { return cma_area_; }
    void set_cma_area(sw::CmaArea* area) { cma_area_ = area; }

    // What the firmware says of the device's IOMMU (Linux's dev->iommu->fwspec), kept by
    // dma_configure until the IOMMU's driver has probed and iommu_configure attaches the device.
    const std::optional<IommuFwspec>& iommu_fwspec() const { return iommu_fwspec_; }
    void set_iommu_fwspec(std::optional<IommuFwspec> fwspec) { iommu_fwspec_ = std::move(fwspec); }
    // The domain the device translates through (Linux's iommu_get_dma_domain); null on direct ops.
    IommuDomain* iommu_domain() const { return iommu_domain_; }
    void set_iommu_domain(IommuDomain* domain) { iommu_domain_ = domain; }
    // An untrusted device (Linux's dev->removable / pci_dev->untrusted: an external-facing port):
    // sub-page streaming buffers bounce through swiotlb, and its unmaps are always strict.
    bool untrusted() const { return untrusted_; }
    void set_untrusted(bool untrusted) { untrusted_ = untrusted; }
    // A PCI function (Linux's dev_is_pci): the IOMMU ops try IOVAs below 4 GiB first for it.
    bool is_pci() const { return pci_; }
    void set_pci(bool pci) { pci_ = pci; }
    // Bus addresses the device cannot use as IOVAs, reserved in its IOMMU domain when the domain's
    // IOVA space is set up (Linux's iova_reserve_pci_windows: for a PCI function, the host bridge's
    // outbound windows, which its peer-to-peer decoding claims, and the gaps around its dma-ranges,
    // where no inbound window leads).
    const std::vector<BusRange>& iova_reserved() const { return iova_reserved_; }
    void set_iova_reserved(std::vector<BusRange> ranges) { iova_reserved_ = std::move(ranges); }

private:
    std::string name_;
    Device* parent_ = nullptr;
    Context& context_;
    DmaOps* ops_;
    struct DmaParms {
        uint64_t max_segment_size = default_max_segment_size;
        uint64_t segment_boundary_mask = default_segment_boundary_mask;
    };
    uint64_t own_dma_mask_ = dma_bit_mask(32);
    uint64_t* dma_mask_ = &own_dma_mask_;  // Linux's dev->dma_mask: the owner's with share_dma_mask
    uint64_t coherent_dma_mask_ = dma_bit_mask(32);
    uint64_t bus_dma_limit_ = 0;
    std::vector<DmaRange> ranges_;
    DmaParms own_dma_parms_;
    DmaParms* dma_parms_ = &own_dma_parms_;
    bool coherent_ = false;
    bool force_bounce_ = false;
    std::shared_ptr<CoherentMemory> dma_mem_;
    sw::CmaArea* cma_area_ = nullptr;
    std::optional<IommuFwspec> iommu_fwspec_;
    IommuDomain* iommu_domain_ = nullptr;
    bool untrusted_ = false;
    bool pci_ = false;
    std::vector<BusRange> iova_reserved_;
};

// What bus code learns about a device's DMA from the firmware when it creates the device (Linux's
// of_dma_configure_id; for a PCI function, pci_dma_configure on its host bridge's node). The
// constructor's defaults let code that names only the first members stay as it is.
struct DmaConfig {
    DmaConfig(std::vector<DmaRange> ranges = {}, uint64_t bus_dma_limit = 0, uint64_t mask = dma_bit_mask(32),
              bool coherent = false, std::optional<IommuFwspec> iommu = std::nullopt, bool untrusted = false,
              std::vector<BusRange> iova_reserved = {}, bool pci = false)
        : ranges(std::move(ranges)), bus_dma_limit(bus_dma_limit), mask(mask), coherent(coherent),
          iommu(std::move(iommu)), untrusted(untrusted), iova_reserved(std::move(iova_reserved)), pci(pci) {}

    std::vector<DmaRange> ranges;         // empty: the device sees system addresses unchanged
    uint64_t bus_dma_limit;               // 0: no limit
    uint64_t mask;                        // the masks are cut to this
    bool coherent;                        // dma-coherent
    std::optional<IommuFwspec> iommu;     // iommus / iommu-map: the device translates through that IOMMU
    bool untrusted;                       // Device::untrusted
    std::vector<BusRange> iova_reserved;  // Device::iova_reserved (a PCI function's host bridge windows)
    bool pci;                             // a PCI function (Device::is_pci)
};
// Applies `config` to a device just created: its range map, masks, bus limit, coherence, trust,
// PCI-ness, reserved IOVA ranges and IOMMU fwspec (attached later by iommu_configure, once the
// IOMMU's driver has probed).
void dma_configure(Device& dev, const DmaConfig& config);

// Linux's min_not_zero(*dev->dma_mask, dev->bus_dma_limit) for a limit that may be unset.
uint64_t min_not_zero(uint64_t a, uint64_t b);
// Whether the device can reach [addr, addr+size) with its DMA mask and bus limit (Linux's
// dma_capable): false for DMA_MAPPING_ERROR, an empty or a wrapping range.
bool dma_capable(Device& dev, dma_addr_t addr, uint64_t size);

}  // namespace dma
