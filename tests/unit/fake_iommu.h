// A fake IOMMU for tests of the DMA layer's IOMMU ops (it is not a model of the SMMU): its domain
// records the map, unmap and sync calls and keeps an IOVA -> PA page map, nothing more; the IOMMU
// gives each attached device a domain of its own. A test plays the device by translating each IOVA
// through the domain's map (pa_of) and accessing the physical page: what the IOMMU would do.
#pragma once

#include "dma/device.h"
#include "dma/iommu.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fake_iommu {

constexpr uint64_t page = 4096;
const std::string iommu_node = "/iommu@2b400000";

class FakeDomain : public dma::IommuDomain {
public:
    struct MapCall {
        uint64_t iova, pa, size;
        int prot;
    };

    uint64_t aperture_start() const override { return 0; }
    uint64_t aperture_end() const override { return (1ULL << 48) - 1; }
    uint64_t pgsize_bitmap() const override { return page | (2ULL << 20) | (1ULL << 30); }

    int map(uint64_t iova, uint64_t paddr, uint64_t size, int prot, dma::Gfp) override {
        for (uint64_t offset = 0; offset < size; offset += page)
            if (pages_.count(iova + offset))
                return -EEXIST;
        for (uint64_t offset = 0; offset < size; offset += page)
            pages_[iova + offset] = Page{paddr + offset, prot};
        maps.push_back(MapCall{iova, paddr, size, prot});
        log.push_back("map");
        return 0;
    }
    uint64_t unmap(uint64_t iova, uint64_t size, dma::IotlbGather& gather) override {
        uint64_t unmapped = 0;
        for (uint64_t offset = 0; offset < size; offset += page)
            unmapped += pages_.erase(iova + offset) * page;
        gather.start = std::min(gather.start, iova);
        gather.end = std::max(gather.end, iova + size - 1);
        log.push_back(gather.queued ? "unmap(queued)" : "unmap");
        return unmapped;
    }
    void iotlb_sync(dma::IotlbGather&) override { log.push_back("sync"); }
    void flush_iotlb_all() override { log.push_back("flush_all"); }
    uint64_t iova_to_phys(uint64_t iova) override {
        auto found = pages_.find(iova & ~(page - 1));
        return found == pages_.end() ? 0 : found->second.pa | (iova & (page - 1));
    }

    // The test's side.
    uint64_t pa_of(uint64_t iova) const { return pages_.at(iova & ~(page - 1)).pa | (iova & (page - 1)); }
    int prot_of(uint64_t iova) const { return pages_.at(iova & ~(page - 1)).prot; }
    size_t mapped_pages() const { return pages_.size(); }
    size_t count(const std::string& call) const { return std::count(log.begin(), log.end(), call); }

    std::vector<MapCall> maps;
    std::vector<std::string> log;

private:
    struct Page {
        uint64_t pa;
        int prot;
    };
    std::map<uint64_t, Page> pages_;
};

// A domain per attached device.
class FakeIommu : public dma::Iommu {
public:
    const std::string& node() const override { return iommu_node; }
    dma::IommuDomain* attach_device(dma::Device& dev, const std::vector<uint32_t>& stream_ids,
                                    std::string& error) override {
        attached[dev.name()] = stream_ids;
        if (refuse) {
            error = "no free context bank";
            return nullptr;
        }
        std::unique_ptr<FakeDomain>& domain = domains[dev.name()];
        if (!domain)
            domain = std::make_unique<FakeDomain>();
        return domain.get();
    }

    bool refuse = false;
    std::map<std::string, std::vector<uint32_t>> attached;
    std::map<std::string, std::unique_ptr<FakeDomain>> domains;
};

}  // namespace fake_iommu
