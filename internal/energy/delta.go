package energy

import "time"

// Delta returns the energy a cumulative counter advanced from prev to cur,
// and whether it wrapped on the way. This is the only place in the lab where
// counter arithmetic happens.
//
// A powercap counter counts up from 0 to max_energy_range_uj and then starts
// again from 0 (Documentation/power/powercap/powercap.rst). If cur >= prev the
// counter did not wrap (or wrapped a whole number of times, which no reader
// can see: callers must read more often than the counter can cover its range,
// see SafeInterval). If cur < prev it wrapped once:
//
//	delta = (max - prev) + cur
//
// The true modulus is max plus one counter unit (at most 61 µJ on RAPL);
// this function ignores that unit. A counter that goes backwards on a domain
// that does not wrap (max == 0) has been reset: Delta reports zero and
// wrapped=true so that the caller flags the window.
func Delta(prev, cur, max Energy) (d Energy, wrapped bool) {
	if cur >= prev {
		return cur - prev, false
	}
	if max <= 0 || prev > max {
		return 0, true
	}
	return (max - prev) + cur, true
}

// SafeInterval is the longest gap between two reads of a counter with range
// max that cannot hide a second wrap while the domain draws at most p. A
// reader that polls faster than this sees every wrap. Zero when max or p is
// not positive (the counter does not wrap, or the bound is unknown).
func SafeInterval(max Energy, p Power) time.Duration {
	if max <= 0 || p <= 0 {
		return 0
	}
	return time.Duration(float64(max) / float64(p) * float64(time.Second))
}

// Accumulator turns a meter's raw, wrapping counters into monotonic totals
// since the first reading. It is not safe for concurrent use.
type Accumulator struct {
	domains map[string]Domain
	last    map[string]Energy
	lastAt  time.Time
	total   map[string]Energy
	wraps   int
	resets  int
	started bool
}

// NewAccumulator returns an accumulator for the given domains.
func NewAccumulator(domains []Domain) *Accumulator {
	a := &Accumulator{
		domains: make(map[string]Domain, len(domains)),
		last:    make(map[string]Energy, len(domains)),
		total:   make(map[string]Energy, len(domains)),
	}
	for _, d := range domains {
		a.domains[d.ID] = d
	}
	return a
}

// Add folds a reading in and returns the totals since the first reading, per
// domain ID. Counters of unknown domains are ignored.
func (a *Accumulator) Add(r Reading) map[string]Energy {
	for _, c := range r.Counters {
		d, ok := a.domains[c.Domain]
		if !ok {
			continue
		}
		prev, seen := a.last[c.Domain]
		a.last[c.Domain] = c.Energy
		if !seen {
			continue
		}
		delta, wrapped := Delta(prev, c.Energy, d.MaxEnergy)
		if wrapped {
			if d.MaxEnergy > 0 && prev <= d.MaxEnergy {
				a.wraps++
			} else {
				a.resets++
			}
		}
		a.total[c.Domain] += delta
	}
	a.lastAt = r.Time
	a.started = true
	return a.Totals()
}

// Totals returns a copy of the totals since the first reading.
func (a *Accumulator) Totals() map[string]Energy {
	out := make(map[string]Energy, len(a.total))
	for _, d := range a.domains {
		out[d.ID] = a.total[d.ID]
	}
	return out
}

// Wraps is the number of counter wraps seen so far.
func (a *Accumulator) Wraps() int { return a.wraps }

// Resets is the number of times a counter went backwards without a range
// that explains it (a driver reload, a counter reset).
func (a *Accumulator) Resets() int { return a.resets }

// LastTime is the time of the latest reading folded in.
func (a *Accumulator) LastTime() time.Time { return a.lastAt }
