#include "models/pci/pci_endpoint_test.h"

#include <algorithm>
#include <cstring>

namespace models {

using namespace pci_endpoint_test;

namespace {

std::array<PciBarSpec, pci::PCI_STD_NUM_BARS> pci_endpoint_test_bars() {
    std::array<PciBarSpec, pci::PCI_STD_NUM_BARS> bars{};
    bars[register_bar] = PciBarSpec{register_bar_size, false, false};
    bars[PciEndpointTest::scratch_bar] = PciBarSpec{PciEndpointTest::scratch_size, true, true};
    return bars;
}

const char* command_name(uint32_t command) {
    if (command & COMMAND_RAISE_INTX_IRQ)
        return "raise_intx";
    if (command & COMMAND_WRITE)
        return "write";
    if (command & COMMAND_READ)
        return "read";
    if (command & COMMAND_COPY)
        return "copy";
    if (command & COMMAND_RAISE_MSI_IRQ)
        return "raise_msi";
    return "unknown";
}

}  // namespace

PciEndpointTest::PciEndpointTest(sc_core::sc_module_name name, const PciEndpointConfig& config, uint64_t seed,
                                 Instrumentation& instr)
    : PciEndpoint(name, config, pci_endpoint_test_bars(), instr), scratch_(scratch_size),
      random_state_(seed * 0x9e3779b97f4a7c15ULL + config.number),
      stat_commands_(instr.counter(std::string(this->name()) + ".commands")),
      ev_command_(instr.declare_event("pci_ep.command", "the DMA test endpoint runs a command (a slice: op, "
                                                        "status, size, duration_ps)")) {
    set_reg(PCI_ENDPOINT_TEST_MAGIC, MAGIC_VALUE);
    restore_read_only();
    SC_THREAD(command_handler);
}

uint32_t PciEndpointTest::reg(unsigned offset) const {
    uint32_t value;
    std::memcpy(&value, regs_.data() + offset, sizeof value);
    return value;
}

void PciEndpointTest::set_reg(unsigned offset, uint32_t value) {
    std::memcpy(regs_.data() + offset, &value, sizeof value);
}

void PciEndpointTest::restore_read_only() {
    set_reg(PCI_ENDPOINT_TEST_CAPS, (config().msi_vectors ? CAP_MSI : 0) | (config().interrupt_pin ? CAP_INTX : 0));
    set_reg(PCI_ENDPOINT_TEST_DMA_BITS, config().dma_bits);
}

uint64_t PciEndpointTest::src_addr() const {
    return uint64_t(reg(PCI_ENDPOINT_TEST_UPPER_SRC_ADDR)) << 32 | reg(PCI_ENDPOINT_TEST_LOWER_SRC_ADDR);
}

uint64_t PciEndpointTest::dst_addr() const {
    return uint64_t(reg(PCI_ENDPOINT_TEST_UPPER_DST_ADDR)) << 32 | reg(PCI_ENDPOINT_TEST_LOWER_DST_ADDR);
}

void PciEndpointTest::bar_read(unsigned bar, uint64_t offset, uint8_t* data, unsigned length, uint64_t&) {
    const uint8_t* source = bar == register_bar ? regs_.data() : scratch_.data();
    std::memcpy(data, source + offset, length);
}

void PciEndpointTest::bar_write(unsigned bar, uint64_t offset, const uint8_t* data, unsigned length,
                                uint64_t& delay_ps) {
    if (bar != register_bar) {
        std::memcpy(scratch_.data() + offset, data, length);
        return;
    }
    std::memcpy(regs_.data() + offset, data, length);
    restore_read_only();
    auto touches = [&](unsigned reg_offset) { return offset < reg_offset + 4 && reg_offset < offset + length; };
    if (touches(PCI_ENDPOINT_TEST_STATUS) && !(reg(PCI_ENDPOINT_TEST_STATUS) & STATUS_IRQ_RAISED))
        set_intx(false, delay_ps);  // the driver acknowledged the interrupt
    if (touches(PCI_ENDPOINT_TEST_COMMAND) && reg(PCI_ENDPOINT_TEST_COMMAND))
        command_event_.notify(sc_core::sc_time::from_value(delay_ps));
}

// pci-epf-test's command handler: one command at a time, each from where the last one ended.
void PciEndpointTest::command_handler() {
    for (;;) {
        sc_core::wait(command_event_);
        while (uint32_t command = reg(PCI_ENDPOINT_TEST_COMMAND)) {
            set_reg(PCI_ENDPOINT_TEST_COMMAND, 0);
            set_reg(PCI_ENDPOINT_TEST_STATUS, 0);
            ++stat_commands_;
            uint64_t start_ps = sc_core::sc_time_stamp().value();
            uint64_t delay_ps = 0;
            uint32_t status = execute(command, delay_ps);
            sc_core::wait(sc_core::sc_time::from_value(delay_ps));
            if (status == 0)
                continue;  // nothing to report (an MSI vector the function does not have)
            set_reg(PCI_ENDPOINT_TEST_STATUS, status | STATUS_IRQ_RAISED);
            emit_command(command, status, start_ps);
            raise_irq(command);
        }
    }
}

uint32_t PciEndpointTest::execute(uint32_t command, uint64_t& delay_ps) {
    if (command & COMMAND_RAISE_INTX_IRQ)
        return STATUS_IRQ_RAISED;
    if (command & COMMAND_WRITE)
        return device_write(delay_ps);
    if (command & COMMAND_READ)
        return device_read(delay_ps);
    if (command & COMMAND_COPY)
        return device_copy(delay_ps);
    if (command & COMMAND_RAISE_MSI_IRQ) {
        uint32_t number = reg(PCI_ENDPOINT_TEST_IRQ_NUMBER);
        return number == 0 || number > msi_vectors_enabled() ? 0 : STATUS_IRQ_RAISED;
    }
    return 0;
}

uint32_t PciEndpointTest::device_read(uint64_t& delay_ps) {
    uint64_t src = src_addr();
    uint32_t size = reg(PCI_ENDPOINT_TEST_SIZE);
    if (!dma_reaches(src, size))
        return STATUS_SRC_ADDR_INVALID | STATUS_READ_FAIL;
    std::vector<uint8_t> staging(std::min<uint64_t>(size, staging_size));
    uint32_t crc = ~0u;
    for (uint64_t done = 0; done < size; done += staging.size()) {
        uint64_t chunk = std::min<uint64_t>(staging.size(), size - done);
        if (dma_read(src + done, staging.data(), chunk, delay_ps) != PciDmaStatus::ok)
            return STATUS_READ_FAIL;
        crc = crc32_le(crc, staging.data(), chunk);
    }
    return crc == reg(PCI_ENDPOINT_TEST_CHECKSUM) ? STATUS_READ_SUCCESS : STATUS_READ_FAIL;
}

uint32_t PciEndpointTest::device_write(uint64_t& delay_ps) {
    uint64_t dst = dst_addr();
    uint32_t size = reg(PCI_ENDPOINT_TEST_SIZE);
    if (!dma_reaches(dst, size))
        return STATUS_DST_ADDR_INVALID | STATUS_WRITE_FAIL;
    std::vector<uint8_t> staging(std::min<uint64_t>(size, staging_size));
    uint32_t crc = ~0u;
    for (uint64_t done = 0; done < size; done += staging.size()) {
        uint64_t chunk = std::min<uint64_t>(staging.size(), size - done);
        for (uint64_t i = 0; i < chunk; i += 8) {
            uint64_t random = next_random();
            std::memcpy(staging.data() + i, &random, std::min<uint64_t>(8, chunk - i));
        }
        crc = crc32_le(crc, staging.data(), chunk);
        if (dma_write(dst + done, staging.data(), chunk, delay_ps) != PciDmaStatus::ok)
            return STATUS_WRITE_FAIL;
    }
    set_reg(PCI_ENDPOINT_TEST_CHECKSUM, crc);
    return STATUS_WRITE_SUCCESS;
}

uint32_t PciEndpointTest::device_copy(uint64_t& delay_ps) {
    uint64_t src = src_addr(), dst = dst_addr();
    uint32_t size = reg(PCI_ENDPOINT_TEST_SIZE);
    if (!dma_reaches(src, size))
        return STATUS_SRC_ADDR_INVALID | STATUS_COPY_FAIL;
    if (!dma_reaches(dst, size))
        return STATUS_DST_ADDR_INVALID | STATUS_COPY_FAIL;
    std::vector<uint8_t> staging(std::min<uint64_t>(size, staging_size));
    for (uint64_t done = 0; done < size; done += staging.size()) {
        uint64_t chunk = std::min<uint64_t>(staging.size(), size - done);
        if (dma_read(src + done, staging.data(), chunk, delay_ps) != PciDmaStatus::ok ||
            dma_write(dst + done, staging.data(), chunk, delay_ps) != PciDmaStatus::ok)
            return STATUS_COPY_FAIL;
    }
    return STATUS_COPY_SUCCESS;
}

void PciEndpointTest::raise_irq(uint32_t command) {
    uint64_t delay_ps = 0;
    if (command & COMMAND_RAISE_INTX_IRQ)
        return set_intx(true, delay_ps);
    uint32_t type = command & COMMAND_RAISE_MSI_IRQ ? IRQ_TYPE_MSI : reg(PCI_ENDPOINT_TEST_IRQ_TYPE);
    switch (type) {
    case IRQ_TYPE_INTX: set_intx(true, delay_ps); break;
    case IRQ_TYPE_MSI:
        if (uint32_t number = reg(PCI_ENDPOINT_TEST_IRQ_NUMBER))
            raise_msi(number - 1, delay_ps);
        break;
    default: break;  // MSI-X is not implemented; pci-epf-test reports an unknown type and raises nothing
    }
}

// splitmix64: a deterministic pattern per endpoint, seed and command.
uint64_t PciEndpointTest::next_random() {
    uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void PciEndpointTest::emit_command(uint32_t command, uint32_t status, uint64_t start_ps) {
    if (!ev_command_.enabled())
        return;
    instr_.emit(ev_command_, Event{start_ps,
                                   nullptr,
                                   name(),
                                   {{"op", std::string(command_name(command))},
                                    {"status", uint64_t(status)},
                                    {"size", uint64_t(reg(PCI_ENDPOINT_TEST_SIZE))},
                                    {"duration_ps", sc_core::sc_time_stamp().value() - start_ps}}});
}

}  // namespace models
