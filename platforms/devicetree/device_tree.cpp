// Loads device trees (compiling .dts with dtc), validates them and decodes properties with libfdt.
#include "platforms/devicetree/device_tree.h"

#include <libfdt.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace platform {
namespace {

// Devicetree specification defaults when a node has no #address-cells / #size-cells.
constexpr uint32_t kDefaultAddressCells = 2;
constexpr uint32_t kDefaultSizeCells = 1;
// Free space kept in the blob so that overrides rarely need to reallocate it.
constexpr size_t kSpareRoom = 64 * 1024;

// ---------------------------------------------------------------- files and processes

class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    int get() const { return fd_; }
    void reset(int fd = -1) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_;
};

class SpawnActions {
public:
    SpawnActions() { posix_spawn_file_actions_init(&actions_); }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
    ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
    posix_spawn_file_actions_t* get() { return &actions_; }

private:
    posix_spawn_file_actions_t actions_;
};

// Appends what one read() returns: >0 bytes read, 0 at end of file, -1 with errno on error.
ssize_t read_some(int fd, std::vector<char>& into) {
    char buffer[65536];
    ssize_t n;
    do {
        n = ::read(fd, buffer, sizeof buffer);
    } while (n < 0 && errno == EINTR);
    if (n > 0)
        into.insert(into.end(), buffer, buffer + n);
    return n;
}

std::vector<char> read_whole_file(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0)
        throw ConfigError(path + ": cannot open: " + std::strerror(errno));
    std::vector<char> bytes;
    ssize_t n;
    while ((n = read_some(fd.get(), bytes)) > 0) {
    }
    if (n < 0)
        throw ConfigError(path + ": cannot read: " + std::strerror(errno));
    return bytes;
}

struct ProcessResult {
    int spawn_error = 0;  // errno of a failed start (ENOENT: not found in PATH)
    int status = 0;       // as reported by waitpid
    std::vector<char> out;
    std::vector<char> err;
};

// Reads both pipes until both are closed. Polling both means the child can never block on a full
// pipe that we are not reading. An unexpected poll failure stops reading; the caller then closes
// the pipes, so the child cannot hang on them either.
void drain(int out_fd, std::vector<char>& out, int err_fd, std::vector<char>& err) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    std::vector<char>* sinks[2] = {&out, &err};
    int open_pipes = 2;
    while (open_pipes > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd >= 0 && fds[i].revents != 0 && read_some(fds[i].fd, *sinks[i]) <= 0) {
                fds[i].fd = -1;  // poll ignores negative descriptors
                --open_pipes;
            }
        }
    }
}

// Close-on-exec, so that no other child inherits it; false with errno set on failure.
bool open_pipe(Fd& read_end, Fd& write_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return false;
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
    return true;
}

// Runs argv[0], found in PATH, with no shell, stdin from /dev/null, capturing stdout and stderr.
ProcessResult run_program(const std::vector<std::string>& argv) {
    ProcessResult result;
    Fd out_read, out_write, err_read, err_write;
    if (!open_pipe(out_read, out_write) || !open_pipe(err_read, err_write)) {
        result.spawn_error = errno;
        return result;
    }

    // dup2 clears close-on-exec on the copies, so the child keeps exactly fds 0, 1 and 2.
    SpawnActions actions;
    posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(actions.get(), out_write.get(), 1);
    posix_spawn_file_actions_adddup2(actions.get(), err_write.get(), 2);

    std::vector<char*> args;
    for (const std::string& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    pid_t pid = 0;
    result.spawn_error = posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), environ);
    if (result.spawn_error != 0)
        return result;

    // Our copies of the write ends must go, or the pipes never report end of file.
    out_write.reset();
    err_write.reset();
    drain(out_read.get(), result.out, err_read.get(), result.err);
    out_read.reset();
    err_read.reset();
    while (::waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
    }
    return result;
}

std::string describe_exit(int status) {
    if (WIFSIGNALED(status))
        return "killed by signal " + std::to_string(WTERMSIG(status));
    return "exit status " + std::to_string(WEXITSTATUS(status));
}

std::string without_trailing_newlines(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    return text;
}

std::string folder_of(const std::string& path) {
    const std::filesystem::path folder = std::filesystem::path(path).parent_path();
    return folder.empty() ? "." : folder.string();
}

// A file removed when it goes out of scope: where cpp's output waits for dtc.
class TempFile {
public:
    explicit TempFile(const std::vector<char>& contents) {
        std::string name = (std::filesystem::temp_directory_path() / "dmasim-XXXXXX.dts").string();
        Fd fd(::mkstemps(name.data(), 4));
        if (fd.get() < 0)
            throw ConfigError("cannot create a temporary file for the preprocessed tree: " +
                              std::string(std::strerror(errno)));
        path_ = name;
        for (size_t done = 0; done < contents.size();) {
            ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                throw ConfigError(path_ + ": cannot write: " + std::strerror(errno));
            done += static_cast<size_t>(n);
        }
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() { ::unlink(path_.c_str()); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// Runs a tool of the .dts build and returns its standard output; ConfigError with the tool's own
// message (which names the user's file and line) when it fails, or with `install` when it is absent.
std::vector<char> run_tool(const std::vector<std::string>& argv, const std::string& path, const std::string& install) {
    const std::string& tool = argv[0];
    ProcessResult run = run_program(argv);
    if (run.spawn_error == ENOENT)
        throw ConfigError(path + ": cannot compile: " + tool + " not found in PATH (install " + install + ")");
    if (run.spawn_error != 0)
        throw ConfigError(path + ": cannot run " + tool + ": " + std::strerror(run.spawn_error));
    if (!WIFEXITED(run.status) || WEXITSTATUS(run.status) != 0) {
        const std::string message = without_trailing_newlines(std::string(run.err.begin(), run.err.end()));
        if (message.empty())
            throw ConfigError(tool + " failed on " + path + ": " + describe_exit(run.status));
        throw ConfigError(tool + " failed on " + path + ":\n" + message);
    }
    return std::move(run.out);
}

// A path no tool reads as an option.
std::string as_operand(const std::string& path) { return !path.empty() && path[0] == '-' ? "./" + path : path; }

// As the kernel's build does (scripts/Makefile.lib, cmd_dtc): every .dts goes through the C
// preprocessor, for its #include and the dt-bindings headers' #defines, then through dtc. cpp's
// linemarkers make dtc name the user's file (or the .dtsi) and line in its errors. The file's own
// folder and `include_dirs` are cpp's -I folders and dtc's -i folders (for /include/).
std::vector<char> compile_dts(const std::string& path, const std::vector<std::string>& include_dirs) {
    std::vector<std::string> cpp = {"cpp", "-nostdinc",          "-undef", "-D__DTS__",
                                    "-x",  "assembler-with-cpp", "-I",     folder_of(path)};
    std::vector<std::string> dtc = {"dtc", "-q", "-I", "dts", "-O", "dtb", "-i", folder_of(path)};
    for (const std::string& dir : include_dirs) {
        cpp.insert(cpp.end(), {"-I", dir});
        dtc.insert(dtc.end(), {"-i", dir});
    }
    cpp.push_back(as_operand(path));
    const TempFile preprocessed(run_tool(cpp, path, "cpp"));
    dtc.insert(dtc.end(), {"-o", "-", "--", preprocessed.path()});  // "--": a file name may start with '-'
    return run_tool(dtc, path, "device-tree-compiler");
}

bool looks_like_blob(const std::string& path, const std::vector<char>& bytes) {
    if (std::filesystem::path(path).extension() == ".dtb")
        return true;
    return bytes.size() >= sizeof(fdt32_t) && fdt_magic(bytes.data()) == FDT_MAGIC;
}

// ---------------------------------------------------------------- blobs

void check_blob(const std::vector<char>& blob, const std::string& source_name) {
    const auto invalid = [&](const std::string& why) {
        return ConfigError(source_name + ": not a valid device tree blob: " + why);
    };
    if (blob.size() < sizeof(fdt_header))
        throw invalid("only " + std::to_string(blob.size()) + " bytes");
    if (const int err = fdt_check_header(blob.data()))
        throw invalid(fdt_strerror(err));
    // Beyond the header: sizes, offsets and the structure block, so later accessors are safe.
    if (const int err = fdt_check_full(blob.data(), blob.size()))
        throw invalid(fdt_strerror(err));
}

// libfdt failures that a validated tree cannot produce.
void check_fdt(int err, const char* operation) {
    if (err < 0)
        throw std::logic_error(std::string(operation) + ": " + fdt_strerror(err));
}

// Adds free space at the end of the blob; fdt_open_into may work in place.
void grow(std::vector<char>& blob, size_t needed) {
    blob.resize(blob.size() + needed + kSpareRoom);
    check_fdt(fdt_open_into(blob.data(), blob.data(), static_cast<int>(blob.size())), "fdt_open_into");
}

const void* fdt_of(const DeviceTree* tree) { return tree->blob().data(); }

// ---------------------------------------------------------------- property decoding

std::string byte_count(int len) { return std::to_string(len) + (len == 1 ? " byte" : " bytes"); }

std::string hex(uint64_t value) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
    return text;
}

void require_present(const DtNode& node, const std::string& prop, const void* data, const std::string& expected) {
    if (!data)
        node.fail(prop, expected + ", but it is missing");
}

// Big-endian cells of a property; fails unless it is present and holds min..max whole cells.
std::vector<uint32_t> decode_cells(const DtNode& node, const std::string& prop, const void* data, int len,
                                   size_t min_cells, size_t max_cells, const std::string& expected) {
    require_present(node, prop, data, expected);
    const size_t count = static_cast<size_t>(len) / sizeof(fdt32_t);
    if (len % sizeof(fdt32_t) != 0 || count < min_cells || count > max_cells)
        node.fail(prop, expected + ", got " + byte_count(len));
    std::vector<uint32_t> cells(count);
    for (size_t i = 0; i < count; ++i) {
        fdt32_t big_endian;  // copied out: property data is not guaranteed to be aligned
        std::memcpy(&big_endian, static_cast<const char*>(data) + i * sizeof big_endian, sizeof big_endian);
        cells[i] = fdt32_to_cpu(big_endian);
    }
    return cells;
}

// Joins cells into one number, most significant first; shifting keeps the low 64 bits, which is
// how a 3-cell (PCI) address is reduced to its CPU-visible part.
uint64_t join_cells(std::vector<uint32_t>::const_iterator first, std::vector<uint32_t>::const_iterator last) {
    uint64_t value = 0;
    for (; first != last; ++first)
        value = (value << 32) | *first;
    return value;
}

// One number of a reg/ranges tuple and how many cells it may span.
struct TupleField {
    std::string name;
    uint32_t cells;
    uint32_t min_cells;
    uint32_t max_cells;
};

std::string describe_tuples(const std::vector<TupleField>& fields) {
    std::string names, counts;
    for (const TupleField& field : fields) {
        names += (names.empty() ? "" : ", ") + field.name;
        counts += (counts.empty() ? "" : "+") + std::to_string(field.cells);
    }
    return "(" + names + ") tuples of " + counts + " cells";
}

// Splits a present property into tuples of up to three numbers, one per field.
std::vector<std::array<uint64_t, 3>> decode_tuples(const DtNode& node, const std::string& prop,
                                                   const std::vector<TupleField>& fields) {
    const std::string expected = describe_tuples(fields);
    if (!node.has(prop))
        node.fail(prop, expected + ", but it is missing");
    const std::vector<uint32_t> cells = node.cells(prop);
    if (cells.empty())
        return {};  // e.g. an empty `ranges`, whatever the cell counts

    size_t tuple_cells = 0;
    for (const TupleField& field : fields) {
        if (field.cells < field.min_cells || field.cells > field.max_cells)
            node.fail(prop, expected + ", but " + field.name + " cells must be " + std::to_string(field.min_cells) +
                                " to " + std::to_string(field.max_cells));
        tuple_cells += field.cells;
    }
    if (cells.size() % tuple_cells != 0)
        node.fail(prop, expected + ", got " + std::to_string(cells.size()) + " cells");

    std::vector<std::array<uint64_t, 3>> tuples;
    for (auto cell = cells.cbegin(); cell != cells.cend();) {
        std::array<uint64_t, 3> tuple{};
        for (size_t i = 0; i < fields.size(); ++i) {
            tuple[i] = join_cells(cell, cell + fields[i].cells);
            cell += fields[i].cells;
        }
        tuples.push_back(tuple);
    }
    return tuples;
}

// #address-cells and #size-cells that apply to this node's own reg; the root has no parent, so
// the defaults apply to it.
std::pair<uint32_t, uint32_t> parent_cells(const DtNode& node) {
    const std::optional<DtNode> parent = node.parent();
    if (!parent)
        return {kDefaultAddressCells, kDefaultSizeCells};
    return {parent->address_cells(), parent->size_cells()};
}

// ---------------------------------------------------------------- overrides

ConfigError override_error(const std::string& spec, const std::string& what) {
    return ConfigError("override '" + spec + "': " + what);
}

std::string trimmed(const std::string& text) {
    const char* space = " \t\r\n";
    const size_t first = text.find_first_not_of(space);
    if (first == std::string::npos)
        return "";
    return text.substr(first, text.find_last_not_of(space) - first + 1);
}

// Decimal or 0x-hex, with an optional K, M or G suffix meaning KiB, MiB or GiB.
std::optional<uint64_t> parse_number(std::string text) {
    uint64_t scale = 1;
    switch (text.empty() ? '\0' : text.back()) {
    case 'K':
    case 'k': scale = uint64_t{1} << 10; break;
    case 'M':
    case 'm': scale = uint64_t{1} << 20; break;
    case 'G':
    case 'g': scale = uint64_t{1} << 30; break;
    default: break;
    }
    if (scale != 1)
        text.pop_back();
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.erase(0, 2);
    }
    uint64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value, base);
    if (error != std::errc() || stop != end || value > UINT64_MAX / scale)
        return std::nullopt;
    return value * scale;
}

void append_cell(std::vector<char>& bytes, uint32_t cell) {
    const fdt32_t big_endian = cpu_to_fdt32(cell);
    const char* raw = reinterpret_cast<const char*>(&big_endian);
    bytes.insert(bytes.end(), raw, raw + sizeof big_endian);
}

std::vector<char> encode_string(const std::string& value, const std::string& spec) {
    if (value.size() < 2 || value.back() != '"')
        throw override_error(spec, "expected a closing '\"' after " + value);
    std::vector<char> bytes(value.begin() + 1, value.end() - 1);
    bytes.push_back('\0');
    return bytes;
}

std::vector<char> encode_cells(const std::string& value, const std::string& spec) {
    if (value.back() != '>')
        throw override_error(spec, "expected a closing '>' after " + value);
    std::istringstream words(value.substr(1, value.size() - 2));
    std::vector<char> bytes;
    for (std::string word; words >> word;) {
        const std::optional<uint64_t> cell = parse_number(word);
        if (!cell || *cell > UINT32_MAX)
            throw override_error(spec, "expected 32-bit numbers between < and >, got '" + word + "'");
        append_cell(bytes, static_cast<uint32_t>(*cell));
    }
    return bytes;
}

std::vector<char> encode_number(const std::string& value, const std::string& spec) {
    const std::optional<uint64_t> number = parse_number(value);
    if (!number)
        throw override_error(spec, "expected \"text\", <cells>, a number (K/M/G suffix allowed), true, false "
                                   "or nothing, got '" +
                                       value + "'");
    std::vector<char> bytes;
    if (*number > UINT32_MAX)
        append_cell(bytes, static_cast<uint32_t>(*number >> 32));
    append_cell(bytes, static_cast<uint32_t>(*number));
    return bytes;
}

struct Override {
    std::string path;
    std::string property;
    std::optional<std::vector<char>> value;  // nullopt: delete the property
};

Override parse_override(const std::string& spec) {
    const std::string form = "expected /node/path:property=value";
    const size_t colon = spec.find(':');
    if (colon == std::string::npos)
        throw override_error(spec, form + " (no ':')");
    const size_t equals = spec.find('=', colon + 1);
    if (equals == std::string::npos)
        throw override_error(spec, form + " (no '=')");

    Override result{trimmed(spec.substr(0, colon)), trimmed(spec.substr(colon + 1, equals - colon - 1)), std::nullopt};
    if (result.path.empty())
        throw override_error(spec, form + " (no node path)");
    if (result.property.empty())
        throw override_error(spec, form + " (no property name)");

    const std::string value = trimmed(spec.substr(equals + 1));
    if (value == "false")
        return result;
    if (value.empty() || value == "true")
        result.value.emplace();
    else if (value.front() == '"')
        result.value = encode_string(value, spec);
    else if (value.front() == '<')
        result.value = encode_cells(value, spec);
    else
        result.value = encode_number(value, spec);
    return result;
}

}  // namespace

// ---------------------------------------------------------------- DtNode

const void* DtNode::raw(const std::string& prop, int* len) const {
    return fdt_getprop(fdt_of(tree_), offset_, prop.c_str(), len);
}

std::string DtNode::path() const {
    std::vector<char> buffer(256);
    int err;
    while ((err = fdt_get_path(fdt_of(tree_), offset_, buffer.data(), static_cast<int>(buffer.size()))) ==
           -FDT_ERR_NOSPACE)
        buffer.resize(buffer.size() * 2);
    check_fdt(err, "fdt_get_path");
    return buffer.data();
}

std::string DtNode::name() const {
    int len = 0;
    const char* name = fdt_get_name(fdt_of(tree_), offset_, &len);
    check_fdt(name ? 0 : len, "fdt_get_name");
    return std::string(name, static_cast<size_t>(len));
}

std::optional<DtNode> DtNode::parent() const {
    const int offset = fdt_parent_offset(fdt_of(tree_), offset_);
    if (offset < 0)
        return std::nullopt;
    return DtNode(tree_, offset);
}

std::vector<DtNode> DtNode::children() const {
    std::vector<DtNode> result;
    int child;
    fdt_for_each_subnode(child, fdt_of(tree_), offset_) result.emplace_back(tree_, child);
    return result;
}

bool DtNode::is_available() const {
    if (!has("status"))
        return true;
    std::string status = string_or("status", "");
    return status == "okay" || status == "ok";
}

std::optional<DtNode> DtNode::child(const std::string& name) const {
    const int offset = fdt_subnode_offset(fdt_of(tree_), offset_, name.c_str());
    if (offset < 0)
        return std::nullopt;
    return DtNode(tree_, offset);
}

bool DtNode::has(const std::string& prop) const {
    int len = 0;
    return raw(prop, &len) != nullptr;
}

std::vector<std::string> DtNode::compatible() const { return strings("compatible"); }

std::vector<std::string> DtNode::strings(const std::string& prop) const {
    int len = 0;
    const char* data = static_cast<const char*>(raw(prop, &len));
    if (!data)
        return {};
    if (len > 0 && data[len - 1] != '\0')
        fail(prop, "NUL-terminated strings, got " + byte_count(len) + " without a final NUL");
    std::vector<std::string> result;
    for (const char* item = data; item < data + len; item += std::strlen(item) + 1)
        result.emplace_back(item);
    return result;
}

bool DtNode::is_compatible(const std::string& compat) const {
    const std::vector<std::string> list = compatible();
    return std::find(list.begin(), list.end(), compat) != list.end();
}

uint32_t DtNode::u32(const std::string& prop) const {
    int len = 0;
    const void* data = raw(prop, &len);
    return decode_cells(*this, prop, data, len, 1, 1, "one 32-bit cell")[0];
}

uint64_t DtNode::u64(const std::string& prop) const {
    int len = 0;
    const void* data = raw(prop, &len);
    const std::vector<uint32_t> cells = decode_cells(*this, prop, data, len, 1, 2, "one or two 32-bit cells");
    return join_cells(cells.begin(), cells.end());
}

std::string DtNode::string(const std::string& prop) const {
    const std::string expected = "a non-empty string";
    int len = 0;
    const char* data = static_cast<const char*>(raw(prop, &len));
    require_present(*this, prop, data, expected);
    const void* nul = std::memchr(data, '\0', static_cast<size_t>(len));
    if (!nul)
        fail(prop, expected + ", got " + byte_count(len) + " without a terminating NUL");
    if (nul == data)
        fail(prop, expected + ", got an empty string");
    return data;
}

std::vector<uint32_t> DtNode::cells(const std::string& prop) const {
    int len = 0;
    const void* data = raw(prop, &len);
    return decode_cells(*this, prop, data, len, 0, SIZE_MAX, "a whole number of 32-bit cells");
}

// A 3-cell address (PCI: phys.hi, phys.mid, phys.lo) is reduced to its low two cells.
std::vector<RegEntry> DtNode::reg() const {
    const auto [address_cells, size_cells] = parent_cells(*this);
    std::vector<RegEntry> entries;
    for (const auto& tuple :
         decode_tuples(*this, "reg", {{"address", address_cells, 1, 3}, {"size", size_cells, 0, 2}}))
        entries.push_back({tuple[0], tuple[1]});
    return entries;
}

DtNode DtNode::phandle_target(const std::string& prop) const {
    const uint32_t phandle = u32(prop);
    if (const std::optional<DtNode> target = tree_->by_phandle(phandle))
        return *target;
    fail(prop, "the phandle of a node, got " + hex(phandle) + " which no node has");
}

uint32_t DtNode::u32_or(const std::string& prop, uint32_t fallback) const { return has(prop) ? u32(prop) : fallback; }

uint64_t DtNode::u64_or(const std::string& prop, uint64_t fallback) const { return has(prop) ? u64(prop) : fallback; }

std::string DtNode::string_or(const std::string& prop, const std::string& fallback) const {
    return has(prop) ? string(prop) : fallback;
}

// As with reg, 3-cell (PCI) child or parent addresses are reduced to their low two cells.
std::optional<std::vector<RangeEntry>> DtNode::ranges(const std::string& prop) const {
    if (!has(prop))
        return std::nullopt;
    const std::vector<TupleField> fields = {{"child address", address_cells(), 1, 3},
                                            {"parent address", parent_cells(*this).first, 1, 3},
                                            {"size", size_cells(), 1, 2}};
    std::vector<RangeEntry> entries;
    for (const auto& tuple : decode_tuples(*this, prop, fields))
        entries.push_back({tuple[0], tuple[1], tuple[2]});
    return entries;
}

uint32_t DtNode::address_cells() const { return u32_or("#address-cells", kDefaultAddressCells); }

uint32_t DtNode::size_cells() const { return u32_or("#size-cells", kDefaultSizeCells); }

void DtNode::fail(const std::string& prop, const std::string& expected) const {
    throw ConfigError(tree_->source_name_ + ": node " + path() + ": property '" + prop + "': expected " + expected);
}

// ---------------------------------------------------------------- DeviceTree

DeviceTree::DeviceTree(std::vector<char> blob, std::string source_name) : source_name_(std::move(source_name)) {
    check_blob(blob, source_name_);
    blob_.resize(fdt_totalsize(blob.data()) + kSpareRoom);
    if (const int err = fdt_open_into(blob.data(), blob_.data(), static_cast<int>(blob_.size())))
        throw ConfigError(source_name_ + ": cannot open device tree blob: " + fdt_strerror(err));
}

DeviceTree DeviceTree::load(const std::string& path, const std::vector<std::string>& include_dirs) {
    std::vector<char> bytes = read_whole_file(path);
    if (!looks_like_blob(path, bytes))
        bytes = compile_dts(path, include_dirs);
    return DeviceTree(std::move(bytes), std::filesystem::path(path).filename().string());
}

DeviceTree DeviceTree::from_blob(std::vector<char> blob, std::string source_name) {
    return DeviceTree(std::move(blob), std::move(source_name));
}

void DeviceTree::apply_override(const std::string& spec) {
    const Override change = parse_override(spec);
    const int node = fdt_path_offset(blob_.data(), change.path.c_str());
    if (node < 0)
        throw override_error(spec, "no node " + change.path + " in " + source_name_);

    int err;
    if (!change.value) {
        err = fdt_delprop(blob_.data(), node, change.property.c_str());
        if (err == -FDT_ERR_NOTFOUND)
            err = 0;  // already absent, which is what `false` asks for
    } else {
        const std::vector<char>& bytes = *change.value;
        while ((err = fdt_setprop(blob_.data(), node, change.property.c_str(), bytes.data(),
                                  static_cast<int>(bytes.size()))) == -FDT_ERR_NOSPACE)
            grow(blob_, bytes.size() + change.property.size());
    }
    if (err < 0)
        throw override_error(spec, fdt_strerror(err));
}

DtNode DeviceTree::root() const { return DtNode(this, 0); }  // libfdt: the root is always at offset 0

std::optional<DtNode> DeviceTree::find(const std::string& path) const {
    const int offset = fdt_path_offset(blob_.data(), path.c_str());
    if (offset < 0)
        return std::nullopt;
    return DtNode(this, offset);
}

DtNode DeviceTree::at(const std::string& path) const {
    if (const std::optional<DtNode> node = find(path))
        return *node;
    throw ConfigError(source_name_ + ": no node " + path);
}

std::vector<DtNode> DeviceTree::all_nodes() const {
    std::vector<DtNode> nodes;
    int depth = 0;
    for (int offset = 0; offset >= 0 && depth >= 0; offset = fdt_next_node(blob_.data(), offset, &depth))
        nodes.emplace_back(this, offset);
    return nodes;
}

std::vector<DtNode> DeviceTree::available_nodes() const {
    std::vector<DtNode> nodes;
    int depth = 0;
    for (int offset = 0; offset >= 0 && depth >= 0;) {
        DtNode node(this, offset);
        if (node.is_available()) {
            nodes.push_back(node);
            offset = fdt_next_node(blob_.data(), offset, &depth);
            continue;
        }
        // Skip the subtree: the next node at this node's depth or shallower.
        const int own_depth = depth;
        do
            offset = fdt_next_node(blob_.data(), offset, &depth);
        while (offset >= 0 && depth > own_depth);
    }
    return nodes;
}

std::optional<DtNode> DeviceTree::by_phandle(uint32_t phandle) const {
    const int offset = fdt_node_offset_by_phandle(blob_.data(), phandle);
    if (offset < 0)
        return std::nullopt;
    return DtNode(this, offset);
}

}  // namespace platform
