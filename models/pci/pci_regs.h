// The PCI configuration space as the specification and Linux's include/uapi/linux/pci_regs.h name
// it: the type-0 header, the MSI capability and the ECAM address layout. Shared by the models (the
// host bridge and the endpoints) and the software that enumerates them, so both sides agree.
#pragma once

#include <cstdint>

namespace pci {

// --- type-0 header ---
constexpr unsigned PCI_VENDOR_ID = 0x00;               // 16 bits
constexpr unsigned PCI_DEVICE_ID = 0x02;               // 16 bits
constexpr unsigned PCI_COMMAND = 0x04;                 // 16 bits
constexpr uint16_t PCI_COMMAND_MEMORY = 0x0002;        // decode memory BARs
constexpr uint16_t PCI_COMMAND_MASTER = 0x0004;        // bus master: the function may issue DMA and MSI
constexpr uint16_t PCI_COMMAND_INTX_DISABLE = 0x0400;  // INTx emulation disable
constexpr unsigned PCI_STATUS = 0x06;                  // 16 bits
constexpr uint16_t PCI_STATUS_INTERRUPT = 0x0008;      // the function asserts INTx (whether or not disabled)
constexpr uint16_t PCI_STATUS_CAP_LIST = 0x0010;
constexpr uint16_t PCI_STATUS_REC_MASTER_ABORT = 0x2000;  // a request of the function got an unsupported request
constexpr unsigned PCI_CLASS_REVISION = 0x08;             // class code << 8 | revision
constexpr unsigned PCI_REVISION_ID = 0x08;
constexpr unsigned PCI_HEADER_TYPE = 0x0e;
constexpr uint8_t PCI_HEADER_TYPE_NORMAL = 0;
constexpr unsigned PCI_BASE_ADDRESS_0 = 0x10;  // BAR n at 0x10 + 4n, n = 0..5
constexpr unsigned PCI_STD_NUM_BARS = 6;
constexpr uint32_t PCI_BASE_ADDRESS_SPACE_IO = 0x01;
constexpr uint32_t PCI_BASE_ADDRESS_MEM_TYPE_64 = 0x04;
constexpr uint32_t PCI_BASE_ADDRESS_MEM_PREFETCH = 0x08;
constexpr uint32_t PCI_BASE_ADDRESS_MEM_MASK = ~0x0fU;
constexpr unsigned PCI_CAPABILITY_LIST = 0x34;
constexpr unsigned PCI_INTERRUPT_LINE = 0x3c;
constexpr unsigned PCI_INTERRUPT_PIN = 0x3d;  // 0: none, 1..4: INTA..INTD
constexpr unsigned PCI_STD_HEADER_SIZEOF = 0x40;

// --- MSI capability (offsets from the capability) ---
constexpr uint8_t PCI_CAP_ID_MSI = 0x05;
constexpr uint8_t PCI_CAP_ID_VNDR = 0x09;  // vendor-specific: its byte 2 is its length, the rest the vendor's
constexpr unsigned PCI_CAP_LIST_NEXT = 1;
constexpr unsigned PCI_MSI_FLAGS = 2;  // 16 bits
constexpr uint16_t PCI_MSI_FLAGS_ENABLE = 0x0001;
constexpr uint16_t PCI_MSI_FLAGS_QMASK = 0x000e;  // Multiple Message Capable: log2 of the vectors
constexpr uint16_t PCI_MSI_FLAGS_QSIZE = 0x0070;  // Multiple Message Enable: log2 of the vectors enabled
constexpr uint16_t PCI_MSI_FLAGS_64BIT = 0x0080;
constexpr unsigned PCI_MSI_ADDRESS_LO = 4;
constexpr unsigned PCI_MSI_ADDRESS_HI = 8;  // 64-bit capable functions only
constexpr unsigned PCI_MSI_DATA_64 = 12;    // 16 bits
constexpr unsigned PCI_MSI_64_SIZEOF = 14;

// --- devfn and ECAM ---
constexpr unsigned PCI_SLOTS = 32;
constexpr unsigned PCI_FUNCTIONS = 8;
constexpr uint8_t PCI_DEVFN(unsigned slot, unsigned func) {
    return static_cast<uint8_t>((slot & 0x1f) << 3 | (func & 7));
}
constexpr unsigned PCI_SLOT(unsigned devfn) { return devfn >> 3 & 0x1f; }
constexpr unsigned PCI_FUNC(unsigned devfn) { return devfn & 7; }
constexpr unsigned PCIE_CONFIG_SPACE_SIZE = 0x1000;
// Linux's PCIE_ECAM_OFFSET: each function's 4 KiB of configuration space in the ECAM region.
constexpr uint64_t PCIE_ECAM_OFFSET(unsigned bus, unsigned devfn, unsigned where) {
    return uint64_t(bus) << 20 | uint64_t(devfn) << 12 | (where & 0xfff);
}
constexpr uint64_t PCIE_ECAM_BUS_SIZE = 1ULL << 20;  // ECAM space of one bus

}  // namespace pci
