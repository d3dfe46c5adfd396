// `dmasim regress`: JUnit XML, shards, exit codes, expected exits, golden files; the scenario keys
// behind them; and the progress heartbeat.
#include "cli_runner.h"
#include "config_error.h"
#include "platforms/app/heartbeat.h"
#include "platforms/app/regress.h"
#include "platforms/app/scenario.h"
#include "temp_dir.h"
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <poll.h>
#include <pty.h>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using platform::ConfigError;
using platform::Scenario;

namespace {

const std::string shipped_scenarios = DMASIM_SOURCE_DIR "/tests/scenarios";

// A scenario of a small memtest with `extra` keys or expectations appended.
std::string memtest_scenario(const std::string& name, const std::string& extra = "") {
    return "name: " + name + "\nplatform: arm-noncoherent.dts\nworkload: memtest\nparams:\n  working-set: 4K\n" + extra;
}

// A read from a hole in the address map: a data abort, exit 3.
std::string hole_scenario(const std::string& name, const std::string& extra) {
    return "name: " + name + "\nplatform: arm-noncoherent.dts\nworkload: peek\nparams:\n  address: 0x40000000\n" +
           extra;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// --- a small XML reader: enough to say whether the JUnit file is well-formed and to read it ---

struct XmlElement {
    std::string name;
    std::map<std::string, std::string> attributes;
    std::string text;
    std::vector<XmlElement> children;

    std::vector<const XmlElement*> all(const std::string& child_name) const {
        std::vector<const XmlElement*> found;
        for (const XmlElement& child : children)
            if (child.name == child_name)
                found.push_back(&child);
        return found;
    }
    std::string attribute(const std::string& key) const {
        auto found = attributes.find(key);
        if (found == attributes.end())
            throw std::runtime_error("<" + name + "> has no attribute " + key);
        return found->second;
    }
};

// Elements, attributes, text, the five predefined entities and character references; anything
// else that is not well-formed XML throws.
class XmlReader {
public:
    explicit XmlReader(std::string text) : s_(std::move(text)) {}

    XmlElement document() {
        if (s_.compare(0, 5, "<?xml") == 0) {
            size_t end = s_.find("?>");
            if (end == std::string::npos)
                fail("unterminated XML declaration");
            pos_ = end + 2;
        }
        skip_space();
        XmlElement root = element();
        skip_space();
        if (pos_ != s_.size())
            fail("content after the root element");
        return root;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error("XML byte " + std::to_string(pos_) + ": " + what);
    }
    bool at(const char* token) const { return s_.compare(pos_, std::strlen(token), token) == 0; }
    void expect(char c) {
        if (pos_ >= s_.size() || s_[pos_] != c)
            fail(std::string("expected '") + c + "'");
        ++pos_;
    }
    void skip_space() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_])))
            ++pos_;
    }
    std::string name() {
        size_t start = pos_;
        while (pos_ < s_.size() &&
               (std::isalnum(static_cast<unsigned char>(s_[pos_])) || std::strchr("_:.-", s_[pos_])))
            ++pos_;
        if (start == pos_ || std::isdigit(static_cast<unsigned char>(s_[start])))
            fail("expected a name");
        return s_.substr(start, pos_ - start);
    }
    // Character data up to one of `stops`, entities decoded.
    std::string characters(const char* stops) {
        std::string out;
        while (pos_ < s_.size() && !std::strchr(stops, s_[pos_])) {
            unsigned char c = s_[pos_];
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                fail("control character");
            if (c != '&') {
                out += s_[pos_++];
                continue;
            }
            size_t end = s_.find(';', pos_);
            if (end == std::string::npos)
                fail("unterminated entity");
            std::string entity = s_.substr(pos_ + 1, end - pos_ - 1);
            static const std::map<std::string, char> named = {
                {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
            if (named.count(entity))
                out += named.at(entity);
            else if (entity.size() > 1 && entity[0] == '#' &&
                     entity.find_first_not_of("0123456789", 1) == std::string::npos)
                out += static_cast<char>(std::stoi(entity.substr(1)));
            else
                fail("unknown entity &" + entity + ";");
            pos_ = end + 1;
        }
        return out;
    }
    XmlElement element() {
        XmlElement e;
        expect('<');
        e.name = name();
        for (;;) {
            bool spaced = pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]));
            skip_space();
            if (at("/>")) {
                pos_ += 2;
                return e;
            }
            if (at(">")) {
                ++pos_;
                break;
            }
            if (!spaced)
                fail("expected a space before an attribute");
            std::string key = name();
            skip_space();
            expect('=');
            skip_space();
            if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\''))
                fail("expected a quoted attribute value");
            char quote_char = s_[pos_++];
            std::string value = characters(quote_char == '"' ? "\"<" : "'<");
            expect(quote_char);
            if (!e.attributes.emplace(key, value).second)
                fail("duplicate attribute " + key);
        }
        for (;;) {
            if (at("</")) {
                pos_ += 2;
                if (name() != e.name)
                    fail("mismatched end tag for <" + e.name + ">");
                skip_space();
                expect('>');
                return e;
            }
            if (at("<"))
                e.children.push_back(element());
            else if (pos_ >= s_.size())
                fail("unterminated <" + e.name + ">");
            else
                e.text += characters("<");
        }
    }

    std::string s_;
    size_t pos_ = 0;
};

XmlElement parse_xml(const std::string& text) { return XmlReader(text).document(); }

}  // namespace

TEST_CASE("the XML reader used here rejects what is not well-formed", "[regress]") {
    CHECK(parse_xml("<a x=\"1 &lt; 2\"><b/>t&amp;u</a>").attribute("x") == "1 < 2");
    CHECK(parse_xml("<a><b/>t&amp;u</a>").text == "t&u");
    for (const char* bad : {"<a>", "<a></b>", "<a x=\"<\"/>", "<a>&nbsp;</a>", "<a x=1/>", "<a/><b/>", "<a>x & y</a>",
                            "<a x=\"1\"y=\"2\"/>"}) {
        INFO(bad);
        CHECK_THROWS(parse_xml(bad));
    }
}

TEST_CASE("regress: JUnit XML parses and reports a failing scenario as failed with its unmet expectations",
          "[regress]") {
    TempDir dir;
    dir.write("set/good.yaml", memtest_scenario("good", "expect:\n  - workload.data_errors == 0\n"));
    dir.write("set/bad.yaml", memtest_scenario("bad", "expect:\n  - cpu0.accesses < 1\n  - workload.data_errors == 0\n"
                                                      "  - workload.data_errors > 0\n"));
    dir.write("set/broken-key.yaml", memtest_scenario("broken-key", "colour: red\n"));
    Result r = dmasim(dir, "regress set --junit r.xml -j 2 -o out");
    CHECK(r.code == 1);
    std::vector<std::string> lines = lines_of(r.out);
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].rfind("bad         FAIL", 0) == 0);
    CHECK(contains(lines[0], "expectation failed: cpu0.accesses < 1 (actual "));
    CHECK(lines[1].rfind("broken-key  FAIL            -  set/broken-key.yaml:6: unknown key 'colour'", 0) == 0);
    CHECK(lines[2].rfind("good        pass", 0) == 0);
    CHECK(lines[3] == "3 scenarios: 1 passed, 2 failed");

    XmlElement suites = parse_xml(read_file(dir.path("r.xml")));
    CHECK(suites.name == "testsuites");
    CHECK(suites.attribute("tests") == "3");
    CHECK(suites.attribute("failures") == "2");
    REQUIRE(suites.all("testsuite").size() == 1);
    std::vector<const XmlElement*> cases = suites.all("testsuite")[0]->all("testcase");
    REQUIRE(cases.size() == 3);
    CHECK(cases[0]->attribute("name") == "bad");
    CHECK(cases[0]->attribute("classname") == "set");
    REQUIRE(cases[0]->all("failure").size() == 1);
    const XmlElement& failure = *cases[0]->all("failure")[0];
    nlohmann::json stats = load_json(dir.path("out/bad/stats.json"));
    std::string accesses = std::to_string(stats["cpu0"]["accesses"].get<uint64_t>());
    CHECK(failure.attribute("message") == "expectation failed: cpu0.accesses < 1 (actual " + accesses +
                                              "); expectation failed: workload.data_errors > 0 (actual 0)");
    CHECK(failure.text == "expectation failed: cpu0.accesses < 1 (actual " + accesses +
                              ")\nexpectation failed: workload.data_errors > 0 (actual 0)");
    CHECK(contains(cases[1]->all("failure")[0]->attribute("message"), "unknown key 'colour'"));
    CHECK(cases[2]->attribute("name") == "good");
    CHECK(cases[2]->all("failure").empty());
    // Simulated seconds, exactly.
    uint64_t ps = load_json(dir.path("out/good/stats.json"))["sim"]["time_ps"].get<uint64_t>();
    REQUIRE(ps > 0);
    CHECK(cases[2]->attribute("time") == fmt::format("{}.{:012}", ps / 1000000000000ULL, ps % 1000000000000ULL));
}

TEST_CASE("regress: shards cover every shipped scenario exactly once, for N = 1 to 4", "[regress]") {
    TempDir dir;
    Result all = dmasim(dir, "regress " + quote(shipped_scenarios) + " --list");
    REQUIRE(all.code == 0);
    std::vector<std::string> files = lines_of(all.out);
    size_t yaml_files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(shipped_scenarios))
        yaml_files += entry.path().extension() == ".yaml";
    REQUIRE(files.size() == yaml_files);
    CHECK(std::is_sorted(files.begin(), files.end(),
                         [](auto& a, auto& b) { return fs::path(a).filename() < fs::path(b).filename(); }));
    for (unsigned n = 1; n <= 4; ++n) {
        std::map<std::string, int> seen;
        for (unsigned k = 1; k <= n; ++k) {
            Result shard = dmasim(dir,
                                  "regress " + quote(shipped_scenarios) + fmt::format(" --list --shard {}/{}", k, n));
            REQUIRE(shard.code == 0);
            std::vector<std::string> part = lines_of(shard.out);
            std::vector<std::string> expected;
            for (size_t i = k - 1; i < files.size(); i += n)
                expected.push_back(files[i]);
            CHECK(part == expected);
            for (const std::string& file : part)
                ++seen[file];
        }
        INFO("N = " << n);
        CHECK(seen.size() == files.size());
        CHECK(std::all_of(seen.begin(), seen.end(), [](auto& entry) { return entry.second == 1; }));
    }
}

TEST_CASE("regress: the JUnit files of two shards together hold every scenario once", "[regress]") {
    TempDir dir;
    for (const char* name : {"e", "a", "d", "b", "c"})
        dir.write(std::string("set/") + name + ".yaml", memtest_scenario(name));
    std::map<std::string, int> cases;
    for (int k = 1; k <= 2; ++k) {
        Result run = dmasim(dir, fmt::format("regress set --shard {}/2 -j 2 -o out --junit s{}.xml", k, k));
        CHECK(run.code == 0);
        CHECK(contains(run.out, fmt::format("(shard {}/2 of 5 scenarios)", k)));
        XmlElement suites = parse_xml(read_file(dir.path(fmt::format("s{}.xml", k))));
        CHECK(suites.all("testsuite")[0]->attribute("name") == fmt::format("dmasim regress shard {}/2", k));
        for (const XmlElement* testcase : suites.all("testsuite")[0]->all("testcase")) {
            CHECK(testcase->all("failure").empty());
            ++cases[testcase->attribute("name")];
        }
    }
    CHECK(cases == std::map<std::string, int>{{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}});
}

TEST_CASE("regress: bad arguments are exit 2 with a message", "[regress][error]") {
    TempDir dir;
    dir.write("set/a.yaml", memtest_scenario("a"));
    dir.write("other/a.yaml", memtest_scenario("a"));
    fs::create_directories(dir.path("empty"));
    auto error = [&](const std::string& args) {
        Result r = dmasim(dir, "regress " + args);
        CHECK(r.code == 2);
        CHECK(r.out.empty());
        return r.err;
    };
    CHECK(contains(error("nowhere"), "nowhere: no such scenario file or folder"));
    CHECK(contains(error("empty"), "empty: no scenario files (*.yaml) in this folder"));
    CHECK(contains(error("set other"), "two scenarios named 'a': other/a.yaml and set/a.yaml"));
    for (const char* shard : {"0/4", "5/4", "2", "a/b", "1/0", "-1/2", "1/2/3", " 1/2"})
        CHECK(contains(error(std::string("set --shard '") + shard + "'"),
                       std::string("--shard '") + shard + "': expected K/N with 1 <= K <= N"));
    CHECK(contains(error("set -j 0"), "-j"));
    CHECK(contains(error(""), "scenarios"));
    CHECK(contains(error("set --bogus"), "--bogus"));
    // An unwritable JUnit file is found before any scenario runs, not after all of them.
    CHECK(contains(error("set --junit no/such/folder/r.xml"), "--junit no/such/folder/r.xml: cannot write"));
    CHECK(contains(error("set --junit empty"), "--junit empty: cannot write: it is a folder"));
    CHECK_FALSE(fs::exists(dir.path("regress-out")));
}

TEST_CASE("regress: exit 0 when all pass, and the same lines and JUnit for any -j", "[regress]") {
    TempDir dir;
    for (const char* name : {"c", "a", "b", "d"})
        dir.write(std::string("set/") + name + ".yaml",
                  memtest_scenario(name, "expect:\n  - workload.data_errors == 0\n"));
    Result one = dmasim(dir, "regress set -j 1 -o out1 --junit one.xml");
    Result four = dmasim(dir, "regress set -j 4 -o out4 --junit four.xml");
    CHECK(one.code == 0);
    CHECK(four.code == 0);
    CHECK(one.out == four.out);
    CHECK(read_file(dir.path("one.xml")) == read_file(dir.path("four.xml")));
    std::vector<std::string> lines = lines_of(one.out);
    REQUIRE(lines.size() == 5);
    for (size_t i = 0; i < 4; ++i)
        CHECK(lines[i].rfind(std::string(1, "abcd"[i]) + "  pass", 0) == 0);
    CHECK(lines[4] == "4 scenarios: 4 passed, 0 failed");
    // Each run's outputs are in OUTROOT/<stem>, with its (empty: no TTY, --quiet) stderr.
    CHECK(load_json(dir.path("out4/c/stats.json"))["result"] == "pass");
    CHECK(read_file(dir.path("out4/c/stderr.txt")).empty());
}

TEST_CASE("regress: a scenario passes with the exit it declares and its expectations met", "[regress]") {
    TempDir dir;
    const std::string aborts = "expect:\n  - cpu0.data_aborts == 1\n";
    dir.write("set/hole-undeclared.yaml", hole_scenario("hole-undeclared", aborts));
    dir.write("set/hole-declared.yaml", hole_scenario("hole-declared", aborts + "expect_exit: 3\n"));
    dir.write("set/hole-unmet.yaml",
              hole_scenario("hole-unmet", "expect:\n  - cpu0.data_aborts == 0\nexpect_exit: 3\n"));
    dir.write("set/no-abort.yaml", memtest_scenario("no-abort", "expect_exit: 3\n"));
    Result r = dmasim(dir, "regress set -o out");
    CHECK(r.code == 1);
    std::vector<std::string> lines = lines_of(r.out);
    REQUIRE(lines.size() == 5);
    // The abort comes after boot's 192 ns (the bus master's driver probing its registers and interrupt).
    CHECK(lines[0].rfind("hole-declared    pass       196 ns", 0) == 0);
    CHECK(lines[1].rfind("hole-undeclared  FAIL       196 ns  simulation error: data abort at 196000 ps: bus error",
                         0) == 0);
    CHECK(contains(lines[2], "FAIL       196 ns  expectation failed: cpu0.data_aborts == 0 (actual 1)"));
    CHECK(contains(lines[3], "no-abort         FAIL"));
    CHECK(contains(lines[3], "expected a simulation error (exit 3), got exit 0"));
    CHECK(lines[4] == "4 scenarios: 1 passed, 3 failed");
}

TEST_CASE("regress: golden stats - missing, written, matched, and a mismatch naming the values", "[regress]") {
    TempDir dir;
    dir.write("suite/scenarios/g.yaml", memtest_scenario("g", "golden: true\n"));
    dir.write("suite/scenarios/plain.yaml", memtest_scenario("plain"));
    auto regress = [&](const std::string& args) { return dmasim(dir, "regress suite/scenarios -o out " + args); };

    Result r = regress("");
    CHECK(r.code == 1);
    CHECK(contains(r.out, "no golden file suite/golden/g.json (write it with --update-golden)"));

    r = regress("--update-golden");
    CHECK(r.code == 0);
    CHECK(contains(r.out, "golden file written: suite/golden/g.json"));
    CHECK_FALSE(fs::exists(dir.path("suite/golden/plain.json")));  // only scenarios that opt in
    nlohmann::json golden = load_json(dir.path("suite/golden/g.json"));
    nlohmann::json stats = load_json(dir.path("out/g/stats.json"));
    CHECK(golden["cpu0.accesses"] == stats["cpu0"]["accesses"]);
    CHECK(golden["sim.time_ps"] == stats["sim"]["time_ps"]);
    CHECK(golden["result"] == "pass");
    CHECK_FALSE(golden.contains("expectations"));

    r = regress("");
    CHECK(r.code == 0);
    CHECK_FALSE(contains(r.out, "golden"));
    CHECK(contains(regress("--update-golden").out, "g      pass") == true);
    CHECK_FALSE(contains(regress("--update-golden").out, "written"));  // unchanged: not rewritten

    uint64_t accesses = golden["cpu0.accesses"].get<uint64_t>();
    golden["cpu0.accesses"] = accesses + 1;
    golden.erase("l2.fills");
    dir.write("suite/golden/g.json", golden.dump(2));
    r = regress("");
    CHECK(r.code == 1);
    CHECK(contains(r.out,
                   fmt::format("stats differ from suite/golden/g.json in 2 values: cpu0.accesses {} (golden {}), "
                               "l2.fills {} (not in the golden file)",
                               accesses, accesses + 1, stats["l2"]["fills"].get<uint64_t>())));

    r = regress("--golden-dir elsewhere");
    CHECK(r.code == 1);
    CHECK(contains(r.out, "no golden file elsewhere/g.json"));
}

TEST_CASE("golden form: counters by path, result and fault, sorted - differences in path order", "[regress]") {
    platform::RunStats stats;
    stats.counters = {{"b.x", 2}, {"a.y", 1}};
    stats.result = "simulation_error";
    stats.fault = "data abort";
    nlohmann::ordered_json canonical = platform::canonical_stats(stats);
    CHECK(canonical.dump() == R"({"a.y":1,"b.x":2,"fault":"data abort","result":"simulation_error"})");
    nlohmann::ordered_json golden = {{"a.y", 1}, {"b.x", 3}, {"c.z", 0}, {"result", "simulation_error"}};
    CHECK(platform::golden_differences(golden, canonical) ==
          std::vector<std::string>{"b.x 2 (golden 3)", "c.z missing (golden 0)",
                                   "fault \"data abort\" (not in the golden file)"});
    CHECK(platform::golden_differences(canonical, canonical).empty());
}

TEST_CASE("Shard::parse takes K/N with 1 <= K <= N and selects position % N == K - 1", "[regress]") {
    platform::Shard shard = platform::Shard::parse("2/3");
    CHECK(shard.index == 2);
    CHECK(shard.count == 3);
    CHECK_FALSE(shard.selects(0));
    CHECK(shard.selects(1));
    CHECK(shard.selects(4));
    CHECK(platform::Shard::parse("1/1").selects(7));
    CHECK(error_of([] { platform::Shard::parse("3/2"); }) == "--shard '3/2': expected K/N with 1 <= K <= N, e.g. 2/4");
    CHECK(error_of([] { platform::Shard::parse("99999999999/99999999999"); }) != "no error");
}

TEST_CASE("scenario keys expect_exit, labels and golden: values and errors", "[regress][scenario]") {
    const std::string minimal = "name: n\nplatform: p\nworkload: w\n";
    Scenario s = Scenario::parse(minimal + "expect_exit: 3\nlabels: [coherence, smoke]\ngolden: true\n", "s.yaml");
    CHECK(s.expect_exit == 3);
    CHECK(s.labels == std::vector<std::string>{"coherence", "smoke"});
    CHECK(s.golden);
    Scenario plain = Scenario::parse(minimal, "s.yaml");
    CHECK(plain.expect_exit == 0);
    CHECK(plain.labels.empty());
    CHECK_FALSE(plain.golden);
    auto error = [&](const std::string& extra) {
        return error_of([&] { Scenario::parse(minimal + extra, "s.yaml"); });
    };
    CHECK(error("expect_exit: 2\n") == "s.yaml:4: key 'expect_exit': expected 0 or 3 (a simulation error), got '2'");
    CHECK(error("labels: [smoke, fast]\n") == "s.yaml:4: key 'labels': unknown label 'fast' (expected one of: smoke, "
                                              "coherence, dma, pci, iommu, mfd, dma-buf, ttm, slow)");
    CHECK(error("labels: [dma, dma]\n") == "s.yaml:4: key 'labels': label 'dma' given twice");
    CHECK(error("labels:\n  - smoke\n") ==
          "s.yaml:4: key 'labels': expected a one-line list such as [smoke, coherence] (CMake reads that line)");
    CHECK(error("labels: smoke\n") == "s.yaml:4: key 'labels': expected a list of strings, got 'smoke'");
    CHECK(error("golden: yes\n") == "s.yaml:4: key 'golden': expected true or false, got 'yes'");
}

TEST_CASE("every shipped scenario sits in a family folder, loads with labels, and the data-abort one expects exit 3",
          "[regress][scenario]") {
    size_t scenarios = 0;
    for (const auto& entry : fs::recursive_directory_iterator(shipped_scenarios)) {
        if (entry.path().extension() != ".yaml")
            continue;
        ++scenarios;
        Scenario s = Scenario::load(entry.path().string());
        INFO(entry.path());
        CHECK(entry.path().parent_path().parent_path() == fs::path(shipped_scenarios));  // tests/scenarios/<family>/
        CHECK_FALSE(s.labels.empty());
        CHECK(s.expect_exit == (entry.path().stem().string().rfind("data-abort-", 0) == 0 ? 3 : 0));
        if (s.golden)
            CHECK(fs::is_regular_file(DMASIM_SOURCE_DIR "/tests/scenarios/golden/" + entry.path().stem().string() +
                                      ".json"));
    }
    CHECK(scenarios >= 25);
}

TEST_CASE("heartbeat: a line rewritten in place with simulated time and accesses per second, cleared at the end",
          "[regress][heartbeat]") {
    models::Instrumentation instr;
    uint64_t& cpu0 = instr.counter("cpu0.accesses");
    uint64_t& cpu1 = instr.counter("cpu1.accesses");
    instr.counter("cpu0.l1d.accesses") = 1000000;  // not a core's: not counted
    std::ostringstream out;
    {
        platform::Heartbeat heartbeat(instr, out, std::chrono::seconds(0));
        cpu0 = 10;
        cpu1 = 5;
        heartbeat.poll(1500000);
        std::string line = out.str();
        CHECK(line.rfind("\rdmasim: simulated 1.500 us, ", 0) == 0);
        CHECK(contains(line, " accesses/s"));
        CHECK_FALSE(contains(line, "\n"));
        heartbeat.poll(2500000);
        CHECK(contains(out.str().substr(line.size()), "\rdmasim: simulated 2.500 us, "));
        out.str("");
    }
    CHECK(out.str().front() == '\r');
    CHECK(out.str().back() == '\r');
    CHECK(out.str().find_first_not_of(" \r") == std::string::npos);

    std::ostringstream silent;
    {
        platform::Heartbeat heartbeat(instr, silent, std::chrono::hours(1));
        heartbeat.poll(1000);
    }
    CHECK(silent.str().empty());  // nothing printed, nothing to clear
}

namespace {

// `dmasim ARGS` with its stderr on a pseudo-terminal (stdout to /dev/null), run in `dir`: what it
// wrote there, read until it exits or `limit` passes (then it is killed and the test fails).
std::string stderr_on_a_terminal(const TempDir& dir, const std::vector<std::string>& args,
                                 std::chrono::seconds limit = std::chrono::seconds(60)) {
    int terminal = -1;
    pid_t pid = ::forkpty(&terminal, nullptr, nullptr, nullptr);
    REQUIRE(pid >= 0);
    if (pid == 0) {  // the child: stdin, stdout and stderr are the terminal; only stderr stays there
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);
        if (::chdir(dir.path("").c_str()) != 0)
            ::_exit(126);
        std::vector<char*> argv = {const_cast<char*>(DMASIM_BINARY)};
        for (const std::string& arg : args)
            argv.push_back(const_cast<char*>(arg.c_str()));
        argv.push_back(nullptr);
        ::execv(DMASIM_BINARY, argv.data());
        ::_exit(127);
    }
    std::string text;
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        pollfd ready{terminal, POLLIN, 0};
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            break;
        }
        if (::poll(&ready, 1, 100) <= 0)
            continue;
        char buffer[4096];
        ssize_t got = ::read(terminal, buffer, sizeof buffer);
        if (got <= 0)
            break;  // EIO: the child closed its side
        text.append(buffer, static_cast<size_t>(got));
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(terminal);
    INFO(text);
    CHECK(std::chrono::steady_clock::now() <= deadline);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    return text;
}

}  // namespace

TEST_CASE("heartbeat: a run on a terminal for more than a second prints progress lines - --quiet prints none",
          "[regress][heartbeat]") {
    TempDir dir;
    // Some seconds of host time (a heartbeat is due after one); the assertions are on content only.
    const std::vector<std::string> run = {"run", "--workload",     "memtest", "--platform", "arm-noncoherent.dts",
                                          "-p",  "working-set=1M", "-p",      "passes=100"};
    std::vector<std::string> shown = run;
    shown.insert(shown.end(), {"-o", "shown"});
    std::string text = stderr_on_a_terminal(dir, shown);
    INFO(text);
    size_t beat = text.find("\rdmasim: simulated ");
    REQUIRE(beat != std::string::npos);
    size_t end = text.find('\r', beat + 1);
    REQUIRE(end != std::string::npos);
    std::string line = text.substr(beat + 1, end - beat - 1);
    CHECK(std::regex_search(line, std::regex(R"(^dmasim: simulated [0-9.]+ (ns|us|ms), [0-9.]+ [kM]? ?accesses/s)")));
    CHECK(load_json(dir.path("shown/stats.json"))["result"] == "pass");

    std::vector<std::string> quiet = run;
    quiet.insert(quiet.end(), {"-o", "quiet", "--quiet"});
    std::string silent = stderr_on_a_terminal(dir, quiet);
    CHECK_FALSE(contains(silent, "dmasim: simulated"));
    CHECK(silent.find_first_not_of("\r\n ") == std::string::npos);
    CHECK(load_json(dir.path("quiet/stats.json"))["result"] == "pass");
}

TEST_CASE("heartbeat: off a TTY a run prints nothing on stderr", "[regress][heartbeat]") {
    TempDir dir;
    Result r = dmasim(dir, "run --workload memtest --platform arm-noncoherent.dts -p working-set=64K -o out");
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK_FALSE(r.out.empty());
}
