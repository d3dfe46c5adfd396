// seed-alloc-attrs (seed experiment 5) through the command line: the order of the allocation
// attributes' costs and why, the data checked on every pass, the summary table, determinism; and
// expectations that compare one stat with another.
#include "cli_runner.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace {

const std::string run_attrs = "run --workload seed-alloc-attrs --platform arm-noncoherent.dts ";
// Coherent memory as older ARM kernels mapped it (pgprot_noncached), what seed 004 measured.
const std::string strongly_ordered = "-c '/chosen:dmasim,dma-coherent-memory=\"strongly-ordered\"' ";

uint64_t stat(const nlohmann::json& stats, const std::string& dotted_path) {
    const nlohmann::json* node = &stats;
    for (size_t start = 0; start <= dotted_path.size();) {
        size_t dot = std::min(dotted_path.find('.', start), dotted_path.size());
        node = &node->at(dotted_path.substr(start, dot - start));
        start = dot + 1;
    }
    return node->get<uint64_t>();
}

uint64_t phase(const nlohmann::json& stats, const std::string& case_name, const std::string& phase_name) {
    return stat(stats, "workload.alloc_attrs." + case_name + "." + phase_name + "_ps");
}

}  // namespace

TEST_CASE("seed-alloc-attrs: write-combined fill and cached reads beat strongly-ordered coherent memory, every "
          "byte right",
          "[alloc-attrs]") {
    TempDir dir;
    Result r = dmasim(dir, run_attrs + strongly_ordered + "-o out");
    REQUIRE(r.code == 0);
    nlohmann::json stats = load_json(dir.path("out/stats.json"));
    CHECK(stat(stats, "workload.data_errors") == 0);
    for (const char* kind : {"stale_cpu_read", "stale_device_read", "lost_device_write", "mismatched_alias"})
        CHECK(stat(stats, std::string("hazards.") + kind) == 0);

    // WC fill << uncached fill, for the right reason: 8-byte stores merged into one burst per
    // 64-byte line, where the uncached fill is one bus write per store. Write-combined too: the
    // driver's copies into the bus master's buffer (ioremap_wc) before each case's device write.
    CHECK(phase(stats, "write_combine", "fill") * 4 < phase(stats, "coherent", "fill"));
    CHECK(stat(stats, "cpu0.wc.merged_stores") == (1 + 4) * (1 << 20) / 8);
    CHECK(stat(stats, "cpu0.wc.bursts") == (1 + 4) * (1 << 20) / 64);
    CHECK(stat(stats, "cpu0.uncached_writes") >= (1 << 20) / 8);

    // Cached memory, its syncs included, is the fastest to read back repeatedly.
    for (const char* cached : {"noncoherent", "streaming"})
        for (const char* uncached : {"coherent", "write_combine"}) {
            INFO(cached << " vs " << uncached);
            CHECK(phase(stats, cached, "reads") * 4 < phase(stats, uncached, "reads"));
        }
    CHECK(phase(stats, "noncoherent", "syncs") > 0);
    CHECK(phase(stats, "coherent", "syncs") == 0);
    // Each total is the sum of its phases.
    for (const char* c : {"coherent", "write_combine", "noncoherent", "streaming"}) {
        INFO(c);
        CHECK(phase(stats, c, "total") == phase(stats, c, "fill") + phase(stats, c, "device_read") +
                                              phase(stats, c, "device_write") + phase(stats, c, "reads"));
    }

    // The table, in the summary and in run.log.
    for (const std::string& line :
         {std::string("seed-alloc-attrs: 1048576 bytes, 4 CPU read passes (simulated time in us)"),
          std::string("case                     CPU fill    dev read    dev write   CPU reads      syncs       total"),
          std::string("coherent (s-ordered)     8470.538"), std::string("write-combined           1196.042"),
          std::string("noncoherent (cached)"), std::string("streaming (cached)"),
          std::string("CPU fill: write-combined 7.08x faster than coherent"),
          std::string("CPU reads: noncoherent with its sync")}) {
        INFO(line);
        CHECK(contains(r.out, line));
        CHECK(contains(read_file(dir.path("out/run.log")), line));
    }
}

TEST_CASE("seed-alloc-attrs: --quiet prints no table, run.log keeps it", "[alloc-attrs]") {
    TempDir dir;
    Result r = dmasim(dir, run_attrs + "-p size=64K -p case=write_combine -o out --quiet");
    REQUIRE(r.code == 0);
    CHECK(r.out.empty());
    const std::string log = read_file(dir.path("out/run.log"));
    CHECK(contains(log, "seed-alloc-attrs: 65536 bytes, 4 CPU read passes"));
    CHECK(contains(log, "write-combined"));
    CHECK_FALSE(contains(log, "coherent ("));  // one case asked for, one row
    nlohmann::json stats = load_json(dir.path("out/stats.json"));
    CHECK(stats["workload"]["alloc_attrs"].size() == 1);
}

TEST_CASE("seed-alloc-attrs: the same run gives the same stats, log and table", "[alloc-attrs]") {
    TempDir dir;
    Result first = dmasim(dir, run_attrs + "-p size=256K -p reads=2 -o a");
    Result second = dmasim(dir, run_attrs + "-p size=256K -p reads=2 -o b");
    REQUIRE(first.code == 0);
    REQUIRE(second.code == 0);
    CHECK(read_file(dir.path("a/stats.json")) == read_file(dir.path("b/stats.json")));
    CHECK(read_file(dir.path("a/run.log")) == read_file(dir.path("b/run.log")));
    auto table = [](const std::string& out) {
        size_t start = out.find("seed-alloc-attrs: ");
        return out.substr(start, out.find("  outputs") - start);
    };
    CHECK(table(first.out) == table(second.out));
    CHECK(contains(table(first.out), "streaming (cached)"));
}

TEST_CASE("seed-alloc-attrs: without its syncs the noncoherent buffer gives wrong data both ways", "[alloc-attrs]") {
    TempDir dir;
    Result broken = dmasim(dir, run_attrs + "-p size=64K -p case=noncoherent -p syncs=false -o broken");
    Result fixed = dmasim(dir, run_attrs + "-p size=64K -p case=noncoherent -o fixed");
    REQUIRE(broken.code == 0);
    REQUIRE(fixed.code == 0);
    nlohmann::json bad = load_json(dir.path("broken/stats.json"));
    nlohmann::json good = load_json(dir.path("fixed/stats.json"));
    // The device read the CPU's fill from memory while it sat dirty in the caches, and the CPU
    // read its cached lines over what the device wrote: both sides' checks count the bytes.
    CHECK(stat(bad, "hazards.stale_device_read") == 65536 / 64);
    CHECK(stat(bad, "hazards.stale_cpu_read") > 0);
    CHECK(stat(bad, "workload.alloc_attrs.noncoherent.data_errors") > 0);
    CHECK(stat(bad, "workload.data_errors") == stat(bad, "workload.alloc_attrs.noncoherent.data_errors"));
    CHECK(stat(bad, "workload.alloc_attrs.noncoherent.syncs_ps") == 0);
    const std::string log = read_file(dir.path("broken/run.log"));
    CHECK(contains(log, "message=\"noncoherent: the device saw "));
    CHECK(contains(log, " wrong bytes of 65536 in the CPU's fill\""));
    CHECK(contains(broken.out, "the cached cases WITHOUT their syncs"));

    CHECK(stat(good, "workload.data_errors") == 0);
    CHECK(stat(good, "hazards.stale_device_read") == 0);
    CHECK(stat(good, "hazards.stale_cpu_read") == 0);
    CHECK(stat(good, "dma.maint.clean") == 1);       // sync_single_for_device
    CHECK(stat(good, "dma.maint.invalidate") == 1);  // sync_single_for_cpu
}

// pgprot_dmacoherent is pgprot_writecombine on ARMv7 (ARM_DMA_MEM_BUFFERABLE) and arm64: Normal
// non-cacheable both, so a coherent buffer's fill merges as a write-combined one's does.
TEST_CASE("seed-alloc-attrs, Linux's profile: coherent and write-combined memory are one type, filled alike",
          "[alloc-attrs][profile]") {
    TempDir dir;
    Result r = dmasim(dir, run_attrs + "-p size=64K -p reads=1 -o out");
    REQUIRE(r.code == 0);
    nlohmann::json stats = load_json(dir.path("out/stats.json"));
    CHECK(stat(stats, "workload.data_errors") == 0);
    CHECK(phase(stats, "coherent", "fill") == phase(stats, "write_combine", "fill"));
    // Both fills merge (the WC case's test above counts 1 + 4: one fill, the driver's four copies).
    CHECK(stat(stats, "cpu0.wc.merged_stores") == (2 + 4) * (64 << 10) / 8);
    CHECK(contains(r.out, "coherent (Normal NC)"));
}

TEST_CASE("expectations against another stat are judged and reported with both values", "[alloc-attrs][cli]") {
    TempDir dir;
    const std::string scenario = dir.write(
        "compare.yaml", "name: compare\n"
                        "platform: arm-noncoherent.dts\n"
                        "workload: seed-alloc-attrs\n"
                        "overrides: ['/chosen:dmasim,dma-coherent-memory=\"strongly-ordered\"']\n"
                        "params: {size: 64K, reads: 1}\n"
                        "expect:\n"
                        "  - workload.alloc_attrs.write_combine.fill_ps < 0.5 * workload.alloc_attrs.coherent.fill_ps\n"
                        "  - workload.alloc_attrs.coherent.fill_ps < workload.alloc_attrs.write_combine.fill_ps\n");
    Result r = dmasim(dir, "run " + quote(scenario) + " -o out");
    CHECK(r.code == 1);
    nlohmann::json stats = load_json(dir.path("out/stats.json"));
    REQUIRE(stats["expectations"].size() == 2);
    CHECK(stats["expectations"][0]["result"] == "met");
    CHECK(stats["expectations"][1]["result"] == "failed");
    CHECK(stats["expectations"][1]["actual"] == stat(stats, "workload.alloc_attrs.coherent.fill_ps"));
    CHECK(contains(r.out, fmt::format("[FAILED] workload.alloc_attrs.coherent.fill_ps < "
                                      "workload.alloc_attrs.write_combine.fill_ps (actual {}, "
                                      "workload.alloc_attrs.write_combine.fill_ps {})",
                                      stat(stats, "workload.alloc_attrs.coherent.fill_ps"),
                                      stat(stats, "workload.alloc_attrs.write_combine.fill_ps"))));
}

TEST_CASE("an expectation whose right-hand stat does not exist, or needs the monitor, is a config error",
          "[alloc-attrs][cli]") {
    TempDir dir;
    const std::string missing = dir.write("missing.yaml",
                                          "name: missing\n"
                                          "platform: arm-noncoherent.dts\n"
                                          "workload: seed-alloc-attrs\n"
                                          "params: {size: 4K, reads: 1, case: coherent}\n"
                                          "expect: [ \"workload.data_errors <= 2 * workload.no_such\" ]\n");
    Result r = dmasim(dir, "run " + quote(missing) + " -o out --quiet");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "missing.yaml:5: expectation 'workload.data_errors <= 2 * workload.no_such': no stat "
                          "'workload.no_such' in stats.json"));

    const std::string hazards = dir.write("hazards.yaml",
                                          "name: hazards\n"
                                          "platform: arm-noncoherent.dts\n"
                                          "workload: seed-alloc-attrs\n"
                                          "expect: [ \"workload.data_errors <= hazards.stale_cpu_read\" ]\n");
    r = dmasim(dir, "run " + quote(hazards) + " -o out2 --quiet --no-monitor");
    CHECK(r.code == 2);
    CHECK(contains(r.err, "hazards are counted only with the coherence monitor"));
}
