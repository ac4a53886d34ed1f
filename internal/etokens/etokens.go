package etokens

import (
	"math"
	"sort"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/lab"
)

// Phases is a run's energy split at the first token.
type Phases struct {
	Total   energy.Energy
	Prefill energy.Energy
	Decode  energy.Energy
	// Split is false when no first token arrived, so there is no boundary
	// between prefill and decode.
	Split bool
}

// Set computes the intensities of p for in input and out output tokens:
//
//	e-token-i                = total Wh × 1000 / input tokens
//	e-token-o                = total Wh × 1000 / output tokens
//	prefill Wh per 1k input  = prefill Wh × 1000 / input tokens
//	decode Wh per 1k output  = decode Wh × 1000 / output tokens
//	J per token              = total J / (input + output tokens)
//	J per output token       = total J / output tokens
//
// e-token-i and e-token-o both amortise the whole run's energy over one side
// of the exchange; they are conventions for comparing runs, not the physical
// cost of one token. A figure whose denominator is zero is nil, never a
// floor of one token.
func Set(p Phases, in, out int) lab.ETokenSet {
	var s lab.ETokenSet
	wh := p.Total.WattHours()
	if in > 0 {
		s.WhPer1kInput = ptr(wh * 1000 / float64(in))
		if p.Split {
			s.PrefillWhPer1kInput = ptr(p.Prefill.WattHours() * 1000 / float64(in))
		}
	}
	if out > 0 {
		s.WhPer1kOutput = ptr(wh * 1000 / float64(out))
		s.JPerOutputToken = ptr(p.Total.Joules() / float64(out))
		if p.Split {
			s.DecodeWhPer1kOutput = ptr(p.Decode.WattHours() * 1000 / float64(out))
		}
	}
	if in+out > 0 && in >= 0 && out >= 0 {
		s.JPerToken = ptr(p.Total.Joules() / float64(in+out))
	}
	return s
}

// Active subtracts an idle baseline of power w from gross energy over a
// window of length d:
//
//	active = gross − baseline W × window s
//
// The result may be negative when the window drew less than the idle sample
// (noise); callers flag it rather than clamp it, so that averages over many
// runs stay unbiased.
func Active(gross energy.Energy, w energy.Power, d time.Duration) energy.Energy {
	return gross - w.Over(d)
}

// DecodeRate is the decode throughput: the first output token closes
// prefill, so decode produced out − 1 tokens in the decode time. Nil for
// fewer than two tokens or no decode time.
func DecodeRate(out int, decode time.Duration) *float64 {
	if out < 2 || decode <= 0 {
		return nil
	}
	return ptr(float64(out-1) / decode.Seconds())
}

// Rate is n per second over d; nil when d <= 0 or n < 0.
func Rate(n int, d time.Duration) *float64 {
	if d <= 0 || n < 0 {
		return nil
	}
	return ptr(float64(n) / d.Seconds())
}

// Latency summarises inter-token gaps in milliseconds: mean and the 50th and
// 95th percentiles (linear interpolation between closest ranks). Nil with no
// gaps.
func Latency(gaps []time.Duration) *lab.Latency {
	if len(gaps) == 0 {
		return nil
	}
	ms := make([]float64, len(gaps))
	var sum float64
	for i, g := range gaps {
		ms[i] = float64(g) / float64(time.Millisecond)
		sum += ms[i]
	}
	sort.Float64s(ms)
	return &lab.Latency{N: len(ms), Mean: sum / float64(len(ms)), P50: Percentile(ms, 50), P95: Percentile(ms, 95)}
}

// Gaps returns the differences between consecutive times.
func Gaps(times []time.Time) []time.Duration {
	if len(times) < 2 {
		return nil
	}
	g := make([]time.Duration, len(times)-1)
	for i := 1; i < len(times); i++ {
		g[i-1] = times[i].Sub(times[i-1])
	}
	return g
}

// Percentile returns the p-th percentile (0..100) of sorted values by linear
// interpolation between closest ranks (rank = p/100 × (n − 1), Hyndman and
// Fan's type 7, the default of R and NumPy). NaN for no values.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	if n == 1 {
		return sorted[0]
	}
	r := p / 100 * float64(n-1)
	lo := int(math.Floor(r))
	if lo >= n-1 {
		return sorted[n-1]
	}
	if lo < 0 {
		return sorted[0]
	}
	f := r - float64(lo)
	return sorted[lo] + f*(sorted[lo+1]-sorted[lo])
}

// Wh returns e in watt-hours as a pointer, for optional record fields.
func Wh(e energy.Energy) *float64 { return ptr(e.WattHours()) }

// Ms returns d in milliseconds as a pointer.
func Ms(d time.Duration) *float64 { return ptr(float64(d) / float64(time.Millisecond)) }

func ptr(f float64) *float64 { return &f }
