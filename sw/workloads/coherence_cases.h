#pragma once

#include "sw/workloads/workload.h"

namespace sw {

// Minimal programs that produce each coherence hazard against a non-snooping bus master, each
// with a `fixed` variant doing the correct cache maintenance (which produces none).
Workload coherence_cases_workload();

}  // namespace sw
