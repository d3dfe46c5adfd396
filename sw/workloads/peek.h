#pragma once

#include "sw/workloads/workload.h"

namespace sw {

// Reads one word at a physical address through a fresh mapping: for poking at registers and holes.
Workload peek_workload();

}  // namespace sw
