#include "sw/workloads/seed_per_device_ops.h"

#include "dma/cache_maintenance.h"
#include "dma/context.h"
#include "dma/mapping.h"
#include "models/cpu/core.h"
#include "sw/drivers/dma/bus_master.h"
#include "sw/kernel/kernel.h"

#include <fmt/format.h>
#include <set>
#include <stdexcept>
#include <vector>

namespace sw {

namespace {

using dma::dma_addr_t;
using dma::DmaDirection;

constexpr const char* workload_name = "seed-per-device-ops";
// The IOVA a driver that manages its own IOVA space picks (stale-iotlb): low in the aperture, where
// the DMA API's top-down allocator does not reach in a run of this size.
constexpr uint64_t driver_managed_iova = 0x10000000;
constexpr uint64_t page_size = 4096;

class PerDeviceOps {
public:
    explicit PerDeviceOps(WorkloadContext& context)
        : context_(context), cpu_(context.cpu), kernel_(context.kernel), size_(context.params.integer("size")),
          transfers_(context.params.integer("transfers")), fixed_(context.params.boolean("fixed")),
          iommu_index_(context.params.integer("iommu-device")), direct_index_(context.params.integer("direct-device")),
          stat_transfers_(context.instr.counter("workload.per_device_ops.transfers")),
          stat_device_errors_(context.instr.counter("workload.per_device_ops.device_errors")) {}

    void run() {
        const std::string& name = context_.params.text("case");
        if (name == "same-driver") {
            context_.summary.push_back(fmt::format(
                "{}: the same driver on two devices, {} transfers of {} bytes into one FROM_DEVICE mapping, {}",
                workload_name, transfers_, size_,
                fixed_ ? "synced for the CPU before each read" : "read without dma_sync_single_for_cpu"));
            context_.summary.push_back(fmt::format("  {:<22} {:<6} {:>12} {:>17} {:>22} {:>8} {:>12}", "device", "ops",
                                                   "DMA address", "sync maintenance", "map/unmap maintenance",
                                                   "bounces", "wrong bytes"));
            same_driver(iommu_index_, "iommu");
            same_driver(direct_index_, "direct");
        } else if (name == "stale-iotlb") {
            stale_iotlb();
        } else if (name == "lazy-unmap") {
            lazy_unmap();
        } else {
            past_mapping();
        }
    }

private:
    dma::Device& device(uint64_t index) { return *context_.devices[index]; }
    BusMaster& master(uint64_t index) { return *context_.bus_masters[index]; }

    // The device writes `data` at `addr`; false on a device error, which is counted and logged in
    // the summary (the IOMMU's fault is the expected outcome of some cases, not the end of the run).
    bool device_write(uint64_t index, dma_addr_t addr, const std::vector<uint8_t>& data) {
        ++stat_transfers_;
        if (master(index).write(addr, data.data(), data.size()) == 0)
            return true;
        ++stat_device_errors_;
        context_.summary.push_back(fmt::format("  {}: device error: {}", device(index).name(), master(index).error()));
        return false;
    }

    // Bytes at `va` (read by the CPU) that differ from `expected`, added to workload.data_errors.
    uint64_t count_wrong(uint64_t va, const std::vector<uint8_t>& expected) {
        std::vector<uint8_t> seen(expected.size());
        cpu_.read_block(va, seen.data(), seen.size());
        uint64_t wrong = 0;
        for (size_t i = 0; i < seen.size(); ++i)
            wrong += seen[i] != expected[i];
        context_.data_errors += wrong;
        return wrong;
    }

    uint64_t maintenance_ops() const {
        uint64_t total = 0;
        for (const char* op : {"dma.maint.clean", "dma.maint.invalidate", "dma.maint.flush"})
            total += context_.instr.counter_value(op);
        return total;
    }

    // `role` names the device's counters: workload.per_device_ops.<role>.sync_maintenance (cache
    // maintenance operations of the syncs: the buffer's), .map_maintenance (those of map and unmap:
    // the buffer's, and behind a non-coherent IOMMU walker its page tables' cleans), .bounces
    // (swiotlb maps), .wrong_bytes.
    void same_driver(uint64_t index, const std::string& role) {
        dma::Device& dev = device(index);
        uint64_t map_maintenance = maintenance_ops();
        uint64_t sync_maintenance = 0;
        uint64_t bounces_before = context_.instr.counter_value("swiotlb.maps");
        uint64_t errors_before = context_.data_errors;
        uint64_t buffer = kernel_.kmalloc().kmalloc(size_);
        dma_addr_t handle = dma::map_single(dev, buffer, size_, DmaDirection::from_device);
        if (dma::mapping_error(dev, handle))
            throw std::runtime_error(fmt::format("{}: {}: dma_map_single of {} bytes at {:#x} failed", workload_name,
                                                 dev.name(), size_, Kernel::virt_to_phys(buffer)));
        map_maintenance = maintenance_ops() - map_maintenance;
        for (uint64_t t = 0; t < transfers_; ++t) {
            cpu_.fill_block(buffer, 0, size_);  // the driver clears the buffer: its lines are now dirty
            uint64_t before = maintenance_ops();
            dma::sync_single_for_device(dev, handle, size_, DmaDirection::from_device);
            sync_maintenance += maintenance_ops() - before;
            std::vector<uint8_t> data = pattern_bytes(size_, t + 1 + index * transfers_);
            if (!device_write(index, handle, data))
                continue;
            if (fixed_) {
                before = maintenance_ops();
                dma::sync_single_for_cpu(dev, handle, size_, DmaDirection::from_device);
                sync_maintenance += maintenance_ops() - before;
            }
            count_wrong(buffer, data);
        }
        uint64_t before_unmap = maintenance_ops();
        dma::unmap_single(dev, handle, size_, DmaDirection::from_device);
        map_maintenance += maintenance_ops() - before_unmap;
        kernel_.kmalloc().kfree(buffer);
        std::string prefix = "workload.per_device_ops." + role;
        uint64_t& syncs = context_.instr.counter(prefix + ".sync_maintenance");
        uint64_t& maps = context_.instr.counter(prefix + ".map_maintenance");
        uint64_t& bounces = context_.instr.counter(prefix + ".bounces");
        uint64_t& wrong = context_.instr.counter(prefix + ".wrong_bytes");
        syncs = sync_maintenance;
        maps = map_maintenance;
        bounces = context_.instr.counter_value("swiotlb.maps") - bounces_before;
        wrong = context_.data_errors - errors_before;
        context_.summary.push_back(fmt::format("  {:<22} {:<6} {:>#12x} {:>17} {:>22} {:>8} {:>12}", dev.name(),
                                               dev.ops().name(), handle, syncs, maps, bounces, wrong));
    }

    // One page for the device, with its linear-map address.
    struct Page {
        uint64_t pa = 0;
        uint64_t va() const { return Kernel::phys_to_virt(pa); }
    };
    Page alloc_page() {
        std::optional<uint64_t> pa = kernel_.page_allocator().alloc_pages(0);
        if (!pa)
            throw std::runtime_error(fmt::format("{}: out of pages", workload_name));
        return Page{*pa};
    }

    dma::IommuDomain& domain_of(dma::Device& dev) {
        if (dma::IommuDomain* domain = dev.iommu_domain())
            return *domain;
        throw std::runtime_error(fmt::format("{}: device {} ({}) is not behind an IOMMU; run it on a platform where "
                                             "it is, e.g. arm-pci-iommu.dts",
                                             workload_name, context_.params.text("iommu-device"), dev.name()));
    }

    // The device writes `data` through the IOVA into whichever page the IOMMU gives it.
    void write_at_driver_iova(const Page& page, const std::vector<uint8_t>& data) {
        dma::CacheMaintenance& cache = context_.dma->cache();
        cache.for_device(page.pa, data.size(), DmaDirection::from_device);
        device_write(iommu_index_, driver_managed_iova, data);
        cache.for_cpu(page.pa, data.size(), DmaDirection::from_device);
    }

    // Linux's iommu_map of one page, read-write, at the driver's IOVA.
    void map_at_driver_iova(dma::IommuDomain& domain, const Page& page) {
        int prot = dma::iommu_prot::read | dma::iommu_prot::write;
        if (domain.map(driver_managed_iova, page.pa, page_size, prot, dma::Gfp::kernel) != 0)
            throw std::runtime_error(fmt::format("{}: iommu_map of IOVA {:#x} to PA {:#x} failed", workload_name,
                                                 driver_managed_iova, page.pa));
    }

    void stale_iotlb() {
        dma::Device& dev = device(iommu_index_);
        dma::IommuDomain& domain = domain_of(dev);
        Page old_page = alloc_page(), new_page = alloc_page();
        map_at_driver_iova(domain, old_page);
        write_at_driver_iova(old_page, pattern_bytes(page_size, 1));  // the IOTLB now holds the entry

        dma::IotlbGather gather;
        gather.queued = true;  // invalidation deferred, as in lazy mode
        domain.unmap(driver_managed_iova, page_size, gather);
        if (fixed_)
            domain.flush_iotlb_all();  // what the flush queue does before an IOVA is reused
        map_at_driver_iova(domain, new_page);
        std::vector<uint8_t> data = pattern_bytes(page_size, 2);
        write_at_driver_iova(new_page, data);
        uint64_t wrong = count_wrong(new_page.va(), data);
        context_.summary.push_back(
            fmt::format("{}: {} remapped IOVA {:#x} from PA {:#x} to {:#x} {}; the device's next write reached {}",
                        workload_name, dev.name(), driver_managed_iova, old_page.pa, new_page.pa,
                        fixed_ ? "after flushing the IOTLB" : "without invalidating the IOTLB",
                        wrong ? "the old page (a stale IOTLB entry)" : "the new page"));

        dma::IotlbGather final_gather;
        domain.unmap(driver_managed_iova, page_size, final_gather);
        domain.iotlb_sync(final_gather);
        kernel_.page_allocator().free_pages(old_page.pa, 0);
        kernel_.page_allocator().free_pages(new_page.pa, 0);
    }

    void lazy_unmap() {
        dma::Device& dev = device(iommu_index_);
        std::set<dma_addr_t> iovas;
        for (uint64_t t = 0; t < transfers_; ++t) {
            uint64_t buffer = kernel_.kmalloc().kmalloc(size_);
            dma_addr_t handle = dma::map_single(dev, buffer, size_, DmaDirection::from_device);
            if (dma::mapping_error(dev, handle))
                throw std::runtime_error(fmt::format("{}: {}: dma_map_single failed", workload_name, dev.name()));
            iovas.insert(handle);
            std::vector<uint8_t> data = pattern_bytes(size_, t + 1);
            bool done = device_write(iommu_index_, handle, data);
            dma::unmap_single(dev, handle, size_, DmaDirection::from_device);
            if (done)
                count_wrong(buffer, data);
            kernel_.kmalloc().kfree(buffer);
        }
        context_.summary.push_back(fmt::format("{}: {} map / DMA / unmap cycles of {} bytes on {} ({} unmaps): {} "
                                               "distinct IOVAs",
                                               workload_name, transfers_, size_, dev.name(),
                                               context_.dma->policy().iommu_strict ? "strict" : "lazy", iovas.size()));
    }

    void past_mapping() {
        dma::Device& dev = device(iommu_index_);
        domain_of(dev);
        Page page = alloc_page();
        dma_addr_t handle = dma::map_single(dev, page.va(), page_size, DmaDirection::from_device);
        if (dma::mapping_error(dev, handle))
            throw std::runtime_error(fmt::format("{}: {}: dma_map_single failed", workload_name, dev.name()));
        std::vector<uint8_t> data = pattern_bytes(2 * page_size, 3);
        bool done = device_write(iommu_index_, handle, data);
        dma::unmap_single(dev, handle, page_size, DmaDirection::from_device);
        std::vector<uint8_t> mapped_part(data.begin(), data.begin() + page_size);
        uint64_t wrong = count_wrong(page.va(), mapped_part);
        context_.summary.push_back(fmt::format(
            "{}: {} wrote {} bytes at IOVA {:#x}, mapped for {}: {}; the mapped page holds {} wrong bytes",
            workload_name, dev.name(), data.size(), handle, page_size,
            done ? "the device finished (nothing stopped it)" : "the IOMMU stopped it at the unmapped page", wrong));
        kernel_.page_allocator().free_pages(page.pa, 0);
    }

    WorkloadContext& context_;
    models::Core& cpu_;
    Kernel& kernel_;
    uint64_t size_;
    uint64_t transfers_;
    bool fixed_;
    uint64_t iommu_index_;
    uint64_t direct_index_;
    uint64_t& stat_transfers_;
    uint64_t& stat_device_errors_;
};

}  // namespace

Workload seed_per_device_ops_workload() {
    auto check_iommu = check_index_param(workload_name, "iommu-device", IndexOf::dma_device);
    auto check_direct = check_index_param(workload_name, "direct-device", IndexOf::dma_device);
    return Workload{
        workload_name,
        "seed 002: one DMA master behind the IOMMU and one on direct ops run the same driver; both need the same "
        "cache maintenance, only the direct one bounces; plus the IOMMU's own mistakes: a stale IOTLB entry after "
        "IOVA reuse, lazy unmaps through the flush queue, and DMA past a mapping stopped by a translation fault",
        {
            {"case",
             ParamType::choice,
             "same-driver",
             "what to run",
             {"same-driver", "stale-iotlb", "lazy-unmap", "past-mapping"}},
            {"fixed", ParamType::boolean, "true", "the driver does it right (false: the case's mistake)", {}},
            {"iommu-device", ParamType::integer, "0", "the bus master behind the IOMMU (index)", {}},
            {"direct-device", ParamType::integer, "1", "the bus master on direct ops (index)", {}},
            {"transfers", ParamType::integer, "4", "transfers per device", {}, 1, 1024},
            {"size", ParamType::size, "16K", "bytes per transfer", {}, 64, 1 << 20},
        },
        [](WorkloadContext& context) { PerDeviceOps(context).run(); },
        [check_iommu, check_direct](const WorkloadContext& context) {
            check_iommu(context);
            check_direct(context);
        },
    };
}

}  // namespace sw
