// Package rapl reads Intel (and AMD) RAPL energy counters through the Linux
// powercap sysfs interface (Documentation/power/powercap/powercap.rst).
//
// A Meter discovers the RAPL zones under <sysfsRoot>/class/powercap, decides
// once which of them to count so that no energy is counted twice (package-N
// plus its dram sub-zone, or psys alone; core and uncore are inside the
// package and are never added to it), and on every Read returns the raw
// energy_uj of the counted zones. It does no counter arithmetic: the counters
// wrap at max_energy_range_uj and energy.Delta and energy.Accumulator unwrap
// them in one place.
//
// Zones are keyed by their sysfs directory ("intel-rapl:0:0"), never by their
// name, so that two sockets cannot overwrite each other. Permission errors
// (energy_uj is root-only since Linux 5.10) and absent hardware are reported
// as errors wrapping energy.ErrUnavailable, never as zero energy.
//
// The package takes the sysfs root as a parameter and never names /sys
// itself; only the command line knows where sysfs is mounted. File reads are
// size-capped and parsing is done by pure, fuzzed functions.
//
// It imports only the standard library and internal/energy. It must not
// import provider, store, server, metrics or any other adapter.
package rapl
