#include "models/cpu/cpu_part.h"

#include <catch2/catch.hpp>

using models::CpuArch;

TEST_CASE("cpu parts: every geometry in the table is one a cache can have", "[cpu_part]") {
    for (const models::CpuPart& part : models::cpu_parts()) {
        INFO(part.compatible);
        CHECK(part.l1d.check().empty());
    }
}

TEST_CASE("cpu parts: Cortex-A9's L1D is 4-way with 32-byte lines, Cortex-A57's 2-way with 64 (their TRMs)",
          "[cpu_part]") {
    const models::CpuPart* a9 = models::find_cpu_part({"arm,cortex-a9"});
    REQUIRE(a9);
    CHECK(a9->arch == CpuArch::armv7);
    CHECK(a9->l1d.line_size == 32);
    CHECK(a9->l1d.ways() == 4);
    const models::CpuPart* a57 = models::find_cpu_part({"arm,cortex-a57"});
    REQUIRE(a57);
    CHECK(a57->arch == CpuArch::arm64);
    CHECK(a57->l1d.line_size == 64);
    CHECK(a57->l1d.ways() == 2);
    CHECK(a57->l1d.size == 32 * 1024);
}

TEST_CASE("cpu parts: the first compatible the table knows wins, unknown parts give null", "[cpu_part]") {
    CHECK(models::find_cpu_part({"vendor,custom-core", "arm,cortex-a53"})->arch == CpuArch::arm64);
    CHECK(models::find_cpu_part({"vendor,custom-core"}) == nullptr);
    CHECK(models::find_cpu_part({}) == nullptr);
}
