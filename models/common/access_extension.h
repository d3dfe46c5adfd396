// Transaction attributes every model reads and writes: who initiated the access, with which
// memory type, and whether it snoops caches. Carried as a TLM-2.0 payload extension.
#pragma once

#include <cstdint>
#include <string>
#include <tlm>

namespace models {

enum class InitiatorKind : uint8_t { core, writeback, prefetch, device, iommu_walker };

enum class MemType : uint8_t {
    normal_wb,       // Normal, write-back cacheable
    normal_nc,       // Normal, non-cacheable
    write_combined,  // Normal non-cacheable, stores merged in a line buffer
    device,          // Device (nGnRE): single, unmerged accesses
};

struct Initiator {
    InitiatorKind kind = InitiatorKind::core;
    uint32_t id = 0;         // core number, device number, ...
    uint32_t stream_id = 0;  // PCI requester id or DT-given stream id, for devices
    bool pci = false;        // a PCI function: `id` numbers the endpoint, stream_id is its requester id

    std::string describe() const;  // "cpu0", "writeback(cpu0)", "device3 (sid 0x0010)", "ep0 (rid 00:01.0)"
};

const char* to_string(InitiatorKind kind);
const char* to_string(MemType type);
bool parse_mem_type(const std::string& text, MemType& out);  // "wb", "nc", "wc", "device"
inline bool is_cacheable(MemType type) { return type == MemType::normal_wb; }

class AccessExtension : public tlm::tlm_extension<AccessExtension> {
public:
    Initiator initiator;
    MemType mem_type = MemType::normal_wb;
    bool snoop = false;

    tlm::tlm_extension_base* clone() const override { return new AccessExtension(*this); }
    void copy_from(const tlm::tlm_extension_base& other) override {
        *this = static_cast<const AccessExtension&>(other);
    }
};

// The extension of a payload, or a default one (core, normal write-back, no snoop) if absent.
const AccessExtension& access_of(const tlm::tlm_generic_payload& payload);

}  // namespace models
