// Every hardware model has a doc page, docs/models/<stem>.md, named by its header's stem (one name per
// device across layers, DESIGN.md), with the fixed sections in a fixed order.
//
// The rule: each header models/<family>/<stem>.h is a model and needs its page, except
//   - the shared plumbing of models/common/ (payload extension, instrumentation, faults, shared events);
//   - the parts of a model: a device's register interface <stem>_regs.h (its model is <stem>), and the
//     headers listed in `parts` below (a class that lives inside one model, or serves it: the core's
//     MMU and prefetcher, a cache's backend, the ports, the observer interfaces, the USB wire
//     protocol). A part has no page of its own: its model's page must name it (its path).
// Every page in docs/models/ must be a model's: a page left behind by a renamed model fails too.
#include "cli_runner.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// The headings every page has, in this order, each with a body ("None" where it does not apply).
const std::vector<std::string> required_sections = {"## What it models", "## Sockets", "## Device-tree properties",
                                                    "## Registers",      "## Stats",   "## Trace events"};
// Headings a page may add after them, in this order.
const std::vector<std::string> optional_sections = {"## Software", "## See also"};

// Headers that are part of a model, and the stem of the model whose page documents them.
const std::map<std::string, std::string> parts = {
    {"models/cpu/mmu.h", "core"},
    {"models/cpu/prefetcher.h", "core"},
    {"models/cpu/line_backend.h", "cache"},
    {"models/bus/bus_port.h", "router"},
    {"models/bus/target_timing.h", "router"},
    {"models/bus/dma_port.h", "bus_master"},
    {"models/irq/interrupt_line.h", "interrupt_controller"},
    {"models/mfd/mcs51_plain_memory.h", "mcs51"},
    {"models/mfd/mfd_fw_regs.h", "mfd"},  // the MFD's registers as its 8051 sees them
    {"models/mfd/mfd_address_decoder.h", "mfd"},
    {"models/mfd/mfd_dma_engine.h", "mfd"},
    {"models/mfd/mfd_mailbox.h", "mfd"},
    {"models/coherence/coherence_observer.h", "coherence_monitor"},
    {"models/coherence/iotlb_observer.h", "coherence_monitor"},
    {"models/coherence/local_memory_observer.h", "coherence_monitor"},
    {"models/iommu/iotlb.h", "smmu"},
    {"models/iommu/smmu_register_file.h", "smmu"},
    {"models/iommu/table_walker.h", "smmu"},
    {"models/pci/pci_regs.h", "pci_endpoint"},
    {"models/usb/usb_protocol.h", "usb_device"},
    {"models/usb/usb_storage.h", "usb_device"},  // the USB devices share one page with their base
    {"models/usb/usb_mouse.h", "usb_device"},
};

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The page's lines outside fenced code blocks (a `#` in a code sample is no heading).
std::vector<std::string> prose_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    bool fenced = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("```", 0) == 0) {
            fenced = !fenced;
            lines.push_back("");
            continue;
        }
        lines.push_back(fenced ? std::string("(code)") : line);
    }
    return lines;
}

bool blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

// What is wrong with the page of model `stem`: its title, its introduction, its sections.
std::vector<std::string> check_page(const std::string& stem, const std::string& page, const std::string& text) {
    std::vector<std::string> problems;
    std::vector<std::string> lines = prose_lines(text);
    if (lines.empty() || lines[0] != "# " + stem)
        problems.push_back(page + ": the first line must be the title '# " + stem + "'");
    std::vector<std::string> headings;  // the "## " headings, in order
    std::vector<bool> has_body;         // whether each has a non-blank line before the next heading
    bool introduced = false;
    for (size_t i = 1; i < lines.size(); ++i) {
        if (lines[i].rfind("## ", 0) == 0) {
            headings.push_back(lines[i]);
            has_body.push_back(false);
        } else if (!blank(lines[i]) && lines[i].rfind("# ", 0) != 0) {
            if (headings.empty())
                introduced = true;
            else
                has_body.back() = true;
        }
    }
    if (!introduced)
        problems.push_back(page + ": a paragraph must introduce the model before '" + required_sections[0] + "'");
    for (const std::string& section : required_sections)
        if (std::find(headings.begin(), headings.end(), section) == headings.end())
            problems.push_back(page + ": missing the section '" + section + "'");
    // The headings must be the required ones in order, then optional ones in order, and nothing else.
    std::vector<std::string> allowed = required_sections;
    allowed.insert(allowed.end(), optional_sections.begin(), optional_sections.end());
    const std::string order = "the sections are, in order: '" + required_sections.front() + "' ... '" +
                              required_sections.back() + "', then optionally '" + optional_sections[0] + "', '" +
                              optional_sections[1] + "'";
    long previous = -1;  // the index in `allowed` of the last known heading
    for (size_t i = 0; i < headings.size(); ++i) {
        long index = std::find(allowed.begin(), allowed.end(), headings[i]) - allowed.begin();
        if (index == static_cast<long>(allowed.size()))
            problems.push_back(page + ": '" + headings[i] + "' is not one of the fixed sections; " + order);
        else if (index <= previous)
            problems.push_back(page + ": '" + headings[i] + "' is out of order (after '" +
                               allowed[static_cast<size_t>(previous)] + "'); " + order);
        else
            previous = index;
        if (!has_body[i])
            problems.push_back(page + ": '" + headings[i] + "' is empty (write \"None\" where it does not apply)");
    }
    return problems;
}

// Every problem with the model pages of the tree at `root`, each naming the file; empty if none.
// `checked` gets the stems of the models found.
std::vector<std::string> check_model_docs(const fs::path& root, std::vector<std::string>* checked = nullptr) {
    std::vector<std::string> problems;
    std::vector<std::string> headers;
    for (const fs::directory_entry& family : fs::directory_iterator(root / "models")) {
        if (!family.is_directory() || family.path().filename() == "common")
            continue;
        for (const fs::directory_entry& file : fs::directory_iterator(family.path()))
            if (file.is_regular_file() && file.path().extension() == ".h")
                headers.push_back(fs::relative(file.path(), root).generic_string());
    }
    std::sort(headers.begin(), headers.end());
    std::vector<std::string> models;
    for (const std::string& header : headers) {
        std::string stem = fs::path(header).stem().string();
        auto part = parts.find(header);
        if (part == parts.end() && !ends_with(stem, "_regs")) {
            models.push_back(stem);
            const std::string page = "docs/models/" + stem + ".md";
            if (!fs::exists(root / page))
                problems.push_back(header + ": no page " + page + " (every model has one; see the rule in " +
                                   "tests/unit/docs/test_model_docs.cpp)");
            else
                for (const std::string& problem : check_page(stem, page, read_file((root / page).string())))
                    problems.push_back(problem);
            continue;
        }
        std::string owner = part != parts.end() ? part->second : stem.substr(0, stem.size() - 5);
        const std::string page = "docs/models/" + owner + ".md";
        if (!fs::exists(root / page))
            problems.push_back(header + ": part of the model '" + owner + "', whose page " + page + " is missing");
        else if (read_file((root / page).string()).find(header) == std::string::npos)
            problems.push_back(page + ": does not name " + header + ", a part of the model it documents");
    }
    if (fs::is_directory(root / "docs/models"))
        for (const fs::directory_entry& file : fs::directory_iterator(root / "docs/models")) {
            std::string stem = file.path().stem().string();
            if (file.path().extension() == ".md" && std::find(models.begin(), models.end(), stem) == models.end())
                problems.push_back("docs/models/" + file.path().filename().string() + ": no model models/<family>/" +
                                   stem + ".h (a page per model, named by its stem)");
        }
    if (checked)
        *checked = models;
    return problems;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& line : lines)
        text += line + "\n";
    return text;
}

bool has(const std::vector<std::string>& problems, const std::string& problem) {
    return std::find(problems.begin(), problems.end(), problem) != problems.end();
}

// A page of model `stem` with the fixed sections, in order, each with a body.
std::string good_page(const std::string& stem) {
    std::string text = "# " + stem + "\n\nWhat `" + stem + "` is.\n";
    for (const std::string& section : required_sections)
        text += "\n" + section + "\n\nNone.\n";
    return text;
}

}  // namespace

TEST_CASE("model docs: every model of the tree has its page with the fixed sections", "[docs]") {
    std::vector<std::string> models;
    std::vector<std::string> problems = check_model_docs(DMASIM_SOURCE_DIR, &models);
    INFO(joined(problems));
    CHECK(problems.empty());
    for (const char* model : {"core", "cache", "outer_cache", "router", "memory", "bus_master", "interrupt_controller",
                              "pci_host_bridge", "pci_endpoint", "pci_endpoint_test", "ring_nic", "hv_dma_constraints",
                              "uhc", "usb_device", "coherence_monitor"})
        CHECK(std::find(models.begin(), models.end(), model) != models.end());
}

TEST_CASE("model docs: a missing page, a missing or misplaced heading, an orphan page fail", "[docs]") {
    TempDir tree;
    tree.write("models/common/instrumentation.h", "#pragma once\n");  // plumbing: no page
    tree.write("models/bus/widget.h", "#pragma once\n");
    tree.write("models/bus/widget_regs.h", "#pragma once\n");
    tree.write("models/bus/dma_port.h", "#pragma once\n");  // a part of bus_master
    tree.write("models/bus/bus_master.h", "#pragma once\n");
    tree.write("docs/models/bus_master.md", good_page("bus_master") + "\nBursts: `models/bus/dma_port.h`.\n");

    SECTION("a model without a page") {
        std::vector<std::string> problems = check_model_docs(tree.path(""));
        INFO(joined(problems));
        CHECK(problems.size() == 2);
        CHECK(has(problems, "models/bus/widget.h: no page docs/models/widget.md (every model has one; see the rule "
                            "in tests/unit/docs/test_model_docs.cpp)"));
        CHECK(has(problems, "models/bus/widget_regs.h: part of the model 'widget', whose page "
                            "docs/models/widget.md is missing"));
    }
    SECTION("a page with the fixed sections passes") {
        tree.write("docs/models/widget.md", good_page("widget") + "\n## See also\n\n`models/bus/widget_regs.h`.\n");
        std::vector<std::string> problems = check_model_docs(tree.path(""));
        INFO(joined(problems));
        CHECK(problems.empty());
    }
    SECTION("a missing heading") {
        std::string page = good_page("widget") + "`models/bus/widget_regs.h`\n";
        page.erase(page.find("## Registers"), std::string("## Registers\n\nNone.\n\n").size());
        tree.write("docs/models/widget.md", page);
        std::vector<std::string> problems = check_model_docs(tree.path(""));
        INFO(joined(problems));
        CHECK(problems == std::vector<std::string>{"docs/models/widget.md: missing the section '## Registers'"});
    }
    SECTION("headings out of order, unknown, or empty; a wrong title; no introduction") {
        tree.write("docs/models/widget.md", "# Widget\n\n## What it models\n\nIt.\n\n## Device-tree properties\n\n"
                                            "None.\n\n## Sockets\n\nNone.\n\n## Registers\n\n## Stats\n\nNone.\n\n"
                                            "## Events\n\nNone.\n\n## Trace events\n\nNone.\n\n"
                                            "`models/bus/widget_regs.h`\n");
        std::vector<std::string> problems = check_model_docs(tree.path(""));
        INFO(joined(problems));
        CHECK(has(problems, "docs/models/widget.md: the first line must be the title '# widget'"));
        CHECK(has(problems, "docs/models/widget.md: a paragraph must introduce the model before '## What it models'"));
        CHECK(has(problems, "docs/models/widget.md: '## Sockets' is out of order (after '## Device-tree "
                            "properties'); the sections are, in order: '## What it models' ... '## Trace events', "
                            "then optionally '## Software', '## See also'"));
        CHECK(has(problems, "docs/models/widget.md: '## Registers' is empty (write \"None\" where it does not "
                            "apply)"));
        CHECK(has(problems, "docs/models/widget.md: '## Events' is not one of the fixed sections; the sections "
                            "are, in order: '## What it models' ... '## Trace events', then optionally '## Software', "
                            "'## See also'"));
    }
    SECTION("a heading inside a code block does not count") {
        std::string page = good_page("widget");
        page.insert(page.find("## Sockets"), "```\n## Sockets\n```\n\n");
        page.erase(page.rfind("## Sockets"), std::string("## Sockets\n\nNone.\n\n").size());
        tree.write("docs/models/widget.md", page + "`models/bus/widget_regs.h`\n");
        std::vector<std::string> problems = check_model_docs(tree.path(""));
        INFO(joined(problems));
        CHECK(has(problems, "docs/models/widget.md: missing the section '## Sockets'"));
    }
    SECTION("a part its model's page does not name") {
        tree.write("docs/models/widget.md", good_page("widget"));
        std::vector<std::string> problems = check_model_docs(tree.path(""));
        INFO(joined(problems));
        CHECK(problems == std::vector<std::string>{"docs/models/widget.md: does not name models/bus/widget_regs.h, "
                                                   "a part of the model it documents"});
    }
    SECTION("a page with no model") {
        tree.write("docs/models/widget.md", good_page("widget") + "`models/bus/widget_regs.h`\n");
        tree.write("docs/models/interconnect.md", good_page("interconnect"));
        std::vector<std::string> problems = check_model_docs(tree.path(""));
        INFO(joined(problems));
        CHECK(problems == std::vector<std::string>{"docs/models/interconnect.md: no model "
                                                   "models/<family>/interconnect.h (a page per model, named by its "
                                                   "stem)"});
    }
}
