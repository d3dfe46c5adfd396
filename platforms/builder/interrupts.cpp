#include "platforms/builder/interrupts.h"

#include <fmt/format.h>

namespace platform {

namespace {

constexpr uint32_t irq_type_level_high = 4;  // include/dt-bindings/interrupt-controller/irq.h

}  // namespace

bool is_gic(const DtNode& node) {
    for (const std::string& compatible : gic_compatibles())
        if (node.is_compatible(compatible))
            return true;
    return false;
}

unsigned gic_interrupt_id(const DtNode& node, const std::string& prop, const DtNode& controller,
                          const std::vector<uint32_t>& specifier) {
    if (!is_gic(controller) || specifier.size() != 3)
        node.fail(prop, fmt::format("an interrupt parent that is a GIC (arm,gic-400, #interrupt-cells = <3>), got {}",
                                    controller.path()));
    if (specifier[0] > 1)
        node.fail(prop, fmt::format("GIC interrupt type 0 (SPI) or 1 (PPI), got {}", specifier[0]));
    return specifier[0] == 0 ? 32 + specifier[1] : 16 + specifier[1];
}

std::optional<unsigned> read_level_interrupt(const DtNode& node) {
    if (!node.has("interrupts"))
        return std::nullopt;
    std::optional<DtNode> parent;
    for (std::optional<DtNode> at = node; at && !parent; at = at->parent())
        if (at->has("interrupt-parent"))
            parent = at->phandle_target("interrupt-parent");
    if (!parent)
        node.fail("interrupts", "an interrupt parent: an interrupt-parent property on the node or an ancestor");
    std::vector<uint32_t> specifier = node.cells("interrupts");
    unsigned id = gic_interrupt_id(node, "interrupts", *parent, specifier);
    if (specifier[2] != irq_type_level_high)
        node.fail("interrupts", fmt::format("a level-high line (flags {}: the device holds its line while an enabled "
                                            "cause is pending), got flags {}",
                                            irq_type_level_high, specifier[2]));
    return id;
}

}  // namespace platform
