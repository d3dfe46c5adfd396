// The arm-smmu driver against the SMMU-500 model: an SMMU added to the non-coherent platform at
// 0x2b400000 (its registers routed by the bus, its walker reading over it, its interrupts on the
// GIC) with the platform's bus master behind it as stream 0x100. Probe reads the ID registers and
// prints Linux's lines, reset programs Linux's values, attach programs the stream map and a context
// bank as arm_smmu_write_context_bank does, a DMA through the mapped IOVA reaches the mapped page,
// unmap + sync drops the IOTLB entry so that the next access faults with Linux's message, an
// unattached stream is blocked with Linux's message, and remove gives every table back. Register
// values are read back through the model's backdoor (peek_register). One simulation per test case.
#include "dma/context.h"
#include "dma/device.h"
#include "dma/iommu_ops.h"
#include "dma/mapping.h"
#include "models/iommu/smmu.h"
#include "platforms/builder/platform.h"
#include "platforms/devicetree/device_tree.h"
#include "sw/drivers/dma/bus_master.h"
#include "sw/drivers/iommu/arm_smmu.h"
#include "sw/kernel/kernel.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <fmt/format.h>
#include <functional>
#include <string>
#include <systemc>
#include <vector>

namespace {

constexpr uint64_t smmu_base = 0x2b400000;
constexpr unsigned global_irq = 128;  // then one per context bank: 129...
constexpr uint32_t agent_sid = 0x100;
constexpr const char* who = "arm-smmu iommu@2b400000: ";

namespace prot = dma::iommu_prot;

// Register offsets in the 64 KiB file of 8 context banks: GR0 page 0, GR1 page 1, bank n at page 8 + n.
constexpr uint64_t gr0(unsigned offset) { return offset; }
constexpr uint64_t gr1(unsigned offset) { return 0x1000 + offset; }
constexpr uint64_t cb(unsigned n, unsigned offset) { return (8 + n) * 0x1000ULL + offset; }

struct SmmuOptions {
    bool model_coherent = false;  // the SMMU's walker snoops (ID0.CTTW)
    bool fw_coherent = false;     // its node is dma-coherent (its dma::Device)
    bool disable_bypass = true;   // arm-smmu.disable_bypass
    models::SmmuConfig config;
};

SmmuOptions coherence(bool model_coherent, bool fw_coherent) {
    SmmuOptions options;
    options.model_coherent = model_coherent;
    options.fw_coherent = fw_coherent;
    return options;
}

struct SmmuSim {
    using Options = SmmuOptions;
    models::Instrumentation instr;
    platform::DeviceTree tree;
    platform::Platform platform;
    models::Smmu model;
    sw::Kernel kernel;
    models::Core& cpu;
    dma::Context context;
    dma::Device smmu_dev;  // the SMMU's own device: its page tables are DMA'd through it
    dma::Device agent_dev;
    sw::ArmSmmu smmu;
    sw::BusMaster agent;

    explicit SmmuSim(const Options& options = Options())
        : tree(platform::DeviceTree::load(DMASIM_SOURCE_DIR "/platforms/arm-noncoherent.dts")),
          platform(tree, platform::PlatformOptions{}, instr), model("smmu0", model_config(options), instr),
          kernel(platform.core(), instr, platform.kernel_ram(), platform.kernel_reserved(),
                 platform.outer_cache_registers(), platform.zone_dma_limit(), platform.interrupt_controller_info()),
          cpu(platform.core()), context(kernel, instr), smmu_dev("iommu@2b400000", context),
          agent_dev("dma-agent@1000000", context), smmu(kernel, smmu_dev, info(options)),
          agent(kernel, platform.kernel_bus_masters().at(0)) {
        const bool model_coherent = options.model_coherent;
        const models::SmmuConfig& config = options.config;
        models::Router& bus = platform.bus();
        auto port = static_cast<unsigned>(platform.memories().size());  // the builder bound one per region
        bus.out.bind(model.cfg_in);
        bus.map_target(port, "smmu0", smmu_base, model.register_file_size(), models::TargetTiming{}, false);
        model.walk_out.bind(bus.in);
        if (model_coherent) {
            model.add_snooped_cache(&cpu.l1d());
            model.add_snooped_cache(&platform.outer_cache()->cache());
        }
        models::InterruptController* gic = platform.interrupt_controller();
        for (unsigned i = 0; i <= config.context_banks; ++i)
            gic->connect_line(global_irq + i, fmt::format("smmu0.{}", i));
        model.set_irq_level([gic](unsigned index, bool asserted, uint64_t delay_ps) {
            gic->set_level(global_irq + index, asserted, sc_core::sc_time(double(delay_ps), sc_core::SC_PS));
        });
        platform.bus_masters().at(0)->set_iommu(model, agent_sid);
        smmu_dev.set_coherent(options.fw_coherent);
    }
    static models::SmmuConfig model_config(const Options& options) {
        models::SmmuConfig config = options.config;
        config.coherent_walk = options.model_coherent;
        return config;
    }
    static sw::ArmSmmuInfo info(const Options& options) {
        sw::ArmSmmuInfo info;
        info.disable_bypass = options.disable_bypass;
        info.name = "iommu@2b400000";
        info.node = "/iommu@2b400000";
        info.registers = smmu_base;
        info.registers_size = 0x10000;
        info.global_irqs = {global_irq};
        for (unsigned i = 0; i < options.config.context_banks; ++i)
            info.context_irqs.push_back(global_irq + 1 + i);
        return info;
    }

    // Runs `program` on the core with the bus master's driver bound; returns the core's fault.
    std::string run(const std::function<void()>& program) {
        cpu.set_program([&](models::Core&) {
            REQUIRE(agent.probe() == 0);
            program();
            agent.remove();
        });
        sc_core::sc_start();
        return cpu.fault();
    }
    uint32_t reg(uint64_t offset) const { return model.peek_register(offset); }
    uint64_t reg64(uint64_t offset) const { return uint64_t(reg(offset + 4)) << 32 | reg(offset); }
    uint64_t stat(const std::string& path) const { return instr.counter_value(path); }
    std::vector<std::string> messages_from(size_t first) const {
        return {smmu.messages().begin() + static_cast<long>(first), smmu.messages().end()};
    }
    void write_memory(uint64_t pa, const std::vector<uint8_t>& data) {
        REQUIRE(platform.bus().backdoor_write(pa, data.data(), data.size()));
    }
};

std::vector<uint8_t> pattern(size_t size, unsigned salt) {
    std::vector<uint8_t> data(size);
    for (size_t i = 0; i < size; ++i)
        data[i] = static_cast<uint8_t>(i * 7 + salt);
    return data;
}

std::vector<std::string> prefixed(const std::vector<std::string>& lines) {
    std::vector<std::string> out;
    for (const std::string& line : lines)
        out.push_back(who + line);
    return out;
}

// sCR0 after arm_smmu_device_reset with disable_bypass: GFRE GFIE GCFGFRE GCFGFIE, USFCFG, VMIDPNE,
// PTM; CLIENTPD clear.
constexpr uint32_t scr0_after_reset = 1u << 1 | 1u << 2 | 1u << 4 | 1u << 5 | 1u << 10 | 1u << 11 | 1u << 12;

}  // namespace

TEST_CASE("arm-smmu: probe reads the ID registers, prints arm_smmu_device_cfg_probe's lines and resets as Linux",
          "[arm_smmu]") {
    SmmuSim sim;
    std::string fault = sim.run([&] {
        REQUIRE(sim.smmu.probe() == 0);
        CHECK(sim.smmu.num_context_banks() == 8);
        CHECK(sim.smmu.num_mapping_groups() == 16);
        CHECK_FALSE(sim.smmu.coherent_walk());
        CHECK(sim.context.find_iommu("/iommu@2b400000") == &sim.smmu);
        // A 48-bit output: the table walker's DMA mask (arm_smmu_device_cfg_probe).
        CHECK(sim.smmu_dev.dma_mask() == dma::dma_bit_mask(48));
        sim.smmu.remove();
        CHECK(sim.context.find_iommu("/iommu@2b400000") == nullptr);
    });
    CHECK(fault.empty());
    // No ATS1PR, no AArch32 formats, 15 stream ID bits, 16 groups, 8 banks, 48-bit sizes.
    CHECK(sim.smmu.messages() ==
          prefixed({"probing hardware configuration...", "SMMUv2 with:", "\tstage 1 translation",
                    "\tstream matching with 16 register groups", "\t8 context banks (0 stage-2 only)",
                    "\tSupported page sizes: 0x40201000",  // 4K | 2M | 1G
                    "\tStage-1: 48-bit VA -> 48-bit IPA"}));
    CHECK(sim.stat("smmu0.syncs") >= 1);  // the global sync before sCR0 is written
}

TEST_CASE("arm-smmu: reset leaves every SMR invalid, every S2CR faulting and every bank off", "[arm_smmu]") {
    SmmuSim sim;
    std::string fault = sim.run([&] {
        REQUIRE(sim.smmu.probe() == 0);
        CHECK(sim.reg(gr0(smmu::GR0_sCR0)) == scr0_after_reset);
        for (unsigned i = 0; i < 16; ++i) {
            CHECK_FALSE(sim.reg(gr0(smmu::GR0_SMR(i))) & (1u << 31));
            CHECK(sim.reg(gr0(smmu::GR0_S2CR(i))) == 2u << 16);  // TYPE FAULT (disable_bypass)
        }
        for (unsigned n = 0; n < 8; ++n) {
            CHECK(sim.reg(cb(n, smmu::CB_SCTLR)) == 0);
            CHECK_FALSE(sim.reg(cb(n, smmu::CB_ACTLR)) & 2);  // arm_mmu500_reset: no next-page prefetch
        }
        // arm_mmu500_reset: bypass TLB entries for unmatched and bypassing streams (SMTNMB, S2CRB).
        CHECK(sim.reg(gr0(smmu::GR0_sACR)) == (1u << 8 | 1u << 10));
    });
    CHECK(fault.empty());
}

TEST_CASE("arm-smmu: a dma-coherent SMMU walks coherently: inner-shareable write-back walks, no cleans", "[arm_smmu]") {
    SmmuSim sim(coherence(true, true));
    std::string fault = sim.run([&] {
        REQUIRE(sim.smmu.probe() == 0);
        std::string error;
        dma::IommuDomain* domain = sim.smmu.attach_device(sim.agent_dev, {agent_sid}, error);
        REQUIRE(domain);
        // T0SZ 16, IRGN0 and ORGN0 write-back write-allocate, SH0 inner shareable, EPD1.
        CHECK(sim.reg(cb(0, smmu::CB_TCR)) == (16u | 1u << 8 | 1u << 10 | 3u << 12 | 1u << 23));
        uint64_t pa = sim.kernel.alloc_contiguous(4096);
        CHECK(domain->map(0x10000000, pa, 4096, prot::read | prot::write | prot::cache, dma::Gfp::kernel) == 0);
        // The tables are only in the caches (memory still holds zeroes): the walker finds them there.
        std::vector<uint8_t> seen(256);
        CHECK(sim.agent.read(0x10000000, seen.data(), seen.size()) == 0);
        sim.smmu.remove();
    });
    CHECK(fault.empty());
    CHECK(sim.smmu.coherent_walk());
    CHECK(sim.smmu.messages().at(3) == std::string(who) + "\tcoherent table walk");
    CHECK(sim.stat("dma.maint.clean") == 0);
}

TEST_CASE("arm-smmu: ID0.CTTW set but the node not dma-coherent: a non-coherent walk, with Linux's override note",
          "[arm_smmu]") {
    SmmuSim sim(coherence(true, false));
    CHECK(sim.run([&] { REQUIRE(sim.smmu.probe() == 0); }).empty());
    CHECK_FALSE(sim.smmu.coherent_walk());
    CHECK(sim.smmu.messages().at(3) == std::string(who) + "\tnon-coherent table walk");
    CHECK(sim.smmu.messages().at(4) == std::string(who) + "\t(IDR0.CTTW overridden by FW configuration)");
}

TEST_CASE("arm-smmu: attach programs the stream map and a context bank with arm_smmu_write_context_bank's values",
          "[arm_smmu]") {
    SmmuSim sim;
    dma::Device other("other", sim.context);
    std::string fault = sim.run([&] {
        REQUIRE(sim.smmu.probe() == 0);
        std::string error;
        dma::IommuDomain* domain = sim.smmu.attach_device(sim.agent_dev, {agent_sid}, error);
        REQUIRE(domain);
        CHECK(error.empty());
        CHECK(domain->aperture_start() == 0);
        CHECK(domain->aperture_end() == (1ULL << 48) - 1);
        CHECK(domain->pgsize_bitmap() == (1ULL << 12 | 1ULL << 21 | 1ULL << 30));
        CHECK(sim.smmu.attach_device(sim.agent_dev, {agent_sid}, error) == domain);  // already attached

        CHECK(sim.reg(gr0(smmu::GR0_SMR(0))) == (1u << 31 | agent_sid));  // VALID, ID
        CHECK(sim.reg(gr0(smmu::GR0_S2CR(0))) == 0);                      // TYPE TRANS, CBNDX 0
        CHECK(sim.reg(gr1(smmu::GR1_CBA2R(0))) == 1);                     // VA64
        // TYPE S1_TRANS_S2_BYPASS, BPSHCFG NSH, MEMATTR WB; no IRPTNDX on SMMUv2.
        CHECK(sim.reg(gr1(smmu::GR1_CBAR(0))) == (1u << 16 | 3u << 8 | 0xfu << 12));
        // PASIZE 48-bit, SEP upstream, AS (16-bit ASIDs).
        CHECK(sim.reg(cb(0, smmu::CB_TCR2)) == (5u | 7u << 15 | 1u << 4));
        // T0SZ 16, non-cacheable outer-shareable walks, TG0 4 KiB, EPD1.
        CHECK(sim.reg(cb(0, smmu::CB_TCR)) == (16u | 2u << 12 | 1u << 23));
        uint64_t ttbr0 = sim.reg64(cb(0, smmu::CB_TTBR0));
        CHECK(ttbr0 >> 48 == 0);  // ASID 0
        CHECK(ttbr0 % 4096 == 0);
        CHECK(sim.kernel.page_allocator().is_allocated(ttbr0));
        CHECK(sim.reg64(cb(0, smmu::CB_TTBR1)) == 0);
        CHECK(sim.reg(cb(0, smmu::CB_S1_MAIR0)) == 0xf404ff44);
        CHECK(sim.reg(cb(0, smmu::CB_S1_MAIR1)) == 0);
        // CFIE CFRE AFE TRE M, ASIDPNE.
        CHECK(sim.reg(cb(0, smmu::CB_SCTLR)) == (1u << 6 | 1u << 5 | 1u << 2 | 1u << 1 | 1u << 0 | 1u << 12));

        // A second device with a masked stream ID (#iommu-cells = 2): bank 1, ASID 1.
        dma::IommuDomain* second = sim.smmu.attach_device(other, {0xf0u << 16 | 0x5}, error);
        REQUIRE(second);
        CHECK(second != domain);
        CHECK(sim.reg(gr0(smmu::GR0_SMR(1))) == (1u << 31 | 0xf0u << 16 | 0x5));
        CHECK(sim.reg(gr0(smmu::GR0_S2CR(1))) == 1);  // TYPE TRANS, CBNDX 1
        CHECK(sim.reg64(cb(1, smmu::CB_TTBR0)) >> 48 == 1);
        CHECK(sim.reg64(cb(1, smmu::CB_TTBR1)) == 1ULL << 48);
        sim.smmu.remove();
    });
    CHECK(fault.empty());
}

namespace {

SmmuSim::Options small_smmu(unsigned banks, unsigned groups) {
    SmmuSim::Options options;
    options.config.context_banks = banks;
    options.config.stream_match_groups = groups;
    return options;
}

}  // namespace

TEST_CASE("arm-smmu: attach refuses a stream ID or mask the SMMU cannot match, an overlapping stream, and a device "
          "when the banks run out",
          "[arm_smmu]") {
    SmmuSim sim(small_smmu(2, 4));
    std::vector<std::unique_ptr<dma::Device>> devs;
    for (unsigned i = 0; i < 4; ++i)
        devs.push_back(std::make_unique<dma::Device>(fmt::format("dev{}", i), sim.context));
    std::string fault = sim.run([&] {
        REQUIRE(sim.smmu.probe() == 0);
        std::string error;
        CHECK_FALSE(sim.smmu.attach_device(*devs[0], {0x8000}, error));
        CHECK(error == "dev0: stream ID 0x8000 out of range for SMMU (0x7fff)");
        CHECK_FALSE(sim.smmu.attach_device(*devs[0], {0x8000u << 16 | 1}, error));
        CHECK(error == "dev0: SMR mask 0x8000 out of range for SMMU (0x7fff)");

        dma::IommuDomain* first = sim.smmu.attach_device(*devs[0], {0x10}, error);
        REQUIRE(first);
        REQUIRE(sim.smmu.attach_device(*devs[1], {0x20, 0x21}, error));
        CHECK_FALSE(sim.smmu.attach_device(*devs[2], {0x30}, error));
        CHECK(error == std::string(who) + "no free context bank for dev2 (all 2 in use)");
        CHECK_FALSE(sim.reg(gr0(smmu::GR0_SMR(3))) & (1u << 31));  // its stream map entry given back
        CHECK(sim.reg(gr0(smmu::GR0_S2CR(3))) == 2u << 16);
        // Overlapping dev0's entry without being inside it (arm_smmu_find_sme's -EINVAL).
        CHECK_FALSE(sim.smmu.attach_device(*devs[3], {0x0fu << 16 | 0x10}, error));
        CHECK(error ==
              std::string(who) + "dev3's stream ID 0x10 (mask 0xf): overlaps another device's stream match register");
        // dev0's very stream: dev0's group, so dev0's domain (arm_smmu_device_group).
        CHECK(sim.smmu.attach_device(*devs[3], {0x10}, error) == first);
        sim.smmu.remove();
    });
    CHECK(fault.empty());
}

TEST_CASE("arm-smmu: attach fails when the stream match groups run out, leaving every entry as it was", "[arm_smmu]") {
    SmmuSim sim(small_smmu(2, 3));
    dma::Device dev("dev", sim.context);
    std::string fault = sim.run([&] {
        REQUIRE(sim.smmu.probe() == 0);
        std::string error;
        CHECK_FALSE(sim.smmu.attach_device(dev, {1, 2, 3, 4}, error));
        CHECK(error ==
              std::string(who) + "dev's stream ID 0x4 (mask 0x0): no free stream match register (all 3 in use)");
        for (unsigned i = 0; i < 3; ++i) {
            CHECK_FALSE(sim.reg(gr0(smmu::GR0_SMR(i))) & (1u << 31));
            CHECK(sim.reg(gr0(smmu::GR0_S2CR(i))) == 2u << 16);
        }
        sim.smmu.remove();
    });
    CHECK(fault.empty());
}

TEST_CASE("arm-smmu: a DMA through a mapped IOVA reaches the mapped page, and after unmap and sync the next one "
          "faults with arm_smmu_context_fault's message",
          "[arm_smmu]") {
    SmmuSim sim;
    std::string fault = sim.run([&] {
        REQUIRE(sim.smmu.probe() == 0);
        std::string error;
        dma::IommuDomain* domain = sim.smmu.attach_device(sim.agent_dev, {agent_sid}, error);
        REQUIRE(domain);
        uint64_t pa = sim.kernel.alloc_contiguous(2 * 4096);
        std::vector<uint8_t> data = pattern(2 * 4096, 9), seen(4096);
        sim.write_memory(pa, data);
        const uint64_t iova = 0x10000000;
        REQUIRE(domain->map(iova, pa, 2 * 4096, prot::read | prot::write, dma::Gfp::kernel) == 0);
        CHECK(domain->iova_to_phys(iova + 0x1234) == pa + 0x1234);

        CHECK(sim.agent.read(iova, seen.data(), 4096) == 0);
        CHECK(std::equal(seen.begin(), seen.end(), data.begin()));
        CHECK(sim.stat("smmu0.walks") == 1);  // then the IOTLB holds the page
        CHECK(sim.stat("smmu0.iotlb_hits") > 0);
        CHECK(sim.agent.read(iova, seen.data(), 4096) == 0);
        CHECK(sim.stat("smmu0.walks") == 1);

        uint64_t invalidations = sim.stat("smmu0.invalidations"), syncs = sim.stat("smmu0.syncs");
        dma::IotlbGather gather;
        CHECK(domain->unmap(iova, 4096, gather) == 4096);
        CHECK(sim.stat("smmu0.invalidations") == invalidations + 1);  // TLBIVAL
        domain->iotlb_sync(gather);
        CHECK(sim.stat("smmu0.syncs") == syncs + 1);  // TLBSYNC
        CHECK(domain->iova_to_phys(iova) == 0);

        CHECK(sim.agent.read(iova, seen.data(), 64) == -EIO);
        sim.kernel.handle_pending_irqs();
        CHECK(sim.stat("smmu0.walks") == 2);  // the entry was gone: walked, and found nothing
        // The other page is still mapped.
        CHECK(sim.agent.read(iova + 4096, seen.data(), 4096) == 0);
        CHECK(std::equal(seen.begin(), seen.end(), data.begin() + 4096));
        sim.smmu.remove();
    });
    CHECK(fault.empty());
    CHECK(sim.stat("iommu.context_faults") == 1);
    // FSR.TF; FSYNR0: a read, the lookup level 3, bank 0; CBFRSYNRA: the stream.
    CHECK(std::count(sim.smmu.messages().begin(), sim.smmu.messages().end(),
                     std::string(who) + "Unhandled context fault: fsr=0x2, iova=0x10000000, fsynr=0x3, "
                                        "cbfrsynra=0x100, cb=0") == 1);
    CHECK(sim.platform.monitor()->total() == 0);  // every descriptor the walker read was cleaned
}

TEST_CASE("arm-smmu: an unattached stream is blocked with arm_smmu_global_fault's message", "[arm_smmu]") {
    SmmuSim sim;
    std::string fault = sim.run([&] {
        REQUIRE(sim.smmu.probe() == 0);
        uint64_t pa = sim.kernel.alloc_contiguous(4096);
        std::vector<uint8_t> seen(64);
        CHECK(sim.agent.read(pa, seen.data(), seen.size()) == -EIO);
        sim.kernel.handle_pending_irqs();
        CHECK(sim.reg(gr0(smmu::GR0_sGFSR)) == 0);  // cleared by the handler
        sim.smmu.remove();
    });
    CHECK(fault.empty());
    CHECK(sim.stat("iommu.global_faults") == 1);
    CHECK(sim.smmu.messages().back() == std::string(who) + "\tGFSR 0x00000002, GFSYNR0 0x00000000, GFSYNR1 "
                                                           "0x00000100, GFSYNR2 0x00000000");
    CHECK(sim.smmu.messages().end()[-2] ==
          std::string(who) + "Blocked unknown Stream ID 0x100; boot with \"arm-smmu.disable_bypass=0\" to allow, but "
                             "this may have security implications");
}

TEST_CASE("arm-smmu: with disable_bypass=0 an unattached stream bypasses", "[arm_smmu]") {
    SmmuSim::Options options;
    options.disable_bypass = false;
    SmmuSim sim(options);
    std::string fault = sim.run([&] {
        REQUIRE(sim.smmu.probe() == 0);
        CHECK(sim.reg(gr0(smmu::GR0_sCR0)) == (scr0_after_reset & ~(1u << 10)));  // no USFCFG
        CHECK(sim.reg(gr0(smmu::GR0_S2CR(0))) == 1u << 16);                       // TYPE BYPASS
        uint64_t pa = sim.kernel.alloc_contiguous(4096);
        std::vector<uint8_t> data = pattern(64, 1), seen(64);
        sim.write_memory(pa, data);
        CHECK(sim.agent.read(pa, seen.data(), seen.size()) == 0);
        CHECK(seen == data);
        sim.smmu.remove();
    });
    CHECK(fault.empty());
    CHECK(sim.stat("iommu.global_faults") == 0);
}

TEST_CASE("arm-smmu: remove frees every domain's tables and turns translation off", "[arm_smmu]") {
    SmmuSim sim;
    dma::Device other("other", sim.context);
    std::string fault = sim.run([&] {
        uint64_t allocated = sim.kernel.page_allocator().nr_allocated_pages();
        REQUIRE(sim.smmu.probe() == 0);
        std::string error;
        dma::IommuDomain* domain = sim.smmu.attach_device(sim.agent_dev, {agent_sid}, error);
        dma::IommuDomain* second = sim.smmu.attach_device(other, {0x200}, error);
        REQUIRE(domain);
        REQUIRE(second);
        for (uint64_t iova : {0x1000ULL, 0x40000000ULL, 1ULL << 40})
            REQUIRE(domain->map(iova, 0x90000000, 3 * 4096, prot::read, dma::Gfp::kernel) == 0);
        REQUIRE(second->map(0x200000, 0x90000000, 1 << 21, prot::read, dma::Gfp::kernel) == 0);
        CHECK(sim.context.debug().entries_of(sim.smmu_dev).size() > 0);
        uint64_t invalidations = sim.stat("smmu0.invalidations");
        sim.smmu.remove();
        CHECK(sim.stat("smmu0.invalidations") == invalidations + 2);  // a TLBIASID per domain
        CHECK(sim.kernel.page_allocator().nr_allocated_pages() == allocated);
        CHECK(sim.context.debug().entries_of(sim.smmu_dev).empty());
        CHECK(sim.reg(gr0(smmu::GR0_sCR0)) == 1);  // CLIENTPD
        for (unsigned i = 0; i < 2; ++i) {
            CHECK(sim.reg(cb(i, smmu::CB_SCTLR)) == 0);
            CHECK_FALSE(sim.reg(gr0(smmu::GR0_SMR(i))) & (1u << 31));
            CHECK(sim.reg(gr0(smmu::GR0_S2CR(i))) == 2u << 16);
        }
        sim.context.debug().check_leaks(sim.smmu_dev);
    });
    CHECK(fault.empty());
    CHECK(sim.context.debug().report_count() == 0);
    CHECK(sim.smmu.messages().back() == std::string(who) + "disabling translation");
}

TEST_CASE("arm-smmu: the DMA layer's IOMMU ops map a buffer through the driver's domain and the device reads it "
          "at its IOVA",
          "[arm_smmu]") {
    SmmuSim sim;
    std::string fault = sim.run([&] {
        REQUIRE(sim.smmu.probe() == 0);
        sim.agent_dev.set_iommu_fwspec(dma::IommuFwspec{"/iommu@2b400000", {agent_sid}});
        std::string error;
        REQUIRE(dma::iommu_configure(sim.agent_dev, error));
        REQUIRE(sim.agent_dev.iommu_domain());
        uint64_t pa = sim.kernel.alloc_contiguous(2 * 4096);
        uint64_t va = sw::Kernel::phys_to_virt(pa);
        std::vector<uint8_t> data = pattern(6000, 5), seen(6000);
        sim.cpu.write_block(va, data.data(), data.size());
        dma::dma_addr_t iova = dma::map_single(sim.agent_dev, va, data.size(), dma::DmaDirection::to_device);
        REQUIRE_FALSE(dma::mapping_error(sim.agent_dev, iova));
        CHECK(iova != pa);
        CHECK(sim.agent_dev.iommu_domain()->iova_to_phys(iova) == pa);
        CHECK(sim.agent.read(iova, seen.data(), seen.size()) == 0);
        CHECK(seen == data);
        uint64_t invalidations = sim.stat("smmu0.invalidations");
        dma::unmap_single(sim.agent_dev, iova, data.size(), dma::DmaDirection::to_device);
        CHECK(sim.stat("smmu0.invalidations") == invalidations + 2);  // strict: a TLBIVAL per page
        CHECK(sim.agent.read(iova, seen.data(), 64) == -EIO);
        sim.smmu.remove();
    });
    CHECK(fault.empty());
    CHECK(sim.platform.monitor()->total() == 0);
}

TEST_CASE("arm-smmu: context fault messages are rate-limited as dev_err_ratelimited's, every fault counted",
          "[arm_smmu]") {
    SmmuSim sim;
    std::string fault = sim.run([&] {
        REQUIRE(sim.smmu.probe() == 0);
        std::string error;
        REQUIRE(sim.smmu.attach_device(sim.agent_dev, {agent_sid}, error));
        std::vector<uint8_t> seen(64);
        for (unsigned i = 0; i < 12; ++i) {
            CHECK(sim.agent.read(0x20000000 + i * 4096, seen.data(), seen.size()) == -EIO);
            sim.kernel.handle_pending_irqs();
        }
        sim.cpu.compute(5000000000ULL);  // 5 s at 1 GHz: DEFAULT_RATELIMIT_INTERVAL
        CHECK(sim.agent.read(0x30000000, seen.data(), seen.size()) == -EIO);
        sim.kernel.handle_pending_irqs();
        sim.smmu.remove();
    });
    CHECK(fault.empty());
    CHECK(sim.stat("iommu.context_faults") == 13);
    std::vector<std::string> faults;
    for (const std::string& message : sim.smmu.messages())
        if (message.find("context fault") != std::string::npos || message.find("suppressed") != std::string::npos)
            faults.push_back(message);
    REQUIRE(faults.size() == 12);  // DEFAULT_RATELIMIT_BURST, then the suppressed count, then the 13th
    // Nothing mapped: the walk stops at level 0 (FSYNR0.PLVL 0).
    CHECK(faults[9] == std::string(who) + "Unhandled context fault: fsr=0x2, iova=0x20009000, fsynr=0x0, "
                                          "cbfrsynra=0x100, cb=0");
    CHECK(faults[10] == std::string(who) + "arm_smmu_context_fault: 2 callbacks suppressed");
    CHECK(faults[11] == std::string(who) + "Unhandled context fault: fsr=0x2, iova=0x30000000, fsynr=0x0, "
                                           "cbfrsynra=0x100, cb=0");
}
