// Enumeration and driver binding, as Linux's pci_host_probe and the driver core do them, run on
// the core at boot:
//   scan():           per host bridge, ECAM mapped; the root bus scanned slot by slot (a slot's
//                     functions 1-7 when function 0 exists); per function its IDs, class, pin
//                     (routed through the interrupt-map), MSI capability and BARs (sized by
//                     writing all-ones with memory decoding off); then the BARs assigned from the
//                     outbound windows, largest first, each aligned to its size (a prefetchable
//                     BAR prefers a prefetchable window; a 32-bit BAR needs a window below 4 GiB);
//                     and a dma::Device per function, configured from the bridge, with the
//                     bridge's local memory, if any, as its coherent pool, and attached to the
//                     IOMMU the bridge's iommu-map names for its requester ID, if any (so scan()
//                     runs after the IOMMUs' drivers have probed).
//   probe_drivers():  each function bound to the first matching driver (probe); the registry must
//                     outlive the bindings (a bound function points at its driver).
//   remove_drivers(): each bound driver's remove, then dma-debug's leak check for the device.
// Messages as Linux prints them ("pci 0000:00:01.0: BAR 0 [mem ...]") are kept and emitted as the
// event pci.log. Stats: pci.functions, pci.bars_assigned, pci.bar_failures, pci.drivers_bound,
// pci.probe_failures.
#pragma once

#include "models/common/instrumentation.h"
#include "sw/drivers/pci/pci.h"
#include "sw/drivers/pci/pci_driver.h"

#include <memory>
#include <string>
#include <vector>

namespace dma {
class CoherentMemory;
class Context;
}  // namespace dma

namespace models {
class Instrumentation;
}

namespace sw {

class PciSubsystem {
public:
    PciSubsystem(Kernel& kernel, dma::Context& dma, models::Instrumentation& instr,
                 std::vector<PciHostBridgeInfo> hosts);
    ~PciSubsystem();
    PciSubsystem(const PciSubsystem&) = delete;
    PciSubsystem& operator=(const PciSubsystem&) = delete;

    void scan();
    void probe_drivers(const PciDriverRegistry& registry = PciDriverRegistry::builtin());
    void remove_drivers();

    const std::vector<std::unique_ptr<PciHost>>& hosts() const { return hosts_; }
    const std::vector<std::unique_ptr<PciDev>>& devices() const { return devices_; }
    PciDev* find(const std::string& name) const;  // by pci_name, e.g. "0000:00:01.0"
    // The functions a driver is bound to, in enumeration order.
    std::vector<PciDev*> bound_to(const std::string& driver) const;
    const std::vector<std::string>& messages() const { return messages_; }

private:
    void scan_host(PciHost& host);
    void setup_device(PciHost& host, unsigned devfn);
    void read_bases(PciDev& pdev);
    void assign_resources(PciHost& host);
    bool assign_bar(PciHost& host, std::vector<uint64_t>& next, PciDev& pdev, unsigned bar);
    void configure_dma(PciDev& pdev);
    void log(const std::string& device, const std::string& message);

    Kernel& kernel_;
    dma::Context& dma_;
    models::Instrumentation& instr_;
    std::vector<std::unique_ptr<PciHost>> hosts_;
    std::vector<std::shared_ptr<dma::CoherentMemory>> local_pools_;  // by host; null without local memory
    std::vector<std::unique_ptr<PciDev>> devices_;
    std::vector<std::string> messages_;
    uint64_t& stat_functions_;
    uint64_t& stat_bars_assigned_;
    uint64_t& stat_bar_failures_;
    uint64_t& stat_bound_;
    uint64_t& stat_probe_failures_;
    models::EventKind ev_log_;
};

}  // namespace sw
