#include "sw/workloads/seed_small_buffers.h"

#include "dma/context.h"
#include "models/cpu/core.h"
#include "sw/drivers/pci/pci_subsystem.h"
#include "sw/drivers/pci/ring_nic.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <cerrno>
#include <fmt/format.h>
#include <stdexcept>
#include <vector>

namespace sw {

namespace {

// The NIC bound to ring_nic that `name` names, or the first one.
RingNic& find_nic(WorkloadContext& context, const std::string& name) {
    std::vector<PciDev*> bound = context.pci ? context.pci->bound_to(RingNic::driver_name) : std::vector<PciDev*>{};
    std::vector<std::string> names;
    for (PciDev* pdev : bound) {
        if (name.empty() || pdev->name() == name)
            return *RingNic::of(*pdev);
        names.push_back(pdev->name());
    }
    throw std::runtime_error(fmt::format("seed-small-buffers: no PCI function {}bound to {} (bound: {}); a platform "
                                         "with the ring device is needed, e.g. arm-pci-noncoherent.dts",
                                         name.empty() ? "" : name + " ", RingNic::driver_name,
                                         names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
}

// Frame n: its sequence (little-endian), then a pattern of n.
std::vector<uint8_t> frame_bytes(uint32_t n, uint64_t size) {
    std::vector<uint8_t> bytes(size);
    for (uint64_t i = 0; i < size; ++i)
        bytes[i] = i < 4 ? static_cast<uint8_t>(n >> (8 * i)) : static_cast<uint8_t>((n * 7 + i) * 0x9d);
    return bytes;
}

uint64_t count_different(const std::vector<uint8_t>& seen, const std::vector<uint8_t>& expected) {
    uint64_t wrong = 0;
    for (size_t i = 0; i < expected.size(); ++i)
        wrong += i >= seen.size() || seen[i] != expected[i];
    return wrong;
}

class SmallBuffers {
public:
    explicit SmallBuffers(WorkloadContext& context)
        : context_(context), nic_(find_nic(context, context.params.text("nic"))), cpu_(context.cpu),
          kernel_(context.kernel), fix_(context.params.text("fix")), size_(context.params.integer("size")),
          frames_(static_cast<uint32_t>(context.params.integer("frames"))),
          stat_frames_(context.instr.counter("workload.small_buffers.frames")),
          stat_bad_frames_(context.instr.counter("workload.small_buffers.bad_frames")),
          stat_bad_tags_(context.instr.counter("workload.small_buffers.bad_tags")),
          stat_bad_records_(context.instr.counter("workload.small_buffers.bad_records")),
          stat_shared_(context.instr.counter("workload.small_buffers.shared_line_buffers")),
          stat_irqs_(context.instr.counter("workload.small_buffers.irqs")),
          ev_bad_(context.instr.declare_event("workload.small_buffers", "a frame the seed-small-buffers stack "
                                                                        "received wrong (data or tag)")) {}

    void run() {
        check_fix();
        RingNicOptions options;
        options.rx_buffer_size = static_cast<uint32_t>(size_);
        options.rx_buffers = fix_ == "dma_pool" ? RxBuffers::dma_pool : RxBuffers::kmalloc;
        options.coalesce_count = static_cast<uint32_t>(context_.params.integer("coalesce"));
        options.coalesce_ns = static_cast<uint32_t>(context_.params.integer("coalesce_us") * 1000);
        options.loopback = true;
        nic_.set_rx_handler([this](const RxFrame& frame) { receive(frame); });
        if (int rc = nic_.open(options); rc < 0)
            throw std::runtime_error(fmt::format("seed-small-buffers: {} does not open (error {})", nic_.pdev().name(),
                                                 rc));
        uint64_t irqs_before = nic_.stats().irqs;
        exchange();
        nic_.stop();
        nic_.set_rx_handler(nullptr);
        stat_irqs_ = nic_.stats().irqs - irqs_before;
        summarize(options);
    }

private:
    void check_fix() {
        uint64_t line = cpu_.l1d().line_size();
        if (fix_ == "min_align" && kernel_.kmalloc().min_align() < line)
            throw std::runtime_error(fmt::format(
                "seed-small-buffers: fix=min_align relies on the kernel's kmalloc minimum alignment covering a "
                "cache line ({} bytes), but it is {}: set /chosen dmasim,kmalloc-min-align = <{}>",
                line, kernel_.kmalloc().min_align(), line));
    }

    // A window of frames goes out; then, like an echo responder, the stack answers each frame it
    // receives with the next one, from the receive path. The window is smaller than the RX ring,
    // so no frame is dropped.
    void exchange() {
        uint32_t window = std::min<uint32_t>(frames_, RingNic::ring_size - 1);
        while (sent_ < window)
            transmit_next();
        while (received_ < frames_)
            kernel_.wait_for_interrupt();
    }

    void transmit_next() {
        uint32_t n = sent_++;
        uint64_t frame = kernel_.kmalloc().kmalloc(size_);
        if (!frame)
            throw std::runtime_error(fmt::format("seed-small-buffers: no memory for frame {}", n));
        std::vector<uint8_t> bytes = frame_bytes(n, size_);
        cpu_.write_block(frame, bytes.data(), size_);
        if (int rc = nic_.xmit(frame, static_cast<uint32_t>(size_)); rc < 0)
            throw std::runtime_error(fmt::format("seed-small-buffers: {} refused frame {} (error {})",
                                                 nic_.pdev().name(), n, rc));
    }

    // The stack, in the receive path: frames come back in order, so the n-th one received is
    // frame n. It checks the frame and its tag, frees the buffer and sends the next frame.
    void receive(const RxFrame& frame) {
        uint32_t n = received_++;
        ++stat_frames_;
        std::vector<uint8_t> seen(frame.len);
        cpu_.read_block(frame.va, seen.data(), frame.len);
        uint64_t wrong_data = count_different(seen, frame_bytes(n, size_)) +
                              (frame.len > size_ ? frame.len - size_ : 0);
        uint64_t wrong_tag = 0;
        for (unsigned i = 0; i < 4; ++i)
            wrong_tag += (frame.tag >> (8 * i) & 0xff) != (n >> (8 * i) & 0xff);
        stat_shared_ += shares_line(frame.va);
        if (sent_ < frames_)
            transmit_next();
        nic_.free_rx_frame(frame);
        if (wrong_data == 0 && wrong_tag == 0 && frame.record_errors == 0)
            return;
        stat_bad_frames_ += wrong_data != 0;
        stat_bad_tags_ += wrong_tag != 0;
        stat_bad_records_ += frame.record_errors != 0;
        context_.data_errors += wrong_data + wrong_tag + frame.record_errors;
        if (ev_bad_.enabled())
            context_.instr.emit(ev_bad_, models::Event{cpu_.now_ps(),
                                                       nullptr,
                                                       nic_.pdev().name(),
                                                       {{"frame", uint64_t(n)},
                                                        {"va", frame.va},
                                                        {"wrong_bytes", wrong_data},
                                                        {"tag", uint64_t(frame.tag)},
                                                        {"record_errors", uint64_t(frame.record_errors)}}});
    }

    // Whether a received kmalloc'd buffer's object shares a cache line with another object.
    bool shares_line(uint64_t va) const {
        if (fix_ == "dma_pool")
            return false;  // pool blocks are line-aligned and rounded up to the line
        uint64_t line = cpu_.l1d().line_size();
        return va % line || kernel_.kmalloc().ksize(va) % line;
    }

    void summarize(const RingNicOptions& options) {
        context_.summary.push_back(fmt::format(
            "seed-small-buffers: {} frames of {} bytes looped back through {} into {} RX buffers (fix={}, "
            "FROM_DEVICE map: {}, kmalloc minimum alignment {}): {} buffers shared a cache line; {} frames with "
            "wrong data, {} with a wrong tag, {} with a corrupt rx_info record; {} interrupts",
            frames_, size_, nic_.pdev().name(), to_string(options.rx_buffers), fix_,
            context_.dma ? dma::to_string(context_.dma->policy().from_device_map) : "?", kernel_.kmalloc().min_align(),
            stat_shared_, stat_bad_frames_, stat_bad_tags_, stat_bad_records_, stat_irqs_));
    }

    WorkloadContext& context_;
    RingNic& nic_;
    models::Core& cpu_;
    Kernel& kernel_;
    std::string fix_;
    uint64_t size_;
    uint32_t frames_;
    uint32_t sent_ = 0;
    uint32_t received_ = 0;
    uint64_t& stat_frames_;
    uint64_t& stat_bad_frames_;
    uint64_t& stat_bad_tags_;
    uint64_t& stat_bad_records_;
    uint64_t& stat_shared_;
    uint64_t& stat_irqs_;
    models::EventKind ev_bad_;
};

}  // namespace

Workload seed_small_buffers_workload() {
    return Workload{
        "seed-small-buffers",
        "seed experiment 3: frames looped back through the ring device into small kmalloc'd RX buffers that share "
        "cache lines with the driver's per-packet records; fix=dma_pool or fix=min_align keeps them apart",
        {
            {"fix",
             ParamType::choice,
             "none",
             "none: kmalloc'd buffers; dma_pool: a dma_pool of line-aligned coherent blocks; min_align: kmalloc'd "
             "buffers under /chosen dmasim,kmalloc-min-align (required)",
             {"none", "dma_pool", "min_align"}},
            {"frames", ParamType::integer, "256", "frames sent and received", {}, 1, 1000000},
            {"size", ParamType::size, "32", "bytes per frame and per RX buffer", {}, 8, 2048},
            {"coalesce", ParamType::integer, "8", "RX completions per interrupt", {}, 1, 63},
            {"coalesce_us",
             ParamType::integer,
             "20",
             "the longest a completion waits for its interrupt, in us",
             {},
             1,
             1000},
            {"nic", ParamType::text, "", "the PCI function (e.g. 0000:00:03.0); default: the first ring device", {}},
        },
        [](WorkloadContext& context) { SmallBuffers(context).run(); },
    };
}

}  // namespace sw
