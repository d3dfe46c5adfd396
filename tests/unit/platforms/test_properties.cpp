// platform::read_properties: a node read into a config struct through a model's property table —
// defaults for what the node lacks, conversions, range checks and their messages.
#include "config_error.h"
#include "models/common/property_table.h"
#include "platforms/builder/properties.h"
#include "platforms/devicetree/device_tree.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

namespace {

enum class Mode { slow, fast };

struct WidgetConfig {
    uint32_t burst = 64;
    uint64_t latency_ps = 5000;
    Mode mode = Mode::slow;
    uint32_t lanes = 0;
};

const models::PropertyTable<WidgetConfig>& widget_properties() {
    using Spec = models::PropertySpec<WidgetConfig>;
    static const models::PropertyTable<WidgetConfig> table{
        WidgetConfig{},
        {Spec::number(models::PropertyType::u32, "acme,burst", "burst", &WidgetConfig::burst)
             .power_of_two_up_to(4096)
             .with_unit("bytes"),
         Spec::number(
             models::PropertyType::u64, "acme,latency-ns", "latency_ps",
             [](const WidgetConfig& c) { return c.latency_ps / models::ps_per_ns; },
             [](WidgetConfig& c, uint64_t ns) { c.latency_ps = ns * models::ps_per_ns; })
             .with_unit("ns"),
         Spec::choice("acme,mode", "mode", &WidgetConfig::mode, {{"slow", Mode::slow}, {"fast", Mode::fast}}),
         Spec::number(models::PropertyType::u32, "acme,lanes", "lanes", &WidgetConfig::lanes).mandatory().range(1, 4)}};
    return table;
}

WidgetConfig read_widget(const std::string& properties) {
    TempDir dir;
    platform::DeviceTree tree = platform::DeviceTree::load(dir.write("w.dts", "/dts-v1/;\n/ { widget { " + properties +
                                                                                  " }; };\n"));
    return platform::read_properties(tree.at("/widget"), widget_properties());
}

}  // namespace

TEST_CASE("read_properties: what a node lacks keeps the table's default - what it has is converted and set",
          "[properties]") {
    WidgetConfig defaults = read_widget("acme,lanes = <2>;");
    CHECK(defaults.burst == 64);
    CHECK(defaults.latency_ps == 5000);
    CHECK(defaults.mode == Mode::slow);
    WidgetConfig set =
        read_widget("acme,lanes = <4>; acme,burst = <256>; acme,latency-ns = <7>; acme,mode = \"fast\";");
    CHECK(set.burst == 256);
    CHECK(set.latency_ps == 7000);
    CHECK(set.mode == Mode::fast);
    CHECK(set.lanes == 4);
    CHECK(widget_properties().value(set, "acme,latency-ns") == 7);
    CHECK(platform::property_json(widget_properties().at("acme,mode"), set) == "fast");
}

TEST_CASE("read_properties: a value outside what a property allows names the node, property, allowed values and "
          "value",
          "[properties]") {
    CHECK(config_error([] { read_widget("acme,lanes = <2>; acme,burst = <48>;"); }) ==
          "w.dts: node /widget: property 'acme,burst': expected a power of two up to 4096 (bytes), got 48");
    CHECK(config_error([] { read_widget("acme,lanes = <5>;"); }) ==
          "w.dts: node /widget: property 'acme,lanes': expected from 1 to 4, got 5");
    CHECK(config_error([] { read_widget("acme,lanes = <2>; acme,mode = \"turbo\";"); }) ==
          "w.dts: node /widget: property 'acme,mode': expected \"slow\" or \"fast\", got \"turbo\"");
    CHECK_THAT(config_error([] { read_widget(""); }), Catch::Contains("property 'acme,lanes'"));
}

TEST_CASE("property table: check() says which field of a config the table does not allow", "[properties]") {
    WidgetConfig config;
    config.lanes = 2;
    CHECK(widget_properties().check(config).empty());
    config.burst = 3;
    CHECK(widget_properties().check(config) == "acme,burst: expected a power of two up to 4096 (bytes), got 3");
}
