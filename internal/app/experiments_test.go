package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl/rapltest"
	"github.com/llm-energy-lab/energylab/internal/experiment"
	"github.com/llm-energy-lab/energylab/internal/store"
)

// programme is a model server whose costs are known: prefill takes
// prefillBase + perToken × input tokens (input tokens = characters / 4),
// then one token is sent at once and the rest every tokenTime, each sleep
// scaled by (1 + jitter × a standard normal draw).
type programme struct {
	prefillBase, perToken, tokenTime time.Duration
	jitter                           float64
	mu                               sync.Mutex
	rng                              *rand.Rand
}

// jittered scales d by the programme's noise.
func (p *programme) jittered(d time.Duration) time.Duration {
	p.mu.Lock()
	f := 1 + p.jitter*p.rng.NormFloat64()
	p.mu.Unlock()
	return time.Duration(float64(d) * math.Max(0.5, math.Min(1.5, f)))
}

// until sleeps to an absolute deadline, so that timer overshoot does not
// accumulate over the tokens.
func until(ctx context.Context, deadline time.Time) {
	select {
	case <-time.After(time.Until(deadline)):
	case <-ctx.Done():
	}
}

func (p *programme) serve(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"object":"list","data":[{"id":"prog","object":"model","owned_by":"test"}]}`)
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages  []struct{ Content string } `json:"messages"`
			MaxTokens int                        `json:"max_tokens"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		chars := 0
		for _, m := range body.Messages {
			chars += len(m.Content)
		}
		in := chars / 4
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		at := time.Now().Add(p.jittered(p.prefillBase + time.Duration(in)*p.perToken))
		until(r.Context(), at)
		for i := range body.MaxTokens {
			if i > 0 {
				at = at.Add(p.jittered(p.tokenTime))
				until(r.Context(), at)
			}
			if r.Context().Err() != nil {
				return
			}
			fmt.Fprintf(w, "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t%d \"}}]}\n\n", i)
			w.(http.Flusher).Flush()
		}
		fmt.Fprintf(w, "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d}}\n\n", in, body.MaxTokens, in+body.MaxTokens)
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// runMain runs the CLI in-process with its own HOME.
func runMain(t *testing.T, home string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errb, LookupEnv: func(k string) (string, bool) {
		if k == "HOME" {
			return home, true
		}
		return "", false
	}}
	code := Main(t.Context(), args, env)
	return out.String(), errb.String(), code
}

// poweredTree is a powercap tree playing a constant 30 W: a run's true
// energy is 30 W × its programmed duration.
func poweredTree(t *testing.T) string {
	root := t.TempDir()
	zones := rapltest.TwoSocketServer()
	rapltest.BuildTree(t, root, zones)
	rapltest.Play(t, root, zones, rapltest.PlayerOptions{Power: 30 * energy.Watt,
		Shares: map[string]float64{"intel-rapl:0": 4, "intel-rapl:0:0": 1, "intel-rapl:1": 4, "intel-rapl:1:0": 1}})
	return root
}

// TestAblateFindsTheProgrammedOverhead runs the overhead study against a
// server whose prefill cost per token is programmed, on a powercap tree
// playing a known power: the study's interval must contain the true
// overhead.
func TestAblateFindsTheProgrammedOverhead(t *testing.T) {
	p := &programme{prefillBase: 100 * time.Millisecond, perToken: 250 * time.Microsecond, tokenTime: 20 * time.Millisecond, jitter: 0.04, rng: rand.New(rand.NewPCG(1, 2))}
	srv := p.serve(t)
	home, root := t.TempDir(), poweredTree(t)
	inj := filepath.Join(home, "tools.json")
	os.WriteFile(inj, []byte(strings.Repeat("{\"name\": \"tool\", \"parameters\": {}} ", 120)), 0o644) // 4,320 chars = 1,080 tokens
	const query = "What is the capital of France?"
	out, errs, code := runMain(t, home, "ablate", "-json", "-runs", "6", "-warmup", "1", "-seed", "5", "-model", "openai/prog",
		"-openai-base-url", srv.URL+"/v1", "-sysfs", root, "-baseline", "0", "-poll-interval", "20ms", "-max-tokens", "12", "-inject-file", inj, query)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var res experiment.AblationResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Arms) != 2 || res.Arms[0].Stats.Kind != "measured" || res.Arms[1].Stats.Included != 6 {
		t.Fatalf("arms %+v", res.Arms)
	}
	// The programmed durations (ignoring the lab's own milliseconds).
	dur := func(in int) float64 {
		return (p.prefillBase + time.Duration(in)*p.perToken + 11*p.tokenTime).Seconds()
	}
	bareIn, withIn := res.Arms[0].Stats.InputTokens.Mean, res.Arms[1].Stats.InputTokens.Mean
	truth := dur(int(withIn)) / dur(int(bareIn))
	a := res.Arms[1]
	t.Logf("bare %.0f tokens, with %.0f: overhead %.4f [%.4f, %.4f], programmed %.4f; marginal %+v Wh/1k", bareIn, withIn, a.Overhead.Value, a.Overhead.Low, a.Overhead.High, truth, a.MarginalWhPer1k)
	if !(a.Overhead.Low <= truth && truth <= a.Overhead.High) {
		t.Errorf("the programmed overhead %.4f is outside the study's interval [%.4f, %.4f]", truth, a.Overhead.Low, a.Overhead.High)
	}
	// Marginal cost: 30 W × perToken per token = 30 × 1e-4 s / 3600 Wh per token.
	wantMarginal := 30 * p.perToken.Seconds() / 3600 * 1000
	if m := a.MarginalWhPer1k; m == nil || !(m.Low <= wantMarginal*1.1 && wantMarginal*0.9 <= m.High) {
		t.Errorf("marginal Wh per 1k injected %+v, programmed %.5f", m, wantMarginal)
	}
	if a.WithinNoise || a.ExtraInputTokens < 1000 {
		t.Errorf("verdict %q, extra tokens %v", a.Verdict, a.ExtraInputTokens)
	}
	// The study and its runs are stored.
	db, err := store.Open(t.Context(), filepath.Join(home, ".local", "share", "energylab", "energylab.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, _ := db.CountRuns(t.Context(), store.RunFilter{Session: res.ID}); n != 14 {
		t.Errorf("%d runs stored in session %s, want 14", n, res.ID)
	}
	if e, err := db.GetExperiment(t.Context(), res.ID); err != nil || e.Kind != "ablate" {
		t.Errorf("experiment %+v %v", e.Kind, err)
	}
}

// TestSweepFindsTheProgrammedCrossover: prefill costs 30 ms + 0.2 ms per
// token and decode 15 × 40 ms, so prefill overtakes decode at 2,850 tokens.
// (The costs are large against the lab's own milliseconds, which a loaded
// CI machine stretches, and which the meter rightly counts.)
func TestSweepFindsTheProgrammedCrossover(t *testing.T) {
	p := &programme{prefillBase: 30 * time.Millisecond, perToken: 200 * time.Microsecond, tokenTime: 40 * time.Millisecond, jitter: 0.02, rng: rand.New(rand.NewPCG(3, 4))}
	srv := p.serve(t)
	home, root := t.TempDir(), poweredTree(t)
	out, errs, code := runMain(t, home, "sweep", "-json", "-runs", "1", "-warmup", "1", "-steps", "7", "-min", "200", "-max", "6000", "-output", "16",
		"-model", "openai/prog", "-openai-base-url", srv.URL+"/v1", "-sysfs", root, "-baseline", "0", "-poll-interval", "20ms", "Summarise.")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var res experiment.SweepResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	const want = 2850.0
	if res.Crossover == nil {
		t.Fatalf("no crossover: %s %s", res.CrossoverNote, res.FitError)
	}
	t.Logf("crossover %.0f tokens (%s), prefill R² %.4f, decode R² %.4f", *res.Crossover, res.CrossoverNote, res.PrefillFit.R2, res.DecodeFit.R2)
	if math.Abs(*res.Crossover-want)/want > 0.10 {
		t.Errorf("crossover at %.0f tokens, programmed %.0f", *res.Crossover, want)
	}
	if len(res.Points) != 8 || res.Points[0].Target != 0 {
		t.Errorf("%d points, first %+v", len(res.Points), res.Points[0])
	}
}

// TestExperimentsOnTheSyntheticModel runs a small batch and study on the
// embedded model with the modelled meter, as CI's fresh machine does.
func TestExperimentsOnTheSyntheticModel(t *testing.T) {
	home := t.TempDir()
	// -include-flagged: a loaded machine may flag an idle sample; these
	// checks are of the commands (exclusions are tested in experiment).
	common := []string{"-baseline", "100ms", "-poll-interval", "20ms", "-max-tokens", "8", "-cache-dir", synthCache, "-include-flagged"}
	args := append([]string{"batch", "-json", "-runs", "4", "-warmup", "1"}, common...)
	out, errs, code := runMain(t, home, append(args, "hello")...)
	if code != 0 {
		t.Fatalf("batch: exit %d\n%s", code, errs)
	}
	var b experiment.BatchResult
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatal(err)
	}
	if b.Stats.Runs != 4 || len(b.Outcomes) != 5 || b.Stats.Kind != "modelled" || b.Stats.OutputTokens.Mean != 8 {
		t.Errorf("batch stats %+v", b.Stats)
	}
	args = append([]string{"ablate", "-json", "-runs", "3", "-warmup", "0", "-preset", "minimal", "-inject", "Answer in French."}, common...)
	out, errs, code = runMain(t, home, append(args, "What is the capital of France?")...)
	if code != 0 {
		t.Fatalf("ablate: exit %d\n%s", code, errs)
	}
	var a experiment.AblationResult
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Arms) != 3 || a.Arms[1].ExtraInputTokens <= 0 || a.Arms[2].ExtraInputTokens <= 0 || a.Arms[1].Verdict == "" {
		t.Errorf("arms %+v", a.Arms)
	}
	// Its report (HTML with inline charts; Markdown with chart files) and
	// its export (CSV, one row per run).
	html := filepath.Join(home, "study.html")
	if _, errs, code := runMain(t, home, "report", "-experiment", a.ID, "-o", html); code != 0 {
		t.Fatalf("report: %d %s", code, errs)
	}
	if b, _ := os.ReadFile(html); !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("preset:minimal")) || !bytes.Contains(b, []byte(`class="errorbar`)) {
		t.Errorf("HTML report lacks its charts or arms")
	}
	md := filepath.Join(home, "out", "study.md")
	os.MkdirAll(filepath.Dir(md), 0o755)
	if _, errs, code := runMain(t, home, "report", "-experiment", a.ID, "-o", md); code != 0 {
		t.Fatalf("report md: %d %s", code, errs)
	}
	if b, _ := os.ReadFile(md); !bytes.Contains(b, []byte("](study-charts/overhead.svg)")) {
		t.Errorf("Markdown report:\n%s", b)
	}
	if b, err := os.ReadFile(filepath.Join(home, "out", "study-charts", "overhead.svg")); err != nil || !bytes.HasPrefix(b, []byte("<svg")) {
		t.Errorf("chart file: %v", err)
	}
	csvPath := filepath.Join(home, "study.csv")
	if _, errs, code := runMain(t, home, "export", "-experiment", a.ID, "-o", csvPath); code != 0 {
		t.Fatalf("export: %d %s", code, errs)
	}
	if b, _ := os.ReadFile(csvPath); bytes.Count(b, []byte("\n")) != 1+9 {
		t.Errorf("CSV has %d lines, want a header and 9 runs", bytes.Count(b, []byte("\n")))
	}
	if out, _, code := runMain(t, home, "experiments", "-json"); code != 0 || !strings.Contains(out, a.ID) {
		t.Errorf("experiments: %d %s", code, out)
	}
	if _, errs, code := runMain(t, home, "report", "-experiment", "nope"); code != 2 || !strings.Contains(errs, "no experiment") {
		t.Errorf("unknown experiment: %d %s", code, errs)
	}
	if _, errs, code := runMain(t, home, "report", "-experiment", a.ID, "-format", "md"); code != 2 || !strings.Contains(errs, "needs -o") {
		t.Errorf("md to stdout: %d %s", code, errs)
	}
	// The sweep on the embedded model: four sizes, fits and a verdict on
	// the crossover (whatever this machine's timings make of it).
	args = append([]string{"sweep", "-json", "-runs", "1", "-warmup", "0", "-steps", "3", "-min", "64", "-max", "800", "-output", "8"}, common...)
	out, errs, code = runMain(t, home, append(args, "Summarise.")...)
	if code != 0 {
		t.Fatalf("sweep: exit %d\n%s", code, errs)
	}
	var sw experiment.SweepResult
	if err := json.Unmarshal([]byte(out), &sw); err != nil {
		t.Fatal(err)
	}
	if len(sw.Points) != 4 || sw.PrefillFit == nil || sw.DecodeFit == nil || sw.CrossoverNote == "" || sw.Kind == "" {
		t.Errorf("sweep %+v", sw)
	}
	if last := sw.Points[len(sw.Points)-1]; last.InputTokens < 700 || *last.PrefillWh <= *sw.Points[0].PrefillWh {
		t.Errorf("the largest context (%d tokens, %v Wh) does not cost more prefill than none (%v Wh)", last.InputTokens, *last.PrefillWh, *sw.Points[0].PrefillWh)
	}
	// A context of a given size, in the model's own tokens.
	args = append([]string{"ablate", "-json", "-runs", "2", "-warmup", "0", "-context-tokens", "200"}, common...)
	out, errs, code = runMain(t, home, append(args, "What is the capital of France?")...)
	if code != 0 {
		t.Fatalf("ablate -context-tokens: exit %d\n%s", code, errs)
	}
	var c experiment.AblationResult
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Arms) != 2 || c.Arms[1].Name != "context:200-tokens" || c.Arms[1].ExtraInputTokens < 190 || c.Arms[1].ExtraInputTokens > 260 {
		t.Errorf("context arm %+v (extra %v tokens)", c.Arms[1].Name, c.Arms[1].ExtraInputTokens)
	}
	if _, errs, code := runMain(t, home, "ablate", "-runs", "2", "-context-tokens", "lots", "hi"); code != 2 || !strings.Contains(errs, "-context-tokens") {
		t.Errorf("bad -context-tokens: %d %s", code, errs)
	}
	// Bad input is refused before anything runs.
	if _, errs, code := runMain(t, home, "ablate", "-runs", "3", "hello"); code != 2 || !strings.Contains(errs, "at least one middleware configuration") {
		t.Errorf("ablate without configurations: %d %s", code, errs)
	}
	if _, errs, code := runMain(t, home, "batch", "-runs", "0", "hello"); code != 2 || !strings.Contains(errs, "-runs 0") {
		t.Errorf("batch -runs 0: %d %s", code, errs)
	}
	if _, errs, code := runMain(t, home, "ablate", "-runs", "2", "-preset", "agent", "-cache-dir", synthCache, "hi"); code != 2 || !strings.Contains(errs, "preset:agent") {
		t.Errorf("an arm that cannot fit the context: %d %s", code, errs)
	}
}

// BenchmarkBatchOverhead reports the lab's own time between consecutive
// batch runs as a ratio to the runs' measured windows (synthetic-tiny, 16
// tokens, modelled meter with a reused baseline).
func BenchmarkBatchOverhead(b *testing.B) {
	home := b.TempDir()
	for b.Loop() {
		var out, errb bytes.Buffer
		env := Env{Stdout: &out, Stderr: &errb, LookupEnv: func(k string) (string, bool) {
			if k == "HOME" {
				return home, true
			}
			return "", false
		}}
		if code := Main(context.Background(), []string{"batch", "-json", "-runs", "10", "-warmup", "1", "-max-tokens", "16", "-baseline", "100ms", "hello"}, env); code != 0 {
			b.Fatalf("exit %d: %s", code, errb.String())
		}
		var res experiment.BatchResult
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			b.Fatal(err)
		}
		if res.Overhead.Ratio != nil {
			b.ReportMetric(*res.Overhead.Ratio, "gap/run")
			b.ReportMetric(res.Overhead.GapMs.Mean, "gap-ms")
			b.ReportMetric(res.Overhead.RunMs.Mean, "run-ms")
		}
	}
}
