// Running the built dmasim binary (DMASIM_BINARY) from a test, in a temporary folder, and reading
// what it wrote. Shared by the end-to-end tests of the command line.
#pragma once

#include "temp_dir.h"
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/wait.h>

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// `text` as one shell word.
inline std::string quote(const std::string& text) {
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

struct Result {
    int code = -1;
    std::string out;
    std::string err;
};

// Runs `dmasim ARGS` (ARGS already shell-quoted where needed) from inside `dir`.
inline Result dmasim(const TempDir& dir, const std::string& args) {
    const std::string out = dir.path("stdout.txt"), err = dir.path("stderr.txt");
    const std::string command = "cd " + quote(dir.path("")) + " && " + quote(DMASIM_BINARY) + " " + args + " >" +
                                quote(out) + " 2>" + quote(err);
    int status = std::system(command.c_str());
    Result result;
    result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_file(out);
    result.err = read_file(err);
    INFO("dmasim " << args << "\nstdout:\n" << result.out << "\nstderr:\n" << result.err);
    CHECK(result.code >= 0);  // not killed by a signal
    return result;
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

inline nlohmann::json load_json(const std::string& path) {
    std::string text = read_file(path);
    REQUIRE_FALSE(text.empty());
    return nlohmann::json::parse(text);
}
