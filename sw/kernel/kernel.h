// The kernel services software on the simulated core relies on: the RAM layout and reserved
// memory, the page allocator (zones, CMA) and kmalloc, vmap and ioremap, the kernel image's text
// and rodata and the task's stack (so misuse of them is detectable), the outer-cache (PL310 /
// l2x0) operations that software must issue itself after maintaining the L1, and interrupts
// (sw/kernel/irq.h).
#pragma once

#include "models/common/access_extension.h"
#include "models/common/instrumentation.h"
#include "models/cpu/core.h"
#include "sw/kernel/firmware.h"
#include "sw/kernel/irq.h"
#include "sw/kernel/kmalloc.h"
#include "sw/kernel/memory_layout.h"
#include "sw/kernel/page_allocator.h"
#include "sw/kernel/partial_lines.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace sw {

// Kernel virtual addresses [start, end), as Linux's section symbols (_stext/_etext, ...) bound them.
struct VirtRange {
    uint64_t start = 0;
    uint64_t end = 0;
    uint64_t size() const { return end - start; }
    bool contains(uint64_t va) const { return va >= start && va < end; }
    // Linux's memory_intersects(start, end, va, size).
    bool intersects(uint64_t va, uint64_t size) const { return va < end && va + size > start; }
};

class Kernel {
public:
    // Sizes of what boot allocates from the page allocator, in the linear map, in this order
    // (lowest RAM first, where Linux's image sits): the image's text, its rodata, the stack.
    static constexpr uint64_t text_size = 64 * 1024;
    static constexpr uint64_t rodata_size = 16 * 1024;
    static constexpr uint64_t thread_size = 16 * 1024;  // THREAD_SIZE

    // `ram`: memory the kernel may allocate from (no-map reserved regions already removed).
    // `reserved`: the reserved-memory table, in device-tree order (dynamic regions are placed
    // here; ReservedMemoryError when that is impossible).
    // `outer_cache_registers`: physical base of a PL310's registers, if the platform has one.
    // `zone_dma_limit`: the end of ZONE_DMA (PageAllocator's; 0: no ZONE_DMA).
    // `interrupt_controller`: the GIC's registers and MSI frame, if the platform has one.
    Kernel(models::Core& cpu, models::Instrumentation& instr, std::vector<PhysRange> ram,
           std::vector<ReservedArea> reserved, std::optional<uint64_t> outer_cache_registers,
           uint64_t zone_dma_limit = 0, std::optional<InterruptControllerInfo> interrupt_controller = std::nullopt);

    models::Core& cpu() { return cpu_; }
    const std::vector<PhysRange>& ram() const { return ram_; }
    PageAllocator& page_allocator() { return pages_; }
    Kmalloc& kmalloc() { return kmalloc_; }  // e.g. kmalloc().set_min_align(64)
    // request_firmware's search path and loader (sw/kernel/firmware.h).
    FirmwareLoader& firmware() { return firmware_; }
    // The reserved-memory table with the bases the kernel chose for dynamic regions.
    const std::vector<ReservedArea>& reserved() const { return pages_.reserved(); }

    static uint64_t phys_to_virt(uint64_t pa) { return models::Mmu::linear_va(pa); }
    static uint64_t virt_to_phys(uint64_t va) { return va - models::Mmu::linear_base; }
    // Linux's virt_addr_valid: a linear-map address of RAM the linear map covers.
    bool virt_addr_valid(uint64_t va) const;
    // Linux's is_vmalloc_addr: an address in the vmalloc area (vmap and ioremap mappings).
    static bool is_vmalloc_addr(uint64_t va) { return va >= models::Mmu::vmalloc_base; }

    // The kernel image's sections and the stack of the (one) task the core runs, in the linear map.
    VirtRange text() const { return text_; }      // _stext .. _etext
    VirtRange rodata() const { return rodata_; }  // __start_rodata .. __end_rodata
    VirtRange stack() const { return stack_; }    // task_stack_page(current) .. + THREAD_SIZE
    // Linux's object_is_on_stack: whether `va` lies in the current task's stack.
    bool object_is_on_stack(uint64_t va) const { return stack_.contains(va); }

    // Physically contiguous pages for `size` bytes (page-granular, at least one page), from the
    // page allocator: alloc_pages_exact up to the largest buddy block, alloc_contig_pages beyond.
    // Throws std::runtime_error when memory runs out. Free with free_contiguous(pa, size).
    uint64_t alloc_contiguous(uint64_t size, Zone highest = Zone::normal);
    void free_contiguous(uint64_t pa, uint64_t size);

    // Linux's vmap: maps `pages` (page-aligned physical addresses, in order) contiguously at a
    // fresh vmalloc address with the given memory type; vunmap removes it (std::invalid_argument
    // for an address vmap did not return, or pages that are not page-aligned).
    uint64_t vmap(const std::vector<uint64_t>& pages, models::MemType type = models::MemType::normal_wb);
    void vunmap(uint64_t va);

    // Maps [pa, pa+size) at a fresh virtual address with the given memory type.
    uint64_t ioremap(uint64_t pa, uint64_t size, models::MemType type = models::MemType::device);
    // Removes a mapping ioremap returned (`va` and `size` as given to / returned by it).
    void iounmap(uint64_t va, uint64_t size);

    // L1 invalidation of the linear-map range of [pa, pa+size) to the point of coherency, its
    // partial first and last lines as `partial` says (ARMv7's v7_dma_inv_range, arm64's
    // dcache_inval_poc: clean and invalidate them).
    void dcache_inv_range(uint64_t pa, uint64_t size, PartialLines partial);
    // Outer cache maintenance by physical range (no-ops without an outer cache). Linux's order
    // applies: L1 clean before outer clean; outer invalidate before L1 invalidate. The invalidate
    // cleans and invalidates its partial first and last lines (the PL310's l2c210_inv_range) unless
    // `partial` says otherwise.
    bool has_outer_cache() const { return l2_registers_va_ != 0; }
    void outer_clean_range(uint64_t pa, uint64_t size);
    void outer_inv_range(uint64_t pa, uint64_t size, PartialLines partial = PartialLines::clean_invalidate);
    void outer_flush_range(uint64_t pa, uint64_t size);  // clean + invalidate

    // Interrupts (see Interrupts for the semantics). Each throws std::runtime_error on a
    // platform without an interrupt controller.
    int request_irq(unsigned irq, irq_handler_t handler, const std::string& name) {
        return irqs("request_irq").request_irq(irq, std::move(handler), name);
    }
    void free_irq(unsigned irq) { irqs("free_irq").free_irq(irq); }
    int irq_set_irq_type(unsigned irq, unsigned type) { return irqs("irq_set_irq_type").irq_set_irq_type(irq, type); }
    void wait_for_interrupt() { irqs("wait_for_interrupt").wait_for_interrupt(); }
    bool handle_pending_irqs() { return irqs("handle_pending_irqs").handle_pending_irqs(); }
    bool has_msi() const { return irqs_ && irqs_->has_msi(); }
    // Why has_msi() is false, for a driver's message.
    std::string no_msi_reason() const {
        return irqs_ ? irqs_->no_msi_reason() : "the platform has no interrupt controller";
    }
    uint64_t msi_doorbell() { return irqs("msi_doorbell").msi_doorbell(); }
    int alloc_msi_vectors(unsigned count, unsigned& first_irq) {
        return irqs("alloc_msi_vectors").alloc_msi_vectors(count, first_irq);
    }
    void free_msi_vectors(unsigned first_irq, unsigned count) {
        irqs("free_msi_vectors").free_msi_vectors(first_irq, count);
    }
    Interrupts* interrupts() { return irqs_.get(); }  // null without an interrupt controller

private:
    Interrupts& irqs(const char* caller);
    VirtRange allocate_boot_region(uint64_t size);
    // `length` bytes (page-aligned) of fresh vmalloc address space, a guard page after them.
    uint64_t reserve_vmalloc(uint64_t length);
    // One maintenance register write per outer-cache line of [pa, pa+size), then a cache sync.
    void outer_op(uint32_t register_offset, uint64_t pa, uint64_t size);
    void outer_line_op(uint32_t register_offset, uint64_t line_address);

    models::Core& cpu_;
    std::vector<PhysRange> ram_;
    PageAllocator pages_;
    Kmalloc kmalloc_;
    FirmwareLoader firmware_;
    VirtRange text_, rodata_, stack_;
    uint64_t next_vmalloc_ = models::Mmu::vmalloc_base;
    std::map<uint64_t, uint64_t> vmap_areas_;  // vmap address -> length
    uint64_t l2_registers_va_ = 0;
    std::unique_ptr<Interrupts> irqs_;
};

}  // namespace sw
