// The host-side driver of the DMA test endpoint, after Linux's drivers/misc/pci_endpoint_test.c:
// probe enables the device and bus mastering, maps its BARs, checks the magic, sets the DMA masks
// to the engine's address bits (its DMA_BITS register), and takes MSI vectors (else INTx) with a
// handler that acknowledges IRQ_RAISED and completes the waiting command. The tests are Linux's
// ioctls; each maps a kmalloc'd buffer with the DMA API for the one transfer and unmaps it before
// the CPU looks at the data. run_command() is the step they share, for workloads that manage
// their buffers themselves. remove() undoes probe; the PCI core then checks dma-debug for leaks.
#pragma once

#include "dma/types.h"
#include "models/pci/pci_endpoint_test_regs.h"
#include "sw/drivers/pci/pci.h"
#include "sw/drivers/pci/pci_driver.h"

#include <array>
#include <cstdint>

namespace sw {

class PciEndpointTest {
public:
    static constexpr const char* driver_name = "pci-endpoint-test";
    static constexpr unsigned max_msi_vectors = 32;
    static constexpr uint64_t crc_cycles_per_byte = 1;  // the CPU's cost of crc32_le

    explicit PciEndpointTest(PciDev& pdev) : pdev_(pdev) {}
    PciEndpointTest(const PciEndpointTest&) = delete;
    PciEndpointTest& operator=(const PciEndpointTest&) = delete;

    // 0 or a negative errno (the device is then left as probe found it).
    int probe();
    void remove();
    // The driver's instance of a bound device, or nullptr.
    static PciEndpointTest* of(PciDev& pdev);

    PciDev& pdev() { return pdev_; }
    dma::Device& dev() { return *pdev_.dev; }
    uint32_t irq_type() const { return irq_type_; }
    unsigned num_irqs() const { return num_irqs_; }
    unsigned dma_bits() const { return dma_bits_; }
    int last_irq() const { return last_irq_; }
    uint32_t readl(unsigned offset);
    void writel(unsigned offset, uint32_t value);

    // --- Linux's ioctls: true when the device did what was asked ---
    bool bar_test(unsigned bar);          // PCITEST_BAR: a pattern written and read back
    bool intx_irq_test();                 // PCITEST_LEGACY_IRQ (needs INTx in use)
    bool msi_irq_test(unsigned msi_num);  // PCITEST_MSI: vector msi_num (1-based) arrives
    bool write_test(uint64_t size);       // PCITEST_WRITE: the device reads and checks a CPU buffer
    bool read_test(uint64_t size);        // PCITEST_READ: the device fills a buffer the CPU checks
    bool copy_test(uint64_t size);        // PCITEST_COPY

    // Programs SRC, DST, SIZE, CHECKSUM, FLAGS and the interrupt, writes COMMAND and waits for
    // the interrupt: the STATUS the handler saw. Bus addresses come from the DMA API.
    uint32_t run_command(uint32_t command, dma::dma_addr_t src, dma::dma_addr_t dst, uint32_t size,
                         uint32_t checksum = 0);
    // crc32_le(~0, ...) of a buffer read through the CPU (kernel VA).
    uint32_t cpu_crc32(uint64_t va, uint64_t size);

private:
    void irq_handler(unsigned irq);
    void wait_for_completion();
    int request_irqs();
    void free_irqs();

    PciDev& pdev_;
    std::array<uint64_t, pci::PCI_STD_NUM_BARS> bar_{};  // ioremap'd BARs (0: none)
    uint64_t base_ = 0;                                  // the register BAR
    uint32_t irq_type_ = pci_endpoint_test::IRQ_TYPE_INTX;
    unsigned num_irqs_ = 0;
    unsigned dma_bits_ = 32;
    int last_irq_ = -1;
    bool completed_ = false;
    uint32_t status_ = 0;  // STATUS as the handler read it
};

// The driver's entry for the registry: Linux's id table (TI DRA74x, DRA72x), probe and remove.
PciDriver pci_endpoint_test_driver();

}  // namespace sw
