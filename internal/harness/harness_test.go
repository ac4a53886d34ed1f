package harness

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/carbon"
	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/providertest"
)

// profileMeter is an in-memory meter whose counter integrates a power that
// the test switches at will.
type profileMeter struct {
	mu     sync.Mutex
	at     time.Time
	e      energy.Energy
	p      energy.Power
	period time.Duration
}

func newProfileMeter(p energy.Power) *profileMeter { return &profileMeter{at: time.Now(), p: p} }

func (m *profileMeter) advance(now time.Time) {
	m.e += m.p.Over(now.Sub(m.at))
	m.at = now
}

func (m *profileMeter) set(p energy.Power) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.advance(time.Now())
	m.p = p
}

func (m *profileMeter) Info() energy.Info {
	return energy.Info{Name: "profile", Source: energy.Measured, Boundary: "test", UpdatePeriod: m.period,
		Domains: []energy.Domain{{ID: "p0", Name: "package-0", Boundary: energy.BoundaryCPUPackage}}}
}

func (m *profileMeter) Read(ctx context.Context) (energy.Reading, error) {
	if err := ctx.Err(); err != nil {
		return energy.Reading{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	m.advance(now)
	return energy.Reading{Time: now, Counters: []energy.Counter{{Domain: "p0", Energy: m.e}}}, nil
}

func scripted(m *profileMeter, n int) *providertest.Scripted {
	s := &providertest.Scripted{
		Info:          provider.ModelInfo{Name: "scripted/m", Provider: "scripted", Model: "m"},
		PrefillDelay:  60 * time.Millisecond,
		TokenInterval: 10 * time.Millisecond,
		Usage:         provider.Usage{PromptTokens: 40, CompletionTokens: n, ThinkingTokens: -1, CachedPromptTokens: -1},
	}
	for i := 0; i < n; i++ {
		s.Chunks = append(s.Chunks, provider.Chunk{Content: "w "})
	}
	if m != nil {
		s.OnPrefill = func() { m.set(60 * energy.Watt) }
		s.OnDecode = func() { m.set(40 * energy.Watt) }
		s.OnEnd = func() { m.set(10 * energy.Watt) }
	}
	return s
}

type memCache struct {
	mu sync.Mutex
	b  map[string]lab.Baseline
}

func (c *memCache) Load(_ context.Context, key string, notBefore time.Time) (lab.Baseline, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.b[key]
	if !ok || b.TakenAt.Before(notBefore) {
		return lab.Baseline{}, false, nil
	}
	return b, true, nil
}

func (c *memCache) Save(_ context.Context, key string, b lab.Baseline) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.b == nil {
		c.b = map[string]lab.Baseline{}
	}
	c.b[key] = b
	return nil
}

func req() provider.Request {
	return provider.Request{Model: "m", Messages: []provider.Message{{Role: "user", Content: "hi"}}}
}

func TestRunMeasuresPhasesAndReusesBaseline(t *testing.T) {
	m := newProfileMeter(10 * energy.Watt)
	cache := &memCache{}
	var events []Event
	var mu sync.Mutex
	cfg := Config{
		Meter: m, PollInterval: 5 * time.Millisecond,
		BaselineWindow: 100 * time.Millisecond, BaselineSamples: 5, BaselineMaxAge: time.Minute,
		BaselineKey: "k", Cache: cache, ModelLoaded: true,
		OnEvent: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() },
	}
	res, err := Run(context.Background(), cfg, scripted(m, 20), req())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != lab.StatusOK || res.Baseline == nil || res.Baseline.Reused || !res.Baseline.ModelLoaded {
		t.Fatalf("status %s baseline %+v", res.Status, res.Baseline)
	}
	if w := res.Baseline.Watts; w < 9.5 || w > 10.5 {
		t.Errorf("baseline %.2f W, want 10 W", w)
	}
	rec := Compute(res, Inputs{Model: provider.ModelInfo{Name: "scripted/m", Provider: "scripted"}, Grid: carbon.Default(), PUE: 1, ExpectedPromptTokens: -1})
	pre := res.FirstToken.Sub(res.Start).Seconds()
	dec := res.End.Sub(res.FirstToken).Seconds()
	within(t, "prefill Wh", *rec.Energy.PrefillWh, 60*pre/3600, 0.05)
	within(t, "decode Wh", *rec.Energy.DecodeWh, 40*dec/3600, 0.05)
	within(t, "active total Wh", *rec.Energy.Active.TotalWh, (50*pre+30*dec)/3600, 0.06)
	within(t, "carbon g", *rec.Carbon.GCO2e, *rec.Energy.TotalWh*0.445, 1e-9)
	if rec.Tokens.Input != 40 || rec.Tokens.Output != 20 || rec.Timing.ITLMs == nil || rec.Timing.ITLMs.N != 19 {
		t.Errorf("tokens %+v itl %+v", rec.Tokens, rec.Timing.ITLMs)
	}
	if len(rec.Snapshots) != 3 || rec.Snapshots[1].Mark != MarkFirstToken {
		t.Errorf("snapshots %+v", rec.Snapshots)
	}
	kinds := map[EventKind]int{}
	for _, e := range events {
		kinds[e.Kind]++
	}
	if kinds[EventToken] != 20 || kinds[EventMark] != 3 || kinds[EventPower] == 0 || kinds[EventLog] == 0 {
		t.Errorf("events by kind: %v", kinds)
	}

	// The second run reuses the cached baseline.
	res2, err := Run(context.Background(), cfg, scripted(m, 5), req())
	if err != nil || res2.Baseline == nil || !res2.Baseline.Reused {
		t.Fatalf("second run: err %v baseline %+v", err, res2.Baseline)
	}
}

func within(t *testing.T, name string, got, want, rel float64) {
	t.Helper()
	if d := got - want; d > rel*want || d < -rel*want {
		t.Errorf("%s = %.6g, want %.6g ±%.0f%%", name, got, want, rel*100)
	}
}

func TestRunFailedStreamKeepsPartialEnergy(t *testing.T) {
	m := newProfileMeter(10 * energy.Watt)
	s := scripted(m, 10)
	s.FailAfter, s.Err = 4, errors.New("connection reset mid-stream")
	res, err := Run(context.Background(), Config{Meter: m}, s, req())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != lab.StatusFailed || !strings.Contains(res.Err.Error(), "connection reset") {
		t.Fatalf("status %s err %v", res.Status, res.Err)
	}
	rec := Compute(res, Inputs{Model: s.Info, Grid: carbon.Default(), PUE: 1, ExpectedPromptTokens: -1})
	if rec.Energy.TotalWh == nil || *rec.Energy.TotalWh <= 0 || rec.Tokens.Output != 4 || rec.Error == "" {
		t.Fatalf("failed run record: energy %v tokens %+v error %q", rec.Energy.TotalWh, rec.Tokens, rec.Error)
	}
	if rec.Energy.Active.TotalWh != nil || rec.Energy.Active.AbsentReason == "" {
		t.Errorf("active energy without a baseline: %+v", rec.Energy.Active)
	}
}

func TestRunCancelled(t *testing.T) {
	m := newProfileMeter(10 * energy.Watt)
	s := scripted(m, 100)
	ctx, cancel := context.WithCancel(context.Background())
	s.OnDecode = func() { time.AfterFunc(30*time.Millisecond, cancel) }
	start := time.Now()
	res, err := Run(ctx, Config{Meter: m, PollInterval: 5 * time.Millisecond}, s, req())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != lab.StatusCancelled || !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("status %s err %v", res.Status, res.Err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("cancel took %s", time.Since(start))
	}
	if len(res.Snapshots) != 3 || res.Snapshots[2].Mark != MarkEnd {
		t.Errorf("cancelled run lacks its end snapshot: %+v", res.Snapshots)
	}
}

func TestRunWithoutMeter(t *testing.T) {
	res, err := Run(context.Background(), Config{}, scripted(nil, 3), req())
	if err != nil || res.Status != lab.StatusOK {
		t.Fatal(err, res.Status)
	}
	rec := Compute(res, Inputs{Model: provider.ModelInfo{Name: "groq/x", Provider: "groq", Remote: true}, Grid: carbon.Default(), PUE: 1, NotMetered: "groq is a cloud API", ExpectedPromptTokens: -1})
	if rec.Energy.Source != energy.Estimated || rec.Energy.TotalWh != nil || rec.Carbon.GCO2e != nil || rec.Carbon.AbsentReason == "" {
		t.Fatalf("energy %+v carbon %+v", rec.Energy, rec.Carbon)
	}
	if rec.Timing.TTFTMs == nil || codes(rec.Flags)[0] != lab.FlagNoMeter {
		t.Fatalf("timing %+v flags %v", rec.Timing, codes(rec.Flags))
	}
}

func codes(fs []lab.Flag) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	sort.Strings(out)
	return out
}
