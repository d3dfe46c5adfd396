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
// modelled: the count is accepted and has no effect). noforce leaves the system without a bounce
// buffer (swiotlb_init does nothing under swiotlb_force_disable).
void parse_swiotlb(const DtNode& chosen, const std::string& value, dma::Policy& policy) {
    std::vector<std::string> parts = split(value, ',');
    for (size_t i = 0; i < parts.size(); ++i) {
        uint64_t number = 0;
        if (parts[i] == "force" || parts[i] == "noforce") {  // noforce: swiotlb_force_disable
            policy.swiotlb_force = parts[i] == "force";
            policy.swiotlb_disabled = parts[i] == "noforce";
        } else if (i < 2 && sw::parse_size(parts[i], number) && number > 0 && number <= max_swiotlb_slots)
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
    } else if (key == "coherent_pool") {  // early_coherent_pool: 0 leaves Linux's default size
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

// The first CPU: the first available /cpus child with device_type "cpu", the core the platform
// builds first.
std::optional<DtNode> first_cpu(const DeviceTree& tree) {
    for (const DtNode& node : tree.available_nodes())
        if (node.path().rfind("/cpus/", 0) == 0 && node.string_or("device_type", "") == "cpu")
            return node;
    return std::nullopt;
}

// The profile: /chosen's dmasim,arch; else the first CPU's part (models::find_cpu_part, as Linux
// runs the kernel built for the architecture of the core it boots on); else arm64's - Linux's
// current choices - with a warning when there is a CPU whose compatible names no part dmasim knows.
void choose_arch(const DeviceTree& tree, const std::optional<DtNode>& chosen, BootParams& params) {
    if (chosen && chosen->has("dmasim,arch")) {
        std::string arch = chosen->string("dmasim,arch");
        if (arch != "armv7" && arch != "arm64")
            chosen->fail("dmasim,arch", fmt::format("\"armv7\" or \"arm64\", got \"{}\"", arch));
        params.arch = arch == "armv7" ? models::CpuArch::armv7 : models::CpuArch::arm64;
        params.arch_set_by = "/chosen dmasim,arch";
        return;
    }
    std::optional<DtNode> cpu = first_cpu(tree);
    std::vector<std::string> compatible = cpu ? cpu->compatible() : std::vector<std::string>{};
    if (const models::CpuPart* part = models::find_cpu_part(compatible)) {
        params.arch = part->arch;
        params.arch_set_by = fmt::format("{} compatible \"{}\"", cpu->path(), part->compatible);
        return;
    }
    params.arch = models::CpuArch::arm64;
    params.arch_set_by = "default: no CPU part known";
    if (cpu)
        params.warnings.push_back(fmt::format("{}: node {}: compatible \"{}\" names no CPU part dmasim knows; the DMA "
                                              "profile is arm64's (/chosen dmasim,arch = \"armv7\" or \"arm64\" "
                                              "chooses)",
                                              tree.source_name(), cpu->path(), fmt::join(compatible, "\", \"")));
}

// The profile's choices, each overridden by its /chosen property and recorded with what set it.
class Choices {
public:
    Choices(const std::optional<DtNode>& chosen, BootParams& params)
        : chosen_(chosen), params_(params), profile_(fmt::format("{} profile", models::to_string(params.arch))) {}

    template <typename T>
    void one_of(const char* property, const std::vector<std::pair<std::string, T>>& values, T& field) {
        std::string set_by = profile_;
        if (chosen_ && chosen_->has(property)) {
            std::string given = chosen_->string(property);
            auto match = std::find_if(values.begin(), values.end(), [&](const auto& v) { return v.first == given; });
            if (match == values.end()) {
                std::vector<std::string> names;
                for (const auto& value : values)
                    names.push_back("\"" + value.first + "\"");
                chosen_->fail(property, fmt::format("{}, got \"{}\"", fmt::join(names, " or "), given));
            }
            field = match->second;
            set_by = "/chosen";
        }
        for (const auto& value : values)
            if (value.second == field)
                params_.dma_choices.push_back({property, value.first, set_by});
    }
    // A power of two up to a page (kmalloc's alignment).
    void one_of(const char* property, uint64_t& field) {
        std::string set_by = profile_;
        if (chosen_ && chosen_->has(property)) {
            uint64_t align = chosen_->u64(property);
            if (align == 0 || (align & (align - 1)) || align > 4096)
                chosen_->fail(property, fmt::format("a power of two up to 4096, got {}", align));
            field = align;
            set_by = "/chosen";
        }
        params_.dma_choices.push_back({property, std::to_string(field), set_by});
    }

private:
    const std::optional<DtNode>& chosen_;
    BootParams& params_;
    std::string profile_;
};
}  // namespace

const std::vector<std::pair<std::string, std::string>>& known_bootargs() {
    static const std::vector<std::pair<std::string, std::string>> known = {
        {"swiotlb=<slots>[,force|noforce]", "swiotlb pool size in 2 KiB slots (default 32768 = 64 MiB); force "
                                            "bounces every streaming mapping, noforce leaves no bounce buffer"},
        {"coherent_pool=<size>", "atomic pool for non-blocking coherent allocations (default, or 0: 128 KiB per GiB "
                                 "of RAM, 128 KiB to 4 MiB)"},
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

dma::Policy arch_policy(models::CpuArch arch) {
    dma::Policy policy;
    if (arch == models::CpuArch::armv7) {
        policy.kmalloc_min_align = 64;  // ARCH_DMA_MINALIGN = L1_CACHE_BYTES (ARM_L1_CACHE_SHIFT 6)
        policy.kmalloc_bounce = false;  // DMA_BOUNCE_UNALIGNED_KMALLOC is arm64's alone
        policy.dma_cache_alignment = 64;
        policy.from_device_map = dma::FromDeviceMapPolicy::invalidate;
    } else {
        policy.kmalloc_min_align = 8;  // ARCH_KMALLOC_MINALIGN
        policy.kmalloc_bounce = true;
        policy.dma_cache_alignment = 128;  // arch/arm64/include/asm/cache.h ARCH_DMA_MINALIGN
        policy.from_device_map = dma::FromDeviceMapPolicy::clean;
    }
    policy.inv_partial_lines = sw::PartialLines::clean_invalidate;
    policy.coherent_memory = dma::CoherentMemType::normal_nc;
    return policy;
}

BootParams parse_boot_params(const DeviceTree& tree) {
    BootParams params;
    std::optional<DtNode> chosen = tree.find("/chosen");
    choose_arch(tree, chosen, params);
    params.dma = arch_policy(params.arch);
    if (chosen) {
        // Empty is as good as absent (early_init_dt_scan_chosen copies whatever is there).
        const std::vector<std::string> bootargs = chosen->strings("bootargs");
        params.bootargs = bootargs.empty() ? "" : bootargs[0];
        std::istringstream tokens(params.bootargs);
        for (std::string token; tokens >> token;)
            parse_bootarg(tree, *chosen, token, params);
    }
    // __kmalloc_minalign (mm/slab_common.c): kmalloc relies on bouncing for its small objects only
    // when there is a swiotlb buffer to bounce through; without one (swiotlb=noforce) it aligns
    // them to dma_get_cache_alignment().
    if (params.dma.kmalloc_bounce && params.dma.swiotlb_disabled)
        params.dma.kmalloc_min_align = params.dma.dma_cache_alignment;

    Choices choices(chosen, params);
    choices.one_of("dmasim,kmalloc-min-align", params.dma.kmalloc_min_align);
    choices.one_of("dmasim,dma-kmalloc-bounce", {{"on", true}, {"off", false}}, params.dma.kmalloc_bounce);
    choices.one_of("dmasim,dma-from-device-map",
                   {{"clean", dma::FromDeviceMapPolicy::clean}, {"invalidate", dma::FromDeviceMapPolicy::invalidate}},
                   params.dma.from_device_map);
    choices.one_of("dmasim,dma-inv-partial-lines",
                   {{"clean-invalidate", sw::PartialLines::clean_invalidate},
                    {"invalidate", sw::PartialLines::invalidate}},
                   params.dma.inv_partial_lines);
    choices.one_of("dmasim,dma-coherent-memory",
                   {{"normal-nc", dma::CoherentMemType::normal_nc},
                    {"strongly-ordered", dma::CoherentMemType::strongly_ordered}},
                   params.dma.coherent_memory);
    if (chosen) {
        std::string alias = chosen->string_or("dmasim,dma-alias", "removed");
        if (alias != "removed" && alias != "kept")
            chosen->fail("dmasim,dma-alias", fmt::format("\"removed\" or \"kept\", got \"{}\"", alias));
        params.dma.alias = alias == "removed" ? dma::AliasPolicy::removed : dma::AliasPolicy::kept;

        std::string pool_debug = chosen->string_or("dmasim,dma-pool-debug", "off");
        if (pool_debug != "on" && pool_debug != "off")
            chosen->fail("dmasim,dma-pool-debug", fmt::format("\"on\" or \"off\", got \"{}\"", pool_debug));
        params.dma.pool_debug = pool_debug == "on";
    }
    return params;
}

}  // namespace platform
