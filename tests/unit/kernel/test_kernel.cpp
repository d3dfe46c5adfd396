// Kernel address regions: the image's text and rodata and the task's stack, allocated at boot in
// the linear map; vmap/vunmap and ioremap in the vmalloc area; the queries dma-debug relies on.
#include "dma_sim.h"

#include <catch2/catch.hpp>
#include <stdexcept>

using namespace dma_sim;

namespace {

uint64_t pa_of(uint64_t va) { return sw::Kernel::virt_to_phys(va); }

}  // namespace

TEST_CASE("kernel: VirtRange intersects as Linux's memory_intersects", "[kernel]") {
    sw::VirtRange range{0x1000, 0x2000};
    CHECK(range.size() == 0x1000);
    CHECK(range.intersects(0x1fff, 1));
    CHECK(range.intersects(0x0fff, 2));
    CHECK(range.intersects(0x0800, 0x2000));   // covers it
    CHECK_FALSE(range.intersects(0x0fff, 1));  // ends where it starts
    CHECK_FALSE(range.intersects(0x2000, 16));
    CHECK(range.contains(0x1000));
    CHECK_FALSE(range.contains(0x2000));
}

TEST_CASE("kernel: boot allocates text, rodata and the stack at the start of RAM, in the linear map", "[kernel]") {
    Sim sim;
    sw::Kernel& kernel = sim.kernel;
    sw::VirtRange text = kernel.text(), rodata = kernel.rodata(), stack = kernel.stack();
    CHECK(text.size() == 64 * 1024);
    CHECK(rodata.size() == 16 * 1024);
    CHECK(stack.size() == sw::Kernel::thread_size);
    CHECK(pa_of(text.start) == 0x80000000);  // the lowest RAM page, where Linux's image sits
    CHECK(rodata.start == text.end);
    CHECK(stack.start == rodata.end);
    CHECK(stack.start % sw::Kernel::thread_size == 0);
    for (const sw::VirtRange& range : {text, rodata, stack}) {
        CHECK(kernel.virt_addr_valid(range.start));
        CHECK(kernel.virt_addr_valid(range.end - 1));
        CHECK_FALSE(sw::Kernel::is_vmalloc_addr(range.start));
        for (uint64_t va = range.start; va < range.end; va += 4096)
            CHECK(kernel.page_allocator().is_allocated(pa_of(va)));
    }
    // What the kernel hands out later lies above them.
    CHECK(kernel.alloc_contiguous(4096) >= pa_of(stack.end));
}

TEST_CASE("kernel: object_is_on_stack covers exactly the task's stack", "[kernel]") {
    Sim sim;
    sw::VirtRange stack = sim.kernel.stack();
    CHECK(sim.kernel.object_is_on_stack(stack.start));
    CHECK(sim.kernel.object_is_on_stack(stack.end - 1));
    CHECK_FALSE(sim.kernel.object_is_on_stack(stack.end));
    CHECK_FALSE(sim.kernel.object_is_on_stack(stack.start - 1));
    CHECK_FALSE(sim.kernel.object_is_on_stack(sim.kernel.kmalloc().kmalloc(64)));
}

TEST_CASE("kernel: vmap maps pages in order in the vmalloc area - vunmap removes them", "[kernel]") {
    Sim sim;
    uint64_t va = 0, first_page = 0, second_page = 0, through_linear = 0;
    bool mapped_before = false, mapped_after = true;
    models::MemType type = models::MemType::device;
    std::string fault = sim.run([&] {
        uint64_t a = sim.kernel.alloc_contiguous(4096), b = sim.kernel.alloc_contiguous(4096);
        sim.cpu.store64(sw::Kernel::phys_to_virt(a), 0xaaaa);
        sim.cpu.store64(sw::Kernel::phys_to_virt(b), 0xbbbb);
        va = sim.kernel.vmap({b, a});  // b first: the order of the list, not of the addresses
        first_page = sim.cpu.load64(va);
        second_page = sim.cpu.load64(va + 4096);
        sim.cpu.store64(va + 8, 0x1234);  // cacheable alias of b: the linear map sees it
        through_linear = sim.cpu.load64(sw::Kernel::phys_to_virt(b) + 8);
        type = sim.type_of(va);
        models::Translation translation;
        mapped_before = sim.cpu.mmu().translate(va + 4096, translation);
        sim.kernel.vunmap(va);
        mapped_after = sim.cpu.mmu().translate(va + 4096, translation);
    });
    REQUIRE(fault.empty());
    CHECK(sw::Kernel::is_vmalloc_addr(va));
    CHECK_FALSE(sim.kernel.virt_addr_valid(va));
    CHECK(first_page == 0xbbbb);
    CHECK(second_page == 0xaaaa);
    CHECK(through_linear == 0x1234);
    CHECK(type == models::MemType::normal_wb);
    CHECK(mapped_before);
    CHECK_FALSE(mapped_after);
    CHECK_THROWS_WITH(sim.kernel.vunmap(va), Catch::Contains("nonexistent vm area"));
    CHECK_THROWS_WITH(sim.kernel.vmap({0x80000800}),
                      Catch::Contains("vmap of page 0x80000800, which is not page-aligned"));
}

TEST_CASE("kernel: ioremap gives vmalloc addresses - linear addresses without RAM are not valid", "[kernel]") {
    Sim sim;
    uint64_t pa = sim.kernel.alloc_contiguous(4096);
    uint64_t remapped = sim.kernel.ioremap(pa + 0x10, 64, models::MemType::normal_nc);
    uint64_t vmapped = sim.kernel.vmap({pa}, models::MemType::write_combined);
    CHECK(sw::Kernel::is_vmalloc_addr(remapped));
    CHECK(sw::Kernel::is_vmalloc_addr(vmapped));
    CHECK(vmapped > remapped);  // fresh address space, past ioremap's guard page
    CHECK(sim.type_of(vmapped) == models::MemType::write_combined);
    CHECK(sim.kernel.virt_addr_valid(sw::Kernel::phys_to_virt(pa)));
    CHECK_FALSE(sim.kernel.virt_addr_valid(sw::Kernel::phys_to_virt(0x40000000)));  // no RAM there
    CHECK_FALSE(sim.kernel.virt_addr_valid(pa));  // a physical address is no kernel VA
}
