// request_firmware and the Intel HEX reader (sw/kernel/firmware.h): records, extended addresses,
// checksums, errors naming file:line, the search path, and the firmware the build made.
#include "sw/kernel/firmware.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>
#include <cerrno>

using sw::FirmwareError;
using sw::FirmwareLoader;
using sw::parse_ihex;

namespace {

const char* eof = ":00000001FF\n";

std::string parse_error(const std::string& text) {
    try {
        parse_ihex(text, "fw.ihx");
    } catch (const FirmwareError& error) {
        return error.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("ihex: data records at consecutive addresses make one run, a gap starts another", "[firmware]") {
    auto records = parse_ihex(std::string(":0300000002000BF0\n:02000300AABB96\n:01001000CC23\n") + eof, "fw.ihx");
    REQUIRE(records.size() == 2);
    CHECK(records[0].address == 0);
    CHECK(records[0].data == std::vector<uint8_t>{0x02, 0x00, 0x0b, 0xaa, 0xbb});
    CHECK(records[1].address == 0x10);
    CHECK(records[1].data == std::vector<uint8_t>{0xcc});
}

TEST_CASE("ihex: extended linear and segment address records move the base", "[firmware]") {
    // 04: base 0x0001_0000; 02: base 0x1230 << 4 = 0x12300; CRLF line ends and blank lines pass.
    auto records = parse_ihex(std::string(":020000040001F9\r\n\r\n:0100200011CE\r\n:020000021230BA\n:0100040022D9") +
                                  "\n:0400000500000000F7\n" + eof,
                              "fw.ihx");
    REQUIRE(records.size() == 2);
    CHECK(records[0].address == 0x10020);
    CHECK(records[1].address == 0x12304);
}

TEST_CASE("ihex: records after the end-of-file record are not read", "[firmware]") {
    auto records = parse_ihex(std::string(eof) + "garbage\n", "fw.ihx");
    CHECK(records.empty());
}

TEST_CASE("ihex: malformed input names the file, the line and what was expected", "[firmware]") {
    CHECK(parse_error(std::string(":0100000011EE\n:01000100220C\n") + eof) ==
          "fw.ihx:2: expected checksum DC, the two's complement of the record's bytes, got ':01000100220C'");
    CHECK(parse_error(std::string("\n0100000011EE\n") + eof) ==
          "fw.ihx:2: expected an Intel HEX record starting with ':', got '0100000011EE'");
    CHECK(parse_error(std::string(":02000000110C\n") + eof).find("fw.ihx:1: expected 2 data bytes") == 0);
    CHECK(parse_error(std::string(":0100000G11EE\n") + eof).find("fw.ihx:1: expected hex digits at column 8") == 0);
    CHECK(parse_error(":00000006FA\n") == "fw.ihx:1: expected record type 00 to 05, got 06");
    CHECK(parse_error(":0100000011EE\n") ==
          "fw.ihx: expected an end-of-file record (:00000001FF) before the end of the file");
    CHECK(parse_error(":03000004000100F8\n").find("fw.ihx:1: expected 2 data bytes in an extended linear") == 0);
}

TEST_CASE("ihex: data past 4 GiB is refused", "[firmware]") {
    CHECK(parse_error(std::string(":02000004FFFFFC\n:02FFFF001122CD\n") + eof)
              .find("fw.ihx:2: expected data below 4 GiB, got 2 bytes at 0xffffffff") == 0);
}

TEST_CASE("request_firmware: added directories come first, in the order added, then the build's", "[firmware]") {
    TempDir first, second;
    second.write("a.ihx", std::string(":0100000001FE\n") + eof);
    first.write("a.ihx", std::string(":0100000002FD\n") + eof);
    FirmwareLoader loader;
    loader.add_path(first.path(""));
    loader.add_path(second.path(""));
    REQUIRE(loader.search_path().size() == 3);
    CHECK(loader.search_path()[0] == first.path(""));
    CHECK(loader.search_path()[2] == DMASIM_FIRMWARE_DIR);
    sw::Firmware fw;
    std::string error;
    REQUIRE(loader.request_firmware(fw, "a.ihx", "mfd@0", error) == 0);
    CHECK(fw.path == first.path("a.ihx"));
    CHECK(fw.records.at(0).data == std::vector<uint8_t>{0x02});
    CHECK(fw.size() == 1);
}

TEST_CASE("request_firmware: a missing image names the device, the name and every directory searched", "[firmware]") {
    TempDir dir;
    FirmwareLoader loader;
    loader.add_path(dir.path("extra"));
    sw::Firmware fw;
    std::string error;
    CHECK(loader.request_firmware(fw, "nope.ihx", "mfd@48000000", error) == -ENOENT);
    CHECK(error == "mfd@48000000: firmware nope.ihx not found in " + dir.path("extra") + ", " DMASIM_FIRMWARE_DIR);
}

TEST_CASE("request_firmware: a file that is not Intel HEX is -EINVAL with its line", "[firmware]") {
    TempDir dir;
    dir.write("bad.ihx", ":0100000011EE\nhello\n");
    FirmwareLoader loader;
    loader.add_path(dir.path(""));
    sw::Firmware fw;
    std::string error;
    CHECK(loader.request_firmware(fw, "bad.ihx", "mfd@0", error) == -EINVAL);
    CHECK(error == "mfd@0: firmware bad.ihx: " + dir.path("bad.ihx") +
                       ":2: expected an Intel HEX record starting with ':', got 'hello'");
}

TEST_CASE("request_firmware: the MFD firmware the build made loads, its reset vector at 0", "[firmware]") {
    FirmwareLoader loader;
    for (const char* name : {"dmasim-mfd.ihx", "dmasim-mfd-stale-window.ihx"}) {
        sw::Firmware fw;
        std::string error;
        REQUIRE(loader.request_firmware(fw, name, "mfd@0", error) == 0);
        REQUIRE(!fw.records.empty());
        CHECK(fw.records.front().address == 0);
        CHECK(fw.records.front().data.at(0) == 0x02);  // LJMP to the C startup
        CHECK(fw.size() > 256);
    }
}
