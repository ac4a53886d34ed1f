package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestWelchHandComputed(t *testing.T) {
	// a: mean 3, s² = 2.5; b: mean 6, s² = 10; n = 5 each.
	// s₁²/n₁ = 0.5, s₂²/n₂ = 2, so t = −3/sqrt(2.5) and
	// dof = 2.5² / (0.5²/4 + 2²/4) = 6.25/1.0625 = 100/17.
	a := []float64{1, 2, 3, 4, 5}
	b := []float64{2, 4, 6, 8, 10}
	tt, dof, p := WelchTTest(a, b)
	checkClose(t, "t", tt, -3/math.Sqrt(2.5), 1e-14)
	checkClose(t, "dof", dof, 100.0/17.0, 1e-14)
	// Reference p by numerical integration of the t density.
	checkClose(t, "p", p, tTwoSidedByQuadrature(3/math.Sqrt(2.5), 100.0/17.0), 1e-9)
	if p < 0.10 || p > 0.11 {
		t.Errorf("p = %v, want about 0.107", p)
	}

	// Swapping the samples flips t only.
	t2, dof2, p2 := WelchTTest(b, a)
	checkClose(t, "t swapped", t2, -tt, 1e-15)
	checkClose(t, "dof swapped", dof2, dof, 1e-15)
	checkClose(t, "p swapped", p2, p, 1e-15)
}

func TestDiffOfMeansKnownP(t *testing.T) {
	// Equal sizes (6) and equal variances (1.2) give dof = 10 exactly; the
	// shift 2·sqrt(0.4) makes t = 2, whose two-sided p is 0.0733880347707...
	b := []float64{-1, -1, -1, 1, 1, 1}
	shift := 2 * math.Sqrt(0.4)
	a := make([]float64, len(b))
	for i, v := range b {
		a[i] = v + shift
	}
	tt, dof, _ := WelchTTest(a, b)
	checkClose(t, "t", tt, 2, 1e-14)
	checkClose(t, "dof", dof, 10, 1e-13)

	d := DiffOfMeans(a, b, Options{Seed: 5})
	checkClose(t, "PValue", d.PValue, 0.07338803477074, 1e-12)
	checkClose(t, "Value", d.Value, shift, 1e-14)
	if d.N1 != 6 || d.N2 != 6 {
		t.Errorf("N1, N2 = %d, %d", d.N1, d.N2)
	}
	if !(d.Low < d.Value && d.Value < d.High) {
		t.Errorf("CI [%v, %v] does not contain %v", d.Low, d.High, d.Value)
	}
}

func TestDiffOfMeansIdenticalAndDifferent(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	x := sample(rng, 30, normal(0, 1))
	d := DiffOfMeans(x, x, Options{Seed: 1})
	checkClose(t, "PValue(identical)", d.PValue, 1, 1e-15)
	checkClose(t, "Value(identical)", d.Value, 0, 0)
	if !(d.Low < 0 && 0 < d.High) {
		t.Errorf("CI [%v, %v] of identical samples excludes 0", d.Low, d.High)
	}

	y := sample(rng, 30, normal(5, 1))
	d = DiffOfMeans(x, y, Options{Seed: 1})
	if !(d.PValue < 1e-20 && d.PValue >= 0) {
		t.Errorf("PValue(clearly different) = %v, want tiny", d.PValue)
	}
	if !(d.High < 0) || math.Abs(d.Value+5) > 1 {
		t.Errorf("difference %v [%v, %v], want about −5 with a CI below 0", d.Value, d.Low, d.High)
	}
}

func TestDiffOfMeansEdges(t *testing.T) {
	d := DiffOfMeans([]float64{1, math.NaN()}, []float64{1, 2, 3}, Options{})
	if d.N1 != 1 || d.N2 != 3 {
		t.Errorf("N1, N2 = %d, %d; want 1, 3", d.N1, d.N2)
	}
	checkClose(t, "Value", d.Value, -1, 0)
	checkNaN(t, "PValue(n1 = 1)", d.PValue)
	checkNaN(t, "Low(n1 = 1)", d.Low)

	d = DiffOfMeans(nil, []float64{1, 2}, Options{})
	checkNaN(t, "Value(empty)", d.Value)

	// Zero variance in both samples.
	tt, dof, p := WelchTTest([]float64{2, 2, 2}, []float64{1, 1})
	if !math.IsInf(tt, 1) || p != 0 || !math.IsNaN(dof) {
		t.Errorf("constant, different: t, dof, p = %v, %v, %v; want +Inf, NaN, 0", tt, dof, p)
	}
	tt, dof, p = WelchTTest([]float64{2, 2, 2}, []float64{2, 2})
	if tt != 0 || p != 1 || !math.IsNaN(dof) {
		t.Errorf("constant, equal: t, dof, p = %v, %v, %v; want 0, NaN, 1", tt, dof, p)
	}
	// Zero variance in one sample: dof = n−1 of the other.
	_, dof, _ = WelchTTest([]float64{1, 2, 3, 4}, []float64{0, 0, 0})
	checkClose(t, "dof(one constant)", dof, 3, 1e-14)
}

// For moderately large samples the bootstrap interval of a difference of
// means is close to d ± z·sqrt(s₁²/n₁ + s₂²/n₂) (bootstrap's n divisor).
func TestDiffOfMeansMatchesNormalApproximation(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 0))
	a := sample(rng, 200, normal(10, 3))
	b := sample(rng, 120, normal(9, 1))
	d := DiffOfMeans(a, b, Options{Seed: 4})
	ma, mb := mean(a), mean(b)
	na, nb := float64(len(a)), float64(len(b))
	checkClose(t, "Value", d.Value, ma-mb, 1e-13)
	half := 1.959964 * math.Sqrt(variance(a, ma)*(na-1)/(na*na)+variance(b, mb)*(nb-1)/(nb*nb))
	if math.Abs(d.Low-(d.Value-half)) > 0.1*half || math.Abs(d.High-(d.Value+half)) > 0.1*half {
		t.Errorf("CI [%v, %v], normal approximation [%v, %v]", d.Low, d.High, d.Value-half, d.Value+half)
	}
}
