// The register interface of Linux's PCI endpoint test function (drivers/pci/endpoint/functions/
// pci-epf-test.c, driven by drivers/misc/pci_endpoint_test.c), in BAR0 of dmasim's DMA test
// endpoint. Shared by the model (models/pci/pci_endpoint_test.h) and the driver
// (sw/drivers/pci/pci_endpoint_test.h). Offsets and bits are Linux's; MAGIC's reset value and DMA_BITS
// are dmasim's additions. Every register is 32 bits wide; CAPS and DMA_BITS are read-only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pci_endpoint_test {

constexpr uint16_t PCI_VENDOR_ID_TI = 0x104c;
constexpr uint16_t PCI_DEVICE_ID_TI_DRA74x = 0xb500;  // one of the IDs Linux's driver binds to

// A scratch register, as in pci-epf-test (the driver's BAR test writes it), that reads MAGIC_VALUE
// (dmasim's: "DEPT" as little-endian bytes) until software writes it.
constexpr unsigned PCI_ENDPOINT_TEST_MAGIC = 0x00;
constexpr uint32_t MAGIC_VALUE = 0x54504544;

constexpr unsigned PCI_ENDPOINT_TEST_COMMAND = 0x04;
constexpr uint32_t COMMAND_RAISE_INTX_IRQ = 1u << 0;
constexpr uint32_t COMMAND_RAISE_MSI_IRQ = 1u << 1;
constexpr uint32_t COMMAND_RAISE_MSIX_IRQ = 1u << 2;
constexpr uint32_t COMMAND_READ = 1u << 3;   // the device reads SRC and checks its CRC32 against CHECKSUM
constexpr uint32_t COMMAND_WRITE = 1u << 4;  // the device writes a pattern to DST and puts its CRC32 in CHECKSUM
constexpr uint32_t COMMAND_COPY = 1u << 5;   // the device copies SRC to DST

constexpr unsigned PCI_ENDPOINT_TEST_STATUS = 0x08;
constexpr uint32_t STATUS_READ_SUCCESS = 1u << 0;
constexpr uint32_t STATUS_READ_FAIL = 1u << 1;
constexpr uint32_t STATUS_WRITE_SUCCESS = 1u << 2;
constexpr uint32_t STATUS_WRITE_FAIL = 1u << 3;
constexpr uint32_t STATUS_COPY_SUCCESS = 1u << 4;
constexpr uint32_t STATUS_COPY_FAIL = 1u << 5;
constexpr uint32_t STATUS_IRQ_RAISED = 1u << 6;
constexpr uint32_t STATUS_SRC_ADDR_INVALID = 1u << 7;
constexpr uint32_t STATUS_DST_ADDR_INVALID = 1u << 8;

constexpr unsigned PCI_ENDPOINT_TEST_LOWER_SRC_ADDR = 0x0c;
constexpr unsigned PCI_ENDPOINT_TEST_UPPER_SRC_ADDR = 0x10;
constexpr unsigned PCI_ENDPOINT_TEST_LOWER_DST_ADDR = 0x14;
constexpr unsigned PCI_ENDPOINT_TEST_UPPER_DST_ADDR = 0x18;
constexpr unsigned PCI_ENDPOINT_TEST_SIZE = 0x1c;
constexpr unsigned PCI_ENDPOINT_TEST_CHECKSUM = 0x20;

constexpr unsigned PCI_ENDPOINT_TEST_IRQ_TYPE = 0x24;
constexpr uint32_t IRQ_TYPE_INTX = 0;
constexpr uint32_t IRQ_TYPE_MSI = 1;
constexpr uint32_t IRQ_TYPE_MSIX = 2;
constexpr unsigned PCI_ENDPOINT_TEST_IRQ_NUMBER = 0x28;  // MSI vector, 1-based

constexpr unsigned PCI_ENDPOINT_TEST_FLAGS = 0x2c;
constexpr uint32_t FLAG_USE_DMA = 1u << 0;  // accepted; the model always uses its DMA engine

constexpr unsigned PCI_ENDPOINT_TEST_CAPS = 0x30;
constexpr uint32_t CAP_UNALIGNED_ACCESS = 1u << 0;
constexpr uint32_t CAP_MSI = 1u << 1;
constexpr uint32_t CAP_MSIX = 1u << 2;
constexpr uint32_t CAP_INTX = 1u << 3;

// dmasim: how many address bits the DMA engine drives (its addressing limit), read-only.
constexpr unsigned PCI_ENDPOINT_TEST_DMA_BITS = 0x40;

constexpr unsigned register_bar = 0;
constexpr uint64_t register_bar_size = 512;  // pci-epf-test's bar_size[0]

// Linux's crc32_le(~0, buf, len) as the test driver and function use it: the reflected CRC-32
// polynomial, seed ~0, no final inversion.
inline uint32_t crc32_le(uint32_t crc, const uint8_t* data, size_t length) {
    for (size_t i = 0; i < length; ++i) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return crc;
}

}  // namespace pci_endpoint_test
