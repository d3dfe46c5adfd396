#include "dma/system_heap.h"

#include "dma/context.h"
#include "dma/device.h"
#include "models/cpu/core.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

namespace dma {

namespace {

constexpr uint64_t page_size = sw::PageAllocator::page_size;
// Linux's orders[]: 1 MiB, 64 KiB, 4 KiB, chosen to match IOMMU page sizes.
constexpr std::array<unsigned, 3> orders = {8, 4, 0};

struct PageBlock {
    uint64_t pa = 0;
    unsigned order = 0;
};

// Linux's struct system_heap_buffer, as the buffer's ops.
class SystemHeapBuffer : public DmaBufOps {
public:
    SystemHeapBuffer(Context& context, std::vector<PageBlock> blocks)
        : context_(context), blocks_(std::move(blocks)), table_(table_of(blocks_)) {}

    const SgTable& table() const { return table_; }

    int attach(DmaBuf&, DmaBufAttachment& attach) override {
        attachments_[&attach] = HeapAttachment{table_, false, false};  // dup_sg_table
        return 0;
    }

    // Linux's system_heap_detach frees the table, mapped or not.
    void detach(DmaBuf&, DmaBufAttachment& attach) override { attachments_.erase(&attach); }

    SgTable* map_dma_buf(DmaBufAttachment& attach, DmaDirection dir) override {
        HeapAttachment& a = attachments_.at(&attach);
        if (attach.map_sgtable(a.table, dir) != 0)
            return nullptr;
        a.mapped = true;
        return &a.table;
    }

    void unmap_dma_buf(DmaBufAttachment& attach, SgTable& table, DmaDirection dir) override {
        HeapAttachment& a = attachments_.at(&attach);
        a.mapped = false;
        attach.unmap_sgtable(table, dir);
        if (a.stale) {  // mapped across a move: only now can it follow the new pages
            a.table = table_;
            a.stale = false;
        }
    }

    int begin_cpu_access(DmaBuf& dmabuf, DmaDirection dir) override {
        for (DmaBufAttachment* attach : dmabuf.attachments())
            if (HeapAttachment& a = attachments_.at(attach); a.mapped)
                attach->sync_sgtable_for_cpu(a.table, dir);
        return 0;
    }

    int end_cpu_access(DmaBuf& dmabuf, DmaDirection dir) override {
        for (DmaBufAttachment* attach : dmabuf.attachments())
            if (HeapAttachment& a = attachments_.at(attach); a.mapped)
                attach->sync_sgtable_for_device(a.table, dir);
        return 0;
    }

    void release(DmaBuf&) override { free_blocks(context_, blocks_); }

    int move(DmaBuf& dmabuf) {
        for (DmaBufAttachment* attach : dmabuf.attachments())
            if (!attach->is_dynamic() && attachments_.at(attach).mapped)
                return -EBUSY;
        std::optional<std::vector<PageBlock>> fresh = allocate(context_, dmabuf.size(), sw::Zone::normal);
        if (!fresh)
            return -ENOMEM;
        copy_contents(*fresh);
        std::vector<PageBlock> old = std::move(blocks_);
        blocks_ = std::move(*fresh);
        table_ = table_of(blocks_);
        dma_buf_move_notify(dmabuf);
        for (DmaBufAttachment* attach : dmabuf.attachments()) {
            HeapAttachment& a = attachments_.at(attach);
            if (!a.mapped) {
                a.table = table_;
                continue;
            }
            a.stale = true;
            context_.warn(attach->dev(),
                          "dma-buf system: still mapped after move_notify: the device reaches the freed old pages",
                          context_.instr().counter("dma.buf.misuse"));
        }
        free_blocks(context_, old);
        return 0;
    }

    // Linux's alloc_largest_available in a loop: nullopt (everything given back) when memory runs out.
    static std::optional<std::vector<PageBlock>> allocate(Context& context, uint64_t len, sw::Zone highest) {
        sw::PageAllocator& pages = context.kernel().page_allocator();
        std::vector<PageBlock> blocks;
        uint64_t remaining = (len + page_size - 1) / page_size * page_size;
        unsigned max_order = orders.front();
        while (remaining > 0) {
            std::optional<PageBlock> block;
            for (unsigned order : orders) {
                if (remaining < (page_size << order) || order > max_order)
                    continue;
                if (std::optional<uint64_t> pa = pages.alloc_pages(order, highest)) {
                    block = PageBlock{*pa, order};
                    break;
                }
            }
            if (!block) {
                free_blocks(context, blocks);
                return std::nullopt;
            }
            blocks.push_back(*block);
            remaining -= page_size << block->order;
            max_order = block->order;
        }
        for (const PageBlock& block : blocks)  // __GFP_ZERO
            context.cpu().fill_block(sw::Kernel::phys_to_virt(block.pa), 0, page_size << block.order);
        return blocks;
    }

private:
    // Linux's struct dma_heap_attachment.
    struct HeapAttachment {
        SgTable table;
        bool mapped = false;
        bool stale = false;  // its table still holds the pages of before a move
    };

    static SgTable table_of(const std::vector<PageBlock>& blocks) {
        std::vector<PhysExtent> runs;
        for (const PageBlock& block : blocks)
            runs.push_back(PhysExtent{block.pa, page_size << block.order});
        return sg_table_from_runs(runs);
    }

    static void free_blocks(Context& context, const std::vector<PageBlock>& blocks) {
        for (const PageBlock& block : blocks)
            context.kernel().page_allocator().free_pages(block.pa, block.order);
    }

    // The old pages' bytes into `fresh`, through the CPU (memcpy on the linear map).
    void copy_contents(const std::vector<PageBlock>& fresh) {
        models::Core& cpu = context_.cpu();
        std::vector<uint8_t> page(page_size);
        uint64_t offset = 0;
        for (const Scatterlist& sg : table_.sgl)
            for (uint64_t done = 0; done < sg.length; done += page_size, offset += page_size) {
                cpu.read_block(sw::Kernel::phys_to_virt(sg.pa + done), page.data(), page_size);
                cpu.write_block(sw::Kernel::phys_to_virt(page_at(fresh, offset)), page.data(), page_size);
            }
    }

    static uint64_t page_at(const std::vector<PageBlock>& blocks, uint64_t offset) {
        for (const PageBlock& block : blocks) {
            uint64_t size = page_size << block.order;
            if (offset < size)
                return block.pa + offset;
            offset -= size;
        }
        throw std::logic_error("system heap: offset past the buffer");
    }

    Context& context_;
    std::vector<PageBlock> blocks_;
    SgTable table_;
    std::map<const DmaBufAttachment*, HeapAttachment> attachments_;
};

SystemHeapBuffer& heap_buffer(const DmaBuf& dmabuf) {
    auto* buffer = dynamic_cast<SystemHeapBuffer*>(&dmabuf.ops());
    if (!buffer)
        throw std::invalid_argument("dma-buf " + dmabuf.exp_name() + ": not a system heap buffer");
    return *buffer;
}

}  // namespace

std::unique_ptr<DmaBuf> system_heap_allocate(Context& context, uint64_t len, sw::Zone highest) {
    if (len == 0)
        return nullptr;
    std::optional<std::vector<PageBlock>> blocks = SystemHeapBuffer::allocate(context, len, highest);
    if (!blocks)
        return nullptr;
    uint64_t size = (len + page_size - 1) / page_size * page_size;
    return dma_buf_export(context,
                          DmaBufExportInfo{"system", size, std::make_unique<SystemHeapBuffer>(context, *blocks)});
}

const SgTable& system_heap_table(const DmaBuf& dmabuf) { return heap_buffer(dmabuf).table(); }

int system_heap_move(DmaBuf& dmabuf) { return heap_buffer(dmabuf).move(dmabuf); }

}  // namespace dma
