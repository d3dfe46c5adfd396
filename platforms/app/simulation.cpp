#include "platforms/app/simulation.h"

#include "dma/iommu_ops.h"
#include "platforms/app/heartbeat.h"
#include "platforms/app/interrupt.h"
#include "platforms/app/outputs.h"
#include "platforms/app/report.h"
#include "platforms/app/trace_json.h"
#include "platforms/app/vcd.h"
#include "platforms/builder/dma_system.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"
#include "sw/drivers/iommu/arm_smmu.h"
#include "sw/drivers/mfd/mfd.h"
#include "sw/drivers/pci/pci_subsystem.h"
#include "sw/drivers/usb/usb_bus.h"
#include "sw/workloads/workload.h"

#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <iostream>
#include <memory>
#include <systemc>
#include <unistd.h>

#ifndef DMASIM_VERSION
#define DMASIM_VERSION "0.0.0"
#endif

namespace platform {

namespace fs = std::filesystem;

RunRequest RunRequest::from_scenario(const Scenario& scenario) {
    RunRequest request;
    request.name = scenario.name;
    request.description = scenario.description;
    request.scenario_file = scenario.file;
    request.platform = scenario.platform;
    request.search_dir = fs::path(scenario.file).parent_path().string();
    request.overrides = scenario.overrides;
    request.include_dirs = scenario.include_dirs;
    request.workload = scenario.workload;
    request.params = scenario.params;
    request.seed = scenario.seed.value_or(1);
    request.expect = scenario.expect;
    return request;
}

static std::string dir_from_env(const char* variable, const std::string& fallback) {
    const char* value = std::getenv(variable);
    return value && *value ? value : fallback;
}

std::string platforms_dir() { return dir_from_env("DMASIM_PLATFORM_DIR", DMASIM_SOURCE_DIR "/platforms"); }

std::string scenarios_dir() { return dir_from_env("DMASIM_SCENARIO_DIR", DMASIM_SOURCE_DIR "/tests/scenarios"); }

std::string resolve_platform(const std::string& platform, const std::string& search_dir) {
    std::vector<fs::path> candidates;
    if (!search_dir.empty() && fs::path(platform).is_relative())
        candidates.push_back(fs::path(search_dir) / platform);
    candidates.push_back(platform);
    candidates.push_back(fs::path(platforms_dir()) / platform);
    candidates.push_back(fs::path(platforms_dir()) / (platform + ".dts"));
    for (const fs::path& candidate : candidates)
        if (fs::is_regular_file(candidate))
            return candidate.string();
    throw ConfigError(fmt::format("platform '{}' not found (looked relative to {}, the current folder and {})",
                                  platform, search_dir.empty() ? "nothing else" : search_dir, platforms_dir()));
}

uint64_t parse_duration_ps(const std::string& text, const std::string& what) {
    static const std::pair<const char*, uint64_t> units[] = {
        {"ps", 1}, {"ns", 1000}, {"us", 1000000}, {"ms", 1000000000}, {"", 1000}};
    size_t used = 0;
    uint64_t value = 0;
    try {
        value = std::stoull(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    std::string unit = used ? text.substr(used) : "?";
    for (const auto& [name, scale] : units)
        if (unit == name && text[0] != '-' && value <= ~0ULL / scale)
            return value * scale;
    throw ConfigError(fmt::format("{}: expected a duration such as 1us, 500ns or 2000ps, got '{}'", what, text));
}

namespace {

// The tree and the workload a request names, before anything is built; ConfigError on bad input.
struct Prepared {
    DeviceTree tree;
    const sw::Workload* workload;  // null when the request names none (describe, check of a tree)
    sw::Params params;
};

DeviceTree load_tree(const RunRequest& request) {
    DeviceTree tree = DeviceTree::load(resolve_platform(request.platform, request.search_dir), request.include_dirs);
    for (const std::string& spec : request.overrides)
        tree.apply_override(spec);
    return tree;
}

Prepared prepare(const RunRequest& request) {
    DeviceTree tree = load_tree(request);
    if (request.workload.empty())
        return Prepared{std::move(tree), nullptr, {}};
    const sw::Workload* workload = sw::WorkloadRegistry::builtin().find(request.workload);
    if (!workload) {
        std::string known;
        for (const auto& [name, unused] : sw::WorkloadRegistry::builtin().all())
            known += (known.empty() ? "" : ", ") + name;
        throw ConfigError(fmt::format("unknown workload '{}' (known: {})", request.workload, known));
    }
    try {
        return Prepared{std::move(tree), workload, sw::WorkloadRegistry::resolve(*workload, request.params)};
    } catch (const sw::ParamError& error) {
        throw ConfigError(error.what());
    }
}

PlatformOptions options_of(const RunRequest& request) {
    PlatformOptions options;
    options.monitor = request.monitor;
    options.quantum_ps = request.quantum_ps;
    options.seed = request.seed;
    return options;
}

nlohmann::ordered_json config_json(const RunRequest& request, const Platform& platform, const sw::Params& params) {
    return {{"dmasim_version", DMASIM_VERSION},
            {"name", request.name},
            {"description", request.description},
            {"workload", request.workload},
            {"params", params.all()},
            {"seed", request.seed},
            {"overrides", request.overrides},
            {"expect",
             [&] {
                 std::vector<std::string> texts;
                 for (const Expectation& e : request.expect)
                     texts.push_back(e.text);
                 return texts;
             }()},
            {"platform", platform.description()}};
}

struct ExpectationResult {
    const Expectation* expectation;
    bool known;           // every stat it names exists
    std::string missing;  // else the first that does not
    uint64_t actual;
    uint64_t right;  // the right-hand stat's value, when it has one
    bool met;
};

std::string where(const RunRequest& request, const Expectation& expectation) {
    return expectation.line ? fmt::format("{}:{}: ", request.scenario_file, expectation.line) : "";
}

// Expectations on hazards cannot be judged without the monitor: say so before running.
void check_expectations_judgeable(const RunRequest& request, const Platform& platform) {
    auto is_hazard = [](const std::string& stat) { return stat.rfind("hazards.", 0) == 0; };
    for (const Expectation& expectation : request.expect)
        if ((is_hazard(expectation.stat) || is_hazard(expectation.right_stat)) &&
            !platform.description()["coherence_monitor"].get<bool>())
            throw ConfigError(fmt::format("{}expectation '{}': hazards are counted only with the coherence monitor, "
                                          "which is off (--no-monitor or dmasim,coherence-monitor)",
                                          where(request, expectation), expectation.text));
}

std::string describe_actual(const ExpectationResult& result) {
    if (!result.known)
        return "no such stat";
    const std::string& right_stat = result.expectation->right_stat;
    return right_stat.empty() ? fmt::format("actual {}", result.actual)
                              : fmt::format("actual {}, {} {}", result.actual, right_stat, result.right);
}

std::vector<ExpectationResult> check_expectations(const RunRequest& request, const models::Instrumentation& instr) {
    std::vector<ExpectationResult> results;
    for (const Expectation& expectation : request.expect) {
        ExpectationResult result{&expectation, true, "", 0, 0, false};
        auto value_of = [&](const std::string& stat) -> uint64_t {
            auto found = instr.counters().find(stat);
            if (found != instr.counters().end())
                return *found->second;
            if (result.known)
                result.missing = stat;
            result.known = false;
            return 0;
        };
        result.actual = value_of(expectation.stat);
        if (!expectation.right_stat.empty())
            result.right = value_of(expectation.right_stat);
        result.met = result.known &&
                     expectation.holds(static_cast<double>(result.actual), static_cast<double>(result.right));
        results.push_back(result);
    }
    return results;
}

void print_summary(const RunRequest& request, Platform& platform, const models::Instrumentation& instr, uint64_t end_ps,
                   const std::vector<ExpectationResult>& results, const std::string& fault,
                   const std::vector<std::string>& workload_summary) {
    auto stat = [&](const std::string& path) { return instr.counter_value(path); };
    std::cout << fmt::format("dmasim: {} on {} (seed {})\n", request.workload,
                             platform.description()["platform"].get<std::string>(), request.seed);
    std::cout << fmt::format("  simulated time   {} ({} ps)\n", format_time(end_ps), end_ps);
    std::cout << fmt::format("  cpu0             {} accesses, {} uncached\n", stat("cpu0.accesses"),
                             stat("cpu0.uncached_reads") + stat("cpu0.uncached_writes"));
    std::vector<std::string> caches = {"cpu0.l1d"};
    if (platform.outer_cache())
        caches.push_back("l2");
    for (const std::string& cache : caches) {
        uint64_t hits = stat(cache + ".read_hits") + stat(cache + ".write_hits");
        uint64_t misses = stat(cache + ".read_misses") + stat(cache + ".write_misses");
        std::cout << fmt::format("  {:<16} {} hits, {} misses ({:.1f}% hit), {} evictions, {} write-backs\n", cache,
                                 hits, misses, hits + misses ? 100.0 * hits / (hits + misses) : 0.0,
                                 stat(cache + ".evictions"), stat(cache + ".write_backs"));
    }
    if (models::CoherenceMonitor* monitor = platform.monitor()) {
        std::string hazards;
        for (int i = 0; i < models::hazard_kind_count; ++i) {
            auto kind = static_cast<models::HazardKind>(i);
            if (monitor->count(kind))
                hazards += fmt::format("{}{} {}", hazards.empty() ? "" : ", ", models::to_string(kind),
                                       monitor->count(kind));
        }
        std::cout << fmt::format("  hazards          {}\n", hazards.empty() ? "none" : hazards);
    } else {
        std::cout << "  hazards          not watched (coherence monitor off)\n";
    }
    std::cout << fmt::format("  data errors      {}\n", stat("workload.data_errors"));
    if (!fault.empty())
        std::cout << "  SIMULATION ERROR " << fault << "\n";
    for (const std::string& line : workload_summary)
        std::cout << "  " << line << "\n";
    size_t met = 0;
    for (const ExpectationResult& result : results)
        met += result.met;
    if (!results.empty())
        std::cout << fmt::format("  expectations     {}/{} met\n", met, results.size());
    for (const ExpectationResult& result : results)
        std::cout << fmt::format("    [{}] {} ({})\n", result.met ? "ok" : "FAILED", result.expectation->text,
                                 describe_actual(result));
    std::cout << fmt::format("  outputs          {}/\n", request.outdir);
}

}  // namespace

void prepare_outdir(const std::string& outdir) {
    fs::create_directories(outdir);
    if (!fs::is_directory(outdir) || ::access(outdir.c_str(), W_OK) != 0)
        throw ConfigError(fmt::format("{}: output folder is not a writable folder", outdir));
    // A run that stops early (SIGINT, a crash) must not leave the previous run's results to be
    // read as its own. Only the files a run writes go; a folder of that name is left to fail later.
    for (const char* name : output_file::all) {
        fs::path file = fs::path(outdir) / name;
        std::error_code error;
        if (fs::is_directory(fs::symlink_status(file, error)))
            continue;
        if (fs::remove(file, error); error)
            throw ConfigError(fmt::format("{}: cannot remove the previous run's output: {}", file.string(),
                                          error.message()));
    }
}

// The kernel booted on a platform. A reserved-memory table it cannot honour (a dynamic region
// with no room, a CMA area outside RAM) is bad input, reported like the tree's other errors.
static std::unique_ptr<sw::Kernel> boot_kernel(Platform& platform, const DeviceTree& tree,
                                               models::Instrumentation& instr) {
    try {
        auto kernel = std::make_unique<sw::Kernel>(platform.core(), instr, platform.kernel_ram(),
                                                   platform.kernel_reserved(), platform.outer_cache_registers(),
                                                   platform.zone_dma_limit(), platform.interrupt_controller_info());
        kernel->kmalloc().set_min_align(platform.boot_params().dma.kmalloc_min_align);
        return kernel;
    } catch (const sw::ReservedMemoryError& error) {
        throw ConfigError(fmt::format("{}: {}", tree.source_name(), error.what()));
    }
}

// Events software declares only once it is running (a USB bus's, when a host controller's driver
// probes), declared before the run, so that what --trace help lists and what --trace accepts are
// one list: every event of the built system, and these.
static void declare_run_time_events(models::Instrumentation& instr) { sw::UsbBus::declare_log_event(instr); }

namespace {

// Everything a run builds before it simulates, in dependency order, each part checked as it is
// built: the one path of validate(), traceable_events() and run_simulation(). ConfigError on bad input.
class System {
public:
    // `before_boot` runs once the platform is built and checked, before the kernel boots: a run
    // attaches there the sinks that must see the boot's events.
    System(const RunRequest& request, models::Instrumentation& instr,
           const std::function<void(Platform&)>& before_boot = {})
        : prepared(prepare(request)), platform(prepared.tree, options_of(request), instr) {
        check_expectations_judgeable(request, platform);
        if (before_boot)
            before_boot(platform);
        kernel = boot_kernel(platform, prepared.tree, instr);
        dma.emplace(platform, *kernel, instr);
        std::vector<sw::ArmSmmuInfo> iommu_infos = platform.kernel_iommus();
        for (size_t i = 0; i < iommu_infos.size(); ++i)
            smmus.push_back(std::make_unique<sw::ArmSmmu>(*kernel, *dma->iommu_devices()[i], iommu_infos[i]));
        pci.emplace(*kernel, dma->context(), instr, platform.kernel_pci_hosts());
        std::vector<sw::BusMaster*> drivers;
        for (const sw::BusMasterInfo& info : platform.kernel_bus_masters()) {
            bus_masters.push_back(std::make_unique<sw::BusMaster>(*kernel, info));
            drivers.push_back(bus_masters.back().get());
        }
        for (const std::string& dir : request.firmware_path)
            kernel->firmware().add_path(dir);
        std::vector<sw::Mfd*> mfd_drivers;
        for (size_t i = 0; i < platform.mfds().size(); ++i) {
            const sw::MfdInfo& info = platform.mfds()[i].info;
            if (!kernel->firmware().find(info.firmware_name))  // request_firmware would fail at boot
                throw ConfigError(fmt::format("{}: node {}: property 'firmware-name': {}", platform.source_name(),
                                              info.node, kernel->firmware().not_found(info.name, info.firmware_name)));
            mfds.push_back(std::make_unique<sw::Mfd>(*kernel, instr, info, *dma->mfd_devices()[i]));
            mfd_drivers.push_back(mfds.back().get());
        }
        declare_run_time_events(instr);
        if (!prepared.workload)
            return;
        context.emplace(sw::WorkloadContext{platform.core(), *kernel, prepared.params, instr, request.seed,
                                            instr.counter("workload.data_errors"), drivers, &dma->context(),
                                            dma->devices()});
        context->pci = &*pci;
        context->mfds = mfd_drivers;
        if (prepared.workload->check) {
            try {
                prepared.workload->check(*context);
            } catch (const sw::ParamError& error) {
                throw ConfigError(error.what());
            }
        }
    }

    Prepared prepared;
    Platform platform;
    std::unique_ptr<sw::Kernel> kernel;
    std::optional<DmaSystem> dma;
    std::vector<std::unique_ptr<sw::ArmSmmu>> smmus;  // the platform's IOMMUs, each with its driver
    std::optional<sw::PciSubsystem> pci;
    std::vector<std::unique_ptr<sw::BusMaster>> bus_masters;  // the platform's, each with its driver
    std::vector<std::unique_ptr<sw::Mfd>> mfds;               // the platform's MFDs, each with its driver
    std::optional<sw::WorkloadContext> context;               // when the request names a workload

    // Boot probes the IOMMUs before the devices behind them (Linux defers a master's probe until its
    // IOMMU has registered), then attaches each platform DMA device that names one (Linux's
    // of_iommu_configure and iommu_setup_dma_ops); a probe or an attach that fails leaves the
    // platform unusable as described (a simulation error naming the device and the reason).
    void probe_iommus() {
        for (const auto& smmu : smmus)
            if (int rc = smmu->probe(); rc < 0)  // after the driver's dev_err, if it printed one
                throw std::runtime_error(fmt::format("{}{} {}: probe failed with error {}",
                                                     smmu->messages().empty() ? "" : smmu->messages().back() + "; ",
                                                     sw::ArmSmmu::driver_name, smmu->info().name, rc));
        for (dma::Device* dev : dma->devices()) {
            std::string error;  // names the device, the IOMMU and the reason
            if (dev->iommu_fwspec() && !dma::iommu_configure(*dev, error))
                throw std::runtime_error(error);
        }
    }
    // Last at shutdown, after the devices behind them: their domains freed before dma-debug's leak check.
    void remove_iommus() {
        for (const auto& smmu : smmus)
            smmu->remove();
    }
    // Boot binds the bus masters' drivers (platform devices) before the PCI core enumerates; a probe
    // that fails leaves the platform unusable as described (a simulation error).
    void probe_bus_masters() {
        for (const auto& master : bus_masters)
            if (int rc = master->probe(); rc < 0)
                throw std::runtime_error(fmt::format("{}{} {}: probe failed with error {}",
                                                     master->error().empty() ? "" : master->error() + "; ",
                                                     sw::BusMaster::driver_name, master->info().name, rc));
    }
    void remove_bus_masters() {
        for (const auto& master : bus_masters)
            master->remove();
    }
    // The MFDs' drivers load their firmware and add their cells at boot, beside the bus masters'.
    void probe_mfds() {
        for (const auto& mfd : mfds)
            if (mfd->probe() < 0)
                throw std::runtime_error(mfd->error());
    }
    void remove_mfds() {
        for (const auto& mfd : mfds)
            mfd->remove();
    }
};

}  // namespace

Validation validate(const RunRequest& request) {
    models::Instrumentation instr;
    System system(request, instr);
    // What sc_start does before it simulates: every socket's binding checked, so that a platform
    // check passes is one a run can start.
    sc_core::sc_get_curr_simcontext()->elaborate();
    return Validation{system.platform.description(), system.platform.warnings()};
}

std::map<std::string, std::string> traceable_events(const RunRequest& request) {
    models::Instrumentation instr;
    System system(request, instr);  // a workload declares its own events when it runs
    return instr.event_descriptions();
}

int run_simulation(const RunRequest& request) {
    InterruptGuard interrupt;  // before any file is opened, so that SIGINT always closes them
    models::Instrumentation instr;
    LogSink log;
    std::optional<TraceJson> trace;  // sinks outlive every model that emits
    std::optional<HazardMappings> hazard_mappings;
    std::optional<VcdWriter> vcd;
    instr.add_sink(&log, LogSink::default_events);
    System system(request, instr, [&](Platform& platform) {
        prepare_outdir(request.outdir);
        if (const models::CoherenceMonitor* monitor = platform.monitor()) {  // the hazards' evidence, traced or not
            hazard_mappings.emplace(instr, trace_layout(platform, request.name).device_masters, monitor->max_details());
            log.show_hazard_mappings(&hazard_mappings->history());
        }
        log.note(0, fmt::format("dmasim {}: workload {} on {}, seed {}", DMASIM_VERSION, request.workload,
                                platform.source_name(), request.seed));
        for (const std::string& warning : platform.warnings()) {
            log.note(0, "warning: " + warning);
            std::cerr << "warning: " << warning << "\n";
        }
    });
    Platform& platform = system.platform;
    DmaSystem& dma_system = *system.dma;
    sw::PciSubsystem& pci = *system.pci;
    sw::WorkloadContext& context = *system.context;
    const sw::Workload& workload = *system.prepared.workload;
    uint64_t& data_errors = context.data_errors;
    uint64_t& time_ps = instr.counter("sim.time_ps");
    // The mappings' followers, before the program makes its first DMA call.
    dma::Context& dma = dma_system.context();
    if (hazard_mappings)
        hazard_mappings->follow(dma);
    if (!request.trace_json.empty()) {  // the sinks see every event declared by now (traceable_events)
        trace.emplace(request.trace_json, instr, trace_layout(platform, request.name), request.trace_events);
        dma.add_mapping_listener(*trace);
    }
    if (!request.vcd.empty()) {
        vcd.emplace("vcd", instr, vcd_config(platform, request.vcd, request.vcd_period_ps));
        dma.add_mapping_listener(*vcd);
    }
    platform.core().set_program([&](models::Core&) {
        system.probe_iommus();       // boot: the IOMMUs and the platform devices behind them,
        system.probe_bus_masters();  // the platform devices' drivers; enumerate PCI (a function behind an
        system.probe_mfds();         // IOMMU is attached as it is configured), then bind its drivers
        pci.scan();
        pci.probe_drivers();
        workload.run(context);
        pci.remove_drivers();
        system.remove_mfds();
        system.remove_bus_masters();
        system.remove_iommus();
        dma_system.context().debug().check_leaks_at_exit();
    });

    std::optional<Heartbeat> heartbeat;
    if (request.heartbeat)
        heartbeat.emplace(instr, std::cerr);
    platform.core().set_sync_hook([&] {
        if (heartbeat)
            heartbeat->poll(sc_core::sc_time_stamp().value());
        interrupt.check();
    });
    sc_core::sc_start();
    heartbeat.reset();  // clears its line before anything else is printed
    time_ps = sc_core::sc_time_stamp().value();
    if (interrupt.requested()) {
        if (trace)
            trace->finish(time_ps, "interrupted");
        std::cerr << fmt::format("dmasim: interrupted at {} of simulated time; trace and waveform files closed, "
                                 "no other output written\n",
                                 format_time(time_ps));
        return exit_interrupted;
    }
    const std::string& fault = platform.core().fault();
    if (!fault.empty()) {
        log.note(time_ps, "simulation error: " + fault);
        std::cerr << "error: " << fault << "\n";
    }
    log.note(time_ps, fmt::format("simulation ended, {} data errors", data_errors));
    for (const std::string& line : context.summary)
        log.note(time_ps, line);

    std::vector<ExpectationResult> results = check_expectations(request, instr);
    nlohmann::ordered_json stats = counters_json(instr);
    nlohmann::ordered_json expectations = nlohmann::ordered_json::array();
    bool all_met = true;
    for (const ExpectationResult& result : results) {
        all_met &= result.met;
        expectations.push_back({{"expect", result.expectation->text},
                                {"actual", result.known ? nlohmann::ordered_json(result.actual) : nullptr},
                                {"result", result.met     ? "met"
                                           : result.known ? "failed"
                                                          : "unknown stat"}});
        log.note(time_ps, fmt::format("expectation {}: {} ({})", result.met ? "met" : "FAILED",
                                      result.expectation->text, describe_actual(result)));
    }
    stats["expectations"] = expectations;
    stats["result"] = !fault.empty() ? "simulation_error" : all_met ? "pass" : "expectation_failed";
    if (trace)
        trace->finish(time_ps, stats["result"].get<std::string>());
    if (!fault.empty())
        stats["fault"] = fault;

    auto output = [&](const char* name) { return (fs::path(request.outdir) / name).string(); };
    write_file_atomically(output(output_file::config),
                          config_json(request, platform, system.prepared.params).dump(2) + "\n");
    write_file_atomically(output(output_file::stats), stats.dump(2) + "\n");
    write_file_atomically(output(output_file::stats_text),
                          stats_text(RunStats::read(JsonField::of(stats, output_file::stats))));
    write_file_atomically(output(output_file::hazards),
                          hazards_json(platform.monitor(), hazard_mappings ? &*hazard_mappings : nullptr).dump(2) +
                              "\n");
    write_file_atomically(output(output_file::dma_debug), dma_debug_json(dma_system.context().debug()).dump(2) + "\n");
    write_file_atomically(output(output_file::log), log.text());
    if (!request.quiet)
        print_summary(request, platform, instr, time_ps, results, fault, context.summary);
    for (const ExpectationResult& result : results)
        if (!result.known)
            throw ConfigError(fmt::format("{}expectation '{}': no stat '{}' in stats.json",
                                          where(request, *result.expectation), result.expectation->text,
                                          result.missing));
    if (!fault.empty())
        return exit_simulation_error;
    return all_met ? exit_pass : exit_expectation_failed;
}

}  // namespace platform
