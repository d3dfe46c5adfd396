// Named programs that run on the simulated core, with typed parameters validated before the
// simulation starts (a bad value is a configuration error naming the parameter).
#pragma once

#include "models/common/instrumentation.h"

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace models {
class Core;
}

namespace dma {
class Context;
class Device;
}  // namespace dma

namespace sw {

class BusMaster;
class Kernel;
class Mfd;
class PciSubsystem;

class ParamError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class ParamType { integer, size, boolean, choice, text };  // text: any string, e.g. a device name

struct ParamSpec {
    std::string name;
    ParamType type;
    std::string default_value;
    std::string description;
    std::vector<std::string> choices;  // for ParamType::choice
    uint64_t min = 0;                  // bounds of integer and size values
    uint64_t max = ~0ULL;
};

// Parameter values, checked against their specs; lookups of undeclared names are programming errors.
class Params {
public:
    uint64_t integer(const std::string& name) const;  // integer and size parameters
    bool boolean(const std::string& name) const;
    const std::string& text(const std::string& name) const;  // any parameter, as resolved
    const std::map<std::string, std::string>& all() const { return values_; }

private:
    friend class WorkloadRegistry;
    std::map<std::string, std::string> values_;
    std::map<std::string, uint64_t> numbers_;
};

// "4096", "0x1000", "64K", "2M", "1G" -> bytes; false on a bad form or overflow.
bool parse_size(const std::string& text, uint64_t& out);

struct WorkloadContext {
    models::Core& cpu;
    Kernel& kernel;
    const Params& params;
    models::Instrumentation& instr;
    uint64_t seed;
    uint64_t& data_errors;  // workload.data_errors: wrong values the program saw
    // The drivers of the platform's bus masters ("dmasim,bus-master"), probed at boot: a workload
    // drives a bus master only through them.
    std::vector<BusMaster*> bus_masters;
    // The DMA-mapping layer, and a dma::Device per bus master (same order as `bus_masters`),
    // configured from the device tree; null/empty where a test runs a workload without it.
    dma::Context* dma = nullptr;
    std::vector<dma::Device*> devices;
    // Lines the workload adds to the run's summary (a results table, say): printed after the
    // run unless --quiet, and written to run.log. Deterministic text only: simulated time, no host
    // paths. (Initialized so that aggregate initializers may leave it out.)
    std::vector<std::string> summary = {};
    // The kernel's PCI core after boot: host bridges enumerated, drivers bound; null on a run
    // without it.
    PciSubsystem* pci = nullptr;
    // The drivers of the platform's multi-function devices ("dmasim,mfd"), probed at boot with
    // their cells' drivers (sw/drivers/mfd/mfd.h).
    std::vector<Mfd*> mfds = {};
};

struct Workload {
    std::string name;
    std::string description;
    std::vector<ParamSpec> params;
    std::function<void(WorkloadContext&)> run;
    // Optional: checks the parameters against the built system before the simulation starts (a
    // device index it does not have, say); throws ParamError naming the parameter.
    std::function<void(const WorkloadContext&)> check = {};
};

// What an index parameter of a workload picks: a bus master it drives through its driver
// (context.bus_masters), or a DMA device, a bus master whose buffers come from the DMA API through
// its dma::Device (context.devices too).
enum class IndexOf { bus_master, dma_device };

// A Workload::check for a workload whose parameter `param` must be the index of one of the
// platform's bus masters or DMA devices. The workload may then index without checking again: every
// run goes through its check first.
std::function<void(const WorkloadContext&)> check_index_param(const std::string& workload, const std::string& param,
                                                              IndexOf what);

// `size` bytes that differ with `salt` (and along the buffer), so that a stale copy of another
// transfer's data never passes for the expected one.
std::vector<uint8_t> pattern_bytes(uint64_t size, uint64_t salt);

// The result of a bus master transfer the program cannot go on without: a failure ends it with a
// std::runtime_error carrying the driver's message (as a simulation error, exit 3).
void require_transfer(int rc, const BusMaster& master);

class WorkloadRegistry {
public:
    static WorkloadRegistry& builtin();  // every workload dmasim ships

    void add(Workload workload);
    const Workload* find(const std::string& name) const;
    const std::map<std::string, Workload>& all() const { return workloads_; }

    // Applies defaults and checks every given value; ParamError names the parameter, the value
    // and what was expected, or the unknown parameter and the known ones.
    static Params resolve(const Workload& workload, const std::map<std::string, std::string>& given);

private:
    std::map<std::string, Workload> workloads_;
};

}  // namespace sw
