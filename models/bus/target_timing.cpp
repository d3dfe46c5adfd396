#include "models/bus/target_timing.h"

namespace models {

namespace {
using Spec = PropertySpec<TargetTiming>;
}  // namespace

const Spec& target_latency_property() {
    auto get = [](const TargetTiming& timing) { return timing.latency_ps / ps_per_ns; };
    auto set = [](TargetTiming& timing, uint64_t ns) { timing.latency_ps = ns * ps_per_ns; };
    static const Spec spec = Spec::number(PropertyType::u64, "dmasim,latency-ns", "latency_ps", get, set)
                                 .with_unit("ns")
                                 .with_doc("added to each access");
    return spec;
}

const Spec& target_bandwidth_property() {
    static const Spec spec =
        Spec::number(PropertyType::u64, "dmasim,bandwidth-mbps", "bytes_per_us", &TargetTiming::bytes_per_us)
            .with_unit("MB/s")
            .with_doc("rate of the data phase, which occupies the target (accesses queue); 0: unlimited");
    return spec;
}

std::vector<PropertySpec<TargetTiming>> target_timing_properties() {
    return {target_latency_property(), target_bandwidth_property()};
}

const PropertyTable<TargetTiming>& register_timing_properties() {
    static const PropertyTable<TargetTiming> table{TargetTiming{20 * ps_per_ns, 0}, target_timing_properties()};
    return table;
}

}  // namespace models
