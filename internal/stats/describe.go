package stats

import (
	"math"
	"slices"
)

// Summary describes a sample. All fields are computed over the finite values
// of the input only; N counts those values.
type Summary struct {
	// N is the number of finite values summarized.
	N int
	// Mean is the arithmetic mean Σx/N (NaN when N == 0).
	Mean float64
	// Median is the type-7 percentile at p = 0.5, i.e. the middle value, or
	// the average of the two middle values when N is even (NaN when N == 0).
	Median float64
	// SD is the sample standard deviation sqrt(Σ(x−Mean)²/(N−1)), with the
	// n−1 (Bessel) divisor. It is 0 when N == 1 and NaN when N == 0.
	SD float64
	// Min and Max are the smallest and largest values (NaN when N == 0).
	Min, Max float64
	// P5 and P95 are the 5th and 95th percentiles under Hyndman–Fan type 7
	// (linear interpolation between order statistics, numpy's default); see
	// Percentile. NaN when N == 0.
	P5, P95 float64
	// CV is the coefficient of variation SD/|Mean|; NaN when Mean == 0 or
	// N == 0.
	CV float64
	// CILow and CIHigh bound the bootstrap percentile confidence interval of
	// the mean at level Options.Level (default 95%), from Options.Resamples
	// resamples (default 2000) drawn from a PRNG seeded with Options.Seed, so
	// the interval is reproducible. NaN when N < 2.
	CILow, CIHigh float64
}

// Options controls the bootstrap used for confidence intervals.
type Options struct {
	// Resamples is the number B of bootstrap resamples; values <= 0 mean
	// DefaultResamples (2000).
	Resamples int
	// Seed seeds the PCG generator that draws the resamples. Every seed,
	// including 0, is used as given; the same seed gives the same interval.
	Seed uint64
	// Level is the confidence level in (0, 1); any other value (including
	// the zero value and NaN) means DefaultLevel (0.95).
	Level float64
}

// Defaults applied by Options when a field is left at its zero value.
const (
	DefaultResamples = 2000
	DefaultLevel     = 0.95
)

// resamples returns the effective number of bootstrap resamples.
func (o Options) resamples() int {
	if o.Resamples <= 0 {
		return DefaultResamples
	}
	return o.Resamples
}

// level returns the effective confidence level.
func (o Options) level() float64 {
	if !(o.Level > 0 && o.Level < 1) {
		return DefaultLevel
	}
	return o.Level
}

// Describe summarizes xs. NaN and ±Inf values are ignored and not counted in
// N; xs itself is not modified. An empty (or all non-finite) input gives
// N == 0 and NaN in every other field. See Summary for the definitions.
func Describe(xs []float64, opt Options) Summary {
	v := finite(xs)
	n := len(v)
	nan := math.NaN()
	s := Summary{
		N: n, Mean: nan, Median: nan, SD: nan, Min: nan, Max: nan,
		P5: nan, P95: nan, CV: nan, CILow: nan, CIHigh: nan,
	}
	if n == 0 {
		return s
	}
	slices.Sort(v)
	s.Mean = mean(v)
	s.SD = 0
	if n >= 2 {
		s.SD = math.Sqrt(variance(v, s.Mean))
	}
	s.Min, s.Max = v[0], v[n-1]
	s.Median = Percentile(v, 0.5)
	s.P5 = Percentile(v, 0.05)
	s.P95 = Percentile(v, 0.95)
	if s.Mean != 0 {
		s.CV = s.SD / math.Abs(s.Mean)
	}
	if n >= 2 {
		s.CILow, s.CIHigh = bootstrapMeanCI(v, opt)
	}
	return s
}

// Percentile returns the p-quantile (p in [0,1]) of sorted, which must be in
// ascending order and free of NaN, using Hyndman–Fan type 7 (the default of
// R's quantile and numpy's percentile): with n values and h = (n−1)·p,
//
//	Q(p) = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])   (0-based indices),
//
// so Q(0) is the minimum, Q(1) the maximum and Q(0.5) the usual median. It
// returns NaN for an empty slice or for p outside [0,1] (or NaN).
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 || !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	h := float64(n-1) * p
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	a, b := sorted[lo], sorted[lo+1]
	if a == b {
		return a
	}
	return a + (h-float64(lo))*(b-a)
}

// finite returns a new slice holding the finite values of xs, in order.
func finite(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}

// isFinite reports whether x is neither NaN nor ±Inf.
func isFinite(x float64) bool {
	return !math.IsNaN(x) && !math.IsInf(x, 0)
}

// mean returns the arithmetic mean of a non-empty slice, refined by one
// correction pass (x̄ + Σ(x−x̄)/n), which removes most of the rounding error
// of the plain sum.
func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	m := s / float64(len(v))
	var c float64
	for _, x := range v {
		c += x - m
	}
	return m + c/float64(len(v))
}

// variance returns the sample variance (n−1 divisor) of v about its mean m,
// by the corrected two-pass formula (Σd² − (Σd)²/n)/(n−1), d = x − m.
// len(v) must be at least 2.
func variance(v []float64, m float64) float64 {
	var ss, s float64
	for _, x := range v {
		d := x - m
		ss += d * d
		s += d
	}
	n := float64(len(v))
	r := (ss - s*s/n) / (n - 1)
	if r < 0 {
		return 0
	}
	return r
}
