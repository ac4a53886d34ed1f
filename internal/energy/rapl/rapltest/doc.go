// Package rapltest builds powercap sysfs trees with the kernel's layout
// (Documentation/power/powercap/powercap.rst) in a test's temporary
// directory, breaks them on purpose, and plays a known power profile into
// their energy_uj counters so that a meter's readings can be compared with
// the exact energy played.
//
// It is for tests only. It imports the standard library, testing and
// internal/energy; it must not import internal/energy/rapl (whose tests use
// it) or any production adapter.
package rapltest
