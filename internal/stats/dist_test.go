package stats

import (
	"math"
	"testing"
)

// binomialTail returns I_x(a, b) for positive integers a, b through the
// identity I_x(a,b) = P(Binomial(a+b−1, x) >= a).
func binomialTail(a, b int, x float64) float64 {
	n := a + b - 1
	var s float64
	for j := a; j <= n; j++ {
		lc, _ := math.Lgamma(float64(n + 1))
		l1, _ := math.Lgamma(float64(j + 1))
		l2, _ := math.Lgamma(float64(n - j + 1))
		s += math.Exp(lc-l1-l2) * math.Pow(x, float64(j)) * math.Pow(1-x, float64(n-j))
	}
	return s
}

// tCDFClosedForm is the Student t CDF for integer ν >= 1 by the finite
// trigonometric series (Abramowitz & Stegun 26.7.3–4), θ = atan(t/√ν):
//
//	ν odd:  A = (2/π)(θ + sinθ cosθ (1 + (2/3)cos²θ + … + (2·4…(ν−3))/(1·3…(ν−2)) cos^(ν−3)θ))  (ν > 1); A = 2θ/π for ν = 1
//	ν even: A = sinθ (1 + (1/2)cos²θ + (1·3)/(2·4)cos⁴θ + … + (1·3…(ν−3))/(2·4…(ν−2)) cos^(ν−2)θ)
//
// with F(t) = (1 + A)/2, A = P(|T| <= t) signed by t.
func tCDFClosedForm(t float64, nu int) float64 {
	th := math.Atan(t / math.Sqrt(float64(nu)))
	s, c := math.Sincos(th)
	var A float64
	if nu%2 == 1 {
		A = th
		if nu > 1 {
			term, sum := 1.0, 1.0
			for k := 3; k <= nu-2; k += 2 {
				term *= float64(k-1) / float64(k) * c * c
				sum += term
			}
			A += s * c * sum
		}
		A *= 2 / math.Pi
	} else {
		term, sum := 1.0, 1.0
		for k := 2; k <= nu-2; k += 2 {
			term *= float64(k-1) / float64(k) * c * c
			sum += term
		}
		A = s * sum
	}
	return (1 + A) / 2
}

// tTwoSidedByQuadrature returns P(|T| >= |t|) as 1 − 2∫₀^|t| f(u) du, with
// the density f integrated by composite Simpson's rule.
func tTwoSidedByQuadrature(t, nu float64) float64 {
	lg1, _ := math.Lgamma((nu + 1) / 2)
	lg2, _ := math.Lgamma(nu / 2)
	c := math.Exp(lg1-lg2) / math.Sqrt(nu*math.Pi)
	f := func(u float64) float64 { return c * math.Pow(1+u*u/nu, -(nu+1)/2) }
	const m = 20000 // even
	h := math.Abs(t) / m
	s := f(0) + f(math.Abs(t))
	for i := 1; i < m; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(float64(i)*h)
	}
	return 1 - 2*s*h/3
}

func TestRegIncBetaIntegerParameters(t *testing.T) {
	for a := 1; a <= 8; a++ {
		for b := 1; b <= 8; b++ {
			for _, x := range []float64{0.001, 0.05, 0.2, 0.37, 0.5, 0.63, 0.8, 0.95, 0.999} {
				got := RegIncBeta(float64(a), float64(b), x)
				want := binomialTail(a, b, x)
				if !approx(got, want, 1e-13) {
					t.Errorf("I_%v(%d, %d) = %.17g, want %.17g", x, a, b, got, want)
				}
			}
		}
	}
}

func TestRegIncBetaKnownValues(t *testing.T) {
	for _, x := range []float64{1e-8, 0.01, 0.25, 0.5, 0.75, 0.99} {
		// Arcsine distribution: I_x(1/2, 1/2) = (2/π) asin(√x).
		checkClose(t, "I_x(1/2,1/2)", RegIncBeta(0.5, 0.5, x), 2/math.Pi*math.Asin(math.Sqrt(x)), 1e-14)
		// I_x(a, 1) = x^a.
		checkClose(t, "I_x(2.5,1)", RegIncBeta(2.5, 1, x), math.Pow(x, 2.5), 1e-14)
		// Symmetry.
		checkClose(t, "symmetry", RegIncBeta(3.3, 0.7, x), 1-RegIncBeta(0.7, 3.3, 1-x), 1e-14)
	}
	for _, a := range []float64{0.3, 1, 4.5, 40, 1000} {
		checkClose(t, "I_0.5(a,a)", RegIncBeta(a, a, 0.5), 0.5, 1e-13)
	}
	checkClose(t, "I_0", RegIncBeta(2, 3, 0), 0, 0)
	checkClose(t, "I_1", RegIncBeta(2, 3, 1), 1, 0)
	for _, bad := range [][3]float64{{0, 1, 0.5}, {1, -1, 0.5}, {1, 1, -0.1}, {1, 1, 1.1}, {math.NaN(), 1, 0.5}, {1, 1, math.NaN()}} {
		checkNaN(t, "RegIncBeta(invalid)", RegIncBeta(bad[0], bad[1], bad[2]))
	}
}

func TestStudentTCDF(t *testing.T) {
	for _, nu := range []int{1, 2, 3, 4, 5, 7, 10, 15, 30} {
		for _, tt := range []float64{-6, -2.5, -1, -0.3, 0, 0.1, 0.7, 1.5, 2, 3.2, 10} {
			checkClose(t, "StudentTCDF", StudentTCDF(tt, float64(nu)), tCDFClosedForm(tt, nu), 1e-13)
		}
	}
	// Two-sided p for t = 2, dof = 10.
	checkClose(t, "p(2, 10)", StudentTTwoSided(2, 10), 0.07338803477074, 1e-12)
	checkClose(t, "p(-2, 10)", StudentTTwoSided(-2, 10), 0.07338803477074, 1e-12)
	// t(0.975, 10) = 2.228138851986…: two-sided p 0.05.
	checkClose(t, "p(2.228138852, 10)", StudentTTwoSided(2.228138851986, 10), 0.05, 1e-10)
	// Non-integer dof against quadrature.
	for _, nu := range []float64{1.5, 5.88, 17.3} {
		for _, tt := range []float64{0.5, 1.9, 3} {
			checkClose(t, "StudentTTwoSided(non-integer dof)", StudentTTwoSided(tt, nu), tTwoSidedByQuadrature(tt, nu), 1e-9)
		}
	}
	// Tiny p-values keep relative precision (Cauchy: p = (2/π)·atan(1/t)).
	checkClose(t, "p(1e6, 1)", StudentTTwoSided(1e6, 1), 2/math.Pi*math.Atan(1e-6), 1e-12)
	// Normal limit.
	checkClose(t, "CDF(1.96, Inf)", StudentTCDF(1.96, math.Inf(1)), 0.9750021048517795, 1e-15)
	checkClose(t, "CDF(1.96, 1e7)", StudentTCDF(1.96, 1e7), 0.9750021048517795, 1e-7)
	checkClose(t, "CDF(+Inf, 3)", StudentTCDF(math.Inf(1), 3), 1, 0)
	checkClose(t, "CDF(-Inf, 3)", StudentTCDF(math.Inf(-1), 3), 0, 0)
	checkClose(t, "p(0, 3)", StudentTTwoSided(0, 3), 1, 0)
	checkNaN(t, "CDF(NaN)", StudentTCDF(math.NaN(), 3))
	checkNaN(t, "CDF(dof 0)", StudentTCDF(1, 0))
	checkNaN(t, "p(dof -1)", StudentTTwoSided(1, -1))
}
