#include "sw/drivers/usb/uhc_hcd.h"

#include "dma/context.h"
#include "dma/mapping.h"
#include "sw/kernel/kernel.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace sw {

using namespace uhc;

PciDriver uhc_hcd_driver() {
    return pci_driver_of<UhcHcd>(UhcHcd::hcd_name, {{PCI_VENDOR_ID_DMASIM, PCI_DEVICE_ID_DMASIM_UHC}});
}

UhcHcd* UhcHcd::of(PciDev& pdev) { return bus_driver_data<UhcHcd>(pdev, hcd_name); }

uint32_t UhcHcd::readl(unsigned offset) { return pdev_.kernel().cpu().load32(regs_ + offset); }

void UhcHcd::writel(unsigned offset, uint32_t value) { pdev_.kernel().cpu().store32(regs_ + offset, value); }

int UhcHcd::probe() {
    pci_enable_device(pdev_);
    pci_set_master(pdev_);
    regs_ = pci_ioremap_bar(pdev_, register_bar);
    int rc = 0;
    if (!regs_ || readl(UHC_MAGIC) != MAGIC_VALUE) {
        pci_err(pdev_, fmt::format("BAR{} is not a UHC register block (no magic {:#x})", register_bar, MAGIC_VALUE));
        rc = -ENODEV;
    }
    if (rc == 0) {
        uint32_t params = readl(UHC_HCSPARAMS);
        ports_ = HCS_MAX_PORTS(params);
        dma_bits_ = HCS_DMA_BITS(params);
        rc = dma::set_mask_and_coherent(sysdev(), dma::dma_bit_mask(dma_bits_));
        if (rc < 0)
            pci_err(pdev_, fmt::format("Cannot set DMA mask ({} bits)", dma_bits_));
    }
    if (rc == 0) {
        ring_va_ = dma::alloc_coherent(sysdev(), uint64_t(ring_entries) * td_size, ring_dma_);
        rc = ring_va_ ? 0 : -ENOMEM;
    }
    if (rc == 0)
        rc = request_irq();
    if (rc == 0)
        rc = start_controller();
    if (rc < 0) {
        remove();
        return rc;
    }
    models::Instrumentation& instr = sysdev().context().instr();
    bus_ = std::make_unique<UsbBus>(*this, pdev_.kernel(), instr, static_cast<unsigned>(++instr.counter("usb.buses")));
    std::string who = std::string(hcd_name) + " " + pdev_.name();
    bus_->log(who, fmt::format("new USB bus registered, assigned bus number {}", bus_->busnum()));
    bus_->log(who, fmt::format("{}-bit DMA, TD ring at bus address {:#x}, {} root-hub port(s), {}", dma_bits_,
                               ring_dma_, ports_, pci_dev_msi_enabled(pdev_) ? "MSI" : "INTx"));
    bus_->enumerate();
    return 0;
}

void UhcHcd::remove() {
    if (bus_)
        bus_->disconnect_all();
    if (regs_)
        writel(UHC_USBCMD, CMD_RESET);  // halted, ports and devices reset
    free_irq();
    if (ring_va_)
        dma::free_coherent(sysdev(), uint64_t(ring_entries) * td_size, ring_va_, ring_dma_);
    ring_va_ = 0;
    if (regs_)
        pci_iounmap(pdev_, register_bar, regs_);
    regs_ = 0;
    pci_disable_device(pdev_);
}

int UhcHcd::start_controller() {
    writel(UHC_USBCMD, CMD_RESET);
    pdev_.kernel().cpu().fill_block(ring_va_, 0, uint64_t(ring_entries) * td_size);
    writel(UHC_RING_LO, static_cast<uint32_t>(ring_dma_));
    writel(UHC_RING_HI, static_cast<uint32_t>(ring_dma_ >> 32));
    writel(UHC_RING_SIZE, ring_entries);
    writel(UHC_USBCMD, CMD_RUN | CMD_EIE);
    enqueue_ = dequeue_ = 0;
    dead_ = false;
    return readl(UHC_USBSTS) & STS_HALT ? -EIO : 0;
}

// An MSI vector when the platform has an MSI frame, else the INTx line.
int UhcHcd::request_irq() {
    Kernel& kernel = pdev_.kernel();
    if (!kernel.interrupts()) {
        pci_err(pdev_, "no interrupt controller: nothing could report a completed TD; not probed");
        return -ENODEV;
    }
    int nvec = pci_alloc_irq_vectors(pdev_, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX);
    if (nvec < 0) {
        pci_err(pdev_,
                "Failed to get MSI or INTx interrupts: " + pci_irq_vectors_missing(pdev_, PCI_IRQ_MSI | PCI_IRQ_INTX));
        return nvec;
    }
    if (int rc = kernel.request_irq(
            static_cast<unsigned>(pci_irq_vector(pdev_, 0)), [this] { irq_handler(); }, hcd_name);
        rc < 0) {
        pci_free_irq_vectors(pdev_);
        return rc;
    }
    irq_requested_ = true;
    return 0;
}

void UhcHcd::free_irq() {
    if (!irq_requested_)
        return;
    pdev_.kernel().free_irq(static_cast<unsigned>(pci_irq_vector(pdev_, 0)));
    pci_free_irq_vectors(pdev_);
    irq_requested_ = false;
}

bool UhcHcd::port_connected(unsigned port) { return readl(UHC_PORTSC(port)) & PORT_CONNECT; }

int UhcHcd::port_reset(unsigned port) {
    writel(UHC_PORTSC(port), PORT_RESET | PORT_CSC);
    uint32_t portsc = readl(UHC_PORTSC(port));
    writel(UHC_PORTSC(port), PORT_RC);
    return portsc & PORT_PE ? 0 : -ENOTCONN;
}

int UhcHcd::urb_enqueue(Urb& urb) {
    if (dead_)
        return -ESHUTDOWN;
    if (urb.transfer_buffer_length > max_td_length)
        return -EMSGSIZE;
    uint32_t next = (enqueue_ + 1) % ring_entries;
    if (next == dequeue_)
        return -ENOSPC;
    uint32_t control = TD_ADDR(urb.dev->devnum) | TD_EP(urb.pipe.number()) | TD_TYPE(urb.pipe.type) | TD_IOC |
                       (usb_urb_dir_in(urb) ? TD_DIR_IN : 0);
    uint64_t setup;
    std::memcpy(&setup, &urb.setup_packet, sizeof setup);
    models::Core& cpu = pdev_.kernel().cpu();
    uint64_t td = td_va(enqueue_);
    cpu.store64(td + TD_BUFFER, urb.transfer_dma);
    cpu.store32(td + TD_LENGTH, urb.transfer_buffer_length);
    cpu.store32(td + TD_CONTROL, control);
    cpu.store64(td + TD_SETUP, setup);
    cpu.store32(td + TD_ACTUAL, 0);
    cpu.store32(td + TD_STATUS, TD_ACTIVE);
    cpu.dsb();  // the TD is in memory before the doorbell (Linux's wmb())
    pending_[enqueue_] = &urb;
    enqueue_ = next;
    writel(UHC_DOORBELL, enqueue_);
    return 0;
}

void UhcHcd::irq_handler() {
    uint32_t events = readl(UHC_USBSTS) & (STS_EINT | STS_FATAL);
    if (!events)
        return;
    writel(UHC_USBSTS, events);
    giveback_completed();
    if (events & STS_FATAL) {
        dead_ = true;
        bus_->log(std::string(hcd_name) + " " + pdev_.name(),
                  fmt::format("host system error: the controller could not reach its TD ring at bus address {:#x}; "
                              "halted",
                              ring_dma_));
        giveback_all(-ESHUTDOWN);
    }
}

// The TDs the controller has written back, in ring order.
void UhcHcd::giveback_completed() {
    models::Core& cpu = pdev_.kernel().cpu();
    while (dequeue_ != enqueue_) {
        uint32_t status = cpu.load32(td_va(dequeue_) + TD_STATUS);
        if (status & TD_ACTIVE)
            break;
        Urb& urb = *pending_[dequeue_];
        pending_[dequeue_] = nullptr;
        urb.actual_length = cpu.load32(td_va(dequeue_) + TD_ACTUAL);
        dequeue_ = (dequeue_ + 1) % ring_entries;
        if (TD_CC(status) == CC_DMA_ERROR)
            bus_->log(std::string(hcd_name) + " " + pdev_.name(),
                      fmt::format("usb {} ep{}{}: the controller could not {} {} bytes at bus address {:#x} ({}-bit "
                                  "DMA)",
                                  urb.dev->name(), urb.pipe.number(), usb_urb_dir_in(urb) ? "in" : "out",
                                  usb_urb_dir_in(urb) ? "write" : "read", urb.transfer_buffer_length, urb.transfer_dma,
                                  dma_bits_));
        usb_hcd_giveback_urb(urb, urb_status(TD_CC(status), urb));
    }
}

void UhcHcd::giveback_all(int status) {
    while (dequeue_ != enqueue_) {
        Urb& urb = *pending_[dequeue_];
        pending_[dequeue_] = nullptr;
        dequeue_ = (dequeue_ + 1) % ring_entries;
        usb_hcd_giveback_urb(urb, status);
    }
}

// Linux's statuses (Documentation/driver-api/usb/error-codes.rst).
int UhcHcd::urb_status(uint32_t code, const Urb& urb) {
    switch (code) {
    case CC_SUCCESS: return 0;
    case CC_SHORT_PACKET: return urb.transfer_flags & URB_SHORT_NOT_OK ? -EREMOTEIO : 0;
    case CC_STALL: return -EPIPE;
    case CC_DMA_ERROR: return usb_urb_dir_in(urb) ? -ECOMM : -ENOSR;
    case CC_TRANSACTION_ERROR: return -EPROTO;
    case CC_TD_ERROR: return -EINVAL;
    default: return -EIO;
    }
}

}  // namespace sw
