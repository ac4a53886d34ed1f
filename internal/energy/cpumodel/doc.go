// Package cpumodel is a modelled meter for hosts without an energy counter
// (virtual machines, macOS, RAPL not readable): it multiplies CPU time by a
// per-CPU power taken from the processor's TDP,
//
//	E = CPU time × TDP / logical CPUs
//
// so that a busy CPU-second costs TDP/cores joules and an idle CPU costs
// nothing. Its figures are labelled energy.Modelled, and Info states the
// formula with its numbers; they are not measurements and must not be shown
// as such.
//
// The CPU time is that of this process (getrusage, any Unix), of a process
// tree found by name or PID (/proc/<pid>/stat, Linux), or of the whole
// machine (/proc/stat, Linux). The proc root is a parameter: only the
// command line knows /proc. File reads are size-capped and parsing is done by
// pure, fuzzed functions. Linux-only code lives in _linux.go files with
// _other.go stubs that return energy.ErrUnavailable.
//
// It imports only the standard library and internal/energy. It must not
// import provider, store, server, metrics or any other adapter.
package cpumodel
