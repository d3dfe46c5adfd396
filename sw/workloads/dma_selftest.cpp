#include "sw/workloads/dma_selftest.h"

#include "dma/coherent_memory.h"
#include "dma/context.h"
#include "dma/debug.h"
#include "dma/dma_pool.h"
#include "dma/mapping.h"
#include "models/cpu/core.h"
#include "sw/drivers/dma/bus_master.h"
#include "sw/kernel/kernel.h"
#include "sw/kernel/page_allocator.h"

#include <algorithm>
#include <cerrno>
#include <fmt/format.h>
#include <functional>
#include <stdexcept>

namespace sw {

namespace {

using dma::dma_addr_t;
using dma::DmaDirection;

constexpr uint64_t page_size = models::Mmu::page_size;

// The bytes one side writes in one step: distinct per step (`salt`), so a stale copy never matches.
std::vector<uint8_t> pattern(uint64_t size, uint64_t salt) {
    std::vector<uint8_t> data(size);
    for (uint64_t i = 0; i < size; ++i)
        data[i] = static_cast<uint8_t>((i * 131 + salt * 29 + (i >> 8)) ^ 0x5a);
    return data;
}

// The program: a driver for the bus master, written as a Linux driver writer would, that checks
// every byte it hands over in either direction.
class SelfTest {
public:
    explicit SelfTest(WorkloadContext& context)
        : context_(context), cpu_(context.cpu), kernel_(context.kernel), size_(context.params.integer("size")),
          steps_(context.instr.counter("workload.selftest.steps")),
          step_failures_(context.instr.counter("workload.selftest.step_failures")),
          misuses_(context.instr.counter("workload.selftest.misuses")),
          ev_note_(context.instr.declare_event("workload.selftest", "what dma-selftest injects and the wrong data it "
                                                                    "sees")) {
        uint64_t index = context.params.integer("device");
        dev_ = context.devices[index];
        master_ = context.bus_masters[index];
    }

    // Every API family, used correctly: no hazard, no dma-debug report, no data error.
    void run_correct_sequence() {
        step("single_to_device", [&] { single_to_device(); });
        step("single_from_device", [&] { single_from_device(); });
        step("bidirectional_syncs", [&] { bidirectional_syncs(); });
        step("page_range_syncs", [&] { page_range_syncs(); });
        step("bidirectional_range_syncs", [&] { bidirectional_range_syncs(); });
        step("scatter_gather", [&] { scatter_gather(); });
        step("scatter_gather_syncs", [&] { scatter_gather_syncs(); });
        step("coherent", [&] { coherent(0, dma::Gfp::kernel); });
        step("write_combine", [&] { coherent(dma::attr::write_combine, dma::Gfp::kernel); });
        step("atomic", [&] { coherent(0, dma::Gfp::atomic); });
        step("force_contiguous", [&] { force_contiguous(); });
        step("no_kernel_mapping", [&] { no_kernel_mapping(); });
        step("non_consistent", [&] { cached_allocation(true); });
        step("noncoherent", [&] { cached_allocation(false); });
        step("pages", [&] { pages(); });
        step("dma_pool", [&] { pool(); });
        step("masks", [&] { masks(); });
    }

    using Misuse = std::pair<const char*, void (SelfTest::*)()>;
    // In dma-debug's order of checks, then the omissions only the coherence monitor sees.
    static const std::vector<Misuse>& misuses();

    void inject(const Misuse& misuse) {
        ++misuses_;
        note(fmt::format("injecting misuse {}", misuse.first));
        (this->*misuse.second)();
    }

private:
    // --- the two sides of every transfer ---
    void cpu_put(uint64_t va, const std::vector<uint8_t>& data) { cpu_.write_block(va, data.data(), data.size()); }
    void cpu_expect(uint64_t va, const std::vector<uint8_t>& expected, const char* what) {
        std::vector<uint8_t> seen(expected.size());
        cpu_.read_block(va, seen.data(), seen.size());
        count_errors(expected, seen, what, "CPU");
    }
    void device_put(dma_addr_t addr, const std::vector<uint8_t>& data) {
        require_transfer(master_->write(addr, data.data(), data.size()), *master_);
    }
    void device_expect(dma_addr_t addr, const std::vector<uint8_t>& expected, const char* what) {
        std::vector<uint8_t> seen(expected.size());
        require_transfer(master_->read(addr, seen.data(), seen.size()), *master_);
        count_errors(expected, seen, what, "device");
    }
    void count_errors(const std::vector<uint8_t>& expected, const std::vector<uint8_t>& seen, const char* what,
                      const char* side) {
        uint64_t errors = 0;
        for (size_t i = 0; i < expected.size(); ++i)
            errors += expected[i] != seen[i];
        if (errors)
            note(fmt::format("{}: the {} saw {} wrong bytes of {}", what, side, errors, expected.size()));
        context_.data_errors += errors;
    }

    void step(const char* name, const std::function<void()>& body) {
        ++steps_;
        uint64_t errors_before = context_.data_errors;
        body();
        if (context_.data_errors != errors_before) {
            ++step_failures_;
            note(fmt::format("step {} failed: {} wrong bytes", name, context_.data_errors - errors_before));
        }
    }
    void note(const std::string& text) {
        context_.instr.emit(ev_note_, models::Event{cpu_.now_ps(), nullptr, "dma-selftest", {{"message", text}}});
    }

    // An API result other than the one Linux's semantics give fails the step.
    void expect(bool ok, const std::string& what) {
        if (ok)
            return;
        ++step_failures_;
        note(what);
    }

    // A mapping that failed ends the step: a driver would bail out.
    bool mapped(dma_addr_t addr, const char* what) {
        if (!dma::mapping_error(*dev_, addr))
            return true;
        ++step_failures_;
        note(fmt::format("{}: mapping failed", what));
        return false;
    }

    uint64_t kmalloc(uint64_t size) {
        uint64_t va = kernel_.kmalloc().kmalloc(size);
        if (!va)
            throw std::runtime_error(fmt::format("dma-selftest: kmalloc({}) failed", size));
        return va;
    }
    void kfree(uint64_t va) { kernel_.kmalloc().kfree(va); }

    // --- the correct sequence ---
    void single_to_device() {
        uint64_t buf = kmalloc(size_);
        std::vector<uint8_t> data = pattern(size_, 1);
        cpu_put(buf, data);
        dma_addr_t addr = dma::map_single(*dev_, buf, size_, DmaDirection::to_device);
        if (mapped(addr, "single_to_device")) {
            device_expect(addr, data, "single_to_device");
            dma::unmap_single(*dev_, addr, size_, DmaDirection::to_device);
        }
        kfree(buf);
    }

    void single_from_device() {
        uint64_t buf = kmalloc(size_);
        std::vector<uint8_t> data = pattern(size_, 2);
        dma_addr_t addr = dma::map_single(*dev_, buf, size_, DmaDirection::from_device);
        if (mapped(addr, "single_from_device")) {
            device_put(addr, data);
            dma::unmap_single(*dev_, addr, size_, DmaDirection::from_device);
            cpu_expect(buf, data, "single_from_device");
        }
        kfree(buf);
    }

    // Ownership passes back and forth without unmapping.
    void bidirectional_syncs() {
        uint64_t buf = kmalloc(size_);
        cpu_put(buf, pattern(size_, 3));
        dma_addr_t addr = dma::map_single(*dev_, buf, size_, DmaDirection::bidirectional);
        if (mapped(addr, "bidirectional_syncs")) {
            device_expect(addr, pattern(size_, 3), "bidirectional_syncs: to the device");
            device_put(addr, pattern(size_, 4));
            dma::sync_single_for_cpu(*dev_, addr, size_, DmaDirection::bidirectional);
            cpu_expect(buf, pattern(size_, 4), "bidirectional_syncs: from the device");
            cpu_put(buf, pattern(size_, 5));
            dma::sync_single_for_device(*dev_, addr, size_, DmaDirection::bidirectional);
            device_expect(addr, pattern(size_, 5), "bidirectional_syncs: to the device again");
            dma::unmap_single(*dev_, addr, size_, DmaDirection::bidirectional);
        }
        kfree(buf);
    }

    // map_page at an offset; partial syncs of one part of the mapping.
    void page_range_syncs() {
        uint64_t pa = kernel_.alloc_contiguous(page_size);
        uint64_t offset = 256, length = 1024, part = 512, part_length = 256;
        dma_addr_t addr = dma::map_page(*dev_, pa, offset, length, DmaDirection::from_device);
        if (mapped(addr, "page_range_syncs")) {
            std::vector<uint8_t> data = pattern(part_length, 6);
            device_put(addr + part, data);
            dma::sync_single_range_for_cpu(*dev_, addr, part, part_length, DmaDirection::from_device);
            cpu_expect(Kernel::phys_to_virt(pa + offset + part), data, "page_range_syncs");
            dma::sync_single_range_for_device(*dev_, addr, part, part_length, DmaDirection::from_device);
            dma::unmap_page(*dev_, addr, length, DmaDirection::from_device);
        }
        kernel_.free_contiguous(pa, page_size);
    }

    // Ownership of parts of one bidirectional mapping passes back and forth, a range at a time.
    void bidirectional_range_syncs() {
        uint64_t buf = kmalloc(size_);
        uint64_t half = size_ / 2;
        dma_addr_t addr = dma::map_single(*dev_, buf, size_, DmaDirection::bidirectional);
        if (mapped(addr, "bidirectional_range_syncs")) {
            device_put(addr + half, pattern(half, 13));
            dma::sync_single_range_for_cpu(*dev_, addr, half, half, DmaDirection::bidirectional);
            cpu_expect(buf + half, pattern(half, 13), "bidirectional_range_syncs: from the device");
            cpu_put(buf, pattern(half, 14));
            dma::sync_single_range_for_device(*dev_, addr, 0, half, DmaDirection::bidirectional);
            device_expect(addr, pattern(half, 14), "bidirectional_range_syncs: to the device");
            dma::unmap_single(*dev_, addr, size_, DmaDirection::bidirectional);
        }
        kfree(buf);
    }

    // Four pages mapped as one list; the device reads each segment and writes it anew.
    void scatter_gather() {
        std::vector<dma::Scatterlist> sgl = make_sg_list(4, 7);
        int count = dma::map_sg(*dev_, sgl, static_cast<int>(sgl.size()), DmaDirection::bidirectional);
        if (count == 0) {
            ++step_failures_;
        } else {
            for (int i = 0; i < count; ++i) {
                device_expect(sgl[i].dma_address, pattern(sgl[i].dma_length, 7 + i), "scatter_gather: to the device");
                device_put(sgl[i].dma_address, pattern(sgl[i].dma_length, 20 + i));
            }
            dma::unmap_sg(*dev_, sgl, static_cast<int>(sgl.size()), DmaDirection::bidirectional);
            for (size_t i = 0; i < sgl.size(); ++i)
                cpu_expect(Kernel::phys_to_virt(sgl[i].pa + sgl[i].offset), pattern(sgl[i].length, 20 + i),
                           "scatter_gather: from the device");
        }
        free_sg_list(sgl);
    }

    // One mapping of a list for several transfers: sync_sg_* with the count given to map_sg.
    void scatter_gather_syncs() {
        std::vector<dma::Scatterlist> sgl = make_sg_list(3, 15);
        int nents = static_cast<int>(sgl.size());
        int count = dma::map_sg(*dev_, sgl, nents, DmaDirection::bidirectional);
        if (count == 0) {
            ++step_failures_;
        } else {
            for (int i = 0; i < count; ++i)
                device_put(sgl[i].dma_address, pattern(sgl[i].dma_length, 16 + i));
            dma::sync_sg_for_cpu(*dev_, sgl, nents, DmaDirection::bidirectional);
            for (size_t i = 0; i < sgl.size(); ++i) {
                uint64_t va = Kernel::phys_to_virt(sgl[i].pa + sgl[i].offset);
                cpu_expect(va, pattern(sgl[i].length, 16 + i), "scatter_gather_syncs: from the device");
                cpu_put(va, pattern(sgl[i].length, 24 + i));
            }
            dma::sync_sg_for_device(*dev_, sgl, nents, DmaDirection::bidirectional);
            for (int i = 0; i < count; ++i)
                device_expect(sgl[i].dma_address, pattern(sgl[i].dma_length, 24 + i),
                              "scatter_gather_syncs: to the device");
            dma::unmap_sg(*dev_, sgl, nents, DmaDirection::bidirectional);
        }
        free_sg_list(sgl);
    }

    std::vector<dma::Scatterlist> make_sg_list(size_t entries, uint64_t salt) {
        std::vector<dma::Scatterlist> sgl(entries);
        for (size_t i = 0; i < entries; ++i) {
            sgl[i].pa = kernel_.alloc_contiguous(page_size);
            sgl[i].offset = 64 * i;
            sgl[i].length = page_size - 64 * i;
            cpu_put(Kernel::phys_to_virt(sgl[i].pa + sgl[i].offset), pattern(sgl[i].length, salt + i));
        }
        return sgl;
    }
    void free_sg_list(const std::vector<dma::Scatterlist>& sgl) {
        for (const dma::Scatterlist& sg : sgl)
            kernel_.free_contiguous(sg.pa, page_size);
    }

    // The device's own coherent pool, which answers every alloc_attrs (null without one).
    dma::CoherentMemory* own_pool() const { return dev_->dma_dev().dma_mem().get(); }

    // Coherent memory needs no syncs; write-combined stores need a barrier before the device looks.
    // `bytes` (default: the size parameter) across pages checks that the CPU's view and the
    // device's bus addresses cover the same contiguous memory. `while_allocated` looks at the
    // allocation (CPU address, handle, size) before it is freed.
    using AllocationCheck = std::function<void(uint64_t, dma_addr_t, uint64_t)>;
    void coherent(dma::Attrs attrs, dma::Gfp gfp, uint64_t bytes = 0, const AllocationCheck& while_allocated = {}) {
        uint64_t size = bytes ? bytes : size_;
        dma_addr_t handle = 0;
        uint64_t cpu_addr = dma::alloc_attrs(*dev_, size, handle, attrs, gfp);
        if (!cpu_addr) {
            ++step_failures_;
            return;
        }
        cpu_expect(cpu_addr, std::vector<uint8_t>(size, 0), "coherent: zeroed");
        cpu_put(cpu_addr, pattern(size, 8));
        cpu_.dsb();  // wmb(): drains write-combined stores
        device_expect(handle, pattern(size, 8), "coherent: to the device");
        device_put(handle, pattern(size, 9));
        cpu_expect(cpu_addr, pattern(size, 9), "coherent: from the device");
        if (while_allocated)
            while_allocated(cpu_addr, handle, size);
        dma::free_attrs(*dev_, size, cpu_addr, handle, attrs);
    }

    // Four pages, physically contiguous behind the CPU's mapping, from the device's CMA area (its
    // own, else the default one) whose pages in use rise by them while they are allocated; a
    // device with its own pool takes them from the pool. Without an area the device's coherent
    // reach covers, from the page allocator (Linux's fallback).
    void force_contiguous() {
        dma::CoherentMemory* pool = own_pool();
        dma::Device& target = dev_->dma_dev();
        sw::CmaArea* area = target.cma_area() ? target.cma_area() : kernel_.page_allocator().default_cma();
        if (area) {
            dma_addr_t first = target.phys_to_dma(area->base());
            dma_addr_t last = target.phys_to_dma(area->base() + area->size() - 1);
            uint64_t reach = dma::min_not_zero(target.coherent_dma_mask(), target.bus_dma_limit());
            if (first == dma::DMA_MAPPING_ERROR || last == dma::DMA_MAPPING_ERROR || last > reach)
                area = nullptr;
        }
        uint64_t cma_used = area ? area->used_pages() : 0;
        coherent(dma::attr::force_contiguous, dma::Gfp::kernel, 4 * page_size,
                 [&](uint64_t cpu_addr, dma_addr_t, uint64_t size) {
                     models::Translation first, last;
                     bool mapped = cpu_.mmu().translate(cpu_addr, first) &&
                                   cpu_.mmu().translate(cpu_addr + size - 1, last);
                     expect(mapped && last.pa == first.pa + size - 1,
                            fmt::format("force_contiguous: {:#x}+{} is not physically contiguous", cpu_addr, size));
                     if (pool) {
                         expect(pool->contains(cpu_addr), fmt::format("force_contiguous: {:#x} is not from the "
                                                                      "device's coherent pool",
                                                                      cpu_addr));
                     } else if (area) {
                         expect(area->contains(first.pa) && area->contains(last.pa),
                                fmt::format("force_contiguous: PA {:#x}+{} is not in the CMA area {}", first.pa, size,
                                            area->name()));
                         expect(area->used_pages() == cma_used + size / page_size,
                                fmt::format("force_contiguous: the CMA area {} has {} pages in use, not {}",
                                            area->name(), area->used_pages(), cma_used + size / page_size));
                     }
                 });
        if (area)
            expect(area->used_pages() == cma_used,
                   fmt::format("force_contiguous: the CMA area {} kept {} pages after the free", area->name(),
                               area->used_pages() - cma_used));
    }

    // A buffer only the device touches: the CPU address is a cookie the driver never dereferences.
    // Without a per-device pool (which answers with its own mapping) the cookie is the linear
    // address of the very pages the device was given, whose linear alias keeps its cacheable type
    // (no uncached remap, no retyping); the device's data survives a round trip through the handle.
    void no_kernel_mapping() {
        dma_addr_t handle = 0;
        uint64_t cookie = dma::alloc_attrs(*dev_, size_, handle, dma::attr::no_kernel_mapping);
        if (!cookie) {
            ++step_failures_;
            return;
        }
        if (dma::CoherentMemory* pool = own_pool()) {
            expect(pool->contains(cookie),
                   fmt::format("no_kernel_mapping: {:#x} is not from the device's coherent pool", cookie));
        } else {
            expect(kernel_.virt_addr_valid(cookie),
                   fmt::format("no_kernel_mapping: the cookie {:#x} is not a linear-map address", cookie));
            uint64_t pa = Kernel::virt_to_phys(cookie);
            // Behind an IOMMU the handle is an IOVA its tables map to the pages (iommu_iova_to_phys).
            dma::IommuDomain* domain = dev_->dma_dev().iommu_domain();
            expect(domain ? domain->iova_to_phys(handle) == pa : dev_->dma_dev().phys_to_dma(pa) == handle,
                   fmt::format("no_kernel_mapping: the cookie's pages (PA {:#x}) are not the handle's {:#x}", pa,
                               handle));
            models::MemType type = models::MemType::device;
            expect(cpu_.mmu().linear_type(pa, type) && type == models::MemType::normal_wb,
                   fmt::format("no_kernel_mapping: the linear alias of PA {:#x} was remapped", pa));
        }
        device_put(handle, pattern(size_, 17));
        device_expect(handle, pattern(size_, 17), "no_kernel_mapping: the device's data");
        dma::free_attrs(*dev_, size_, cookie, handle, dma::attr::no_kernel_mapping);
    }

    // Cacheable memory the driver syncs itself: alloc_attrs(NON_CONSISTENT), the 3.4-era way, or
    // alloc_noncoherent. NON_CONSISTENT lets the platform give consistent memory instead, as a
    // device with its own pool does (Linux's dma_alloc_attrs asks the pool first): the driver then
    // leaves the syncs out, which would maintain the caches through a linear alias a no-map pool
    // does not have.
    void cached_allocation(bool non_consistent) {
        const char* what = non_consistent ? "non_consistent" : "noncoherent";
        dma_addr_t handle = 0;
        uint64_t cpu_addr = non_consistent ? dma::alloc_attrs(*dev_, size_, handle, dma::attr::non_consistent)
                                           : dma::alloc_noncoherent(*dev_, size_, handle, DmaDirection::bidirectional);
        if (!cpu_addr) {
            ++step_failures_;
            return;
        }
        dma::CoherentMemory* pool = non_consistent ? own_pool() : nullptr;
        if (pool)
            expect(pool->contains(cpu_addr),
                   fmt::format("non_consistent: {:#x} is not from the device's coherent pool", cpu_addr));
        cpu_put(cpu_addr, pattern(size_, 10));
        if (pool)
            cpu_.dsb();  // wmb(): drains the pool's write-combined stores
        else
            dma::sync_single_for_device(*dev_, handle, size_, DmaDirection::bidirectional);
        device_expect(handle, pattern(size_, 10), fmt::format("{}: to the device", what).c_str());
        device_put(handle, pattern(size_, 11));
        if (!pool)
            dma::sync_single_for_cpu(*dev_, handle, size_, DmaDirection::bidirectional);
        cpu_expect(cpu_addr, pattern(size_, 11), fmt::format("{}: from the device", what).c_str());
        if (non_consistent)
            dma::free_attrs(*dev_, size_, cpu_addr, handle, dma::attr::non_consistent);
        else
            dma::free_noncoherent(*dev_, size_, cpu_addr, handle, DmaDirection::bidirectional);
    }

    void pages() {
        dma_addr_t handle = 0;
        uint64_t pa = dma::alloc_pages(*dev_, size_, handle, DmaDirection::from_device);
        if (!pa) {
            ++step_failures_;
            return;
        }
        device_put(handle, pattern(size_, 12));
        dma::sync_single_for_cpu(*dev_, handle, size_, DmaDirection::from_device);
        cpu_expect(Kernel::phys_to_virt(pa), pattern(size_, 12), "pages: from the device");
        dma::free_pages(*dev_, size_, pa, handle, DmaDirection::from_device);
    }

    // Small descriptor-like blocks: aligned, never across the boundary, in coherent memory.
    void pool() {
        std::unique_ptr<dma::DmaPool> pool = dma::dma_pool_create("selftest", *dev_, 96, 64, 1024);
        if (!pool) {
            ++step_failures_;
            return;
        }
        std::vector<std::pair<uint64_t, dma_addr_t>> blocks;
        for (uint64_t i = 0; i < 16; ++i) {
            dma_addr_t handle = 0;
            uint64_t vaddr = dma::dma_pool_zalloc(*pool, dma::Gfp::kernel, handle);
            if (!vaddr) {
                ++step_failures_;
                break;
            }
            device_put(handle, pattern(96, 30 + i));
            blocks.emplace_back(vaddr, handle);
        }
        for (size_t i = 0; i < blocks.size(); ++i) {
            cpu_expect(blocks[i].first, pattern(96, 30 + i), "dma_pool: from the device");
            dma::dma_pool_free(*pool, blocks[i].first, blocks[i].second);
        }
        dma::dma_pool_destroy(std::move(pool));
    }

    // A driver's probe-time mask negotiation, then the queries; the device's masks are restored.
    // Behind an IOMMU a mask bounds IOVAs, not the RAM the device reaches: Linux's dma_supported
    // takes any mask for the IOMMU's ops, and dma_capable (dma-direct's) does not apply.
    void masks() {
        uint64_t dma_mask = dev_->dma_dev().dma_mask(), coherent_mask = dev_->dma_dev().coherent_dma_mask();
        bool iommu = dev_->dma_dev().iommu_domain() != nullptr;
        uint64_t required = dma::get_required_mask(*dev_);
        uint64_t last_ram = dev_->dma_dev().phys_to_dma(context_.dma->max_ram_pa());
        expect(dma::set_mask(*dev_, required) == 0, fmt::format("masks: set_mask({:#x}) refused", required));
        // A device whose dma-ranges stop short of the end of RAM cannot address its last byte at all.
        if (last_ram != dma::DMA_MAPPING_ERROR && !iommu)
            expect(dma::dma_capable(*dev_, last_ram, 1),
                   fmt::format("masks: the last RAM byte ({:#x}) is not dma_capable under the required mask",
                               last_ram));
        expect(dma::set_coherent_mask(*dev_, required) == 0,
               fmt::format("masks: set_coherent_mask({:#x}) refused", required));
        expect(dma::set_mask_and_coherent(*dev_, dma::dma_bit_mask(64)) == 0, "masks: a 64-bit mask refused");
        // No platform's RAM fits in 64 KiB: such a mask is refused and leaves the mask alone (direct
        // ops); the IOMMU's ops take it.
        if (iommu) {
            expect(dma::set_mask(*dev_, dma::dma_bit_mask(16)) == 0, "masks: a 16-bit mask refused behind an IOMMU");
            expect(dma::set_mask(*dev_, dma::dma_bit_mask(64)) == 0, "masks: a 64-bit mask refused");
        } else {
            expect(dma::set_mask(*dev_, dma::dma_bit_mask(16)) == -EIO, "masks: a 16-bit mask accepted");
        }
        expect(dev_->dma_dev().dma_mask() == dma::dma_bit_mask(64), "masks: a refused mask changed the mask");
        expect(dma::max_mapping_size(*dev_) >= size_,
               fmt::format("masks: max_mapping_size {} below the buffer size", dma::max_mapping_size(*dev_)));
        uint64_t buf = kmalloc(size_);
        dma_addr_t addr = dma::map_single(*dev_, buf, size_, DmaDirection::to_device);
        if (mapped(addr, "masks")) {
            expect(dma::dma_capable(*dev_, addr, size_), "masks: a mapping's bus address is not dma_capable");
            dma::unmap_single(*dev_, addr, size_, DmaDirection::to_device);
        }
        kfree(buf);
        dev_->dma_dev().store_dma_mask(dma_mask);  // as the device had them (bus code's values)
        dev_->dma_dev().store_coherent_dma_mask(coherent_mask);
    }

    // --- misuses: each does one thing wrong, and otherwise cleans up after itself ---

    // A mapped, error-checked kmalloc buffer for a misuse to abuse.
    struct Mapping {
        uint64_t va = 0;
        dma_addr_t addr = dma::DMA_MAPPING_ERROR;
    };
    Mapping map_checked(uint64_t size, DmaDirection dir) {
        Mapping mapping{kmalloc(size), dma::DMA_MAPPING_ERROR};
        cpu_put(mapping.va, pattern(size, 40));
        mapping.addr = dma::map_single(*dev_, mapping.va, size, dir);
        if (dma::mapping_error(*dev_, mapping.addr))
            throw std::runtime_error(fmt::format("dma-selftest: map_single of {:#x}+{} failed", mapping.va, size));
        return mapping;
    }
    void unmap_and_free(const Mapping& mapping, uint64_t size, DmaDirection dir) {
        dma::unmap_single(*dev_, mapping.addr, size, dir);
        kfree(mapping.va);
    }

    void free_invalid_address() {
        Mapping mapping = map_checked(size_, DmaDirection::to_device);
        dma::unmap_single(*dev_, dma::DMA_MAPPING_ERROR, size_, DmaDirection::to_device);
        unmap_and_free(mapping, size_, DmaDirection::to_device);
    }
    void free_unallocated() {
        uint64_t never_mapped = kmalloc(size_);
        dma::unmap_single(*dev_, dev_->phys_to_dma(Kernel::virt_to_phys(never_mapped)), size_, DmaDirection::to_device);
        kfree(never_mapped);
    }
    void free_different_size() {
        Mapping mapping = map_checked(size_, DmaDirection::to_device);
        unmap_and_free(mapping, size_ / 2, DmaDirection::to_device);
    }
    void free_wrong_function() {
        std::vector<dma::Scatterlist> sgl = make_sg_list(1, 41);
        if (dma::map_sg(*dev_, sgl, 1, DmaDirection::to_device) == 1)
            dma::unmap_single(*dev_, sgl[0].dma_address, sgl[0].dma_length, DmaDirection::to_device);
        free_sg_list(sgl);
    }
    void free_different_cpu_address() {
        dma_addr_t handle = 0;
        uint64_t cpu_addr = dma::alloc_coherent(*dev_, size_, handle);
        if (cpu_addr)
            dma::free_coherent(*dev_, size_, cpu_addr + 64, handle);
    }
    // Unmapping one entry of two: the entry it unmaps is reported, the other one leaks.
    void free_different_sg_count() {
        std::vector<dma::Scatterlist> sgl = make_sg_list(2, 42);
        if (dma::map_sg(*dev_, sgl, 2, DmaDirection::to_device))
            dma::unmap_sg(*dev_, sgl, 1, DmaDirection::to_device);
        free_sg_list(sgl);
    }
    void free_different_direction() {
        Mapping mapping = map_checked(size_, DmaDirection::to_device);
        unmap_and_free(mapping, size_, DmaDirection::from_device);
    }
    void map_error_not_checked() {
        uint64_t buf = kmalloc(size_);
        dma_addr_t addr = dma::map_single(*dev_, buf, size_, DmaDirection::to_device);
        dma::unmap_single(*dev_, addr, size_, DmaDirection::to_device);
        kfree(buf);
    }
    void map_from_area(uint64_t va, uint64_t size) {
        dma_addr_t addr = dma::map_single(*dev_, va, size, DmaDirection::to_device);
        if (!dma::mapping_error(*dev_, addr))
            dma::unmap_single(*dev_, addr, size, DmaDirection::to_device);
    }
    void map_from_stack() { map_from_area(kernel_.stack().start + 512, 256); }
    void map_from_text_or_rodata() { map_from_area(kernel_.rodata().start, 256); }
    void map_from_invalid_area() {
        map_from_area(Kernel::phys_to_virt(context_.kernel.ram().front().base) - page_size, 256);
    }
    void map_from_vmalloc() {
        uint64_t pa = kernel_.alloc_contiguous(page_size);
        uint64_t va = kernel_.vmap({pa});
        map_from_area(va, 256);
        kernel_.vunmap(va);
        kernel_.free_contiguous(pa, page_size);
    }
    void sync_unallocated() {
        uint64_t never_mapped = kmalloc(size_);
        dma::sync_single_for_cpu(*dev_, dev_->phys_to_dma(Kernel::virt_to_phys(never_mapped)), size_,
                                 DmaDirection::from_device);
        kfree(never_mapped);
    }
    void sync_outside_range() {
        Mapping mapping = map_checked(size_, DmaDirection::to_device);
        dma::sync_single_for_device(*dev_, mapping.addr, size_ + 64, DmaDirection::to_device);
        unmap_and_free(mapping, size_, DmaDirection::to_device);
    }
    void sync_different_direction() {
        Mapping mapping = map_checked(size_, DmaDirection::to_device);
        dma::sync_single_for_device(*dev_, mapping.addr, size_, DmaDirection::from_device);
        unmap_and_free(mapping, size_, DmaDirection::to_device);
    }
    void sync_device_read_only_for_cpu() {
        Mapping mapping = map_checked(size_, DmaDirection::to_device);
        dma::sync_single_for_cpu(*dev_, mapping.addr, size_, DmaDirection::from_device);
        unmap_and_free(mapping, size_, DmaDirection::to_device);
    }
    void sync_device_write_only_for_device() {
        Mapping mapping = map_checked(size_, DmaDirection::from_device);
        dma::sync_single_for_device(*dev_, mapping.addr, size_, DmaDirection::to_device);
        unmap_and_free(mapping, size_, DmaDirection::from_device);
    }
    void sync_different_sg_count() {
        std::vector<dma::Scatterlist> sgl = make_sg_list(2, 43);
        if (dma::map_sg(*dev_, sgl, 2, DmaDirection::to_device)) {
            dma::sync_sg_for_device(*dev_, sgl, 1, DmaDirection::to_device);
            dma::unmap_sg(*dev_, sgl, 2, DmaDirection::to_device);
        }
        free_sg_list(sgl);
    }
    // The driver told the layer its device takes segments of at most 1 KiB, then maps 2 KiB.
    void sg_segment_too_long() {
        uint64_t saved = dev_->max_segment_size();
        dev_->set_max_segment_size(1024);
        std::vector<dma::Scatterlist> sgl = make_sg_list(1, 44);
        sgl[0].length = 2048;
        if (dma::map_sg(*dev_, sgl, 1, DmaDirection::to_device))
            dma::unmap_sg(*dev_, sgl, 1, DmaDirection::to_device);
        free_sg_list(sgl);
        dev_->set_max_segment_size(saved);
    }
    // Segments must not cross a 4 KiB boundary; this one crosses from one page into the next.
    void sg_segment_across_boundary() {
        uint64_t saved = dev_->segment_boundary_mask();
        dev_->set_segment_boundary_mask(page_size - 1);
        uint64_t pa = kernel_.alloc_contiguous(2 * page_size);
        std::vector<dma::Scatterlist> sgl{dma::Scatterlist{pa, page_size - 512, 1024}};
        if (dma::map_sg(*dev_, sgl, 1, DmaDirection::to_device))
            dma::unmap_sg(*dev_, sgl, 1, DmaDirection::to_device);
        kernel_.free_contiguous(pa, 2 * page_size);
        dev_->set_segment_boundary_mask(saved);
    }
    // kmalloc'd half-line objects until the last two share a cache line (as small objects do
    // without a minimum-alignment policy); the caller kfrees them all.
    std::vector<uint64_t> half_line_objects_sharing_a_line() {
        uint64_t line = cpu_.l1d().line_size();
        std::vector<uint64_t> objects{kmalloc(line / 2)};
        do
            objects.push_back(kmalloc(line / 2));
        while (Kernel::virt_to_phys(objects.back()) / line !=
                   Kernel::virt_to_phys(objects[objects.size() - 2]) / line &&
               objects.size() < 64);
        if (objects.size() == 64)
            throw std::runtime_error(fmt::format("dma-selftest: no two kmalloc({}) objects share a cache line (kmalloc "
                                                 "minimum alignment {})",
                                                 line / 2, kernel_.kmalloc().min_align()));
        return objects;
    }

    // Two small buffers in one cache line, both mapped for the device to write.
    void overlapping_cacheline() {
        uint64_t line = cpu_.l1d().line_size();
        std::vector<uint64_t> objects = half_line_objects_sharing_a_line();
        uint64_t first = objects[objects.size() - 2], second = objects.back();
        dma_addr_t a = dma::map_single(*dev_, first, line / 2, DmaDirection::from_device);
        dma_addr_t b = dma::map_single(*dev_, second, line / 2, DmaDirection::from_device);
        for (dma_addr_t addr : {a, b})
            if (!dma::mapping_error(*dev_, addr))
                dma::unmap_single(*dev_, addr, line / 2, DmaDirection::from_device);
        for (uint64_t object : objects)
            kfree(object);
    }
    // The same buffer mapped again and again without unmapping: the tracking gives up after 7.
    void overlapping_cacheline_overflow() {
        uint64_t buf = kmalloc(size_);
        std::vector<dma_addr_t> addrs;
        for (int i = 0; i < 9; ++i) {
            dma_addr_t addr = dma::map_single(*dev_, buf, size_, DmaDirection::from_device, dma::attr::skip_cpu_sync);
            if (!dma::mapping_error(*dev_, addr))
                addrs.push_back(addr);
        }
        for (dma_addr_t addr : addrs)
            dma::unmap_single(*dev_, addr, size_, DmaDirection::from_device, dma::attr::skip_cpu_sync);
        kfree(buf);
    }
    void leaked_at_driver_removal() {
        Mapping mapping = map_checked(size_, DmaDirection::to_device);
        context_.dma->debug().check_leaks(*dev_);  // the driver's remove() forgot this mapping
        unmap_and_free(mapping, size_, DmaDirection::to_device);
    }
    void leaked_at_exit() { map_checked(size_, DmaDirection::to_device); }

    // A FROM_DEVICE buffer sharing its cache line with a field the CPU has just written: the
    // `invalidate` map policy (ARMv7, 2011) discards the field's dirty line, `clean` keeps it.
    void shared_cacheline() {
        uint64_t line = cpu_.l1d().line_size();
        std::vector<uint64_t> objects = half_line_objects_sharing_a_line();
        uint64_t field = objects[objects.size() - 2], buffer = objects.back();
        cpu_put(field, pattern(line / 2, 47));
        dma_addr_t addr = dma::map_single(*dev_, buffer, line / 2, DmaDirection::from_device);
        if (mapped(addr, "shared_cacheline")) {
            device_put(addr, pattern(line / 2, 48));
            dma::unmap_single(*dev_, addr, line / 2, DmaDirection::from_device);
            cpu_expect(buffer, pattern(line / 2, 48), "shared_cacheline: the device's buffer");
            cpu_expect(field, pattern(line / 2, 47), "shared_cacheline: the CPU's field beside it");
        }
        for (uint64_t object : objects)
            kfree(object);
    }

    // Omissions only the coherence monitor sees: the data is wrong, dma-debug has nothing to say.
    void skip_sync_for_cpu() {
        Mapping mapping = map_checked(size_, DmaDirection::bidirectional);
        device_put(mapping.addr, pattern(size_, 45));
        cpu_expect(mapping.va, pattern(size_, 45), "skip_sync_for_cpu");  // no sync_single_for_cpu first
        unmap_and_free(mapping, size_, DmaDirection::bidirectional);
    }
    void skip_sync_for_device() {
        Mapping mapping = map_checked(size_, DmaDirection::bidirectional);
        dma::sync_single_for_cpu(*dev_, mapping.addr, size_, DmaDirection::bidirectional);
        cpu_put(mapping.va, pattern(size_, 46));
        device_expect(mapping.addr, pattern(size_, 46), "skip_sync_for_device");  // no sync_single_for_device
        unmap_and_free(mapping, size_, DmaDirection::bidirectional);
    }

    WorkloadContext& context_;
    models::Core& cpu_;
    Kernel& kernel_;
    uint64_t size_;
    dma::Device* dev_ = nullptr;
    BusMaster* master_ = nullptr;
    uint64_t& steps_;
    uint64_t& step_failures_;
    uint64_t& misuses_;
    models::EventKind ev_note_;
};

const std::vector<SelfTest::Misuse>& SelfTest::misuses() {
    static const std::vector<Misuse> table = {
        {"free_invalid_address", &SelfTest::free_invalid_address},
        {"free_unallocated", &SelfTest::free_unallocated},
        {"free_different_size", &SelfTest::free_different_size},
        {"free_wrong_function", &SelfTest::free_wrong_function},
        {"free_different_cpu_address", &SelfTest::free_different_cpu_address},
        {"free_different_sg_count", &SelfTest::free_different_sg_count},
        {"free_different_direction", &SelfTest::free_different_direction},
        {"map_error_not_checked", &SelfTest::map_error_not_checked},
        {"map_from_stack", &SelfTest::map_from_stack},
        {"map_from_text_or_rodata", &SelfTest::map_from_text_or_rodata},
        {"sync_unallocated", &SelfTest::sync_unallocated},
        {"sync_outside_range", &SelfTest::sync_outside_range},
        {"sync_different_direction", &SelfTest::sync_different_direction},
        {"sync_device_read_only_for_cpu", &SelfTest::sync_device_read_only_for_cpu},
        {"sync_device_write_only_for_device", &SelfTest::sync_device_write_only_for_device},
        {"sync_different_sg_count", &SelfTest::sync_different_sg_count},
        {"sg_segment_too_long", &SelfTest::sg_segment_too_long},
        {"sg_segment_across_boundary", &SelfTest::sg_segment_across_boundary},
        {"map_from_invalid_area", &SelfTest::map_from_invalid_area},
        {"map_from_vmalloc", &SelfTest::map_from_vmalloc},
        {"overlapping_cacheline", &SelfTest::overlapping_cacheline},
        {"overlapping_cacheline_overflow", &SelfTest::overlapping_cacheline_overflow},
        {"leaked_at_driver_removal", &SelfTest::leaked_at_driver_removal},
        {"leaked_at_exit", &SelfTest::leaked_at_exit},
        {"shared_cacheline", &SelfTest::shared_cacheline},
        {"skip_sync_for_cpu", &SelfTest::skip_sync_for_cpu},
        {"skip_sync_for_device", &SelfTest::skip_sync_for_device},
    };
    return table;
}

std::vector<std::string> misuse_choices() {
    std::vector<std::string> choices{"none", "all"};
    for (const SelfTest::Misuse& misuse : SelfTest::misuses())
        choices.push_back(misuse.first);
    return choices;
}

void run_dma_selftest(WorkloadContext& context) {
    SelfTest test(context);
    test.run_correct_sequence();
    std::string misuse = context.params.text("misuse");
    for (const SelfTest::Misuse& candidate : SelfTest::misuses())
        if (misuse == "all" || misuse == candidate.first)
            test.inject(candidate);
}

}  // namespace

Workload dma_selftest_workload() {
    return Workload{
        "dma-selftest",
        "drives every DMA-mapping API family against a bus master, verifying the data on both sides; "
        "optionally injects one misuse (or all in turn) for dma-debug and the coherence monitor to catch",
        {
            {"device", ParamType::integer, "0", "which DMA device (bus master) to drive", {}},
            {"size", ParamType::size, "1K", "bytes per streaming buffer and coherent allocation", {}, 128, 8192},
            {"misuse", ParamType::choice, "none", "a driver bug to inject after the correct sequence",
             misuse_choices()},
        },
        run_dma_selftest,
        check_index_param("dma-selftest", "device", IndexOf::dma_device),
    };
}

}  // namespace sw
