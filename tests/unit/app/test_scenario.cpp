// Scenario files and expectations: the fields they yield, and the message of every error.
#include "config_error.h"
#include "platforms/app/scenario.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

using platform::CompareOp;
using platform::ConfigError;
using platform::Expectation;
using platform::Scenario;

namespace {

const std::string known_keys =
    "name, description, platform, overrides, include_dirs, workload, params, seed, expect, expect_exit, labels, golden";

std::string scenario_error(const std::string& yaml) {
    return error_of([&] { Scenario::parse(yaml, "s.yaml"); });
}

std::string expectation_error(const std::string& text) {
    return error_of([&] { Expectation::parse(text, "command line"); });
}

std::string bad_form(const std::string& where, const std::string& text) {
    return where + ": expectation '" + text +
           "': expected '<stat path> <op> <value>' with op one of == != < <= > >= and value a number, a stat path "
           "or '<number> * <stat path>'";
}

// The required keys, to which each test adds the key under test.
const std::string minimal = "name: t\nplatform: p.dts\nworkload: w\n";

}  // namespace

TEST_CASE("a scenario with every key yields every field", "[scenario]") {
    const Scenario s = Scenario::parse(R"(name: memtest-evictions
description: evicts dirty lines
platform: arm-noncoherent.dts
overrides:
  - /cpus/cpu@0:d-cache-size=0x4000
  - /soc/dma@1000:dma-coherent=
workload: memtest
params:
  working-set: 64K
  passes: 3
seed: 42
expect:
  - l1d.write_backs > 0
  - hazards.stale_cpu_read == 0
)",
                                       "dir/s.yaml");
    CHECK(s.file == "dir/s.yaml");
    CHECK(s.name == "memtest-evictions");
    CHECK(s.description == "evicts dirty lines");
    CHECK(s.platform == "arm-noncoherent.dts");
    CHECK(s.overrides == std::vector<std::string>{"/cpus/cpu@0:d-cache-size=0x4000", "/soc/dma@1000:dma-coherent="});
    CHECK(s.workload == "memtest");
    CHECK(s.params == std::map<std::string, std::string>{{"working-set", "64K"}, {"passes", "3"}});
    REQUIRE(s.seed.has_value());
    CHECK(*s.seed == 42);
    REQUIRE(s.expect.size() == 2);
    CHECK(s.expect[0].text == "l1d.write_backs > 0");
    CHECK(s.expect[0].stat == "l1d.write_backs");
    CHECK(s.expect[0].op == CompareOp::gt);
    CHECK(s.expect[0].value == 0);
    CHECK(s.expect[0].line == 13);
    CHECK(s.expect[1].stat == "hazards.stale_cpu_read");
    CHECK(s.expect[1].op == CompareOp::eq);
    CHECK(s.expect[1].line == 14);
}

TEST_CASE("a scenario with only the required keys leaves the rest empty", "[scenario]") {
    const Scenario s = Scenario::parse(minimal, "s.yaml");
    CHECK(s.name == "t");
    CHECK(s.platform == "p.dts");
    CHECK(s.workload == "w");
    CHECK(s.description.empty());
    CHECK(s.overrides.empty());
    CHECK(s.params.empty());
    CHECK_FALSE(s.seed.has_value());
    CHECK(s.expect.empty());
}

TEST_CASE("include_dirs are resolved against the scenario's folder, absolute ones kept", "[scenario]") {
    Scenario s = Scenario::parse(minimal + "include_dirs: [include, ../dts, /usr/src/linux/include]\n",
                                 "boards/s.yaml");
    CHECK(s.include_dirs == std::vector<std::string>{"boards/include", "boards/../dts", "/usr/src/linux/include"});
    CHECK_THAT(scenario_error(minimal + "include_dirs: include\n"),
               Catch::Contains("s.yaml:4") && Catch::Contains("include_dirs") && Catch::Contains("a list of strings"));
}

TEST_CASE("flow-style lists and maps are accepted", "[scenario]") {
    const Scenario s = Scenario::parse(minimal + "params: {a: 1, b: x}\nexpect: [\"x.y>=2\"]\n", "s.yaml");
    CHECK(s.params == std::map<std::string, std::string>{{"a", "1"}, {"b", "x"}});
    REQUIRE(s.expect.size() == 1);
    CHECK(s.expect[0].op == CompareOp::ge);
    CHECK(s.expect[0].line == 5);
}

TEST_CASE("param values are kept as written", "[scenario]") {
    const Scenario s = Scenario::parse(minimal + "params:\n  size: 0x10\n  on: true\n  ratio: '1.50'\n", "s.yaml");
    CHECK(s.params.at("size") == "0x10");
    CHECK(s.params.at("on") == "true");
    CHECK(s.params.at("ratio") == "1.50");
}

TEST_CASE("seed accepts decimal and hex up to 64 bits", "[scenario]") {
    CHECK(*Scenario::parse(minimal + "seed: 0\n", "s.yaml").seed == 0);
    CHECK(*Scenario::parse(minimal + "seed: 0xdeadbeef\n", "s.yaml").seed == 0xdeadbeef);
    CHECK(*Scenario::parse(minimal + "seed: 18446744073709551615\n", "s.yaml").seed == UINT64_MAX);
}

TEST_CASE("an unknown key is reported with its line and the known keys", "[scenario][error]") {
    CHECK(scenario_error(minimal + "\nworkload_params: {}\n") ==
          "s.yaml:5: unknown key 'workload_params' (expected one of: " + known_keys + ")");
    CHECK(scenario_error("# comment\nfoo: 1\n" + minimal) ==
          "s.yaml:2: unknown key 'foo' (expected one of: " + known_keys + ")");
}

TEST_CASE("a missing required key is named", "[scenario][error]") {
    CHECK(scenario_error("platform: p\nworkload: w\n") == "s.yaml: missing required key 'name'");
    CHECK(scenario_error("name: n\nworkload: w\n") == "s.yaml: missing required key 'platform'");
    CHECK(scenario_error("name: n\nplatform: p\n") == "s.yaml: missing required key 'workload'");
}

TEST_CASE("a required string that is empty or not a string is rejected", "[scenario][error]") {
    CHECK(scenario_error("name: ''\nplatform: p\nworkload: w\n") ==
          "s.yaml:1: key 'name': expected a non-empty string, got ''");
    CHECK(scenario_error("name: n\nplatform:\nworkload: w\n") ==
          "s.yaml:2: key 'platform': expected a string, got an empty value");
    CHECK(scenario_error(minimal + "description: [a, b]\n") ==
          "s.yaml:4: key 'description': expected a string, got a list");
}

TEST_CASE("a bad seed is rejected with its line", "[scenario][error]") {
    CHECK(scenario_error(minimal + "seed: -1\n") == "s.yaml:4: key 'seed': expected a non-negative integer, got '-1'");
    CHECK(scenario_error(minimal + "seed: 4.2\n") ==
          "s.yaml:4: key 'seed': expected a non-negative integer, got '4.2'");
    CHECK(scenario_error(minimal + "seed: lots\n") ==
          "s.yaml:4: key 'seed': expected a non-negative integer, got 'lots'");
    CHECK(scenario_error(minimal + "seed: 18446744073709551616\n") ==
          "s.yaml:4: key 'seed': expected a non-negative integer, got '18446744073709551616'");
    CHECK(scenario_error(minimal + "seed: [1]\n") ==
          "s.yaml:4: key 'seed': expected a non-negative integer, got a list");
}

TEST_CASE("params must be a map of scalars", "[scenario][error]") {
    CHECK(scenario_error(minimal + "params:\n  - a\n") ==
          "s.yaml:4: key 'params': expected a map of parameter names to values, got a list");
    CHECK(scenario_error(minimal + "params: 3\n") ==
          "s.yaml:4: key 'params': expected a map of parameter names to values, got '3'");
    CHECK(scenario_error(minimal + "params:\n  a: 1\n  b: [1, 2]\n") ==
          "s.yaml:6: key 'params': parameter 'b': expected a scalar value, got a list");
    CHECK(scenario_error(minimal + "params:\n  ? [x]\n  : 1\n") ==
          "s.yaml:5: key 'params': expected a key name, got a list");
    CHECK(scenario_error(minimal + "params:\n  a: 1\n  a: 2\n") ==
          "s.yaml:6: key 'params': duplicate key 'a' (first at line 5)");
}

TEST_CASE("overrides must be a list of '/node/path:property=value'", "[scenario][error]") {
    CHECK(scenario_error(minimal + "overrides: /a:b=c\n") ==
          "s.yaml:4: key 'overrides': expected a list of strings, got '/a:b=c'");
    CHECK(scenario_error(minimal + "overrides:\n  - /a:b=c\n  - {x: 1}\n") ==
          "s.yaml:6: key 'overrides': expected each item to be a string, got a map");
    for (const std::string bad : {"cpus/cpu@0:x=1", "/cpus/cpu@0", "/cpus/cpu@0:x", "/cpus/cpu@0=1:x", "/a:=1"}) {
        INFO(bad);
        CHECK(scenario_error(minimal + "overrides:\n  - /ok:p=1\n  - '" + bad + "'\n") ==
              "s.yaml:6: override '" + bad + "': expected '/node/path:property=value'");
    }
}

TEST_CASE("a bad expectation names the file and line of its item", "[scenario][error]") {
    CHECK(scenario_error(minimal + "expect:\n  - a.b > 1\n  - a.b => 1\n") == bad_form("s.yaml:6", "a.b => 1"));
    CHECK(scenario_error(minimal + "expect: a.b > 1\n") ==
          "s.yaml:4: key 'expect': expected a list of strings, got 'a.b > 1'");
    CHECK(scenario_error(minimal + "expect:\n  - [a.b, 1]\n") ==
          "s.yaml:5: key 'expect': expected each item to be a string, got a list");
}

TEST_CASE("a duplicate top-level key is reported at its second occurrence", "[scenario][error]") {
    CHECK(scenario_error(minimal + "seed: 1\nseed: 2\n") == "s.yaml:5: duplicate key 'seed' (first at line 4)");
}

TEST_CASE("YAML syntax errors give line and column", "[scenario][error]") {
    CHECK(scenario_error("name: t\nplatform: [p.dts\nworkload: w\n") ==
          "s.yaml:3:9: YAML syntax error: end of sequence flow not found");
    CHECK(scenario_error("name: t\nplatform: p\n  workload: w\n") ==
          "s.yaml:3:11: YAML syntax error: illegal map value");
}

TEST_CASE("a file that is not a single map is rejected", "[scenario][error]") {
    const std::string expected_map = "expected a map of keys (" + known_keys + ")";
    CHECK(scenario_error("") == "s.yaml: empty scenario, " + expected_map);
    CHECK(scenario_error("# nothing but a comment\n") == "s.yaml: empty scenario, " + expected_map);
    CHECK(scenario_error("- name: t\n") == "s.yaml:1: " + expected_map + ", got a list");
    CHECK(scenario_error("just text\n") == "s.yaml:1: " + expected_map + ", got 'just text'");
    CHECK(scenario_error(minimal + "---\nseed: 1\n") == "s.yaml:5: expected a single YAML document");
    CHECK(scenario_error("[a]: 1\n" + minimal) == "s.yaml:1: expected a key name, got a list");
}

TEST_CASE("load reads a file and names it in errors", "[scenario]") {
    const auto path = (std::filesystem::temp_directory_path() / "dmasim_test_scenario.yaml").string();
    std::ofstream(path) << minimal << "seed: x\n";
    CHECK(error_of([&] { Scenario::load(path); }) == path + ":4: key 'seed': expected a non-negative integer, got 'x'");
    std::ofstream(path) << minimal;
    CHECK(Scenario::load(path).file == path);
    std::remove(path.c_str());
    CHECK(error_of([&] { Scenario::load(path); }) == path + ": cannot open");
}

TEST_CASE("expectations parse with and without spaces around the op", "[expectation]") {
    struct Case {
        const char* text;
        const char* stat;
        CompareOp op;
        double value;
    };
    const Case cases[] = {
        {"a.b == 1", "a.b", CompareOp::eq, 1},
        {"a.b!=2", "a.b", CompareOp::ne, 2},
        {"x < 3", "x", CompareOp::lt, 3},
        {"x<=0x10", "x", CompareOp::le, 16},
        {"  l1d.hits   >   2.5 ", "l1d.hits", CompareOp::gt, 2.5},
        {"a-b.c_d.0>=-4", "a-b.c_d.0", CompareOp::ge, -4},
        {"x == 0XfF", "x", CompareOp::eq, 255},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        const Expectation e = Expectation::parse(c.text, "command line");
        CHECK(e.text == c.text);
        CHECK(e.stat == c.stat);
        CHECK(e.op == c.op);
        CHECK(e.value == c.value);
        CHECK(e.right_stat.empty());
        CHECK(e.line == 0);
    }
}

TEST_CASE("expectations compare with another stat, optionally times a number", "[expectation]") {
    struct Case {
        const char* text;
        const char* stat;
        CompareOp op;
        double value;
        const char* right_stat;
    };
    const Case cases[] = {
        {"a.b < c.d", "a.b", CompareOp::lt, 1, "c.d"},
        {"a.b == x", "a.b", CompareOp::eq, 1, "x"},
        {"a.fill_ps<0.25*b.fill_ps", "a.fill_ps", CompareOp::lt, 0.25, "b.fill_ps"},
        {" a >= 2 * _b-c.0 ", "a", CompareOp::ge, 2, "_b-c.0"},
        {"a != -0x10 * cpu0.l1d.hits", "a", CompareOp::ne, -16, "cpu0.l1d.hits"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        const Expectation e = Expectation::parse(c.text, "command line");
        CHECK(e.stat == c.stat);
        CHECK(e.op == c.op);
        CHECK(e.value == c.value);
        CHECK(e.right_stat == c.right_stat);
    }
    auto holds = [](const char* text, double actual, double right) {
        return Expectation::parse(text, "t").holds(actual, right);
    };
    CHECK(holds("a < b", 4, 5));
    CHECK_FALSE(holds("a < b", 5, 5));
    CHECK(holds("a >= b", 5, 5));
    CHECK(holds("a < 0.25 * b", 24, 100));
    CHECK_FALSE(holds("a < 0.25 * b", 25, 100));
    CHECK(holds("a == 2 * b", 8, 4));
    CHECK_FALSE(holds("a == 2 * b", 4, 4));
}

TEST_CASE("each op holds exactly when its comparison does", "[expectation]") {
    auto holds = [](const char* text, double actual) { return Expectation::parse(text, "t").holds(actual); };
    CHECK(holds("s == 5", 5));
    CHECK_FALSE(holds("s == 5", 6));
    CHECK(holds("s != 5", 6));
    CHECK_FALSE(holds("s != 5", 5));
    CHECK(holds("s < 5", 4));
    CHECK_FALSE(holds("s < 5", 5));
    CHECK(holds("s <= 5", 5));
    CHECK_FALSE(holds("s <= 5", 5.5));
    CHECK(holds("s > 5", 6));
    CHECK_FALSE(holds("s > 5", 5));
    CHECK(holds("s >= 5", 5));
    CHECK_FALSE(holds("s >= 5", 4.9));
    CHECK(holds("s == 0x4000", 16384));
}

TEST_CASE("malformed expectations are rejected with the expected form", "[expectation][error]") {
    for (const std::string bad :
         {"a.b = 1",    "a.b => 1",  "a.b <> 1",  "a.b === 1",  "a.b =< 1",   "a.b 1",     "a.b ==",
          "== 1",       "a.b == 1x", "a.b == 0x", "a.b == 1.",  "a.b == 1e3", "a..b == 1", ".a == 1",
          "a. == 1",    "a/b == 1",  "a b == 1",  "a.b == 1 2", "a == 2 *",   "a == * b",  "a == 2 * 3",
          "a == b * 2", "a == -b",   "a == 2 b",  "a == b.",    "a == b..c",  "a == b c",  ""}) {
        INFO(bad);
        CHECK(expectation_error(bad) == bad_form("command line", bad));
    }
}

TEST_CASE("a hex value wider than 64 bits is out of range", "[expectation][error]") {
    CHECK(expectation_error("a == 0x10000000000000000") ==
          "command line: expectation 'a == 0x10000000000000000': value '0x10000000000000000' is out of range");
    CHECK(Expectation::parse("a == 0xffffffffffffffff", "t").value == 18446744073709551615.0);
}
