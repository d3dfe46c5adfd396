#include "sw/drivers/pci/pci.h"

#include "sw/kernel/kernel.h"

#include <algorithm>
#include <cerrno>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sw {

using namespace pci;

std::string pci_name(unsigned domain, unsigned bus, unsigned devfn) {
    return fmt::format("{:04x}:{:02x}:{:02x}.{}", domain, bus, PCI_SLOT(devfn), PCI_FUNC(devfn));
}

std::string PciDev::name() const { return pci_name(host.info.domain, bus, devfn); }

namespace {

uint64_t ecam_address(PciHost& host, unsigned bus, unsigned devfn, unsigned where) {
    return host.ecam_va + PCIE_ECAM_OFFSET(bus - host.info.bus_start, devfn, where);
}

}  // namespace

uint32_t pci_bus_read_config(PciHost& host, unsigned bus, unsigned devfn, unsigned where, unsigned size) {
    models::Core& cpu = host.kernel.cpu();
    uint64_t va = ecam_address(host, bus, devfn, where);
    switch (size) {
    case 1: return cpu.load8(va);
    case 2: return cpu.load16(va);
    default: return cpu.load32(va);
    }
}

void pci_bus_write_config(PciHost& host, unsigned bus, unsigned devfn, unsigned where, unsigned size, uint32_t value) {
    models::Core& cpu = host.kernel.cpu();
    uint64_t va = ecam_address(host, bus, devfn, where);
    switch (size) {
    case 1: cpu.store8(va, static_cast<uint8_t>(value)); break;
    case 2: cpu.store16(va, static_cast<uint16_t>(value)); break;
    default: cpu.store32(va, value); break;
    }
}

uint8_t pci_read_config_byte(PciDev& pdev, unsigned where) {
    return static_cast<uint8_t>(pci_bus_read_config(pdev.host, pdev.bus, pdev.devfn, where, 1));
}
uint16_t pci_read_config_word(PciDev& pdev, unsigned where) {
    return static_cast<uint16_t>(pci_bus_read_config(pdev.host, pdev.bus, pdev.devfn, where, 2));
}
uint32_t pci_read_config_dword(PciDev& pdev, unsigned where) {
    return pci_bus_read_config(pdev.host, pdev.bus, pdev.devfn, where, 4);
}
void pci_write_config_byte(PciDev& pdev, unsigned where, uint8_t value) {
    pci_bus_write_config(pdev.host, pdev.bus, pdev.devfn, where, 1, value);
}
void pci_write_config_word(PciDev& pdev, unsigned where, uint16_t value) {
    pci_bus_write_config(pdev.host, pdev.bus, pdev.devfn, where, 2, value);
}
void pci_write_config_dword(PciDev& pdev, unsigned where, uint32_t value) {
    pci_bus_write_config(pdev.host, pdev.bus, pdev.devfn, where, 4, value);
}

namespace {

void update_command(PciDev& pdev, uint16_t set, uint16_t clear) {
    uint16_t old_cmd = pci_read_config_word(pdev, PCI_COMMAND);
    uint16_t cmd = static_cast<uint16_t>((old_cmd | set) & ~clear);
    if (cmd != old_cmd)
        pci_write_config_word(pdev, PCI_COMMAND, cmd);
}

}  // namespace

unsigned pci_find_capability(PciDev& pdev, uint8_t cap) {
    if (!(pci_read_config_word(pdev, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    unsigned pos = pci_read_config_byte(pdev, PCI_CAPABILITY_LIST) & ~3u;
    for (int ttl = 48; pos >= PCI_STD_HEADER_SIZEOF && ttl > 0; --ttl) {  // Linux's PCI_FIND_CAP_TTL
        if (pci_read_config_byte(pdev, pos) == cap)
            return pos;
        pos = pci_read_config_byte(pdev, pos + PCI_CAP_LIST_NEXT) & ~3u;
    }
    return 0;
}

int pci_enable_device(PciDev& pdev) {
    if (pdev.enable_count++ > 0)
        return 0;
    for (const PciResource& resource : pdev.resource)
        if (resource.assigned) {
            update_command(pdev, PCI_COMMAND_MEMORY, 0);
            break;
        }
    return 0;
}

void pci_disable_device(PciDev& pdev) {
    if (pdev.enable_count == 0 || --pdev.enable_count > 0)
        return;
    update_command(pdev, 0, PCI_COMMAND_MASTER);
}

void pci_set_master(PciDev& pdev) { update_command(pdev, PCI_COMMAND_MASTER, 0); }

void pci_clear_master(PciDev& pdev) { update_command(pdev, 0, PCI_COMMAND_MASTER); }

void pci_intx(PciDev& pdev, bool enable) {
    update_command(pdev, enable ? 0 : PCI_COMMAND_INTX_DISABLE, enable ? PCI_COMMAND_INTX_DISABLE : 0);
}

uint64_t pci_resource_start(const PciDev& pdev, unsigned bar) { return pdev.resource.at(bar).start; }

uint64_t pci_resource_len(const PciDev& pdev, unsigned bar) { return pdev.resource.at(bar).size; }

uint64_t pci_ioremap_bar(PciDev& pdev, unsigned bar) {
    const PciResource& resource = pdev.resource.at(bar);
    if (!resource.assigned)
        return 0;
    return pdev.kernel().ioremap(resource.start, resource.size, models::MemType::device);
}

void pci_iounmap(PciDev& pdev, unsigned bar, uint64_t va) { pdev.kernel().iounmap(va, pdev.resource.at(bar).size); }

namespace {

unsigned log2_of(unsigned value) { return 31 - __builtin_clz(value | 1); }

// Linux's msi_capability_init for one block of vectors from the GICv2m frame.
int enable_msi(PciDev& pdev, unsigned min_vecs, unsigned max_vecs) {
    uint16_t flags = pci_read_config_word(pdev, pdev.msi_cap + PCI_MSI_FLAGS);
    unsigned capable = 1u << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
    unsigned nvec = 1u << log2_of(std::min(max_vecs, capable));  // multi-MSI takes powers of two
    if (nvec < min_vecs)
        return -ENOSPC;
    unsigned first_irq = 0;
    if (int rc = pdev.kernel().alloc_msi_vectors(nvec, first_irq); rc < 0)
        return rc;
    uint64_t address = pdev.kernel().msi_doorbell();
    pci_write_config_dword(pdev, pdev.msi_cap + PCI_MSI_ADDRESS_LO, static_cast<uint32_t>(address));
    pci_write_config_dword(pdev, pdev.msi_cap + PCI_MSI_ADDRESS_HI, static_cast<uint32_t>(address >> 32));
    pci_write_config_word(pdev, pdev.msi_cap + PCI_MSI_DATA_64, static_cast<uint16_t>(first_irq));
    flags = static_cast<uint16_t>((flags & ~PCI_MSI_FLAGS_QSIZE) | log2_of(nvec) << 4 | PCI_MSI_FLAGS_ENABLE);
    pci_intx(pdev, false);
    pci_write_config_word(pdev, pdev.msi_cap + PCI_MSI_FLAGS, flags);
    pdev.msi_vectors = nvec;
    pdev.irq = first_irq;
    return static_cast<int>(nvec);
}

}  // namespace

void pci_err(PciDev& pdev, const std::string& message) {
    if (pdev.host.log)
        pdev.host.log((pdev.driver ? pdev.driver->name + " " : "") + pdev.name(), message);
}

std::string pci_irq_vectors_missing(PciDev& pdev, unsigned flags) {
    std::vector<std::string> missing;
    if (flags & PCI_IRQ_MSI) {
        if (!pdev.msi_cap)
            missing.push_back("no MSI: the function has no MSI capability");
        else if (!pdev.host.info.msi)
            missing.push_back("no MSI: its host bridge has no msi-parent");
        else if (!pdev.kernel().has_msi())
            missing.push_back("no MSI controller (" + pdev.kernel().no_msi_reason() + ")");
    }
    if (flags & PCI_IRQ_INTX) {
        if (!pdev.pin)
            missing.push_back("no INTx: the function has no interrupt pin");
        else if (!pdev.intx_irq)
            missing.push_back("no INTx: its host bridge's interrupt-map gives its pin no interrupt");
    }
    return missing.empty() ? "no vector left" : fmt::format("{}", fmt::join(missing, "; "));
}

int pci_alloc_irq_vectors(PciDev& pdev, unsigned min_vecs, unsigned max_vecs, unsigned flags) {
    if (min_vecs == 0 || max_vecs < min_vecs || pdev.msi_vectors)
        return -EINVAL;
    if ((flags & PCI_IRQ_MSI) && pdev.msi_cap && pdev.host.info.msi && pdev.kernel().has_msi()) {
        int nvec = enable_msi(pdev, min_vecs, max_vecs);
        if (nvec > 0 || !(flags & PCI_IRQ_INTX))
            return nvec;
    }
    if ((flags & PCI_IRQ_INTX) && pdev.intx_irq && min_vecs == 1) {
        pdev.irq = pdev.intx_irq;
        pci_intx(pdev, true);
        return 1;
    }
    return -ENOSPC;
}

void pci_free_irq_vectors(PciDev& pdev) {
    if (!pdev.msi_vectors)
        return;
    uint16_t flags = pci_read_config_word(pdev, pdev.msi_cap + PCI_MSI_FLAGS);
    pci_write_config_word(pdev, pdev.msi_cap + PCI_MSI_FLAGS, static_cast<uint16_t>(flags & ~PCI_MSI_FLAGS_ENABLE));
    pdev.kernel().free_msi_vectors(pdev.irq, pdev.msi_vectors);
    pci_intx(pdev, true);
    pdev.msi_vectors = 0;
    pdev.irq = pdev.intx_irq;
}

int pci_irq_vector(PciDev& pdev, unsigned nr) {
    unsigned vectors = pdev.msi_vectors ? pdev.msi_vectors : (pdev.irq ? 1 : 0);
    if (nr >= vectors)
        return -EINVAL;
    return static_cast<int>(pdev.irq + nr);
}

}  // namespace sw
