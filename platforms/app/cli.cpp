// The dmasim command line: run, describe, list, check, report, regress. Exit codes are documented in README.md
// and platforms/errors.h.
#include "platforms/app/describe.h"
#include "platforms/app/experiment.h"
#include "platforms/app/property_docs.h"
#include "platforms/app/regress.h"
#include "platforms/app/report.h"
#include "platforms/app/simulation.h"
#include "platforms/app/trace_json.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"
#include "sw/workloads/workload.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <systemc>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace platform;

namespace {

struct RunOptions {
    std::string scenario;
    std::string platform;
    std::string workload;
    std::vector<std::string> params;
    std::vector<std::string> overrides;
    std::vector<std::string> include_dirs;
    std::vector<std::string> firmware_path;
    std::optional<uint64_t> seed;
    std::string outdir = "simout";
    std::string quantum;
    bool no_monitor = false;
    bool quiet = false;
    std::string trace_json;
    std::string trace_events;
    std::string vcd;
    std::string vcd_period;
};

const char* default_platform = "arm-noncoherent.dts";  // of a workload run without --platform

RunRequest build_request(const RunOptions& options) {
    RunRequest request;
    if (!options.scenario.empty()) {
        request = RunRequest::from_scenario(Scenario::load(options.scenario));
    } else {
        request.name = "default";
        request.platform = default_platform;
    }
    if (!options.platform.empty()) {
        request.platform = options.platform;
        request.search_dir.clear();
    }
    if (!options.workload.empty()) {
        if (options.workload != request.workload)
            request.params.clear();  // parameters belong to the scenario's workload
        request.workload = options.workload;
    }
    for (const std::string& param : options.params) {
        size_t equals = param.find('=');
        if (equals == std::string::npos || equals == 0)
            throw ConfigError(fmt::format("-p '{}': expected key=value", param));
        request.params[param.substr(0, equals)] = param.substr(equals + 1);
    }
    request.overrides.insert(request.overrides.end(), options.overrides.begin(), options.overrides.end());
    request.include_dirs.insert(request.include_dirs.end(), options.include_dirs.begin(), options.include_dirs.end());
    request.firmware_path = options.firmware_path;
    if (options.seed)
        request.seed = *options.seed;
    if (!options.quantum.empty()) {
        request.quantum_ps = parse_duration_ps(options.quantum, "--quantum");
        if (*request.quantum_ps == 0)
            throw ConfigError("--quantum: expected a duration greater than zero, got '" + options.quantum + "'");
    }
    if (options.no_monitor)
        request.monitor = false;
    request.outdir = options.outdir;
    request.quiet = options.quiet;
    request.heartbeat = !options.quiet && ::isatty(STDERR_FILENO);
    if (!options.trace_events.empty() && options.trace_json.empty())
        throw ConfigError("--trace selects the events of --trace-json FILE, which is missing");
    if (!options.vcd_period.empty() && options.vcd.empty())
        throw ConfigError("--vcd-period sets the sampling of --vcd FILE, which is missing");
    request.trace_json = options.trace_json;
    if (!options.trace_events.empty())
        request.trace_events = options.trace_events;
    request.vcd = options.vcd;
    if (!options.vcd_period.empty()) {
        request.vcd_period_ps = parse_duration_ps(options.vcd_period, "--vcd-period");
        if (request.vcd_period_ps == 0)
            throw ConfigError("--vcd-period: expected a duration greater than zero, got '" + options.vcd_period + "'");
    }
    return request;
}

// Files under `folder` with `extension`, its subfolders included (scenarios sit in a folder per
// family), sorted by their path.
std::vector<fs::path> files_with_extension(const std::string& folder, const std::string& extension) {
    std::vector<fs::path> files;
    if (fs::is_directory(folder))
        for (const auto& entry : fs::recursive_directory_iterator(folder))
            if (entry.is_regular_file() && entry.path().extension() == extension)
                files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

void list_workloads() {
    for (const auto& [name, workload] : sw::WorkloadRegistry::builtin().all()) {
        std::cout << fmt::format("{}\n    {}\n", name, workload.description);
        for (const sw::ParamSpec& spec : workload.params) {
            std::string choices = spec.choices.empty() ? "" : fmt::format(" [{}]", fmt::join(spec.choices, "|"));
            std::cout << fmt::format("    -p {}=... (default {}){}: {}\n", spec.name,
                                     spec.default_value.empty() ? "\"\"" : spec.default_value, choices,
                                     spec.description);
        }
    }
}

void list_platforms() {
    for (const fs::path& file : files_with_extension(platforms_dir(), ".dts")) {
        std::string model;
        try {
            model = DeviceTree::load(file.string()).root().string_or("model", "");
        } catch (const ConfigError& error) {
            model = std::string("(does not load: ") + error.what() + ")";
        }
        std::cout << fmt::format("{:<32} {}\n", file.filename().string(), model);
    }
}

// The device-tree property tables of one model doc page, or of each.
void list_properties(const std::string& page) {
    if (!page.empty()) {
        std::cout << property_doc(page);
        return;
    }
    for (const std::string& each : property_doc_pages())
        std::cout << fmt::format("docs/models/{}.md\n\n{}\n", each, property_doc(each));
}

void list_scenarios() {
    for (const fs::path& file : files_with_extension(scenarios_dir(), ".yaml")) {
        try {
            Scenario scenario = Scenario::load(file.string());
            std::cout << fmt::format("{:<48} {}\n", file.lexically_relative(scenarios_dir()).string(),
                                     scenario.description);
        } catch (const ConfigError& error) {
            std::cout << fmt::format("{:<40} (invalid: {})\n", file.filename().string(), error.what());
        }
    }
}

// validate() (simulation.h), with the platform's warnings on stderr as a run prints them.
Validation validate_printing_warnings(const RunRequest& request) {
    Validation validation = validate(request);
    for (const std::string& warning : validation.warnings)
        std::cerr << "warning: " << warning << "\n";
    return validation;
}

// The device tree `describe` and `check` read: the file, its -c overrides and its -I include folders.
struct TreeOptions {
    std::string file;
    std::vector<std::string> overrides;
    std::vector<std::string> include_dirs;
};

// Both take -c and -I as run does.
void add_tree_options(CLI::App* command, TreeOptions& tree) {
    command->add_option("-c,--config", tree.overrides, "device-tree override /node/path:prop=value (repeatable)");
    command->add_option("-I,--include", tree.include_dirs,
                        "a folder the .dts's #include and /include/ search (repeatable), e.g. a kernel's include/");
}

// What `describe` and `check` of a device tree validate: everything a run builds, without a workload.
RunRequest tree_request(const TreeOptions& tree) {
    RunRequest request;
    request.platform = tree.file;
    request.overrides = tree.overrides;
    request.include_dirs = tree.include_dirs;
    return request;
}

// A scenario's own overrides and include folders come first, as with run.
void check(const TreeOptions& tree, const std::vector<std::string>& firmware_path) {
    const std::string& file = tree.file;
    std::string extension = fs::path(file).extension().string();
    bool scenario = extension == ".yaml" || extension == ".yml";
    RunRequest request = tree_request(tree);
    if (scenario) {
        request = RunRequest::from_scenario(Scenario::load(file));
        request.overrides.insert(request.overrides.end(), tree.overrides.begin(), tree.overrides.end());
        request.include_dirs.insert(request.include_dirs.end(), tree.include_dirs.begin(), tree.include_dirs.end());
    }
    request.firmware_path = firmware_path;
    validate_printing_warnings(request);
    std::cout << file << ": ok\n";
}

int run_cli(int argc, char** argv) {
    CLI::App app{"dmasim: a full-system simulator of DMA on non-coherent ARM platforms"};
    app.set_version_flag("--version", std::string("dmasim ") + DMASIM_VERSION);
    app.require_subcommand(1);

    RunOptions run;
    CLI::App* run_cmd = app.add_subcommand("run", "run a scenario, or a workload on a platform (default "
                                                  "arm-noncoherent.dts); with neither, seed experiment 1 broken and "
                                                  "fixed, and their contrast");
    run_cmd->add_option("scenario", run.scenario, "scenario file (.yaml)");
    run_cmd->add_option("--platform", run.platform, "platform device tree (.dts/.dtb, a path or a shipped name)");
    run_cmd->add_option("--workload", run.workload, "workload name (see `dmasim list workloads`)");
    run_cmd->add_option("-p,--param", run.params, "workload parameter key=value (repeatable)");
    run_cmd->add_option("-c,--config", run.overrides, "device-tree override /node/path:prop=value (repeatable)");
    run_cmd->add_option("-I,--include", run.include_dirs,
                        "a folder the .dts's #include and /include/ search (repeatable), e.g. a kernel's include/");
    run_cmd->add_option("--firmware-path", run.firmware_path,
                        "a folder searched for firmware images before the build's (repeatable)");
    run_cmd->add_option("--seed", run.seed, "random seed (default: the scenario's, else 1)");
    run_cmd->add_option("-o,--outdir", run.outdir, "output folder")->capture_default_str();
    run_cmd->add_option("--quantum", run.quantum, "core time quantum, e.g. 1us or 500ns");
    run_cmd->add_flag("--no-monitor", run.no_monitor, "switch the coherence monitor off");
    run_cmd->add_flag("-q,--quiet", run.quiet, "print nothing but errors");
    run_cmd->add_option("--trace-json", run.trace_json, "write a timeline (Chrome trace JSON, for ui.perfetto.dev)");
    run_cmd->add_option("--trace", run.trace_events,
                        "events the timeline shows, comma-separated globs (default: all); 'help' lists them");
    run_cmd->add_option("--vcd", run.vcd, "write waveforms (VCD, for GTKWave)");
    run_cmd->add_option("--vcd-period", run.vcd_period, "sampling period of the waveforms' counters (default 1us)");

    TreeOptions describe_tree;
    CLI::App* describe_cmd = app.add_subcommand("describe", "print the platform a device tree builds");
    describe_cmd->add_option("platform", describe_tree.file, "device tree (.dts/.dtb)")->required();
    add_tree_options(describe_cmd, describe_tree);

    std::string list_what, list_page;
    CLI::App* list_cmd =
        app.add_subcommand("list", "list workloads, platforms, scenarios, or the models' device-tree properties");
    list_cmd->add_option("what", list_what, "workloads|platforms|scenarios|properties")
        ->required()
        ->check(CLI::IsMember({"workloads", "platforms", "scenarios", "properties"}));
    list_cmd->add_option("page", list_page, "properties: the doc page (docs/models/PAGE.md) whose tables to print");

    TreeOptions check_tree;
    CLI::App* check_cmd = app.add_subcommand("check", "validate a device tree or a scenario without running it");
    check_cmd->add_option("file", check_tree.file, "a .dts/.dtb or a scenario .yaml")->required();
    add_tree_options(check_cmd, check_tree);
    std::vector<std::string> check_firmware_path;
    check_cmd->add_option("--firmware-path", check_firmware_path,
                          "a folder searched for firmware images before the build's (repeatable)");

    std::string report_dir;
    std::string report_format = "text";
    CLI::App* report_cmd = app.add_subcommand("report", "summarise a run's output folder");
    report_cmd->add_option("outdir", report_dir, "a folder dmasim run wrote")->required();
    report_cmd->add_option("--format", report_format, "text or markdown")
        ->check(CLI::IsMember({"text", "markdown"}))
        ->capture_default_str();

    RegressOptions regress_options;
    std::string shard;
    CLI::App* regress_cmd = app.add_subcommand("regress",
                                               "run scenarios in parallel processes: one line each, JUnit XML, shards, "
                                               "golden stats");
    regress_cmd->add_option("scenarios", regress_options.inputs, "scenario files, or folders of them")->required();
    regress_cmd->add_option("-j,--jobs", regress_options.jobs, "runs at a time")
        ->check(CLI::Range(1u, 1024u))
        ->capture_default_str();
    regress_cmd->add_option("--junit", regress_options.junit, "write JUnit XML to this file");
    regress_cmd->add_option("--shard", shard, "run part K of N (1-based), e.g. 2/4");
    regress_cmd->add_flag("--list", regress_options.list, "print the selected scenario files instead of running them");
    regress_cmd->add_flag("--update-golden", regress_options.update_golden,
                          "write the golden stats of the scenarios with golden: true instead of comparing");
    regress_cmd->add_option("--golden-dir", regress_options.golden_dir,
                            "golden files' folder (default: golden/ beside each scenario's folder)");
    regress_cmd->add_option("-o,--outroot", regress_options.outroot, "each run writes to OUTROOT/<scenario>/")
        ->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        int code = app.exit(error);
        return code == 0 ? exit_pass : exit_config_error;
    }

    try {
        if (*run_cmd) {
            if (!run.scenario.empty() && !fs::exists(run.scenario))
                throw ConfigError(run.scenario + ": cannot open: no such file");
            if (run.scenario.empty() && !run.platform.empty() && run.workload.empty())
                throw ConfigError("--platform needs --workload (or give a scenario file)");
            if (run.trace_events == "help") {
                run.trace_events.clear();
                std::cout << trace_help(traceable_events(build_request(run)));
                return exit_pass;
            }
            if (run.scenario.empty() && run.workload.empty()) {
                if (!run.params.empty() || !run.overrides.empty() || !run.include_dirs.empty() || run.seed ||
                    !run.quantum.empty() || run.no_monitor || !run.trace_json.empty() || !run.trace_events.empty() ||
                    !run.vcd.empty() || !run.vcd_period.empty())
                    throw ConfigError("these options need --workload or a scenario file (with neither, run runs seed "
                                      "experiment 1 and takes only -o and -q)");
                return run_default_experiment(self_executable(argv[0]), run.outdir, run.quiet, std::cout);
            }
            return run_simulation(build_request(run));
        }
        if (*describe_cmd)
            std::cout << describe_text(validate_printing_warnings(tree_request(describe_tree)).platform);
        else if (*list_cmd)
            list_what == "workloads"    ? list_workloads()
            : list_what == "platforms"  ? list_platforms()
            : list_what == "properties" ? list_properties(list_page)
                                        : list_scenarios();
        else if (*check_cmd)
            check(check_tree, check_firmware_path);
        else if (*report_cmd)
            std::cout << report(report_dir, report_format == "markdown" ? ReportFormat::markdown : ReportFormat::text);
        else if (*regress_cmd) {
            if (!shard.empty())
                regress_options.shard = Shard::parse(shard);
            regress_options.binary = self_executable(argv[0]);
            return regress(regress_options, std::cout);
        }
        return exit_pass;
    } catch (const ConfigError& error) {
        std::cerr << "error: " << error.what() << "\n";
        return exit_config_error;
    } catch (const fs::filesystem_error& error) {
        std::cerr << "error: " << error.what() << "\n";
        return exit_config_error;
    } catch (const std::exception& error) {
        std::cerr << "error: internal error: " << error.what() << "\n";
        return exit_simulation_error;
    }
}

}  // namespace

int sc_main(int argc, char** argv) { return run_cli(argc, argv); }

int main(int argc, char** argv) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    return sc_core::sc_elab_and_sim(argc, argv);
}
