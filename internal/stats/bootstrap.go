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

// centered holds a sample as its mean m and deviations d[i] = x[i] − m, so
// that a resampled mean can be formed as m + Σd/n: the rounding error then
// scales with the spread of the data rather than with its magnitude, and a
// constant sample resamples to exactly its mean.
type centered struct {
	m float64
	d []float64
}

// center returns v (non-empty, finite) in centered form.
func center(v []float64) centered {
	m := mean(v)
	d := make([]float64, len(v))
	for i, x := range v {
		d[i] = x - m
	}
	return centered{m: m, d: d}
}

// resampleMean returns the mean of len(c.d) values drawn from the sample
// with replacement, advancing rng.
//
// Each index is drawn uniformly from [0, n) by Lemire's multiply-and-shift
// method: the high word of u·n for a uniform 64-bit u, rejecting the
// 2⁶⁴ mod n values of the low word that would bias it, so every index is
// exactly equally likely (the method of rand.Rand.IntN, written out here so
// that the generator state stays in registers in this hot loop).
func resampleMean(rng *rand.PCG, c centered) float64 {
	p := *rng
	n := uint64(len(c.d))
	thresh := -n % n // 2⁶⁴ mod n
	var s float64
	for range n {
		hi, lo := bits.Mul64(p.Uint64(), n)
		for lo < thresh {
			hi, lo = bits.Mul64(p.Uint64(), n)
		}
		s += c.d[hi]
	}
	*rng = p
	return c.m + s/float64(n)
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
	c := center(v)
	means := make([]float64, opt.resamples())
	for i := range means {
		means[i] = resampleMean(rng, c)
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
	ca, cb := center(a), center(b)
	vals := make([]float64, opt.resamples())
	for i := range vals {
		ma := resampleMean(rng, ca)
		mb := resampleMean(rng, cb)
		r := f(ma, mb)
		if !isFinite(r) {
			return math.NaN(), math.NaN()
		}
		vals[i] = r
	}
	return percentileInterval(vals, opt.level())
}
