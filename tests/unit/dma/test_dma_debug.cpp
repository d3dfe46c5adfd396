// dma-debug: a correct driver over every API family gets no report; each check fires on its own
// misuse with Linux's wording and the values; the checker's bookkeeping survives failed checks;
// dma_debug=off records nothing. The data a correct driver moves is verified through the bus
// master and the CPU.
#include "dma_sim.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <set>

using namespace dma_sim;
using dma::DebugCheck;
using dma::DmaDirection;

namespace {

dma::DmaDebug& debug(Sim& sim) { return sim.context.debug(); }

// The checks that fired, with their counts: "id=count id=count" in check order ("" for none).
std::string fired(Sim& sim) {
    std::string out;
    for (const dma::DebugCheckInfo& info : dma::debug_checks())
        if (uint64_t n = sim.stat(std::string("dma_debug.") + info.id))
            out += (out.empty() ? "" : " ") + std::string(info.id) + "=" + std::to_string(n);
    return out;
}

// The first report of `check`.
dma::DebugReport first_report(Sim& sim, DebugCheck check) {
    for (const dma::DebugReport& report : debug(sim).reports())
        if (report.check == check)
            return report;
    FAIL("no " << dma::to_string(check) << " report");
    return {};
}

std::string message_of(Sim& sim, DebugCheck check) { return first_report(sim, check).message; }

uint8_t second_half_pattern(uint64_t i) { return cpu_pattern(i + 512); }

constexpr const char* device_name = "dma-agent@1000000";

// Maps `length` bytes at each of `count` fresh pages (offset 0) as a scatterlist.
std::vector<dma::Scatterlist> page_list(Sim& sim, int count, uint64_t length) {
    std::vector<dma::Scatterlist> sgl(count);
    for (dma::Scatterlist& sg : sgl) {
        sg.pa = sim.kernel.alloc_contiguous(4096);
        sg.length = length;
    }
    return sgl;
}

class EventLog : public models::EventSink {
public:
    void on_event(const models::Event& event) override {
        names.push_back(*event.name);
        sources.push_back(event.source);
        messages.push_back(std::get<std::string>(event.fields.at(0).value));
    }
    std::vector<std::string> names, sources, messages;
};

}  // namespace

TEST_CASE("dma-debug: every check has a unique snake_case id, a description and a stat", "[dma-debug]") {
    Sim sim;
    std::set<std::string> ids;
    size_t position = 0;
    for (const dma::DebugCheckInfo& info : dma::debug_checks()) {
        CHECK(static_cast<size_t>(info.check) == position++);
        CHECK(std::string(dma::to_string(info.check)) == info.id);
        CHECK(std::string(info.id).find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos);
        CHECK(std::string(info.description).size() > 10);
        CHECK(sim.context.instr().counters().count(std::string("dma_debug.") + info.id) == 1);
        CHECK(sim.context.instr().event_descriptions().count(std::string("dma_debug.") + info.id) == 1);
        ids.insert(info.id);
    }
    CHECK(ids.size() == dma::debug_check_count);
    CHECK(ids.count("sync_device_read_only_for_cpu") == 1);
    CHECK(sim.context.instr().counters().count("dma_debug.reports") == 1);
    CHECK(sim.context.instr().counters().count("dma_debug.active_entries") == 1);
}

TEST_CASE("dma-debug: a correct driver over every API family gives no report and no hazard", "[dma-debug]") {
    Sim sim;
    uint64_t errors = 0, failed_checks = 0, active_with_sg = 0, gauge_with_sg = 0;
    std::string fault = sim.run([&] {
        // map_single, FROM_DEVICE: the device writes, the CPU reads after unmap.
        uint64_t rx = sim.kernel.kmalloc().kmalloc(256);
        dma::dma_addr_t addr = dma::map_single(sim.dev, rx, 256, DmaDirection::from_device);
        failed_checks += dma::mapping_error(sim.dev, addr);
        sim.device_write(addr, 256, device_pattern);
        dma::unmap_single(sim.dev, addr, 256, DmaDirection::from_device);
        errors += sim.cpu_errors(rx, 256, device_pattern);

        // map_page, TO_DEVICE: the device reads what the CPU wrote.
        uint64_t tx = sim.kernel.alloc_contiguous(4096);
        sim.cpu_write(sw::Kernel::phys_to_virt(tx) + 64, 512, cpu_pattern);
        addr = dma::map_page(sim.dev, tx, 64, 512, DmaDirection::to_device);
        failed_checks += dma::mapping_error(sim.dev, addr);
        errors += sim.device_errors(addr, 512, cpu_pattern);
        dma::unmap_page(sim.dev, addr, 512, DmaDirection::to_device);

        // BIDIRECTIONAL with whole and ranged syncs both ways.
        uint64_t both = sim.kernel.kmalloc().kmalloc(1024);
        addr = dma::map_single(sim.dev, both, 1024, DmaDirection::bidirectional);
        failed_checks += dma::mapping_error(sim.dev, addr);
        sim.device_write(addr, 1024, device_pattern);
        dma::sync_single_for_cpu(sim.dev, addr, 1024, DmaDirection::bidirectional);
        errors += sim.cpu_errors(both, 1024, device_pattern);
        sim.cpu_write(both, 1024, cpu_pattern);
        dma::sync_single_range_for_device(sim.dev, addr, 512, 512, DmaDirection::bidirectional);
        errors += sim.device_errors(addr + 512, 512, second_half_pattern);
        dma::sync_single_range_for_cpu(sim.dev, addr, 512, 512, DmaDirection::bidirectional);
        dma::unmap_single(sim.dev, addr, 1024, DmaDirection::bidirectional);

        // Scatter-gather, FROM_DEVICE, with syncs; unmap with the original count.
        std::vector<dma::Scatterlist> sgl = page_list(sim, 2, 2048);
        int mapped = dma::map_sg(sim.dev, sgl, 2, DmaDirection::from_device);
        active_with_sg = debug(sim).active_entries();
        gauge_with_sg = sim.context.instr().counter_value("dma_debug.active_entries");
        for (int i = 0; i < mapped; ++i)
            sim.device_write(sgl[i].dma_address, sgl[i].dma_length, device_pattern);
        dma::sync_sg_for_cpu(sim.dev, sgl, 2, DmaDirection::from_device);
        for (const dma::Scatterlist& sg : sgl)
            errors += sim.cpu_errors(sw::Kernel::phys_to_virt(sg.pa), sg.length, device_pattern);
        dma::sync_sg_for_device(sim.dev, sgl, 2, DmaDirection::from_device);
        dma::unmap_sg(sim.dev, sgl, 2, DmaDirection::from_device);

        // Coherent, plain and write-combined: the device reads what the CPU stored.
        for (dma::Attrs attrs : {dma::Attrs(0), dma::attr::write_combine}) {
            dma::dma_addr_t handle = 0;
            uint64_t cpu_addr = dma::alloc_attrs(sim.dev, 4096, handle, attrs);
            sim.cpu_write(cpu_addr, 256, cpu_pattern);
            sim.cpu.dsb();
            errors += sim.device_errors(handle, 256, cpu_pattern);
            dma::free_attrs(sim.dev, 4096, cpu_addr, handle, attrs);
        }

        // Noncoherent memory the caller syncs, as a CPU address and as pages.
        dma::dma_addr_t handle = 0;
        uint64_t nc = dma::alloc_noncoherent(sim.dev, 8192, handle, DmaDirection::to_device);
        sim.cpu_write(nc + 4096, 128, cpu_pattern);
        dma::sync_single_for_device(sim.dev, handle + 4096, 128, DmaDirection::to_device);
        errors += sim.device_errors(handle + 4096, 128, cpu_pattern);
        dma::free_noncoherent(sim.dev, 8192, nc, handle, DmaDirection::to_device);
        uint64_t pages = dma::alloc_pages(sim.dev, 4096, handle, DmaDirection::from_device);
        sim.device_write(handle, 4096, device_pattern);
        dma::sync_single_for_cpu(sim.dev, handle, 4096, DmaDirection::from_device);
        errors += sim.cpu_errors(sw::Kernel::phys_to_virt(pages), 4096, device_pattern);
        dma::free_pages(sim.dev, 4096, pages, handle, DmaDirection::from_device);

        debug(sim).check_leaks(sim.dev);
        debug(sim).check_leaks_at_exit();
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim).empty());
    CHECK(debug(sim).report_count() == 0);
    CHECK(debug(sim).reports().empty());
    CHECK(sim.stat("dma_debug.reports") == 0);
    CHECK(errors == 0);
    CHECK(failed_checks == 0);
    CHECK(sim.hazards() == 0);
    CHECK(sim.context.warnings().empty());
    CHECK(active_with_sg == 2);  // one entry per mapped segment
    CHECK(gauge_with_sg == 2);
    CHECK(debug(sim).active_entries() == 0);
    CHECK(sim.stat("dma_debug.active_entries") == 0);
}

TEST_CASE("dma-debug free_invalid_address: unmap of DMA_MAPPING_ERROR", "[dma-debug]") {
    Sim sim;
    std::string fault = sim.run([&] {
        dma::unmap_single(sim.dev, dma::DMA_MAPPING_ERROR, 64, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "free_invalid_address=1");
    dma::DebugReport report = first_report(sim, DebugCheck::free_invalid_address);
    CHECK(report.device == device_name);
    CHECK_THAT(report.message,
               Catch::StartsWith("device driver tries to free an invalid DMA memory address") &&
                   Catch::EndsWith("[size=64 bytes] [unmapped as single] [unmapped with DMA_TO_DEVICE]"));
    CHECK(sim.stat("dma_debug.reports") == 1);
}

TEST_CASE("dma-debug free_unallocated: unmap of an address never mapped, and a double free", "[dma-debug]") {
    Sim sim;
    std::string fault = sim.run([&] {
        dma::unmap_page(sim.dev, 0x80100040, 64, DmaDirection::to_device);
        dma::dma_addr_t handle = 0;
        uint64_t cpu_addr = dma::alloc_coherent(sim.dev, 4096, handle);
        dma::free_coherent(sim.dev, 4096, cpu_addr, handle);
        dma::free_coherent(sim.dev, 4096, cpu_addr, handle);  // the ops refuse it too
    });
    REQUIRE(fault.empty());
    REQUIRE(sim.context.warnings().size() == 1);
    CHECK_THAT(sim.context.warnings()[0], Catch::Contains("which no coherent allocation returned"));
    CHECK(fired(sim) == "free_unallocated=2");
    CHECK(message_of(sim, DebugCheck::free_unallocated) ==
          "device driver tries to free DMA memory it has not allocated [device address=0x0000000080100040] "
          "[size=64 bytes] [unmapped as page] [unmapped with DMA_TO_DEVICE]");
    CHECK_THAT(debug(sim).reports().at(1).message,
               Catch::EndsWith("[size=4096 bytes] [unmapped as coherent] [unmapped with DMA_BIDIRECTIONAL]"));
    CHECK(debug(sim).active_entries() == 0);
}

TEST_CASE("dma-debug free_different_size: unmap with another size - the entry still goes", "[dma-debug]") {
    Sim sim;
    EventLog log;
    sim.context.instr().add_sink(&log, "dma_debug.*");
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        addr = dma::map_single(sim.dev, va, 256, DmaDirection::to_device);
        dma::mapping_error(sim.dev, addr);
        dma::unmap_single(sim.dev, addr, 128, DmaDirection::to_device);
        dma::unmap_single(sim.dev, addr, 256, DmaDirection::to_device);  // the entry is gone: unallocated
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "free_unallocated=1 free_different_size=1");
    CHECK(message_of(sim, DebugCheck::free_different_size) ==
          fmt::format("device driver frees DMA memory with different size [device address=0x{:016x}] [map size=256 "
                      "bytes] [unmap size=128 bytes] [mapped with DMA_TO_DEVICE] [unmapped with DMA_TO_DEVICE]",
                      addr));
    dma::DebugReport report = first_report(sim, DebugCheck::free_different_size);
    CHECK(report.time_ps > 0);
    CHECK(report.time_ps <= debug(sim).reports().at(1).time_ps);
    REQUIRE(log.names.size() == 2);
    CHECK(log.names[0] == "dma_debug.free_different_size");
    CHECK(log.sources[0] == device_name);
    CHECK(log.messages[0] == report.message);
    CHECK(log.names[1] == "dma_debug.free_unallocated");
}

TEST_CASE("dma-debug free_wrong_function: mapped with map_single, unmapped with unmap_page", "[dma-debug]") {
    Sim sim;
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(64);
        addr = dma::map_single(sim.dev, va, 64, DmaDirection::to_device);
        dma::mapping_error(sim.dev, addr);
        dma::unmap_page(sim.dev, addr, 64, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "free_wrong_function=1");
    CHECK(message_of(sim, DebugCheck::free_wrong_function) ==
          fmt::format("device driver frees DMA memory with wrong function [device address=0x{:016x}] [size=64 "
                      "bytes] [mapped as single] [unmapped as page] [mapped with DMA_TO_DEVICE] [unmapped with "
                      "DMA_TO_DEVICE]",
                      addr));
    CHECK(debug(sim).active_entries() == 0);
}

TEST_CASE("dma-debug free_different_cpu_address: reported, and the ops refuse the free", "[dma-debug]") {
    Sim sim;
    uint64_t cpu_addr = 0;
    dma::dma_addr_t handle = 0;
    std::string fault = sim.run([&] {
        cpu_addr = dma::alloc_coherent(sim.dev, 8192, handle);
        dma::free_coherent(sim.dev, 8192, cpu_addr + 4096, handle);
    });
    REQUIRE(fault.empty());
    REQUIRE(sim.context.warnings().size() == 1);  // DirectOps' own refusal
    CHECK_THAT(sim.context.warnings()[0], Catch::Contains("which no coherent allocation returned"));
    CHECK(fired(sim) == "free_different_cpu_address=1");
    CHECK_THAT(message_of(sim, DebugCheck::free_different_cpu_address),
               Catch::Contains(fmt::format("[device address=0x{:016x}] [size=8192 bytes] [cpu alloc "
                                           "address=0x{:016x}] [cpu free address=0x{:016x}] [mapped with "
                                           "DMA_BIDIRECTIONAL] [unmapped with DMA_BIDIRECTIONAL]",
                                           handle, handle, handle + 4096)));
}

TEST_CASE("dma-debug free_different_sg_count: unmap_sg with another count, once per segment", "[dma-debug]") {
    Sim sim;
    std::string fault = sim.run([&] {
        std::vector<dma::Scatterlist> sgl = page_list(sim, 3, 512);
        dma::map_sg(sim.dev, sgl, 3, DmaDirection::to_device);
        dma::unmap_sg(sim.dev, sgl, 2, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "free_different_sg_count=2");
    CHECK_THAT(message_of(sim, DebugCheck::free_different_sg_count),
               Catch::StartsWith("device driver frees DMA sg list with different entry count [map count=3] [unmap "
                                 "count=2] [device address=0x") &&
                   Catch::EndsWith("[size=512 bytes] [mapped with DMA_TO_DEVICE] [unmapped with DMA_TO_DEVICE]"));
    CHECK(debug(sim).active_entries() == 1);  // the third segment was not unmapped
}

TEST_CASE("dma-debug free_different_direction: unmap with another direction", "[dma-debug]") {
    Sim sim;
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(128);
        addr = dma::map_single(sim.dev, va, 128, DmaDirection::from_device);
        dma::mapping_error(sim.dev, addr);
        dma::unmap_single(sim.dev, addr, 128, DmaDirection::bidirectional);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "free_different_direction=1");
    CHECK(message_of(sim, DebugCheck::free_different_direction) ==
          fmt::format("device driver frees DMA memory with different direction [device address=0x{:016x}] "
                      "[size=128 bytes] [mapped with DMA_FROM_DEVICE] [unmapped with DMA_BIDIRECTIONAL]",
                      addr));
}

TEST_CASE("dma-debug map_error_not_checked: unmap of a mapping mapping_error() never saw", "[dma-debug]") {
    Sim sim;
    dma::dma_addr_t unchecked = 0;
    std::string fault = sim.run([&] {
        uint64_t a = sim.kernel.kmalloc().kmalloc(64), b = sim.kernel.kmalloc().kmalloc(64);
        unchecked = dma::map_page(sim.dev, sw::Kernel::virt_to_phys(a) & ~4095ULL, a % 4096, 64,
                                  DmaDirection::to_device);
        dma::dma_addr_t checked = dma::map_single(sim.dev, b, 64, DmaDirection::to_device);
        if (!dma::mapping_error(sim.dev, checked))
            dma::unmap_single(sim.dev, checked, 64, DmaDirection::to_device);
        dma::unmap_page(sim.dev, unchecked, 64, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "map_error_not_checked=1");
    CHECK(message_of(sim, DebugCheck::map_error_not_checked) ==
          fmt::format("device driver failed to check map error [device address=0x{:016x}] [size=64 bytes] "
                      "[mapped as page] [mapped with DMA_TO_DEVICE]",
                      unchecked));
}

TEST_CASE("dma-debug map_from_stack: a buffer on the kernel stack", "[dma-debug]") {
    Sim sim;
    uint64_t on_stack = sim.kernel.stack().start + 0x1f00;
    std::string fault = sim.run([&] {
        dma::dma_addr_t addr = dma::map_single(sim.dev, on_stack, 64, DmaDirection::to_device);
        dma::mapping_error(sim.dev, addr);
        dma::unmap_single(sim.dev, addr, 64, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "map_from_stack=1");
    CHECK_THAT(message_of(sim, DebugCheck::map_from_stack),
               Catch::StartsWith(fmt::format("device driver maps memory from stack [addr=0x{:016x}]", on_stack)));
}

TEST_CASE("dma-debug map_from_text_or_rodata: the kernel image's text and rodata", "[dma-debug]") {
    Sim sim;
    uint64_t in_text = sim.kernel.text().end - 32, rodata = sim.kernel.rodata().start;
    std::string fault = sim.run([&] {
        dma::dma_addr_t a = dma::map_single(sim.dev, in_text, 64, DmaDirection::to_device);  // runs into rodata
        dma::mapping_error(sim.dev, a);
        dma::unmap_single(sim.dev, a, 64, DmaDirection::to_device);
        std::vector<dma::Scatterlist> sgl(1);
        sgl[0].pa = sw::Kernel::virt_to_phys(rodata) + 4096;
        sgl[0].offset = 100;
        sgl[0].length = 200;
        dma::map_sg(sim.dev, sgl, 1, DmaDirection::to_device);
        dma::unmap_sg(sim.dev, sgl, 1, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "map_from_text_or_rodata=2");
    CHECK(debug(sim).reports().at(0).message ==
          fmt::format("device driver maps memory from kernel text or rodata [addr=0x{:016x}] [len=64]", in_text));
    CHECK(debug(sim).reports().at(1).message ==
          fmt::format("device driver maps memory from kernel text or rodata [addr=0x{:016x}] [len=200]",
                      rodata + 4096 + 100));
}

TEST_CASE("dma-debug sync_unallocated: a sync of an address no mapping holds", "[dma-debug]") {
    Sim sim;
    std::string fault = sim.run([&] { dma::sync_single_for_cpu(sim.dev, 0x80200000, 64, DmaDirection::to_device); });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "sync_unallocated=1");
    CHECK(message_of(sim, DebugCheck::sync_unallocated) ==
          "device driver tries to sync DMA memory it has not allocated [device address=0x0000000080200000] "
          "[size=64 bytes] [synced with DMA_TO_DEVICE]");
}

// Linux's check_sync finds an entry only by containing_match (kernel/dma/debug.c): one that holds
// the whole sync; a sync running past its mapping's end is a sync of memory never allocated.
TEST_CASE("dma-debug containing_match: a sync running past the mapping's end is a sync_unallocated", "[dma-debug]") {
    Sim sim;
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        addr = dma::map_single(sim.dev, va, 256, DmaDirection::bidirectional);
        dma::mapping_error(sim.dev, addr);
        dma::sync_single_range_for_cpu(sim.dev, addr, 128, 128, DmaDirection::bidirectional);  // fine: ends at 256
        dma::sync_single_range_for_cpu(sim.dev, addr, 128, 256, DmaDirection::bidirectional);
        dma::unmap_single(sim.dev, addr, 256, DmaDirection::bidirectional);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "sync_unallocated=1");
    CHECK(message_of(sim, DebugCheck::sync_unallocated) ==
          fmt::format("device driver tries to sync DMA memory it has not allocated [device address=0x{:016x}] "
                      "[size=256 bytes] [synced with DMA_BIDIRECTIONAL]",
                      addr + 128));
}

TEST_CASE("dma-debug: a sync finds its mapping buckets below (Linux's bucket_find_contain)", "[dma-debug]") {
    Sim sim;
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(64 * 1024);  // eight 8 KiB hash buckets
        addr = dma::map_single(sim.dev, va, 64 * 1024, DmaDirection::from_device);
        dma::mapping_error(sim.dev, addr);
        dma::sync_single_range_for_cpu(sim.dev, addr, 60 * 1024, 4096, DmaDirection::from_device);  // 7 below
        dma::sync_single_range_for_cpu(sim.dev, addr, 64 * 1024, 64, DmaDirection::from_device);    // just past
        dma::unmap_single(sim.dev, addr, 64 * 1024, DmaDirection::from_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "sync_unallocated=1");
    CHECK_THAT(message_of(sim, DebugCheck::sync_unallocated),
               Catch::Contains(fmt::format("[device address=0x{:016x}]", addr + 64 * 1024)));
}

TEST_CASE("dma-debug sync_different_direction: a FROM_DEVICE mapping synced BIDIRECTIONAL for the CPU", "[dma-debug]") {
    Sim sim;
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        addr = dma::map_single(sim.dev, va, 256, DmaDirection::from_device);
        dma::mapping_error(sim.dev, addr);
        dma::sync_single_for_cpu(sim.dev, addr, 256, DmaDirection::bidirectional);
        dma::unmap_single(sim.dev, addr, 256, DmaDirection::from_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "sync_different_direction=1");
    CHECK(message_of(sim, DebugCheck::sync_different_direction) ==
          fmt::format("device driver syncs DMA memory with different direction [device address=0x{:016x}] "
                      "[size=256 bytes] [mapped with DMA_FROM_DEVICE] [synced with DMA_BIDIRECTIONAL]",
                      addr));
}

TEST_CASE("dma-debug sync_device_read_only_for_cpu: a TO_DEVICE mapping synced FROM_DEVICE for the CPU",
          "[dma-debug]") {
    Sim sim;
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        addr = dma::map_single(sim.dev, va, 256, DmaDirection::to_device);
        dma::mapping_error(sim.dev, addr);
        dma::sync_single_for_cpu(sim.dev, addr, 256, DmaDirection::to_device);  // allowed
        dma::sync_single_for_cpu(sim.dev, addr, 256, DmaDirection::from_device);
        dma::unmap_single(sim.dev, addr, 256, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "sync_different_direction=1 sync_device_read_only_for_cpu=1");  // as Linux: both
    CHECK(message_of(sim, DebugCheck::sync_device_read_only_for_cpu) ==
          fmt::format("device driver syncs device read-only DMA memory for cpu [device address=0x{:016x}] "
                      "[size=256 bytes] [mapped with DMA_TO_DEVICE] [synced with DMA_FROM_DEVICE]",
                      addr));
}

TEST_CASE("dma-debug sync_device_write_only_for_device: a FROM_DEVICE mapping synced TO_DEVICE for the device",
          "[dma-debug]") {
    Sim sim;
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        addr = dma::map_single(sim.dev, va, 256, DmaDirection::from_device);
        dma::mapping_error(sim.dev, addr);
        dma::sync_single_for_device(sim.dev, addr, 256, DmaDirection::from_device);  // allowed
        dma::sync_single_for_device(sim.dev, addr, 256, DmaDirection::to_device);
        dma::unmap_single(sim.dev, addr, 256, DmaDirection::from_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "sync_different_direction=1 sync_device_write_only_for_device=1");
    CHECK(message_of(sim, DebugCheck::sync_device_write_only_for_device) ==
          fmt::format("device driver syncs device write-only DMA memory to device [device address=0x{:016x}] "
                      "[size=256 bytes] [mapped with DMA_FROM_DEVICE] [synced with DMA_TO_DEVICE]",
                      addr));
}

TEST_CASE("dma-debug sync_different_sg_count: sync_sg with another count, once per segment synced", "[dma-debug]") {
    Sim sim;
    std::string fault = sim.run([&] {
        std::vector<dma::Scatterlist> sgl = page_list(sim, 3, 512);
        dma::map_sg(sim.dev, sgl, 3, DmaDirection::from_device);
        dma::sync_sg_for_cpu(sim.dev, sgl, 2, DmaDirection::from_device);
        dma::unmap_sg(sim.dev, sgl, 3, DmaDirection::from_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "sync_different_sg_count=2");
    CHECK_THAT(message_of(sim, DebugCheck::sync_different_sg_count),
               Catch::StartsWith("device driver syncs DMA sg list with different entry count [map count=3] [sync "
                                 "count=2] [device address=0x") &&
                   Catch::EndsWith("[size=512 bytes] [mapped with DMA_FROM_DEVICE] [synced with DMA_FROM_DEVICE]"));
    CHECK(debug(sim).active_entries() == 0);
}

TEST_CASE("dma-debug sg_segment_too_long: a segment beyond the device's max_segment_size", "[dma-debug]") {
    Sim sim;
    CHECK(sim.dev.max_segment_size() == 64 * 1024);  // Linux's default without dma_parms
    std::string fault = sim.run([&] {
        std::vector<dma::Scatterlist> sgl(2);
        sgl[0].pa = sim.kernel.alloc_contiguous(128 * 1024);
        sgl[0].length = 64 * 1024;  // exactly the maximum: fine
        sgl[1].pa = sgl[0].pa + 64 * 1024;
        sgl[1].length = 64 * 1024 + 4096;
        dma::map_sg(sim.dev, sgl, 2, DmaDirection::to_device);
        dma::unmap_sg(sim.dev, sgl, 2, DmaDirection::to_device);
        sim.dev.set_max_segment_size(1024);
        sgl[0].length = 2048;
        dma::map_sg(sim.dev, sgl, 1, DmaDirection::to_device);
        dma::unmap_sg(sim.dev, sgl, 1, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "sg_segment_too_long=2");
    CHECK(debug(sim).reports().at(0).message ==
          "mapping sg segment longer than device claims to support [len=69632] [max=65536]");
    CHECK(debug(sim).reports().at(1).message ==
          "mapping sg segment longer than device claims to support [len=2048] [max=1024]");
}

TEST_CASE("dma-debug sg_segment_across_boundary: a segment crossing the segment boundary", "[dma-debug]") {
    Sim sim;
    CHECK(sim.dev.segment_boundary_mask() == 0xffffffff);
    dma::dma_addr_t start = 0;
    std::string fault = sim.run([&] {
        sim.dev.set_segment_boundary_mask(0xfff);  // segments must stay within 4 KiB
        std::vector<dma::Scatterlist> sgl(2);
        uint64_t pa = sim.kernel.alloc_contiguous(8192);
        sgl[0] = {pa, 0, 4096};  // a whole page: fine
        sgl[1] = {pa, 0xf00, 0x200};
        dma::map_sg(sim.dev, sgl, 2, DmaDirection::to_device);
        start = sgl[1].dma_address;
        dma::unmap_sg(sim.dev, sgl, 2, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "sg_segment_across_boundary=1");
    CHECK(message_of(sim, DebugCheck::sg_segment_across_boundary) ==
          fmt::format("mapping sg segment across boundary [start=0x{:016x}] [end=0x{:016x}] "
                      "[boundary=0x0000000000000fff]",
                      start, start + 0x1ff));
}

TEST_CASE("dma-debug map_from_invalid_area: map_single of a linear address without RAM", "[dma-debug]") {
    Sim sim;
    uint64_t va = sw::Kernel::phys_to_virt(0x40000000);
    dma::dma_addr_t addr = 0;
    std::string fault = sim.run([&] { addr = dma::map_single(sim.dev, va, 32, DmaDirection::to_device); });
    REQUIRE(fault.empty());
    CHECK(dma::mapping_error(sim.dev, addr));  // the layer still refuses it
    CHECK(fired(sim) == "map_from_invalid_area=1");
    CHECK(message_of(sim, DebugCheck::map_from_invalid_area) ==
          fmt::format("device driver maps memory from invalid area [addr=0x{:016x}] [len=32]", va));
    CHECK(debug(sim).active_entries() == 0);
}

TEST_CASE("dma-debug map_from_vmalloc: map_single of vmap and ioremap memory", "[dma-debug]") {
    Sim sim;
    uint64_t vmapped = 0, remapped = 0;
    std::string fault = sim.run([&] {
        uint64_t pa = sim.kernel.alloc_contiguous(4096);
        vmapped = sim.kernel.vmap({pa});
        remapped = sim.kernel.ioremap(pa, 4096, models::MemType::normal_nc);
        dma::map_single(sim.dev, vmapped + 16, 64, DmaDirection::to_device);
        dma::map_single(sim.dev, remapped, 4096, DmaDirection::from_device);
    });
    REQUIRE(fault.empty());
    // As Linux, a vmalloc address is also not a valid linear-map address: both checks fire.
    CHECK(fired(sim) == "map_from_invalid_area=2 map_from_vmalloc=2");
    CHECK(message_of(sim, DebugCheck::map_from_vmalloc) ==
          fmt::format("device driver maps memory from vmalloc area [addr=0x{:016x}] [len=64]", vmapped + 16));
    CHECK(sim.context.warnings().size() == 2);  // and the layer refused both
}

TEST_CASE("dma-debug overlapping_cacheline: two mappings the device may write start in one line", "[dma-debug]") {
    Sim sim;
    sim.context.policy().kmalloc_bounce = false;  // as ARMv7: small mappings are not bounced away
    dma::dma_addr_t second = 0;
    std::string fault = sim.run([&] {
        uint64_t page = sw::Kernel::phys_to_virt(sim.kernel.alloc_contiguous(4096));
        struct Mapping {
            dma::dma_addr_t addr;
            uint64_t size;
            DmaDirection dir;
            dma::Attrs attrs;
        };
        std::vector<Mapping> mapped;
        auto map = [&](uint64_t offset, uint64_t size, DmaDirection dir, dma::Attrs attrs) {
            dma::dma_addr_t addr = dma::map_single(sim.dev, page + offset, size, dir, attrs);
            dma::mapping_error(sim.dev, addr);
            mapped.push_back({addr, size, dir, attrs});
            return addr;
        };
        map(0, 32, DmaDirection::from_device, 0);
        second = map(32, 32, DmaDirection::from_device, 0);  // reported
        map(64, 32, DmaDirection::to_device, 0);             // TO_DEVICE: not tracked
        map(96, 32, DmaDirection::to_device, 0);
        map(128, 32, DmaDirection::bidirectional, 0);
        map(160, 32, DmaDirection::bidirectional, dma::attr::skip_cpu_sync);  // exempt
        map(248, 16, DmaDirection::from_device, 0);  // ends in line 256, where the next starts:
        map(264, 16, DmaDirection::from_device, 0);  // only first lines are tracked, as Linux
        for (const Mapping& m : mapped)
            dma::unmap_single(sim.dev, m.addr, m.size, m.dir, m.attrs);
        dma::dma_addr_t again = map(0, 64, DmaDirection::from_device, 0);  // the line is free again
        dma::unmap_single(sim.dev, again, 64, DmaDirection::from_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "overlapping_cacheline=1");
    CHECK(message_of(sim, DebugCheck::overlapping_cacheline) ==
          fmt::format("cacheline tracking EEXIST, overlapping mappings aren't supported [device address=0x{:016x}] "
                      "[size=32 bytes] [mapped with DMA_FROM_DEVICE] [mapped as single] [cacheline address=0x{:x}]",
                      second, second - 32));
    CHECK(debug(sim).active_entries() == 0);
}

TEST_CASE("dma-debug overlapping_cacheline_overflow: more than 7 overlapping mappings, reported once", "[dma-debug]") {
    Sim sim;
    uint64_t pa = 0;
    std::string fault = sim.run([&] {
        pa = sim.kernel.alloc_contiguous(4096);
        uint64_t va = sw::Kernel::phys_to_virt(pa);
        std::vector<dma::dma_addr_t> addrs;
        for (int i = 0; i < 10; ++i) {  // SKIP_CPU_SYNC: no overlap report, but counted
            addrs.push_back(dma::map_single(sim.dev, va, 64, DmaDirection::from_device, dma::attr::skip_cpu_sync));
            dma::mapping_error(sim.dev, addrs.back());
        }
        for (dma::dma_addr_t addr : addrs)
            dma::unmap_single(sim.dev, addr, 64, DmaDirection::from_device, dma::attr::skip_cpu_sync);
        dma::dma_addr_t again = dma::map_single(sim.dev, va, 64, DmaDirection::from_device);  // line released
        dma::mapping_error(sim.dev, again);
        dma::unmap_single(sim.dev, again, 64, DmaDirection::from_device);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "overlapping_cacheline_overflow=1");
    CHECK(message_of(sim, DebugCheck::overlapping_cacheline_overflow) ==
          fmt::format("exceeded 7 overlapping mappings of cacheline 0x{:x} [address=0x{:x}]", pa / 64, pa));
}

TEST_CASE("dma-debug leaked_at_driver_removal: the driver leaves with mappings and allocations", "[dma-debug]") {
    Sim sim;
    dma::Device other("other-device", sim.context);
    dma::dma_addr_t handle = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        dma::dma_addr_t addr = dma::map_single(sim.dev, va, 256, DmaDirection::from_device);
        dma::mapping_error(sim.dev, addr);
        dma::alloc_coherent(sim.dev, 4096, handle);
        debug(sim).check_leaks(other);  // nothing of its own
        debug(sim).check_leaks(sim.dev);
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "leaked_at_driver_removal=1");
    dma::DebugReport report = first_report(sim, DebugCheck::leaked_at_driver_removal);
    CHECK(report.device == device_name);
    CHECK_THAT(report.message,
               Catch::StartsWith("device driver has pending DMA allocations while released from device [count=2]") &&
                   Catch::Contains("One of leaked entries details: [device address=0x"));
    CHECK(debug(sim).active_entries() == 2);  // the entries stay, as in Linux
    CHECK(debug(sim).entries_of(sim.dev).size() == 2);
    CHECK(debug(sim).entries_of(other).empty());
}

TEST_CASE("dma-debug leaked_at_exit: one report per device with live entries", "[dma-debug]") {
    Sim sim;
    dma::Device child("usb-device", sim.dev);
    dma::dma_addr_t handle = 0;
    std::string fault = sim.run([&] {
        dma::alloc_coherent(sim.dev, 4096, handle);
        uint64_t va = sim.kernel.kmalloc().kmalloc(64);
        dma::dma_addr_t addr = dma::map_single(child, va, 64, DmaDirection::to_device);
        dma::mapping_error(child, addr);
        debug(sim).check_leaks_at_exit();
    });
    REQUIRE(fault.empty());
    CHECK(fired(sim) == "leaked_at_exit=2");
    REQUIRE(debug(sim).reports().size() == 2);
    dma::DebugReport first = debug(sim).reports()[0], second = debug(sim).reports()[1];
    CHECK(first.device == device_name);  // by device name
    CHECK(first.message ==
          fmt::format("device driver has pending DMA allocations at the end of the run [count=1]. One of leaked "
                      "entries details: [device address=0x{:016x}] [size=4096 bytes] [mapped with "
                      "DMA_BIDIRECTIONAL] [mapped as coherent]",
                      handle));
    CHECK(second.device == "usb-device");  // recorded under the device the driver used
    CHECK_THAT(second.message, Catch::Contains("[mapped with DMA_TO_DEVICE] [mapped as single]"));
}

TEST_CASE("dma-debug keeps the first 100 reports and counts them all", "[dma-debug]") {
    Sim sim;
    std::string fault = sim.run([&] {
        for (uint64_t i = 0; i < 105; ++i)
            dma::sync_single_for_cpu(sim.dev, 0x80300000 + i * 64, 64, DmaDirection::to_device);
    });
    REQUIRE(fault.empty());
    CHECK(debug(sim).reports().size() == dma::DmaDebug::default_max_reports);
    CHECK(debug(sim).report_count() == 105);
    CHECK(debug(sim).count(DebugCheck::sync_unallocated) == 105);
    CHECK(sim.stat("dma_debug.reports") == 105);
    CHECK_THAT(debug(sim).reports().back().message, Catch::Contains("[device address=0x00000000803018c0]"));
}

TEST_CASE("dma-debug off (dma_debug=off): nothing is recorded or reported, the layer works", "[dma-debug]") {
    dma::Policy policy;
    policy.debug = false;
    Sim sim({}, policy);
    uint64_t errors = 0;
    std::string fault = sim.run([&] {
        uint64_t va = sim.kernel.kmalloc().kmalloc(256);
        dma::dma_addr_t addr = dma::map_single(sim.dev, va, 256, DmaDirection::from_device);
        sim.device_write(addr, 256, device_pattern);
        dma::unmap_single(sim.dev, addr, 128, DmaDirection::bidirectional);   // wrong size and direction
        dma::unmap_single(sim.dev, 0x80400000, 64, DmaDirection::to_device);  // never mapped
        dma::sync_single_for_cpu(sim.dev, 0x80400000, 64, DmaDirection::to_device);
        dma::map_single(sim.dev, sim.kernel.stack().start, 64, DmaDirection::to_device);
        dma::dma_addr_t handle = 0;
        dma::alloc_coherent(sim.dev, 4096, handle);  // leaked
        debug(sim).check_leaks(sim.dev);
        debug(sim).check_leaks_at_exit();
        errors = sim.cpu_errors(va, 128, device_pattern);
    });
    REQUIRE(fault.empty());
    CHECK_FALSE(debug(sim).enabled());
    CHECK(errors == 0);  // the unmap still did its cache maintenance
    CHECK(debug(sim).reports().empty());
    CHECK(debug(sim).report_count() == 0);
    CHECK(debug(sim).active_entries() == 0);
    CHECK(debug(sim).count(DebugCheck::free_unallocated) == 0);
    for (const auto& [path, value] : sim.context.instr().counters())
        CHECK(path.rfind("dma_debug.", 0) == std::string::npos);
}
