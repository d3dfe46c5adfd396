// The driver of dmasim's multi-function device ("dmasim,mfd", models/mfd/mfd_regs.h), a Linux
// platform driver in the style of SM501's and the EZ-USB loaders: probe maps the registers and the
// code load window (not the SRAM: that is the coherent pool's, mapped by the DMA layer), checks the
// ID, takes the interrupt, loads the firmware by name (request_firmware, sw/kernel/firmware.h) --
// CPUCS holds the 8051 in reset while the image goes through the code window, then releases it --
// and shakes hands with it (HELLO, polled with a timeout in simulated time), then adds the cells
// (mfd-core, sw/drivers/mfd/mfd_core.h) and binds their drivers. Messages to the firmware
// (sw/firmware/mfd/mfd_protocol.h) go through the mailboxes; the reply comes with the MBOX interrupt, waited for in the
// idle loop (WFI), or by polling IRQ_STATUS without an interrupt.
//
// The cells' coherent memory comes one of two ways, as Linux's drivers get it:
//   memory-region    the MFD node names a no-map shared-dma-pool over the SRAM; each cell's driver
//                    assigns it at probe (of_reserved_mem_device_init on the parent's node), one
//                    pool shared by the cells.
//   declare_sram     the module parameter dmasim_mfd.declare_sram=1 on the kernel command line:
//                    the driver splits its "sram" window between the cells, handing each a memory
//                    resource as drivers/mfd/sm501.c does (sm501_create_mem), and each cell's driver
//                    declares its slice at probe (dma_declare_coherent_memory, as
//                    drivers/usb/host/ohci-sm501.c does): a pool per cell, named after it.
// With both, the parameter wins: it is the administrator's explicit choice at boot, and a device
// has one coherent pool (dma_declare_coherent_memory on a device that already has one is -EBUSY),
// so the cells' drivers do not call of_reserved_mem_device_init and the driver logs that the
// memory-region is not used.
//
// What the driver says (dev_info / dev_err) is kept in messages() and emitted as `mfd.log` events.
#pragma once

#include "models/common/instrumentation.h"
#include "sw/drivers/mfd/mfd_core.h"
#include "sw/drivers/mfd/mfd_info.h"
#include "sw/kernel/firmware.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dma {
class Device;
}

namespace sw {

class Kernel;
class MfdFunction;

class Mfd {
public:
    static constexpr const char* driver_name = "dmasim-mfd";
    // How long the firmware has to answer HELLO after its release.
    static constexpr uint64_t hello_timeout_ps = 10'000'000'000;  // 10 ms
    static constexpr uint64_t hello_poll_us = 10;
    // The module parameter, as the kernel command line names it: Linux's <module>.<param>, the
    // module (KBUILD_MODNAME) the driver's name with '_' for '-'.
    static constexpr const char* declare_sram_param = "dmasim_mfd.declare_sram";

    using Message = std::array<uint32_t, 4>;

    // `dev`: the MFD's own device (of_dma_configure'd), the parent of its cells.
    Mfd(Kernel& kernel, models::Instrumentation& instr, MfdInfo info, dma::Device& dev);
    Mfd(const Mfd&) = delete;
    Mfd& operator=(const Mfd&) = delete;
    ~Mfd();

    // 0, or -ENODEV (not the registers this driver knows), request_irq's error, request_firmware's
    // (-ENOENT, -EINVAL), -EFBIG (an image past the code memory), -ETIMEDOUT or -EPROTO (no or a
    // wrong HELLO reply), -ENOMEM (declare_sram with fewer SRAM pages than cells); error() then
    // says why and the device is left in reset. Runs on the core.
    int probe();

    // The cells' memory resources under declare_sram, as sm501.c carves its local memory for its
    // functions (sm501_create_mem): equal whole-page slices of the "sram" window in the cells'
    // order, the last one also taking the pages left over (as sm501's display takes the rest);
    // none when the SRAM has fewer pages than there are cells.
    static std::vector<MfdMemResource> sram_slices(const MfdInfo& info);
    // The SRAM's bus address through the MFD's dma-ranges: what HELLO tells the firmware and what
    // the MFD's address decoder maps to SRAM offset 0 (models/mfd/mfd_address_decoder.h).
    dma::dma_addr_t sram_bus() const;
    void remove();
    bool probed() const { return regs_ != 0; }

    const MfdInfo& info() const { return info_; }
    Kernel& kernel() { return kernel_; }
    dma::Device& dev() { return dev_; }
    // The cells mfd-core added at probe, in the tree's order, and the drivers bound to them
    // (sw/drivers/mfd/mfd_function.h; a cell no driver knows, or whose probe failed, has none).
    MfdCells& cells() { return cells_; }
    std::vector<MfdFunction*> functions() const;
    // The firmware as loaded.
    const Firmware& firmware() const { return firmware_; }
    uint32_t firmware_version() const { return firmware_version_; }

    // Sends `message` and waits for the firmware's reply to it: 0, or -EPROTO when the reply is
    // not to that command, -ENODEV before probe.
    int call(const Message& message, Message& reply);

    // dev_info / dev_err: "<driver> <device>: <message>", kept and emitted as `mfd.log` (source:
    // the device); log_as for the cells' drivers.
    void log(const std::string& message) { log_as(driver_name, info_.name, message); }
    void log_as(const std::string& driver, const std::string& device, const std::string& message);
    int fail(int rc, const std::string& message);
    const std::vector<std::string>& messages() const { return messages_; }
    const std::string& error() const { return error_; }

private:
    uint32_t readl(unsigned offset);
    void writel(unsigned offset, uint32_t value);
    int load_firmware();
    int hello();
    void bind_cells();
    void post(const Message& message);
    Message read_reply();
    void irq_handler();

    Kernel& kernel_;
    models::Instrumentation& instr_;
    MfdInfo info_;
    dma::Device& dev_;
    models::EventKind ev_log_;
    uint64_t regs_ = 0;  // ioremap'd registers (0: not probed)
    uint64_t code_ = 0;  // ioremap'd code window, during the load only
    bool irq_requested_ = false;
    bool replied_ = false;
    Message reply_{};
    Firmware firmware_;
    uint32_t firmware_version_ = 0;
    MfdCells cells_;
    std::vector<std::unique_ptr<MfdFunction>> functions_;
    std::vector<std::string> messages_;
    std::string error_;
};

}  // namespace sw
