package experiment

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/llm-energy-lab/energylab/internal/middleware"
	"github.com/llm-energy-lab/energylab/internal/stats"
)

// Arm is one configuration of the overhead study: the same user query with
// (or, for the bare arm, without) middleware.
type Arm struct {
	Name string          `json:"name"`
	Spec middleware.Spec `json:"-"`
	// Describe says what the middleware is, for reports.
	Describe string `json:"describe,omitempty"`
}

// Bare is the name of the arm without middleware.
const Bare = "bare"

// ArmResult compares one arm with the bare one.
type ArmResult struct {
	Name     string `json:"name"`
	Describe string `json:"describe,omitempty"`
	Stats    Stats  `json:"stats"`
	// ExtraInputTokens is the arm's mean input tokens minus the bare arm's.
	ExtraInputTokens float64 `json:"extra_input_tokens"`
	// ExtraPrefillWh and ExtraTotalWh are mean differences with the bare
	// arm, with bootstrap intervals and Welch's p-value.
	ExtraPrefillWh stats.Difference `json:"extra_prefill_wh"`
	ExtraTotalWh   stats.Difference `json:"extra_total_wh"`
	// Overhead is mean total energy with the middleware over mean total
	// energy bare, with its interval; PrefillOverhead the same for prefill.
	Overhead        stats.Ratio `json:"overhead"`
	PrefillOverhead stats.Ratio `json:"prefill_overhead"`
	// MarginalWhPer1k is the extra total energy per 1,000 extra input
	// tokens (ExtraTotalWh / ExtraInputTokens x 1000), with the interval
	// of ExtraTotalWh scaled the same way; absent without extra tokens.
	MarginalWhPer1k *Interval `json:"marginal_wh_per_1k_injected"`
	// WithinNoise is true when the extra total energy's interval includes
	// zero: the study cannot tell this middleware's cost from noise.
	WithinNoise bool   `json:"within_noise"`
	Verdict     string `json:"verdict"`
}

// Interval is a value with a confidence interval.
type Interval struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// AblationResult is the overhead study.
type AblationResult struct {
	ID      string    `json:"id"`
	Query   string    `json:"query"`
	Started time.Time `json:"started"`
	Elapsed float64   `json:"elapsed_s"`
	Stopped bool      `json:"stopped"`
	// Order is the arms' order as run (warm-ups excluded): randomised
	// within each round so that drift affects every arm alike.
	Order []string `json:"order"`
	// CacheControl says how each run was made to pay its own prefill.
	CacheControl string      `json:"cache_control"`
	Arms         []ArmResult `json:"arms"`
	Outcomes     []Outcome   `json:"runs"`
}

// Ablate runs the bare query and each arm runs times, in rounds: every round
// runs each arm once, in an order shuffled with opt.Seed. arms[0] must be the
// bare arm. Warm-up trials (opt.Warmup of each arm, bare first) come first
// and are discarded.
func Ablate(ctx context.Context, id string, arms []Arm, maxTokens, runs int, run Runner, opt Options) (AblationResult, error) {
	res := AblationResult{ID: id, Started: time.Now().UTC()}
	if len(arms) < 2 || arms[0].Name != Bare {
		return res, fmt.Errorf("the study needs the bare arm first and at least one middleware arm")
	}
	res.Query = arms[0].Spec.User
	if opt.Nonce {
		res.CacheControl = "nonce: each run's first message starts with a unique line, so no prompt cache can serve it"
	} else {
		res.CacheControl = "none: the runs rely on the server having no prompt cache (true of the builtin engine); cached prompt tokens are reported"
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x61626c617465))
	var trials []Trial
	add := func(a Arm, warm bool) {
		t := Trial{Index: len(trials), Arm: a.Name, Warmup: warm, Spec: a.Spec, MaxTokens: maxTokens}
		if opt.Nonce {
			t.Spec = withNonce(a.Spec, nonce(id, t.Index))
		}
		trials = append(trials, t)
	}
	for range opt.Warmup {
		for _, a := range arms {
			add(a, true)
		}
	}
	for range runs {
		for _, i := range rng.Perm(len(arms)) {
			add(arms[i], false)
			res.Order = append(res.Order, arms[i].Name)
		}
	}
	outs, stopped, err := loop(ctx, run, trials, opt)
	res.Elapsed = time.Since(res.Started).Seconds()
	res.Outcomes, res.Stopped = outs, stopped
	byArm := map[string][]Outcome{}
	for _, o := range outs {
		byArm[o.Trial.Arm] = append(byArm[o.Trial.Arm], o)
	}
	bare := included(byArm[Bare])
	bareStats := Summarise(byArm[Bare], opt.Stats)
	res.Arms = append(res.Arms, ArmResult{Name: Bare, Describe: arms[0].Describe, Stats: bareStats, Verdict: "the reference"})
	for _, a := range arms[1:] {
		with := included(byArm[a.Name])
		ar := ArmResult{Name: a.Name, Describe: a.Describe, Stats: Summarise(byArm[a.Name], opt.Stats)}
		if extra := ar.Stats.InputTokens.Mean - bareStats.InputTokens.Mean; finite(extra) != nil {
			ar.ExtraInputTokens = extra
		}
		ar.ExtraPrefillWh = stats.DiffOfMeans(column(with, prefill), column(bare, prefill), opt.Stats)
		ar.ExtraTotalWh = stats.DiffOfMeans(column(with, total), column(bare, total), opt.Stats)
		ar.Overhead = stats.RatioOfMeans(column(with, total), column(bare, total), opt.Stats)
		ar.PrefillOverhead = stats.RatioOfMeans(column(with, prefill), column(bare, prefill), opt.Stats)
		if d := ar.ExtraTotalWh; ar.ExtraInputTokens > 0 && finite(d.Value) != nil && finite(d.Low) != nil && finite(d.High) != nil {
			k := 1000 / ar.ExtraInputTokens
			ar.MarginalWhPer1k = &Interval{Value: d.Value * k, Low: d.Low * k, High: d.High * k}
		}
		ar.WithinNoise = !(ar.ExtraTotalWh.Low > 0 || ar.ExtraTotalWh.High < 0)
		ar.Verdict = verdict(ar)
		res.Arms = append(res.Arms, ar)
	}
	return res, err
}

func verdict(a ArmResult) string {
	switch {
	case math.IsNaN(a.Overhead.Value) || a.Stats.Included < 2:
		return "not enough included runs to compare"
	case a.WithinNoise:
		return fmt.Sprintf("within noise: the extra energy's 95%% interval [%.3g, %.3g] Wh includes zero (p = %.2g); more runs or a quieter machine may resolve it",
			a.ExtraTotalWh.Low, a.ExtraTotalWh.High, a.ExtraTotalWh.PValue)
	default:
		return fmt.Sprintf("%+.0f extra input tokens cost %.3g× the bare energy (95%% interval %.3g–%.3g×)",
			a.ExtraInputTokens, a.Overhead.Value, a.Overhead.Low, a.Overhead.High)
	}
}

func included(outs []Outcome) []Outcome {
	var in []Outcome
	for _, o := range outs {
		if !o.Trial.Warmup && o.Excluded == "" {
			in = append(in, o)
		}
	}
	return in
}

func total(o Outcome) float64   { return val(o.Record.Energy.TotalWh) }
func prefill(o Outcome) float64 { return val(o.Record.Energy.PrefillWh) }

func column(outs []Outcome, f func(Outcome) float64) []float64 {
	xs := make([]float64, 0, len(outs))
	for _, o := range outs {
		xs = append(xs, f(o))
	}
	return xs
}
