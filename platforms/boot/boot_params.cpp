#include "platforms/boot/boot_params.h"

#include "sw/drivers/mfd/mfd.h"
#include "sw/workloads/workload.h"

#include <algorithm>
#include <fmt/format.h>
#include <optional>
#include <sstream>

namespace platform {

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, separator))
        parts.push_back(part);
    return parts;
}

// More 2 KiB slots than this (2 PiB) no platform has RAM for; the bound keeps the pool's byte size
// far from 64-bit overflow.
constexpr uint64_t max_swiotlb_slots = 1ULL << 40;

// Linux's setup_io_tlb_npages: swiotlb=[<nslabs>][,<nareas>][,force|noforce] (areas are not
// modelled: the count is accepted and has no effect).
void parse_swiotlb(const DtNode& chosen, const std::string& value, dma::Policy& policy) {
    std::vector<std::string> parts = split(value, ',');
    for (size_t i = 0; i < parts.size(); ++i) {
        uint64_t number = 0;
        if (parts[i] == "force" || parts[i] == "noforce")
            policy.swiotlb_force = parts[i] == "force";
        else if (i < 2 && sw::parse_size(parts[i], number) && number > 0 && number <= max_swiotlb_slots)
            policy.swiotlb_slots = i == 0 ? number : policy.swiotlb_slots;
        else if (!(i == 0 && parts[i].empty()))
            chosen.fail("bootargs", fmt::format("swiotlb=[<slots>][,<areas>][,force|noforce] with counts from 1 to "
                                                "2^40, got \"swiotlb={}\"",
                                                value));
    }
}

// Linux's kstrtobool, which reads boolean boot parameters (iommu.strict=, module bool params such
// as arm-smmu.disable_bypass=): y/Y/t/T/1 or n/N/f/F/0 by the first character, on/off by two.
std::optional<bool> kstrtobool(const std::string& value) {
    if (value.empty())
        return std::nullopt;
    switch (value[0]) {
    case 'y':
    case 'Y':
    case 't':
    case 'T':
    case '1': return true;
    case 'n':
    case 'N':
    case 'f':
    case 'F':
    case '0': return false;
    case 'o':
    case 'O':
        if (value.size() > 1 && (value[1] == 'n' || value[1] == 'N'))
            return true;
        if (value.size() > 1 && (value[1] == 'f' || value[1] == 'F'))
            return false;
        return std::nullopt;
    default: return std::nullopt;
    }
}

bool parse_bool(const DtNode& chosen, const std::string& token, const std::string& value) {
    std::optional<bool> parsed = kstrtobool(value);
    if (!parsed)
        chosen.fail("bootargs", fmt::format("{}=0 or 1 (or y/n, on/off, as Linux's kstrtobool reads it), got \"{}\"",
                                            token.substr(0, token.find('=')), token));
    return *parsed;
}

// Linux's parameq: '-' and '_' are the same in a parameter's name (arm_smmu.disable_bypass is
// arm-smmu.disable_bypass, dmasim-mfd.declare_sram is dmasim_mfd.declare_sram).
std::string parameter_name(std::string key) {
    std::replace(key.begin(), key.end(), '-', '_');
    return key;
}

void parse_bootarg(const DeviceTree& tree, const DtNode& chosen, const std::string& token, BootParams& params) {
    size_t equals = token.find('=');
    std::string key = parameter_name(token.substr(0, equals));
    std::string value = equals == std::string::npos ? "" : token.substr(equals + 1);
    if (key == "swiotlb") {
        parse_swiotlb(chosen, value, params.dma);
    } else if (key == "coherent_pool") {
        if (!sw::parse_size(value, params.dma.atomic_pool_size))
            chosen.fail("bootargs", fmt::format("coherent_pool=<size> (e.g. 256K), got \"{}\"", token));
    } else if (key == "dma_debug") {
        if (value != "off" && value != "on")
            chosen.fail("bootargs", fmt::format("dma_debug=off or dma_debug=on, got \"{}\"", token));
        params.dma.debug = value == "on";
    } else if (key == "iommu.strict") {
        params.dma.iommu_strict = parse_bool(chosen, token, value);
    } else if (key == "arm_smmu.disable_bypass") {
        params.arm_smmu_disable_bypass = parse_bool(chosen, token, value);
    } else if (key == sw::Mfd::declare_sram_param) {
        params.mfd_declare_sram = parse_bool(chosen, token, value);
    } else {
        params.warnings.push_back(fmt::format("{}: node /chosen: bootargs parameter \"{}\" is not one dmasim knows; "
                                              "ignored",
                                              tree.source_name(), token));
    }
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& known_bootargs() {
    static const std::vector<std::pair<std::string, std::string>> known = {
        {"swiotlb=<slots>[,force]", "swiotlb pool size in 2 KiB slots (default 32768 = 64 MiB); force bounces "
                                    "every streaming mapping"},
        {"coherent_pool=<size>", "atomic pool for non-blocking coherent allocations (default 256K)"},
        {"dma_debug=off", "switches the dma-debug checker off (default on)"},
        {"iommu.strict=0", "lazy IOMMU unmaps: IOTLB invalidations deferred to a flush queue (default 1: strict, "
                           "invalidated before unmap returns)"},
        {"arm-smmu.disable_bypass=0", "lets streams no SMR matches bypass the SMMU (default 1: they fault)"},
        {std::string(sw::Mfd::declare_sram_param) + "=1",
         "the MFD driver splits its SRAM between its cells and each cell's driver declares its slice as its "
         "coherent pool at probe (dma_declare_coherent_memory, as SM501's cells do), in place of the memory-region "
         "pool (default 0)"},
    };
    return known;
}

BootParams parse_boot_params(const DeviceTree& tree) {
    BootParams params;
    std::optional<DtNode> chosen = tree.find("/chosen");
    if (!chosen)
        return params;
    // Empty is as good as absent (early_init_dt_scan_chosen copies whatever is there).
    const std::vector<std::string> bootargs = chosen->strings("bootargs");
    params.bootargs = bootargs.empty() ? "" : bootargs[0];
    std::istringstream tokens(params.bootargs);
    for (std::string token; tokens >> token;)
        parse_bootarg(tree, *chosen, token, params);

    std::string from_device = chosen->string_or("dmasim,dma-from-device-map", "clean");
    if (from_device != "clean" && from_device != "invalidate")
        chosen->fail("dmasim,dma-from-device-map", fmt::format("\"clean\" or \"invalidate\", got \"{}\"", from_device));
    params.dma.from_device_map = from_device == "clean" ? dma::FromDeviceMapPolicy::clean
                                                        : dma::FromDeviceMapPolicy::invalidate;

    std::string alias = chosen->string_or("dmasim,dma-alias", "removed");
    if (alias != "removed" && alias != "kept")
        chosen->fail("dmasim,dma-alias", fmt::format("\"removed\" or \"kept\", got \"{}\"", alias));
    params.dma.alias = alias == "removed" ? dma::AliasPolicy::removed : dma::AliasPolicy::kept;

    std::string pool_debug = chosen->string_or("dmasim,dma-pool-debug", "off");
    if (pool_debug != "on" && pool_debug != "off")
        chosen->fail("dmasim,dma-pool-debug", fmt::format("\"on\" or \"off\", got \"{}\"", pool_debug));
    params.dma.pool_debug = pool_debug == "on";

    params.kmalloc_min_align = chosen->u64_or("dmasim,kmalloc-min-align", 0);
    uint64_t align = params.kmalloc_min_align;
    if (align && ((align & (align - 1)) || align > 4096))
        chosen->fail("dmasim,kmalloc-min-align", fmt::format("a power of two up to 4096, got {}", align));
    return params;
}

}  // namespace platform
