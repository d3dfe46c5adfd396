// dma-buf (dma/dma_buf.h, Linux's drivers/dma-buf/dma-buf.c) with the system-heap exporter
// (dma/system_heap.h, Linux's heaps/system_heap.c) on the non-coherent PCI platform, whose kernel
// puts the heap's pages above 4 GiB: three importers of one buffer, each a dma::Device of its own
// with the ops its reach gives it — a 64-bit one maps directly (bus address = physical address), a
// 32-bit one bounces through swiotlb (in ZONE_DMA, below 4 GiB), one behind the fake IOMMU of
// fake_iommu.h gets IOVAs. What a device would read is memory behind the caches, read by the back
// door at the physical address its bus address leads to.
#include "dma/dma_buf.h"
#include "dma/iommu_ops.h"
#include "dma/system_heap.h"
#include "fake_iommu.h"
#include "pci_sim.h"
#include "sw/kernel/kernel.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using dma::DmaDirection;

namespace {

constexpr uint64_t kib = 1024;
constexpr uint64_t high_ram = 0x880000000;  // the bank above 4 GiB (ZONE_NORMAL)

std::vector<uint8_t> frame(uint64_t size, uint8_t salt) {
    std::vector<uint8_t> data(size);
    for (uint64_t i = 0; i < size; ++i)
        data[i] = static_cast<uint8_t>(salt + i * 7);
    return data;
}

// The platform, the fake IOMMU registered with its DMA layer, and the three importers.
struct BufSim {
    BufSim() : wide("wide", sim.context), narrow("narrow", sim.context), behind("behind", sim.context) {
        wide.store_dma_mask(dma::dma_bit_mask(64));
        wide.store_coherent_dma_mask(dma::dma_bit_mask(64));
        sim.context.register_iommu(iommu);
        behind.set_iommu_fwspec(dma::IommuFwspec{fake_iommu::iommu_node, {0x100}});
    }

    // Inside the program: iommu_configure for `behind`.
    void attach_iommu() {
        std::string error;
        if (!dma::iommu_configure(behind, error))
            throw std::runtime_error(error);
    }

    // The CPU writes `data` into the buffer through the linear map, page run by page run.
    void cpu_write(const dma::DmaBuf& buf, const std::vector<uint8_t>& data) {
        uint64_t offset = 0;
        for (const dma::Scatterlist& sg : dma::system_heap_table(buf).sgl) {
            sim.cpu.write_block(sw::Kernel::phys_to_virt(sg.pa), data.data() + offset, sg.length);
            offset += sg.length;
        }
    }

    // What a device reads at a DMA segment: memory at the physical address its bus address
    // leads to (identity on direct ops, the fake domain's map behind the IOMMU).
    std::vector<uint8_t> device_view(dma::Device& dev, const dma::Scatterlist& sg) {
        uint64_t pa = dev.iommu_domain() ? iommu.domains.at(dev.name())->pa_of(sg.dma_address) : sg.dma_address;
        return sim.memory(pa, sg.dma_length);
    }

    dma::DmaDebug& debug() { return sim.context.debug(); }

    pci_sim::PciSim sim;
    fake_iommu::FakeIommu iommu;
    dma::Device wide, narrow, behind;
};

}  // namespace

TEST_CASE("system heap: the largest of 1 MiB, 64 KiB and 4 KiB blocks first, zeroed, above 4 GiB", "[dma_buf]") {
    BufSim s;
    std::vector<uint64_t> lengths;
    uint64_t first_pa = 0;
    uint64_t pages_allocated = 0;
    s.sim.run([&] {
        uint64_t before = s.sim.kernel.page_allocator().nr_allocated_pages();
        std::unique_ptr<dma::DmaBuf> buf = dma::system_heap_allocate(s.sim.context, 1024 * kib + 68 * kib);
        REQUIRE(buf);
        CHECK(buf->exp_name() == "system");
        CHECK(buf->size() == 1092 * kib);
        for (const dma::Scatterlist& sg : dma::system_heap_table(*buf).sgl)
            lengths.push_back(sg.length);
        first_pa = dma::system_heap_table(*buf).sgl.at(0).pa;
        pages_allocated = s.sim.kernel.page_allocator().nr_allocated_pages() - before;
        dma::dma_buf_put(std::move(buf));
        CHECK(s.sim.kernel.page_allocator().nr_allocated_pages() == before);  // release frees every block
    });
    CHECK(lengths == std::vector<uint64_t>{1024 * kib, 64 * kib, 4 * kib});
    CHECK(pages_allocated == 273);
    CHECK(first_pa >= high_ram);
    CHECK(s.sim.stat("dma.buf.exported") == 1);
}

TEST_CASE("dma-buf: each importer maps its own table with its own device's ops (direct, swiotlb, IOMMU)", "[dma_buf]") {
    BufSim s;
    constexpr uint64_t size = 64 * kib;
    std::string fault = s.sim.run([&] {
        s.attach_iommu();
        std::unique_ptr<dma::DmaBuf> buf = dma::system_heap_allocate(s.sim.context, size);
        REQUIRE(buf);
        const dma::SgTable& pages = dma::system_heap_table(*buf);
        REQUIRE(pages.orig_nents == 1);  // one 64 KiB block
        uint64_t pa = pages.sgl[0].pa;
        dma::DmaBufAttachment* direct = dma::dma_buf_attach(*buf, s.wide);
        dma::DmaBufAttachment* bounced = dma::dma_buf_attach(*buf, s.narrow);
        dma::DmaBufAttachment* translated = dma::dma_buf_attach(*buf, s.behind);
        REQUIRE((direct && bounced && translated));
        CHECK(buf->attachments() == std::vector<dma::DmaBufAttachment*>{translated, bounced, direct});
        CHECK(s.sim.stat("dma.buf.attachments") == 3);

        dma::SgTable* t_direct = dma::dma_buf_map_attachment(*direct, DmaDirection::to_device);
        dma::SgTable* t_bounced = dma::dma_buf_map_attachment(*bounced, DmaDirection::to_device);
        dma::SgTable* t_translated = dma::dma_buf_map_attachment(*translated, DmaDirection::to_device);
        REQUIRE((t_direct && t_bounced && t_translated));
        // One table per attachment (dup_sg_table), each over the buffer's pages, never the buffer's own.
        CHECK(std::set<dma::SgTable*>{t_direct, t_bounced, t_translated}.size() == 3);
        CHECK(&pages != t_direct);
        for (dma::SgTable* table : {t_direct, t_bounced, t_translated}) {
            REQUIRE(table->nents == 1);
            CHECK(table->sgl[0].pa == pa);
            CHECK(table->sgl[0].dma_length == size);
        }
        CHECK(direct->mapped() == t_direct);
        CHECK(direct->mapped_dir() == DmaDirection::to_device);

        // Direct: the 64-bit device reaches the page at its own address.
        CHECK(t_direct->sgl[0].dma_address == pa);
        // Bounced: the 32-bit device gets a swiotlb slot run below 4 GiB, filled at map.
        dma::dma_addr_t bounce = t_bounced->sgl[0].dma_address;
        CHECK(bounce < (1ULL << 32));
        CHECK(s.sim.context.swiotlb().is_swiotlb_buffer(bounce));
        // Behind the IOMMU: an IOVA below the 32-bit mask that the domain maps to the page.
        dma::dma_addr_t iova = t_translated->sgl[0].dma_address;
        CHECK(iova < (1ULL << 32));
        CHECK(iova != pa);
        CHECK(s.iommu.domains.at("behind")->pa_of(iova) == pa);

        CHECK(direct->stats().bounce_buffers == 0);
        CHECK(direct->stats().iommu_maps == 0);
        CHECK(bounced->stats().bounce_buffers == 1);
        CHECK(bounced->stats().bounced_bytes == size);  // the copy into the bounce buffer at map
        CHECK(bounced->stats().iommu_maps == 0);
        CHECK(translated->stats().bounce_buffers == 0);
        CHECK(translated->stats().iommu_maps == 1);
        for (dma::DmaBufAttachment* attach : {direct, bounced, translated}) {
            CHECK(attach->stats().maps == 1);
            CHECK(attach->stats().dma_segments == 1);
        }

        // dma-debug records each attachment's mapping under its importer, as any map_sg.
        for (dma::Device* dev : {&s.wide, &s.narrow, &s.behind}) {
            std::vector<dma::DebugEntry> entries = s.debug().entries_of(*dev);
            REQUIRE(entries.size() == 1);
            CHECK(entries[0].type == dma::DebugType::sg);
            CHECK(entries[0].paddr == pa);
        }

        dma::dma_buf_unmap_attachment(*direct, *t_direct, DmaDirection::to_device);
        dma::dma_buf_unmap_attachment(*bounced, *t_bounced, DmaDirection::to_device);
        dma::dma_buf_unmap_attachment(*translated, *t_translated, DmaDirection::to_device);
        CHECK(direct->mapped() == nullptr);
        CHECK(s.iommu.domains.at("behind")->mapped_pages() == 0);
        CHECK(s.sim.context.swiotlb().used() == 0);
        for (dma::DmaBufAttachment* attach : {direct, bounced, translated})
            dma::dma_buf_detach(*buf, attach);
        CHECK(buf->attachments().empty());
        dma::dma_buf_put(std::move(buf));
        s.debug().check_leaks_at_exit();
    });
    CHECK(fault.empty());
    CHECK(s.sim.stat("dma.buf.maps") == 3);
    CHECK(s.sim.stat("dma.buf.bounce_buffers") == 1);
    CHECK(s.sim.stat("dma.buf.iommu_maps") == 1);
    CHECK(s.sim.stat("dma.buf.attachments") == 0);
    CHECK(s.sim.stat("dma.buf.misuse") == 0);
    CHECK(s.sim.stat("dma_debug.reports") == 0);
}

namespace {

// What the three importers of a 64 KiB buffer saw after the CPU wrote it between
// dma_buf_begin_cpu_access(TO_DEVICE) and, with `bracket`, dma_buf_end_cpu_access.
struct CpuWrite {
    std::vector<uint8_t> data, seen_direct, seen_bounced, seen_translated;
    dma::DmaBufAttachmentStats direct, bounced, translated, idle;
    uint64_t cleans = 0;  // ranges cleaned by the bracket
};

constexpr uint64_t frame_size = 64 * kib;

CpuWrite cpu_write_between(BufSim& s, bool bracket) {
    CpuWrite r;
    r.data = frame(frame_size, 0x5a);
    s.sim.run([&] {
        s.attach_iommu();
        std::unique_ptr<dma::DmaBuf> buf = dma::system_heap_allocate(s.sim.context, frame_size);
        dma::DmaBufAttachment* direct = dma::dma_buf_attach(*buf, s.wide);
        dma::DmaBufAttachment* bounced = dma::dma_buf_attach(*buf, s.narrow);
        dma::DmaBufAttachment* translated = dma::dma_buf_attach(*buf, s.behind);
        dma::Device idle_dev("idle", s.sim.context);
        dma::DmaBufAttachment* idle = dma::dma_buf_attach(*buf, idle_dev);  // attached, never mapped
        dma::SgTable* t_direct = dma::dma_buf_map_attachment(*direct, DmaDirection::to_device);
        dma::SgTable* t_bounced = dma::dma_buf_map_attachment(*bounced, DmaDirection::to_device);
        dma::SgTable* t_translated = dma::dma_buf_map_attachment(*translated, DmaDirection::to_device);

        uint64_t cleans_before = s.sim.stat("dma.maint.clean");
        REQUIRE(dma::dma_buf_begin_cpu_access(*buf, DmaDirection::to_device) == 0);
        s.cpu_write(*buf, r.data);
        if (bracket)
            REQUIRE(dma::dma_buf_end_cpu_access(*buf, DmaDirection::to_device) == 0);
        r.cleans = s.sim.stat("dma.maint.clean") - cleans_before;
        r.seen_direct = s.device_view(s.wide, t_direct->sgl[0]);
        r.seen_bounced = s.device_view(s.narrow, t_bounced->sgl[0]);
        r.seen_translated = s.device_view(s.behind, t_translated->sgl[0]);
        r.direct = direct->stats();
        r.bounced = bounced->stats();
        r.translated = translated->stats();
        r.idle = idle->stats();

        dma::dma_buf_unmap_attachment(*direct, *t_direct, DmaDirection::to_device);
        dma::dma_buf_unmap_attachment(*bounced, *t_bounced, DmaDirection::to_device);
        dma::dma_buf_unmap_attachment(*translated, *t_translated, DmaDirection::to_device);
        for (dma::DmaBufAttachment* attach : buf->attachments())
            dma::dma_buf_detach(*buf, attach);
        dma::dma_buf_put(std::move(buf));
    });
    // begin_cpu_access(TO_DEVICE) syncs each mapped table for the CPU: nothing to do for a buffer
    // the devices only read (no invalidate, no copy back), but it is done for each of the three.
    CHECK(r.direct.syncs_for_cpu == 1);
    CHECK(r.bounced.syncs_for_cpu == 1);
    CHECK(r.translated.syncs_for_cpu == 1);
    CHECK(r.idle.syncs_for_cpu == 0);
    CHECK(r.idle.syncs_for_device == 0);
    CHECK(s.sim.stat("dma.buf.cpu_access.begin") == 1);
    CHECK(s.sim.stat("dma_debug.reports") == 0);
    return r;
}

}  // namespace

TEST_CASE("dma-buf: end_cpu_access syncs every mapped attachment for its device: each device reads the CPU's "
          "bytes",
          "[dma_buf]") {
    BufSim s;
    CpuWrite r = cpu_write_between(s, true);
    // One clean per mapped non-coherent attachment (the bounced one cleans its bounce buffer) and a
    // copy into the bounce buffer.
    CHECK(r.direct.syncs_for_device == 1);
    CHECK(r.translated.syncs_for_device == 1);
    CHECK(r.cleans == 3);
    CHECK(r.bounced.bounced_bytes == 2 * frame_size);  // map, then end_cpu_access
    CHECK(r.seen_direct == r.data);
    CHECK(r.seen_bounced == r.data);
    CHECK(r.seen_translated == r.data);
    CHECK(s.sim.stat("dma.buf.cpu_access.end") == 1);
    CHECK(s.sim.stat("dma.buf.syncs") == 6);
}

TEST_CASE("dma-buf: without end_cpu_access the devices read stale memory and a stale bounce buffer", "[dma_buf]") {
    BufSim s;
    CpuWrite r = cpu_write_between(s, false);
    // The CPU's bytes sit in its caches; the bounce buffer keeps the zeros copied at map.
    CHECK(r.direct.syncs_for_device == 0);
    CHECK(r.cleans == 0);
    CHECK(r.bounced.bounced_bytes == frame_size);
    CHECK(r.seen_direct != r.data);
    CHECK(r.seen_bounced == std::vector<uint8_t>(frame_size, 0));
    CHECK(r.seen_translated != r.data);
    CHECK(s.sim.stat("dma.buf.cpu_access.end") == 0);
    CHECK(s.sim.stat("dma.buf.syncs") == 3);
}

TEST_CASE("dma-buf: move_notify tells a dynamic importer, which unmaps and maps the new pages on next use",
          "[dma_buf]") {
    BufSim s;
    constexpr uint64_t size = 64 * kib;
    std::vector<uint8_t> data = frame(size, 0x21);
    s.sim.run([&] {
        std::unique_ptr<dma::DmaBuf> buf = dma::system_heap_allocate(s.sim.context, size);
        uint64_t old_pa = dma::system_heap_table(*buf).sgl.at(0).pa;
        s.cpu_write(*buf, data);

        int notified = 0;
        dma::DmaBufAttachOps importer_ops{[&](dma::DmaBufAttachment& attach) {
            ++notified;
            dma::dma_buf_unmap_attachment(attach, *attach.mapped(), attach.mapped_dir());
        }};
        dma::DmaBufAttachOps without_move_notify;
        CHECK(dma::dma_buf_dynamic_attach(*buf, s.narrow, &without_move_notify) == nullptr);  // Linux's -EINVAL
        dma::DmaBufAttachment* dynamic = dma::dma_buf_dynamic_attach(*buf, s.narrow, &importer_ops);
        dma::DmaBufAttachment* still = dma::dma_buf_attach(*buf, s.wide);
        REQUIRE((dynamic && still));
        CHECK(dynamic->is_dynamic());
        CHECK_FALSE(still->is_dynamic());

        // A static importer's mapping pins the pages.
        dma::SgTable* pinned = dma::dma_buf_map_attachment(*still, DmaDirection::to_device);
        REQUIRE(pinned);
        CHECK(dma::system_heap_move(*buf) == -EBUSY);
        dma::dma_buf_unmap_attachment(*still, *pinned, DmaDirection::to_device);

        dma::SgTable* before = dma::dma_buf_map_attachment(*dynamic, DmaDirection::to_device);
        REQUIRE(before);
        CHECK(before->sgl[0].pa == old_pa);
        REQUIRE(dma::system_heap_move(*buf) == 0);
        CHECK(notified == 1);
        CHECK(dynamic->stats().move_notifies == 1);
        CHECK(still->stats().move_notifies == 0);  // static importers are not told
        CHECK(dynamic->mapped() == nullptr);
        CHECK(s.sim.kernel.page_allocator().is_allocated(old_pa) == false);

        uint64_t new_pa = dma::system_heap_table(*buf).sgl.at(0).pa;
        CHECK(new_pa != old_pa);
        dma::SgTable* after = dma::dma_buf_map_attachment(*dynamic, DmaDirection::to_device);
        REQUIRE(after);
        CHECK(after->sgl[0].pa == new_pa);
        CHECK(s.device_view(s.narrow, after->sgl[0]) == data);  // the CPU's copy, bounced at the new map
        CHECK(dynamic->stats().maps == 2);
        dma::dma_buf_unmap_attachment(*dynamic, *after, DmaDirection::to_device);
        dma::SgTable* moved = dma::dma_buf_map_attachment(*still, DmaDirection::to_device);
        REQUIRE(moved);
        CHECK(moved->sgl[0].pa == new_pa);  // the static attachment's table follows too
        dma::dma_buf_unmap_attachment(*still, *moved, DmaDirection::to_device);
        dma::dma_buf_detach(*buf, dynamic);
        dma::dma_buf_detach(*buf, still);
        dma::dma_buf_put(std::move(buf));
    });
    CHECK(s.sim.stat("dma.buf.move_notify") == 1);
    CHECK(s.sim.stat("dma.buf.misuse") == 0);
    CHECK(s.sim.stat("dma_debug.reports") == 0);
}

TEST_CASE("dma-buf: a detach while mapped is warned and its mapping leaks, which dma-debug reports at the end",
          "[dma_buf]") {
    BufSim s;
    s.sim.run([&] {
        std::unique_ptr<dma::DmaBuf> buf = dma::system_heap_allocate(s.sim.context, 16 * kib);
        dma::DmaBufAttachment* attach = dma::dma_buf_attach(*buf, s.narrow);
        dma::SgTable* table = dma::dma_buf_map_attachment(*attach, DmaDirection::bidirectional);
        REQUIRE(table);
        CHECK(dma::dma_buf_map_attachment(*attach, DmaDirection::bidirectional) == nullptr);  // mapped twice
        dma::dma_buf_detach(*buf, attach);
        dma::dma_buf_put(std::move(buf));
        CHECK(s.sim.context.swiotlb().used() > 0);  // the bounce buffer was never given back
        s.debug().check_leaks_at_exit();
    });
    CHECK(s.sim.stat("dma.buf.misuse") == 2);
    REQUIRE(s.sim.context.warnings().size() == 2);
    CHECK_THAT(s.sim.context.warnings()[1], Catch::StartsWith("narrow: dma-buf system: detached with its mapping") &&
                                                Catch::Contains("the mapping leaks"));
    CHECK(s.sim.stat("dma_debug.leaked_at_exit") == 1);
    REQUIRE(s.debug().reports().size() == 1);
    CHECK(s.debug().reports()[0].device == "narrow");
    CHECK_THAT(s.debug().reports()[0].message, Catch::Contains("scatter-gather"));
}
