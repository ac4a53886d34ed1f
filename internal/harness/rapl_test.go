package harness_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/carbon"
	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl/rapltest"
	"github.com/llm-energy-lab/energylab/internal/harness"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/ollama"
)

// The power profile the test plays into the powercap tree.
const (
	idleW    = 20 * energy.Watt
	prefillW = 65 * energy.Watt
	decodeW  = 45 * energy.Watt
	prefill  = time.Second
	tokens   = 40
	tokenGap = 25 * time.Millisecond
)

// fakeOllama answers /api/chat like Ollama does, and switches the played
// power at the phase boundaries: prefill while the prompt is "evaluated",
// decode from the first token on, idle after the last.
func fakeOllama(p *rapltest.Player) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) {
		p.SetPower(prefillW)
		w.Header().Set("Content-Type", "application/x-ndjson")
		fl := w.(http.Flusher)
		time.Sleep(prefill)
		p.SetPower(decodeW)
		for i := 0; i < tokens; i++ {
			if i > 0 {
				time.Sleep(tokenGap)
			}
			fmt.Fprintf(w, `{"model":"m","message":{"role":"assistant","content":"t%d "},"done":false}`+"\n", i)
			fl.Flush()
		}
		fmt.Fprintf(w, `{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":120,"prompt_eval_duration":%d,"eval_count":%d,"eval_duration":%d}`+"\n",
			prefill.Nanoseconds(), tokens, (tokens * tokenGap).Nanoseconds())
		fl.Flush()
		p.SetPower(idleW)
	})
	return mux
}

// TestRAPLPowerProfileEndToEnd builds a two-socket powercap tree (each
// package with a dram sub-zone, one package counter just below its wrap
// point), plays 20 W idle / 65 W prefill / 45 W decode into it, runs a real
// Ollama-protocol request through the harness with the real rapl meter, and
// checks every energy against the profile's exact integral.
func TestRAPLPowerProfileEndToEnd(t *testing.T) {
	root := t.TempDir()
	zones := rapltest.TwoSocketServer()
	zones[0].Energy = zones[0].Max - energy.JoulesOf(9) // package-0 wraps during the request
	rapltest.BuildTree(t, root, zones)
	player := rapltest.Play(t, root, zones, rapltest.PlayerOptions{
		Power:  idleW,
		Shares: map[string]float64{"intel-rapl:0": 0.4, "intel-rapl:0:0": 0.1, "intel-rapl:1": 0.4, "intel-rapl:1:0": 0.1},
	})
	meter, err := rapl.New(root, rapl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fakeOllama(player))
	defer srv.Close()
	p, err := ollama.New(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // let the player write its first values
	cfg := harness.Config{
		Meter: meter, PollInterval: 50 * time.Millisecond,
		BaselineWindow: 500 * time.Millisecond, BaselineSamples: 5,
	}
	res, err := harness.Run(context.Background(), cfg, p, provider.Request{Model: "m", Messages: []provider.Message{{Role: "user", Content: "hi"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != lab.StatusOK {
		t.Fatalf("status %s: %v", res.Status, res.Err)
	}
	rec := harness.Compute(res, harness.Inputs{Model: provider.ModelInfo{Name: "ollama/m", Provider: "ollama"}, Grid: carbon.Default(), PUE: 1, ExpectedPromptTokens: -1})

	s0, s1, s2 := res.Start, res.FirstToken, res.End
	// The truth is the profile's exact integral between the instants the
	// counters showed when they were read (see rapltest.Player.Visible).
	truthWh := func(a, b time.Time) float64 { return player.Truth(player.Visible(a), player.Visible(b)).WattHours() }
	idleWh := func(a, b time.Time) float64 { return idleW.Over(b.Sub(a)).WattHours() }
	checks := []struct {
		name string
		got  *float64
		want float64
	}{
		{"prefill", rec.Energy.PrefillWh, truthWh(s0, s1)},
		{"decode", rec.Energy.DecodeWh, truthWh(s1, s2)},
		{"total", rec.Energy.TotalWh, truthWh(s0, s2)},
		{"active prefill", rec.Energy.Active.PrefillWh, truthWh(s0, s1) - idleWh(s0, s1)},
		{"active decode", rec.Energy.Active.DecodeWh, truthWh(s1, s2) - idleWh(s1, s2)},
		{"active total", rec.Energy.Active.TotalWh, truthWh(s0, s2) - idleWh(s0, s2)},
	}
	for _, c := range checks {
		if c.got == nil {
			t.Errorf("%s absent", c.name)
			continue
		}
		if rel := math.Abs(*c.got-c.want) / c.want; rel > 0.02 {
			t.Errorf("%s = %.6g Wh, truth %.6g Wh (%.2f%% off, limit 2%%)", c.name, *c.got, c.want, rel*100)
		} else {
			t.Logf("%s = %.6g Wh, truth %.6g Wh (%.3f%% off)", c.name, *c.got, c.want, rel*100)
		}
	}
	// The profile's own phases: prefill ≈ 65 W × 0.4 s, and the baseline ≈ 20 W.
	if w := rec.Energy.Active.Baseline.Watts; math.Abs(w-idleW.Watts()) > 0.4 {
		t.Errorf("baseline %.3f W, want %.1f W", w, idleW.Watts())
	}
	if pw := *rec.Energy.PrefillWh * 3600 / s1.Sub(s0).Seconds(); math.Abs(pw-prefillW.Watts()) > 1.5 {
		t.Errorf("mean prefill power %.2f W, want about %.0f W", pw, prefillW.Watts())
	}
	// Four domains, keyed by zone: the two dram zones do not collide.
	if len(rec.Energy.Domains) != 4 {
		t.Fatalf("domains %+v", rec.Energy.Domains)
	}
	var sum float64
	for _, d := range rec.Energy.Domains {
		sum += *d.TotalWh
		want := player.TruthZone(d.ID, player.Visible(s0), player.Visible(s2)).WattHours()
		if rel := math.Abs(*d.TotalWh-want) / want; rel > 0.02 {
			t.Errorf("domain %s = %.6g Wh, truth %.6g Wh", d.ID, *d.TotalWh, want)
		}
	}
	if math.Abs(sum-*rec.Energy.TotalWh) > 1e-12 {
		t.Errorf("domains sum to %v, total %v", sum, *rec.Energy.TotalWh)
	}
	var wrapped bool
	for _, f := range rec.Flags {
		if f.Code == lab.FlagCounterWrap {
			wrapped = true
		}
	}
	if !wrapped || res.Timeline.Wraps != 1 {
		t.Errorf("wraps %d, flags %+v: the package-0 wrap was not seen", res.Timeline.Wraps, rec.Flags)
	}
	if rec.Tokens.Output != tokens || rec.Tokens.Input != 120 || rec.Timing.Server.PromptEvalMs == nil {
		t.Errorf("tokens %+v server timing %+v", rec.Tokens, rec.Timing.Server)
	}
}
