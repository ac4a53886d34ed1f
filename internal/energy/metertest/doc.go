// Package metertest is the conformance suite every energy.Meter passes:
// RunConformance checks that a meter describes itself fully, returns one
// counter per domain in Info order, never goes backwards except by a wrap
// its domain's MaxEnergy explains, honours a cancelled context, and can be
// read from two goroutines at once.
//
// It is for tests only. It imports the standard library, testing, go-cmp
// and internal/energy; it must not import any meter implementation (rapl,
// cpumodel, nvml, fake) or any other production package: their tests import
// it, not the reverse.
package metertest
