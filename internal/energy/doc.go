// Package energy is the vocabulary every meter speaks: typed units of energy
// and power, cumulative counter readings per domain, the Meter interface, and
// the single place where counter deltas and wrap-around are computed.
//
// It imports only the standard library. Meter implementations (rapl,
// cpumodel, ...) import this package; it never imports them.
package energy
