package stats

import (
	"errors"
	"fmt"
	"math"
)

// Errors returned by the fits and by LogSpace; test with errors.Is.
var (
	// ErrLengthMismatch: inputs that must pair up differ in length.
	ErrLengthMismatch = errors.New("stats: mismatched lengths")
	// ErrTooFewPoints: fewer observations than parameters to fit.
	ErrTooFewPoints = errors.New("stats: fewer points than parameters")
	// ErrNonFinite: an input value is NaN or ±Inf.
	ErrNonFinite = errors.New("stats: non-finite value")
	// ErrRankDeficient: the design matrix does not have full column rank
	// (for example all x equal in a linear fit), so the coefficients are
	// not identifiable.
	ErrRankDeficient = errors.New("stats: rank-deficient design")
	// ErrInvalidArgument: an argument is out of its documented range.
	ErrInvalidArgument = errors.New("stats: invalid argument")
)

// rankTol is the relative threshold on the diagonal of R (after the columns
// are scaled to unit Euclidean norm) below which the design is treated as
// rank deficient: |R_kk| < rankTol·max_j |R_jj|. It corresponds to a
// condition number of about 1e10, beyond which about ten significant digits
// of the coefficients would be lost anyway.
const rankTol = 1e-10

// Fit is the result of an ordinary least-squares fit y ≈ Xβ with n
// observations and p coefficients.
type Fit struct {
	// Coef holds β in the order of the design's columns (for LinearFit and
	// PolyFit, intercept first, then increasing powers of x).
	Coef []float64
	// StdErr holds the standard errors sqrt(σ̂²·[(XᵀX)⁻¹]_jj) of the
	// coefficients, with σ̂² = SSE/(n−p); all NaN when n − p <= 0.
	StdErr []float64
	// R2 is the coefficient of determination 1 − SSE/SST. When the design
	// contains a constant column (an intercept, as in LinearFit and PolyFit)
	// SST = Σ(y−ȳ)²; otherwise R2 is the uncentered 1 − SSE/Σy², as is
	// conventional for regression through the origin. NaN when SST == 0.
	R2 float64
	// AdjR2 is 1 − (1−R2)·(n−c)/(n−p), with c = 1 when the design has a
	// constant column and c = 0 otherwise (for a fit with an intercept this
	// is the usual 1 − (1−R²)(n−1)/(n−p)). NaN when n <= p.
	AdjR2 float64
	// RMSE is the residual standard error sqrt(SSE/(n−p)); NaN when n <= p.
	RMSE float64
	// N is the number of observations n.
	N int
}

// LinearFit fits y = b0 + b1·x by ordinary least squares; Coef is
// [b0, b1]. See MultiFit for the method and the errors returned (x and y of
// different lengths, fewer than 2 points, a non-finite value, or all x equal).
func LinearFit(x, y []float64) (Fit, error) {
	return PolyFit(x, y, 1)
}

// PolyFit fits the polynomial y = Σ_{k=0..degree} c_k·x^k by ordinary least
// squares; Coef is [c_0, c_1, …, c_degree] (evaluate it with PolyEval). It
// needs at least degree+1 points with at least degree+1 distinct x values.
// The monomial columns are scaled to unit norm before the QR factorization,
// so widely ranging x (e.g. context sizes up to 1e5) are handled, but high
// degrees over a narrow x range are ill-conditioned and may be reported as
// ErrRankDeficient. A negative degree gives ErrInvalidArgument; see MultiFit
// for the other errors.
func PolyFit(x, y []float64, degree int) (Fit, error) {
	if degree < 0 {
		return Fit{}, fmt.Errorf("%w: negative degree %d", ErrInvalidArgument, degree)
	}
	if len(x) != len(y) {
		return Fit{}, fmt.Errorf("%w: len(x) = %d, len(y) = %d", ErrLengthMismatch, len(x), len(y))
	}
	if len(x) < degree+1 {
		return Fit{}, fmt.Errorf("%w: %d points for %d parameters", ErrTooFewPoints, len(x), degree+1)
	}
	for i, v := range x {
		if !isFinite(v) {
			return Fit{}, fmt.Errorf("%w: x[%d] = %v", ErrNonFinite, i, v)
		}
	}
	rows := make([][]float64, len(x))
	for i, v := range x {
		row := make([]float64, degree+1)
		pw := 1.0
		for k := range row {
			row[k] = pw
			pw *= v
		}
		rows[i] = row
	}
	return MultiFit(rows, y)
}

// PolyEval evaluates Σ_k coef[k]·x^k by Horner's rule (coef as returned in
// Fit.Coef by LinearFit and PolyFit). It returns 0 for empty coef.
func PolyEval(coef []float64, x float64) float64 {
	var s float64
	for k := len(coef) - 1; k >= 0; k-- {
		s = s*x + coef[k]
	}
	return s
}

// MultiFit fits y = Xβ by ordinary least squares, where X[i] is the i-th row
// of the design matrix (n rows of p values each). No intercept is added: to
// fit one, include a column of ones.
//
// Method: each column of X is scaled to unit Euclidean norm, the scaled
// design is factored as QR by Householder reflections (never forming XᵀX,
// whose condition number is the square of X's), Rβ' = Qᵀy is solved by back
// substitution and β is unscaled. The covariance of β is σ̂²·R⁻¹R⁻ᵀ
// (unscaled), with σ̂² = SSE/(n−p) from the residuals y − Xβ.
//
// Errors (wrapping the package's sentinel errors): ErrLengthMismatch if
// len(X) != len(y) or the rows differ in length; ErrInvalidArgument for an
// empty design (no rows or no columns); ErrTooFewPoints if n < p;
// ErrNonFinite for a NaN or ±Inf in X or y; ErrRankDeficient if a column is
// all zero or the columns are (numerically) linearly dependent, i.e. some
// diagonal element of R, after the column scaling, is below 1e-10 times the
// largest in magnitude (a condition number beyond about 1e10).
func MultiFit(X [][]float64, y []float64) (Fit, error) {
	n := len(X)
	if n != len(y) {
		return Fit{}, fmt.Errorf("%w: %d design rows, %d observations", ErrLengthMismatch, n, len(y))
	}
	if n == 0 || len(X[0]) == 0 {
		return Fit{}, fmt.Errorf("%w: empty design", ErrInvalidArgument)
	}
	p := len(X[0])
	for i, row := range X {
		if len(row) != p {
			return Fit{}, fmt.Errorf("%w: design row %d has %d columns, row 0 has %d", ErrLengthMismatch, i, len(row), p)
		}
	}
	if n < p {
		return Fit{}, fmt.Errorf("%w: %d points for %d parameters", ErrTooFewPoints, n, p)
	}
	for i, row := range X {
		for j, v := range row {
			if !isFinite(v) {
				return Fit{}, fmt.Errorf("%w: X[%d][%d] = %v", ErrNonFinite, i, j, v)
			}
		}
		if !isFinite(y[i]) {
			return Fit{}, fmt.Errorf("%w: y[%d] = %v", ErrNonFinite, i, y[i])
		}
	}

	// Column-major scaled copy of the design: a[j][i] = X[i][j] / scale[j].
	scale := make([]float64, p)
	a := make([][]float64, p)
	for j := range p {
		col := make([]float64, n)
		for i := range n {
			col[i] = X[i][j]
		}
		s := norm2(col)
		if s == 0 {
			return Fit{}, fmt.Errorf("%w: column %d is all zero", ErrRankDeficient, j)
		}
		for i := range col {
			col[i] /= s
		}
		scale[j], a[j] = s, col
	}
	qty := append([]float64(nil), y...)

	// Householder QR: after step k, column k holds R_kk on the diagonal
	// (in rdiag) and R_kj (j > k) in a[j][k].
	rdiag := make([]float64, p)
	for k := range p {
		v := a[k][k:]
		nrm := norm2(v)
		alpha := -nrm
		if v[0] < 0 {
			alpha = nrm
		}
		rdiag[k] = alpha
		if nrm == 0 {
			continue
		}
		v[0] -= alpha // v is now the Householder vector; H = I − 2vvᵀ/vᵀv
		vtv := dot(v, v)
		for j := k + 1; j < p; j++ {
			c := a[j][k:]
			f := 2 * dot(v, c) / vtv
			for i := range c {
				c[i] -= f * v[i]
			}
		}
		c := qty[k:]
		f := 2 * dot(v, c) / vtv
		for i := range c {
			c[i] -= f * v[i]
		}
	}
	var rmax float64
	for _, r := range rdiag {
		rmax = math.Max(rmax, math.Abs(r))
	}
	for k, r := range rdiag {
		if !(math.Abs(r) >= rankTol*rmax) {
			return Fit{}, fmt.Errorf("%w: column %d is (nearly) a linear combination of the others", ErrRankDeficient, k)
		}
	}
	rAt := func(i, j int) float64 { // R[i][j], i <= j
		if i == j {
			return rdiag[i]
		}
		return a[j][i]
	}

	// Back substitution R β' = (Qᵀy)[:p], then unscale.
	coef := make([]float64, p)
	for i := p - 1; i >= 0; i-- {
		s := qty[i]
		for j := i + 1; j < p; j++ {
			s -= rAt(i, j) * coef[j]
		}
		coef[i] = s / rdiag[i]
	}
	for j := range coef {
		coef[j] /= scale[j]
	}

	// Residuals and sums of squares on the original data.
	var sse float64
	for i, row := range X {
		r := y[i] - dot(row, coef)
		sse += r * r
	}
	hasConst := false
	for j := range p {
		if constantColumn(X, j) {
			hasConst = true
			break
		}
	}
	var sst float64
	ym := 0.0
	if hasConst {
		ym = mean(y)
	}
	for _, v := range y {
		d := v - ym
		sst += d * d
	}

	fit := Fit{Coef: coef, StdErr: make([]float64, p), N: n}
	dof := n - p
	fit.R2 = math.NaN()
	if sst > 0 {
		fit.R2 = 1 - sse/sst
	}
	fit.AdjR2, fit.RMSE = math.NaN(), math.NaN()
	if dof > 0 {
		c := 0
		if hasConst {
			c = 1
		}
		fit.AdjR2 = 1 - (1-fit.R2)*float64(n-c)/float64(dof)
		sigma2 := sse / float64(dof)
		fit.RMSE = math.Sqrt(sigma2)
		// Rinv = R⁻¹ (upper triangular), column by column; Var(β'_j) =
		// σ̂²·Σ_k Rinv[j][k]², then unscale.
		rinv := make([][]float64, p) // rinv[j] is column j
		for j := range p {
			col := make([]float64, p)
			for i := j; i >= 0; i-- {
				var s float64
				if i == j {
					s = 1
				}
				for k := i + 1; k <= j; k++ {
					s -= rAt(i, k) * col[k]
				}
				col[i] = s / rdiag[i]
			}
			rinv[j] = col
		}
		for j := range p {
			var s float64
			for k := j; k < p; k++ {
				s += rinv[k][j] * rinv[k][j]
			}
			fit.StdErr[j] = math.Sqrt(sigma2*s) / scale[j]
		}
	} else {
		for j := range fit.StdErr {
			fit.StdErr[j] = math.NaN()
		}
	}
	return fit, nil
}

// constantColumn reports whether column j of X is the same non-zero value
// in every row (an intercept column).
func constantColumn(X [][]float64, j int) bool {
	c := X[0][j]
	if c == 0 {
		return false
	}
	for _, row := range X {
		if row[j] != c {
			return false
		}
	}
	return true
}

// dot returns Σ a[i]·b[i] over len(a) terms.
func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// norm2 returns the Euclidean norm of v, scaled to avoid overflow and
// underflow in the squares.
func norm2(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	if m == 0 {
		return 0
	}
	var s float64
	for _, x := range v {
		r := x / m
		s += r * r
	}
	return m * math.Sqrt(s)
}
