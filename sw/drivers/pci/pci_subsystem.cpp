#include "sw/drivers/pci/pci_subsystem.h"

#include "dma/coherent_memory.h"
#include "dma/context.h"
#include "dma/iommu_ops.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace sw {

using namespace pci;

PciSubsystem::PciSubsystem(Kernel& kernel, dma::Context& dma, models::Instrumentation& instr,
                           std::vector<PciHostBridgeInfo> hosts)
    : kernel_(kernel), dma_(dma), instr_(instr), stat_functions_(instr.counter("pci.functions")),
      stat_bars_assigned_(instr.counter("pci.bars_assigned")), stat_bar_failures_(instr.counter("pci.bar_failures")),
      stat_bound_(instr.counter("pci.drivers_bound")), stat_probe_failures_(instr.counter("pci.probe_failures")),
      ev_log_(instr.declare_event("pci.log", "the kernel's PCI core or a PCI driver logged a message")) {
    for (PciHostBridgeInfo& info : hosts)
        hosts_.push_back(std::unique_ptr<PciHost>(new PciHost{
            std::move(info), kernel, 0,
            [this](const std::string& device, const std::string& message) { log(device, message); }}));
}

PciSubsystem::~PciSubsystem() {
    for (const auto& pool : local_pools_)
        if (pool)
            pool->unmap();
}

void PciSubsystem::log(const std::string& device, const std::string& message) {
    messages_.push_back(device + ": " + message);
    if (ev_log_.enabled())
        instr_.emit(ev_log_, models::Event{kernel_.cpu().now_ps(), nullptr, device, {{"message", message}}});
}

PciDev* PciSubsystem::find(const std::string& name) const { return bus_find_device_by_name(devices_, name); }

std::vector<PciDev*> PciSubsystem::bound_to(const std::string& driver) const {
    return bus_devices_bound_to(devices_, driver);
}

void PciSubsystem::scan() {
    for (const auto& host : hosts_) {
        const PciHostBridgeInfo& info = host->info;
        host->ecam_va = kernel_.ioremap(info.ecam_base, info.ecam_size, models::MemType::device);
        std::shared_ptr<dma::CoherentMemory> pool;
        if (info.local_memory)
            pool = dma::CoherentMemory::create(dma_, local_memory_pool_name(info.name), info.local_memory->base,
                                               info.local_memory->base, info.local_memory->size);
        local_pools_.push_back(pool);
        log("pci_bus " + fmt::format("{:04x}:{:02x}", info.domain, info.bus_start),
            fmt::format("root bus resource [bus {:02x}-{:02x}], ECAM [mem {:#x}-{:#x}]", info.bus_start, info.bus_end,
                        info.ecam_base, info.ecam_base + info.ecam_size - 1));
        size_t first = devices_.size();
        scan_host(*host);
        assign_resources(*host);
        for (size_t i = first; i < devices_.size(); ++i)
            configure_dma(*devices_[i]);
    }
}

// Linux scans a slot's other functions only when function 0 says it is multi-function; dmasim's
// endpoints are single-function devices, so every function of a present slot is probed instead.
void PciSubsystem::scan_host(PciHost& host) {
    unsigned bus = host.info.bus_start;
    for (unsigned slot = 0; slot < PCI_SLOTS; ++slot) {
        if (pci_bus_read_config(host, bus, PCI_DEVFN(slot, 0), PCI_VENDOR_ID, 2) == 0xffff)
            continue;
        for (unsigned func = 0; func < PCI_FUNCTIONS; ++func)
            if (func == 0 || pci_bus_read_config(host, bus, PCI_DEVFN(slot, func), PCI_VENDOR_ID, 2) != 0xffff)
                setup_device(host, PCI_DEVFN(slot, func));
    }
}

void PciSubsystem::setup_device(PciHost& host, unsigned devfn) {
    auto pdev = std::make_unique<PciDev>(host);
    pdev->bus = host.info.bus_start;
    pdev->devfn = devfn;
    pdev->vendor = pci_read_config_word(*pdev, PCI_VENDOR_ID);
    pdev->device = pci_read_config_word(*pdev, PCI_DEVICE_ID);
    uint32_t class_revision = pci_read_config_dword(*pdev, PCI_CLASS_REVISION);
    pdev->class_code = class_revision >> 8;
    pdev->revision = static_cast<uint8_t>(class_revision);
    uint8_t header_type = pci_read_config_byte(*pdev, PCI_HEADER_TYPE) & 0x7f;
    log("pci " + pdev->name(), fmt::format("[{:04x}:{:04x}] type {:02x} class {:#08x}", pdev->vendor, pdev->device,
                                           header_type, pdev->class_code));
    if (header_type != PCI_HEADER_TYPE_NORMAL) {
        log("pci " + pdev->name(), "not a type 0 (endpoint) header: ignored");
        return;
    }
    ++stat_functions_;
    read_bases(*pdev);
    pdev->msi_cap = pci_find_capability(*pdev, PCI_CAP_ID_MSI);
    pdev->pin = pci_read_config_byte(*pdev, PCI_INTERRUPT_PIN);
    if (pdev->pin)
        pdev->intx_irq = host.info.intx_map.lookup(pdev->bus, devfn, pdev->pin).value_or(0);
    pdev->irq = pdev->intx_irq;
    pci_write_config_byte(*pdev, PCI_INTERRUPT_LINE, static_cast<uint8_t>(pdev->irq));
    devices_.push_back(std::move(pdev));
}

// Linux's __pci_read_base for every BAR, with memory decoding off while a BAR holds all-ones.
void PciSubsystem::read_bases(PciDev& pdev) {
    uint16_t command = pci_read_config_word(pdev, PCI_COMMAND);
    if (command & PCI_COMMAND_MEMORY)
        pci_write_config_word(pdev, PCI_COMMAND, static_cast<uint16_t>(command & ~PCI_COMMAND_MEMORY));
    auto size_register = [&](unsigned reg) {
        uint32_t original = pci_read_config_dword(pdev, reg);
        pci_write_config_dword(pdev, reg, 0xffffffff);
        uint32_t sized = pci_read_config_dword(pdev, reg);
        pci_write_config_dword(pdev, reg, original);
        return std::pair<uint32_t, uint32_t>{original, sized};
    };
    for (unsigned bar = 0; bar < PCI_STD_NUM_BARS; ++bar) {
        auto [original, sized] = size_register(PCI_BASE_ADDRESS_0 + 4 * bar);
        if (sized == 0 || sized == 0xffffffff)
            continue;
        if (original & PCI_BASE_ADDRESS_SPACE_IO) {
            log("pci " + pdev.name(), fmt::format("BAR {}: I/O space is not supported: ignored", bar));
            continue;
        }
        PciResource& resource = pdev.resource[bar];
        resource.mem64 = original & PCI_BASE_ADDRESS_MEM_TYPE_64;
        resource.prefetchable = original & PCI_BASE_ADDRESS_MEM_PREFETCH;
        uint64_t mask = ~0ULL << 32 | (sized & PCI_BASE_ADDRESS_MEM_MASK);
        if (resource.mem64 && bar + 1 < PCI_STD_NUM_BARS)
            mask = uint64_t(size_register(PCI_BASE_ADDRESS_0 + 4 * (bar + 1)).second) << 32 |
                   (sized & PCI_BASE_ADDRESS_MEM_MASK);
        resource.size = ~mask + 1;
        if (resource.mem64)
            ++bar;
    }
    if (command & PCI_COMMAND_MEMORY)
        pci_write_config_word(pdev, PCI_COMMAND, command);
}

void PciSubsystem::assign_resources(PciHost& host) {
    struct Request {
        PciDev* pdev;
        unsigned bar;
    };
    std::vector<Request> requests;
    for (const auto& pdev : devices_)
        if (&pdev->host == &host)
            for (unsigned bar = 0; bar < PCI_STD_NUM_BARS; ++bar)
                if (pdev->resource[bar].size)
                    requests.push_back({pdev.get(), bar});
    std::stable_sort(requests.begin(), requests.end(), [](const Request& a, const Request& b) {
        return a.pdev->resource[a.bar].size > b.pdev->resource[b.bar].size;
    });
    std::vector<uint64_t> next;
    for (const PciBridgeWindow& window : host.info.windows)
        next.push_back(window.pci_base);
    for (const Request& request : requests) {
        if (assign_bar(host, next, *request.pdev, request.bar)) {
            ++stat_bars_assigned_;
        } else {
            ++stat_bar_failures_;
            log("pci " + request.pdev->name(), fmt::format("BAR {}: no space for [mem size {:#x}{}]", request.bar,
                                                           request.pdev->resource[request.bar].size,
                                                           request.pdev->resource[request.bar].mem64 ? " 64bit" : ""));
        }
    }
}

// The first window that takes the BAR: prefetchable windows first for a prefetchable BAR, then
// non-prefetchable ones; a 32-bit BAR only where its PCI addresses stay below 4 GiB.
bool PciSubsystem::assign_bar(PciHost& host, std::vector<uint64_t>& next, PciDev& pdev, unsigned bar) {
    PciResource& resource = pdev.resource[bar];
    const std::vector<PciBridgeWindow>& windows = host.info.windows;
    for (bool prefetchable_pass : {true, false}) {
        if (prefetchable_pass && !resource.prefetchable)
            continue;
        for (size_t i = 0; i < windows.size(); ++i) {
            const PciBridgeWindow& window = windows[i];
            if (window.prefetchable != prefetchable_pass)
                continue;
            uint64_t start = (next[i] + resource.size - 1) & ~(resource.size - 1);
            uint64_t window_end = window.pci_base + window.size;
            if (start < next[i] || start + resource.size > window_end ||
                (!resource.mem64 && start + resource.size > (1ULL << 32)))
                continue;
            next[i] = start + resource.size;
            pci_write_config_dword(pdev, PCI_BASE_ADDRESS_0 + 4 * bar, static_cast<uint32_t>(start));
            if (resource.mem64)
                pci_write_config_dword(pdev, PCI_BASE_ADDRESS_0 + 4 * (bar + 1), static_cast<uint32_t>(start >> 32));
            resource.start = window.cpu_base + (start - window.pci_base);
            resource.assigned = true;
            log("pci " + pdev.name(),
                fmt::format("BAR {} [mem {:#x}-{:#x}{}{}]: assigned (bus address {:#x})", bar, resource.start,
                            resource.start + resource.size - 1, resource.mem64 ? " 64bit" : "",
                            resource.prefetchable ? " pref" : "", start));
            return true;
        }
    }
    return false;
}

// Linux's pci_dma_configure: the bridge's DMA configuration, with the fwspec the bridge's
// iommu-map gives the function's requester ID (of_iommu_configure for a PCI device), and the
// device attached to that IOMMU now that its driver has probed (iommu_probe_device,
// iommu_setup_dma_ops): a failure is a simulation error naming the function and the reason; the
// bridge's local memory, if any, as the device's coherent pool.
void PciSubsystem::configure_dma(PciDev& pdev) {
    pdev.dev = std::make_unique<dma::Device>(pdev.name(), dma_);
    dma::DmaConfig config = pdev.host.info.dma;
    config.pci = true;
    if (pdev.host.info.iommu_map)
        config.iommu = pdev.host.info.iommu_map->fwspec(pdev.bus << 8 | pdev.devfn);
    dma::dma_configure(*pdev.dev, config);
    for (size_t i = 0; i < hosts_.size(); ++i)
        if (hosts_[i].get() == &pdev.host && local_pools_[i])
            dma::assign_coherent_memory(*pdev.dev, local_pools_[i]);
    std::string error;  // names the function, the IOMMU and the reason
    if (config.iommu && !dma::iommu_configure(*pdev.dev, error))
        throw std::runtime_error(error);
}

void PciSubsystem::probe_drivers(const PciDriverRegistry& registry) {
    for (const auto& pdev : devices_) {
        const PciDeviceId* id = nullptr;
        const PciDriver* driver = registry.match(*pdev, id);
        if (!driver || pdev->driver)
            continue;
        pdev->driver = driver;  // really_probe: the driver's messages name it
        if (int rc = driver->probe(*pdev, *id); rc < 0) {
            pdev->driver = nullptr;
            ++stat_probe_failures_;
            log(driver->name + " " + pdev->name(), fmt::format("probe failed with error {}", rc));
            continue;
        }
        pdev->driver = driver;
        ++stat_bound_;
        log(driver->name + " " + pdev->name(), "bound");
    }
}

void PciSubsystem::remove_drivers() {
    for (const auto& pdev : devices_) {
        if (!pdev->driver)
            continue;
        pdev->driver->remove(*pdev);
        log(pdev->driver->name + " " + pdev->name(), "removed");
        pdev->driver = nullptr;
        pdev->driver_data.reset();
        dma_.debug().check_leaks(*pdev->dev);
    }
}

}  // namespace sw
