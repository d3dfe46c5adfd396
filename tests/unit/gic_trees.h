// Device trees written for the interrupt-controller tests: the bindings real boards use (a
// GIC-400 without a GICv2m frame, a Cortex-A9 MPCore's GIC, a GICv3 with an ITS child and
// 4-cell specifiers as rk3399's, a v2m frame without arm,msi-base-spi as Juno's), each with a
// dmasim bus master on SPI 16 (interrupt ID 48) so that a workload takes a wired interrupt.
#pragma once

#include <string>

namespace gic_trees {

// `gic` (a node labelled gic) in a board with one core, 256 MiB of DRAM at 0x80000000 and a bus
// master whose interrupt specifier is `bus_master_interrupt`.
inline std::string board(const std::string& gic, const std::string& bus_master_interrupt = "<0 16 4>",
                         const std::string& cpu_compatible = "arm,cortex-a15") {
    return R"(/dts-v1/;
/ {
	model = "gic test board";
	#address-cells = <1>;
	#size-cells = <1>;
	interrupt-parent = <&gic>;
	cpus {
		#address-cells = <1>;
		#size-cells = <0>;
		cpu@0 {
			device_type = "cpu";
			compatible = ")" +
           cpu_compatible + R"(";
			reg = <0>;
			d-cache-size = <0x8000>;
			d-cache-line-size = <64>;
			d-cache-sets = <128>;
		};
	};
	memory@80000000 {
		device_type = "memory";
		reg = <0x80000000 0x10000000>;
	};
)" + gic + R"(
	dma-agent@11000000 {
		compatible = "dmasim,bus-master";
		reg = <0x11000000 0x1000>, <0x11100000 0x100000>;
		interrupts = )" +
           bus_master_interrupt + R"(;
	};
};
)";
}

// A GIC-400 and nothing else: no GICv2m frame, so no MSI.
inline std::string gic400_without_v2m() {
    return board(R"(	gic: interrupt-controller@2c001000 {
		compatible = "arm,gic-400";
		#interrupt-cells = <3>;
		interrupt-controller;
		reg = <0x2c001000 0x1000>, <0x2c002000 0x2000>, <0x2c004000 0x2000>, <0x2c006000 0x2000>;
	};)");
}

// i.MX6Q's: the distributor, then the 256-byte CPU interface in the A9 MPCore's private region;
// no virtualization regions.
inline std::string cortex_a9_gic() {
    return board(R"(	gic: interrupt-controller@a01000 {
		compatible = "arm,cortex-a9-gic";
		#interrupt-cells = <3>;
		interrupt-controller;
		reg = <0x00a01000 0x1000>, <0x00a00100 0x100>;
	};)",
                 "<0 16 4>", "arm,cortex-a9");
}

// rk3399's shape: 4-cell specifiers, the distributor, the redistributors (room for 6 cores), the
// GICv2-compatible regions, and an ITS child.
inline std::string gic_v3_with_its() {
    return board(R"(	gic: interrupt-controller@fee00000 {
		compatible = "arm,gic-v3";
		#interrupt-cells = <4>;
		#address-cells = <1>;
		#size-cells = <1>;
		ranges;
		interrupt-controller;
		reg = <0xfee00000 0x10000>, <0xfef00000 0xc0000>, <0xfff00000 0x10000>, <0xfff10000 0x10000>,
		      <0xfff20000 0x10000>;
		its: msi-controller@fee20000 {
			compatible = "arm,gic-v3-its";
			msi-controller;
			#msi-cells = <1>;
			reg = <0xfee20000 0x20000>;
		};
	};)",
                 "<0 16 4 0>", "arm,cortex-a53");
}

// Juno's frame: no arm,msi-base-spi / arm,msi-num-spis, so Linux reads MSI_TYPER.
inline std::string gic400_v2m_without_base_spi() {
    return board(R"(	gic: interrupt-controller@2c001000 {
		compatible = "arm,gic-400", "arm,cortex-a15-gic";
		#interrupt-cells = <3>;
		#address-cells = <1>;
		#size-cells = <1>;
		interrupt-controller;
		reg = <0x2c001000 0x1000>, <0x2c002000 0x2000>;
		ranges = <0 0x2c1c0000 0x40000>;
		v2m_0: v2m@0 {
			compatible = "arm,gic-v2m-frame";
			msi-controller;
			reg = <0 0x1000>;
		};
		v2m@10000 {
			compatible = "arm,gic-v2m-frame";
			msi-controller;
			reg = <0x10000 0x1000>;
		};
	};)");
}

}  // namespace gic_trees
