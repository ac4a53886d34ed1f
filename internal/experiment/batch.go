package experiment

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/llm-energy-lab/energylab/internal/middleware"
	"github.com/llm-energy-lab/energylab/internal/stats"
)

// Stats summarises the included runs of a set.
type Stats struct {
	Runs     int `json:"runs"`
	Included int `json:"included"`
	// Excluded counts the left-out runs by reason (a status, a flag code,
	// "no energy figure").
	Excluded map[string]int `json:"excluded"`
	// Kind, Meter and Boundary say what the energy figures are; Mixed is
	// true when the runs disagree (they are then not comparable).
	Kind     string `json:"kind"`
	Meter    string `json:"meter,omitempty"`
	Boundary string `json:"boundary,omitempty"`
	Mixed    bool   `json:"mixed,omitempty"`

	TotalWh   stats.Summary `json:"total_wh"`
	PrefillWh stats.Summary `json:"prefill_wh"`
	DecodeWh  stats.Summary `json:"decode_wh"`
	// ActiveWh is gross minus idle, over the runs that have it.
	ActiveWh stats.Summary `json:"active_wh"`
	// WhPer1kInput and WhPer1kOutput are the per-run e-tokens...
	WhPer1kInput  stats.Summary `json:"wh_per_1k_input"`
	WhPer1kOutput stats.Summary `json:"wh_per_1k_output"`
	// ...and these the aggregate ones: total Wh x 1000 / total tokens over
	// the included runs, which is what an average per token should be.
	RatioWhPer1kInput  *float64 `json:"ratio_of_sums_wh_per_1k_input"`
	RatioWhPer1kOutput *float64 `json:"ratio_of_sums_wh_per_1k_output"`

	InputTokens     stats.Summary `json:"input_tokens"`
	OutputTokens    stats.Summary `json:"output_tokens"`
	CachedRuns      int           `json:"cached_runs"`
	TTFTMs          stats.Summary `json:"ttft_ms"`
	TokensPerSecond stats.Summary `json:"tokens_per_second"`
}

// Summarise computes Stats over outcomes (warm-ups are skipped).
func Summarise(outs []Outcome, opt stats.Options) Stats {
	s := Stats{Excluded: map[string]int{}}
	var tot, pre, dec, act, ei, eo, in, out, ttft, tps []float64
	for _, o := range outs {
		if o.Trial.Warmup {
			continue
		}
		s.Runs++
		if o.Excluded != "" {
			s.Excluded[o.Excluded]++
			continue
		}
		r := o.Record
		s.Included++
		kind := string(r.Energy.Source)
		if s.Included == 1 {
			s.Kind, s.Meter, s.Boundary = kind, r.Energy.Meter, r.Energy.Boundary
		} else if kind != s.Kind || r.Energy.Meter != s.Meter || r.Energy.Boundary != s.Boundary {
			s.Mixed = true
		}
		tot = append(tot, *r.Energy.TotalWh)
		pre = append(pre, val(r.Energy.PrefillWh))
		dec = append(dec, val(r.Energy.DecodeWh))
		act = append(act, val(r.Energy.Active.TotalWh))
		ei = append(ei, val(r.ETokens.WhPer1kInput))
		eo = append(eo, val(r.ETokens.WhPer1kOutput))
		in = append(in, float64(r.Tokens.Input))
		out = append(out, float64(r.Tokens.Output))
		ttft = append(ttft, val(r.Timing.TTFTMs))
		tps = append(tps, val(r.Timing.TokensPerSecond))
		if r.Tokens.Cached != nil && *r.Tokens.Cached > 0 {
			s.CachedRuns++
		}
	}
	d := func(xs []float64) stats.Summary { return stats.Describe(xs, opt) }
	s.TotalWh, s.PrefillWh, s.DecodeWh, s.ActiveWh = d(tot), d(pre), d(dec), d(act)
	s.WhPer1kInput, s.WhPer1kOutput = d(ei), d(eo)
	s.InputTokens, s.OutputTokens, s.TTFTMs, s.TokensPerSecond = d(in), d(out), d(ttft), d(tps)
	s.RatioWhPer1kInput = finite(stats.RatioOfSums(tot, in) * 1000)
	s.RatioWhPer1kOutput = finite(stats.RatioOfSums(tot, out) * 1000)
	return s
}

// finite is v, or nil (absent) when it is NaN or infinite.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// val is an optional figure as a number, NaN when absent (stats.Describe
// skips NaN).
func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// BatchResult is N runs of one request.
type BatchResult struct {
	ID      string    `json:"id"`
	Started time.Time `json:"started"`
	Elapsed float64   `json:"elapsed_s"`
	// Stopped is true when the batch was stopped before its last run;
	// the statistics are then over the runs that finished.
	Stopped  bool      `json:"stopped"`
	Warmups  int       `json:"warmups"`
	Outcomes []Outcome `json:"runs"`
	Stats    Stats     `json:"stats"`
	// Overhead is the lab's own time between consecutive runs, and its
	// ratio to the runs' measured windows.
	Overhead Overhead `json:"overhead"`
}

// Overhead is the time the lab spends between runs.
type Overhead struct {
	GapMs stats.Summary `json:"gap_ms"`
	RunMs stats.Summary `json:"run_ms"`
	// Ratio is mean gap / mean run; absent with fewer than two runs.
	Ratio *float64 `json:"ratio"`
}

func overhead(outs []Outcome, opt stats.Options) Overhead {
	var gaps, runs []float64
	for i, o := range outs {
		if i > 0 {
			gaps = append(gaps, o.GapMs)
		}
		runs = append(runs, o.RunMs)
	}
	ov := Overhead{GapMs: stats.Describe(gaps, opt), RunMs: stats.Describe(runs, opt)}
	ov.Ratio = finite(ov.GapMs.Mean / ov.RunMs.Mean)
	return ov
}

// Batch runs spec runs times after warmup discarded runs.
func Batch(ctx context.Context, id string, spec middleware.Spec, maxTokens, runs int, run Runner, opt Options) (BatchResult, error) {
	res := BatchResult{ID: id, Started: time.Now().UTC(), Warmups: opt.Warmup}
	var trials []Trial
	for i := range opt.Warmup + runs {
		t := Trial{Index: i, Warmup: i < opt.Warmup, Spec: spec, MaxTokens: maxTokens}
		if opt.Nonce {
			t.Spec = withNonce(spec, nonce(id, i))
		}
		trials = append(trials, t)
	}
	outs, stopped, err := loop(ctx, run, trials, opt)
	res.Elapsed = time.Since(res.Started).Seconds()
	res.Outcomes, res.Stopped = outs, stopped
	res.Stats = Summarise(outs, opt.Stats)
	res.Overhead = overhead(slices.DeleteFunc(slices.Clone(outs), func(o Outcome) bool { return o.Trial.Warmup }), opt.Stats)
	return res, err
}
