#include "dma/mapping_listener.h"

namespace dma {

const char* event_name(MappingCall call) {
    switch (call) {
    case MappingCall::map: return "dma.map";
    case MappingCall::unmap: return "dma.unmap";
    case MappingCall::alloc: return "dma.alloc";
    case MappingCall::free: return "dma.free";
    }
    return "?";
}

MappingChange MappingRecord::change() const {
    if (dma_addr == DMA_MAPPING_ERROR)
        return MappingChange::none;
    return call == MappingCall::map || call == MappingCall::alloc ? MappingChange::open : MappingChange::close;
}

}  // namespace dma
