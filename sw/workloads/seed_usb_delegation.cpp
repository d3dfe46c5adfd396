#include "sw/workloads/seed_usb_delegation.h"

#include "dma/context.h"
#include "dma/mapping.h"
#include "models/cpu/core.h"
#include "models/usb/usb_protocol.h"
#include "sw/drivers/pci/pci_subsystem.h"
#include "sw/drivers/usb/uhc_hcd.h"
#include "sw/drivers/usb/usb_storage.h"
#include "sw/kernel/kernel.h"

#include <fmt/format.h>
#include <stdexcept>
#include <vector>

namespace sw {

namespace {

using usb::storage_block_size;

struct Storage {
    UhcHcd* hcd = nullptr;
    UsbDevice* udev = nullptr;
};

// The first USB device bound to usb-storage behind a dmasim-uhc controller.
Storage find_storage(WorkloadContext& context) {
    if (context.pci)
        for (PciDev* pdev : context.pci->bound_to(UhcHcd::hcd_name)) {
            UhcHcd* hcd = UhcHcd::of(*pdev);
            for (UsbDevice* udev : hcd->bus().bound_to(UsbStorage::driver_name))
                return {hcd, udev};
        }
    throw std::runtime_error(fmt::format("seed-usb-delegation: no USB device bound to {} behind a {} controller; a "
                                         "platform with dmasim's USB host controller and a storage device on its "
                                         "root hub is needed, e.g. arm-pci-noncoherent.dts",
                                         UsbStorage::driver_name, UhcHcd::hcd_name));
}

// Pages from ZONE_NORMAL (the highest zone: above 4 GiB where there is RAM there).
class HighBuffer {
public:
    HighBuffer(Kernel& kernel, uint64_t size) : kernel_(kernel), order_(PageAllocator::get_order(size)) {
        std::optional<uint64_t> pa = kernel.page_allocator().alloc_pages(order_, Zone::normal);
        if (!pa)
            throw std::runtime_error(fmt::format("seed-usb-delegation: no {} free pages for a {}-byte buffer",
                                                 1u << order_, size));
        pa_ = *pa;
    }
    ~HighBuffer() { kernel_.page_allocator().free_pages(pa_, order_); }
    HighBuffer(const HighBuffer&) = delete;
    HighBuffer& operator=(const HighBuffer&) = delete;
    uint64_t pa() const { return pa_; }
    uint64_t va() const { return Kernel::phys_to_virt(pa_); }

private:
    Kernel& kernel_;
    unsigned order_;
    uint64_t pa_ = 0;
};

class UsbDelegation {
public:
    explicit UsbDelegation(WorkloadContext& context)
        : context_(context), found_(find_storage(context)), cpu_(context.cpu), size_(context.params.integer("size")),
          blocks_(static_cast<uint32_t>(size_ / storage_block_size)), transfers_(context.params.integer("transfers")),
          delegate_(context.params.boolean("delegate")),
          stat_transfers_(context.instr.counter("workload.usb_delegation.transfers")),
          stat_failed_(context.instr.counter("workload.usb_delegation.failed")),
          stat_bounced_maps_(context.instr.counter("workload.usb_delegation.bounced_maps")),
          stat_bounced_bytes_(context.instr.counter("workload.usb_delegation.bounced_bytes")),
          ev_failed_(context.instr.declare_event("workload.usb_delegation", "a USB storage transfer of "
                                                                            "seed-usb-delegation failed")) {
        if (size_ % storage_block_size)
            throw std::runtime_error(fmt::format("seed-usb-delegation: size {} is not a whole number of {}-byte "
                                                 "blocks",
                                                 size_, storage_block_size));
    }

    void run() {
        UsbDevice& udev = *found_.udev;
        check_capacity();
        if (!delegate_)
            give_own_dma(udev);
        HighBuffer out(context_.kernel, size_), in(context_.kernel, size_);
        uint64_t maps_before = context_.instr.counter_value("swiotlb.maps");
        uint64_t bounced_before = context_.instr.counter_value("swiotlb.bounced_bytes");
        UsbStorage& storage = *UsbStorage::of(udev);  // after give_own_dma, the instance of the new binding
        for (uint64_t n = 0; n < transfers_; ++n)
            transfer(storage, n, out, in);
        // The transfers' own bouncing, apart from what probing mapped.
        stat_bounced_maps_ = context_.instr.counter_value("swiotlb.maps") - maps_before;
        stat_bounced_bytes_ = context_.instr.counter_value("swiotlb.bounced_bytes") - bounced_before;
        summarize(udev, out, in);
    }

private:
    void check_capacity() {
        uint32_t capacity = 0;
        if (int rc = UsbStorage::of(*found_.udev)->read_capacity(capacity); rc < 0)
            throw std::runtime_error(fmt::format("seed-usb-delegation: READ CAPACITY of {} failed with error {}",
                                                 found_.udev->name(), rc));
        if (transfers_ * blocks_ > capacity)
            throw std::runtime_error(fmt::format("seed-usb-delegation: {} transfers of {} blocks need {} blocks; {} "
                                                 "has {}",
                                                 transfers_, blocks_, transfers_ * blocks_, found_.udev->name(),
                                                 capacity));
    }

    // What a driver that sets up DMA for the USB device itself does: a device of its own with a
    // 64-bit mask (dma_set_mask_and_coherent succeeds: the direct ops take any mask), and no idea
    // of the controller's engine or the bridge's windows. The driver is rebound to use it.
    void give_own_dma(UsbDevice& udev) {
        dma::Context& dma = udev.dev->context();
        udev.bus.unbind(udev);
        udev.dev = std::make_unique<dma::Device>(udev.name(), dma);
        if (int rc = dma::set_mask_and_coherent(*udev.dev, dma::dma_bit_mask(64)); rc < 0)
            throw std::runtime_error(fmt::format("seed-usb-delegation: a 64-bit mask for {} refused ({})", udev.name(),
                                                 rc));
        if (int rc = udev.bus.bind(udev); rc < 0)
            throw std::runtime_error(fmt::format("seed-usb-delegation: {} did not bind to {} again (error {})",
                                                 UsbStorage::driver_name, udev.name(), rc));
    }

    // Never 0, so that a buffer nothing was written into never passes.
    static uint8_t pattern(uint64_t n, uint64_t i, uint64_t seed) {
        return static_cast<uint8_t>(1 + (n * 251 + i * 13 + (i >> 9) + seed) % 255);
    }

    void transfer(UsbStorage& storage, uint64_t n, const HighBuffer& out, const HighBuffer& in) {
        auto lba = static_cast<uint32_t>(n * blocks_);
        std::vector<uint8_t> data(size_);
        for (uint64_t i = 0; i < size_; ++i)
            data[i] = pattern(n, i, context_.seed);
        cpu_.write_block(out.va(), data.data(), size_);
        check("write", lba, storage.write_blocks(lba, blocks_, out.va()));
        cpu_.fill_block(in.va(), 0, size_);
        check("read", lba, storage.read_blocks(lba, blocks_, in.va()));
        std::vector<uint8_t> seen(size_);
        cpu_.read_block(in.va(), seen.data(), size_);
        for (uint64_t i = 0; i < size_; ++i)
            context_.data_errors += seen[i] != data[i];
    }

    void check(const char* op, uint32_t lba, int rc) {
        ++stat_transfers_;
        if (rc == 0)
            return;
        ++stat_failed_;
        if (ev_failed_.enabled())
            context_.instr.emit(ev_failed_, models::Event{cpu_.now_ps(),
                                                          nullptr,
                                                          found_.udev->name(),
                                                          {{"op", std::string(op)},
                                                           {"lba", uint64_t(lba)},
                                                           {"error", int64_t(rc)}}});
    }

    void summarize(UsbDevice& udev, const HighBuffer& out, const HighBuffer& in) {
        dma::Device& dev = udev.dev->dma_dev();
        context_.summary.push_back(fmt::format(
            "seed-usb-delegation: usb {} (bulk storage) behind {} ({}, {}-bit DMA engine); {}: mask {:#x}, {}, {} "
            "dma-range(s)",
            udev.name(), found_.hcd->pdev().name(), UhcHcd::hcd_name, found_.hcd->dma_bits(),
            delegate_ ? "DMA delegated to " + dev.name() : "own DMA setup", dev.dma_mask(),
            dev.bus_dma_limit() ? fmt::format("bus limit {:#x}", dev.bus_dma_limit()) : std::string("no bus limit"),
            dev.dma_ranges().size()));
        context_.summary.push_back(fmt::format(
            "  {} writes and {} reads of {} bytes between PA {:#x} / {:#x} and the device: {} failed, {} wrong "
            "bytes read back; swiotlb: {} maps, {} bytes bounced; {} URBs the controller could not DMA",
            transfers_, transfers_, size_, out.pa(), in.pa(), stat_failed_, context_.data_errors, stat_bounced_maps_,
            stat_bounced_bytes_, context_.instr.counter_value("usb.dma_errors")));
    }

    WorkloadContext& context_;
    Storage found_;
    models::Core& cpu_;
    uint64_t size_;
    uint32_t blocks_;
    uint64_t transfers_;
    bool delegate_;
    uint64_t& stat_transfers_;
    uint64_t& stat_failed_;
    uint64_t& stat_bounced_maps_;
    uint64_t& stat_bounced_bytes_;
    models::EventKind ev_failed_;
};

}  // namespace

Workload seed_usb_delegation_workload() {
    return Workload{
        "seed-usb-delegation",
        "seed experiment 7: bulk transfers of a USB storage device, whose DMA its host controller does, from "
        "buffers above 4 GiB: they bounce if the controller's mask cannot reach them (a 32-bit engine) and go "
        "direct if it can (64-bit); delegate=false gives the USB device a DMA setup of its own (64-bit mask, no "
        "bouncing) and a 32-bit controller refuses the addresses",
        {
            {"delegate",
             ParamType::boolean,
             "true",
             "the USB device's DMA is delegated to the host controller's PCI device (false: its own, 64-bit)",
             {}},
            {"transfers", ParamType::integer, "8", "write / read-back transfers", {}, 1, 1024},
            {"size", ParamType::size, "16K", "bytes per transfer, whole 512-byte blocks", {}, 512, 1 << 20},
        },
        [](WorkloadContext& context) { UsbDelegation(context).run(); },
    };
}

}  // namespace sw
