package rapltest

// TwoSocketServer returns the zones of a two-socket Intel Xeon host: one
// package zone per socket, each with a dram sub-zone, in 61 µJ units.
func TwoSocketServer() []Zone {
	return []Zone{
		{ID: "intel-rapl:0", Name: "package-0", Energy: 12_345_678_901, Max: ServerMax},
		{ID: "intel-rapl:0:0", Name: "dram", Energy: 2_345_678_901, Max: ServerMax},
		{ID: "intel-rapl:1", Name: "package-1", Energy: 22_345_678_901, Max: ServerMax},
		{ID: "intel-rapl:1:0", Name: "dram", Energy: 3_345_678_901, Max: ServerMax},
	}
}

// ClientLaptop returns the zones of a one-socket Intel client part: a
// package with core, uncore and dram sub-zones, the psys platform zone as
// intel-rapl:1, and the same package exposed again through MMIO as
// intel-rapl-mmio:0.
func ClientLaptop() []Zone {
	return []Zone{
		{ID: "intel-rapl:0", Name: "package-0", Energy: 40_000_000_000, Max: ClientMax},
		{ID: "intel-rapl:0:0", Name: "core", Energy: 20_000_000_000, Max: ClientMax},
		{ID: "intel-rapl:0:1", Name: "uncore", Energy: 1_000_000_000, Max: ClientMax},
		{ID: "intel-rapl:0:2", Name: "dram", Energy: 5_000_000_000, Max: ClientMax},
		{ID: "intel-rapl:1", Name: "psys", Energy: 60_000_000_000, Max: ClientMax},
		{ID: "intel-rapl-mmio:0", Name: "package-0", Energy: 40_000_000_000, Max: ClientMax},
	}
}

// AMDDesktop returns the zones an AMD Zen host shows under intel-rapl: a
// package zone and a core sub-zone, and no dram.
func AMDDesktop() []Zone {
	return []Zone{
		{ID: "intel-rapl:0", Name: "package-0", Energy: 1_000_000_000, Max: ClientMax},
		{ID: "intel-rapl:0:0", Name: "core", Energy: 500_000_000, Max: ClientMax},
	}
}
