// The device-tree properties of a router target's timing (models::TargetTiming, models/bus/router.h):
// the latency and bandwidth the router applies to each access to a memory or a register block.
// Each kind of target has its own table: the same properties, its own defaults.
#pragma once

#include "models/bus/router.h"
#include "models/common/property_table.h"

#include <vector>

namespace models {

const PropertySpec<TargetTiming>& target_latency_property();         // dmasim,latency-ns
const PropertySpec<TargetTiming>& target_bandwidth_property();       // dmasim,bandwidth-mbps
std::vector<PropertySpec<TargetTiming>> target_timing_properties();  // both

// A register block's (an interrupt controller's, an outer cache's): 20 ns, no bandwidth limit.
const PropertyTable<TargetTiming>& register_timing_properties();

}  // namespace models
