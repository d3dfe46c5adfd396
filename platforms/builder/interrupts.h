// Interrupt specifiers of the device tree as the GIC takes them (Linux's
// Documentation/devicetree/bindings/interrupt-controller/arm,gic.yaml: <type number flags>, type 0
// an SPI, 1 a PPI; arm,gic-v3.yaml: a 4th cell, the PPI partition, 0 for anything else), shared by
// the builders of devices that raise interrupts.
#pragma once

#include "models/irq/interrupt_controller.h"
#include "platforms/devicetree/device_tree.h"

#include <optional>
#include <string>
#include <vector>

namespace platform {

// The GIC compatibles dmasim models: GICv2s as Linux's irq-gic.c binds them, then the GICv3
// (irq-gic-v3.c).
inline const std::vector<std::string>& gic_compatibles() {
    static const std::vector<std::string> compatibles = {"arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a9-gic",
                                                         "arm,gic-v3"};
    return compatibles;
}
bool is_gic(const DtNode& node);
// Which architecture a GIC node (is_gic) has.
models::GicArchitecture gic_architecture(const DtNode& node);

// `specifier` (of `node`'s property `prop`) as an interrupt ID: SPI n is 32 + n, PPI n 16 + n.
// ConfigError unless `controller` is a GIC, the specifier has its #interrupt-cells, the type is 0
// or 1 and a 4th cell (a GICv3's PPI partition) is 0.
unsigned gic_interrupt_id(const DtNode& node, const std::string& prop, const DtNode& controller,
                          const std::vector<uint32_t>& specifier);

// A node's one interrupt (`interrupts`, through its interrupt parent: its own or its nearest
// ancestor's `interrupt-parent`, as of_irq_find_parent finds it) as an interrupt ID, or nullopt
// without `interrupts`. The line must be a level, active high (flags IRQ_TYPE_LEVEL_HIGH, 4).
std::optional<unsigned> read_level_interrupt(const DtNode& node);
// All of a node's interrupts, in order, each a level-high line: none without `interrupts`.
std::vector<unsigned> read_level_interrupts(const DtNode& node);

}  // namespace platform
