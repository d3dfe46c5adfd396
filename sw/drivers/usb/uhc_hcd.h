// The host controller driver of dmasim's USB host controller (models/usb/uhc_regs.h),
// a PCI driver written as Linux's xhci-pci / ehci-pci are:
//   probe:  enables the device and bus mastering, maps BAR0, checks the magic, sets the DMA masks
//           to the engine's address bits (HCSPARAMS, as xHCI's AC64 decides between 32 and 64),
//           resets the controller, allocates the TD ring with dma_alloc_coherent on the PCI
//           device, takes an MSI vector (else INTx), starts the ring, registers a USB bus
//           (numbered from 1 by the stat usb.buses) and enumerates its root hub.
//   URBs:   one TD per URB (at most uhc::max_td_length bytes), written through the ring's
//           uncached mapping, then a barrier and the doorbell; every TD interrupts on completion.
//           The handler acknowledges USBSTS and gives back each TD the controller has completed,
//           with Linux's status for its completion code (a DMA error: -ECOMM for IN, -ENOSR for
//           OUT, the error-codes.rst meanings "could not write to / read from system memory").
//           A host system error halts the controller: every URB still queued gets -ESHUTDOWN,
//           and later submissions too.
//   remove: disconnects the USB devices (their drivers' disconnect and dma-debug's leak check per
//           device), halts the controller, frees the ring and the interrupt, unmaps, disables.
#pragma once

#include "dma/types.h"
#include "models/usb/uhc_regs.h"
#include "sw/drivers/pci/pci.h"
#include "sw/drivers/pci/pci_driver.h"
#include "sw/drivers/usb/usb.h"
#include "sw/drivers/usb/usb_bus.h"

#include <memory>
#include <vector>

namespace sw {

class UhcHcd : public UsbHcd {
public:
    static constexpr const char* hcd_name = "dmasim-uhc";
    static constexpr uint32_t ring_entries = 64;

    explicit UhcHcd(PciDev& pdev) : pdev_(pdev), pending_(ring_entries, nullptr) {}
    UhcHcd(const UhcHcd&) = delete;
    UhcHcd& operator=(const UhcHcd&) = delete;

    int probe();  // 0 or a negative errno (the device is then left as probe found it)
    void remove();
    // The driver's instance of a bound device, or nullptr.
    static UhcHcd* of(PciDev& pdev);

    PciDev& pdev() { return pdev_; }
    UsbBus& bus() { return *bus_; }
    unsigned dma_bits() const { return dma_bits_; }
    uint32_t readl(unsigned offset);
    void writel(unsigned offset, uint32_t value);

    // --- UsbHcd ---
    const char* driver_name() const override { return hcd_name; }
    dma::Device& sysdev() override { return *pdev_.dev; }
    int urb_enqueue(Urb& urb) override;
    unsigned root_hub_ports() override { return ports_; }
    bool port_connected(unsigned port) override;
    int port_reset(unsigned port) override;

private:
    int start_controller();
    int request_irq();
    void free_irq();
    void irq_handler();
    void giveback_completed();
    void giveback_all(int status);
    uint64_t td_va(uint32_t index) const { return ring_va_ + uint64_t(index) * uhc::td_size; }
    static int urb_status(uint32_t code, const Urb& urb);

    PciDev& pdev_;
    uint64_t regs_ = 0;  // ioremap'd BAR0
    unsigned dma_bits_ = 32;
    unsigned ports_ = 0;
    uint64_t ring_va_ = 0;
    dma::dma_addr_t ring_dma_ = 0;
    uint32_t enqueue_ = 0;
    uint32_t dequeue_ = 0;
    std::vector<Urb*> pending_;  // the URB of each ring entry the controller has
    bool irq_requested_ = false;
    bool dead_ = false;  // a host system error halted the controller
    std::unique_ptr<UsbBus> bus_;
};

// The driver's entry for the PCI registry: dmasim's controller ID, probe and remove.
PciDriver uhc_hcd_driver();

}  // namespace sw
