#include "sw/workloads/seed_missing_sync.h"

#include "dma/mapping.h"
#include "models/cpu/core.h"
#include "models/pci/pci_endpoint_test_regs.h"
#include "sw/drivers/pci/pci_endpoint_test.h"
#include "sw/drivers/pci/pci_subsystem.h"
#include "sw/kernel/kernel.h"

#include <fmt/format.h>
#include <stdexcept>
#include <vector>

namespace sw {

namespace {

using namespace pci_endpoint_test;

// The device bound to pci-endpoint-test that `name` names, or the first one.
PciEndpointTest& find_test_device(WorkloadContext& context, const std::string& name) {
    std::vector<PciDev*> bound = context.pci ? context.pci->bound_to(PciEndpointTest::driver_name)
                                             : std::vector<PciDev*>{};
    std::vector<std::string> names;
    for (PciDev* pdev : bound) {
        if (name.empty() || pdev->name() == name)
            return *PciEndpointTest::of(*pdev);
        names.push_back(pdev->name());
    }
    throw std::runtime_error(fmt::format("seed-missing-sync: no PCI function {}bound to {} (bound: {}); a platform "
                                         "with the DMA test endpoint is needed, e.g. arm-pci-noncoherent.dts",
                                         name.empty() ? "" : name + " ", PciEndpointTest::driver_name,
                                         names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
}

// A receive buffer the driver keeps for every transfer: cacheable, owned through syncs.
struct RxBuffer {
    uint64_t va = 0;
    dma::dma_addr_t handle = 0;
};

class MissingSync {
public:
    MissingSync(WorkloadContext& context)
        : context_(context), test_(find_test_device(context, context.params.text("endpoint"))), dev_(test_.dev()),
          cpu_(context.cpu), size_(context.params.integer("size")), fixed_(context.params.boolean("fixed")),
          kmalloc_(context.params.text("buffer") == "kmalloc"),
          stat_transfers_(context.instr.counter("workload.missing_sync.transfers")),
          stat_bad_(context.instr.counter("workload.missing_sync.bad_checksums")),
          ev_bad_(context.instr.declare_event("workload.missing_sync", "a transfer the seed-missing-sync driver got "
                                                                       "wrong")) {}

    void run() {
        RxBuffer rx = allocate();
        uint64_t transfers = context_.params.integer("transfers");
        for (uint64_t n = 0; n < transfers; ++n)
            receive(rx, n);
        release(rx);
        context_.summary.push_back(fmt::format(
            "seed-missing-sync: {} transfers of {} bytes from {} into a {} buffer, {} dma_sync_single_for_cpu: "
            "{} with a wrong checksum, {} wrong bytes read",
            transfers, size_, test_.pdev().name(), kmalloc_ ? "kmalloc'd, mapped" : "dma_alloc_noncoherent",
            fixed_ ? "with" : "without", stat_bad_, context_.data_errors));
    }

private:
    RxBuffer allocate() {
        RxBuffer rx;
        if (kmalloc_) {
            rx.va = context_.kernel.kmalloc().kmalloc(size_);
            rx.handle = rx.va ? dma::map_single(dev_, rx.va, size_, dma::DmaDirection::from_device)
                              : dma::DMA_MAPPING_ERROR;
        } else {
            rx.va = dma::alloc_noncoherent(dev_, size_, rx.handle, dma::DmaDirection::from_device);
        }
        if (!rx.va || dma::mapping_error(dev_, rx.handle))
            throw std::runtime_error(fmt::format("seed-missing-sync: no {}-byte receive buffer for {}", size_,
                                                 dev_.name()));
        return rx;
    }

    void release(const RxBuffer& rx) {
        if (kmalloc_) {
            dma::unmap_single(dev_, rx.handle, size_, dma::DmaDirection::from_device);
            context_.kernel.kmalloc().kfree(rx.va);
        } else {
            dma::free_noncoherent(dev_, size_, rx.va, rx.handle, dma::DmaDirection::from_device);
        }
    }

    void receive(const RxBuffer& rx, uint64_t n) {
        cpu_.fill_block(rx.va, 0, size_);  // the driver clears the buffer before giving it back
        dma::sync_single_for_device(dev_, rx.handle, size_, dma::DmaDirection::from_device);
        uint32_t status = test_.run_command(COMMAND_WRITE, 0, rx.handle, static_cast<uint32_t>(size_));
        if (fixed_)
            dma::sync_single_for_cpu(dev_, rx.handle, size_, dma::DmaDirection::from_device);
        std::vector<uint8_t> seen(size_);
        cpu_.read_block(rx.va, seen.data(), size_);
        cpu_.compute(size_ * PciEndpointTest::crc_cycles_per_byte);
        uint32_t crc = crc32_le(~0u, seen.data(), size_);
        uint32_t checksum = test_.readl(PCI_ENDPOINT_TEST_CHECKSUM);
        ++stat_transfers_;
        uint64_t wrong = count_wrong_bytes(rx, seen);
        if (!(status & STATUS_WRITE_SUCCESS))
            throw std::runtime_error(fmt::format("seed-missing-sync: {} failed transfer {} (status {:#x})", dev_.name(),
                                                 n, status));
        if (crc == checksum && wrong == 0)
            return;
        ++stat_bad_;
        context_.data_errors += wrong;
        if (ev_bad_.enabled())
            context_.instr.emit(ev_bad_, models::Event{cpu_.now_ps(),
                                                       nullptr,
                                                       dev_.name(),
                                                       {{"transfer", n},
                                                        {"crc32", uint64_t(crc)},
                                                        {"checksum", uint64_t(checksum)},
                                                        {"wrong_bytes", wrong}}});
    }

    // What the driver should have seen, taken the proper way once it is done with the buffer.
    uint64_t count_wrong_bytes(const RxBuffer& rx, const std::vector<uint8_t>& seen) {
        dma::sync_single_for_cpu(dev_, rx.handle, size_, dma::DmaDirection::from_device);
        std::vector<uint8_t> truth(size_);
        cpu_.read_block(rx.va, truth.data(), size_);
        uint64_t wrong = 0;
        for (uint64_t i = 0; i < size_; ++i)
            wrong += seen[i] != truth[i];
        return wrong;
    }

    WorkloadContext& context_;
    PciEndpointTest& test_;
    dma::Device& dev_;
    models::Core& cpu_;
    uint64_t size_;
    bool fixed_;
    bool kmalloc_;
    uint64_t& stat_transfers_;
    uint64_t& stat_bad_;
    models::EventKind ev_bad_;
};

}  // namespace

Workload seed_missing_sync_workload() {
    return Workload{
        "seed-missing-sync",
        "seed experiment 1: a driver reads what the DMA test endpoint wrote into its buffer without "
        "dma_sync_single_for_cpu (fixed=true: with it); stale cache lines or a bounce buffer never copied back",
        {
            {"fixed", ParamType::boolean, "false", "the driver calls dma_sync_single_for_cpu before reading", {}},
            {"endpoint",
             ParamType::text,
             "",
             "the PCI function (e.g. 0000:00:02.0); default: the first test endpoint",
             {}},
            {"buffer",
             ParamType::choice,
             "noncoherent",
             "the receive buffer: dma_alloc_noncoherent, or kmalloc'd and mapped once (bounced when out of reach)",
             {"noncoherent", "kmalloc"}},
            {"transfers", ParamType::integer, "8", "device-write / CPU-read transfers", {}, 1, 100000},
            {"size", ParamType::size, "4K", "bytes per transfer", {}, 64, 1 << 20},
        },
        [](WorkloadContext& context) { MissingSync(context).run(); },
    };
}

}  // namespace sw
