package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRatioOfSumsVsMeanOfRatios(t *testing.T) {
	// Two runs: a short one (10 tokens, 1 Wh) and a long one (1000 tokens,
	// 10 Wh). Energy per token over the batch is 11/1010 Wh; the mean of the
	// per-run intensities (0.1 and 0.01) would be 0.055, five times too high.
	wh := []float64{1, 10}
	tokens := []float64{10, 1000}
	got := RatioOfSums(wh, tokens)
	checkClose(t, "RatioOfSums", got, 11.0/1010.0, 1e-15)
	meanOfRatios := (wh[0]/tokens[0] + wh[1]/tokens[1]) / 2
	checkClose(t, "mean of ratios", meanOfRatios, 0.055, 1e-15)
	if math.Abs(got-meanOfRatios) < 0.04 {
		t.Errorf("worked example should distinguish the two: %v vs %v", got, meanOfRatios)
	}
}

func TestRatioOfSumsNonFiniteAndEdges(t *testing.T) {
	// A pair with a non-finite value on either side is dropped as a whole.
	num := []float64{1, math.NaN(), 3, 4, 100}
	den := []float64{2, 50, math.Inf(1), 6, math.NaN()}
	checkClose(t, "RatioOfSums", RatioOfSums(num, den), 5.0/8.0, 1e-15)

	checkNaN(t, "mismatched lengths", RatioOfSums([]float64{1, 2}, []float64{1}))
	checkNaN(t, "zero denominator", RatioOfSums([]float64{1, 2}, []float64{1, -1}))
	checkNaN(t, "empty", RatioOfSums(nil, nil))
	checkNaN(t, "no finite pairs", RatioOfSums([]float64{math.NaN()}, []float64{1}))
}

func TestRatioOfMeans(t *testing.T) {
	a := []float64{10, 12, 11, 13, 9, math.NaN(), 10.5}
	b := []float64{5, 5.5, 4.5, 6, math.Inf(-1)}
	opt := Options{Seed: 11}
	r := RatioOfMeans(a, b, opt)
	if r.N1 != 6 || r.N2 != 4 {
		t.Errorf("N1, N2 = %d, %d; want 6, 4", r.N1, r.N2)
	}
	checkClose(t, "Value", r.Value, (65.5/6)/(21.0/4), 1e-14)
	if !(r.Low < r.Value && r.Value < r.High) {
		t.Errorf("CI [%v, %v] does not contain %v", r.Low, r.High, r.Value)
	}
	// The bootstrap ratio cannot leave the range of possible resampled
	// ratios: min(a)/max(b) .. max(a)/min(b).
	if r.Low < 9.0/6 || r.High > 13/4.5 {
		t.Errorf("CI [%v, %v] outside the attainable range", r.Low, r.High)
	}
	if r2 := RatioOfMeans(a, b, opt); r2 != r {
		t.Errorf("not deterministic: %+v vs %+v", r, r2)
	}
	if r3 := RatioOfMeans(a, b, Options{Seed: 12}); r3.Low == r.Low && r3.High == r.High {
		t.Errorf("different seeds gave identical CIs")
	}
}

func TestRatioOfMeansEdges(t *testing.T) {
	r := RatioOfMeans(nil, []float64{1, 2}, Options{})
	checkNaN(t, "Value(empty a)", r.Value)
	checkNaN(t, "Low(empty a)", r.Low)

	r = RatioOfMeans([]float64{1, 2}, []float64{-1, 1}, Options{})
	checkNaN(t, "Value(mean b = 0)", r.Value)
	checkNaN(t, "Low(mean b = 0)", r.Low)

	r = RatioOfMeans([]float64{4}, []float64{2, 2}, Options{})
	checkClose(t, "Value(n1 = 1)", r.Value, 2, 0)
	checkNaN(t, "Low(n1 = 1)", r.Low)
	checkNaN(t, "High(n1 = 1)", r.High)

	// Constant samples: a degenerate but well-defined interval.
	r = RatioOfMeans([]float64{3, 3, 3}, []float64{2, 2}, Options{})
	for name, v := range map[string]float64{"Value": r.Value, "Low": r.Low, "High": r.High} {
		checkClose(t, name, v, 1.5, 0)
	}
}

// For moderately large samples the bootstrap interval of a ratio of means
// is close to the delta-method interval R ± z·R·sqrt(s₁²/(n₁m₁²) + s₂²/(n₂m₂²))
// (with the bootstrap's n divisor in the variances).
func TestRatioOfMeansMatchesDeltaMethod(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 0))
	a := sample(rng, 200, normal(10, 2))
	b := sample(rng, 150, normal(4, 1))
	r := RatioOfMeans(a, b, Options{Seed: 2})
	ma, mb := mean(a), mean(b)
	na, nb := float64(len(a)), float64(len(b))
	va, vb := variance(a, ma)*(na-1)/na, variance(b, mb)*(nb-1)/nb
	se := r.Value * math.Sqrt(va/(na*ma*ma)+vb/(nb*mb*mb))
	half := 1.959964 * se
	if math.Abs(r.Low-(r.Value-half)) > 0.1*half || math.Abs(r.High-(r.Value+half)) > 0.1*half {
		t.Errorf("CI [%v, %v], delta method [%v, %v]", r.Low, r.High, r.Value-half, r.Value+half)
	}
}
