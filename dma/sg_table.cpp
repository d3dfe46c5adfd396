#include "dma/sg_table.h"

#include "dma/mapping.h"

#include <cerrno>

namespace dma {

SgTable sg_table_from_runs(const std::vector<PhysExtent>& runs) {
    SgTable table;
    for (const PhysExtent& run : runs)
        table.sgl.push_back(Scatterlist{run.pa, 0, run.size});
    table.orig_nents = static_cast<int>(table.sgl.size());
    return table;
}

int map_sgtable(Device& dev, SgTable& table, DmaDirection dir, Attrs attrs) {
    int nents = map_sg(dev, table.sgl, table.orig_nents, dir, attrs);
    if (nents == 0)
        return -EIO;
    table.nents = nents;
    return 0;
}

void unmap_sgtable(Device& dev, SgTable& table, DmaDirection dir, Attrs attrs) {
    unmap_sg(dev, table.sgl, table.orig_nents, dir, attrs);
    table.nents = 0;
}

void sync_sgtable_for_cpu(Device& dev, SgTable& table, DmaDirection dir) {
    sync_sg_for_cpu(dev, table.sgl, table.orig_nents, dir);
}

void sync_sgtable_for_device(Device& dev, SgTable& table, DmaDirection dir) {
    sync_sg_for_device(dev, table.sgl, table.orig_nents, dir);
}

}  // namespace dma
