// The kernel's PCI core (Linux's drivers/pci): a pci_dev per function found by enumeration, the
// configuration accessors (ECAM MMIO through the core), and what drivers call: enable the device,
// bus mastering, BAR mappings, interrupt vectors (MSI through the GICv2m frame, else INTx from the
// bridge's interrupt-map), driver data. Each function carries a dma::Device named as Linux names
// it ("0000:00:01.0"), configured from its host bridge's DMA configuration; its masks are the
// driver's to set (dma::set_mask_and_coherent).
#pragma once

#include "dma/device.h"
#include "models/pci/pci_regs.h"
#include "sw/drivers/pci/pci_driver.h"
#include "sw/drivers/pci/pci_host_bridge.h"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace models {
class Instrumentation;
}

namespace sw {

class Kernel;
struct PciDriver;

// A host bridge as the kernel runs it: its description and the ECAM mapping.
struct PciHost {
    PciHostBridgeInfo info;
    Kernel& kernel;
    uint64_t ecam_va = 0;  // ioremap'd ECAM, Device memory
    // The PCI core's log: (device, message); none: the message is dropped.
    std::function<void(const std::string&, const std::string&)> log;
};

// A BAR's CPU address range once assigned (Linux's struct resource); size 0: none.
struct PciResource {
    uint64_t start = 0;  // CPU physical address
    uint64_t size = 0;
    bool mem64 = false;
    bool prefetchable = false;
    bool assigned = false;
};

// pci_alloc_irq_vectors flags (Linux's PCI_IRQ_*).
constexpr unsigned PCI_IRQ_INTX = 1u << 0;
constexpr unsigned PCI_IRQ_MSI = 1u << 1;

struct PciDev {
    explicit PciDev(PciHost& host) : host(host) {}

    PciHost& host;
    unsigned bus = 0;
    unsigned devfn = 0;
    uint16_t vendor = 0;
    uint16_t device = 0;
    uint32_t class_code = 0;  // base class << 16 | sub-class << 8 | programming interface
    uint8_t revision = 0;
    uint8_t pin = 0;       // 1..4: INTA..INTD; 0: none
    unsigned msi_cap = 0;  // the MSI capability's offset; 0: none
    std::array<PciResource, pci::PCI_STD_NUM_BARS> resource{};
    std::unique_ptr<dma::Device> dev;
    // The INTx interrupt ID from the interrupt-map (0: none); while vectors are allocated, the first.
    unsigned irq = 0;
    unsigned intx_irq = 0;
    unsigned msi_vectors = 0;  // allocated MSI vectors; 0: INTx (or none)
    int enable_count = 0;
    const PciDriver* driver = nullptr;
    std::shared_ptr<void> driver_data;

    Kernel& kernel() { return host.kernel; }
    // Linux's pci_name: domain:bus:slot.function.
    std::string name() const;
};

// dev_err of a function's driver during its probe (pdev.driver is set then, as really_probe sets
// dev->driver): "<driver> <pci name>: <message>" in the PCI core's log.
void pci_err(PciDev& pdev, const std::string& message);
// What the function, its host bridge or the platform lacks for pci_alloc_irq_vectors to find a
// vector of `flags` (PCI_IRQ_MSI, PCI_IRQ_INTX), e.g. "no MSI: the GIC has no GICv2m frame".
std::string pci_irq_vectors_missing(PciDev& pdev, unsigned flags);

// Linux's pci_name of the function `devfn` on `bus` of PCI domain `domain`: "0000:00:01.0".
std::string pci_name(unsigned domain, unsigned bus, unsigned devfn);

// Configuration space through ECAM (Linux's pci_read_config_* / pci_write_config_*).
uint8_t pci_read_config_byte(PciDev& pdev, unsigned where);
uint16_t pci_read_config_word(PciDev& pdev, unsigned where);
uint32_t pci_read_config_dword(PciDev& pdev, unsigned where);
void pci_write_config_byte(PciDev& pdev, unsigned where, uint8_t value);
void pci_write_config_word(PciDev& pdev, unsigned where, uint16_t value);
void pci_write_config_dword(PciDev& pdev, unsigned where, uint32_t value);
// The same for a bus/devfn that may have no pci_dev yet (enumeration): an absent function reads
// all-ones.
uint32_t pci_bus_read_config(PciHost& host, unsigned bus, unsigned devfn, unsigned where, unsigned size);
void pci_bus_write_config(PciHost& host, unsigned bus, unsigned devfn, unsigned where, unsigned size, uint32_t value);

// Linux's pci_find_capability: the offset of the function's first capability `cap`
// (PCI_CAP_ID_*) in its capability list, 0 if none.
unsigned pci_find_capability(PciDev& pdev, uint8_t cap);

// Turns memory decoding on for a device with memory BARs (0; counted, so disable pairs with it).
int pci_enable_device(PciDev& pdev);
// The last disable turns bus mastering off, as Linux's do_pci_disable_device does.
void pci_disable_device(PciDev& pdev);
void pci_set_master(PciDev& pdev);
void pci_clear_master(PciDev& pdev);
// Linux's pci_intx: INTx enabled (PCI_COMMAND_INTX_DISABLE clear) or not.
void pci_intx(PciDev& pdev, bool enable);

uint64_t pci_resource_start(const PciDev& pdev, unsigned bar);
uint64_t pci_resource_len(const PciDev& pdev, unsigned bar);
// The BAR mapped as Device memory (0 when the BAR is not assigned); unmap with pci_iounmap.
uint64_t pci_ioremap_bar(PciDev& pdev, unsigned bar);
void pci_iounmap(PciDev& pdev, unsigned bar, uint64_t va);

// Linux's pci_alloc_irq_vectors: MSI (from min_vecs to max_vecs, a power of two the capability
// and the MSI frame allow) when PCI_IRQ_MSI is given and possible, else INTx (one vector) when
// PCI_IRQ_INTX is given and the pin is routed. The number of vectors, or -ENOSPC / -EINVAL.
int pci_alloc_irq_vectors(PciDev& pdev, unsigned min_vecs, unsigned max_vecs, unsigned flags);
void pci_free_irq_vectors(PciDev& pdev);
// The interrupt ID of vector `nr` (-EINVAL beyond the allocated vectors).
int pci_irq_vector(PciDev& pdev, unsigned nr);
inline bool pci_dev_msi_enabled(const PciDev& pdev) { return pdev.msi_vectors != 0; }

template <typename T>
T* pci_get_drvdata(PciDev& pdev) {
    return static_cast<T*>(pdev.driver_data.get());
}
inline void pci_set_drvdata(PciDev& pdev, std::shared_ptr<void> data) { pdev.driver_data = std::move(data); }

// The PciDriver of a driver class T of the usual shape (bus_driver_of); remove runs T::remove().
template <typename T>
PciDriver pci_driver_of(std::string name, std::vector<PciDeviceId> id_table) {
    PciDriver driver = bus_driver_of<T, PciDriver>(std::move(name), std::move(id_table));
    driver.remove = [](PciDev& pdev) { pci_get_drvdata<T>(pdev)->remove(); };
    return driver;
}

}  // namespace sw
