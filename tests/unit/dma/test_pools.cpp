// The pools of the DMA layer on the non-coherent platform: dma_pool (mm/dmapool.c), the
// per-device coherent pool (kernel/dma/coherent.c) and the atomic pool (kernel/dma/pool.c). Data is
// checked from both sides (the CPU, and the bus master standing in for the device), and the
// coherence monitor must stay quiet. One simulation per test case.
#include "dma/coherent_memory.h"
#include "dma/dma_pool.h"
#include "dma_sim.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <fmt/format.h>

namespace {

using dma::Gfp;
using dma_sim::no_map_base;
using dma_sim::no_map_region;
using dma_sim::no_map_size;
using dma_sim::Sim;

// Per-block data patterns, so that two blocks sharing bytes would show.
uint64_t pattern_block = 0;
uint8_t block_cpu_pattern(uint64_t i) { return static_cast<uint8_t>(0x31 + i * 7 + pattern_block * 13); }
uint8_t block_device_pattern(uint64_t i) { return static_cast<uint8_t>(0xc5 ^ (i * 3 + pattern_block * 29)); }
uint8_t zeros(uint64_t) { return 0; }
uint8_t freed_poison(uint64_t) { return dma::POOL_POISON_FREED; }
uint8_t allocated_poison(uint64_t) { return dma::POOL_POISON_ALLOCATED; }

uint64_t align_up(uint64_t n, uint64_t align) { return (n + align - 1) / align * align; }

uint64_t round_up_pow2(uint64_t n) {
    uint64_t result = 1;
    while (result < n)
        result <<= 1;
    return result;
}

bool created(const std::unique_ptr<dma::DmaPool>& pool) { return pool != nullptr; }

struct Block {
    uint64_t vaddr;
    dma::dma_addr_t dma;
};

// What is wrong with the blocks of `pool` (empty: nothing): each aligned to `align` on both sides,
// inside one `boundary` window (one page of the pool without a boundary), at a CPU address that
// translates to its bus address, and no two overlapping.
std::vector<std::string> layout_errors(Sim& sim, const dma::DmaPool& pool, uint64_t align, uint64_t boundary,
                                       std::vector<Block> blocks) {
    std::vector<std::string> errors;
    std::string what = fmt::format("pool size {} align {} boundary {}", pool.size(), align, boundary);
    uint64_t window = boundary ? boundary : round_up_pow2(pool.allocation());  // pages are aligned to that
    for (const Block& block : blocks) {
        models::Translation translation;
        if (block.vaddr % align || block.dma % align)
            errors.push_back(fmt::format("{}: block {:#x}/{:#x} misaligned", what, block.vaddr, block.dma));
        if (block.dma / window != (block.dma + pool.size() - 1) / window)
            errors.push_back(fmt::format("{}: block at dma {:#x} crosses a {}-byte boundary", what, block.dma, window));
        if (!sim.cpu.mmu().translate(block.vaddr, translation) || translation.pa != block.dma)
            errors.push_back(fmt::format("{}: CPU address {:#x} is not dma {:#x}", what, block.vaddr, block.dma));
    }
    std::sort(blocks.begin(), blocks.end(), [](const Block& a, const Block& b) { return a.dma < b.dma; });
    for (size_t i = 1; i < blocks.size(); ++i)
        if (blocks[i - 1].dma + pool.size() > blocks[i].dma)
            errors.push_back(fmt::format("{}: blocks at {:#x} and {:#x} overlap", what, blocks[i - 1].dma,
                                         blocks[i].dma));
    return errors;
}

}  // namespace

// --- dma_pool ---

TEST_CASE("dma_pool_create refuses what Linux refuses and rounds the rest", "[pools]") {
    Sim sim;
    dma::Device& dev = sim.dev;
    CHECK_FALSE(created(dma::dma_pool_create("p", dev, 64, 3, 0)));  // align not a power of two
    CHECK_FALSE(created(dma::dma_pool_create("p", dev, 64, 48, 0)));
    CHECK_FALSE(created(dma::dma_pool_create("p", dev, 0, 8, 0)));      // size 0
    CHECK_FALSE(created(dma::dma_pool_create("p", dev, 64, 8, 100)));   // boundary not a power of two
    CHECK_FALSE(created(dma::dma_pool_create("p", dev, 256, 8, 128)));  // boundary below the size
    CHECK_FALSE(created(dma::dma_pool_create("p", dev, 60, 64, 32)));   // below the size rounded to the alignment

    std::unique_ptr<dma::DmaPool> pool = dma::dma_pool_create("p", dev, 60, 64, 64);
    REQUIRE(created(pool));
    CHECK(pool->size() == 64);
    CHECK(pool->boundary() == 64);
    pool = dma::dma_pool_create("p", dev, 10, 0, 0);  // align 0 means 1; boundary 0 the allocation
    REQUIRE(created(pool));
    CHECK(pool->size() == 10);
    CHECK(pool->allocation() == 4096);
    CHECK(pool->boundary() == 4096);
    pool = dma::dma_pool_create("p", dev, 5000, 8, 0);  // a unit of whole pages
    REQUIRE(created(pool));
    CHECK(pool->size() == 5000);
    CHECK(pool->allocation() == 8192);
    CHECK(pool->boundary() == 8192);
    CHECK(pool->blocks_per_page() == 1);
    pool = dma::dma_pool_create("p", dev, 100, 4, 256);  // two blocks per 256 bytes, none across
    REQUIRE(created(pool));
    CHECK(pool->blocks_per_page() == 32);
    CHECK(created(dma::dma_pool_create("p", dev, 4096, 4096, 4096)));  // boundary == size is allowed
    dma::dma_pool_destroy(nullptr);                                    // as Linux: nothing
}

TEST_CASE("dma_pool blocks are aligned, stay inside their boundary and never overlap", "[pools]") {
    Sim sim;
    std::vector<std::string> errors;
    uint64_t pools = 0, wrong_size = 0, refused = 0, wrongly_refused = 0, wrongly_accepted = 0, failed_allocs = 0;
    uint64_t free_before = sim.kernel.page_allocator().nr_free_pages(), free_after = 0;
    std::string fault = sim.run([&] {
        for (uint64_t size : {1, 3, 8, 24, 64, 100, 500, 1000, 2048, 3000, 4096, 5000, 9000})
            for (uint64_t align : {0, 1, 4, 16, 64, 256, 4096})
                for (uint64_t boundary : {0, 64, 256, 1024, 4096, 8192, 16384}) {
                    uint64_t rounded = align_up(size, std::max<uint64_t>(align, 1));
                    std::unique_ptr<dma::DmaPool> pool = dma::dma_pool_create("layout", sim.dev, size, align, boundary);
                    if (boundary && boundary < rounded) {
                        ++refused;
                        wrongly_accepted += created(pool);
                        continue;
                    }
                    if (!created(pool)) {
                        ++wrongly_refused;
                        continue;
                    }
                    ++pools;
                    wrong_size += pool->size() != rounded;
                    std::vector<Block> blocks;
                    for (uint64_t i = 0; i < 2 * pool->blocks_per_page() + 1; ++i) {  // three pages
                        Block block{0, 0};
                        block.vaddr = dma::dma_pool_alloc(*pool, Gfp::kernel, block.dma);
                        failed_allocs += block.vaddr == 0;
                        blocks.push_back(block);
                    }
                    for (const std::string& error :
                         layout_errors(sim, *pool, std::max<uint64_t>(align, 1), boundary, blocks))
                        errors.push_back(error);
                    CHECK(pool->pages() == 3);
                    for (const Block& block : blocks)
                        dma::dma_pool_free(*pool, block.vaddr, block.dma);
                    dma::dma_pool_destroy(std::move(pool));
                }
        free_after = sim.kernel.page_allocator().nr_free_pages();
    });
    REQUIRE(fault.empty());
    CHECK(pools > 300);
    CHECK(refused > 100);
    CHECK(wrongly_accepted == 0);
    CHECK(wrongly_refused == 0);
    CHECK(wrong_size == 0);
    CHECK(failed_allocs == 0);
    CHECK(errors.size() == 0);
    for (size_t i = 0; i < std::min<size_t>(errors.size(), 10); ++i)
        FAIL_CHECK(errors[i]);
    CHECK(free_after == free_before);  // destroy gave every page back
    CHECK(sim.context.warnings().empty());
}

TEST_CASE("dma_pool blocks carry data from the CPU to the device and back, with no hazards", "[pools]") {
    Sim sim;
    uint64_t blocks_checked = 0, to_device_errors = 0, to_cpu_errors = 0;
    struct Shape {
        uint64_t size, align, boundary;
    };
    std::string fault = sim.run([&] {
        for (Shape shape : {Shape{24, 8, 0}, Shape{100, 64, 256}, Shape{500, 32, 1024}, Shape{3000, 0, 4096},
                            Shape{5000, 128, 8192}}) {
            std::unique_ptr<dma::DmaPool> pool = dma::dma_pool_create("data", sim.dev, shape.size, shape.align,
                                                                      shape.boundary);
            REQUIRE(created(pool));
            std::vector<Block> blocks(pool->blocks_per_page() + 1);  // into a second page
            for (Block& block : blocks)
                block.vaddr = dma::dma_pool_alloc(*pool, Gfp::kernel, block.dma);
            for (pattern_block = 0; pattern_block < blocks.size(); ++pattern_block)
                sim.cpu_write(blocks[pattern_block].vaddr, shape.size, block_cpu_pattern);
            for (pattern_block = 0; pattern_block < blocks.size(); ++pattern_block)
                to_device_errors += sim.device_errors(blocks[pattern_block].dma, shape.size, block_cpu_pattern);
            for (pattern_block = 0; pattern_block < blocks.size(); ++pattern_block)
                sim.device_write(blocks[pattern_block].dma, shape.size, block_device_pattern);
            for (pattern_block = 0; pattern_block < blocks.size(); ++pattern_block)
                to_cpu_errors += sim.cpu_errors(blocks[pattern_block].vaddr, shape.size, block_device_pattern);
            blocks_checked += blocks.size();
            for (const Block& block : blocks)
                dma::dma_pool_free(*pool, block.vaddr, block.dma);
            dma::dma_pool_destroy(std::move(pool));
        }
    });
    REQUIRE(fault.empty());
    CHECK(blocks_checked > 200);
    CHECK(to_device_errors == 0);
    CHECK(to_cpu_errors == 0);
    CHECK(sim.hazards() == 0);
}

TEST_CASE("dma_pool debugging: correct use reports nothing, and the poison is where Linux puts it", "[pools]") {
    Sim sim;
    sim.context.policy().pool_debug = true;
    uint64_t allocated_cpu = 1, allocated_device = 1, freed_device = 1, zeroed = 1, reused_same = 0;
    std::string fault = sim.run([&] {
        std::unique_ptr<dma::DmaPool> pool = dma::dma_pool_create("debug-ok", sim.dev, 64, 64, 0);
        dma::dma_addr_t a_dma = 0, b_dma = 0, z_dma = 0;
        uint64_t a = dma::dma_pool_alloc(*pool, Gfp::kernel, a_dma);
        allocated_cpu = sim.cpu_errors(a, 64, allocated_poison);
        allocated_device = sim.device_errors(a_dma, 64, allocated_poison);
        sim.cpu_write(a, 64, dma_sim::cpu_pattern);
        dma::dma_pool_free(*pool, a, a_dma);
        freed_device = sim.device_errors(a_dma, 64, freed_poison);
        uint64_t b = dma::dma_pool_alloc(*pool, Gfp::kernel, b_dma);  // the block just freed, poison intact
        reused_same = b == a && b_dma == a_dma;
        uint64_t z = dma::dma_pool_zalloc(*pool, Gfp::kernel, z_dma);
        zeroed = sim.cpu_errors(z, 64, zeros);
        dma::dma_pool_free(*pool, b, b_dma);
        dma::dma_pool_free(*pool, z, z_dma);
        dma::dma_pool_destroy(std::move(pool));
    });
    REQUIRE(fault.empty());
    CHECK(allocated_cpu == 0);
    CHECK(allocated_device == 0);
    CHECK(freed_device == 0);
    CHECK(reused_same == 1);
    CHECK(zeroed == 0);
    CHECK(sim.context.warnings().empty());
    for (const char* stat :
         {"dma_pool.double_free", "dma_pool.bad_address", "dma_pool.corrupted", "dma_pool.destroy_busy"})
        CHECK(sim.stat(stat) == 0);
    CHECK(sim.hazards() == 0);
}

TEST_CASE("dma_pool debugging catches a double free, bad addresses, a use after free and a busy destroy", "[pools]") {
    Sim sim;
    sim.context.policy().pool_debug = true;
    struct Step {
        uint64_t double_free, bad_address, corrupted, destroy_busy;
        size_t warnings;
    };
    std::vector<Step> steps;
    auto record = [&] {
        steps.push_back(Step{sim.stat("dma_pool.double_free"), sim.stat("dma_pool.bad_address"),
                             sim.stat("dma_pool.corrupted"), sim.stat("dma_pool.destroy_busy"),
                             sim.context.warnings().size()});
    };
    uint64_t a = 0, b = 0, free_before = sim.kernel.page_allocator().nr_free_pages(), free_after = 0;
    dma::dma_addr_t a_dma = 0, b_dma = 0;
    std::string fault = sim.run([&] {
        std::unique_ptr<dma::DmaPool> pool = dma::dma_pool_create("ring", sim.dev, 64, 16, 0);
        a = dma::dma_pool_alloc(*pool, Gfp::kernel, a_dma);
        dma::dma_pool_free(*pool, a, a_dma);
        record();  // 0: correct use
        dma::dma_pool_free(*pool, a, a_dma);
        record();  // 1: double free
        b = dma::dma_pool_alloc(*pool, Gfp::kernel, b_dma);
        dma::dma_pool_free(*pool, b + 16, b_dma);
        record();  // 2: bad vaddr
        dma::dma_pool_free(*pool, b + 16, b_dma + 16);
        record();  // 3: inside a block
        dma::dma_pool_free(*pool, b, 0x1234);
        record();  // 4: no page of the pool
        dma::dma_pool_free(*pool, b, b_dma);
        record();  // 5: the block was still allocated: this free is right
        sim.device_write(b_dma + 10, 1, dma_sim::device_pattern);  // DMA through a stale handle
        dma::dma_addr_t c_dma = 0;
        dma::dma_pool_alloc(*pool, Gfp::kernel, c_dma);
        record();  // 6: use after free found on the next alloc
        dma::dma_pool_destroy(std::move(pool));
        record();  // 7: destroyed with one block out
        free_after = sim.kernel.page_allocator().nr_free_pages();
    });
    REQUIRE(fault.empty());
    REQUIRE(steps.size() == 8);
    CHECK(steps[0].warnings == 0);
    CHECK(steps[1].double_free == 1);
    CHECK(steps[2].bad_address == 1);
    CHECK(steps[3].bad_address == 2);
    CHECK(steps[4].bad_address == 3);
    CHECK(steps[5].warnings == 4);
    CHECK(steps[5].corrupted == 0);
    CHECK(steps[6].corrupted == 1);
    CHECK(steps[7].destroy_busy == 1);
    CHECK(steps[7].warnings == 6);
    CHECK(steps[7].double_free == 1);
    CHECK(steps[7].bad_address == 3);
    const std::vector<std::string>& warnings = sim.context.warnings();
    REQUIRE(warnings.size() == 6);
    CHECK(warnings[0] == fmt::format("dma-agent@1000000: dma_pool_free ring, dma {:#x} already free", a_dma));
    CHECK_THAT(warnings[1], Catch::Contains(fmt::format("dma_pool_free ring, {:#x}/{:#x} (bad vaddr)", b + 16, b_dma)));
    CHECK_THAT(warnings[2], Catch::Contains(fmt::format("{:#x}/{:#x} (bad dma)", b + 16, b_dma + 16)) &&
                                Catch::Contains("not the start of a 64-byte block"));
    CHECK_THAT(warnings[3], Catch::Contains(fmt::format("dma_pool_free ring, {:#x}/0x1234 (bad dma)", b)));
    CHECK_THAT(warnings[4], Catch::Contains(fmt::format("dma_pool_alloc ring, {:#x} (corrupted)", b)) &&
                                Catch::Contains("byte 10 "));
    CHECK_THAT(warnings[5], Catch::Contains(fmt::format("dma_pool_destroy ring, {:#x} busy", a & ~0xfffULL)));
    CHECK(free_after == free_before);  // the busy page was freed all the same
}

TEST_CASE("dma_pool without debugging does not poison but still refuses a double free", "[pools]") {
    Sim sim;
    uint64_t not_poisoned = 0;
    std::string fault = sim.run([&] {
        std::unique_ptr<dma::DmaPool> pool = dma::dma_pool_create("plain", sim.dev, 32, 0, 0);
        dma::dma_addr_t a_dma = 0, b_dma = 0, c_dma = 0;
        uint64_t a = dma::dma_pool_alloc(*pool, Gfp::kernel, a_dma);
        not_poisoned = sim.cpu_errors(a, 32, zeros) == 0;  // the page as alloc_coherent zeroed it
        dma::dma_pool_free(*pool, a, a_dma);
        dma::dma_pool_free(*pool, a, a_dma);
        uint64_t b = dma::dma_pool_alloc(*pool, Gfp::kernel, b_dma);
        uint64_t c = dma::dma_pool_alloc(*pool, Gfp::kernel, c_dma);
        CHECK(b != c);  // the block went back once, so it is handed out once
        dma::dma_pool_free(*pool, b, b_dma);
        dma::dma_pool_free(*pool, c, c_dma);
        dma::dma_pool_destroy(std::move(pool));
    });
    REQUIRE(fault.empty());
    CHECK(not_poisoned == 1);
    CHECK(sim.stat("dma_pool.double_free") == 1);
    CHECK(sim.context.warnings().size() == 1);
}

// --- the per-device coherent pool ---

TEST_CASE("a per-device coherent pool hands out zeroed, order-aligned runs and never falls back", "[pools]") {
    Sim sim(no_map_region());
    dma::Device other("other-agent", sim.context);
    const uint64_t half = no_map_size / 2;
    REQUIRE(dma::declare_coherent_memory(sim.dev, no_map_base, no_map_base, half) == 0);
    CHECK(dma::declare_coherent_memory(sim.dev, no_map_base, no_map_base, half) == -EBUSY);
    CHECK(dma::declare_coherent_memory(other, no_map_base + half, 0x40000000, 0) == -EINVAL);
    CHECK(dma::declare_coherent_memory(other, no_map_base + half + 100, 0x40000000, 4096) == -EINVAL);
    REQUIRE(dma::declare_coherent_memory(other, no_map_base + half, 0x40000000, half) == 0);
    const std::string stats = "dma.coherent_pool.dma-agent@1000000.";
    CHECK(sim.stat(stats + "pages") == 128);

    uint64_t free_before = sim.kernel.page_allocator().nr_free_pages(), free_during = 0;
    dma::dma_addr_t h1 = 0, h3 = 0, h1b = 0, h4 = 0, hall = 0, hmore = 0, hnowarn = 0, hagain = 0, hother = 0,
                    hblock = 0;
    uint64_t v3 = 0, to_device = 1, to_cpu = 1, zero_device = 1, zero_cpu = 1, all = 0, more = 1, nowarn = 1, again = 0,
             block = 0;
    models::MemType mapping = models::MemType::device;
    std::string fault = sim.run([&] {
        uint64_t v1 = dma::alloc_coherent(sim.dev, 4096, h1);
        v3 = dma::alloc_coherent(sim.dev, 3 * 4096, h3);  // order 2: four pages, aligned to four
        uint64_t v1b = dma::alloc_coherent(sim.dev, 100, h1b);
        mapping = sim.type_of(v3);
        sim.cpu_write(v3, 3 * 4096, dma_sim::cpu_pattern);
        sim.cpu.dsb();  // drain the write-combining buffer, as a driver's wmb() before starting the device
        to_device = sim.device_errors(h3, 3 * 4096, dma_sim::cpu_pattern);
        sim.device_write(h3, 3 * 4096, dma_sim::device_pattern);
        to_cpu = sim.cpu_errors(v3, 3 * 4096, dma_sim::device_pattern);
        dma::free_coherent(sim.dev, 3 * 4096, v3, h3);
        uint64_t v4 = dma::alloc_coherent(sim.dev, 4 * 4096, h4);  // the same four pages, zeroed again
        sim.cpu.dsb();
        zero_device = sim.device_errors(h4, 4 * 4096, zeros);
        zero_cpu = sim.cpu_errors(v4, 4 * 4096, zeros);
        dma::free_coherent(sim.dev, 4096, v1, h1);
        dma::free_coherent(sim.dev, 100, v1b, h1b);
        dma::free_coherent(sim.dev, 4 * 4096, v4, h4);

        all = dma::alloc_coherent(sim.dev, half, hall);
        more = dma::alloc_coherent(sim.dev, 4096, hmore);  // exhausted: 0, with a warning
        nowarn = dma::alloc_attrs(sim.dev, 4096, hnowarn, dma::attr::no_warn);
        free_during = sim.kernel.page_allocator().nr_free_pages();
        dma::free_coherent(sim.dev, half, all, hall);
        uint64_t room = dma::alloc_coherent(sim.dev, 4096, hagain);
        again = room != 0;
        dma::free_coherent(sim.dev, 4096, room, hagain);

        uint64_t vother = dma::alloc_coherent(other, 4096, hother);
        dma::free_coherent(other, 4096, vother, hother);

        std::unique_ptr<dma::DmaPool> pool = dma::dma_pool_create("in-pool", sim.dev, 128, 0, 0);
        block = dma::dma_pool_alloc(*pool, Gfp::kernel, hblock);
        dma::dma_pool_free(*pool, block, hblock);
        dma::dma_pool_destroy(std::move(pool));
    });
    REQUIRE(fault.empty());
    CHECK(h1 == no_map_base);
    CHECK(h3 == no_map_base + 4 * 4096);
    CHECK(h1b == no_map_base + 4096);  // the first free page; the next two are too few for order 2
    CHECK(mapping == models::MemType::write_combined);
    CHECK(to_device == 0);
    CHECK(to_cpu == 0);
    CHECK(h4 == h3);
    CHECK(zero_device == 0);
    CHECK(zero_cpu == 0);
    CHECK(all != 0);
    CHECK(hall == no_map_base);
    CHECK(more == 0);
    CHECK(hmore == dma::DMA_MAPPING_ERROR);
    CHECK(nowarn == 0);
    CHECK(again);
    CHECK(hagain == no_map_base);
    CHECK(hother == 0x40000000);  // device_addr + offset
    CHECK(block != 0);
    CHECK(hblock >= no_map_base);
    CHECK(hblock < no_map_base + half);
    CHECK(free_during == free_before);  // nothing came from, or fell back to, the page allocator
    CHECK(sim.kernel.page_allocator().nr_free_pages() == free_before);
    CHECK(sim.stat("dma.alloc_failures") == 2);
    CHECK(sim.stat(stats + "failures") == 2);
    CHECK(sim.stat(stats + "used_pages") == 0);
    REQUIRE(sim.context.warnings().size() == 1);  // NO_WARN kept the second quiet
    CHECK_THAT(sim.context.warnings()[0],
               Catch::StartsWith("dma-agent@1000000: coherent allocation of 4096 bytes failed") &&
                   Catch::Contains("(524288 bytes, 0 of 128 pages free)") && Catch::Contains("does not fall back"));
    CHECK(sim.hazards() == 0);
}

// --- the atomic pool ---

TEST_CASE("the atomic pool serves non-blocking allocations uncached and fails cleanly when exhausted", "[pools]") {
    Sim sim;
    dma::AtomicPool& pool = sim.context.atomic_pool();
    REQUIRE(pool.size() == 128 * 1024);  // dma_atomic_pool_init's default: under 1 GiB of RAM, 128 KiB
    CHECK(sim.stat("dma.atomic_pool.size") == 128 * 1024);
    dma::Device coherent_dev("coherent-agent", sim.context);
    coherent_dev.set_coherent(true);

    uint64_t free_before = sim.kernel.page_allocator().nr_free_pages(), free_exhausted = 0;
    dma::dma_addr_t h = 0, h2 = 0, hall = 0, hmore = 0, hkernel = 0, hcoherent = 0, hagain = 0;
    uint64_t v = 0, v2 = 0, to_device = 1, to_cpu = 1, zero_device = 1, zero_cpu = 1, used = 0, all = 0, more = 1,
             kernel_va = 0, coherent_va = 0, again = 0;
    models::MemType mapping = models::MemType::device, alias = models::MemType::device;
    std::string fault = sim.run([&] {
        v = dma::alloc_coherent(sim.dev, 8192, h, Gfp::atomic);
        mapping = sim.type_of(v);
        alias = sim.linear_type(h);
        used = sim.stat("dma.atomic_pool.used");
        sim.cpu_write(v, 8192, dma_sim::cpu_pattern);
        to_device = sim.device_errors(h, 8192, dma_sim::cpu_pattern);
        sim.device_write(h, 8192, dma_sim::device_pattern);
        to_cpu = sim.cpu_errors(v, 8192, dma_sim::device_pattern);
        dma::free_coherent(sim.dev, 8192, v, h);
        v2 = dma::alloc_coherent(sim.dev, 8192, h2, Gfp::atomic);  // the same pages, zeroed again
        zero_device = sim.device_errors(h2, 8192, zeros);
        zero_cpu = sim.cpu_errors(v2, 8192, zeros);
        dma::free_coherent(sim.dev, 8192, v2, h2);

        all = dma::alloc_coherent(sim.dev, pool.size(), hall, Gfp::atomic);
        more = dma::alloc_coherent(sim.dev, 4096, hmore, Gfp::atomic);
        free_exhausted = sim.kernel.page_allocator().nr_free_pages();
        kernel_va = dma::alloc_coherent(sim.dev, 4096, hkernel);                        // may block: the page allocator
        coherent_va = dma::alloc_coherent(coherent_dev, 4096, hcoherent, Gfp::atomic);  // needs no remap
        dma::free_coherent(sim.dev, 4096, kernel_va, hkernel);
        dma::free_coherent(coherent_dev, 4096, coherent_va, hcoherent);
        dma::free_coherent(sim.dev, pool.size(), all, hall);
        uint64_t room = dma::alloc_coherent(sim.dev, 4096, hagain, Gfp::atomic);
        again = room != 0;
        dma::free_coherent(sim.dev, 4096, room, hagain);
    });
    REQUIRE(fault.empty());
    auto in_pool = [&](dma::dma_addr_t addr) {
        return addr >= pool.phys_base() && addr < pool.phys_base() + pool.size();
    };
    CHECK(in_pool(h));
    CHECK(mapping == models::MemType::write_combined);
    CHECK(alias == models::MemType::normal_nc);  // AliasPolicy::removed, the default
    CHECK(used == 8192);
    CHECK(to_device == 0);
    CHECK(to_cpu == 0);
    CHECK(v2 == v);
    CHECK(zero_device == 0);
    CHECK(zero_cpu == 0);
    CHECK(all != 0);
    CHECK(more == 0);
    CHECK(hmore == dma::DMA_MAPPING_ERROR);
    CHECK(free_exhausted == free_before);  // no fallback to the page allocator
    CHECK(kernel_va != 0);
    CHECK_FALSE(in_pool(hkernel));
    CHECK(coherent_va == sw::Kernel::phys_to_virt(hcoherent));  // the cacheable linear address
    CHECK_FALSE(in_pool(hcoherent));
    CHECK(again);
    CHECK(sim.stat("dma.atomic_pool.allocs") == 4);
    CHECK(sim.stat("dma.atomic_pool.failures") == 1);
    CHECK(sim.stat("dma.atomic_pool.used") == 0);
    CHECK(sim.stat("dma.alloc_failures") == 1);
    REQUIRE(sim.context.warnings().size() == 1);
    CHECK_THAT(sim.context.warnings()[0],
               Catch::StartsWith("dma-agent@1000000: atomic coherent allocation of 4096 bytes failed: DMA pool "
                                 "exhausted") &&
                   Catch::Contains("(131072 bytes, 0 free)"));
    CHECK(sim.stat("dma.maint.flush") == 2);  // the pool once at first use, the GFP_KERNEL allocation once
    CHECK(sim.hazards() == 0);
}

TEST_CASE("with the alias kept, the atomic pool's linear alias stays cacheable", "[pools]") {
    Sim sim;
    sim.context.policy().alias = dma::AliasPolicy::kept;
    dma::dma_addr_t h = 0;
    models::MemType mapping = models::MemType::device, alias = models::MemType::device;
    std::string fault = sim.run([&] {
        uint64_t v = dma::alloc_coherent(sim.dev, 4096, h, Gfp::atomic);
        mapping = sim.type_of(v);
        alias = sim.linear_type(h);
        dma::free_coherent(sim.dev, 4096, v, h);
    });
    REQUIRE(fault.empty());
    CHECK(mapping == models::MemType::write_combined);
    CHECK(alias == models::MemType::normal_wb);
}
