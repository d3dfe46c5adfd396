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

models::GicArchitecture gic_architecture(const DtNode& node) {
    return node.is_compatible("arm,gic-v3") ? models::GicArchitecture::v3 : models::GicArchitecture::v2;
}

unsigned gic_interrupt_id(const DtNode& node, const std::string& prop, const DtNode& controller,
                          const std::vector<uint32_t>& specifier) {
    if (!is_gic(controller) || specifier.size() != controller.u32("#interrupt-cells") || specifier.size() < 3)
        node.fail(prop, fmt::format("an interrupt parent that is a GIC ({}) and specifiers of its #interrupt-cells, "
                                    "got {}",
                                    fmt::join(gic_compatibles(), ", "), controller.path()));
    if (specifier[0] > 1)
        node.fail(prop, fmt::format("GIC interrupt type 0 (SPI) or 1 (PPI), got {}", specifier[0]));
    if (specifier.size() > 3 && specifier[3] != 0)
        node.fail(prop, fmt::format("a 4th cell of 0 (a PPI partition is not modelled; an SPI has none), got {}",
                                    specifier[3]));
    return specifier[0] == 0 ? 32 + specifier[1] : 16 + specifier[1];
}

namespace {

// The node's interrupt parent: its own or its nearest ancestor's `interrupt-parent`, as
// of_irq_find_parent finds it.
DtNode interrupt_parent(const DtNode& node) {
    for (std::optional<DtNode> at = node; at; at = at->parent())
        if (at->has("interrupt-parent"))
            return at->phandle_target("interrupt-parent");
    node.fail("interrupts", "an interrupt parent: an interrupt-parent property on the node or an ancestor");
}

unsigned level_interrupt_id(const DtNode& node, const DtNode& parent, const std::vector<uint32_t>& specifier) {
    unsigned id = gic_interrupt_id(node, "interrupts", parent, specifier);
    if (specifier[2] != irq_type_level_high)
        node.fail("interrupts", fmt::format("a level-high line (flags {}: the device holds its line while an enabled "
                                            "cause is pending), got flags {}",
                                            irq_type_level_high, specifier[2]));
    return id;
}

}  // namespace

std::optional<unsigned> read_level_interrupt(const DtNode& node) {
    if (!node.has("interrupts"))
        return std::nullopt;
    DtNode parent = interrupt_parent(node);
    return level_interrupt_id(node, parent, node.cells("interrupts"));
}

std::vector<unsigned> read_level_interrupts(const DtNode& node) {
    if (!node.has("interrupts"))
        return {};
    DtNode parent = interrupt_parent(node);
    std::vector<uint32_t> cells = node.cells("interrupts");
    size_t per = is_gic(parent) ? parent.u32("#interrupt-cells") : 3;
    if (cells.empty() || per == 0 || cells.size() % per)
        node.fail("interrupts", fmt::format("GIC specifiers of {} cells each, got {} cells", per, cells.size()));
    std::vector<unsigned> ids;
    for (size_t i = 0; i < cells.size(); i += per)
        ids.push_back(level_interrupt_id(node, parent,
                                         std::vector<uint32_t>(cells.begin() + i, cells.begin() + i + per)));
    return ids;
}

}  // namespace platform
