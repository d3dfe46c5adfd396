#include "models/common/access_extension.h"

#include <fmt/format.h>

namespace models {

const char* to_string(InitiatorKind kind) {
    switch (kind) {
    case InitiatorKind::core: return "core";
    case InitiatorKind::writeback: return "writeback";
    case InitiatorKind::prefetch: return "prefetch";
    case InitiatorKind::device: return "device";
    case InitiatorKind::iommu_walker: return "iommu_walker";
    }
    return "?";
}

const char* to_string(MemType type) {
    switch (type) {
    case MemType::normal_wb: return "wb";
    case MemType::normal_nc: return "nc";
    case MemType::write_combined: return "wc";
    case MemType::device: return "device";
    }
    return "?";
}

bool parse_mem_type(const std::string& text, MemType& out) {
    for (MemType type : {MemType::normal_wb, MemType::normal_nc, MemType::write_combined, MemType::device}) {
        if (text == to_string(type)) {
            out = type;
            return true;
        }
    }
    return false;
}

std::string Initiator::describe() const {
    switch (kind) {
    case InitiatorKind::core: return fmt::format("cpu{}", id);
    case InitiatorKind::writeback: return fmt::format("writeback(cpu{})", id);
    case InitiatorKind::prefetch: return fmt::format("prefetch(cpu{})", id);
    case InitiatorKind::device:
        if (pci)
            return fmt::format("ep{} (rid {:02x}:{:02x}.{})", id, stream_id >> 8, stream_id >> 3 & 0x1f, stream_id & 7);
        return fmt::format("device{} (sid {:#06x})", id, stream_id);
    case InitiatorKind::iommu_walker: return fmt::format("iommu{} walker", id);
    }
    return "?";
}

const AccessExtension& access_of(const tlm::tlm_generic_payload& payload) {
    static const AccessExtension default_access;
    const AccessExtension* ext = payload.get_extension<AccessExtension>();
    return ext ? *ext : default_access;
}

}  // namespace models
