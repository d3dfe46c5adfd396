#include "sw/drivers/pci/pci_endpoint_test.h"

#include "dma/mapping.h"
#include "sw/kernel/kernel.h"

#include <cerrno>
#include <fmt/format.h>
#include <vector>

namespace sw {

using namespace pci_endpoint_test;

PciDriver pci_endpoint_test_driver() {
    return pci_driver_of<PciEndpointTest>(PciEndpointTest::driver_name, {{PCI_VENDOR_ID_TI, PCI_DEVICE_ID_TI_DRA74x},
                                                                         {PCI_VENDOR_ID_TI, 0xb501 /* DRA72x */}});
}

PciEndpointTest* PciEndpointTest::of(PciDev& pdev) { return bus_driver_data<PciEndpointTest>(pdev, driver_name); }

uint32_t PciEndpointTest::readl(unsigned offset) { return pdev_.kernel().cpu().load32(base_ + offset); }

void PciEndpointTest::writel(unsigned offset, uint32_t value) { pdev_.kernel().cpu().store32(base_ + offset, value); }

int PciEndpointTest::probe() {
    pci_enable_device(pdev_);
    pci_set_master(pdev_);
    for (unsigned bar = 0; bar < pci::PCI_STD_NUM_BARS; ++bar)
        bar_[bar] = pci_ioremap_bar(pdev_, bar);
    base_ = bar_[register_bar];
    int rc = 0;
    if (!base_ || readl(PCI_ENDPOINT_TEST_MAGIC) != MAGIC_VALUE) {
        pci_err(pdev_, fmt::format("BAR{} is not a PCI endpoint test register block (no magic {:#x})", register_bar,
                                   MAGIC_VALUE));
        rc = -ENODEV;
    }
    if (rc == 0) {
        dma_bits_ = readl(PCI_ENDPOINT_TEST_DMA_BITS);
        rc = dma::set_mask_and_coherent(dev(), dma::dma_bit_mask(dma_bits_));
        if (rc < 0)
            pci_err(pdev_, fmt::format("Cannot set DMA mask ({} bits)", dma_bits_));
    }
    if (rc == 0)
        rc = request_irqs();
    if (rc < 0)
        remove();
    return rc;
}

// MSI vectors when the platform has an MSI frame, else the INTx line; a handler on each.
int PciEndpointTest::request_irqs() {
    if (!pdev_.kernel().interrupts()) {
        pci_err(pdev_, "no interrupt controller: nothing could signal a completed command; not probed");
        return -ENODEV;
    }
    int nvec = pci_alloc_irq_vectors(pdev_, 1, max_msi_vectors, PCI_IRQ_MSI | PCI_IRQ_INTX);
    if (nvec < 0) {
        pci_err(pdev_,
                "Failed to get MSI or INTx interrupts: " + pci_irq_vectors_missing(pdev_, PCI_IRQ_MSI | PCI_IRQ_INTX));
        return nvec;
    }
    irq_type_ = pci_dev_msi_enabled(pdev_) ? IRQ_TYPE_MSI : IRQ_TYPE_INTX;
    for (unsigned i = 0; i < static_cast<unsigned>(nvec); ++i) {
        auto irq = static_cast<unsigned>(pci_irq_vector(pdev_, i));
        if (int rc = pdev_.kernel().request_irq(
                irq, [this, irq] { irq_handler(irq); }, driver_name);
            rc < 0) {
            pci_err(pdev_, fmt::format("Failed to request IRQ {} for MSI {}", irq, i + 1));
            return rc;
        }
        ++num_irqs_;
    }
    return 0;
}

void PciEndpointTest::free_irqs() {
    for (unsigned i = 0; i < num_irqs_; ++i)
        pdev_.kernel().free_irq(static_cast<unsigned>(pci_irq_vector(pdev_, i)));
    num_irqs_ = 0;
    pci_free_irq_vectors(pdev_);
}

void PciEndpointTest::remove() {
    free_irqs();
    for (unsigned bar = 0; bar < pci::PCI_STD_NUM_BARS; ++bar)
        if (bar_[bar])
            pci_iounmap(pdev_, bar, bar_[bar]);
    bar_ = {};
    base_ = 0;
    pci_disable_device(pdev_);
}

void PciEndpointTest::irq_handler(unsigned irq) {
    uint32_t status = readl(PCI_ENDPOINT_TEST_STATUS);
    if (status & STATUS_IRQ_RAISED) {
        last_irq_ = static_cast<int>(irq);
        status_ = status;
        completed_ = true;
        status &= ~STATUS_IRQ_RAISED;
    }
    writel(PCI_ENDPOINT_TEST_STATUS, status);
}

void PciEndpointTest::wait_for_completion() {
    while (!completed_)
        pdev_.kernel().wait_for_interrupt();
    completed_ = false;
}

uint32_t PciEndpointTest::run_command(uint32_t command, dma::dma_addr_t src, dma::dma_addr_t dst, uint32_t size,
                                      uint32_t checksum) {
    writel(PCI_ENDPOINT_TEST_LOWER_SRC_ADDR, static_cast<uint32_t>(src));
    writel(PCI_ENDPOINT_TEST_UPPER_SRC_ADDR, static_cast<uint32_t>(src >> 32));
    writel(PCI_ENDPOINT_TEST_LOWER_DST_ADDR, static_cast<uint32_t>(dst));
    writel(PCI_ENDPOINT_TEST_UPPER_DST_ADDR, static_cast<uint32_t>(dst >> 32));
    writel(PCI_ENDPOINT_TEST_SIZE, size);
    if (command & COMMAND_READ)
        writel(PCI_ENDPOINT_TEST_CHECKSUM, checksum);
    writel(PCI_ENDPOINT_TEST_FLAGS, 0);
    writel(PCI_ENDPOINT_TEST_IRQ_TYPE, irq_type_);
    writel(PCI_ENDPOINT_TEST_IRQ_NUMBER, 1);
    writel(PCI_ENDPOINT_TEST_COMMAND, command);
    wait_for_completion();
    return status_;
}

uint32_t PciEndpointTest::cpu_crc32(uint64_t va, uint64_t size) {
    models::Core& cpu = pdev_.kernel().cpu();
    std::vector<uint8_t> data(size);
    cpu.read_block(va, data.data(), size);
    cpu.compute(size * crc_cycles_per_byte);
    return crc32_le(~0u, data.data(), size);
}

bool PciEndpointTest::bar_test(unsigned bar) {
    if (bar >= pci::PCI_STD_NUM_BARS || !bar_[bar])
        return false;
    models::Core& cpu = pdev_.kernel().cpu();
    uint64_t size = bar == register_bar ? 4 : pci_resource_len(pdev_, bar);
    for (uint64_t offset = 0; offset < size; offset += 4)
        cpu.store32(bar_[bar] + offset, 0xa0a0a0a0);
    for (uint64_t offset = 0; offset < size; offset += 4)
        if (cpu.load32(bar_[bar] + offset) != 0xa0a0a0a0)
            return false;
    return true;
}

bool PciEndpointTest::intx_irq_test() {
    if (irq_type_ != IRQ_TYPE_INTX || !num_irqs_)
        return false;
    writel(PCI_ENDPOINT_TEST_IRQ_TYPE, IRQ_TYPE_INTX);
    writel(PCI_ENDPOINT_TEST_IRQ_NUMBER, 0);
    writel(PCI_ENDPOINT_TEST_COMMAND, COMMAND_RAISE_INTX_IRQ);
    wait_for_completion();
    return last_irq_ == pci_irq_vector(pdev_, 0);
}

bool PciEndpointTest::msi_irq_test(unsigned msi_num) {
    if (irq_type_ != IRQ_TYPE_MSI || msi_num == 0 || msi_num > num_irqs_)
        return false;  // Linux's driver would wait for a second and time out
    writel(PCI_ENDPOINT_TEST_IRQ_TYPE, IRQ_TYPE_MSI);
    writel(PCI_ENDPOINT_TEST_IRQ_NUMBER, msi_num);
    writel(PCI_ENDPOINT_TEST_COMMAND, COMMAND_RAISE_MSI_IRQ);
    wait_for_completion();
    return last_irq_ == pci_irq_vector(pdev_, msi_num - 1);
}

namespace {

// get_random_bytes, deterministically: the buffer the CPU hands the device.
void fill_pattern(models::Core& cpu, uint64_t va, uint64_t size, uint64_t seed) {
    std::vector<uint8_t> data(size);
    for (uint64_t i = 0; i < size; ++i)
        data[i] = static_cast<uint8_t>((seed + i) * 0x9e3779b1u >> 24);
    cpu.write_block(va, data.data(), size);
}

}  // namespace

bool PciEndpointTest::write_test(uint64_t size) {
    Kernel& kernel = pdev_.kernel();
    uint64_t va = size && size <= UINT32_MAX ? kernel.kmalloc().kmalloc(size) : 0;
    if (!va)
        return false;
    fill_pattern(kernel.cpu(), va, size, size);
    uint32_t crc = cpu_crc32(va, size);
    dma::dma_addr_t addr = dma::map_single(dev(), va, size, dma::DmaDirection::to_device);
    bool ok = false;
    if (!dma::mapping_error(dev(), addr)) {
        ok = run_command(COMMAND_READ, addr, 0, static_cast<uint32_t>(size), crc) & STATUS_READ_SUCCESS;
        dma::unmap_single(dev(), addr, size, dma::DmaDirection::to_device);
    }
    kernel.kmalloc().kfree(va);
    return ok;
}

bool PciEndpointTest::read_test(uint64_t size) {
    Kernel& kernel = pdev_.kernel();
    uint64_t va = size && size <= UINT32_MAX ? kernel.kmalloc().kmalloc(size) : 0;
    if (!va)
        return false;
    kernel.cpu().fill_block(va, 0, size);  // kzalloc
    dma::dma_addr_t addr = dma::map_single(dev(), va, size, dma::DmaDirection::from_device);
    bool ok = false;
    if (!dma::mapping_error(dev(), addr)) {
        uint32_t status = run_command(COMMAND_WRITE, 0, addr, static_cast<uint32_t>(size));
        dma::unmap_single(dev(), addr, size, dma::DmaDirection::from_device);
        ok = (status & STATUS_WRITE_SUCCESS) && cpu_crc32(va, size) == readl(PCI_ENDPOINT_TEST_CHECKSUM);
    }
    kernel.kmalloc().kfree(va);
    return ok;
}

bool PciEndpointTest::copy_test(uint64_t size) {
    Kernel& kernel = pdev_.kernel();
    uint64_t src = size && size <= UINT32_MAX ? kernel.kmalloc().kmalloc(size) : 0;
    uint64_t dst = src ? kernel.kmalloc().kmalloc(size) : 0;
    bool ok = false;
    if (dst) {
        fill_pattern(kernel.cpu(), src, size, size + 1);
        uint32_t src_crc = cpu_crc32(src, size);
        kernel.cpu().fill_block(dst, 0, size);
        dma::dma_addr_t src_addr = dma::map_single(dev(), src, size, dma::DmaDirection::to_device);
        if (!dma::mapping_error(dev(), src_addr)) {
            dma::dma_addr_t dst_addr = dma::map_single(dev(), dst, size, dma::DmaDirection::from_device);
            if (!dma::mapping_error(dev(), dst_addr)) {
                uint32_t status = run_command(COMMAND_COPY, src_addr, dst_addr, static_cast<uint32_t>(size));
                dma::unmap_single(dev(), dst_addr, size, dma::DmaDirection::from_device);
                ok = (status & STATUS_COPY_SUCCESS) && cpu_crc32(dst, size) == src_crc;
            }
            dma::unmap_single(dev(), src_addr, size, dma::DmaDirection::to_device);
        }
    }
    kernel.kmalloc().kfree(dst);
    kernel.kmalloc().kfree(src);
    return ok;
}

}  // namespace sw
