// dma::IommuOps (Linux's drivers/iommu/dma-iommu.c) on the non-coherent platform, with the fake IOMMU
// of fake_iommu.h. The platform's bus master has no IOMMU in front of
// it, so the "device" side of these tests translates each IOVA through the fake's map and accesses
// the physical page: what the IOMMU would do. Expected IOVAs follow Linux's iova.c (test_iova.cpp).
#include "dma/iommu_ops.h"
#include "dma/mapping_history.h"
#include "dma_sim.h"
#include "fake_iommu.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <deque>
#include <map>
#include <memory>

using namespace dma_sim;
using dma::DmaDirection;
namespace prot = dma::iommu_prot;
using fake_iommu::FakeDomain;
using fake_iommu::FakeIommu;
using fake_iommu::iommu_node;

namespace {

using fake_iommu::page;

uint8_t zero_pattern(uint64_t) { return 0; }

// The platform, the fake IOMMU registered with the DMA layer, and a device behind it (not yet
// attached: attach() is iommu_configure).
class IommuSim {
public:
    explicit IommuSim(dma::Policy policy = {}, const std::vector<std::string>& overrides = {})
        : sim(overrides, policy), dev("0000:00:01.0", sim.context) {
        sim.context.register_iommu(iommu);
        dev.set_iommu_fwspec(dma::IommuFwspec{iommu_node, {0x100}});
    }

    // A second device behind the same IOMMU.
    std::unique_ptr<dma::Device> make_device(const std::string& name) {
        auto device = std::make_unique<dma::Device>(name, sim.context);
        device->set_iommu_fwspec(dma::IommuFwspec{iommu_node, {0x200}});
        return device;
    }
    void attach(dma::Device& device) {
        std::string error;
        if (!dma::iommu_configure(device, error))
            throw std::runtime_error(error);
    }
    FakeDomain& domain(const dma::Device& device) { return *iommu.domains.at(device.name()); }
    FakeDomain& domain() { return domain(dev); }

    // The device's accesses, translated page by page through the domain, each page's chunk with
    // the pattern from its own start (as cpu_errors_by_page checks).
    void device_write(dma::dma_addr_t iova, uint64_t size, Pattern pattern) {
        for_each_page(iova, size, [&](uint64_t at, uint64_t, uint64_t chunk) {
            sim.device_write(domain().pa_of(at), chunk, pattern);
        });
    }
    uint64_t device_errors(dma::dma_addr_t iova, uint64_t size, Pattern pattern) {
        uint64_t errors = 0;
        for_each_page(iova, size, [&](uint64_t at, uint64_t, uint64_t chunk) {
            errors += sim.device_errors(domain().pa_of(at), chunk, pattern);
        });
        return errors;
    }
    void cpu_write_by_page(dma::dma_addr_t iova, uint64_t va, uint64_t size, Pattern pattern) {
        for_each_page(iova, size,
                      [&](uint64_t, uint64_t offset, uint64_t chunk) { sim.cpu_write(va + offset, chunk, pattern); });
    }
    uint64_t cpu_errors_by_page(dma::dma_addr_t iova, uint64_t va, uint64_t size, Pattern pattern) {
        uint64_t errors = 0;
        for_each_page(iova, size, [&](uint64_t, uint64_t offset, uint64_t chunk) {
            errors += sim.cpu_errors(va + offset, chunk, pattern);
        });
        return errors;
    }

    Sim sim;
    FakeIommu iommu;
    dma::Device dev;

private:
    template <typename Visit>
    static void for_each_page(uint64_t iova, uint64_t size, Visit visit) {
        for (uint64_t offset = 0; offset < size;) {
            uint64_t chunk = std::min(size - offset, page - ((iova + offset) & (page - 1)));
            visit(iova + offset, offset, chunk);
            offset += chunk;
        }
    }
};

// `count` pages no two of which are adjacent: every other page of a fresh run of single pages.
std::vector<uint64_t> scattered_pages(Sim& sim, size_t count) {
    std::vector<uint64_t> pages;
    for (size_t i = 0; i < 2 * count; ++i) {
        std::optional<uint64_t> pa = sim.kernel.page_allocator().alloc_pages(0);
        REQUIRE(pa);
        if (i % 2 == 0)
            pages.push_back(*pa);
    }
    return pages;
}

// Single-page holes in the page allocator: `count` of 2 * count fresh pages freed again, every other.
void punch_holes(Sim& sim, size_t count) {
    for (uint64_t pa : scattered_pages(sim, count))
        sim.kernel.page_allocator().free_pages(pa, 0);
}

}  // namespace

// --- configuration ---

TEST_CASE("iommu_configure attaches the device with its stream IDs and gives it the domain and IOMMU ops",
          "[iommu-ops]") {
    IommuSim s;
    std::string error;
    CHECK(std::string(s.dev.ops().name()) == "direct");
    REQUIRE(dma::iommu_configure(s.dev, error));
    CHECK(error.empty());
    CHECK(s.iommu.attached.at(s.dev.name()) == std::vector<uint32_t>{0x100});
    CHECK(s.dev.iommu_domain() == &s.domain());
    CHECK(&s.dev.ops() == &s.sim.context.iommu_ops());
    CHECK(std::string(s.dev.ops().name()) == "iommu");
    const dma::IovaDomain* iovad = s.sim.context.iommu_ops().iova_domain(s.domain());
    REQUIRE(iovad);
    CHECK(iovad->granule() == page);  // the smallest of 4K | 2M | 1G
    CHECK(iovad->start_pfn() == 1);   // aperture from 0: IOVA 0 is never valid
}

TEST_CASE("iommu_configure fails with the device and the IOMMU named, the device keeps its direct ops", "[iommu-ops]") {
    IommuSim s;
    std::string error;
    s.dev.set_iommu_fwspec(dma::IommuFwspec{"/iommu@40000000", {1}});
    CHECK_FALSE(dma::iommu_configure(s.dev, error));
    CHECK_THAT(error, Catch::Contains("0000:00:01.0") && Catch::Contains("/iommu@40000000") &&
                          Catch::Contains("no driver registered"));
    CHECK(std::string(s.dev.ops().name()) == "direct");

    s.dev.set_iommu_fwspec(dma::IommuFwspec{iommu_node, {1}});
    s.iommu.refuse = true;
    CHECK_FALSE(dma::iommu_configure(s.dev, error));
    CHECK_THAT(error, Catch::Contains("0000:00:01.0") && Catch::Contains("no free context bank"));
    CHECK(s.dev.iommu_domain() == nullptr);

    dma::Device plain("plain", s.sim.context);
    CHECK_FALSE(dma::iommu_configure(plain, error));
    CHECK_THAT(error, Catch::Contains("plain"));
}

// --- IOVA allocation ---

TEST_CASE("map_page: a 32-bit device's IOVAs for 1, 1 and 3 pages are Linux's, the offset kept", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    std::vector<dma::dma_addr_t> addrs;
    uint64_t pa = 0;
    std::string fault = s.sim.run([&] {
        pa = s.sim.kernel.alloc_contiguous(4 * page);
        addrs.push_back(dma::map_page(s.dev, pa, 0, page, DmaDirection::to_device));
        addrs.push_back(dma::map_page(s.dev, pa + page, 0, page, DmaDirection::to_device));
        addrs.push_back(dma::map_page(s.dev, pa, 0, 3 * page, DmaDirection::to_device));
        addrs.push_back(dma::map_page(s.dev, pa + 3 * page, 0x10, 100, DmaDirection::to_device));
    });
    REQUIRE(fault.empty());
    CHECK(addrs[0] == 0xfffff000);
    CHECK(addrs[1] == 0xffffe000);
    CHECK(addrs[2] == 0xffff8000);  // 3 pages rounded to 4, size-aligned
    CHECK(addrs[3] == 0xffff7010);  // the next page down, the buffer's offset in its page kept
    FakeDomain& domain = s.domain();
    REQUIRE(domain.maps.size() == 4);
    CHECK(domain.maps[2].size == 3 * page);  // only the buffer's pages are mapped
    CHECK(domain.maps[3].iova == 0xffff7000);
    CHECK(domain.maps[3].pa == pa + 3 * page);
    CHECK(domain.maps[3].size == page);
}

TEST_CASE("alloc_iova: a PCI function tries below 4 GiB first, other devices get the top of their reach",
          "[iommu-ops]") {
    IommuSim s;
    auto platform_dev = s.make_device("dma@1000000");
    auto limited = s.make_device("dma@2000000");
    s.dev.set_pci(true);
    for (dma::Device* dev : {&s.dev, platform_dev.get(), limited.get()}) {
        dev->store_dma_mask(dma::dma_bit_mask(64));
        s.attach(*dev);
    }
    limited->set_bus_dma_limit(0x3fffffff);
    dma::dma_addr_t pci = 0, other = 0, bus_limited = 0;
    std::string fault = s.sim.run([&] {
        uint64_t pa = s.sim.kernel.alloc_contiguous(page);
        pci = dma::map_page(s.dev, pa, 0, page, DmaDirection::to_device);
        other = dma::map_page(*platform_dev, pa, 0, page, DmaDirection::to_device);
        bus_limited = dma::map_page(*limited, pa, 0, page, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(pci == 0xfffff000);
    CHECK(other == 0xfffffffff000);  // the aperture's end, 48 bits, below the 64-bit mask
    CHECK(bus_limited == 0x3ffff000);
}

TEST_CASE("alloc_iova skips the device's reserved ranges and never hands out IOVA page 0", "[iommu-ops]") {
    IommuSim s;
    s.dev.set_iova_reserved({dma::BusRange{0xfff00000, 0xffffffff}});
    auto tiny = s.make_device("tiny");
    tiny->store_dma_mask(dma::dma_bit_mask(13));  // pages 0 and 1 only
    s.attach(s.dev);
    s.attach(*tiny);
    dma::dma_addr_t reserved_skipped = 0, first = 0, second = 0;
    std::string fault = s.sim.run([&] {
        uint64_t pa = s.sim.kernel.alloc_contiguous(page);
        reserved_skipped = dma::map_page(s.dev, pa, 0, page, DmaDirection::to_device);
        first = dma::map_page(*tiny, pa, 0, page, DmaDirection::to_device);
        second = dma::map_page(*tiny, pa, 0, page, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(reserved_skipped == 0xffeff000);
    CHECK(first == 0x1000);
    CHECK(second == dma::DMA_MAPPING_ERROR);
    CHECK(s.sim.stat("dma.mapping_errors") == 1);
    CHECK_THAT(s.sim.context.warnings().back(), Catch::StartsWith("tiny: no IOVA space for 4096 bytes"));
}

TEST_CASE("a 32-bit device maps memory above 4 GiB without bouncing: its IOVA is below its mask", "[iommu-ops]") {
    // 256 MiB of RAM at 4 GiB besides the platform's 1 GiB at 2 GiB.
    IommuSim s({}, {"/memory@80000000:reg=<0x0 0x80000000 0x0 0x40000000 0x1 0x0 0x0 0x10000000>"});
    s.attach(s.dev);
    dma::dma_addr_t through_iommu = 0, direct = 0;
    uint64_t pa = 0, bounces_direct = 0, errors = 0;
    std::string fault = s.sim.run([&] {
        pa = s.sim.kernel.alloc_contiguous(page);  // the normal zone first: above 4 GiB
        s.sim.cpu_write(sw::Kernel::phys_to_virt(pa), page, cpu_pattern);
        through_iommu = dma::map_page(s.dev, pa, 0, page, DmaDirection::to_device);
        errors = s.device_errors(through_iommu, page, cpu_pattern);
        dma::unmap_page(s.dev, through_iommu, page, DmaDirection::to_device);
        direct = dma::map_page(s.sim.dev, pa, 0, page, DmaDirection::to_device);  // the same on direct ops
        bounces_direct = s.sim.stat("swiotlb.maps");
        dma::unmap_page(s.sim.dev, direct, page, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    REQUIRE(pa >= 0x100000000);
    CHECK(through_iommu == 0xfffff000);
    CHECK(s.domain().maps.at(0).pa == pa);
    CHECK(errors == 0);
    CHECK(bounces_direct == 1);  // the direct ops had to bounce it
    CHECK(direct < 0x100000000);
}

// --- scatter-gather ---

TEST_CASE("map_sg: 16 scattered pages get one IOVA range and become one 64 KiB DMA segment", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    std::vector<dma::Scatterlist> sgl;
    int mapped = 0;
    uint64_t errors = 0, cleans = 0, invalidates = 0;
    std::string fault = s.sim.run([&] {
        for (uint64_t pa : scattered_pages(s.sim, 16)) {
            s.sim.cpu_write(sw::Kernel::phys_to_virt(pa), page, cpu_pattern);  // dirty lines to clean
            sgl.push_back(dma::Scatterlist{pa, 0, page});
        }
        mapped = dma::map_sg(s.dev, sgl, 16, DmaDirection::from_device);
        cleans = s.sim.stat("dma.maint.clean");
        s.device_write(sgl[0].dma_address, sgl[0].dma_length, device_pattern);
        dma::unmap_sg(s.dev, sgl, 16, DmaDirection::from_device);
        invalidates = s.sim.stat("dma.maint.invalidate");
        for (const dma::Scatterlist& sg : sgl)
            errors += s.sim.cpu_errors(sw::Kernel::phys_to_virt(sg.pa), page, device_pattern);
    });
    REQUIRE(fault.empty());
    CHECK(mapped == 1);
    CHECK(sgl[0].dma_address == 0xffff0000);  // 16 pages, size-aligned
    CHECK(sgl[0].dma_length == 16 * page);
    CHECK(sgl[1].dma_address == dma::DMA_MAPPING_ERROR);
    CHECK(sgl[1].dma_length == 0);
    const FakeDomain& domain = s.domain();
    REQUIRE(domain.maps.size() == 16);  // no two pages adjacent: one map call each
    for (size_t i = 0; i < 16; ++i) {
        CHECK(domain.maps[i].iova == 0xffff0000 + i * page);
        CHECK(domain.maps[i].pa == sgl[i].pa);
    }
    CHECK(cleans == 16);  // each entry's own pages, as the direct ops
    CHECK(invalidates == 16);
    CHECK(domain.count("sync") == 1);  // one unmap of the whole range
    CHECK(domain.mapped_pages() == 0);
    CHECK(errors == 0);
    CHECK(s.sim.hazards() == 0);
    CHECK(s.sim.context.debug().active_entries() == 0);
}

TEST_CASE("map_sg: max_segment_size and the segment boundary split the merged segment", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    std::vector<dma::Scatterlist> by_size, by_boundary;
    int size_split = 0, boundary_split = 0;
    std::string fault = s.sim.run([&] {
        for (uint64_t pa : scattered_pages(s.sim, 16)) {
            by_size.push_back(dma::Scatterlist{pa, 0, page});
            by_boundary.push_back(dma::Scatterlist{pa, 0, page});
        }
        s.dev.set_max_segment_size(32 * 1024);
        size_split = dma::map_sg(s.dev, by_size, 16, DmaDirection::to_device);
        s.dev.set_max_segment_size(dma::Device::default_max_segment_size);
        s.dev.set_segment_boundary_mask(0x7fff);
        boundary_split = dma::map_sg(s.dev, by_boundary, 16, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    REQUIRE(size_split == 2);
    CHECK(by_size[0].dma_address == 0xffff0000);
    CHECK(by_size[0].dma_length == 32 * 1024);
    CHECK(by_size[1].dma_address == 0xffff8000);
    CHECK(by_size[1].dma_length == 32 * 1024);
    REQUIRE(boundary_split == 2);
    CHECK(by_boundary[0].dma_address == 0xfffe0000);  // the next 64 KiB range down
    CHECK(by_boundary[0].dma_length == 32 * 1024);
    CHECK(by_boundary[1].dma_address == 0xfffe8000);  // starts on the 32 KiB boundary
    CHECK(by_boundary[1].dma_length == 32 * 1024);
}

TEST_CASE("map_sg: an entry that would cross the segment boundary is padded onto it", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    s.dev.set_segment_boundary_mask(0x1fff);  // 8 KiB segments
    std::vector<dma::Scatterlist> sgl;
    int mapped = 0;
    std::string fault = s.sim.run([&] {
        uint64_t block = s.sim.kernel.alloc_contiguous(8 * page);
        uint64_t one = block, two = block + 4 * page;  // apart: the first's padded run does not reach the second
        sgl = {dma::Scatterlist{one, 0, page}, dma::Scatterlist{two, 0, 2 * page}};
        mapped = dma::map_sg(s.dev, sgl, 2, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    // pad_len = (0x1fff - 0x1000 + 1) & 0x1fff = 0x1000 goes to the first entry: 4 + 4 + 8 KiB, one
    // 16 KiB range at 0xffffc000; the second entry starts on the boundary and cannot merge.
    REQUIRE(mapped == 2);
    CHECK(sgl[0].dma_address == 0xffffc000);
    CHECK(sgl[0].dma_length == page);
    CHECK(sgl[1].dma_address == 0xffffe000);
    CHECK(sgl[1].dma_length == 2 * page);
    const FakeDomain& domain = s.domain();
    REQUIRE(domain.maps.size() == 2);
    CHECK(domain.maps[0].size == 2 * page);  // Linux maps the padding too: the page after the first entry
    CHECK(domain.maps[1].iova == 0xffffe000);
}

TEST_CASE("map_sg: entries not starting on a page start a new segment, one ending early closes its own",
          "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    std::vector<dma::Scatterlist> sgl;
    int mapped = 0;
    std::string fault = s.sim.run([&] {
        std::vector<uint64_t> pages = scattered_pages(s.sim, 4);
        sgl = {dma::Scatterlist{pages[0], 0, page}, dma::Scatterlist{pages[1], 0, 2048},
               dma::Scatterlist{pages[2], 0, page}, dma::Scatterlist{pages[3], 512, 1024}};
        mapped = dma::map_sg(s.dev, sgl, 4, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    // 0+1 merge (1 starts at offset 0) but 1 ends inside its page, so 2 starts anew; 3 has an offset.
    REQUIRE(mapped == 3);
    CHECK(sgl[0].dma_address == 0xffffc000);
    CHECK(sgl[0].dma_length == page + 2048);
    CHECK(sgl[1].dma_address == 0xffffe000);
    CHECK(sgl[1].dma_length == page);
    CHECK(sgl[2].dma_address == 0xfffff200);
    CHECK(sgl[2].dma_length == 1024);
    CHECK(sgl[3].dma_length == 0);
}

// --- cache maintenance and protection ---

TEST_CASE("a non-coherent device on IOMMU ops gets exactly the direct ops' maintenance", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    struct Counts {
        uint64_t clean = 0, invalidate = 0;
    };
    Counts direct, iommu;
    uint64_t errors = 0;
    std::string fault = s.sim.run([&] {
        auto exercise = [&](dma::Device& dev, Counts& counts) {
            uint64_t clean0 = s.sim.stat("dma.maint.clean"), invalidate0 = s.sim.stat("dma.maint.invalidate");
            for (DmaDirection dir : {DmaDirection::to_device, DmaDirection::from_device, DmaDirection::bidirectional}) {
                uint64_t va = s.sim.kernel.kmalloc().kmalloc(256);
                dma::dma_addr_t addr = dma::map_single(dev, va, 256, dir);
                dma::sync_single_for_cpu(dev, addr, 256, dir);
                dma::sync_single_for_device(dev, addr, 256, dir);
                dma::unmap_single(dev, addr, 256, dir);
                s.sim.kernel.kmalloc().kfree(va);
            }
            counts.clean = s.sim.stat("dma.maint.clean") - clean0;
            counts.invalidate = s.sim.stat("dma.maint.invalidate") - invalidate0;
        };
        exercise(s.sim.dev, direct);
        exercise(s.dev, iommu);
        // And the data arrives: CPU data to the device, device data to the CPU.
        uint64_t va = s.sim.kernel.kmalloc().kmalloc(256);
        s.sim.cpu_write(va, 256, cpu_pattern);
        dma::dma_addr_t addr = dma::map_single(s.dev, va, 256, DmaDirection::bidirectional);
        errors += s.device_errors(addr, 256, cpu_pattern);
        s.device_write(addr, 256, device_pattern);
        dma::unmap_single(s.dev, addr, 256, DmaDirection::bidirectional);
        errors += s.sim.cpu_errors(va, 256, device_pattern);
    });
    REQUIRE(fault.empty());
    CHECK(direct.clean == 6);  // map and sync_for_device clean in every direction (the clean policy)
    CHECK(direct.invalidate == 4);
    CHECK(iommu.clean == direct.clean);
    CHECK(iommu.invalidate == direct.invalidate);
    CHECK(errors == 0);
    CHECK(s.sim.hazards() == 0);
}

TEST_CASE("dma_info_to_prot: read-only TO_DEVICE, write-only FROM_DEVICE, PRIVILEGED, IOMMU_CACHE when coherent",
          "[iommu-ops]") {
    IommuSim s;
    auto coherent = s.make_device("coherent");
    coherent->set_coherent(true);
    s.attach(s.dev);
    s.attach(*coherent);
    std::map<std::string, int> prots;
    uint64_t maintenance_before = 0, maintenance_coherent = 0;
    std::string fault = s.sim.run([&] {
        uint64_t pa = s.sim.kernel.alloc_contiguous(page);
        auto prot_of = [&](dma::Device& dev, DmaDirection dir, dma::Attrs attrs) {
            dma::dma_addr_t addr = dma::map_page(dev, pa, 0, page, dir, attrs);
            int result = s.domain(dev).prot_of(addr);
            dma::unmap_page(dev, addr, page, dir, attrs);
            return result;
        };
        prots["to_device"] = prot_of(s.dev, DmaDirection::to_device, 0);
        prots["from_device"] = prot_of(s.dev, DmaDirection::from_device, 0);
        prots["bidirectional"] = prot_of(s.dev, DmaDirection::bidirectional, 0);
        prots["privileged"] = prot_of(s.dev, DmaDirection::to_device, dma::attr::privileged);
        maintenance_before = s.sim.stat("dma.maint.clean") + s.sim.stat("dma.maint.invalidate");
        prots["coherent"] = prot_of(*coherent, DmaDirection::bidirectional, 0);
        maintenance_coherent = s.sim.stat("dma.maint.clean") + s.sim.stat("dma.maint.invalidate") - maintenance_before;
    });
    REQUIRE(fault.empty());
    CHECK(prots["to_device"] == prot::read);
    CHECK(prots["from_device"] == prot::write);
    CHECK(prots["bidirectional"] == (prot::read | prot::write));
    CHECK(prots["privileged"] == (prot::read | prot::priv));
    CHECK(prots["coherent"] == (prot::read | prot::write | prot::cache));
    CHECK(maintenance_coherent == 0);
}

TEST_CASE("sync_single finds the pages through iova_to_phys and hands the buffer back and forth", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    uint64_t to_cpu = 0, to_device = 0, invalidates = 0;
    std::string fault = s.sim.run([&] {
        uint64_t va = s.sim.kernel.kmalloc().kmalloc(512);
        dma::dma_addr_t addr = dma::map_single(s.dev, va, 512, DmaDirection::bidirectional);
        s.device_write(addr + 128, 256, device_pattern);
        uint64_t before = s.sim.stat("dma.maint.invalidate");
        dma::sync_single_range_for_cpu(s.dev, addr, 128, 256, DmaDirection::bidirectional);
        invalidates = s.sim.stat("dma.maint.invalidate") - before;
        to_cpu = s.sim.cpu_errors(va + 128, 256, device_pattern);
        s.sim.cpu_write(va, 512, cpu_pattern);
        dma::sync_single_for_device(s.dev, addr, 512, DmaDirection::bidirectional);
        to_device = s.device_errors(addr, 512, cpu_pattern);
        dma::unmap_single(s.dev, addr, 512, DmaDirection::bidirectional);
    });
    REQUIRE(fault.empty());
    CHECK(invalidates == 1);
    CHECK(to_cpu == 0);
    CHECK(to_device == 0);
    CHECK(s.sim.hazards() == 0);
}

// --- unmap: strict and lazy ---

TEST_CASE("strict unmap: the IOTLB is synced before unmap returns, and the IOVA is free again", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    std::vector<std::string> log_after_unmap;
    dma::dma_addr_t first = 0, reused = 0;
    std::string fault = s.sim.run([&] {
        uint64_t pa = s.sim.kernel.alloc_contiguous(page);
        first = dma::map_page(s.dev, pa, 0, page, DmaDirection::to_device);
        dma::unmap_page(s.dev, first, page, DmaDirection::to_device);
        log_after_unmap = s.domain().log;
        reused = dma::map_page(s.dev, pa, 0, page, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(log_after_unmap == std::vector<std::string>{"map", "unmap", "sync"});
    CHECK(reused == first);
    CHECK(s.sim.context.iommu_ops().flush_queue(s.domain()) == nullptr);
}

TEST_CASE("lazy unmap (iommu.strict=0): IOVAs wait in the flush queue until 10 ms later", "[iommu-ops]") {
    dma::Policy lazy;
    lazy.iommu_strict = false;
    IommuSim s(lazy);
    s.attach(s.dev);
    std::vector<std::string> log_after_unmap;
    dma::dma_addr_t first = 0, meanwhile = 0, after_flush = 0;
    bool queued_iova_held = false;
    size_t pending = 0;
    std::string fault = s.sim.run([&] {
        uint64_t pa = s.sim.kernel.alloc_contiguous(page);
        first = dma::map_page(s.dev, pa, 0, page, DmaDirection::to_device);
        dma::unmap_page(s.dev, first, page, DmaDirection::to_device);
        log_after_unmap = s.domain().log;
        pending = s.sim.context.iommu_ops().flush_queue(s.domain())->pending();
        queued_iova_held = s.sim.context.iommu_ops().iova_domain(s.domain())->find_iova(first >> 12).has_value();
        meanwhile = dma::map_page(s.dev, pa, 0, page, DmaDirection::to_device);
        uint64_t start = s.sim.cpu.now_ps();
        while (s.sim.cpu.now_ps() - start < dma::IovaFlushQueue::fq_timeout_ps)
            s.sim.cpu.compute(1000000);
        after_flush = dma::map_page(s.dev, pa, 0, page, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(log_after_unmap == std::vector<std::string>{"map", "unmap(queued)"});  // no sync
    CHECK(pending == 1);
    CHECK(queued_iova_held);
    CHECK(meanwhile == 0xffffe000);  // not the queued one
    CHECK(s.domain().count("flush_all") == 1);
    CHECK(s.sim.stat("dma.iommu.fq_flushes") == 1);
    CHECK(after_flush == first);  // freed by the flush, found again from the top
    CHECK(s.sim.context.iommu_ops().flush_queue(s.domain())->pending() == 0);
}

TEST_CASE("lazy unmap: a full flush queue (255 entries) is flushed by the next unmap", "[iommu-ops]") {
    dma::Policy lazy;
    lazy.iommu_strict = false;
    IommuSim s(lazy);
    s.attach(s.dev);
    size_t flushes_when_full = 0, pending_when_full = 0;
    std::string fault = s.sim.run([&] {
        uint64_t pa = s.sim.kernel.alloc_contiguous(page);
        for (size_t i = 0; i < dma::IovaFlushQueue::fq_size; ++i) {
            if (i == dma::IovaFlushQueue::fq_size - 1) {
                flushes_when_full = s.domain().count("flush_all");
                pending_when_full = s.sim.context.iommu_ops().flush_queue(s.domain())->pending();
            }
            dma::dma_addr_t addr = dma::map_page(s.dev, pa, 0, page, DmaDirection::to_device);
            dma::unmap_page(s.dev, addr, page, DmaDirection::to_device);
        }
    });
    REQUIRE(fault.empty());
    CHECK(flushes_when_full == 0);
    CHECK(pending_when_full == 255);
    CHECK(s.domain().count("flush_all") == 1);
    CHECK(s.sim.context.iommu_ops().flush_queue(s.domain())->pending() == 1);
    CHECK(s.domain().count("sync") == 0);
}

// --- untrusted devices ---

TEST_CASE("an untrusted device bounces a sub-page buffer (granule-aligned, padding zeroed), not a page",
          "[iommu-ops]") {
    dma::Policy lazy;
    lazy.iommu_strict = false;  // an untrusted device is strict anyway
    IommuSim s(lazy);
    s.dev.set_untrusted(true);
    s.attach(s.dev);
    dma::dma_addr_t small = 0, whole = 0;
    uint64_t bounce_pa = 0, page_pa = 0, to_device_errors = 0, padding_errors = 0, back_errors = 0, bounces = 0;
    std::vector<std::string> log_after_unmap;
    std::string fault = s.sim.run([&] {
        dma::Swiotlb& swiotlb = s.sim.context.swiotlb();
        s.sim.cpu_write(sw::Kernel::phys_to_virt(swiotlb.start()), 2 * page, cpu_pattern);  // old contents
        uint64_t va = s.sim.kernel.kmalloc().kmalloc(256);
        s.sim.cpu_write(va, 256, cpu_pattern);
        small = dma::map_single(s.dev, va, 256, DmaDirection::bidirectional);
        bounce_pa = s.domain().pa_of(small);
        to_device_errors = s.device_errors(small, 256, cpu_pattern);
        padding_errors = s.sim.cpu_errors(sw::Kernel::phys_to_virt(bounce_pa + 256), page - 256, zero_pattern);
        s.device_write(small, 256, device_pattern);
        dma::unmap_single(s.dev, small, 256, DmaDirection::bidirectional);
        log_after_unmap = s.domain().log;
        back_errors = s.sim.cpu_errors(va, 256, device_pattern);
        bounces = s.sim.stat("swiotlb.maps");
        page_pa = s.sim.kernel.alloc_contiguous(page);
        whole = dma::map_page(s.dev, page_pa, 0, page, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(s.sim.context.swiotlb().is_swiotlb_buffer(bounce_pa));
    CHECK(bounce_pa % page == 0);
    CHECK(small % page == 0);
    CHECK(to_device_errors == 0);
    CHECK(padding_errors == 0);
    CHECK(back_errors == 0);  // copied back at unmap
    CHECK(bounces == 1);
    CHECK(log_after_unmap == std::vector<std::string>{"map", "unmap", "sync"});  // strict
    CHECK(s.sim.context.iommu_ops().flush_queue(s.domain()) == nullptr);
    CHECK(s.sim.stat("swiotlb.maps") == 1);  // the whole page was not bounced
    CHECK(s.domain().pa_of(whole) == page_pa);
    CHECK(dma::max_mapping_size(s.dev) == dma::Swiotlb::max_mapping_size);
}

TEST_CASE("an untrusted device's map_sg maps each entry on its own, bounced where sub-page", "[iommu-ops]") {
    IommuSim s;
    s.dev.set_untrusted(true);
    s.attach(s.dev);
    std::vector<dma::Scatterlist> sgl;
    int mapped = 0;
    uint64_t errors = 0;
    std::string fault = s.sim.run([&] {
        uint64_t pa = s.sim.kernel.alloc_contiguous(2 * page);
        s.sim.cpu_write(sw::Kernel::phys_to_virt(pa), 2 * page, cpu_pattern);
        sgl = {dma::Scatterlist{pa, 0, page}, dma::Scatterlist{pa + page, 0, 100}};
        mapped = dma::map_sg(s.dev, sgl, 2, DmaDirection::to_device);
        errors = s.device_errors(sgl[1].dma_address, 100, cpu_pattern);
        dma::unmap_sg(s.dev, sgl, 2, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(mapped == 2);
    CHECK(s.domain().maps.size() == 2);
    CHECK(s.sim.stat("swiotlb.maps") == 1);
    CHECK(errors == 0);
    CHECK(s.domain().mapped_pages() == 0);
}

// Linux's iommu_dma_map_page has swiotlb_tbl_map_single allocate iova_align(size) bytes on the
// granule (newer kernels: ALIGN(size, alloc_align_mask + 1) inside it), so the IOMMU page the
// device reaches is all its own bounce buffer: neither the zeroed padding nor what the device
// writes there lands in another mapping's slots.
TEST_CASE("iommu_dma_map_page: an untrusted device's bounce buffer takes its whole IOVA granule of swiotlb slots",
          "[iommu-ops][swiotlb]") {
    dma::Policy forced;
    forced.swiotlb_force = true;  // the trusted bus master (direct ops) bounces into the same pool
    IommuSim s(forced);
    s.dev.set_untrusted(true);
    s.attach(s.dev);
    uint64_t untrusted_bounce = 0, untrusted_slots = 0, trusted_bounce = 0, trusted_errors = 0, untrusted_errors = 0;
    std::string fault = s.sim.run([&] {
        dma::Swiotlb& swiotlb = s.sim.context.swiotlb();
        uint64_t small = s.sim.kernel.kmalloc().kmalloc(32);
        s.sim.cpu_write(small, 32, cpu_pattern);
        uint64_t used_before = swiotlb.used();
        dma::dma_addr_t iova = dma::map_single(s.dev, small, 32, DmaDirection::bidirectional);
        untrusted_slots = swiotlb.used() - used_before;
        untrusted_bounce = s.domain().pa_of(iova);
        uint64_t other = s.sim.kernel.kmalloc().kmalloc(512);
        s.sim.cpu_write(other, 512, cpu_pattern);
        dma::dma_addr_t addr = dma::map_single(s.sim.dev, other, 512, DmaDirection::bidirectional);
        trusted_bounce = s.sim.dev.dma_to_phys(addr);
        s.device_write(iova, page, device_pattern);  // the untrusted device writes all it reaches
        dma::unmap_single(s.sim.dev, addr, 512, DmaDirection::bidirectional);
        trusted_errors = s.sim.cpu_errors(other, 512, cpu_pattern);
        dma::unmap_single(s.dev, iova, 32, DmaDirection::bidirectional);
        untrusted_errors = s.sim.cpu_errors(small, 32, device_pattern);
    });
    REQUIRE(fault.empty());
    CHECK(untrusted_bounce % page == 0);
    CHECK(untrusted_slots == page / dma::Swiotlb::io_tlb_size);  // 2 slots of 2 KiB for 32 bytes
    CHECK(s.sim.context.swiotlb().is_swiotlb_buffer(trusted_bounce));
    CHECK((trusted_bounce < untrusted_bounce || trusted_bounce >= untrusted_bounce + page));
    CHECK(trusted_errors == 0);
    CHECK(untrusted_errors == 0);
    CHECK(s.sim.stat("swiotlb.slots_in_use") == 0);
}

// What a NIC on an external port does with swiotlb: small frames of every size and direction, 63
// mapped at a time, unmapped in order; each one's bytes cross both ways and its slots come back.
TEST_CASE("an untrusted device's small buffers, 63 live at a time: data intact both ways, every swiotlb slot back",
          "[iommu-ops][swiotlb]") {
    IommuSim s;
    s.dev.set_untrusted(true);
    s.attach(s.dev);
    constexpr int buffers = 400;
    constexpr size_t live_at_once = 63;
    const DmaDirection dirs[3] = {DmaDirection::to_device, DmaDirection::from_device, DmaDirection::bidirectional};
    struct Live {
        uint64_t va, size;
        DmaDirection dir;
        dma::dma_addr_t iova;
    };
    uint64_t device_read_errors = 0, cpu_read_errors = 0, wrong_slot_counts = 0, most_slots = 0, mapped = 0;
    std::string fault = s.sim.run([&] {
        dma::Swiotlb& swiotlb = s.sim.context.swiotlb();
        std::deque<Live> live;
        auto unmap_oldest = [&] {
            const Live& oldest = live.front();
            dma::unmap_single(s.dev, oldest.iova, oldest.size, oldest.dir);
            Pattern expected = oldest.dir == DmaDirection::to_device ? cpu_pattern : device_pattern;
            cpu_read_errors += s.sim.cpu_errors(oldest.va, oldest.size, expected);
            s.sim.kernel.kmalloc().kfree(oldest.va);
            live.pop_front();
        };
        for (int i = 0; i < buffers; ++i) {
            if (live.size() == live_at_once)
                unmap_oldest();
            Live buffer{0, 8 + uint64_t(i) * 37 % 1500, dirs[i % 3], 0};
            buffer.va = s.sim.kernel.kmalloc().kmalloc(buffer.size);
            s.sim.cpu_write(buffer.va, buffer.size, cpu_pattern);
            uint64_t used_before = swiotlb.used();
            buffer.iova = dma::map_single(s.dev, buffer.va, buffer.size, buffer.dir);
            mapped += !dma::mapping_error(s.dev, buffer.iova);
            // A sub-page buffer at a sub-page offset: one granule, two slots.
            wrong_slot_counts += swiotlb.used() - used_before != page / dma::Swiotlb::io_tlb_size;
            most_slots = std::max(most_slots, swiotlb.used());
            if (buffer.dir != DmaDirection::from_device)
                device_read_errors += s.device_errors(buffer.iova, buffer.size, cpu_pattern);
            if (buffer.dir != DmaDirection::to_device)
                s.device_write(buffer.iova, buffer.size, device_pattern);
            live.push_back(buffer);
        }
        while (!live.empty())
            unmap_oldest();
    });
    REQUIRE(fault.empty());
    CHECK(mapped == buffers);
    CHECK(device_read_errors == 0);
    CHECK(cpu_read_errors == 0);
    CHECK(wrong_slot_counts == 0);
    CHECK(most_slots == live_at_once * 2);
    CHECK(s.sim.stat("swiotlb.maps") == buffers);
    CHECK(s.sim.stat("swiotlb.slots_in_use") == 0);
    CHECK(s.sim.context.swiotlb().used() == 0);
    CHECK(s.domain().mapped_pages() == 0);
}

// --- allocations ---

TEST_CASE("alloc_coherent on a non-coherent device: scattered pages, one IOVA range, a normal_nc vmap", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    uint64_t cpu_addr = 0, zero_errors = 0, data_errors = 0, flushes = 0;
    dma::dma_addr_t handle = 0;
    models::MemType cpu_type = models::MemType::normal_wb, alias_type = models::MemType::normal_wb,
                    alias_after_free = models::MemType::normal_nc;
    std::vector<FakeDomain::MapCall> maps;
    bool freed = false;
    std::string fault = s.sim.run([&] {
        punch_holes(s.sim, 8);
        cpu_addr = dma::alloc_coherent(s.dev, 4 * page, handle);
        maps = s.domain().maps;
        flushes = s.sim.stat("dma.maint.flush");
        cpu_type = s.sim.type_of(cpu_addr);
        alias_type = s.sim.linear_type(maps.at(0).pa);
        zero_errors = s.cpu_errors_by_page(handle, cpu_addr, 4 * page, zero_pattern);
        s.device_write(handle, 4 * page, device_pattern);
        data_errors = s.cpu_errors_by_page(handle, cpu_addr, 4 * page, device_pattern);
        dma::free_coherent(s.dev, 4 * page, cpu_addr, handle);
        alias_after_free = s.sim.linear_type(maps.at(0).pa);
        freed = !s.sim.kernel.page_allocator().is_allocated(maps.at(0).pa);
    });
    REQUIRE(fault.empty());
    CHECK(handle == 0xffffc000);
    REQUIRE(maps.size() >= 2);  // built from single-page holes: not one run
    uint64_t total = 0;
    for (size_t i = 0; i < maps.size(); ++i) {
        CHECK(maps[i].iova == handle + total);  // one contiguous IOVA range
        CHECK(maps[i].prot == (prot::read | prot::write));
        if (i > 0)
            CHECK(maps[i].pa != maps[i - 1].pa + maps[i - 1].size);
        total += maps[i].size;
    }
    CHECK(total == 4 * page);
    CHECK(flushes == maps.size());  // arch_dma_prep_coherent per run
    CHECK(sw::Kernel::is_vmalloc_addr(cpu_addr));
    CHECK(cpu_type == models::MemType::write_combined);
    CHECK(alias_type == models::MemType::normal_nc);  // Policy::alias removed
    CHECK(zero_errors == 0);
    CHECK(data_errors == 0);
    CHECK(alias_after_free == models::MemType::normal_wb);
    CHECK(freed);
    CHECK(s.domain().mapped_pages() == 0);
    CHECK(s.sim.hazards() == 0);
    CHECK(s.sim.stat("dma_debug.reports") == 0);
}

TEST_CASE("alloc_attrs: WRITE_COMBINE vmaps write-combined, a coherent device gets IOMMU_CACHE, a cacheable "
          "vmap and no flush",
          "[iommu-ops]") {
    IommuSim s;
    auto coherent = s.make_device("coherent");
    coherent->set_coherent(true);
    s.attach(s.dev);
    s.attach(*coherent);
    models::MemType wc_type = models::MemType::normal_wb, coherent_type = models::MemType::normal_nc;
    uint64_t coherent_flushes = 0;
    std::string fault = s.sim.run([&] {
        dma::dma_addr_t handle = 0;
        uint64_t wc = dma::alloc_attrs(s.dev, page, handle, dma::attr::write_combine);
        wc_type = s.sim.type_of(wc);
        dma::free_attrs(s.dev, page, wc, handle, dma::attr::write_combine);
        uint64_t before = s.sim.stat("dma.maint.flush");
        uint64_t cached = dma::alloc_coherent(*coherent, page, handle);
        coherent_flushes = s.sim.stat("dma.maint.flush") - before;
        coherent_type = s.sim.type_of(cached);
        dma::free_coherent(*coherent, page, cached, handle);
    });
    REQUIRE(fault.empty());
    CHECK(wc_type == models::MemType::write_combined);
    CHECK(coherent_type == models::MemType::normal_wb);
    CHECK(coherent_flushes == 0);
    CHECK(s.domain(*coherent).maps.at(0).prot == (prot::read | prot::write | prot::cache));
}

TEST_CASE("NO_KERNEL_MAPPING: no vmap, the first page's linear address as the cookie", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    uint64_t cookie = 0;
    dma::dma_addr_t handle = 0;
    models::MemType alias = models::MemType::normal_nc;
    std::string fault = s.sim.run([&] {
        cookie = dma::alloc_attrs(s.dev, 2 * page, handle, dma::attr::no_kernel_mapping);
        alias = s.sim.linear_type(sw::Kernel::virt_to_phys(cookie));
        dma::free_attrs(s.dev, 2 * page, cookie, handle, dma::attr::no_kernel_mapping);
    });
    REQUIRE(fault.empty());
    CHECK(s.sim.kernel.virt_addr_valid(cookie));
    CHECK(sw::Kernel::virt_to_phys(cookie) == s.domain().maps.at(0).pa);
    CHECK(alias == models::MemType::normal_wb);  // no CPU mapping to keep coherent with
    CHECK(handle == 0xffffe000);
    CHECK(s.sim.stat("dma.alloc_failures") == 0);
    CHECK(s.sim.stat("dma.bad_frees") == 0);
}

TEST_CASE("an atomic alloc_coherent on a non-coherent device comes from the atomic pool, mapped", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    uint64_t cpu_addr = 0, used_after_free = 1;
    dma::dma_addr_t handle = 0;
    std::string fault = s.sim.run([&] {
        cpu_addr = dma::alloc_coherent(s.dev, 2 * page, handle, dma::Gfp::atomic);
        dma::free_coherent(s.dev, 2 * page, cpu_addr, handle);
        used_after_free = s.sim.stat("dma.atomic_pool.used");
    });
    REQUIRE(fault.empty());
    const dma::AtomicPool& pool = s.sim.context.atomic_pool();
    REQUIRE(s.domain().maps.size() == 1);
    uint64_t pa = s.domain().maps[0].pa;
    CHECK(pa - pool.phys_base() < pool.size());
    CHECK(s.domain().maps[0].size == 2 * page);
    CHECK(handle == 0xffffe000);
    CHECK(s.sim.stat("dma.atomic_pool.allocs") == 1);
    CHECK(used_after_free == 0);
    CHECK(s.domain().mapped_pages() == 0);
}

TEST_CASE("ALLOC_SINGLE_PAGES builds a 2 MiB buffer from single pages, without it one 2 MiB block", "[iommu-ops]") {
    IommuSim s;
    auto single = s.make_device("single");
    s.attach(s.dev);
    s.attach(*single);
    constexpr uint64_t two_mib = 2ULL << 20;
    std::string fault = s.sim.run([&] {
        punch_holes(s.sim, 8);
        dma::dma_addr_t handle = 0;
        uint64_t blocks = dma::alloc_coherent(s.dev, two_mib, handle);
        dma::free_coherent(s.dev, two_mib, blocks, handle);
        uint64_t pages = dma::alloc_attrs(*single, two_mib, handle, dma::attr::alloc_single_pages);
        dma::free_attrs(*single, two_mib, pages, handle, dma::attr::alloc_single_pages);
    });
    REQUIRE(fault.empty());
    const std::vector<FakeDomain::MapCall>& block_maps = s.domain().maps;
    REQUIRE(block_maps.size() == 1);  // one order-9 block: the holes are not used
    CHECK(block_maps[0].size == two_mib);
    CHECK(block_maps[0].pa % two_mib == 0);
    const std::vector<FakeDomain::MapCall>& page_maps = s.domain(*single).maps;
    CHECK(page_maps.size() > 1);  // the holes first
    CHECK(page_maps.at(0).size == page);
}

TEST_CASE("FORCE_CONTIGUOUS: one physically contiguous run (CMA), remapped uncached", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    models::MemType type = models::MemType::normal_wb;
    std::string fault = s.sim.run([&] {
        punch_holes(s.sim, 8);
        dma::dma_addr_t handle = 0;
        uint64_t cpu_addr = dma::alloc_attrs(s.dev, 4 * page, handle, dma::attr::force_contiguous);
        type = s.sim.type_of(cpu_addr);
        dma::free_attrs(s.dev, 4 * page, cpu_addr, handle, dma::attr::force_contiguous);
    });
    REQUIRE(fault.empty());
    REQUIRE(s.domain().maps.size() == 1);
    CHECK(s.domain().maps[0].size == 4 * page);
    sw::CmaArea* cma = s.sim.kernel.page_allocator().default_cma();
    REQUIRE(cma);
    CHECK(cma->contains(s.domain().maps[0].pa));
    CHECK(cma->used_pages() == 0);  // given back
    CHECK(type == models::MemType::write_combined);
}

TEST_CASE("alloc_pages: contiguous zeroed pages mapped without maintenance, free_pages unmaps them", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    uint64_t pa = 0, maintenance = 0, zero_errors = 0;
    dma::dma_addr_t handle = 0;
    std::string fault = s.sim.run([&] {
        uint64_t before = s.sim.stat("dma.maint.clean") + s.sim.stat("dma.maint.invalidate");
        pa = dma::alloc_pages(s.dev, 2 * page, handle, DmaDirection::from_device);
        maintenance = s.sim.stat("dma.maint.clean") + s.sim.stat("dma.maint.invalidate") - before;
        zero_errors = s.sim.cpu_errors(sw::Kernel::phys_to_virt(pa), 2 * page, zero_pattern);
        dma::free_pages(s.dev, 2 * page, pa, handle, DmaDirection::from_device);
    });
    REQUIRE(fault.empty());
    CHECK(handle == 0xffffe000);
    REQUIRE(s.domain().maps.size() == 1);
    CHECK(s.domain().maps[0].pa == pa);
    CHECK(s.domain().maps[0].prot == prot::write);
    CHECK(maintenance == 0);
    CHECK(zero_errors == 0);
    CHECK(s.domain().mapped_pages() == 0);
}

// --- what the rest of the layer sees ---

TEST_CASE("mapping records of an IOMMU mapping carry its IOVA and every physical run", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    dma::MappingHistory history({});
    s.sim.context.add_mapping_listener(history);
    std::vector<uint64_t> pages;
    std::optional<dma::DmaMapping> live;
    std::string fault = s.sim.run([&] {
        pages = scattered_pages(s.sim, 4);
        std::vector<dma::Scatterlist> sgl;
        for (uint64_t pa : pages)
            sgl.push_back(dma::Scatterlist{pa, 0, page});
        REQUIRE(dma::map_sg(s.dev, sgl, 4, DmaDirection::to_device) == 1);
        if (const dma::DmaMapping* found = history.covering(pages[2] + 100))
            live = *found;
        dma::unmap_sg(s.dev, sgl, 4, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    REQUIRE(live);
    CHECK(live->dma_addr == 0xffffc000);
    CHECK(live->pa == pages[0]);
    CHECK(live->size == 4 * page);
    REQUIRE(live->extents.size() == 4);
    CHECK(live->extents[2].pa == pages[2]);
    CHECK(live->extents[2].size == page);
    CHECK(history.live_count() == 0);                // the unmap record closed it
    CHECK_FALSE(history.covering(pages[0] + page));  // the page between the first two is not the mapping's
}

TEST_CASE("dma-debug checks IOMMU mappings as direct ones: an unmap with the wrong size is reported",
          "[iommu-ops][dma-debug]") {
    IommuSim s;
    s.attach(s.dev);
    std::string fault = s.sim.run([&] {
        uint64_t va = s.sim.kernel.kmalloc().kmalloc(256);
        dma::dma_addr_t addr = dma::map_single(s.dev, va, 256, DmaDirection::to_device);
        REQUIRE_FALSE(dma::mapping_error(s.dev, addr));
        dma::unmap_single(s.dev, addr, 128, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(s.sim.stat("dma_debug.free_different_size") == 1);
    CHECK(s.sim.context.debug().active_entries() == 0);
}

TEST_CASE("an unmap or sync of an address nothing maps is warned, not acted on", "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    std::string fault = s.sim.run([&] {
        dma::sync_single_for_cpu(s.dev, 0x80000000, 64, DmaDirection::from_device);
        dma::unmap_page(s.dev, dma::DMA_MAPPING_ERROR, 64, DmaDirection::from_device);
    });
    REQUIRE(fault.empty());
    CHECK(s.sim.stat("dma.bad_handles") == 2);
    CHECK(s.domain().log.empty());
    CHECK_THAT(
        s.sim.context.warnings().at(0),
        Catch::Equals("0000:00:01.0: sync_single_for_cpu of DMA addr 0x80000000: no IOMMU mapping translates it"));
}

TEST_CASE("IOMMU ops' mask queries: any mask, a 32-bit required mask, no mapping size limit when trusted",
          "[iommu-ops]") {
    IommuSim s;
    s.attach(s.dev);
    CHECK(dma::set_mask(s.dev, dma::dma_bit_mask(24)) == 0);  // direct ops refuse this on this platform
    CHECK(dma::dma_supported(s.dev, dma::dma_bit_mask(12)));
    CHECK(dma::get_required_mask(s.dev) == dma::dma_bit_mask(32));
    CHECK(dma::max_mapping_size(s.dev) == ~0ULL);
}
