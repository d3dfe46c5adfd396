#include "sw/workloads/seed_shared_buffer.h"

#include "dma/device.h"
#include "dma/dma_buf.h"
#include "dma/mapping.h"
#include "dma/system_heap.h"
#include "models/cpu/core.h"
#include "models/pci/pci_endpoint_test_regs.h"
#include "sw/drivers/pci/pci_endpoint_test.h"
#include "sw/drivers/pci/pci_subsystem.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>
#include <string>
#include <vector>

namespace sw {

namespace {

using namespace pci_endpoint_test;

constexpr const char* workload_name = "seed-shared-buffer";
constexpr uint64_t page_size = 4096;

std::vector<PciEndpointTest*> test_endpoints(WorkloadContext& context) {
    std::vector<PciEndpointTest*> endpoints;
    if (context.pci)
        for (PciDev* pdev : context.pci->bound_to(PciEndpointTest::driver_name))
            endpoints.push_back(PciEndpointTest::of(*pdev));
    if (endpoints.size() < 2)
        throw std::runtime_error(fmt::format("{}: needs two PCI functions bound to {}, found {}; a platform with "
                                             "the DMA test endpoints is needed, e.g. arm-pci-noncoherent.dts",
                                             workload_name, PciEndpointTest::driver_name, endpoints.size()));
    return endpoints;
}

// The endpoint parameter `param` names, or when empty the widest (or narrowest) one other than `not_this`.
PciEndpointTest& pick(const std::vector<PciEndpointTest*>& endpoints, WorkloadContext& context,
                      const std::string& param, bool widest, const PciEndpointTest* not_this) {
    const std::string& name = context.params.text(param);
    std::vector<std::string> names;
    PciEndpointTest* chosen = nullptr;
    for (PciEndpointTest* ep : endpoints) {
        names.push_back(ep->pdev().name());
        if (!name.empty()) {
            if (ep->pdev().name() == name)
                return *ep;
            continue;
        }
        if (ep == not_this)
            continue;
        if (!chosen || (widest ? ep->dma_bits() > chosen->dma_bits() : ep->dma_bits() < chosen->dma_bits()))
            chosen = ep;
    }
    if (!chosen)
        throw std::runtime_error(fmt::format("{}: {}={}: no such PCI function bound to {} (bound: {})", workload_name,
                                             param, name, PciEndpointTest::driver_name, fmt::join(names, ", ")));
    return *chosen;
}

// How a device reaches the buffer, as its attachment's costs show.
std::string path_of(const dma::DmaBufAttachmentStats& stats) {
    if (stats.iommu_maps)
        return "IOMMU";
    return stats.bounce_buffers ? "swiotlb" : "direct";
}

// One device's side: its attachment, its mapping and the coherent buffer it copies each frame into.
struct Reader {
    const char* role;
    PciEndpointTest& ep;
    dma::DmaBufAttachment* attach = nullptr;
    dma::SgTable* table = nullptr;
    uint64_t copy_va = 0;
    dma::dma_addr_t copy_handle = 0;
    uint64_t data_errors = 0;
    uint64_t bad_frames = 0;
};

class SharedBuffer {
public:
    explicit SharedBuffer(WorkloadContext& context)
        : context_(context),
          endpoints_(test_endpoints(context)), exporter_{"exporter",
                                                         pick(endpoints_, context, "exporter", true, nullptr)},
          importer_{"importer", pick(endpoints_, context, "importer", false, &exporter_.ep)}, cpu_(context.cpu),
          size_(context.params.integer("size")), fixed_(context.params.boolean("fixed")),
          stat_frames_(context.instr.counter("workload.shared_buffer.frames")) {
        if (&exporter_.ep == &importer_.ep)
            throw std::runtime_error(fmt::format("{}: exporter and importer are both {}", workload_name,
                                                 exporter_.ep.pdev().name()));
    }

    void run() {
        buf_ = dma::system_heap_allocate(*context_.dma, size_);
        if (!buf_)
            throw std::runtime_error(fmt::format("{}: no {}-byte buffer from the system heap", workload_name, size_));
        for (Reader* reader : {&exporter_, &importer_})
            attach_and_map(*reader);
        uint64_t frames = context_.params.integer("frames");
        for (uint64_t n = 0; n < frames; ++n)
            frame(n);
        report(frames);
        for (Reader* reader : {&exporter_, &importer_})
            unmap_and_detach(*reader);
        dma::dma_buf_put(std::move(buf_));
    }

private:
    void attach_and_map(Reader& reader) {
        dma::Device& dev = reader.ep.dev();
        reader.attach = dma::dma_buf_attach(*buf_, dev);
        reader.table = reader.attach ? dma::dma_buf_map_attachment(*reader.attach, dma::DmaDirection::to_device)
                                     : nullptr;
        reader.copy_va = dma::alloc_coherent(dev, size_, reader.copy_handle);
        if (!reader.table || !reader.copy_va)
            throw std::runtime_error(fmt::format("{}: the {} {} could not map the buffer or get its {}-byte copy "
                                                 "buffer",
                                                 workload_name, reader.role, dev.name(), size_));
    }

    void unmap_and_detach(Reader& reader) {
        dma::Device& dev = reader.ep.dev();
        dma::free_coherent(dev, size_, reader.copy_va, reader.copy_handle);
        dma::dma_buf_unmap_attachment(*reader.attach, *reader.table, dma::DmaDirection::to_device);
        dma::dma_buf_detach(*buf_, reader.attach);
    }

    // The CPU writes frame `n`, then each device reads it.
    void frame(uint64_t n) {
        std::vector<uint8_t> data = pattern_bytes(size_, n + 1);
        dma::dma_buf_begin_cpu_access(*buf_, dma::DmaDirection::to_device);
        uint64_t offset = 0;
        for (const dma::Scatterlist& sg : dma::system_heap_table(*buf_).sgl) {
            cpu_.write_block(Kernel::phys_to_virt(sg.pa), data.data() + offset, sg.length);
            offset += sg.length;
        }
        if (fixed_)
            dma::dma_buf_end_cpu_access(*buf_, dma::DmaDirection::to_device);
        ++stat_frames_;
        for (Reader* reader : {&exporter_, &importer_})
            read_by_dma(*reader, data, n);
    }

    // The device copies each DMA segment into its coherent buffer; the CPU compares.
    void read_by_dma(Reader& reader, const std::vector<uint8_t>& data, uint64_t n) {
        uint64_t offset = 0;
        for (int i = 0; i < reader.table->nents; ++i) {
            const dma::Scatterlist& sg = reader.table->sgl[i];
            uint32_t status = reader.ep.run_command(COMMAND_COPY, sg.dma_address, reader.copy_handle + offset,
                                                    static_cast<uint32_t>(sg.dma_length));
            if (!(status & STATUS_COPY_SUCCESS))
                throw std::runtime_error(fmt::format("{}: the {} {} failed to read frame {} (status {:#x})",
                                                     workload_name, reader.role, reader.ep.pdev().name(), n, status));
            offset += sg.dma_length;
        }
        std::vector<uint8_t> seen(size_);
        cpu_.read_block(reader.copy_va, seen.data(), size_);
        uint64_t wrong = 0;
        for (uint64_t i = 0; i < size_; ++i)
            wrong += seen[i] != data[i];
        reader.data_errors += wrong;
        reader.bad_frames += wrong != 0;
        context_.data_errors += wrong;
    }

    void publish(const Reader& reader) {
        const dma::DmaBufAttachmentStats& s = reader.attach->stats();
        auto stat = [&](const char* name) -> uint64_t& {
            return context_.instr.counter(fmt::format("workload.shared_buffer.{}.{}", reader.role, name));
        };
        stat("data_errors") = reader.data_errors;
        stat("bad_frames") = reader.bad_frames;
        stat("maps") = s.maps;
        stat("dma_segments") = s.dma_segments;
        stat("bounce_buffers") = s.bounce_buffers;
        stat("bounced_bytes") = s.bounced_bytes;
        stat("iommu_maps") = s.iommu_maps;
        stat("syncs_for_device") = s.syncs_for_device;
    }

    void report(uint64_t frames) {
        context_.summary.push_back(fmt::format("{}: a {}-byte system-heap buffer, {} frames written by the CPU {} "
                                               "dma_buf_end_cpu_access, each read by both devices",
                                               workload_name, size_, frames, fixed_ ? "with" : "without"));
        context_.summary.push_back(fmt::format("  {:<9} {:<13} {:>4} {:<8} {:>14} {:>13} {:>10} {:>16} {:>11} {:>10}",
                                               "role", "device", "bits", "path", "bounce_buffers", "bounced_bytes",
                                               "iommu_maps", "syncs_for_device", "data_errors", "bad_frames"));
        for (Reader* reader : {&exporter_, &importer_}) {
            publish(*reader);
            const dma::DmaBufAttachmentStats& s = reader->attach->stats();
            context_.summary.push_back(fmt::format(
                "  {:<9} {:<13} {:>4} {:<8} {:>14} {:>13} {:>10} {:>16} {:>11} {:>10}", reader->role,
                reader->ep.pdev().name(), reader->ep.dma_bits(), path_of(s), s.bounce_buffers, s.bounced_bytes,
                s.iommu_maps, s.syncs_for_device, reader->data_errors, reader->bad_frames));
        }
    }

    WorkloadContext& context_;
    std::vector<PciEndpointTest*> endpoints_;
    Reader exporter_;
    Reader importer_;
    models::Core& cpu_;
    uint64_t size_;
    bool fixed_;
    uint64_t& stat_frames_;
    std::unique_ptr<dma::DmaBuf> buf_;
};

}  // namespace

Workload seed_shared_buffer_workload() {
    return Workload{
        workload_name,
        "seed experiment 8: a dma-buf shared by two DMA test endpoints of different reach (direct, swiotlb or "
        "IOMMU); the CPU writes each frame without dma_buf_end_cpu_access (fixed=true: with it) and the devices "
        "read stale memory or a stale bounce buffer",
        {
            {"fixed", ParamType::boolean, "false", "the CPU closes each write with dma_buf_end_cpu_access", {}},
            {"exporter",
             ParamType::text,
             "",
             "the exporter's PCI function (e.g. 0000:00:01.0); default: the test endpoint with the most DMA bits",
             {}},
            {"importer",
             ParamType::text,
             "",
             "the importer's PCI function; default: the other test endpoint with the fewest DMA bits",
             {}},
            {"frames", ParamType::integer, "4", "frames the CPU writes and both devices read", {}, 1, 10000},
            {"size", ParamType::size, "64K", "the buffer's size (whole pages)", {}, 4096, 1 << 20},
        },
        [](WorkloadContext& context) { SharedBuffer(context).run(); },
        [](const WorkloadContext& context) {
            if (context.params.integer("size") % page_size)
                throw ParamError(fmt::format("{}: size={}: expected whole pages (a multiple of {})", workload_name,
                                             context.params.text("size"), page_size));
        },
    };
}

}  // namespace sw
