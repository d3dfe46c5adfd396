#pragma once

#include "sw/workloads/workload.h"

namespace sw {

// Writes patterns over a working set through the caches and verifies every word read back.
Workload memtest_workload();

}  // namespace sw
