package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestLinearFitExact(t *testing.T) {
	x := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = 2 + 3*v
	}
	f, err := LinearFit(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Coef) != 2 || len(f.StdErr) != 2 || f.N != 10 {
		t.Fatalf("fit shape: %+v", f)
	}
	checkClose(t, "b0", f.Coef[0], 2, 1e-13)
	checkClose(t, "b1", f.Coef[1], 3, 1e-13)
	checkClose(t, "R2", f.R2, 1, 1e-13)
	checkClose(t, "AdjR2", f.AdjR2, 1, 1e-13)
	if !(f.RMSE < 1e-12) || !(f.StdErr[0] < 1e-12) || !(f.StdErr[1] < 1e-12) {
		t.Errorf("RMSE %v, StdErr %v; want about 0", f.RMSE, f.StdErr)
	}
}

func TestPolyFitExact(t *testing.T) {
	// Quadratic on a symmetric range.
	var x, y []float64
	for v := -5.0; v <= 5; v++ {
		x = append(x, v)
		y = append(y, 1-2*v+0.5*v*v)
	}
	f, err := PolyFit(x, y, 2)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range []float64{1, -2, 0.5} {
		checkClose(t, "c", f.Coef[k], want, 1e-12)
	}
	checkClose(t, "R2", f.R2, 1, 1e-13)

	// Cubic over context sizes spanning three decades with coefficients of
	// very different magnitudes (column scaling must cope).
	want := []float64{1e-3, 2e-6, 3e-11, 4e-16}
	x, y = nil, nil
	for _, c := range []float64{128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072} {
		x = append(x, c)
		y = append(y, PolyEval(want, c))
	}
	f, err = PolyFit(x, y, 3)
	if err != nil {
		t.Fatal(err)
	}
	for k := range want {
		checkClose(t, "cubic c", f.Coef[k], want[k], 1e-7)
	}
	checkClose(t, "cubic R2", f.R2, 1, 1e-12)

	// Degree 0 is the mean.
	f, err = PolyFit([]float64{1, 2, 3}, []float64{4, 6, 11}, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "degree 0", f.Coef[0], 7, 1e-15)
}

func TestMultiFitExact(t *testing.T) {
	// y = 0.5 + 2·u − 3·v with an explicit intercept column.
	var X [][]float64
	var y []float64
	for u := 0.0; u < 4; u++ {
		for v := 0.0; v < 3; v++ {
			X = append(X, []float64{1, u, v})
			y = append(y, 0.5+2*u-3*v)
		}
	}
	X0, y0 := make([][]float64, len(X)), slices.Clone(y)
	for i, row := range X {
		X0[i] = slices.Clone(row)
	}
	f, err := MultiFit(X, y)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(y, y0) || !slices.EqualFunc(X, X0, slices.Equal[[]float64]) {
		t.Error("MultiFit modified its inputs")
	}
	for k, want := range []float64{0.5, 2, -3} {
		checkClose(t, "beta", f.Coef[k], want, 1e-13)
	}
	checkClose(t, "R2", f.R2, 1, 1e-13)
}

func TestLinearFitHandComputed(t *testing.T) {
	// x̄ = 3, ȳ = 3.64, Sxx = 10, Sxy = 7.5 → b1 = 0.75, b0 = 1.39.
	// Residuals 0.06, −0.09, −0.04, 0.11, −0.04: SSE = 0.027; SST = 5.652.
	x := []float64{1, 2, 3, 4, 5}
	y := []float64{2.2, 2.8, 3.6, 4.5, 5.1}
	f, err := LinearFit(x, y)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "b0", f.Coef[0], 1.39, 1e-13)
	checkClose(t, "b1", f.Coef[1], 0.75, 1e-13)
	checkClose(t, "R2", f.R2, 1-0.027/5.652, 1e-12)
	checkClose(t, "AdjR2", f.AdjR2, 1-(0.027/5.652)*4/3, 1e-12)
	checkClose(t, "RMSE", f.RMSE, math.Sqrt(0.009), 1e-12)
	// SE(b1) = RMSE/sqrt(Sxx); SE(b0) = RMSE·sqrt(1/n + x̄²/Sxx).
	checkClose(t, "SE(b1)", f.StdErr[1], math.Sqrt(0.009)/math.Sqrt(10), 1e-11)
	checkClose(t, "SE(b0)", f.StdErr[0], math.Sqrt(0.009)*math.Sqrt(0.2+0.9), 1e-11)
}

func TestLinearFitNoisy(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 0))
	n := 40
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = float64(i) / 4
		y[i] = 1 + 0.5*x[i] + 2*rng.NormFloat64()
	}
	f, err := LinearFit(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if !(f.R2 > 0 && f.R2 < 1) {
		t.Errorf("R2 = %v, want in (0, 1)", f.R2)
	}
	checkClose(t, "AdjR2", f.AdjR2, 1-(1-f.R2)*float64(n-1)/float64(n-2), 1e-14)
	if !(f.AdjR2 < f.R2) {
		t.Errorf("AdjR2 %v not below R2 %v", f.AdjR2, f.R2)
	}
	for j, se := range f.StdErr {
		if !(se > 0) || math.IsInf(se, 0) {
			t.Errorf("StdErr[%d] = %v, want finite and positive", j, se)
		}
	}
	// Closed forms for simple regression.
	var xm, ym float64
	for i := range x {
		xm += x[i] / float64(n)
		ym += y[i] / float64(n)
	}
	var sxx, sxy, sst float64
	for i := range x {
		sxx += (x[i] - xm) * (x[i] - xm)
		sxy += (x[i] - xm) * (y[i] - ym)
		sst += (y[i] - ym) * (y[i] - ym)
	}
	b1 := sxy / sxx
	checkClose(t, "b1", f.Coef[1], b1, 1e-12)
	checkClose(t, "b0", f.Coef[0], ym-b1*xm, 1e-12)
	checkClose(t, "R2", f.R2, sxy*sxy/(sxx*sst), 1e-12)
	checkClose(t, "SE(b1)", f.StdErr[1], f.RMSE/math.Sqrt(sxx), 1e-12)
	if math.Abs(f.Coef[1]-0.5) > 4*f.StdErr[1] {
		t.Errorf("slope %v ± %v far from the true 0.5", f.Coef[1], f.StdErr[1])
	}
}

// The reported standard errors should match the spread of the estimates
// over repeated noisy data sets.
func TestFitStdErrCalibrated(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 0))
	x := []float64{1, 2, 3, 5, 8, 13, 21, 34}
	const reps = 2000
	slopes := make([]float64, reps)
	var meanSE float64
	for r := range slopes {
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = 3 - 0.2*v + 0.5*rng.NormFloat64()
		}
		f, err := LinearFit(x, y)
		if err != nil {
			t.Fatal(err)
		}
		slopes[r] = f.Coef[1]
		meanSE += f.StdErr[1] * f.StdErr[1] / reps
	}
	m := mean(slopes)
	sd := math.Sqrt(variance(slopes, m))
	if math.Abs(m+0.2) > 0.003 {
		t.Errorf("mean slope %v, want -0.2 (unbiased)", m)
	}
	if r := math.Sqrt(meanSE) / sd; r < 0.95 || r > 1.05 {
		t.Errorf("RMS StdErr / empirical SD of slope = %v, want about 1", r)
	}
}

func TestMultiFitNoIntercept(t *testing.T) {
	// β = Σxy/Σx² = 11/14; R² is uncentered: 1 − SSE/Σy².
	X := [][]float64{{1}, {2}, {3}}
	y := []float64{1, 2, 2}
	f, err := MultiFit(X, y)
	if err != nil {
		t.Fatal(err)
	}
	beta := 11.0 / 14
	checkClose(t, "beta", f.Coef[0], beta, 1e-15)
	var sse float64
	for i := range y {
		r := y[i] - beta*X[i][0]
		sse += r * r
	}
	checkClose(t, "R2", f.R2, 1-sse/9, 1e-14)
	checkClose(t, "AdjR2", f.AdjR2, 1-(sse/9)*3/2, 1e-14)
	checkClose(t, "RMSE", f.RMSE, math.Sqrt(sse/2), 1e-14)
	checkClose(t, "StdErr", f.StdErr[0], math.Sqrt(sse/2/14), 1e-14)
}

func TestFitExactlyDetermined(t *testing.T) {
	f, err := LinearFit([]float64{1, 3}, []float64{2, 6})
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "b0", f.Coef[0], 0, 1e-14)
	checkClose(t, "b1", f.Coef[1], 2, 1e-14)
	checkNaN(t, "RMSE", f.RMSE)
	checkNaN(t, "AdjR2", f.AdjR2)
	checkNaN(t, "StdErr[0]", f.StdErr[0])
	checkNaN(t, "StdErr[1]", f.StdErr[1])
}

func TestFitErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name string
		fit  func() (Fit, error)
		want error
	}{
		{"all x equal", func() (Fit, error) { return LinearFit([]float64{2, 2, 2, 2}, []float64{1, 2, 3, 4}) }, ErrRankDeficient},
		{"quadratic on two distinct x", func() (Fit, error) {
			return PolyFit([]float64{1, 1, 2, 2, 2}, []float64{1, 2, 3, 4, 5}, 2)
		}, ErrRankDeficient},
		{"dependent columns", func() (Fit, error) {
			return MultiFit([][]float64{{1, 2, 3}, {1, 0, 1}, {2, 5, 7}, {0, 1, 1}}, []float64{1, 2, 3, 4})
		}, ErrRankDeficient},
		{"zero column", func() (Fit, error) { return MultiFit([][]float64{{1, 0}, {2, 0}, {3, 0}}, []float64{1, 2, 3}) }, ErrRankDeficient},
		{"one point, two parameters", func() (Fit, error) { return LinearFit([]float64{1}, []float64{1}) }, ErrTooFewPoints},
		{"cubic on three points", func() (Fit, error) { return PolyFit([]float64{1, 2, 3}, []float64{1, 2, 3}, 3) }, ErrTooFewPoints},
		{"no points", func() (Fit, error) { return LinearFit(nil, nil) }, ErrTooFewPoints},
		{"mismatched x, y", func() (Fit, error) { return LinearFit([]float64{1, 2, 3}, []float64{1, 2}) }, ErrLengthMismatch},
		{"mismatched X, y", func() (Fit, error) { return MultiFit([][]float64{{1}, {2}}, []float64{1}) }, ErrLengthMismatch},
		{"ragged X", func() (Fit, error) { return MultiFit([][]float64{{1, 2}, {3}, {4, 5}}, []float64{1, 2, 3}) }, ErrLengthMismatch},
		{"NaN in x", func() (Fit, error) { return LinearFit([]float64{1, nan, 3}, []float64{1, 2, 3}) }, ErrNonFinite},
		{"Inf in y", func() (Fit, error) { return LinearFit([]float64{1, 2, 3}, []float64{1, inf, 3}) }, ErrNonFinite},
		{"NaN in X", func() (Fit, error) { return MultiFit([][]float64{{1, 1}, {1, nan}, {1, 3}}, []float64{1, 2, 3}) }, ErrNonFinite},
		{"negative degree", func() (Fit, error) { return PolyFit([]float64{1, 2}, []float64{1, 2}, -1) }, ErrInvalidArgument},
		{"empty design", func() (Fit, error) { return MultiFit(nil, nil) }, ErrInvalidArgument},
		{"no columns", func() (Fit, error) { return MultiFit([][]float64{{}, {}}, []float64{1, 2}) }, ErrInvalidArgument},
	}
	for _, c := range cases {
		_, err := c.fit()
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
}

func TestPolyEval(t *testing.T) {
	checkClose(t, "PolyEval", PolyEval([]float64{1, -2, 0.5}, 3), 1-6+4.5, 0)
	checkClose(t, "PolyEval(empty)", PolyEval(nil, 3), 0, 0)
}
