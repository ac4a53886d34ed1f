package experiment

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/llm-energy-lab/energylab/internal/middleware"
	"github.com/llm-energy-lab/energylab/internal/stats"
)

// SweepPoint is one run of the sweep.
type SweepPoint struct {
	Target       int      `json:"target_context_tokens"`
	ID           string   `json:"id"`
	InputTokens  int      `json:"input_tokens"`
	OutputTokens int      `json:"output_tokens"`
	PrefillWh    *float64 `json:"prefill_wh"`
	DecodeWh     *float64 `json:"decode_wh"`
	Excluded     string   `json:"excluded,omitempty"`
}

// SweepResult is the prefill/decode crossover sweep.
type SweepResult struct {
	ID      string    `json:"id"`
	Started time.Time `json:"started"`
	Elapsed float64   `json:"elapsed_s"`
	Stopped bool      `json:"stopped"`
	// Output is the fixed output length asked for.
	Output int          `json:"output_tokens"`
	Kind   string       `json:"kind"`
	Points []SweepPoint `json:"points"`
	// PrefillFit is prefill Wh = c0 + c1 n + c2 n² over input tokens n.
	PrefillFit *stats.Fit `json:"prefill_fit,omitempty"`
	// DecodeFit is decode Wh = d0 + d1 n at the fixed output length (the
	// KV cache makes each decoded token dearer as the context grows).
	DecodeFit *stats.Fit `json:"decode_fit,omitempty"`
	// DecodeWhPer1kOutput is decode Wh x 1000 / output tokens per run.
	DecodeWhPer1kOutput stats.Summary `json:"decode_wh_per_1k_output"`
	// Crossover is the input length where the fitted prefill energy
	// overtakes the fitted decode energy; nil when the fits do not cross
	// at a positive length, and CrossoverNote says why or how far the
	// answer lies outside the measured range.
	Crossover     *float64 `json:"crossover_input_tokens"`
	CrossoverNote string   `json:"crossover_note"`
	FitError      string   `json:"fit_error,omitempty"`
}

// Sweep runs the user's query with a context of each size in sizes (in
// tokens, built by context), runs times each, at a fixed output length, and
// fits where prefill energy overtakes decode energy. Sizes are run from the
// smallest, round after round.
func Sweep(ctx context.Context, id string, base middleware.Spec, contextOf func(tokens int) string, sizes []int, output, runs int, run Runner, opt Options) (SweepResult, error) {
	res := SweepResult{ID: id, Started: time.Now().UTC(), Output: output}
	var trials []Trial
	mk := func(n int, warm bool) {
		s := base
		if n > 0 {
			s.Context = contextOf(n)
		}
		t := Trial{Index: len(trials), Arm: fmt.Sprint(n), Warmup: warm, Spec: s, MaxTokens: output}
		if opt.Nonce {
			t.Spec = withNonce(s, nonce(id, t.Index))
		}
		trials = append(trials, t)
	}
	for range opt.Warmup {
		mk(sizes[0], true)
	}
	for range runs {
		for _, n := range sizes {
			mk(n, false)
		}
	}
	outs, stopped, err := loop(ctx, run, trials, opt)
	res.Elapsed = time.Since(res.Started).Seconds()
	res.Stopped = stopped
	var xs, pre, dec, per []float64
	for _, o := range outs {
		if o.Trial.Warmup {
			continue
		}
		r := o.Record
		p := SweepPoint{ID: r.ID, InputTokens: r.Tokens.Input, OutputTokens: r.Tokens.Output, Excluded: o.Excluded,
			PrefillWh: r.Energy.PrefillWh, DecodeWh: r.Energy.DecodeWh}
		fmt.Sscan(o.Trial.Arm, &p.Target)
		if p.Excluded == "" && (p.PrefillWh == nil || p.DecodeWh == nil) {
			p.Excluded = "no prefill/decode split"
		}
		res.Points = append(res.Points, p)
		if p.Excluded != "" {
			continue
		}
		if res.Kind == "" {
			res.Kind = string(r.Energy.Source) + " (" + r.Energy.Meter + ": " + r.Energy.Boundary + ")"
		}
		xs = append(xs, float64(p.InputTokens))
		pre = append(pre, *p.PrefillWh)
		dec = append(dec, *p.DecodeWh)
		if p.OutputTokens > 0 {
			per = append(per, *p.DecodeWh*1000/float64(p.OutputTokens))
		}
	}
	res.DecodeWhPer1kOutput = stats.Describe(per, opt.Stats)
	pf, perr := stats.PolyFit(xs, pre, 2)
	df, derr := stats.LinearFit(xs, dec)
	switch {
	case perr != nil:
		res.FitError = "prefill fit: " + perr.Error()
	case derr != nil:
		res.FitError = "decode fit: " + derr.Error()
	default:
		res.PrefillFit, res.DecodeFit = &pf, &df
		lo, hi := minMax(xs)
		res.Crossover, res.CrossoverNote = crossover(pf, df, lo, hi)
	}
	return res, err
}

// crossover solves c0 + c1 n + c2 n² = d0 + d1 n for the smallest n > 0
// where prefill rises above decode. A quadratic term that is not
// significant (|c2| under twice its standard error) or negligible over the
// measured range is dropped, as is a negligible slope difference, so that
// rounding noise in a fit cannot invent a far-away crossing.
func crossover(pf, df stats.Fit, lo, hi float64) (*float64, string) {
	c, d := pf.Coef, df.Coef
	a, b, k := c[2], c[1]-d[1], c[0]-d[0]
	scale := math.Max(math.Max(math.Abs(c[0]), math.Abs(d[0])), math.Max(math.Abs(c[1]*hi), math.Abs(d[1]*hi)))
	scale = math.Max(scale, math.Abs(a*hi*hi))
	if math.Abs(a*hi*hi) < 1e-9*scale || (len(pf.StdErr) == 3 && !math.IsNaN(pf.StdErr[2]) && math.Abs(a) < 2*pf.StdErr[2]) {
		a = 0
	}
	if math.Abs(b*hi) < 1e-9*scale {
		b = 0
	}
	var roots []float64
	switch {
	case a == 0 && b != 0:
		roots = append(roots, -k/b)
	case a != 0:
		disc := b*b - 4*a*k
		if disc >= 0 {
			s := math.Sqrt(disc)
			r1, r2 := (-b-s)/(2*a), (-b+s)/(2*a)
			roots = append(roots, math.Min(r1, r2), math.Max(r1, r2))
		}
	}
	for _, r := range roots {
		if r <= 0 || 2*a*r+b <= 0 {
			continue // not where prefill rises above decode
		}
		v := r
		switch {
		case r < lo:
			return &v, fmt.Sprintf("below the smallest measured input (%.0f tokens): prefill already dominates there", lo)
		case r > hi:
			return &v, fmt.Sprintf("extrapolated beyond the largest measured input (%.0f tokens): treat with care", hi)
		}
		return &v, "within the measured range"
	}
	if k > 0 {
		return nil, "prefill energy exceeds decode energy at every measured input length"
	}
	return nil, "the fitted curves do not cross at a positive input length: decode dominates"
}

func minMax(xs []float64) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}
