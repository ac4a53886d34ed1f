package estimate

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

const calibratedMethod = "Fitted here from the user's own metered runs of one model on one host. Prefill energy is " +
	"regressed on input tokens (prefill Wh = a_p + b·input) and decode energy on output tokens (decode Wh = a_d + " +
	"c·output) by ordinary least squares; an estimate is (a_p + a_d) + b·input + c·output, so the input term is " +
	"prefill and the output term decode. The boundary is the meter's (CPU package + DRAM for RAPL, for instance). " +
	"Each row records both fits' R², the number of runs and the token ranges covered; estimates outside those " +
	"ranges are flagged as extrapolated. The band is ±1 standard error of the fitted line (how tightly the runs " +
	"pin the mean, assuming independent errors), not the spread of single runs, which Fit's residual SDs give."

const calibratedFormula = "E = (a_p + a_d) + b·input + c·output, least squares over the user's measured prefill and decode runs"

func calibratedFamily() *Family {
	return &Family{
		ID:       FamilyCalibrated,
		Name:     "Calibrated (this lab's measured runs)",
		Source:   "the user's own runs, metered by the lab",
		URL:      "-",
		Version:  "-",
		Boundary: BoundaryCPUDRAM,
		Hardware: "the host the runs were measured on",
		Method:   calibratedMethod,
		Formula:  calibratedFormula,
	}
}

// MinCalibrationRuns is the fewest runs Calibrate accepts: two points fix a
// line exactly, a third is the least that says anything about its fit.
const MinCalibrationRuns = 3

// RunPoint is one measured run: its token counts and the energy the lab's
// meter attributed to prefill and to decode, in Wh.
type RunPoint struct {
	Input, Output       int
	PrefillWh, DecodeWh float64
}

// Fit describes the two regressions behind a calibrated row.
type Fit struct {
	// Runs is the number of runs fitted.
	Runs int
	// Host is the machine the runs were measured on.
	Host string
	// PrefillFixedWh (a_p) and DecodeFixedWh (a_d) are the intercepts in
	// Wh; the row's FixedWh is their sum.
	PrefillFixedWh, DecodeFixedWh float64
	// PrefillR2 and DecodeR2 are the coefficients of determination of the
	// two fits. When a phase's energy does not vary at all R² is undefined;
	// it is reported as 1 if the fit is exact and 0 otherwise.
	PrefillR2, DecodeR2 float64
	// PrefillResidualSDWh and DecodeResidualSDWh are the residual standard
	// deviations (n − 2 degrees of freedom) in Wh: the spread of single runs
	// about the fitted line.
	PrefillResidualSDWh, DecodeResidualSDWh float64
}

// Calibrate fits a row from runs of one model on one host, measured with a
// meter of the given boundary: prefill Wh = a_p + b·input and decode Wh =
// a_d + c·output by ordinary least squares. It needs at least
// MinCalibrationRuns runs, some spread in both the input and the output
// counts (otherwise the fit is singular), non-negative counts and finite
// non-negative energies. The row's ID is "<model>@<host>" slugged; its
// Coverage is the token ranges of the runs and its Cov the fitted
// coefficients' covariance.
func Calibrate(model, host string, meter Boundary, runs []RunPoint) (Row, error) {
	fail := func(format string, args ...any) (Row, error) {
		return Row{}, fmt.Errorf("calibrate %s on %s: %s", model, host, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(model) == "" || strings.TrimSpace(host) == "" {
		return fail("the model and the host must be named")
	}
	if slug(model) == "" || slug(host) == "" {
		return fail("the model and host names need letters or digits")
	}
	switch {
	case !meter.Valid():
		return fail("unknown meter boundary %q", meter)
	case meter == BoundaryNodePUE || meter == BoundaryStated:
		return fail("boundary %q is not a meter's; want %s, %s or %s", meter, BoundaryCPUDRAM, BoundaryCPUTime, BoundaryGPU)
	}
	if len(runs) < MinCalibrationRuns {
		return fail("%d runs, need at least %d", len(runs), MinCalibrationRuns)
	}
	var errs []error
	for i, p := range runs {
		if p.Input < 0 || p.Output < 0 {
			errs = append(errs, fmt.Errorf("run %d: negative token count (input %d, output %d)", i, p.Input, p.Output))
		}
		for _, v := range []struct {
			name string
			wh   float64
		}{{"prefill", p.PrefillWh}, {"decode", p.DecodeWh}} {
			if math.IsNaN(v.wh) || math.IsInf(v.wh, 0) || v.wh < 0 {
				errs = append(errs, fmt.Errorf("run %d: %s energy %v Wh, want a finite number ≥ 0", i, v.name, v.wh))
			}
		}
	}
	if len(errs) > 0 {
		return Row{}, fmt.Errorf("calibrate %s on %s: %w", model, host, errors.Join(errs...))
	}
	cov := &Coverage{InputMin: runs[0].Input, InputMax: runs[0].Input, OutputMin: runs[0].Output, OutputMax: runs[0].Output}
	for _, p := range runs[1:] {
		cov.InputMin, cov.InputMax = min(cov.InputMin, p.Input), max(cov.InputMax, p.Input)
		cov.OutputMin, cov.OutputMax = min(cov.OutputMin, p.Output), max(cov.OutputMax, p.Output)
	}
	if cov.InputMin == cov.InputMax {
		return fail("every run has %d input tokens: with no spread the prefill fit is singular; vary the prompt length", cov.InputMin)
	}
	if cov.OutputMin == cov.OutputMax {
		return fail("every run has %d output tokens: with no spread the decode fit is singular; vary the answer length", cov.OutputMin)
	}
	xs, ps, ys, ds := make([]float64, len(runs)), make([]float64, len(runs)), make([]float64, len(runs)), make([]float64, len(runs))
	for i, p := range runs {
		xs[i], ps[i], ys[i], ds[i] = float64(p.Input), p.PrefillWh, float64(p.Output), p.DecodeWh
	}
	pf := leastSquares(xs, ps)
	df := leastSquares(ys, ds)
	fit := &Fit{
		Runs: len(runs), Host: host,
		PrefillFixedWh: pf.a, DecodeFixedWh: df.a,
		PrefillR2: pf.r2, DecodeR2: df.r2,
		PrefillResidualSDWh: math.Sqrt(pf.s2), DecodeResidualSDWh: math.Sqrt(df.s2),
	}
	// The two fits use different runs' energies and are independent, so the
	// covariance of (a_p + a_d, b, c) is block-wise.
	c := &[3][3]float64{
		{pf.varA + df.varA, pf.covAB, df.covAB},
		{pf.covAB, pf.varB, 0},
		{df.covAB, 0, df.varB},
	}
	note := fmt.Sprintf("Fitted from %d runs on %s: prefill R² %.3f over %d–%d input tokens, decode R² %.3f over %d–%d output tokens.",
		len(runs), host, pf.r2, cov.InputMin, cov.InputMax, df.r2, cov.OutputMin, cov.OutputMax)
	var neg []string
	for _, v := range []struct {
		name string
		v    float64
	}{{"prefill intercept", pf.a}, {"input slope", pf.b}, {"decode intercept", df.a}, {"output slope", df.b}} {
		if v.v < 0 {
			neg = append(neg, fmt.Sprintf("%s %.4g", v.name, v.v))
		}
	}
	if len(neg) > 0 {
		note += " Negative " + strings.Join(neg, ", ") + ": the runs do not pin this term down; add runs over a wider range."
	}
	if pf.r2 < 0.5 || df.r2 < 0.5 {
		note += " A fit explains less than half the variance: energy here depends on more than the token count."
	}
	return Row{
		Family:           FamilyCalibrated,
		ID:               slug(model) + "@" + slug(host),
		Model:            model,
		Hardware:         host,
		Boundary:         meter,
		BoundaryNote:     "the meter used for the runs: " + meter.Describe(),
		FixedWh:          pf.a + df.a,
		InputWhPerToken:  pf.b,
		OutputWhPerToken: df.b,
		Cov:              c,
		Coverage:         cov,
		Fit:              fit,
		PhaseSplit:       true,
		Method:           calibratedFormula,
		Note:             note,
	}, nil
}

// line is an ordinary least-squares fit y = a + b·x with the coefficients'
// variances from the residual variance s² = SSR / (n − 2).
type line struct {
	a, b, r2, s2      float64
	varA, varB, covAB float64
}

// leastSquares fits y = a + b·x. The caller guarantees len(x) ≥ 3 and that x
// is not constant. It centres x and y first, which keeps the sums well
// conditioned when token counts are large.
func leastSquares(x, y []float64) line {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxx, sxy, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	l := line{b: sxy / sxx}
	l.a = my - l.b*mx
	var ssr float64
	for i := range x {
		r := y[i] - (l.a + l.b*x[i])
		ssr += r * r
	}
	switch {
	case syy > 0:
		l.r2 = 1 - ssr/syy
	case ssr == 0:
		l.r2 = 1
	}
	l.s2 = ssr / (n - 2)
	l.varB = l.s2 / sxx
	l.varA = l.s2 * (1/n + mx*mx/sxx)
	l.covAB = -mx * l.s2 / sxx
	return l
}
