#include "sw/drivers/pci/ring_nic.h"

#include "dma/mapping.h"
#include "sw/kernel/kernel.h"

#include <cerrno>
#include <fmt/format.h>
#include <vector>

namespace sw {

using namespace ring_nic;

const char* to_string(RxBuffers buffers) { return buffers == RxBuffers::kmalloc ? "kmalloc" : "dma_pool"; }

PciDriver ring_nic_driver() {
    return pci_driver_of<RingNic>(RingNic::driver_name, {{PCI_VENDOR_ID_DMASIM, PCI_DEVICE_ID_DMASIM_RING}});
}

RingNic* RingNic::of(PciDev& pdev) { return bus_driver_data<RingNic>(pdev, driver_name); }

uint32_t RingNic::readl(unsigned offset) { return pdev_.kernel().cpu().load32(base_ + offset); }

void RingNic::writel(unsigned offset, uint32_t value) { pdev_.kernel().cpu().store32(base_ + offset, value); }

// --- probe and remove ---

int RingNic::probe() {
    pci_enable_device(pdev_);
    pci_set_master(pdev_);
    base_ = pci_ioremap_bar(pdev_, register_bar);
    int rc = 0;
    if (!base_ || readl(RING_ID) != ID_VALUE) {
        pci_err(pdev_, fmt::format("BAR{} is not a ring NIC register block (no ID {:#x})", register_bar, ID_VALUE));
        rc = -ENODEV;
    }
    if (rc == 0) {
        unsigned bits = readl(RING_DMA_BITS);
        rc = dma::set_mask_and_coherent(dev(), dma::dma_bit_mask(bits));
        if (rc < 0)
            pci_err(pdev_, fmt::format("Cannot set DMA mask ({} bits)", bits));
    }
    if (rc == 0)
        rc = alloc_rings();
    if (rc == 0)
        rc = request_irq();
    if (rc < 0)
        remove();
    return rc;
}

void RingNic::remove() {
    stop();
    free_irq();
    free_rings();
    if (base_)
        pci_iounmap(pdev_, register_bar, base_);
    base_ = 0;
    pci_disable_device(pdev_);
}

int RingNic::alloc_rings() {
    uint64_t bytes = uint64_t(ring_size) * desc_size;
    tx_.va = dma::alloc_coherent(dev(), bytes, tx_.dma);
    rx_.va = tx_.va ? dma::alloc_coherent(dev(), bytes, rx_.dma) : 0;
    if (!rx_.va) {
        free_rings();
        return -ENOMEM;
    }
    return 0;
}

void RingNic::free_rings() {
    if (base_)
        writel(RING_CTRL, CTRL_RESET);  // the device forgets the rings before they go
    uint64_t bytes = uint64_t(ring_size) * desc_size;
    for (Ring* ring : {&tx_, &rx_}) {
        if (ring->va)
            dma::free_coherent(dev(), bytes, ring->va, ring->dma);
        *ring = Ring{};
    }
}

// After a reset, which forgets the rings: their bases and sizes, and with them the indices.
void RingNic::program_rings() {
    writel(RING_TX_BASE_LO, static_cast<uint32_t>(tx_.dma));
    writel(RING_TX_BASE_HI, static_cast<uint32_t>(tx_.dma >> 32));
    writel(RING_TX_SIZE, ring_size);
    writel(RING_RX_BASE_LO, static_cast<uint32_t>(rx_.dma));
    writel(RING_RX_BASE_HI, static_cast<uint32_t>(rx_.dma >> 32));
    writel(RING_RX_SIZE, ring_size);
    tx_.posted = tx_.reaped = rx_.posted = rx_.reaped = 0;
}

int RingNic::request_irq() {
    Kernel& kernel = pdev_.kernel();
    if (!kernel.interrupts()) {
        pci_err(pdev_, "no interrupt controller: nothing could signal a received frame; not probed");
        return -ENODEV;
    }
    int nvec = pci_alloc_irq_vectors(pdev_, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX);
    if (nvec < 0) {
        pci_err(pdev_,
                "Failed to get MSI or INTx interrupts: " + pci_irq_vectors_missing(pdev_, PCI_IRQ_MSI | PCI_IRQ_INTX));
        return nvec;
    }
    irq_ = static_cast<unsigned>(pci_irq_vector(pdev_, 0));
    if (int rc = kernel.request_irq(
            irq_, [this] { irq_handler(); }, driver_name);
        rc < 0) {
        pci_free_irq_vectors(pdev_);
        return rc;
    }
    irq_requested_ = true;
    return 0;
}

void RingNic::free_irq() {
    if (!irq_requested_)
        return;
    pdev_.kernel().free_irq(irq_);
    pci_free_irq_vectors(pdev_);
    irq_requested_ = false;
}

// --- open and stop ---

int RingNic::open(const RingNicOptions& options) {
    if (open_)
        return -EBUSY;
    if (!base_ || options.rx_buffer_size == 0 || options.rx_buffer_size > DESC_STATUS_LEN_MASK)
        return -EINVAL;
    options_ = options;
    tx_slots_.assign(ring_size, TxSlot{});
    rx_slots_.assign(ring_size, RxSlot{});
    writel(RING_CTRL, CTRL_RESET);
    program_rings();
    rx_seq_ = 0;
    if (options_.rx_buffers == RxBuffers::dma_pool) {
        uint64_t line = pdev_.kernel().cpu().l1d().line_size();
        rx_pool_ = dma::dma_pool_create("ring_nic-rx", dev(), options_.rx_buffer_size, line, 0);
    }
    open_ = true;  // from here stop() undoes what is done
    if ((options_.rx_buffers == RxBuffers::dma_pool && !rx_pool_) || !rx_fill(dma::Gfp::kernel)) {
        stop();
        return -ENOMEM;
    }
    writel(RING_COAL_COUNT, options_.coalesce_count);
    writel(RING_COAL_TIMER_NS, options_.coalesce_ns);
    // In loopback every frame comes back: its RX interrupt reaps the TX ring too.
    uint32_t causes = INT_RX_DONE | INT_RX_NO_BUFFER | INT_DMA_ERROR | (options_.loopback ? 0 : INT_TX_DONE);
    writel(RING_INT_MASK, INT_ALL & ~causes);
    writel(RING_CTRL, CTRL_TX_ENABLE | CTRL_RX_ENABLE | (options_.loopback ? CTRL_LOOPBACK : 0));
    return 0;
}

void RingNic::stop() {
    if (!open_)
        return;
    writel(RING_CTRL, 0);
    writel(RING_INT_MASK, INT_ALL);
    readl(RING_STATUS);  // the engines are off before their buffers go
    for (; tx_.reaped != tx_.posted; ++tx_.reaped)
        tx_release(tx_slots_[tx_.reaped % ring_size]);
    for (; rx_.reaped != rx_.posted; ++rx_.reaped) {
        RxSlot& slot = rx_slots_[rx_.reaped % ring_size];
        if (options_.rx_buffers == RxBuffers::kmalloc)
            dma::unmap_single(dev(), slot.dma, options_.rx_buffer_size, dma::DmaDirection::from_device);
        rx_free(slot);
    }
    dma::dma_pool_destroy(std::move(rx_pool_));
    open_ = false;
}

// --- descriptors ---

void RingNic::write_desc(const Ring& ring, uint32_t index, dma::dma_addr_t addr, uint32_t len) {
    models::Core& cpu = pdev_.kernel().cpu();
    uint64_t desc = desc_va(ring, index);
    cpu.store64(desc + DESC_ADDR, addr);
    cpu.store16(desc + DESC_LEN, static_cast<uint16_t>(len));
    cpu.store32(desc + DESC_STATUS, 0);
    cpu.store16(desc + DESC_FLAGS, DESC_OWN);  // last: the descriptor is the device's from here
}

bool RingNic::desc_done(const Ring& ring, uint32_t index) {
    models::Core& cpu = pdev_.kernel().cpu();
    uint64_t desc = desc_va(ring, index);
    return !(cpu.load16(desc + DESC_FLAGS) & DESC_OWN) && (cpu.load32(desc + DESC_STATUS) & DESC_STATUS_DONE);
}

// Per-packet memory comes from the zone the NIC reaches in place (the kernel sizes ZONE_DMA to the
// host bridge's inbound window), as GFP_DMA asks.
Zone RingNic::dma_zone() const { return pdev_.kernel().page_allocator().zone_dma_limit() ? Zone::dma : Zone::normal; }

// --- receive ---

// A buffer and, right before it, its rx_info.
bool RingNic::rx_alloc(RxSlot& slot, dma::Gfp gfp) {
    Kmalloc& kmalloc = pdev_.kernel().kmalloc();
    slot.info = kmalloc.kmalloc(RxInfoLayout::size, dma_zone());
    if (!slot.info)
        return false;
    if (options_.rx_buffers == RxBuffers::dma_pool)
        slot.va = dma::dma_pool_alloc(*rx_pool_, gfp, slot.dma);
    else
        slot.va = kmalloc.kmalloc(options_.rx_buffer_size, dma_zone());
    if (slot.va)
        return true;
    kmalloc.kfree(slot.info);
    return false;
}

void RingNic::rx_free_buffer(uint64_t va, dma::dma_addr_t dma) {
    if (options_.rx_buffers == RxBuffers::dma_pool)
        dma::dma_pool_free(*rx_pool_, va, dma);
    else
        pdev_.kernel().kmalloc().kfree(va);
}

void RingNic::rx_free(RxSlot& slot) {
    rx_free_buffer(slot.va, slot.dma);
    pdev_.kernel().kmalloc().kfree(slot.info);
    slot = RxSlot{};
}

void RingNic::free_rx_frame(const RxFrame& frame) { rx_free_buffer(frame.va, frame.dma); }

// Fills in the rx_info and hands a kmalloc'd buffer to the device; false if it cannot be mapped.
bool RingNic::rx_prepare(RxSlot& slot) {
    models::Core& cpu = pdev_.kernel().cpu();
    // Inside the handler the buffer is aged at its end; otherwise first by the next interrupt.
    auto first_aging = static_cast<uint32_t>(stats_.irqs + (in_irq_ ? 0 : 1));
    cpu.store32(slot.info + RxInfoLayout::seq, rx_seq_);
    cpu.store32(slot.info + RxInfoLayout::state, RxInfoLayout::state_posted);
    cpu.store32(slot.info + RxInfoLayout::posted_irq, first_aging);
    cpu.store32(slot.info + RxInfoLayout::irqs_waited, 0);
    cpu.store32(slot.info + RxInfoLayout::buffer_len, options_.rx_buffer_size);
    if (options_.rx_buffers == RxBuffers::kmalloc) {
        slot.dma = dma::map_single(dev(), slot.va, options_.rx_buffer_size, dma::DmaDirection::from_device);
        if (dma::mapping_error(dev(), slot.dma))
            return false;
    }
    cpu.store64(slot.info + RxInfoLayout::dma, slot.dma);
    ++rx_seq_;
    return true;
}

void RingNic::rx_post(const RxSlot& slot) {
    uint32_t index = rx_.posted++ % ring_size;
    rx_slots_[index] = slot;
    write_desc(rx_, index, slot.dma, options_.rx_buffer_size);
}

void RingNic::rx_doorbell() {
    pdev_.kernel().cpu().dsb();  // wmb(): descriptors before the doorbell
    writel(RING_RX_TAIL, rx_.posted % ring_size);
}

bool RingNic::rx_fill(dma::Gfp gfp) {
    while (rx_.posted - rx_.reaped < ring_size - 1) {
        RxSlot slot;
        if (!rx_alloc(slot, gfp))
            return false;
        if (!rx_prepare(slot)) {
            rx_free(slot);
            return false;
        }
        rx_post(slot);
    }
    rx_doorbell();
    return true;
}

// Each completed buffer's replacement is allocated before the frame goes up, so that a failed
// allocation drops the frame and reposts its buffer instead of leaving a hole in the ring. It is
// posted, and the doorbell rung, before the frame goes up too: the stack may answer from the
// receive path, and its answer must find the buffer its frame took. Posted later (the doorbell at
// the end of the loop), a device faster than the loop uses up every posted buffer while the loop
// still runs and drops the answers.
void RingNic::rx_reap() {
    while (rx_.reaped != rx_.posted && desc_done(rx_, rx_.reaped)) {
        uint32_t index = rx_.reaped++ % ring_size;
        RxSlot old = rx_slots_[index];
        rx_slots_[index] = RxSlot{};
        uint32_t status = pdev_.kernel().cpu().load32(desc_va(rx_, index) + DESC_STATUS);
        if (options_.rx_buffers == RxBuffers::kmalloc)
            dma::unmap_single(dev(), old.dma, options_.rx_buffer_size, dma::DmaDirection::from_device);
        RxSlot fresh;
        bool replaced = rx_alloc(fresh, dma::Gfp::atomic);
        if (!replaced) {
            ++stats_.rx_alloc_failures;
            fresh = old;
        }
        if (rx_prepare(fresh)) {
            rx_post(fresh);
            rx_doorbell();
        } else {
            ++stats_.rx_alloc_failures;
            rx_free(fresh);  // the ring runs one short
        }
        if (replaced) {
            rx_deliver(old, status);
            pdev_.kernel().kmalloc().kfree(old.info);
        }
    }
}

void RingNic::rx_deliver(const RxSlot& slot, uint32_t status) {
    models::Core& cpu = pdev_.kernel().cpu();
    RxFrame frame;
    frame.va = slot.va;
    frame.dma = slot.dma;
    frame.len = status & DESC_STATUS_LEN_MASK;
    frame.tag = cpu.load32(slot.info + RxInfoLayout::seq);
    frame.truncated = status & DESC_STATUS_TRUNCATED;
    auto waited = static_cast<uint32_t>(stats_.irqs - cpu.load32(slot.info + RxInfoLayout::posted_irq));
    for (auto [field, expected] :
         {std::pair{RxInfoLayout::state, RxInfoLayout::state_posted}, std::pair{RxInfoLayout::irqs_waited, waited}}) {
        uint32_t value = cpu.load32(slot.info + field);
        for (unsigned byte = 0; byte < 4; ++byte)
            frame.record_errors += (value >> (8 * byte) & 0xff) != (expected >> (8 * byte) & 0xff);
    }
    stats_.rx_records_corrupt += frame.record_errors != 0;
    ++stats_.rx_packets;
    if (rx_handler_)
        rx_handler_(frame);
    else
        free_rx_frame(frame);
}

// The driver's bookkeeping while the buffers are with the device: each waited one more interrupt.
void RingNic::rx_age_posted() {
    models::Core& cpu = pdev_.kernel().cpu();
    for (uint32_t n = rx_.reaped; n != rx_.posted; ++n) {
        uint64_t waited = rx_slots_[n % ring_size].info + RxInfoLayout::irqs_waited;
        cpu.store32(waited, cpu.load32(waited) + 1);
    }
}

// --- transmit ---

int RingNic::xmit(uint64_t frame, uint32_t len) {
    if (!open_ || len == 0 || len > DESC_STATUS_LEN_MASK)
        return -EINVAL;
    if (tx_.posted - tx_.reaped >= ring_size - 1)
        tx_reap();
    if (tx_.posted - tx_.reaped >= ring_size - 1) {
        ++stats_.tx_busy;
        return -EBUSY;
    }
    Kernel& kernel = pdev_.kernel();
    TxSlot slot{frame, 0, len};
    if (len <= options_.tx_copybreak) {  // a small frame is copied rather than mapped
        uint64_t copy = kernel.kmalloc().kmalloc(len, dma_zone());
        if (copy) {
            std::vector<uint8_t> bytes(len);
            kernel.cpu().read_block(frame, bytes.data(), len);
            kernel.cpu().write_block(copy, bytes.data(), len);
            ++stats_.tx_copied;
        }
        kernel.kmalloc().kfree(frame);
        if (!copy)
            return -ENOMEM;
        slot.va = copy;
    }
    slot.dma = dma::map_single(dev(), slot.va, len, dma::DmaDirection::to_device);
    if (dma::mapping_error(dev(), slot.dma)) {
        kernel.kmalloc().kfree(slot.va);
        return -ENOMEM;
    }
    uint32_t index = tx_.posted++ % ring_size;
    tx_slots_[index] = slot;
    write_desc(tx_, index, slot.dma, len);
    kernel.cpu().dsb();  // wmb(): the descriptor before the doorbell
    writel(RING_TX_TAIL, tx_.posted % ring_size);
    ++stats_.tx_packets;
    return 0;
}

void RingNic::tx_release(TxSlot& slot) {
    dma::unmap_single(dev(), slot.dma, slot.len, dma::DmaDirection::to_device);
    pdev_.kernel().kmalloc().kfree(slot.va);
    slot = TxSlot{};
}

void RingNic::tx_reap() {
    for (; tx_.reaped != tx_.posted && desc_done(tx_, tx_.reaped); ++tx_.reaped)
        tx_release(tx_slots_[tx_.reaped % ring_size]);
}

// --- interrupt ---

void RingNic::poll() {
    rx_reap();
    tx_reap();
}

void RingNic::irq_handler() {
    ++stats_.irqs;
    uint32_t status = readl(RING_INT_STATUS);
    writel(RING_INT_STATUS, status);  // acknowledge: INTx drops ...
    readl(RING_INT_STATUS);           // ... once the posted write has reached the device
    if (!open_)
        return;
    stats_.dma_errors += (status & INT_DMA_ERROR) != 0;
    in_irq_ = true;
    poll();
    rx_age_posted();
    in_irq_ = false;
}

}  // namespace sw
