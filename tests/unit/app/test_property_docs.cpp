// The model doc pages agree with the code: each docs/models/<page>.md holds, in its
// `## Device-tree properties` section, the tables `dmasim list properties <page>` renders from the
// models' property tables. A failure shows the difference; paste the command's output over the
// tables to fix it.
#include "platforms/app/property_docs.h"
#include "platforms/errors.h"
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// From the heading to the next `## ` heading; empty without the heading.
std::string properties_section(const std::string& page) {
    const std::string heading = "## Device-tree properties\n";
    size_t begin = page.find("\n" + heading);
    if (begin == std::string::npos)
        return {};
    begin += 1 + heading.size();
    size_t end = page.find("\n## ", begin);
    return page.substr(begin, end == std::string::npos ? std::string::npos : end + 1 - begin);
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> result;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        result.push_back(line);
    return result;
}

// A line diff (longest common subsequence): "-" what the page lacks, "+" what it has instead.
std::string diff(const std::string& expected, const std::string& actual) {
    std::vector<std::string> a = lines(expected), b = lines(actual);
    std::vector<std::vector<size_t>> common(a.size() + 1, std::vector<size_t>(b.size() + 1, 0));
    for (size_t i = a.size(); i-- > 0;)
        for (size_t j = b.size(); j-- > 0;)
            common[i][j] = a[i] == b[j] ? common[i + 1][j + 1] + 1 : std::max(common[i + 1][j], common[i][j + 1]);
    std::string out;
    size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        if (i < a.size() && j < b.size() && a[i] == b[j]) {
            out += "  " + a[i++] + "\n";
            ++j;
        } else if (j == b.size() || (i < a.size() && common[i + 1][j] >= common[i][j + 1])) {
            out += "- " + a[i++] + "\n";
        } else {
            out += "+ " + b[j++] + "\n";
        }
    }
    return out;
}

}  // namespace

TEST_CASE("property docs: each model page's Device-tree properties section holds the tables the code renders",
          "[docs]") {
    for (const std::string& page : platform::property_doc_pages()) {
        const std::string path = DMASIM_SOURCE_DIR "/docs/models/" + page + ".md";
        const std::string section = properties_section(read_file(path));
        const std::string expected = platform::property_doc(page);
        INFO(path << ": regenerate the tables with `dmasim list properties " << page << "`; diff:\n"
                  << diff(expected, section));
        CHECK(section.find(expected) != std::string::npos);
    }
}

TEST_CASE("property docs: a table row names the property, the field it sets, its default and allowed values",
          "[docs]") {
    const std::string core = platform::property_doc("core");
    CHECK_THAT(core, Catch::Contains("| `dmasim,quantum-ns` | `CoreConfig::quantum_ps` | 10000 | from 1 to 1000000000 "
                                     "| ns |"));
    CHECK_THAT(core, Catch::Contains("| `dmasim,prefetch` | `CoreConfig::prefetch.mode` | \"off\" | \"off\", "
                                     "\"next-line\" or \"aggressive\" |"));
    CHECK_THAT(core, Catch::Contains("| `d-cache-size` | `CoreConfig::l1.size` | the CPU part's (cpu_part.md) |"));
    CHECK_THAT(platform::property_doc("outer_cache"),
               Catch::Contains("| `cache-size` | `OuterCacheConfig::geometry.size` | required |"));
    CHECK_THAT(platform::property_doc("ring_nic"),
               Catch::Contains("| `class-code` | `PciEndpointConfig::class_code` | 0x020000 |"));
    CHECK_THROWS_AS(platform::property_doc("router"), platform::ConfigError);
}
