package stats

import "math"

// RatioOfSums returns Σnum/Σden over the index pairs where both num[i] and
// den[i] are finite; pairs with a NaN or ±Inf on either side are skipped
// entirely. It returns NaN if the slices differ in length, or if the
// denominator sum is 0 (which includes the case of no usable pairs).
//
// This is the correct average of a per-unit intensity: the energy per token
// of a batch is total Wh / total tokens, which weights each run by its token
// count. The unweighted mean of the per-run ratios num[i]/den[i] is a
// different (and for that purpose biased) quantity whenever den varies.
func RatioOfSums(num, den []float64) float64 {
	if len(num) != len(den) {
		return math.NaN()
	}
	var sn, sd float64
	for i := range num {
		if isFinite(num[i]) && isFinite(den[i]) {
			sn += num[i]
			sd += den[i]
		}
	}
	if sd == 0 {
		return math.NaN()
	}
	return sn / sd
}

// Ratio is an estimate of mean(a)/mean(b) with a bootstrap confidence
// interval.
type Ratio struct {
	// Value is mean(a)/mean(b) over the finite values of each sample; NaN
	// when either sample is empty or mean(b) == 0.
	Value float64
	// Low and High bound the bootstrap percentile interval (see RatioOfMeans);
	// NaN when either sample has fewer than 2 finite values or when some
	// resample of b has mean 0.
	Low, High float64
	// N1 and N2 are the numbers of finite values used from a and b.
	N1, N2 int
}

// RatioOfMeans estimates mean(a)/mean(b), where a and b are independent
// samples (not paired; they may differ in size). Non-finite values are
// dropped from each sample separately. The confidence interval is the
// bootstrap percentile interval at opt.Level from opt.Resamples resamples in
// which a and b are resampled independently, each with replacement at its
// own size, and the ratio of the two resampled means is taken.
//
// The interval is meant for a denominator sample whose values share one sign
// (durations, token counts, energies); if mean(b) can come near zero the
// ratio's sampling distribution is unbounded and no interval is reliable.
//
// For paired data where the ratio of totals is wanted (energy per token over
// runs), use RatioOfSums; its value equals mean(a)/mean(b) when the two
// slices have the same length and no non-finite values, but RatioOfSums
// drops incomplete pairs together.
func RatioOfMeans(a, b []float64, opt Options) Ratio {
	va, vb := finite(a), finite(b)
	r := Ratio{Value: math.NaN(), Low: math.NaN(), High: math.NaN(), N1: len(va), N2: len(vb)}
	if len(va) == 0 || len(vb) == 0 {
		return r
	}
	mb := mean(vb)
	if mb != 0 {
		r.Value = mean(va) / mb
	}
	if len(va) < 2 || len(vb) < 2 {
		return r
	}
	r.Low, r.High = bootstrapTwoSample(va, vb, opt, func(x, y float64) float64 { return x / y })
	return r
}
