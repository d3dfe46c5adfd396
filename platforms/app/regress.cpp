#include "platforms/app/regress.h"

#include "platforms/app/outputs.h"
#include "platforms/app/scenario.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace platform {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

Shard Shard::parse(const std::string& text) {
    unsigned index = 0, count = 0;
    char slash = 0, rest = 0;
    std::istringstream in(text);
    if (!(in >> index >> slash >> count) || slash != '/' || in >> rest || index < 1 || index > count ||
        text.find_first_not_of("0123456789/") != std::string::npos)
        throw ConfigError(fmt::format("--shard '{}': expected K/N with 1 <= K <= N, e.g. 2/4", text));
    return Shard{index, count};
}

std::vector<std::string> collect_scenarios(const std::vector<std::string>& inputs) {
    std::vector<fs::path> files;
    for (const std::string& input : inputs) {
        if (fs::is_directory(input)) {
            size_t before = files.size();
            for (const auto& entry : fs::recursive_directory_iterator(input))
                if (entry.is_regular_file() &&
                    (entry.path().extension() == ".yaml" || entry.path().extension() == ".yml"))
                    files.push_back(entry.path().lexically_normal());
            if (files.size() == before)
                throw ConfigError(fmt::format("{}: no scenario files (*.yaml) in this folder", input));
        } else if (fs::is_regular_file(input)) {
            files.push_back(fs::path(input).lexically_normal());
        } else {
            throw ConfigError(fmt::format("{}: no such scenario file or folder", input));
        }
    }
    std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
        return std::make_pair(a.filename(), a) < std::make_pair(b.filename(), b);
    });
    files.erase(std::unique(files.begin(), files.end()), files.end());
    std::map<std::string, fs::path> by_name;  // each run writes to OUTROOT/<stem>
    for (const fs::path& file : files) {
        auto [other, is_new] = by_name.emplace(file.stem().string(), file);
        if (!is_new)
            throw ConfigError(fmt::format("two scenarios named '{}': {} and {} (their outputs would share a folder)",
                                          file.stem().string(), other->second.string(), file.string()));
    }
    return std::vector<std::string>(files.begin(), files.end());
}

Json canonical_stats(const RunStats& stats) {
    std::map<std::string, Json> values(stats.counters.begin(), stats.counters.end());
    values["result"] = stats.result;
    if (!stats.fault.empty())
        values["fault"] = stats.fault;
    Json canonical = Json::object();
    for (const auto& [path, value] : values)
        canonical[path] = value;
    return canonical;
}

std::vector<std::string> golden_differences(const Json& golden, const Json& actual) {
    std::map<std::string, std::pair<const Json*, const Json*>> values;  // path -> (golden, actual)
    for (auto item = golden.begin(); item != golden.end(); ++item)
        values[item.key()].first = &item.value();
    for (auto item = actual.begin(); item != actual.end(); ++item)
        values[item.key()].second = &item.value();
    std::vector<std::string> differences;
    for (const auto& [path, pair] : values) {
        auto [expected, got] = pair;
        if (!expected)
            differences.push_back(fmt::format("{} {} (not in the golden file)", path, got->dump()));
        else if (!got)
            differences.push_back(fmt::format("{} missing (golden {})", path, expected->dump()));
        else if (*expected != *got)
            differences.push_back(fmt::format("{} {} (golden {})", path, got->dump(), expected->dump()));
    }
    return differences;
}

namespace {

// Control characters other than tab, newline and carriage return cannot appear in XML 1.0.
std::string xml_escape(const std::string& text, bool in_attribute) {
    std::string out;
    for (unsigned char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        case '\n': out += in_attribute ? "&#10;" : "\n"; break;
        case '\r': out += "&#13;"; break;
        case '\t': out += in_attribute ? "&#9;" : "\t"; break;
        default: out += c < 0x20 ? '?' : static_cast<char>(c);
        }
    }
    return out;
}

// Exact decimal seconds from picoseconds.
std::string seconds(uint64_t ps) { return fmt::format("{}.{:012}", ps / 1000000000000ULL, ps % 1000000000000ULL); }

std::string join(const std::vector<std::string>& parts, const char* separator) {
    return fmt::format("{}", fmt::join(parts, separator));
}

}  // namespace

std::string junit_xml(const std::vector<ScenarioOutcome>& outcomes, const std::string& suite_name) {
    uint64_t total_ps = 0;
    size_t failures = 0;
    for (const ScenarioOutcome& outcome : outcomes) {
        total_ps += outcome.time_ps.value_or(0);
        failures += !outcome.passed;
    }
    std::string counts = fmt::format("tests=\"{}\" failures=\"{}\" errors=\"0\"", outcomes.size(), failures);
    std::string name = xml_escape(suite_name, true);
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    xml += fmt::format("<testsuites name=\"{}\" {} time=\"{}\">\n", name, counts, seconds(total_ps));
    xml += fmt::format("  <testsuite name=\"{}\" {} skipped=\"0\" time=\"{}\">\n", name, counts, seconds(total_ps));
    for (const ScenarioOutcome& outcome : outcomes) {
        xml += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"", xml_escape(outcome.folder, true),
                           xml_escape(outcome.name, true), seconds(outcome.time_ps.value_or(0)));
        if (outcome.passed) {
            xml += "/>\n";
            continue;
        }
        xml += fmt::format(">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                           xml_escape(join(outcome.problems, "; "), true),
                           xml_escape(join(outcome.problems, "\n"), false));
    }
    xml += "  </testsuite>\n</testsuites>\n";
    return xml;
}

std::string self_executable(const char* argv0) {
    std::error_code error;
    fs::path self = fs::read_symlink("/proc/self/exe", error);
    return error ? std::string(argv0) : self.string();
}

namespace {

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string last_line(const std::string& text) {
    size_t end = text.find_last_not_of("\n");
    if (end == std::string::npos)
        return "(nothing on stderr)";
    size_t start = text.rfind('\n', end);
    return text.substr(start == std::string::npos ? 0 : start + 1,
                       end + 1 - (start == std::string::npos ? 0 : start + 1));
}

// `binary ARGS...` with stdin and stdout on /dev/null and stderr into `stderr_path`; -1 and errno on failure.
pid_t spawn(const std::string& binary, const std::vector<std::string>& args, const std::string& stderr_path) {
    std::vector<char*> argv = {const_cast<char*>(binary.c_str())};
    for (const std::string& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    int error = posix_spawnp(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error) {
        errno = error;
        return -1;
    }
    return pid;
}

// One scenario through its run: loaded, spawned, judged.
struct Job {
    ScenarioOutcome outcome;
    std::optional<Scenario> scenario;
    fs::path outdir;
    pid_t pid = -1;
    bool done = false;
};

class Runner {
public:
    Runner(const RegressOptions& options, std::ostream& out, size_t name_width)
        : options_(options), out_(out), name_width_(name_width) {}

    std::vector<ScenarioOutcome> run(const std::vector<std::string>& files) {
        for (const std::string& file : files)
            jobs_.push_back(job_for(file));
        size_t next = 0;
        std::map<pid_t, Job*> running;
        while (next < jobs_.size() || !running.empty()) {
            while (next < jobs_.size() && running.size() < options_.jobs) {
                Job& job = jobs_[next++];
                start(job);
                if (!job.done)
                    running[job.pid] = &job;
            }
            if (!running.empty()) {
                auto [pid, status] = wait_for_child();
                auto found = running.find(pid);
                if (found != running.end()) {
                    judge(*found->second, status);
                    running.erase(found);
                }
            }
            print_finished();
        }
        std::vector<ScenarioOutcome> outcomes;
        for (const Job& job : jobs_)
            outcomes.push_back(job.outcome);
        return outcomes;
    }

private:
    static Job job_for(const std::string& file) {
        Job job;
        job.outcome.file = file;
        job.outcome.name = fs::path(file).stem().string();
        std::string folder = fs::path(file).parent_path().string();
        job.outcome.folder = folder.empty() ? "." : folder;
        return job;
    }

    static void fail(Job& job, const std::string& problem) {
        job.outcome.problems.push_back(problem);
        job.done = true;
    }

    // A scenario that does not load fails here, with the loader's message, without a run.
    void start(Job& job) {
        try {
            job.scenario = Scenario::load(job.outcome.file);
        } catch (const ConfigError& error) {
            return fail(job, error.what());
        }
        job.outdir = fs::path(options_.outroot) / job.outcome.name;
        std::error_code error;
        fs::create_directories(job.outdir, error);
        if (error)
            return fail(job,
                        fmt::format("{}: cannot create the output folder: {}", job.outdir.string(), error.message()));
        job.pid = spawn(options_.binary, {"run", job.outcome.file, "-o", job.outdir.string(), "--quiet"},
                        (job.outdir / "stderr.txt").string());
        if (job.pid < 0)
            fail(job, fmt::format("cannot start {}: {}", options_.binary, std::strerror(errno)));
    }

    static std::pair<pid_t, int> wait_for_child() {
        int status = 0;
        pid_t pid;
        do
            pid = ::waitpid(-1, &status, 0);
        while (pid < 0 && errno == EINTR);
        if (pid < 0)
            throw std::runtime_error(fmt::format("waitpid: {}", std::strerror(errno)));
        return {pid, status};
    }

    void judge(Job& job, int status) {
        job.done = true;
        if (WIFSIGNALED(status))
            return fail(job, fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status))));
        int code = WEXITSTATUS(status);
        if (code != exit_pass && code != exit_expectation_failed && code != exit_simulation_error)
            return fail(job, fmt::format("exit {}: {}", code, last_line(read_text(job.outdir / "stderr.txt"))));
        RunStats stats;
        try {
            stats = RunStats::read(JsonField::load((job.outdir / output_file::stats).string()));
        } catch (const ConfigError& error) {
            return fail(job, error.what());
        }
        job.outcome.time_ps = stats.counter("sim.time_ps");
        int expected = job.scenario->expect_exit;
        if (code == exit_simulation_error && expected != exit_simulation_error)
            job.outcome.problems.push_back("simulation error: " + stats.fault);
        else if (code != exit_simulation_error && expected == exit_simulation_error)
            job.outcome.problems.push_back(fmt::format("expected a simulation error (exit 3), got exit {}", code));
        for (const ExpectationOutcome& outcome : stats.expectations)
            if (!outcome.met())
                job.outcome.problems.push_back("expectation failed: " + outcome.describe());
        if (job.outcome.problems.empty() && code != expected)
            job.outcome.problems.push_back(fmt::format("exit {}, expected {}", code, expected));
        if (job.outcome.problems.empty() && job.scenario->golden)
            check_golden(job, stats);
        job.outcome.passed = job.outcome.problems.empty();
    }

    fs::path golden_file(const Job& job) const {
        fs::path folder = options_.golden_dir.empty() ? fs::path(job.outcome.file).parent_path() / ".." / "golden"
                                                      : fs::path(options_.golden_dir);
        return (folder / (job.outcome.name + ".json")).lexically_normal();
    }

    void check_golden(Job& job, const RunStats& stats) {
        fs::path file = golden_file(job);
        Json actual = canonical_stats(stats);
        if (options_.update_golden) {
            std::string text = actual.dump(2) + "\n";
            if (read_text(file) == text)
                return;
            try {
                fs::create_directories(file.parent_path());
                write_file_atomically(file.string(), text);
            } catch (const std::exception& error) {
                job.outcome.problems.push_back(error.what());
                return;
            }
            job.outcome.note = "golden file written: " + file.string();
            return;
        }
        if (!fs::exists(file)) {
            job.outcome.problems.push_back(fmt::format("no golden file {} (write it with --update-golden)",
                                                       file.string()));
            return;
        }
        std::vector<std::string> differences;
        try {
            differences = golden_differences(JsonField::load(file.string()).value(), actual);
        } catch (const ConfigError& error) {
            job.outcome.problems.push_back(error.what());
            return;
        }
        if (differences.empty())
            return;
        const size_t shown = 3;
        std::vector<std::string> first(differences.begin(), differences.begin() + std::min(shown, differences.size()));
        job.outcome.problems.push_back(fmt::format("stats differ from {} in {} value{}: {}{}", file.string(),
                                                   differences.size(), differences.size() == 1 ? "" : "s",
                                                   join(first, ", "), differences.size() > shown ? ", ..." : ""));
    }

    // Lines in file-name order, each as soon as it and all before it are done.
    void print_finished() {
        for (; printed_ < jobs_.size() && jobs_[printed_].done; ++printed_) {
            const ScenarioOutcome& outcome = jobs_[printed_].outcome;
            std::string line = fmt::format("{:<{}}  {:<4}  {:>11}  {}", outcome.name, name_width_,
                                           outcome.passed ? "pass" : "FAIL",
                                           outcome.time_ps ? format_time(*outcome.time_ps) : "-",
                                           outcome.passed ? outcome.note : join(outcome.problems, "; "));
            out_ << line.erase(line.find_last_not_of(' ') + 1) << std::endl;
        }
    }

    const RegressOptions& options_;
    std::ostream& out_;
    size_t name_width_;
    std::vector<Job> jobs_;
    size_t printed_ = 0;
};

}  // namespace

int regress(const RegressOptions& options, std::ostream& out) {
    if (options.jobs < 1)
        throw ConfigError("-j: expected at least 1 job");
    std::vector<std::string> all = collect_scenarios(options.inputs);
    std::vector<std::string> selected;
    for (size_t i = 0; i < all.size(); ++i)
        if (options.shard.selects(i))
            selected.push_back(all[i]);
    if (options.list) {
        for (const std::string& file : selected)
            out << file << "\n";
        return exit_pass;
    }
    if (!options.junit.empty())
        check_writable(options.junit, "--junit");

    size_t name_width = 0;
    for (const std::string& file : selected)
        name_width = std::max(name_width, fs::path(file).stem().string().size());
    std::vector<ScenarioOutcome> outcomes = Runner(options, out, name_width).run(selected);

    size_t passed = std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.passed; });
    std::string shard = options.shard.count > 1 ? fmt::format("shard {}/{}", options.shard.index, options.shard.count)
                                                : std::string();
    out << fmt::format("{} scenario{}: {} passed, {} failed{}\n", outcomes.size(), outcomes.size() == 1 ? "" : "s",
                       passed, outcomes.size() - passed,
                       shard.empty() ? "" : fmt::format(" ({} of {} scenarios)", shard, all.size()));
    if (!options.junit.empty())
        write_file_atomically(options.junit,
                              junit_xml(outcomes, shard.empty() ? "dmasim regress" : "dmasim regress " + shard));
    return passed == outcomes.size() ? exit_pass : exit_expectation_failed;
}

}  // namespace platform
