// The driver of dmasim's ring device (models/pci/ring_nic_regs.h), written as a NIC driver writer
// would, with the dma layer only:
//   probe:  enable the device and bus mastering, map BAR0, check the ID, set the DMA masks to the
//           engine's address bits, allocate the TX and RX descriptor rings in coherent memory,
//           take an MSI vector (else INTx) with a handler.
//   open:   a reset, the rings programmed, the RX ring filled with buffers (RxBuffers::kmalloc: kmalloc'd and mapped
//           FROM_DEVICE; RxBuffers::dma_pool: blocks of a dma_pool of line-aligned, coherent
//           blocks), coalescing, loopback, the engines on.
//   xmit:   a frame (a kmalloc'd buffer the driver takes over) is mapped TO_DEVICE, or, up to
//           tx_copybreak bytes, copied into a small buffer of the driver's (and freed at once), its
//           descriptor posted, the doorbell rung.
//   the interrupt: acknowledge, reap RX (unmap, replacement allocated first and posted, the
//           doorbell rung, then the buffer handed to the stack, which frees it when it is done,
//           and the rx_info freed),
//           reap TX (unmap, free), then age the per-packet records of the buffers still posted.
//   stop / remove: engines off, every buffer, mapping, pool and ring freed; the PCI core then
//           checks dma-debug for leaks.
// Each posted RX buffer has a per-packet record, struct rx_info (32 bytes, kmalloc'd right before
// the buffer, so the two share a cache line unless kmalloc's minimum alignment keeps them apart):
// the driver writes it when posting (sequence, state, posted_irq), updates it while the buffer is
// with the device (irqs_waited) and checks it on completion; the sequence tags the frame the stack
// gets. Everything per packet comes from the memory the NIC reaches in place: ZONE_DMA when
// the kernel has one (the host bridge's inbound window), so nothing bounces through swiotlb except
// frames larger than tx_copybreak.
#pragma once

#include "dma/dma_pool.h"
#include "dma/types.h"
#include "models/pci/ring_nic_regs.h"
#include "sw/drivers/pci/pci.h"
#include "sw/drivers/pci/pci_driver.h"
#include "sw/kernel/page_allocator.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace sw {

enum class RxBuffers { kmalloc, dma_pool };
const char* to_string(RxBuffers buffers);

struct RingNicOptions {
    uint32_t rx_buffer_size = 2048;
    RxBuffers rx_buffers = RxBuffers::kmalloc;
    uint32_t coalesce_count = 4;   // completions per interrupt
    uint32_t coalesce_ns = 20000;  // the longest a completion waits for its interrupt
    bool loopback = false;
    uint32_t tx_copybreak = 256;  // frames up to this many bytes are copied (0: never)
};

// A frame the driver hands to the stack (netif_receive_skb): the stack owns its buffer, readable
// through the CPU at `va`, until it gives it back with RingNic::free_rx_frame (kfree_skb).
struct RxFrame {
    uint64_t va = 0;
    dma::dma_addr_t dma = 0;  // a dma_pool block's bus address
    uint32_t len = 0;
    uint32_t tag = 0;  // the sequence of the buffer, from its rx_info
    bool truncated = false;
    // Bytes of the buffer's rx_info (state, irqs_waited) that did not read back as the driver
    // left them: its own bookkeeping, corrupted.
    uint32_t record_errors = 0;
};

struct RingNicStats {
    uint64_t tx_packets = 0;
    uint64_t tx_copied = 0;  // frames sent from a copy (tx_copybreak)
    uint64_t tx_busy = 0;    // xmit refused: TX ring full
    uint64_t rx_packets = 0;
    uint64_t rx_alloc_failures = 0;   // frames dropped because no replacement buffer could be had
    uint64_t rx_records_corrupt = 0;  // completions whose rx_info did not read back as written
    uint64_t irqs = 0;
    uint64_t dma_errors = 0;
};

// struct rx_info in simulated memory: what the driver keeps per posted buffer. posted_irq and
// irqs_waited together say how many interrupts the buffer has waited: the driver sets irqs_waited
// to 0 when posting and adds 1 at the end of each interrupt it is still posted after, so on
// completion it must read (interrupts so far) - posted_irq.
struct RxInfoLayout {
    static constexpr uint64_t size = 32;
    static constexpr unsigned seq = 0x00;                 // u32: the buffer's sequence (the frame it expects)
    static constexpr unsigned state = 0x04;               // u32: state_posted while with the device
    static constexpr unsigned posted_irq = 0x08;          // u32: the first interrupt that ages it
    static constexpr unsigned irqs_waited = 0x0c;         // u32
    static constexpr unsigned buffer_len = 0x10;          // u32
    static constexpr unsigned dma = 0x18;                 // u64: the buffer's bus address
    static constexpr uint32_t state_posted = 0x54534f50;  // "POST"
};

class RingNic {
public:
    static constexpr const char* driver_name = "ring_nic";
    static constexpr uint32_t ring_size = 64;  // descriptors per ring

    explicit RingNic(PciDev& pdev) : pdev_(pdev) {}
    RingNic(const RingNic&) = delete;
    RingNic& operator=(const RingNic&) = delete;

    // 0 or a negative errno (the device is then left as probe found it).
    int probe();
    void remove();
    static RingNic* of(PciDev& pdev);

    // 0, -EBUSY (already open), -EINVAL (a buffer size the descriptors cannot carry) or -ENOMEM.
    int open(const RingNicOptions& options);
    void stop();
    // The stack's receive handler (called from the interrupt handler); without one, frames are
    // freed as they arrive.
    void set_rx_handler(std::function<void(const RxFrame&)> handler) { rx_handler_ = std::move(handler); }
    // The stack is done with a frame's buffer; before stop() for every frame it holds.
    void free_rx_frame(const RxFrame& frame);

    // Takes over `frame` (a kmalloc'd kernel VA of `len` bytes): 0 once posted; -EBUSY (TX ring
    // full: the caller keeps the frame), -EINVAL (not open, or too long) or -ENOMEM (it could
    // not be mapped or copied: the frame is freed).
    int xmit(uint64_t frame, uint32_t len);
    // Frames posted and not yet reaped.
    uint32_t tx_in_flight() const { return tx_.posted - tx_.reaped; }

    PciDev& pdev() { return pdev_; }
    dma::Device& dev() { return *pdev_.dev; }
    const RingNicStats& stats() const { return stats_; }
    uint32_t readl(unsigned offset);
    void writel(unsigned offset, uint32_t value);

private:
    struct TxSlot {
        uint64_t va = 0;  // the mapped buffer: the frame or its copy
        dma::dma_addr_t dma = 0;
        uint32_t len = 0;
    };
    struct RxSlot {
        uint64_t info = 0;  // struct rx_info
        uint64_t va = 0;
        dma::dma_addr_t dma = 0;
    };
    struct Ring {
        uint64_t va = 0;  // coherent descriptors
        dma::dma_addr_t dma = 0;
        uint32_t posted = 0;  // free-running counts
        uint32_t reaped = 0;
    };

    int request_irq();
    void free_irq();
    int alloc_rings();
    void free_rings();
    void program_rings();
    void irq_handler();
    void poll();  // reaps what the device has finished

    bool rx_alloc(RxSlot& slot, dma::Gfp gfp);
    void rx_free_buffer(uint64_t va, dma::dma_addr_t dma);
    void rx_free(RxSlot& slot);
    bool rx_prepare(RxSlot& slot);
    void rx_post(const RxSlot& slot);
    void rx_doorbell();
    bool rx_fill(dma::Gfp gfp);
    void rx_reap();
    void rx_deliver(const RxSlot& slot, uint32_t status);
    void rx_age_posted();
    void tx_reap();
    void tx_release(TxSlot& slot);
    void write_desc(const Ring& ring, uint32_t index, dma::dma_addr_t addr, uint32_t len);
    uint64_t desc_va(const Ring& ring, uint32_t index) const {
        return ring.va + uint64_t(index % ring_size) * ring_nic::desc_size;
    }
    bool desc_done(const Ring& ring, uint32_t index);
    Zone dma_zone() const;

    PciDev& pdev_;
    uint64_t base_ = 0;  // BAR0, ioremap'd
    unsigned irq_ = 0;
    bool irq_requested_ = false;
    bool open_ = false;
    RingNicOptions options_;
    Ring tx_, rx_;
    std::vector<TxSlot> tx_slots_;
    std::vector<RxSlot> rx_slots_;
    uint32_t rx_seq_ = 0;  // the sequence the next posted buffer gets
    bool in_irq_ = false;
    std::unique_ptr<dma::DmaPool> rx_pool_;
    std::function<void(const RxFrame&)> rx_handler_;
    RingNicStats stats_;
};

// The driver's entry for the registry: dmasim's ring device ID, probe and remove.
PciDriver ring_nic_driver();

}  // namespace sw
