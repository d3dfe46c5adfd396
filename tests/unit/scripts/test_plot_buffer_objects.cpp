// scripts/plot's seed-4 chart: buffer-objects.png with one bar group per seed-buffer-objects run
// given, each run's own plots in a folder of its own, a note for runs without the experiment's
// numbers, and --trace refused with several runs.
#include "cli_runner.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sys/wait.h>

namespace {

const std::string ttm_scenarios = DMASIM_SOURCE_DIR "/tests/scenarios/ttm/";

}  // namespace

TEST_CASE("plot: buffer-objects.png has a bar group per seed-buffer-objects run given", "[plot]") {
    // scripts/setup installs python3-matplotlib: without it the set-up is broken, not the test optional.
    INFO("/usr/bin/python3 cannot import matplotlib: run scripts/setup (it installs python3-matplotlib)");
    REQUIRE(std::system("/usr/bin/python3 -c 'import matplotlib' 2>/dev/null") == 0);
    TempDir dir;
    for (const char* run : {"plain-copy", "engine"})
        REQUIRE(dmasim(dir, "run " + quote(ttm_scenarios + "seed-buffer-objects-" + run + ".yaml") + " -q -o " + run)
                    .code == 0);
    REQUIRE(dmasim(dir, "run --workload memtest -q -o memtest").code == 0);

    const std::string plot = quote(DMASIM_SOURCE_DIR "/scripts/plot");
    auto run_plot = [&](const std::string& args, const std::string& log) {
        int status = std::system((plot + " " + args + " >" + quote(dir.path(log)) + " 2>&1").c_str());
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    const std::string both = quote(dir.path("plain-copy")) + " " + quote(dir.path("engine"));
    int code = run_plot(both + " " + quote(dir.path("memtest")) + " -o " + quote(dir.path("png")), "both.txt");
    const std::string log = read_file(dir.path("both.txt"));
    INFO(log);
    REQUIRE(code == 0);
    CHECK(read_file(dir.path("png/buffer-objects.png")).rfind("\x89PNG", 0) == 0);
    CHECK(contains(log, "buffer-objects.png (2 configurations: seed-buffer-objects-plain-copy, "
                        "seed-buffer-objects-engine)"));
    // Each run's own plots go to a folder named after it (none here: no hazards, no timeline).
    for (const char* run : {"plain-copy", "engine", "memtest"})
        CHECK(std::filesystem::is_directory(dir.path(std::string("png/") + run)));

    // A run without the experiment: a note, no chart.
    CHECK(run_plot(quote(dir.path("memtest")), "memtest.txt") == 0);
    CHECK(contains(read_file(dir.path("memtest.txt")), "no seed-buffer-objects numbers"));
    CHECK_FALSE(std::filesystem::exists(dir.path("memtest/buffer-objects.png")));

    // One run's timeline cannot go with several runs.
    CHECK(run_plot(both + " --trace " + quote(dir.path("x.json")), "trace.txt") == 2);
    CHECK(contains(read_file(dir.path("trace.txt")), "give one OUTDIR"));
}
