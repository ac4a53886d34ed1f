package stats

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// pcgStream is the fixed second word of the PCG state; only Options.Seed
// varies between callers.
const pcgStream = 0x9e3779b97f4a7c15

// newRNG returns the generator used for the bootstrap resamples of opt: the
// standard library's PCG-DXSM, seeded with (opt.Seed, pcgStream).
func newRNG(opt Options) *rand.PCG {
	return rand.NewPCG(opt.Seed, pcgStream)
}

// uniformIndex returns a uniformly distributed integer in [0, n), n > 0,
// by Lemire's multiply-and-shift method with rejection of the biased low
// range (so the result is exactly uniform). It is used instead of
// rand.Rand.IntN, which does the same, to avoid an interface call per draw in
// the bootstrap's inner loop.
func uniformIndex(p *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(p.Uint64(), n)
	if lo < n {
		thresh := -n % n // 2⁶⁴ mod n
		for lo < thresh {
			hi, lo = bits.Mul64(p.Uint64(), n)
		}
	}
	return hi
}

// resampleMean returns the mean of len(v) values drawn from v with
// replacement.
func resampleMean(rng *rand.PCG, v []float64) float64 {
	n := uint64(len(v))
	var s float64
	for range n {
		s += v[uniformIndex(rng, n)]
	}
	return s / float64(n)
}

// percentileInterval sorts stats in place and returns its type-7 percentiles
// at (1−level)/2 and (1+level)/2: the bootstrap percentile interval.
func percentileInterval(stats []float64, level float64) (lo, hi float64) {
	slices.Sort(stats)
	alpha := 1 - level
	return Percentile(stats, alpha/2), Percentile(stats, 1-alpha/2)
}

// bootstrapMeanCI returns the bootstrap percentile interval of the mean of v
// (len(v) >= 2, all finite).
func bootstrapMeanCI(v []float64, opt Options) (lo, hi float64) {
	rng := newRNG(opt)
	b := opt.resamples()
	means := make([]float64, b)
	for i := range means {
		means[i] = resampleMean(rng, v)
	}
	return percentileInterval(means, opt.level())
}

// bootstrapTwoSample resamples a and b independently (each with replacement,
// at its own size) B times, applies f to the two resampled means, and returns
// the percentile interval of the results. If any resample gives a non-finite
// value (e.g. a zero denominator), the interval is undefined and NaN, NaN is
// returned.
func bootstrapTwoSample(a, b []float64, opt Options, f func(ma, mb float64) float64) (lo, hi float64) {
	rng := newRNG(opt)
	vals := make([]float64, opt.resamples())
	for i := range vals {
		ma := resampleMean(rng, a)
		mb := resampleMean(rng, b)
		r := f(ma, mb)
		if !isFinite(r) {
			return math.NaN(), math.NaN()
		}
		vals[i] = r
	}
	return percentileInterval(vals, opt.level())
}
