// A flattened device tree loaded from a .dts (compiled by dtc) or a .dtb, read with libfdt.
// Every accessor that finds a property missing or malformed throws ConfigError naming the node
// path, the property and what was expected.
#pragma once

#include "platforms/errors.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace platform {

class DeviceTree;

// One (address, size) pair of a `reg` or one entry of `ranges`/`dma-ranges`.
struct RegEntry {
    uint64_t address = 0;
    uint64_t size = 0;
};

struct RangeEntry {
    uint64_t child_address = 0;
    uint64_t parent_address = 0;
    uint64_t size = 0;
};

// A handle on one node; cheap to copy, valid while its DeviceTree lives and is not modified.
class DtNode {
public:
    DtNode(const DeviceTree* tree, int offset) : tree_(tree), offset_(offset) {}

    int offset() const { return offset_; }
    const DeviceTree& tree() const { return *tree_; }
    std::string path() const;
    std::string name() const;  // "cpu@0"
    std::optional<DtNode> parent() const;
    std::vector<DtNode> children() const;
    std::optional<DtNode> child(const std::string& name) const;
    // Linux's of_device_is_available: no `status`, or "okay" / "ok". Any other status (e.g.
    // "disabled", "reserved", "fail") makes the node, and what it holds, absent for every purpose.
    bool is_available() const;

    bool has(const std::string& prop) const;
    std::vector<std::string> compatible() const;                      // empty if absent
    std::vector<std::string> strings(const std::string& prop) const;  // a string list; empty if absent
    bool is_compatible(const std::string& compat) const;

    // Required properties: throw ConfigError when missing or malformed.
    uint32_t u32(const std::string& prop) const;                 // exactly one cell
    uint64_t u64(const std::string& prop) const;                 // one or two cells
    std::string string(const std::string& prop) const;           // first string
    std::vector<uint32_t> cells(const std::string& prop) const;  // whole number of cells
    std::vector<RegEntry> reg() const;                           // decoded with the parent's #address-cells/#size-cells
    DtNode phandle_target(const std::string& prop) const;        // single phandle

    // Optional properties: the default when absent, ConfigError when present but malformed.
    uint32_t u32_or(const std::string& prop, uint32_t fallback) const;
    uint64_t u64_or(const std::string& prop, uint64_t fallback) const;
    std::string string_or(const std::string& prop, const std::string& fallback) const;
    bool flag(const std::string& prop) const { return has(prop); }

    // `ranges` / `dma-ranges` of this node, decoded with this node's #address-cells (child),
    // the parent's #address-cells (parent) and this node's #size-cells. Empty property means
    // identity mapping: returns std::nullopt for "absent", an empty vector for "empty".
    std::optional<std::vector<RangeEntry>> ranges(const std::string& prop = "ranges") const;

    uint32_t address_cells() const;  // of this node's children, default 2
    uint32_t size_cells() const;     // of this node's children, default 1

    [[noreturn]] void fail(const std::string& prop, const std::string& expected) const;

private:
    const void* raw(const std::string& prop, int* len) const;
    const DeviceTree* tree_;
    int offset_;
};

// Translates an address of `node` (in its parent's address space) to a system address.
using SystemAddress = std::function<uint64_t(const DtNode& node, uint64_t address)>;

class DeviceTree {
public:
    // Loads a .dts (compiled by running dtc with an argument vector, never a shell; the
    // file's folder and include_dirs are passed as -i) or a .dtb (by extension or magic).
    // dtc errors become ConfigError carrying dtc's message (file and line).
    static DeviceTree load(const std::string& path, const std::vector<std::string>& include_dirs = {});
    static DeviceTree from_blob(std::vector<char> blob, std::string source_name);

    // "/node/path:property=value". Value forms: "text" (string), <1 2 3> (32-bit cells),
    // a bare number (one cell if it fits in 32 bits, else two), `true` or empty (empty property),
    // `false` deletes the property. Throws ConfigError naming the spec on a bad form or path.
    void apply_override(const std::string& spec);

    DtNode root() const;
    std::optional<DtNode> find(const std::string& path) const;
    DtNode at(const std::string& path) const;  // ConfigError if missing
    std::vector<DtNode> all_nodes() const;     // depth-first, document order
    // all_nodes() less every node that is not available and its subtree, as Linux's walks with
    // for_each_available_child_of_node (of_platform_populate, of_dma_get_max_cpu_address,
    // fdt_scan_reserved_mem) leave them out.
    std::vector<DtNode> available_nodes() const;
    std::optional<DtNode> by_phandle(uint32_t phandle) const;

    const std::string& source_name() const { return source_name_; }  // file name, no folder
    const std::vector<char>& blob() const { return blob_; }

private:
    DeviceTree(std::vector<char> blob, std::string source_name);
    std::vector<char> blob_;
    std::string source_name_;
    friend class DtNode;
};

}  // namespace platform
