package harness

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/llm-energy-lab/energylab/internal/carbon"
	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/sampler"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func snap(mark string, at time.Duration, j float64) sampler.Snapshot {
	return sampler.Snapshot{Mark: mark, Time: t0.Add(at), Totals: map[string]energy.Energy{"d": energy.JoulesOf(j)}}
}

// result is a 2 s run: 0.5 s prefill drawing 30 J, 1.5 s decode drawing 45 J,
// 21 output tokens, 100 input tokens, with a 10 W idle baseline.
func result() Result {
	info := energy.Info{Name: "m", Source: energy.Measured, Boundary: "cpu-package", UpdatePeriod: time.Millisecond,
		Domains: []energy.Domain{{ID: "d", Name: "package-0", Boundary: energy.BoundaryCPUPackage, MaxEnergy: 262143 * energy.Joule}}}
	r := Result{
		Status: lab.StatusOK, MeterInfo: &info,
		Start: t0, FirstToken: t0.Add(500 * time.Millisecond), End: t0.Add(2 * time.Second),
		Snapshots: []sampler.Snapshot{snap(MarkStart, 0, 0), snap(MarkFirstToken, 500*time.Millisecond, 30), snap(MarkEnd, 2*time.Second, 75)},
		Usage:     provider.Usage{PromptTokens: 100, CompletionTokens: 21, ThinkingTokens: -1, CachedPromptTokens: -1},
		Baseline:  &lab.Baseline{Watts: 10},
		Timeline:  sampler.Timeline{MaxGap: 250 * time.Millisecond},
	}
	for i := 0; i < 21; i++ {
		r.ChunkTimes = append(r.ChunkTimes, r.FirstToken.Add(time.Duration(i)*75*time.Millisecond))
	}
	r.AnswerChunks = 21
	return r
}

func inputs() Inputs {
	return Inputs{Model: provider.ModelInfo{Name: "p/m", Provider: "p"}, Grid: carbon.Default(), PUE: 1.2, ExpectedPromptTokens: -1}
}

func TestComputeWorkedExample(t *testing.T) {
	rec := Compute(result(), inputs())
	wh := func(j float64) float64 { return j / 3600 }
	checks := []struct {
		name string
		got  *float64
		want float64
	}{
		{"total", rec.Energy.TotalWh, wh(75)},
		{"prefill", rec.Energy.PrefillWh, wh(30)},
		{"decode", rec.Energy.DecodeWh, wh(45)},
		{"active total", rec.Energy.Active.TotalWh, wh(75 - 20)},
		{"active prefill", rec.Energy.Active.PrefillWh, wh(30 - 5)},
		{"active decode", rec.Energy.Active.DecodeWh, wh(45 - 15)},
		{"e-token-i", rec.ETokens.WhPer1kInput, wh(75) * 1000 / 100},
		{"e-token-o", rec.ETokens.WhPer1kOutput, wh(75) * 1000 / 21},
		{"prefill per 1k in", rec.ETokens.PrefillWhPer1kInput, wh(30) * 1000 / 100},
		{"decode per 1k out", rec.ETokens.DecodeWhPer1kOutput, wh(45) * 1000 / 21},
		{"active e-token-o", rec.ETokens.Active.WhPer1kOutput, wh(55) * 1000 / 21},
		{"J per token", rec.ETokens.JPerToken, 75.0 / 121},
		{"carbon", rec.Carbon.GCO2e, wh(75) * 0.445 * 1.2},
		{"active carbon", rec.Carbon.ActiveGCO2e, wh(55) * 0.445 * 1.2},
		{"ttft ms", rec.Timing.TTFTMs, 500},
		{"decode ms", rec.Timing.DecodeMs, 1500},
		{"tokens/s", rec.Timing.TokensPerSecond, 20.0 / 1.5},
		{"e2e tokens/s", rec.Timing.EndToEndTokensPerSecond, 21.0 / 2},
	}
	for _, c := range checks {
		if c.got == nil {
			t.Errorf("%s absent, want %g", c.name, c.want)
			continue
		}
		if d := *c.got - c.want; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s = %.10g, want %.10g", c.name, *c.got, c.want)
		}
	}
	if rec.Timing.TotalMs != 2000 || rec.Timing.ITLMs.P50 != 75 {
		t.Errorf("total ms %v itl %+v", rec.Timing.TotalMs, rec.Timing.ITLMs)
	}
	if len(rec.Flags) != 0 {
		t.Errorf("clean run has flags %v", codes(rec.Flags))
	}
	if len(rec.Energy.Domains) != 1 || *rec.Energy.Domains[0].TotalWh != wh(75) {
		t.Errorf("domains %+v", rec.Energy.Domains)
	}
}

func TestComputeFlags(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Result, *Inputs)
		want   []string
	}{
		{"cold load", func(r *Result, _ *Inputs) { r.Usage.LoadDuration = 2 * time.Second }, []string{lab.FlagColdLoad}},
		{"server-reported cache", func(r *Result, _ *Inputs) { r.Usage.CachedPromptTokens = 64 }, []string{lab.FlagCacheHit}},
		{"fewer evaluated than counted", func(_ *Result, in *Inputs) { in.ExpectedPromptTokens = 180 }, []string{lab.FlagCacheHit}},
		{"fewer than an earlier run", func(_ *Result, in *Inputs) { in.PreviousPromptTokens = 150 }, []string{lab.FlagCacheHit}},
		{"wrap", func(r *Result, _ *Inputs) { r.Timeline.Wraps = 1 }, []string{lab.FlagCounterWrap}},
		{"reset", func(r *Result, _ *Inputs) { r.Timeline.Resets = 1 }, []string{lab.FlagCounterReset}},
		{"poll gap", func(r *Result, _ *Inputs) { r.Timeline.MaxGap = 10 * time.Minute }, []string{lab.FlagPollGap}},
		{"short prefill window", func(r *Result, _ *Inputs) { r.MeterInfo.UpdatePeriod = 300 * time.Millisecond }, []string{lab.FlagShortWindow}},
		{"disturbed idle", func(r *Result, _ *Inputs) { r.Baseline.Disturbed, r.Baseline.CV = true, 0.6 }, []string{lab.FlagIdleDisturbed}},
		{"negative active", func(r *Result, _ *Inputs) { r.Baseline.Watts = 50 }, []string{lab.FlagActiveNegative}},
		{"synthetic", func(_ *Result, in *Inputs) { in.Model.Synthetic = true }, []string{lab.FlagSyntheticModel}},
		{"no counts", func(r *Result, _ *Inputs) { r.Usage.PromptTokens, r.Usage.CompletionTokens = -1, -1 }, []string{lab.FlagCountsFromStream, lab.FlagCountsFromStream}},
		{"no tokens", func(r *Result, _ *Inputs) { r.Usage.CompletionTokens = 0 }, []string{lab.FlagNoTokens}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, in := result(), inputs()
			info := *r.MeterInfo
			r.MeterInfo = &info
			b := *r.Baseline
			r.Baseline = &b
			c.mutate(&r, &in)
			rec := Compute(r, in)
			if diff := cmp.Diff(c.want, codes(rec.Flags)); diff != "" {
				t.Errorf("flags (-want +got):\n%s\n%+v", diff, rec.Flags)
			}
			for _, f := range rec.Flags {
				if f.Message == "" || f.Severity == "" {
					t.Errorf("flag %s lacks a message or severity", f.Code)
				}
			}
		})
	}
}

func TestComputeAbsentFigures(t *testing.T) {
	t.Run("no first token: no split, no decode rate", func(t *testing.T) {
		r := result()
		r.FirstToken = time.Time{}
		r.Snapshots = []sampler.Snapshot{r.Snapshots[0], r.Snapshots[2]}
		r.Usage.CompletionTokens = 0
		r.ChunkTimes, r.AnswerChunks = nil, 0
		rec := Compute(r, inputs())
		if rec.Energy.PrefillWh != nil || rec.Energy.DecodeWh != nil || rec.Timing.TTFTMs != nil || rec.ETokens.WhPer1kOutput != nil {
			t.Fatalf("figures present without a first token: %+v %+v", rec.Energy, rec.ETokens)
		}
		if rec.Energy.TotalWh == nil || rec.ETokens.WhPer1kInput == nil {
			t.Fatal("total or e-token-i missing")
		}
	})
	t.Run("grid without data", func(t *testing.T) {
		in := inputs()
		_, in.GridErr = carbon.Lookup("IS")
		if in.GridErr == nil {
			t.Fatal("the dataset has a factor for IS: expected missing data")
		}
		rec := Compute(result(), in)
		if rec.Carbon.GCO2e != nil || !strings.Contains(rec.Carbon.AbsentReason, "grid-factor") {
			t.Fatalf("carbon %+v", rec.Carbon)
		}
	})
	t.Run("failed run keeps its error", func(t *testing.T) {
		r := result()
		r.Status, r.Err = lab.StatusFailed, errors.New("boom")
		rec := Compute(r, inputs())
		if rec.Status != lab.StatusFailed || rec.Error != "boom" || rec.Energy.TotalWh == nil {
			t.Fatalf("%+v", rec)
		}
	})
}
