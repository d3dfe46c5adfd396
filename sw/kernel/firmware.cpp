#include "sw/kernel/firmware.h"

#include <cerrno>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#ifndef DMASIM_FIRMWARE_DIR
#error "DMASIM_FIRMWARE_DIR must name the build's firmware directory (cmake/Sdcc.cmake)"
#endif

namespace sw {

namespace fs = std::filesystem;

uint64_t Firmware::size() const {
    uint64_t bytes = 0;
    for (const FirmwareRecord& record : records)
        bytes += record.data.size();
    return bytes;
}

namespace {

constexpr uint8_t record_data = 0x00, record_eof = 0x01, record_segment = 0x02, record_start_segment = 0x03,
                  record_linear = 0x04, record_start_linear = 0x05;

// One line's record: ":LLAAAATT<data>CC" as bytes, the checksum checked.
struct Record {
    uint16_t offset;
    uint8_t type;
    std::vector<uint8_t> data;
};

Record read_record(std::string line, const std::string& where) {
    auto fail = [&](const std::string& expected) {
        throw FirmwareError(fmt::format("{}: expected {}, got '{}'", where, expected, line));
    };
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    if (line.empty() || line[0] != ':')
        fail("an Intel HEX record starting with ':'");
    if (line.size() % 2 == 0 || line.size() < 11)
        fail("':' and whole bytes of hex digits (count, address, type, data, checksum)");
    std::vector<uint8_t> bytes;
    for (size_t i = 1; i < line.size(); i += 2) {
        std::string digits = line.substr(i, 2);
        if (!std::isxdigit(static_cast<unsigned char>(digits[0])) ||
            !std::isxdigit(static_cast<unsigned char>(digits[1])))
            fail(fmt::format("hex digits at column {}", i + 1));
        bytes.push_back(static_cast<uint8_t>(std::stoul(digits, nullptr, 16)));
    }
    size_t count = bytes[0];
    if (bytes.size() != count + 5)
        fail(fmt::format("{} data bytes (the record's count) between the type and the checksum", count));
    uint8_t sum = 0;
    for (uint8_t byte : bytes)
        sum += byte;
    if (sum != 0) {
        uint8_t right = static_cast<uint8_t>(bytes.back() - sum);
        fail(fmt::format("checksum {:02X}, the two's complement of the record's bytes", right));
    }
    return Record{static_cast<uint16_t>(bytes[1] << 8 | bytes[2]), bytes[3],
                  std::vector<uint8_t>(bytes.begin() + 4, bytes.end() - 1)};
}

}  // namespace

std::vector<FirmwareRecord> parse_ihex(const std::string& text, const std::string& file) {
    std::vector<FirmwareRecord> records;
    std::istringstream lines(text);
    std::string line;
    uint64_t base = 0;  // from the last extended address record
    for (unsigned number = 1; std::getline(lines, line); ++number) {
        if (line.empty() || line == "\r")
            continue;
        std::string where = fmt::format("{}:{}", file, number);
        Record record = read_record(line, where);
        auto expect_length = [&](size_t length, const char* what) {
            if (record.data.size() != length)
                throw FirmwareError(fmt::format("{}: expected {} data bytes in {} record (type {:02X}), got {}", where,
                                                length, what, record.type, record.data.size()));
        };
        switch (record.type) {
        case record_data: {
            uint64_t address = base + record.offset;
            if (address + record.data.size() > (uint64_t(1) << 32))
                throw FirmwareError(fmt::format("{}: expected data below 4 GiB, got {} bytes at {:#x}", where,
                                                record.data.size(), address));
            if (!records.empty() && records.back().address + records.back().data.size() == address)
                records.back().data.insert(records.back().data.end(), record.data.begin(), record.data.end());
            else if (!record.data.empty())
                records.push_back(FirmwareRecord{static_cast<uint32_t>(address), record.data});
            break;
        }
        case record_eof: expect_length(0, "an end-of-file"); return records;
        case record_segment:
            expect_length(2, "an extended segment address");
            base = uint64_t(record.data[0] << 8 | record.data[1]) << 4;
            break;
        case record_linear:
            expect_length(2, "an extended linear address");
            base = uint64_t(record.data[0] << 8 | record.data[1]) << 16;
            break;
        case record_start_segment:
        case record_start_linear: expect_length(4, "a start address"); break;
        default: throw FirmwareError(fmt::format("{}: expected record type 00 to 05, got {:02X}", where, record.type));
        }
    }
    throw FirmwareError(fmt::format("{}: expected an end-of-file record (:00000001FF) before the end of the file",
                                    file));
}

FirmwareLoader::FirmwareLoader() : dirs_{DMASIM_FIRMWARE_DIR} {}

void FirmwareLoader::add_path(const std::string& dir) {
    dirs_.insert(dirs_.begin() + static_cast<std::ptrdiff_t>(added_++), dir);
}

std::optional<std::string> FirmwareLoader::find(const std::string& name) const {
    for (const std::string& dir : dirs_) {
        fs::path candidate = fs::path(dir) / name;
        if (fs::is_regular_file(candidate))
            return candidate.string();
    }
    return std::nullopt;
}

std::string FirmwareLoader::not_found(const std::string& device, const std::string& name) const {
    return fmt::format("{}: firmware {} not found in {}", device, name, fmt::join(dirs_, ", "));
}

int FirmwareLoader::request_firmware(Firmware& fw, const std::string& name, const std::string& device,
                                     std::string& error) const {
    std::optional<std::string> path = find(name);
    if (!path) {
        error = not_found(device, name);
        return -ENOENT;
    }
    std::ifstream in(*path);
    std::stringstream text;
    text << in.rdbuf();
    try {
        fw = Firmware{name, *path, parse_ihex(text.str(), *path)};
    } catch (const FirmwareError& bad) {
        error = fmt::format("{}: firmware {}: {}", device, name, bad.what());
        return -EINVAL;
    }
    return 0;
}

}  // namespace sw
