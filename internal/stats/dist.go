package stats

import "math"

// RegIncBeta returns the regularized incomplete beta function
//
//	I_x(a, b) = B(x; a, b) / B(a, b) = (1/B(a,b)) ∫₀ˣ u^(a−1) (1−u)^(b−1) du
//
// for a, b > 0 and x in [0, 1]; it is the CDF at x of a Beta(a, b) variable.
// It returns NaN for arguments outside those ranges or NaN arguments.
//
// It is evaluated by the classical continued fraction
//
//	I_x(a,b) = x^a (1−x)^b / (a·B(a,b)) · 1/(1+ d₁/(1+ d₂/(1+ …)))
//	d₂ₘ₊₁ = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)),  d₂ₘ = m(b−m)x / ((a+2m−1)(a+2m)),
//
// summed with the modified Lentz algorithm, and on the side
// x > (a+1)/(a+b+2), where it converges slowly, through the symmetry
// I_x(a,b) = 1 − I_{1−x}(b,a). Relative accuracy is near 1e-14 for
// moderate a and b; the number of terms grows like sqrt(max(a,b)).
func RegIncBeta(a, b, x float64) float64 {
	return incBeta(a, b, x, 1-x)
}

// incBeta is RegIncBeta with y = 1 − x supplied by the caller, who can often
// compute it more accurately than 1 − x (for x close to 1).
func incBeta(a, b, x, y float64) float64 {
	if !(a > 0 && b > 0) || !(x >= 0 && x <= 1) || !(y >= 0 && y <= 1) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return math.NaN()
	}
	if x == 0 {
		return 0
	}
	if y == 0 {
		return 1
	}
	if x > (a+1)/(a+b+2) {
		return 1 - incBetaCF(b, a, y, x)
	}
	return incBetaCF(a, b, x, y)
}

// incBetaCF evaluates I_x(a,b) by the continued fraction; it is meant for
// 0 < x <= (a+1)/(a+b+2), y = 1 − x.
func incBetaCF(a, b, x, y float64) float64 {
	const (
		tiny    = 1e-300
		eps     = 1e-16
		maxIter = 100000
	)
	lga, _ := math.Lgamma(a)
	lgb, _ := math.Lgamma(b)
	lgab, _ := math.Lgamma(a + b)
	front := math.Exp(a*math.Log(x) + b*math.Log(y) - (lga + lgb - lgab))

	// Modified Lentz for K = 1 + d₁/(1 + d₂/(1 + …)).
	f, c, d := 1.0, 1.0, 0.0
	for j := 1; j <= maxIter; j++ {
		m := float64(j / 2)
		var dj float64
		if j%2 == 1 {
			dj = -(a + m) * (a + b + m) * x / ((a + 2*m) * (a + 2*m + 1))
		} else {
			dj = m * (b - m) * x / ((a + 2*m - 1) * (a + 2*m))
		}
		d = 1 + dj*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + dj/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		delta := c * d
		f *= delta
		if math.Abs(delta-1) < eps {
			break
		}
	}
	return front / (a * f)
}

// StudentTCDF returns P(T <= t) for a Student t variable with dof > 0
// degrees of freedom (dof need not be an integer). It uses
//
//	P(T > |t|) = ½·I_{dof/(dof+t²)}(dof/2, 1/2)
//
// and symmetry; dof = +Inf gives the standard normal CDF. It returns NaN for
// NaN arguments or dof <= 0.
func StudentTCDF(t, dof float64) float64 {
	if math.IsNaN(t) || !(dof > 0) {
		return math.NaN()
	}
	if math.IsInf(dof, 1) {
		return 0.5 * math.Erfc(-t/math.Sqrt2)
	}
	tail := 0.5 * tTail2(t, dof)
	if t > 0 {
		return 1 - tail
	}
	return tail
}

// StudentTTwoSided returns the two-sided tail probability P(|T| >= |t|) for
// a Student t variable with dof > 0 degrees of freedom, i.e. the two-sided
// p-value of a t statistic: I_{dof/(dof+t²)}(dof/2, 1/2). Computing it
// directly (rather than as 2·(1 − StudentTCDF(|t|, dof))) keeps full relative
// precision for tiny p-values. dof = +Inf uses the normal distribution.
// It returns NaN for NaN arguments or dof <= 0.
func StudentTTwoSided(t, dof float64) float64 {
	if math.IsNaN(t) || !(dof > 0) {
		return math.NaN()
	}
	if math.IsInf(dof, 1) {
		return math.Erfc(math.Abs(t) / math.Sqrt2)
	}
	return tTail2(t, dof)
}

// tTail2 returns P(|T| >= |t|) for finite dof > 0.
func tTail2(t, dof float64) float64 {
	if math.IsInf(t, 0) {
		return 0
	}
	q := t / math.Sqrt(dof)
	q2 := q * q
	x := 1 / (1 + q2)   // dof/(dof+t²)
	y := 1 / (1 + 1/q2) // t²/(dof+t²), accurate for small t
	return incBeta(dof/2, 0.5, x, y)
}
