#include "sw/workloads/seed_buffer_objects.h"

#include "dma/context.h"
#include "dma/device.h"
#include "models/cpu/core.h"
#include "models/pci/pci_endpoint_test_regs.h"
#include "sw/drivers/gpu/ttm_anon_pool.h"
#include "sw/drivers/gpu/ttm_bo.h"
#include "sw/drivers/pci/hv_dma_constraints.h"
#include "sw/drivers/pci/pci_endpoint_test.h"
#include "sw/drivers/pci/pci_subsystem.h"
#include "sw/kernel/kernel.h"

#include <fmt/format.h>
#include <memory>
#include <stdexcept>

namespace sw {

namespace {

using namespace pci_endpoint_test;

constexpr const char* workload_name = "seed-buffer-objects";

// The test endpoint `name` names, or by default the one with the most address bits (`widest`) or
// the fewest: the first in bus order among equals.
PciEndpointTest& find_endpoint(WorkloadContext& context, const std::string& name, bool widest) {
    std::vector<PciDev*> bound = context.pci ? context.pci->bound_to(PciEndpointTest::driver_name)
                                             : std::vector<PciDev*>{};
    PciEndpointTest* chosen = nullptr;
    std::vector<std::string> names;
    for (PciDev* pdev : bound) {
        PciEndpointTest* test = PciEndpointTest::of(*pdev);
        names.push_back(pdev->name());
        if (!name.empty()) {
            if (pdev->name() == name)
                return *test;
            continue;
        }
        if (!chosen || (widest ? test->dma_bits() > chosen->dma_bits() : test->dma_bits() < chosen->dma_bits()))
            chosen = test;
    }
    if (chosen && bound.size() >= 2)
        return *chosen;
    throw std::runtime_error(fmt::format("{}: {} (bound to {}: {}); a platform with two DMA test endpoints is needed, "
                                         "e.g. arm-pci-noncoherent.dts or arm-pci-iommu.dts",
                                         workload_name,
                                         name.empty() ? std::string("fewer than two test endpoints")
                                                      : "no PCI function " + name,
                                         PciEndpointTest::driver_name,
                                         names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
}

std::optional<TtmPoolSwitches> switches_of(const std::string& pool) {
    if (pool == "plain")
        return TtmPoolSwitches{false, false};
    if (pool == "dma32")
        return TtmPoolSwitches{false, true};
    if (pool == "dma-alloc")
        return TtmPoolSwitches{true, true};
    return std::nullopt;  // auto: Linux's
}

TtmCaching caching_of(const std::string& name) {
    if (name == "wc")
        return TtmCaching::write_combined;
    if (name == "uc")
        return TtmCaching::uncached;
    return TtmCaching::cached;
}

class BufferObjects {
public:
    explicit BufferObjects(WorkloadContext& context)
        : context_(context), instr_(context.instr),
          wide_test_(find_endpoint(context, context.params.text("wide"), true)),
          narrow_test_(find_endpoint(context, context.params.text("narrow"), false)),
          wide_("wide", wide_test_.dev(), context.kernel, context.instr),
          narrow_("narrow", narrow_test_.dev(), context.kernel, context.instr,
                  switches_of(context.params.text("pool"))),
          fixed_(context.params.boolean("fixed")), policy_{context.params.text("unreachable") == "copy",
                                                           context.params.boolean("fixed"),
                                                           {}},
          stat_bad_device_reads_(instr_.counter("workload.buffer_objects.bad_device_reads")),
          stat_bad_cpu_checks_(instr_.counter("workload.buffer_objects.bad_cpu_checks")) {
        if (&wide_test_ == &narrow_test_)
            throw std::runtime_error(fmt::format("{}: the wide and the narrow device are the same function, {}",
                                                 workload_name, wide_test_.pdev().name()));
        if (context.params.text("copy") == "engine")
            policy_.engines = copy_engines();
    }

    void run() {
        uint64_t start_ps = context_.cpu.now_ps();
        bounces_before_ = stat("swiotlb.maps");
        bounced_before_ = stat("swiotlb.bounced_bytes");
        ptes_before_ = stat("iommu.ptes_written");
        std::vector<std::string> moves;
        {
            TtmBufferObject bo = create_bo();
            std::vector<uint8_t> data = pattern_bytes(bo.size(), 1);
            cpu_fill(bo, data);
            bind_anonymous(bo);
            device_read(wide_test_, bo, data);

            moves.push_back(to_string(bo.move_to(narrow_, policy_)));
            data = pattern_bytes(bo.size(), 2);  // the driver updates the BO on its new device
            cpu_fill(bo, data);
            device_read(narrow_test_, bo, data);
            std::vector<uint32_t> written = device_write(narrow_test_, bo);

            moves.push_back(to_string(bo.move_to(wide_, policy_)));
            cpu_check(bo, written);

            uint64_t hits_before = narrow_.pool().hits();
            moves.push_back(to_string(bo.move_to(narrow_, policy_)));
            instr_.counter("workload.buffer_objects.second_move_pool_hits") = narrow_.pool().hits() - hits_before;
            device_read_crcs(narrow_test_, bo, written);
        }
        instr_.counter("workload.buffer_objects.time_ns") = (context_.cpu.now_ps() - start_ps) / 1000;
        summarize(moves);
    }

private:
    // copy=engine: the endpoints' DMA engines, the wide one first, copy what a move copies (the
    // test function's COPY command through its driver).
    std::vector<TtmCopyEngine> copy_engines() {
        std::vector<TtmCopyEngine> engines;
        for (PciEndpointTest* test : {&wide_test_, &narrow_test_})
            engines.push_back(TtmCopyEngine{&test->dev(),
                                            [test](dma::dma_addr_t src, dma::dma_addr_t dst, uint64_t size) {
                                                return (test->run_command(COMMAND_COPY, src, dst,
                                                                          static_cast<uint32_t>(size)) &
                                                        STATUS_COPY_SUCCESS) != 0;
                                            }});
        return engines;
    }

    // The CPU writes the BO; the fixed driver ends its CPU access (syncs for the device).
    void cpu_fill(TtmBufferObject& bo, const std::vector<uint8_t>& data) {
        bo.cpu_write(0, data);
        if (fixed_)
            bo.end_cpu_access();
    }

    // The device reads every DMA segment and checks its CRC against `crcs` (one per segment).
    void device_read_crcs(PciEndpointTest& test, TtmBufferObject& bo, const std::vector<uint32_t>& crcs) {
        std::vector<TtmDmaSegment> segments = bo.dma_segments();
        for (size_t i = 0; i < segments.size(); ++i) {
            uint32_t status = test.run_command(COMMAND_READ, segments[i].addr, 0,
                                               static_cast<uint32_t>(segments[i].size), crcs.at(i));
            if (!(status & STATUS_READ_SUCCESS)) {
                ++stat_bad_device_reads_;
                ++context_.data_errors;
            }
        }
    }

    void device_read(PciEndpointTest& test, TtmBufferObject& bo, const std::vector<uint8_t>& data) {
        std::vector<uint32_t> crcs;
        for (const TtmDmaSegment& segment : bo.dma_segments())
            crcs.push_back(crc32_le(~0u, data.data() + segment.offset, segment.size));
        device_read_crcs(test, bo, crcs);
    }

    // The device overwrites the BO with its pattern: the CRC of each segment.
    std::vector<uint32_t> device_write(PciEndpointTest& test, TtmBufferObject& bo) {
        std::vector<uint32_t> crcs;
        for (const TtmDmaSegment& segment : bo.dma_segments()) {
            uint32_t status = test.run_command(COMMAND_WRITE, 0, segment.addr, static_cast<uint32_t>(segment.size));
            if (!(status & STATUS_WRITE_SUCCESS))
                throw std::runtime_error(fmt::format("{}: {} failed to write the BO at {:#x} (status {:#x})",
                                                     workload_name, test.pdev().name(), segment.addr, status));
            crcs.push_back(test.readl(PCI_ENDPOINT_TEST_CHECKSUM));
        }
        return crcs;
    }

    // The CPU checks what the device wrote (the fixed driver begins its CPU access first).
    void cpu_check(TtmBufferObject& bo, const std::vector<uint32_t>& crcs) {
        if (fixed_)
            bo.begin_cpu_access();
        std::vector<TtmDmaSegment> segments = bo.dma_segments();
        for (size_t i = 0; i < segments.size(); ++i) {
            std::vector<uint8_t> seen = bo.cpu_read(segments[i].offset, segments[i].size);
            context_.cpu.compute(seen.size() * PciEndpointTest::crc_cycles_per_byte);
            if (crc32_le(~0u, seen.data(), seen.size()) != crcs.at(i)) {
                ++stat_bad_cpu_checks_;
                ++context_.data_errors;
            }
        }
    }

    uint64_t stat(const std::string& name) const { return instr_.counter_value(name); }

    // Every hazard the coherence monitor reported (its hazards.<kind> counters).
    uint64_t hazards() const {
        uint64_t total = 0;
        for (const auto& [name, value] : instr_.counters())
            if (name.rfind("hazards.", 0) == 0)
                total += *value;
        return total;
    }

    // Pages the pools allocated, per device and zone: "narrow: 64 dma" and the stats
    // workload.buffer_objects.pages_<device>_<zone>.
    std::string pages_allocated() {
        std::vector<std::string> parts;
        for (const char* device : {"wide", "narrow"})
            for (Zone zone : {Zone::dma, Zone::dma32, Zone::normal}) {
                uint64_t pages = 0;
                std::vector<std::string> orders;
                for (TtmCaching caching : {TtmCaching::cached, TtmCaching::write_combined, TtmCaching::uncached})
                    for (unsigned order = 0; order <= TtmPool::max_order; ++order) {
                        uint64_t n = stat(TtmPool::pages_stat(device, caching, order, zone));
                        if (n)
                            orders.push_back(fmt::format("{}x{}:o{}", n >> order, to_string(caching), order));
                        pages += n;
                    }
                instr_.counter(fmt::format("workload.buffer_objects.pages_{}_{}", device,
                                           TtmPool::zone_name(zone))) = pages;
                if (pages)
                    parts.push_back(fmt::format("{} {} {} ({})", device, pages, to_string(zone),
                                                fmt::join(orders, " ")));
            }
        return parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ", "));
    }

    void summarize(const std::vector<std::string>& moves) {
        auto copy_stat = [&](const std::string& name, uint64_t value) {
            instr_.counter("workload.buffer_objects." + name) = value;
            return value;
        };
        uint64_t copies = copy_stat("bo_copies", stat("ttm.moves.copy"));
        uint64_t copied = copy_stat("bytes_copied", stat("ttm.bytes_copied"));
        copy_stat("cpu_copies", stat("ttm.cpu_copies"));
        uint64_t engine_copies = copy_stat("engine_copies", stat("ttm.engine_copies"));
        copy_stat("engine_bytes_copied", stat("ttm.engine_bytes_copied"));
        uint64_t ptes = copy_stat("ptes_written", stat("iommu.ptes_written") - ptes_before_);
        uint64_t bounces = copy_stat("bounces", stat("swiotlb.maps") - bounces_before_);
        uint64_t bounced = copy_stat("bytes_bounced", stat("swiotlb.bounced_bytes") - bounced_before_);
        uint64_t iovas = copy_stat("iova_allocations", stat("ttm.iova_allocations"));
        uint64_t cleaned = copy_stat("bytes_cleaned", stat("ttm.bytes_cleaned"));
        uint64_t invalidated = copy_stat("bytes_invalidated", stat("ttm.bytes_invalidated"));
        TtmPool& pool = narrow_.pool();
        std::string config = fmt::format("{}{}{}{}",
                                         pool.use_dma_alloc() ? "dma-alloc"
                                         : pool.use_dma32()   ? "dma32"
                                                              : "plain",
                                         narrow_.behind_iommu() ? "+iommu" : "",
                                         policy_.copy_unreachable ? " (copy)" : "",
                                         policy_.engines.empty() ? "" : " +engine");
        context_.summary.push_back(fmt::format(
            "{}: a {}-page {} BO, {} ({} bits) -> {} ({} bits, pool: {}) and back, {}: moves {}", workload_name,
            context_.params.integer("pages"), context_.params.text("caching"), wide_test_.pdev().name(),
            wide_test_.dma_bits(), narrow_test_.pdev().name(), narrow_test_.dma_bits(), config,
            fixed_ ? "synced around CPU access" : "no sync after populate (as TTM)", fmt::join(moves, ", ")));
        context_.summary
            .push_back(fmt::format("  {:<27} {:>6} {:>6} {:>10} {:>7} {:>10} {:>9} {:>6} {:>6} {:>10} {:>12} {:>11} "
                                   "{:>6} {:>7}",
                                   "configuration", "copies", "engine", "copied", "bounces", "bounced", "pool hits",
                                   "IOVAs", "PTEs", "cleaned", "invalidated", "time (us)", "errors", "hazards"));
        context_.summary.push_back(
            fmt::format("  {:<27} {:>6} {:>6} {:>10} {:>7} {:>10} {:>9} {:>6} {:>6} {:>10} {:>12} {:>11} {:>6} {:>7}",
                        config, copies, engine_copies, copied, bounces, bounced,
                        stat("workload.buffer_objects.second_move_pool_hits"), iovas, ptes, cleaned, invalidated,
                        stat("workload.buffer_objects.time_ns") / 1000, context_.data_errors, hazards()));
        context_.summary.push_back("  pages allocated: " + pages_allocated());
        if (anon_pool_)
            summarize_anonymous();
    }

    // The BO on the wide device, or with anonymous=true from the pool of anonymous BOs (seed 001),
    // bound to no device yet.
    TtmBufferObject create_bo() {
        uint64_t pages = context_.params.integer("pages");
        TtmCaching caching = caching_of(context_.params.text("caching"));
        if (!context_.params.boolean("anonymous"))
            return TtmBufferObject(wide_, pages, caching);
        anon_pool_ = ttm_anon_pool_create(context_.pci, context_.kernel, instr_);
        return TtmBufferObject(*anon_pool_, pages, caching);
    }

    // An anonymous BO's first binding: to the wide device, as the driver that takes it would.
    void bind_anonymous(TtmBufferObject& bo) {
        if (!bo.bound())
            first_bind_ = to_string(bo.move_to(wide_, policy_));
    }

    // Where the anonymous BO's pages came from: through the hypervisor's function (coherent
    // allocations) or, on bare metal, from the page allocator.
    void summarize_anonymous() {
        HvDmaConstraints* hypervisor = HvDmaConstraints::find(context_.pci);
        std::string prefix = fmt::format("ttm.{}.", ttm_anon_pool_label);
        uint64_t coherent = instr_.counter("workload.buffer_objects.anon_coherent_allocations") =
            stat(prefix + "coherent_allocations");
        uint64_t allocator = instr_.counter("workload.buffer_objects.anon_allocator_pages") = stat(prefix +
                                                                                                   "allocator_pages");
        context_.summary.push_back(fmt::format(
            "  anonymous BO: {}: coherent allocations: {}, pages from the page allocator: {}; first bind to {}: {}",
            hypervisor ? fmt::format("through the hypervisor's function {} ({} bits)", hypervisor->pdev().name(),
                                     hypervisor->dma_bits())
                       : std::string("bare metal (no hypervisor's function)"),
            coherent, allocator, wide_test_.pdev().name(), first_bind_));
    }

    WorkloadContext& context_;
    models::Instrumentation& instr_;
    PciEndpointTest& wide_test_;
    PciEndpointTest& narrow_test_;
    TtmDevice wide_;
    TtmDevice narrow_;
    bool fixed_;
    TtmMovePolicy policy_;
    uint64_t& stat_bad_device_reads_;
    uint64_t& stat_bad_cpu_checks_;
    uint64_t bounces_before_ = 0;  // swiotlb's counts before the run: boot maps some buffers
    uint64_t bounced_before_ = 0;
    uint64_t ptes_before_ = 0;            // the IOMMU's descriptors before the run (boot maps some buffers)
    std::unique_ptr<TtmPool> anon_pool_;  // with anonymous=true
    std::string first_bind_;              // how the anonymous BO was first bound
};

}  // namespace

Workload seed_buffer_objects_workload() {
    return Workload{
        workload_name,
        "seed experiment 4: a TTM buffer object moved between a 64-bit and a 32-bit device and back, and again (pool "
        "hits): copies, bounces, IOVAs and cache maintenance per pool configuration; fixed=false leaves out the "
        "syncs TTM leaves out",
        {
            {"pool",
             ParamType::choice,
             "auto",
             "the narrow device's TTM pool: Linux's choice, plain pages, DMA32 pages, or a per-device dma_alloc pool",
             {"auto", "plain", "dma32", "dma-alloc"}},
            {"unreachable",
             ParamType::choice,
             "bounce",
             "plain pages the target cannot reach: mapped and bounced by swiotlb, or copied into pages it reaches",
             {"bounce", "copy"}},
            {"copy",
             ParamType::choice,
             "cpu",
             "who copies a move's pages: the CPU, or the DMA engine of an endpoint that reaches the old and the new "
             "pages (the CPU when none does)",
             {"cpu", "engine"}},
            {"fixed", ParamType::boolean, "true", "sync around CPU access and after a move's copy", {}},
            {"caching", ParamType::choice, "cached", "the BO's CPU caching", {"cached", "wc", "uc"}},
            {"pages", ParamType::integer, "64", "pages of the BO", {}, 1, 4096},
            {"anonymous",
             ParamType::boolean,
             "false",
             "create the BO before binding it, from the pool of anonymous BOs: through the hypervisor's "
             "DMA-constraints "
             "function when it is there (seed 001), from the page allocator on bare metal",
             {}},
            {"wide", ParamType::text, "", "the 64-bit device's PCI function; default: the widest test endpoint", {}},
            {"narrow",
             ParamType::text,
             "",
             "the narrow device's PCI function; default: the narrowest test endpoint",
             {}},
        },
        [](WorkloadContext& context) { BufferObjects(context).run(); },
    };
}

}  // namespace sw
