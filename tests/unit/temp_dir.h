// A fresh folder under the system temp folder for one test, removed with everything in it.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

class TempDir {
public:
    TempDir() : root_(std::filesystem::temp_directory_path() / unique_name()) {
        std::filesystem::create_directories(root_);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(root_, ignored);
    }

    std::string path(const std::string& relative) const { return (root_ / relative).string(); }

    std::string write(const std::string& relative, const std::string& text) const {
        const std::filesystem::path file = root_ / relative;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << text;
        return file.string();
    }

private:
    static std::string unique_name() {
        static int count = 0;
        return "dmasim-test-" + std::to_string(::getpid()) + "-" + std::to_string(count++);
    }
    std::filesystem::path root_;
};
