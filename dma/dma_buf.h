// dma-buf (Linux's drivers/dma-buf/dma-buf.c): a buffer one driver exports and other devices
// import. Each importer attaches its own device and maps the buffer with that device's DMA ops, so
// one buffer is reached directly by one device, through swiotlb bounce buffers by a device of
// narrower reach and at IOVAs by a device behind an IOMMU, each with its own scatter-gather table.
// The CPU brackets its accesses with dma_buf_begin_cpu_access / dma_buf_end_cpu_access, which the
// exporter turns into syncs of every mapped attachment (for the CPU, then for the devices).
//
// Linux's names, in namespace dma. Buffers are std::unique_ptr<DmaBuf> (Linux counts references on
// the dma-buf's file; here the exporter's caller owns it and gives it back with dma_buf_put).
// Attachments belong to their buffer until dma_buf_detach. What dmasim checks beyond Linux (each
// warned through Context::warn with the importer's device and counted in dma.buf.misuse): a detach
// while the importer still holds its mapping (Linux's core only unmaps a mapping it cached; the
// system heap then frees the table and the mapping leaks, which dma-debug reports at the end), a
// second map of a mapped attachment, an unmap of a table the attachment did not map, and a buffer
// put while devices are still attached.
//
// Not modelled: reservation objects and fences (every access here is synchronous), the mapping
// cache of exporters with cache_sgt_mapping, pin/unpin, vmap/mmap and peer-to-peer.
//
// Stats: dma.buf.exported (buffers), dma.buf.attachments (live attachments), dma.buf.maps
// (dma_buf_map_attachment calls that mapped), dma.buf.cpu_access.begin / .end, dma.buf.move_notify
// (dynamic importers told), dma.buf.misuse; and, over every attachment, what their own tables cost:
// dma.buf.bounce_buffers and dma.buf.bounced_bytes (swiotlb), dma.buf.iommu_maps (mappings at
// IOVAs), dma.buf.syncs (sg-table syncs the CPU-access bracket made).
#pragma once

#include "dma/sg_table.h"
#include "dma/types.h"

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace dma {

class Context;
class Device;
class DmaBuf;
class DmaBufAttachment;

// Linux's struct dma_buf_ops: what the exporter does for the core. One instance per buffer, which
// holds the exporter's state of that buffer (Linux's dmabuf->priv).
class DmaBufOps {
public:
    virtual ~DmaBufOps() = default;
    // 0 or a negative errno (the attachment is then dropped).
    virtual int attach(DmaBuf& dmabuf, DmaBufAttachment& attach) = 0;
    virtual void detach(DmaBuf& dmabuf, DmaBufAttachment& attach) = 0;
    // The attachment's table mapped with its device, or nullptr.
    virtual SgTable* map_dma_buf(DmaBufAttachment& attach, DmaDirection dir) = 0;
    virtual void unmap_dma_buf(DmaBufAttachment& attach, SgTable& table, DmaDirection dir) = 0;
    // `dir` is the CPU's access (TO_DEVICE: the CPU writes for the devices), as Linux passes it.
    virtual int begin_cpu_access(DmaBuf& dmabuf, DmaDirection dir) = 0;
    virtual int end_cpu_access(DmaBuf& dmabuf, DmaDirection dir) = 0;
    // The last reference is gone: free the backing storage.
    virtual void release(DmaBuf& dmabuf) = 0;
};

// Linux's struct dma_buf_attach_ops: a dynamic importer is told when the exporter moves the buffer
// and must stop using its mapping (dmasim's exporters expect it unmapped when move_notify returns;
// the next dma_buf_map_attachment maps the new storage).
struct DmaBufAttachOps {
    std::function<void(DmaBufAttachment&)> move_notify;
};

// Linux's struct dma_buf_export_info.
struct DmaBufExportInfo {
    std::string exp_name;  // the exporter's name, e.g. "system"
    uint64_t size = 0;
    std::unique_ptr<DmaBufOps> ops;
};

// What one attachment's mappings and syncs cost, counted by the exporter's calls below.
struct DmaBufAttachmentStats {
    uint64_t maps = 0;            // tables mapped
    uint64_t dma_segments = 0;    // DMA segments the maps produced
    uint64_t bounce_buffers = 0;  // swiotlb bounce buffers the maps took
    uint64_t bounced_bytes = 0;   // bytes swiotlb copied for the maps, syncs and unmaps
    uint64_t iommu_maps = 0;      // maps through IOMMU ops (each at its own IOVA range)
    uint64_t syncs_for_cpu = 0;
    uint64_t syncs_for_device = 0;
    uint64_t move_notifies = 0;
};

// Linux's struct dma_buf_attachment.
class DmaBufAttachment {
public:
    DmaBufAttachment(DmaBuf& dmabuf, Device& dev, const DmaBufAttachOps* importer_ops)
        : dmabuf_(dmabuf), dev_(dev), importer_ops_(importer_ops) {}
    DmaBufAttachment(const DmaBufAttachment&) = delete;
    DmaBufAttachment& operator=(const DmaBufAttachment&) = delete;

    DmaBuf& dmabuf() const { return dmabuf_; }
    Device& dev() const { return dev_; }
    const DmaBufAttachOps* importer_ops() const { return importer_ops_; }
    // Linux's dma_buf_attachment_is_dynamic.
    bool is_dynamic() const { return importer_ops_ != nullptr; }
    // The table the importer holds (between dma_buf_map_attachment and its unmap), or nullptr.
    SgTable* mapped() const { return mapped_; }
    DmaDirection mapped_dir() const { return mapped_dir_; }
    const DmaBufAttachmentStats& stats() const { return stats_; }

    // --- for exporters: the DMA API with the importer's device, counted in stats() ---
    int map_sgtable(SgTable& table, DmaDirection dir);  // dma_map_sgtable(attach->dev, ...)
    void unmap_sgtable(SgTable& table, DmaDirection dir);
    void sync_sgtable_for_cpu(SgTable& table, DmaDirection dir);
    void sync_sgtable_for_device(SgTable& table, DmaDirection dir);

private:
    friend SgTable* dma_buf_map_attachment(DmaBufAttachment& attach, DmaDirection dir);
    friend void dma_buf_unmap_attachment(DmaBufAttachment& attach, SgTable& table, DmaDirection dir);
    friend void dma_buf_move_notify(DmaBuf& dmabuf);

    // Runs a DMA API call, adding what swiotlb copied during it to the stats.
    template <typename Call>
    void counting_bounces(Call call);

    DmaBuf& dmabuf_;
    Device& dev_;
    const DmaBufAttachOps* importer_ops_;
    SgTable* mapped_ = nullptr;
    DmaDirection mapped_dir_ = DmaDirection::none;
    DmaBufAttachmentStats stats_;
};

// Linux's struct dma_buf.
class DmaBuf {
public:
    DmaBuf(Context& context, DmaBufExportInfo info);
    DmaBuf(const DmaBuf&) = delete;
    DmaBuf& operator=(const DmaBuf&) = delete;

    Context& context() const { return context_; }
    const std::string& exp_name() const { return exp_name_; }
    uint64_t size() const { return size_; }
    DmaBufOps& ops() const { return *ops_; }
    // Linux's dmabuf->attachments, the newest first (list_add).
    std::vector<DmaBufAttachment*> attachments() const;

private:
    friend DmaBufAttachment* dma_buf_dynamic_attach(DmaBuf& dmabuf, Device& dev, const DmaBufAttachOps* importer_ops);
    friend void dma_buf_detach(DmaBuf& dmabuf, DmaBufAttachment* attach);

    Context& context_;
    std::string exp_name_;
    uint64_t size_;
    std::unique_ptr<DmaBufOps> ops_;
    std::list<std::unique_ptr<DmaBufAttachment>> attachments_;
};

// Linux's dma_buf_export: nullptr (with a warning-free refusal, as ERR_PTR(-EINVAL)) for no ops or
// size 0. Counted in dma.buf.exported.
std::unique_ptr<DmaBuf> dma_buf_export(Context& context, DmaBufExportInfo info);
// The last reference dropped: detaches what is still attached (a misuse), then ops.release.
void dma_buf_put(std::unique_ptr<DmaBuf> dmabuf);

// Linux's dma_buf_attach (static importer) and dma_buf_dynamic_attach (`importer_ops` with a
// move_notify, which must outlive the attachment): the attachment, or nullptr when the exporter
// refused or the importer ops have no move_notify (Linux's WARN_ON, -EINVAL).
DmaBufAttachment* dma_buf_attach(DmaBuf& dmabuf, Device& dev);
DmaBufAttachment* dma_buf_dynamic_attach(DmaBuf& dmabuf, Device& dev, const DmaBufAttachOps* importer_ops);
void dma_buf_detach(DmaBuf& dmabuf, DmaBufAttachment* attach);

// The attachment's table mapped with its device's ops (direct, bounced or IOMMU), or nullptr.
SgTable* dma_buf_map_attachment(DmaBufAttachment& attach, DmaDirection dir);
void dma_buf_unmap_attachment(DmaBufAttachment& attach, SgTable& table, DmaDirection dir);
// Linux's _unlocked variants take the reservation lock, which dmasim does not model: the same calls.
inline SgTable* dma_buf_map_attachment_unlocked(DmaBufAttachment& attach, DmaDirection dir) {
    return dma_buf_map_attachment(attach, dir);
}
inline void dma_buf_unmap_attachment_unlocked(DmaBufAttachment& attach, SgTable& table, DmaDirection dir) {
    dma_buf_unmap_attachment(attach, table, dir);
}

// The CPU-access bracket; 0 or the exporter's negative errno.
int dma_buf_begin_cpu_access(DmaBuf& dmabuf, DmaDirection dir);
int dma_buf_end_cpu_access(DmaBuf& dmabuf, DmaDirection dir);

// The exporter moved the buffer: every dynamic importer's move_notify is called.
void dma_buf_move_notify(DmaBuf& dmabuf);

}  // namespace dma
