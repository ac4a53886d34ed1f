package stats

import "math"

// Difference is an estimate of mean(a) − mean(b) with a bootstrap confidence
// interval and Welch's t-test.
type Difference struct {
	// Value is mean(a) − mean(b) over the finite values of each sample; NaN
	// when either sample is empty.
	Value float64
	// Low and High bound the bootstrap percentile interval of the difference
	// (a and b resampled independently); NaN when either sample has fewer
	// than 2 finite values.
	Low, High float64
	// PValue is the two-sided p-value of Welch's unequal-variance t-test of
	// equal means (see WelchTTest); NaN when either sample has fewer than 2
	// finite values.
	PValue float64
	// N1 and N2 are the numbers of finite values used from a and b.
	N1, N2 int
}

// DiffOfMeans estimates mean(a) − mean(b) for two independent samples (for
// example runs with and without a middleware). Non-finite values are dropped
// from each sample separately. The confidence interval is the bootstrap
// percentile interval at opt.Level from opt.Resamples resamples, with a and b
// resampled independently at their own sizes; the p-value is Welch's
// two-sided t-test (see WelchTTest), which does not depend on opt.
func DiffOfMeans(a, b []float64, opt Options) Difference {
	va, vb := finite(a), finite(b)
	d := Difference{Value: math.NaN(), Low: math.NaN(), High: math.NaN(), PValue: math.NaN(), N1: len(va), N2: len(vb)}
	if len(va) == 0 || len(vb) == 0 {
		return d
	}
	d.Value = mean(va) - mean(vb)
	if len(va) < 2 || len(vb) < 2 {
		return d
	}
	_, _, d.PValue = welch(va, vb)
	d.Low, d.High = bootstrapTwoSample(va, vb, opt, func(x, y float64) float64 { return x - y })
	return d
}

// WelchTTest performs Welch's unequal-variance t-test of H0: mean(a) ==
// mean(b) for independent samples, over the finite values of each. With
// sample means m₁, m₂, sample variances s₁², s₂² (n−1 divisor) and sizes
// n₁, n₂:
//
//	t   = (m₁ − m₂) / sqrt(s₁²/n₁ + s₂²/n₂)
//	dof = (s₁²/n₁ + s₂²/n₂)² / ((s₁²/n₁)²/(n₁−1) + (s₂²/n₂)²/(n₂−1))   (Welch–Satterthwaite)
//	p   = 2·(1 − F_dof(|t|)) = I_{dof/(dof+t²)}(dof/2, 1/2)
//
// where F is the Student t CDF and I the regularized incomplete beta
// function. All three are NaN when either sample has fewer than 2 finite
// values. When both samples have zero variance, t is ±Inf and p = 0 if the
// means differ, t = 0 and p = 1 if they are equal, and dof is NaN.
func WelchTTest(a, b []float64) (t, dof, p float64) {
	va, vb := finite(a), finite(b)
	if len(va) < 2 || len(vb) < 2 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	return welch(va, vb)
}

// welch computes WelchTTest on finite samples of at least 2 values each.
func welch(a, b []float64) (t, dof, p float64) {
	ma, mb := mean(a), mean(b)
	na, nb := float64(len(a)), float64(len(b))
	qa := variance(a, ma) / na
	qb := variance(b, mb) / nb
	diff := ma - mb
	se2 := qa + qb
	if se2 == 0 {
		if diff == 0 {
			return 0, math.NaN(), 1
		}
		return math.Copysign(math.Inf(1), diff), math.NaN(), 0
	}
	t = diff / math.Sqrt(se2)
	dof = se2 * se2 / (qa*qa/(na-1) + qb*qb/(nb-1))
	return t, dof, StudentTTwoSided(t, dof)
}
