//go:build !linux

package enginebench

// resetPeakRSS does nothing where the kernel offers no way to.
func resetPeakRSS() {}

// peakRSS is 0 (not reported) outside Linux.
func peakRSS() int64 { return 0 }
