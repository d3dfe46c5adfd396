// Firmware images a driver loads at run time by name, as Linux's request_firmware does
// (drivers/base/firmware_loader): the name is looked up in a search path -- the directories the
// application adds (Linux's firmware_class.path), then the build's firmware directory
// (DMASIM_FIRMWARE_DIR, where dmasim_add_firmware puts what SDCC built) -- and the file is read as
// Intel HEX (Linux's lib/ihex and firmware/ihex2fw.c read the same records).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sw {

// A run of bytes at a load address (Linux's struct ihex_binrec): consecutive data records merged.
struct FirmwareRecord {
    uint32_t address = 0;
    std::vector<uint8_t> data;
};

// A loaded image (Linux's struct firmware): the file it came from and its records in file order.
struct Firmware {
    std::string name;
    std::string path;
    std::vector<FirmwareRecord> records;
    uint64_t size() const;  // bytes of data
};

// Bad Intel HEX: the message names file:line and what was expected.
class FirmwareError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Reads Intel HEX text: data (00), end of file (01), extended segment (02) and extended linear
// (04) address records, each line's checksum; start address records (03, 05) are accepted and
// ignored, as ihex2fw does. FirmwareError naming `file`:line for a malformed line, a bad checksum,
// an unknown record type, data past 4 GiB or a missing end-of-file record.
std::vector<FirmwareRecord> parse_ihex(const std::string& text, const std::string& file);

class FirmwareLoader {
public:
    // The search path: the build's firmware directory only.
    FirmwareLoader();

    // Searches `dir` before the build's directory (and after those added before it).
    void add_path(const std::string& dir);
    const std::vector<std::string>& search_path() const { return dirs_; }

    // The path of the first `name` in the search path, or nullopt.
    std::optional<std::string> find(const std::string& name) const;
    // What a missing image's error says: "<device>: firmware <name> not found in <dirs>".
    std::string not_found(const std::string& device, const std::string& name) const;

    // Linux's request_firmware: 0 and `fw` filled; -ENOENT when no directory has `name`, -EINVAL
    // when the file is not valid Intel HEX, with `error` saying so (naming the device, the name and
    // the directories searched, or the file and line).
    int request_firmware(Firmware& fw, const std::string& name, const std::string& device, std::string& error) const;

private:
    std::vector<std::string> dirs_;
    size_t added_ = 0;  // directories added, searched before the build's
};

}  // namespace sw
