#include "dma/mapping.h"

#include "dma/coherent_memory.h"
#include "dma/context.h"
#include "dma/dma_ops.h"
#include "dma/mapping_listener.h"
#include "models/cpu/mmu.h"
#include "sw/kernel/kernel.h"

#include <cerrno>
#include <fmt/format.h>
#include <optional>
#include <stdexcept>

namespace dma {

namespace {

// A mapping with DMA_NONE is a driver bug Linux stops at (BUG_ON).
void require_direction(Device& dev, DmaDirection dir, const char* operation) {
    if (!valid_direction(dir))
        throw std::invalid_argument(fmt::format("{}: {} with direction {}: a mapping needs to_device, from_device "
                                                "or bidirectional",
                                                dev.name(), operation, to_string(dir)));
}

void require_nents(Device& dev, const std::vector<Scatterlist>& sgl, int nents, const char* operation) {
    if (nents < 0 || static_cast<size_t>(nents) > sgl.size())
        throw std::invalid_argument(fmt::format("{}: {} of {} entries, but the scatterlist has {}", dev.name(),
                                                operation, nents, sgl.size()));
}

DmaDebug& debug(Device& dev) { return dev.context().debug(); }

uint64_t now_ps(Device& dev) { return dev.context().cpu().now_ps(); }

// Where a call's bytes land (MappingRecord::pa and extents).
struct Landing {
    uint64_t pa = invalid_phys_addr;
    std::vector<PhysExtent> extents;
};

// The landing of [addr, addr + size) as the device's ops map it, asked only when a listener or the
// call's event will see it; an unmap or free asks before the ops undo the mapping.
Landing landing_if_reported(Device& dev, MappingCall call, dma_addr_t addr, uint64_t size) {
    Context& context = dev.context();
    if (!context.event_of(call).enabled() && context.mapping_listeners().empty())
        return {};
    Device& target = dev.dma_dev();
    std::vector<PhysExtent> extents = target.ops().phys_extents(target, addr, size);
    Landing landing;
    if (!extents.empty())
        landing.pa = extents.front().pa;
    if (extents.size() > 1)
        landing.extents = std::move(extents);
    return landing;
}

// An allocation from the device's own coherent pool, which the ops never saw: its handle is a bus
// address of the pool's memory.
Landing pool_landing(Device& dev, dma_addr_t addr) { return Landing{dev.dma_dev().dma_to_phys(addr), {}}; }

// A call that opened or closed a mapping or allocation, from `start_ps` to now: told to the
// Context's mapping listeners, then emitted as its event, from the device DMA is delegated to.
void report_call(Device& dev, MappingCall call, uint64_t start_ps, DebugType type, dma_addr_t addr, uint64_t size,
                 Landing landing, std::optional<DmaDirection> dir = std::nullopt) {
    Context& context = dev.context();
    const models::EventKind& kind = context.event_of(call);
    if (!kind.enabled() && context.mapping_listeners().empty())
        return;
    Device& target = dev.dma_dev();
    MappingRecord record{call,
                         target.name(),
                         type,
                         dir,
                         addr,
                         landing.pa,
                         size,
                         start_ps,
                         now_ps(dev) - start_ps,
                         std::move(landing.extents)};
    for (MappingListener* listener : context.mapping_listeners())
        listener->on_mapping_call(record);
    if (!kind.enabled())
        return;
    std::vector<models::Field> fields = {{"type", std::string(to_string(type))},
                                         {"dma_addr", addr},
                                         {"pa", record.pa},
                                         {"size", size}};
    if (dir)
        fields.push_back({"dir", std::string(to_string(*dir))});
    fields.push_back({"duration_ps", record.duration_ps});
    context.instr().emit(kind, models::Event{start_ps, nullptr, std::move(record.device), std::move(fields)});
}

std::vector<Landing> sg_landings(Device& dev, MappingCall call, const std::vector<Scatterlist>& sgl, int count) {
    std::vector<Landing> landings;
    for (int i = 0; i < count; ++i)
        landings.push_back(landing_if_reported(dev, call, sgl[i].dma_address, sgl[i].dma_length));
    return landings;
}

void report_sg(Device& dev, MappingCall call, uint64_t start_ps, const std::vector<Scatterlist>& sgl,
               std::vector<Landing> landings, DmaDirection dir) {
    for (size_t i = 0; i < landings.size(); ++i)
        report_call(dev, call, start_ps, DebugType::sg, sgl[i].dma_address, sgl[i].dma_length, std::move(landings[i]),
                    dir);
}

// map_single and map_page differ only in what dma-debug records them as.
dma_addr_t map_page_as(Device& dev, uint64_t page_pa, uint64_t offset, uint64_t size, DmaDirection dir, Attrs attrs,
                       DebugType type) {
    require_direction(dev, dir, "map_page");
    uint64_t start_ps = now_ps(dev);
    Device& target = dev.dma_dev();
    dma_addr_t addr = target.ops().map_page(target, page_pa, offset, size, dir, attrs);
    if (addr != DMA_MAPPING_ERROR)
        ++(type == DebugType::single ? dev.context().stat_single_maps : dev.context().stat_page_maps);
    debug(dev).map_page(dev, page_pa + offset, size, dir, addr, attrs, type);
    report_call(dev, MappingCall::map, start_ps, type, addr, size,
                landing_if_reported(dev, MappingCall::map, addr, size), dir);
    return addr;
}

void unmap_page_as(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir, Attrs attrs, DebugType type) {
    require_direction(dev, dir, "unmap_page");
    uint64_t start_ps = now_ps(dev);
    Device& target = dev.dma_dev();
    Landing landing = landing_if_reported(dev, MappingCall::unmap, addr, size);
    target.ops().unmap_page(target, addr, size, dir, attrs);
    debug(dev).unmap_page(dev, addr, size, dir, type);
    report_call(dev, MappingCall::unmap, start_ps, type, addr, size, std::move(landing), dir);
}

}  // namespace

// dma-debug sees the address before the rejection, so the misuse is reported as a check too.
dma_addr_t map_single(Device& dev, uint64_t va, uint64_t size, DmaDirection dir, Attrs attrs) {
    debug(dev).map_single(dev, va, size);
    if (!dev.context().kernel().virt_addr_valid(va)) {
        Context& context = dev.context();
        context.warn(dev,
                     fmt::format("rejecting DMA map of {:#x}+{}: not a linear-map (lowmem) address; vmalloc "
                                 "and ioremap memory cannot be mapped with map_single",
                                 va, size),
                     context.stat_mapping_errors);
        return DMA_MAPPING_ERROR;
    }
    uint64_t pa = sw::Kernel::virt_to_phys(va);
    return map_page_as(dev, pa & ~(models::Mmu::page_size - 1), pa % models::Mmu::page_size, size, dir, attrs,
                       DebugType::single);
}

void unmap_single(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir, Attrs attrs) {
    unmap_page_as(dev, addr, size, dir, attrs, DebugType::single);
}

dma_addr_t map_page(Device& dev, uint64_t page_pa, uint64_t offset, uint64_t size, DmaDirection dir, Attrs attrs) {
    return map_page_as(dev, page_pa, offset, size, dir, attrs, DebugType::page);
}

void unmap_page(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir, Attrs attrs) {
    unmap_page_as(dev, addr, size, dir, attrs, DebugType::page);
}

int map_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) {
    require_direction(dev, dir, "map_sg");
    require_nents(dev, sgl, nents, "map_sg");
    uint64_t start_ps = now_ps(dev);
    Device& target = dev.dma_dev();
    int mapped = target.ops().map_sg(target, sgl, nents, dir, attrs);
    if (mapped > 0) {
        dev.context().stat_sg_maps += mapped;
        debug(dev).map_sg(dev, sgl, nents, mapped, dir, attrs);
    }
    report_sg(dev, MappingCall::map, start_ps, sgl, sg_landings(dev, MappingCall::map, sgl, mapped), dir);
    return mapped;
}

void unmap_sg(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir, Attrs attrs) {
    require_direction(dev, dir, "unmap_sg");
    require_nents(dev, sgl, nents, "unmap_sg");
    uint64_t start_ps = now_ps(dev);
    debug(dev).unmap_sg(dev, sgl, nents, dir);  // before the ops, as Linux
    std::vector<Landing> landings = sg_landings(dev, MappingCall::unmap, sgl, nents);
    Device& target = dev.dma_dev();
    target.ops().unmap_sg(target, sgl, nents, dir, attrs);
    report_sg(dev, MappingCall::unmap, start_ps, sgl, std::move(landings), dir);
}

bool mapping_error(Device& dev, dma_addr_t addr) {
    debug(dev).mapping_error(dev, addr);
    return addr == DMA_MAPPING_ERROR;
}

void sync_single_for_cpu(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) {
    require_direction(dev, dir, "sync_single_for_cpu");
    Device& target = dev.dma_dev();
    target.ops().sync_single_for_cpu(target, addr, size, dir);
    debug(dev).sync_single_for_cpu(dev, addr, size, dir);
}

void sync_single_for_device(Device& dev, dma_addr_t addr, uint64_t size, DmaDirection dir) {
    require_direction(dev, dir, "sync_single_for_device");
    Device& target = dev.dma_dev();
    target.ops().sync_single_for_device(target, addr, size, dir);
    debug(dev).sync_single_for_device(dev, addr, size, dir);
}

void sync_single_range_for_cpu(Device& dev, dma_addr_t addr, uint64_t offset, uint64_t size, DmaDirection dir) {
    sync_single_for_cpu(dev, addr + offset, size, dir);
}

void sync_single_range_for_device(Device& dev, dma_addr_t addr, uint64_t offset, uint64_t size, DmaDirection dir) {
    sync_single_for_device(dev, addr + offset, size, dir);
}

void sync_sg_for_cpu(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) {
    require_direction(dev, dir, "sync_sg_for_cpu");
    require_nents(dev, sgl, nents, "sync_sg_for_cpu");
    Device& target = dev.dma_dev();
    target.ops().sync_sg_for_cpu(target, sgl, nents, dir);
    debug(dev).sync_sg_for_cpu(dev, sgl, nents, dir);
}

void sync_sg_for_device(Device& dev, std::vector<Scatterlist>& sgl, int nents, DmaDirection dir) {
    require_direction(dev, dir, "sync_sg_for_device");
    require_nents(dev, sgl, nents, "sync_sg_for_device");
    Device& target = dev.dma_dev();
    target.ops().sync_sg_for_device(target, sgl, nents, dir);
    debug(dev).sync_sg_for_device(dev, sgl, nents, dir);
}

// A device with its own coherent pool allocates there and nowhere else, whatever the attributes
// (Linux's dma_alloc_attrs asks dma_alloc_from_dev_coherent first, which answers even when the
// pool is full): NON_CONSISTENT then gets the pool's memory, which is consistent. Only
// alloc_noncoherent and alloc_pages bypass the pool. As in Linux, dma-debug does not track the
// pool's allocations, so a sync of one is reported as a sync of unallocated memory.
uint64_t alloc_attrs(Device& dev, uint64_t size, dma_addr_t& dma_handle, Attrs attrs, Gfp gfp) {
    uint64_t start_ps = now_ps(dev);
    Device& target = dev.dma_dev();
    uint64_t cpu_addr;
    const std::shared_ptr<CoherentMemory>& mem = target.dma_mem();
    if (mem) {
        cpu_addr = mem->alloc(target, size, dma_handle, attrs);
    } else {
        cpu_addr = target.ops().alloc(target, size, dma_handle, attrs, gfp);
        debug(dev).alloc_coherent(dev, size, dma_handle, cpu_addr, attrs);
    }
    if (cpu_addr)
        report_call(dev, MappingCall::alloc, start_ps, DebugType::coherent, dma_handle, size,
                    mem ? pool_landing(dev, dma_handle)
                        : landing_if_reported(dev, MappingCall::alloc, dma_handle, size));
    return cpu_addr;
}

void free_attrs(Device& dev, uint64_t size, uint64_t cpu_addr, dma_addr_t dma_handle, Attrs attrs) {
    if (!cpu_addr)
        return;  // as free(NULL)
    uint64_t start_ps = now_ps(dev);
    Device& target = dev.dma_dev();
    const std::shared_ptr<CoherentMemory>& mem = target.dma_mem();
    bool from_pool = mem && mem->contains(cpu_addr);
    Landing landing = from_pool ? pool_landing(dev, dma_handle)
                                : landing_if_reported(dev, MappingCall::free, dma_handle, size);
    if (!from_pool || !mem->release(size, cpu_addr)) {
        debug(dev).free_coherent(dev, size, cpu_addr, dma_handle);  // before the ops, which may throw on a bad free
        target.ops().free(target, size, cpu_addr, dma_handle, attrs);
    }
    report_call(dev, MappingCall::free, start_ps, DebugType::coherent, dma_handle, size, std::move(landing));
}

uint64_t alloc_coherent(Device& dev, uint64_t size, dma_addr_t& dma_handle, Gfp gfp) {
    return alloc_attrs(dev, size, dma_handle, 0, gfp);
}

void free_coherent(Device& dev, uint64_t size, uint64_t cpu_addr, dma_addr_t dma_handle) {
    free_attrs(dev, size, cpu_addr, dma_handle, 0);
}

uint64_t alloc_noncoherent(Device& dev, uint64_t size, dma_addr_t& dma_handle, DmaDirection dir) {
    uint64_t pa = alloc_pages(dev, size, dma_handle, dir);
    return pa ? sw::Kernel::phys_to_virt(pa) : 0;
}

void free_noncoherent(Device& dev, uint64_t size, uint64_t cpu_addr, dma_addr_t dma_handle, DmaDirection dir) {
    if (cpu_addr)
        free_pages(dev, size, sw::Kernel::virt_to_phys(cpu_addr), dma_handle, dir);
}

uint64_t alloc_pages(Device& dev, uint64_t size, dma_addr_t& dma_handle, DmaDirection dir) {
    require_direction(dev, dir, "alloc_pages");
    uint64_t start_ps = now_ps(dev);
    Device& target = dev.dma_dev();
    uint64_t pa = target.ops().alloc_pages(target, size, dma_handle, dir);
    debug(dev).alloc_pages(dev, pa, size, dir, dma_handle, 0);
    if (pa)
        report_call(dev, MappingCall::alloc, start_ps, DebugType::noncoherent, dma_handle, size,
                    landing_if_reported(dev, MappingCall::alloc, dma_handle, size), dir);
    return pa;
}

void free_pages(Device& dev, uint64_t size, uint64_t pa, dma_addr_t dma_handle, DmaDirection dir) {
    uint64_t start_ps = now_ps(dev);
    debug(dev).free_pages(dev, pa, size, dir, dma_handle);
    Landing landing = landing_if_reported(dev, MappingCall::free, dma_handle, size);
    Device& target = dev.dma_dev();
    target.ops().free_pages(target, size, pa, dma_handle, dir);
    report_call(dev, MappingCall::free, start_ps, DebugType::noncoherent, dma_handle, size, std::move(landing), dir);
}

bool dma_supported(Device& dev, uint64_t mask) {
    Device& target = dev.dma_dev();
    return target.ops().dma_supported(target, mask);
}

int set_mask(Device& dev, uint64_t mask) {
    if (!dma_supported(dev, mask))
        return -EIO;
    dev.dma_dev().store_dma_mask(mask);
    return 0;
}

int set_coherent_mask(Device& dev, uint64_t mask) {
    if (!dma_supported(dev, mask))
        return -EIO;
    dev.dma_dev().store_coherent_dma_mask(mask);
    return 0;
}

int set_mask_and_coherent(Device& dev, uint64_t mask) {
    int rc = set_mask(dev, mask);
    return rc == 0 ? set_coherent_mask(dev, mask) : rc;
}

uint64_t get_required_mask(Device& dev) {
    Device& target = dev.dma_dev();
    return target.ops().get_required_mask(target);
}

uint64_t max_mapping_size(Device& dev) {
    Device& target = dev.dma_dev();
    return target.ops().max_mapping_size(target);
}

}  // namespace dma
