#include "dma/dma_buf.h"

#include "dma/context.h"
#include "dma/device.h"

#include <fmt/format.h>

namespace dma {

namespace {

uint64_t& stat(Context& context, const char* name) { return context.instr().counter(std::string("dma.buf.") + name); }

// A call dmasim checks and Linux lets through (dma/dma_buf.h): warned with the importer's device.
void misuse(DmaBufAttachment& attach, const std::string& message) {
    Context& context = attach.dmabuf().context();
    context.warn(attach.dev(), fmt::format("dma-buf {}: {}", attach.dmabuf().exp_name(), message),
                 stat(context, "misuse"));
}

}  // namespace

template <typename Call>
void DmaBufAttachment::counting_bounces(Call call) {
    Context& context = dmabuf_.context();
    const models::Instrumentation& instr = context.instr();
    uint64_t maps = instr.counter_value("swiotlb.maps");
    uint64_t bytes = instr.counter_value("swiotlb.bounced_bytes");
    call();
    uint64_t new_maps = instr.counter_value("swiotlb.maps") - maps;
    uint64_t new_bytes = instr.counter_value("swiotlb.bounced_bytes") - bytes;
    stats_.bounce_buffers += new_maps;
    stats_.bounced_bytes += new_bytes;
    stat(context, "bounce_buffers") += new_maps;
    stat(context, "bounced_bytes") += new_bytes;
}

int DmaBufAttachment::map_sgtable(SgTable& table, DmaDirection dir) {
    int rc = 0;
    counting_bounces([&] { rc = dma::map_sgtable(dev_, table, dir); });
    if (rc != 0)
        return rc;
    ++stats_.maps;
    stats_.dma_segments += static_cast<uint64_t>(table.nents);
    if (dev_.dma_dev().iommu_domain()) {
        ++stats_.iommu_maps;
        ++stat(dmabuf_.context(), "iommu_maps");
    }
    return 0;
}

void DmaBufAttachment::unmap_sgtable(SgTable& table, DmaDirection dir) {
    counting_bounces([&] { dma::unmap_sgtable(dev_, table, dir); });
}

void DmaBufAttachment::sync_sgtable_for_cpu(SgTable& table, DmaDirection dir) {
    counting_bounces([&] { dma::sync_sgtable_for_cpu(dev_, table, dir); });
    ++stats_.syncs_for_cpu;
    ++stat(dmabuf_.context(), "syncs");
}

void DmaBufAttachment::sync_sgtable_for_device(SgTable& table, DmaDirection dir) {
    counting_bounces([&] { dma::sync_sgtable_for_device(dev_, table, dir); });
    ++stats_.syncs_for_device;
    ++stat(dmabuf_.context(), "syncs");
}

DmaBuf::DmaBuf(Context& context, DmaBufExportInfo info)
    : context_(context), exp_name_(std::move(info.exp_name)), size_(info.size), ops_(std::move(info.ops)) {}

std::vector<DmaBufAttachment*> DmaBuf::attachments() const {
    std::vector<DmaBufAttachment*> list;
    for (const std::unique_ptr<DmaBufAttachment>& attach : attachments_)
        list.push_back(attach.get());
    return list;
}

std::unique_ptr<DmaBuf> dma_buf_export(Context& context, DmaBufExportInfo info) {
    if (!info.ops || info.size == 0)
        return nullptr;
    // Every dma.buf stat exists (at 0) once a buffer is, so that runs compare field for field.
    for (const char* name : {"attachments", "maps", "cpu_access.begin", "cpu_access.end", "move_notify", "misuse",
                             "bounce_buffers", "bounced_bytes", "iommu_maps", "syncs"})
        stat(context, name);
    ++stat(context, "exported");
    return std::make_unique<DmaBuf>(context, std::move(info));
}

void dma_buf_put(std::unique_ptr<DmaBuf> dmabuf) {
    if (!dmabuf)
        return;
    for (DmaBufAttachment* attach : dmabuf->attachments()) {
        misuse(*attach, "buffer released while the device is still attached");
        dma_buf_detach(*dmabuf, attach);
    }
    dmabuf->ops().release(*dmabuf);
}

DmaBufAttachment* dma_buf_attach(DmaBuf& dmabuf, Device& dev) { return dma_buf_dynamic_attach(dmabuf, dev, nullptr); }

DmaBufAttachment* dma_buf_dynamic_attach(DmaBuf& dmabuf, Device& dev, const DmaBufAttachOps* importer_ops) {
    if (importer_ops && !importer_ops->move_notify)
        return nullptr;
    auto attach = std::make_unique<DmaBufAttachment>(dmabuf, dev, importer_ops);
    if (dmabuf.ops().attach(dmabuf, *attach) != 0)
        return nullptr;
    dmabuf.attachments_.push_front(std::move(attach));
    ++stat(dmabuf.context(), "attachments");
    return dmabuf.attachments_.front().get();
}

void dma_buf_detach(DmaBuf& dmabuf, DmaBufAttachment* attach) {
    if (!attach)
        return;
    if (attach->mapped())
        misuse(*attach, fmt::format("detached with its mapping ({} DMA segments, {}) still in place: the mapping "
                                    "leaks",
                                    attach->mapped()->nents, to_string(attach->mapped_dir())));
    dmabuf.ops().detach(dmabuf, *attach);
    --stat(dmabuf.context(), "attachments");
    dmabuf.attachments_.remove_if([&](const std::unique_ptr<DmaBufAttachment>& a) { return a.get() == attach; });
}

SgTable* dma_buf_map_attachment(DmaBufAttachment& attach, DmaDirection dir) {
    if (attach.mapped()) {
        misuse(attach, "mapped again while its table is mapped");
        return nullptr;
    }
    SgTable* table = attach.dmabuf().ops().map_dma_buf(attach, dir);
    if (!table)
        return nullptr;
    attach.mapped_ = table;
    attach.mapped_dir_ = dir;
    ++stat(attach.dmabuf().context(), "maps");
    return table;
}

void dma_buf_unmap_attachment(DmaBufAttachment& attach, SgTable& table, DmaDirection dir) {
    if (attach.mapped() != &table) {
        misuse(attach, "unmap of a table the attachment has not mapped");
        return;
    }
    attach.dmabuf().ops().unmap_dma_buf(attach, table, dir);
    attach.mapped_ = nullptr;
    attach.mapped_dir_ = DmaDirection::none;
}

int dma_buf_begin_cpu_access(DmaBuf& dmabuf, DmaDirection dir) {
    ++stat(dmabuf.context(), "cpu_access.begin");
    return dmabuf.ops().begin_cpu_access(dmabuf, dir);
}

int dma_buf_end_cpu_access(DmaBuf& dmabuf, DmaDirection dir) {
    ++stat(dmabuf.context(), "cpu_access.end");
    return dmabuf.ops().end_cpu_access(dmabuf, dir);
}

void dma_buf_move_notify(DmaBuf& dmabuf) {
    for (DmaBufAttachment* attach : dmabuf.attachments()) {
        if (!attach->is_dynamic())
            continue;
        ++attach->stats_.move_notifies;
        ++stat(dmabuf.context(), "move_notify");
        attach->importer_ops()->move_notify(*attach);
    }
}

}  // namespace dma
