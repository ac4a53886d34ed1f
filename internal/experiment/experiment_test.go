package experiment

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/middleware"
	"github.com/llm-energy-lab/energylab/internal/stats"
)

func ptr(v float64) *float64 { return &v }

// record builds a stored-looking record with the given energy split.
func record(i int, in, out int, prefill, decode float64) lab.Record {
	r := lab.Record{ID: fmt.Sprintf("r%03d", i), Status: lab.StatusOK}
	r.Tokens.Input, r.Tokens.Output = in, out
	r.Energy.Source, r.Energy.Meter, r.Energy.Boundary = energy.Measured, "rapl", "package+dram"
	r.Energy.PrefillWh, r.Energy.DecodeWh, r.Energy.TotalWh = ptr(prefill), ptr(decode), ptr(prefill+decode)
	r.ETokens.WhPer1kInput = ptr((prefill + decode) * 1000 / float64(in))
	r.ETokens.WhPer1kOutput = ptr((prefill + decode) * 1000 / float64(out))
	r.Timing.TotalMs = 50
	return r
}

var opt = Options{Stats: stats.Options{Resamples: 1000, Seed: 1}}

func TestBatchStatisticsAndExclusions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var seen []Trial
	run := func(_ context.Context, tr Trial) (lab.Record, error) {
		seen = append(seen, tr)
		r := record(tr.Index, 100, 20, 0.01+rng.NormFloat64()*0.001, 0.03+rng.NormFloat64()*0.002)
		switch tr.Index {
		case 5:
			r.Status, r.Error = lab.StatusFailed, "stream broke"
		case 6:
			r.Flags = []lab.Flag{{Code: lab.FlagIdleDisturbed, Severity: lab.Warn}}
		case 7:
			r.Flags = []lab.Flag{{Code: lab.FlagSyntheticModel, Severity: lab.Info}} // kept
		case 8:
			r.Energy.TotalWh = nil
		}
		return r, nil
	}
	o := opt
	o.Warmup, o.Nonce = 2, true
	res, err := Batch(context.Background(), "b1", middleware.Spec{User: "q"}, 20, 40, run, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 42 || !seen[0].Warmup || seen[2].Warmup {
		t.Fatalf("%d trials, warm-up flags wrong", len(seen))
	}
	if !strings.HasPrefix(seen[3].Spec.User, "[b1.3]\n") || seen[3].Spec.User == seen[4].Spec.User {
		t.Errorf("nonce not applied uniquely: %q", seen[3].Spec.User)
	}
	s := res.Stats
	if s.Runs != 40 || s.Included != 37 || s.Excluded["failed"] != 1 || s.Excluded[lab.FlagIdleDisturbed] != 1 || s.Excluded["no energy figure"] != 1 {
		t.Errorf("counts %+v", s)
	}
	if math.Abs(s.TotalWh.Mean-0.04) > 0.002 || !(s.TotalWh.CILow < s.TotalWh.Mean && s.TotalWh.Mean < s.TotalWh.CIHigh) {
		t.Errorf("total %+v", s.TotalWh)
	}
	// All runs have the same token counts, so the ratio of sums equals the
	// mean of the per-run e-tokens here.
	if s.RatioWhPer1kOutput == nil || math.Abs(*s.RatioWhPer1kOutput-s.WhPer1kOutput.Mean) > 1e-9 {
		t.Errorf("ratio of sums %v vs mean %v", s.RatioWhPer1kOutput, s.WhPer1kOutput.Mean)
	}
	if s.Kind != "measured" || s.Mixed {
		t.Errorf("kind %q mixed %v", s.Kind, s.Mixed)
	}
	if res.Overhead.RunMs.Mean != 50 || res.Overhead.Ratio == nil {
		t.Errorf("overhead %+v", res.Overhead)
	}
}

func TestBatchStoppedMidway(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	run := func(ctx context.Context, tr Trial) (lab.Record, error) {
		n++
		if n == 7 {
			cancel()
			r := record(tr.Index, 10, 10, 0.1, 0.2)
			r.Status = lab.StatusCancelled
			return r, nil
		}
		return record(tr.Index, 10, 10, 0.1, 0.2), nil
	}
	res, err := Batch(ctx, "b2", middleware.Spec{User: "q"}, 10, 20, run, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Stopped || len(res.Outcomes) != 7 || res.Stats.Included != 6 || res.Stats.Excluded["cancelled"] != 1 {
		t.Fatalf("stopped %v, %d outcomes, stats %+v", res.Stopped, len(res.Outcomes), res.Stats)
	}
	if res.Stats.TotalWh.Mean != 0.30000000000000004 && math.Abs(res.Stats.TotalWh.Mean-0.3) > 1e-12 {
		t.Errorf("partial mean %v", res.Stats.TotalWh.Mean)
	}
}

func TestAblationFindsTheOverhead(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// Energy is linear in input tokens: 0.02 Wh + 0.00001 Wh per token,
	// with 3% noise; the preset adds 2,000 tokens, the tiny injection 5.
	tokens := map[string]int{Bare: 50, "preset": 2050, "tiny": 55}
	var order []string
	run := func(_ context.Context, tr Trial) (lab.Record, error) {
		if !tr.Warmup {
			order = append(order, tr.Arm)
		}
		n := tokens[tr.Arm]
		e := (0.02 + 0.00001*float64(n)) * (1 + 0.03*rng.NormFloat64())
		return record(tr.Index, n, 32, e*0.3, e*0.7), nil
	}
	arms := []Arm{{Name: Bare, Spec: middleware.Spec{User: "q"}}, {Name: "preset", Spec: middleware.Spec{System: "long", User: "q"}}, {Name: "tiny", Spec: middleware.Spec{System: "x", User: "q"}}}
	o := opt
	o.Warmup, o.Seed = 1, 9
	res, err := Ablate(context.Background(), "a1", arms, 32, 30, run, o)
	if err != nil {
		t.Fatal(err)
	}
	// Every round runs every arm once, in varying order.
	varied := false
	for i := 0; i < len(order); i += 3 {
		round := strings.Join(order[i:i+3], ",")
		for _, a := range []string{Bare, "preset", "tiny"} {
			if !strings.Contains(round, a) {
				t.Fatalf("round %d lacks %s: %s", i/3, a, round)
			}
		}
		if i > 0 && round != strings.Join(order[0:3], ",") {
			varied = true
		}
	}
	if !varied {
		t.Error("the order is the same every round")
	}
	p := res.Arms[1]
	truth := (0.02 + 0.00001*2050) / (0.02 + 0.00001*50)
	if !(p.Overhead.Low <= truth && truth <= p.Overhead.High) || p.WithinNoise {
		t.Errorf("preset overhead %+v, truth %.4f", p.Overhead, truth)
	}
	if p.ExtraInputTokens != 2000 || p.MarginalWhPer1k == nil || math.Abs(p.MarginalWhPer1k.Value-0.01) > 0.002 {
		t.Errorf("marginal %+v over %v tokens", p.MarginalWhPer1k, p.ExtraInputTokens)
	}
	tiny := res.Arms[2]
	if !tiny.WithinNoise || !strings.HasPrefix(tiny.Verdict, "within noise") {
		t.Errorf("a 5-token injection is not within noise: %+v", tiny)
	}
	if _, err := Ablate(context.Background(), "a2", arms[1:], 32, 3, run, o); err == nil {
		t.Error("a study without the bare arm first is accepted")
	}
}

func TestSweepFindsTheCrossover(t *testing.T) {
	// prefill = 1e-4 + 2e-6 n + 1e-10 n², decode = 0.01 + 1e-7 n (32 tokens).
	pre := func(n float64) float64 { return 1e-4 + 2e-6*n + 1e-10*n*n }
	dec := func(n float64) float64 { return 0.01 + 1e-7*n }
	run := func(_ context.Context, tr Trial) (lab.Record, error) {
		n := 40 + len(tr.Spec.Context)/4
		return record(tr.Index, n, tr.MaxTokens, pre(float64(n)), dec(float64(n))), nil
	}
	sizes, err := stats.LogSpace(64, 32768, 10)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Sweep(context.Background(), "s1", middleware.Spec{User: "q"}, func(n int) string { return strings.Repeat("abcd", n) }, sizes, 32, 1, run, opt)
	if err != nil || res.Crossover == nil {
		t.Fatalf("%v, %+v", err, res)
	}
	// Solve 1e-10 n² + 1.9e-6 n - 0.0099 = 0.
	want := (-1.9e-6 + math.Sqrt(1.9e-6*1.9e-6+4*1e-10*0.0099)) / (2 * 1e-10)
	if math.Abs(*res.Crossover-want)/want > 1e-6 || res.CrossoverNote != "within the measured range" {
		t.Errorf("crossover %v (%s), want %v", *res.Crossover, res.CrossoverNote, want)
	}
	if res.PrefillFit.R2 < 0.999999 || res.DecodeFit.R2 < 0.999999 {
		t.Errorf("fits %v %v", res.PrefillFit.R2, res.DecodeFit.R2)
	}
	// Decode dominating everywhere: no crossover, and the reason.
	flat := func(_ context.Context, tr Trial) (lab.Record, error) {
		n := 40 + len(tr.Spec.Context)/4
		return record(tr.Index, n, 32, 1e-6*float64(n)/1000, 1+1e-9*float64(n)), nil
	}
	res, err = Sweep(context.Background(), "s2", middleware.Spec{User: "q"}, func(n int) string { return strings.Repeat("abcd", n) }, sizes, 32, 1, flat, opt)
	if err != nil || res.Crossover != nil || !strings.Contains(res.CrossoverNote, "do not cross") {
		t.Errorf("%v: crossover %v, %q", err, res.Crossover, res.CrossoverNote)
	}
}
