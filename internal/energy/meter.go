package energy

import (
	"context"
	"errors"
	"time"
)

// ErrUnavailable marks a meter this host lacks or cannot read (no powercap
// tree, energy_uj readable by root only, no CPU accounting ...). Errors that
// wrap it carry the reason and, where there is one, the fix. Callers degrade
// to another meter and show the message; they never read it as zero energy.
var ErrUnavailable = errors.New("meter unavailable")

// Source says how an energy figure was obtained.
type Source string

// Sources of an energy figure.
const (
	// Measured figures come from hardware energy counters (RAPL, NVML).
	Measured Source = "measured"
	// Modelled figures are computed from another quantity the host does
	// measure (CPU time) and a stated assumption (watts per core).
	Modelled Source = "modelled"
	// Estimated figures come from published benchmarks, not from this host.
	Estimated Source = "estimated"
)

// Boundary names the physical scope a counter covers.
type Boundary string

// Boundaries of the domains the lab knows.
const (
	// BoundaryCPUPackage is a CPU socket: cores, caches, memory controller,
	// integrated GPU (RAPL package-N).
	BoundaryCPUPackage Boundary = "cpu-package"
	// BoundaryDRAM is the memory attached to a socket (RAPL dram).
	BoundaryDRAM Boundary = "dram"
	// BoundaryPlatform is the whole SoC platform as RAPL psys reports it.
	BoundaryPlatform Boundary = "platform"
	// BoundaryGPU is one accelerator board.
	BoundaryGPU Boundary = "gpu"
	// BoundaryCPUTime is CPU work modelled from CPU time, not metered.
	BoundaryCPUTime Boundary = "cpu-time-modelled"
)

// Domain describes one cumulative counter of a meter.
type Domain struct {
	// ID is a stable key unique within the meter, e.g. the powercap zone
	// directory "intel-rapl:0:0". Domains are keyed by ID, never by Name,
	// so that two sockets cannot overwrite each other.
	ID string `json:"id"`
	// Name is the name the hardware gives, e.g. "package-0" or "dram".
	Name string `json:"name"`
	// Boundary is the physical scope the counter covers.
	Boundary Boundary `json:"boundary"`
	// MaxEnergy is the counter's range: it wraps to zero after this value
	// (powercap max_energy_range_uj). Zero means it does not wrap.
	MaxEnergy Energy `json:"max_energy_uj,omitempty"`
}

// Counter is the cumulative value of one domain at one instant.
type Counter struct {
	Domain string `json:"domain"`
	Energy Energy `json:"energy_uj"`
}

// Reading is one snapshot of every domain of a meter. Counters are in the
// order of Info.Domains.
type Reading struct {
	Time     time.Time `json:"time"`
	Counters []Counter `json:"counters"`
}

// Info describes a meter: what it covers and how far its figures can be
// trusted.
type Info struct {
	// Name is the meter's short name ("rapl", "cpu-model").
	Name string `json:"name"`
	// Source says whether the meter measures or models.
	Source Source `json:"source"`
	// Boundary is the scope of the sum of all domains, in words, e.g.
	// "cpu-package+dram (2 sockets)".
	Boundary string `json:"boundary"`
	// Domains are the counters summed into the meter's energy. Domains the
	// meter saw but does not sum (core, uncore, psys ...) are in Excluded.
	Domains []Domain `json:"domains"`
	// Excluded lists domains that were found but not counted, with why.
	Excluded []string `json:"excluded,omitempty"`
	// Resolution is the smallest energy step the counter reports.
	Resolution Energy `json:"resolution_uj"`
	// UpdatePeriod is how often the underlying counter changes. Windows
	// shorter than about twice this are flagged.
	UpdatePeriod time.Duration `json:"update_period_ns"`
	// Assumptions are the stated assumptions of a modelled meter.
	Assumptions []string `json:"assumptions,omitempty"`
	// Description is one line for humans.
	Description string `json:"description"`
}

// Meter reads cumulative energy counters. Implementations must be safe for
// concurrent use by one sampler and one snapshot caller.
type Meter interface {
	// Info describes the meter; it does no I/O.
	Info() Info
	// Read returns the cumulative counters now.
	Read(ctx context.Context) (Reading, error)
}
