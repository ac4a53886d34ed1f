package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl/rapltest"
	"github.com/llm-energy-lab/energylab/internal/engine/synth"
	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
	"github.com/llm-energy-lab/energylab/internal/lab"
)

var binary string

// TestMain builds the energylab binary once; the tests run it as a user
// would, each with its own HOME so that nothing touches the real one.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "energylab-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "energylab")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

func run(t *testing.T, home string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cleanEnv(), "HOME="+home)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

// cleanEnv drops the lab's and the providers' variables so the host's
// settings cannot leak into the test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ENERGYLAB_") || strings.HasPrefix(k, "OLLAMA_") || strings.HasPrefix(k, "OPENAI_") ||
			strings.HasPrefix(k, "GROQ_") || strings.HasPrefix(k, "XDG_") || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func decode(t *testing.T, s string) lab.Record {
	t.Helper()
	var rec lab.Record
	if err := json.Unmarshal([]byte(s), &rec); err != nil {
		t.Fatalf("stdout is not a JSON record: %v\n%s", err, s)
	}
	return rec
}

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Abs(b) }

func flagged(rec lab.Record, code string) bool {
	for _, f := range rec.Flags {
		if f.Code == code {
			return true
		}
	}
	return false
}

// TestRunBuiltinJSON runs the embedded default with no meter hardware: the
// record must be complete, internally consistent and labelled modelled.
func TestRunBuiltinJSON(t *testing.T) {
	home := t.TempDir()
	r := run(t, home, "run", "-json", "-max-tokens", "24", "-seed", "7", "-meter", "cpu-model", "-preset", "safety", "-inject", "user likes tea", "Why is the sky blue?")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	rec := decode(t, r.stdout)
	if rec.Model != "builtin/synthetic-tiny" || rec.Provider != "builtin" || rec.Status != lab.StatusOK || rec.ID == "" {
		t.Fatalf("model %q provider %q status %q id %q", rec.Model, rec.Provider, rec.Status, rec.ID)
	}
	if rec.Energy.Source != energy.Modelled || rec.Energy.Meter != "cpu-model" || len(rec.Energy.Assumptions) == 0 {
		t.Errorf("energy source %q meter %q assumptions %v", rec.Energy.Source, rec.Energy.Meter, rec.Energy.Assumptions)
	}
	e := rec.Energy
	if e.TotalWh == nil || e.PrefillWh == nil || e.DecodeWh == nil || *e.TotalWh <= 0 {
		t.Fatalf("energy %+v", e)
	}
	if !near(*e.PrefillWh+*e.DecodeWh, *e.TotalWh, 1e-9) {
		t.Errorf("prefill %v + decode %v != total %v", *e.PrefillWh, *e.DecodeWh, *e.TotalWh)
	}
	in, out := rec.Tokens.Input, rec.Tokens.Output
	if out < 1 || out > 24 || in < 100 {
		t.Errorf("tokens in %d out %d", in, out)
	}
	if !near(*rec.ETokens.WhPer1kInput, *e.TotalWh*1000/float64(in), 1e-9) || !near(*rec.ETokens.WhPer1kOutput, *e.TotalWh*1000/float64(out), 1e-9) {
		t.Errorf("e-tokens %+v for total %v, in %d, out %d", rec.ETokens.ETokenSet, *e.TotalWh, in, out)
	}
	if rec.Carbon.GCO2e == nil || !near(*rec.Carbon.GCO2e, *e.TotalWh*0.445, 1e-9) || rec.Carbon.Grid.Code != "GLOBAL" {
		t.Errorf("carbon %+v", rec.Carbon)
	}
	if rec.Timing.TTFTMs == nil || *rec.Timing.TTFTMs <= 0 || rec.Timing.TotalMs < *rec.Timing.TTFTMs || (out > 1 && rec.Timing.TokensPerSecond == nil) {
		t.Errorf("timing %+v", rec.Timing)
	}
	b := rec.Tokens.Breakdown
	if b.Method != "counted" || b.System < 300 || b.Injections < 3 || b.User < 3 || b.User+b.Middleware != in || b.Thinking+b.Answer != out {
		t.Errorf("breakdown %+v for in %d out %d", b, in, out)
	}
	if !flagged(rec, lab.FlagSyntheticModel) || !rec.Response.Meaningless {
		t.Errorf("synthetic model not flagged: %+v", rec.Flags)
	}
	if rec.Manifest.Model.Digest == "" || rec.Manifest.Meter == nil || rec.Request.SystemPreset != "safety" {
		t.Errorf("manifest %+v request preset %q", rec.Manifest, rec.Request.SystemPreset)
	}

	// The run is in the store, and reads back identically.
	show := run(t, home, "runs", "show", "-json", rec.ID[:8])
	if show.code != 0 {
		t.Fatalf("runs show: exit %d: %s", show.code, show.stderr)
	}
	if back := decode(t, show.stdout); back.ID != rec.ID || *back.Energy.TotalWh != *e.TotalWh {
		t.Errorf("stored record differs: %s vs %s", back.ID, rec.ID)
	}
	list := run(t, home, "runs")
	if list.code != 0 || !strings.Contains(list.stdout, rec.ID) || !strings.Contains(list.stdout, "modelled") {
		t.Errorf("runs list: exit %d\n%s", list.code, list.stdout)
	}
	human := run(t, home, "runs", "show", rec.ID)
	for _, want := range []string{"modelled", "e-token-i", "g CO2e", "synthetic_model", "TTFT"} {
		if !strings.Contains(human.stdout, want) {
			t.Errorf("human report lacks %q:\n%s", want, human.stdout)
		}
	}
}

// TestRunMeasuredOnPowercapTree points the binary at a powercap tree with a
// known constant power: the record must be measured RAPL energy equal to
// power × window.
func TestRunMeasuredOnPowercapTree(t *testing.T) {
	home, root := t.TempDir(), t.TempDir()
	zones := rapltest.TwoSocketServer()
	rapltest.BuildTree(t, root, zones)
	const watts = 40
	player := rapltest.Play(t, root, zones, rapltest.PlayerOptions{Power: watts * energy.Watt,
		Shares: map[string]float64{"intel-rapl:0": 4, "intel-rapl:0:0": 1, "intel-rapl:1": 4, "intel-rapl:1:0": 1}})
	m := run(t, home, "meters", "-json", "-sysfs", root)
	if m.code != 0 || !strings.Contains(m.stdout, `"name": "rapl"`) || !strings.Contains(m.stdout, `"status": "available"`) {
		t.Fatalf("meters: exit %d\n%s\n%s", m.code, m.stdout, m.stderr)
	}
	r := run(t, home, "run", "-json", "-sysfs", root, "-max-tokens", "64", "-baseline", "600ms", "hello")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	rec := decode(t, r.stdout)
	if rec.Energy.Source != energy.Measured || rec.Energy.Meter != "rapl" || len(rec.Energy.Domains) != 4 {
		t.Fatalf("energy %+v", rec.Energy)
	}
	want := watts * rec.Timing.TotalMs / 1000 / 3600
	if !near(*rec.Energy.TotalWh, want, 0.1) {
		t.Errorf("total %v Wh, want %v Wh (40 W over %.1f ms)", *rec.Energy.TotalWh, want, rec.Timing.TotalMs)
	}
	switch b := rec.Energy.Active.Baseline; {
	case b == nil:
		t.Error("no baseline")
	case b.Disturbed:
		// A loaded test machine can starve the player that writes the
		// counters; the lab must then say the idle sample is unreliable.
		if !flagged(rec, lab.FlagIdleDisturbed) {
			t.Errorf("disturbed baseline %+v without the %s flag", b, lab.FlagIdleDisturbed)
		}
		t.Logf("the idle sample was disturbed on this loaded machine (%.1f W, CV %.2f) and flagged", b.Watts, b.CV)
	default:
		// On a loaded machine the player's writes lag; a reading at either
		// end of the window may stand for an instant up to that long ago.
		lag := player.MaxStaleness(b.TakenAt.Add(-2*time.Duration(b.WindowMs*float64(time.Millisecond))), b.TakenAt.Add(time.Second))
		tol := 0.05 + 2*lag.Seconds()/(b.WindowMs/1000)
		if !near(b.Watts, watts, tol) {
			t.Errorf("baseline %+v, want 40 W within %.1f%% (the player lagged up to %s)", b, 100*tol, lag)
		}
	}
}

// fakeOllama serves /api/show and a /api/chat stream that fails in the
// middle, the way a crashed runner does.
func fakeOllama(t *testing.T, slow bool) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/show", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"details":{"family":"llama","parameter_size":"1.2B","quantization_level":"Q8_0"},"model_info":{"general.architecture":"llama","llama.context_length":8192}}`)
	})
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"models":[{"name":"tiny:latest","model":"tiny:latest","digest":"abc123"}]}`)
	})
	mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		if msgs, _ := body["messages"].([]any); len(msgs) == 0 {
			fmt.Fprint(w, `{"model":"tiny","message":{"role":"assistant","content":""},"done_reason":"load","done":true}`)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		for i := 0; i < 1000; i++ {
			fmt.Fprintf(w, `{"model":"tiny","message":{"role":"assistant","content":"w%d "},"done":false}`+"\n", i)
			w.(http.Flusher).Flush()
			if !slow && i == 4 {
				fmt.Fprint(w, `{"error":"runner process has terminated: exit status 2"}`+"\n")
				return
			}
			time.Sleep(20 * time.Millisecond)
			if r.Context().Err() != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestRunFailedStreamIsStoredAsFailed(t *testing.T) {
	home := t.TempDir()
	srv := fakeOllama(t, false)
	r := run(t, home, "run", "-json", "-ollama-host", srv.URL, "-model", "ollama/tiny", "-meter", "cpu-model", "-baseline", "0", "hello")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	rec := decode(t, r.stdout)
	if rec.Status != lab.StatusFailed || !strings.Contains(rec.Error, "runner process has terminated") || rec.Tokens.Output != 5 {
		t.Fatalf("status %s error %q output %d", rec.Status, rec.Error, rec.Tokens.Output)
	}
	if rec.Energy.TotalWh == nil {
		t.Errorf("failed run lost its energy")
	}
	if !strings.Contains(r.stderr, "failed") {
		t.Errorf("stderr does not say the run failed: %s", r.stderr)
	}
	list := run(t, home, "runs", "-json", "-status", "failed")
	if !strings.Contains(list.stdout, rec.ID) {
		t.Errorf("failed run not stored: %s", list.stdout)
	}
}

func TestInterruptStoresCancelledRun(t *testing.T) {
	home := t.TempDir()
	srv := fakeOllama(t, true)
	cmd := exec.Command(binary, "run", "-json", "-ollama-host", srv.URL, "-model", "ollama/tiny", "-meter", "cpu-model", "-baseline", "0", "hello")
	cmd.Env = append(cleanEnv(), "HOME="+home)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\n%s", err, errb.String())
	}
	rec := decode(t, out.String())
	if rec.Status != lab.StatusCancelled || rec.Tokens.Output < 1 || rec.Energy.TotalWh == nil {
		t.Fatalf("status %s output %d energy %v", rec.Status, rec.Tokens.Output, rec.Energy.TotalWh)
	}
	if list := run(t, home, "runs", "-json", "-status", "cancelled"); !strings.Contains(list.stdout, rec.ID) {
		t.Errorf("cancelled run not stored: %s", list.stdout)
	}
}

// TestBadInputStoresNothing checks each bad input exits 2 with a message
// and leaves the store empty.
func TestBadInputStoresNothing(t *testing.T) {
	home := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "empty"},
		{[]string{"run", "   "}, "empty"},
		{[]string{"run", "-model", "builtin/nope", "hi"}, "synthetic-tiny"},
		{[]string{"run", "-model", "martian/x", "hi"}, "providers: builtin, ollama"},
		{[]string{"run", "-max-tokens", "99999", "hi"}, "context of 2048"},
		{[]string{"run", "-grid", "Atlantis", "hi"}, "unknown grid"},
		{[]string{"run", "-preset", "nope", "hi"}, "unknown preset"},
		{[]string{"run", "-temperature", "hot", "hi"}, "not a number"},
		{[]string{"run", "-model", "groq/llama-3.1-8b-instant", "hi"}, "GROQ_API_KEY"},
		{[]string{"run", "-meter", "rapl", "-sysfs", t.TempDir(), "hi"}, "no RAPL zones"},
		{[]string{"runs", "show", "ffffffffff"}, "no run"},
	}
	for _, c := range cases {
		r := run(t, home, c.args...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("energylab %s: exit %d, stderr %q; want non-zero and %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
	}
	if r := run(t, home, "runs", "-json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("bad input left runs behind: %s", r.stdout)
	}
	// Ollama not running: a clear message, exit 1.
	r := run(t, home, "run", "-ollama-host", "http://127.0.0.1:1", "-model", "ollama/llama3.2", "hi")
	if r.code != 1 || !strings.Contains(r.stderr, "ollama serve") {
		t.Errorf("unreachable Ollama: exit %d stderr %q", r.code, r.stderr)
	}
}

// TestOllamaRunCountedWithStoreTokenizer runs an ollama/ model that is also
// in the local Ollama store: the prompt's parts are counted exactly with
// the tokenizer read from the store's GGUF blob, the template's share is
// what Ollama counted beyond them.
func TestOllamaRunCountedWithStoreTokenizer(t *testing.T) {
	home, store := t.TempDir(), t.TempDir()
	s, _ := synth.Lookup("synthetic-tiny")
	q, _ := synth.LookupQuant("q8_0")
	path, _, err := synth.Ensure(context.Background(), t.TempDir(), s, 1, q, tensor.NewPool(2))
	if err != nil {
		t.Fatal(err)
	}
	gguf, _ := os.ReadFile(path)
	digest := fmt.Sprintf("%064x", 99)
	os.MkdirAll(filepath.Join(store, "blobs"), 0o755)
	os.WriteFile(filepath.Join(store, "blobs", "sha256-"+digest), gguf, 0o644)
	man := filepath.Join(store, "manifests", "registry.ollama.ai", "library", "tiny", "latest")
	os.MkdirAll(filepath.Dir(man), 0o755)
	os.WriteFile(man, []byte(`{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:`+digest+`"}]}`), 0o644)

	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/show", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"details":{"family":"llama"},"model_info":{"general.architecture":"llama","llama.context_length":2048}}`)
	})
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"models":[{"name":"tiny:latest","digest":"`+digest+`"}]}`)
	})
	mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		if msgs, _ := body["messages"].([]any); len(msgs) == 0 {
			fmt.Fprint(w, `{"model":"tiny","done_reason":"load","done":true}`)
			return
		}
		fmt.Fprint(w, `{"model":"tiny","message":{"role":"assistant","content":"hi"},"done":false}`+"\n")
		fmt.Fprint(w, `{"model":"tiny","message":{"role":"assistant","content":""},"done":true,"prompt_eval_count":2000,"eval_count":1,"prompt_eval_duration":1000000,"eval_duration":1000000}`+"\n")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r := run(t, home, "run", "-json", "-ollama-host", srv.URL, "-ollama-models", store, "-model", "ollama/tiny",
		"-meter", "cpu-model", "-baseline", "0", "-preset", "safety", "What is 2+2?")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rec := decode(t, r.stdout)
	b := rec.Tokens.Breakdown
	if b.Method != "counted" || !strings.Contains(b.Note, "local Ollama store") || b.System < 300 || b.User < 5 {
		t.Fatalf("breakdown %+v", b)
	}
	if b.User+b.System+b.Template != 2000 || b.Template <= 0 {
		t.Errorf("parts %d + %d + template %d do not add up to Ollama's 2000", b.User, b.System, b.Template)
	}
}

// TestCloudRunIsEstimated runs a Groq model (a cloud API: never metered)
// against a local server speaking Groq's stream: the record's energy is the
// selected family's estimate, labelled estimated with its boundary.
func TestCloudRunIsEstimated(t *testing.T) {
	home := t.TempDir()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openai/v1/models", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":[{"id":"llama-3.1-8b-instant","context_window":131072}]}`)
	})
	mux.HandleFunc("POST /openai/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"Four.\"}}]}\n\n")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"x_groq\":{\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":1000}}}\n\n")
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cmd := exec.Command(binary, "run", "-json", "-groq-base-url", srv.URL+"/openai/v1", "-model", "groq/llama-3.1-8b-instant", "-family", "jegham", "What is 2+2?")
	cmd.Env = append(cleanEnv(), "HOME="+home, "GROQ_API_KEY=gsk_test")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rec := decode(t, string(out))
	e := rec.Energy
	if e.Source != energy.Estimated || e.TotalWh == nil || e.Meter != "" || !strings.Contains(e.Boundary, "node-pue") {
		t.Fatalf("energy %+v", e)
	}
	if len(rec.Estimates) != 1 || rec.Estimates[0].Family != "jegham" || rec.Estimates[0].RowModel != "LLaMA-3.1-8B" || *rec.Estimates[0].Wh != *e.TotalWh {
		t.Fatalf("estimates %+v", rec.Estimates)
	}
	if rec.Carbon.GCO2e == nil || rec.Carbon.PUE != 1 || !flagged(rec, lab.FlagNoMeter) {
		t.Errorf("carbon %+v flags %+v", rec.Carbon, rec.Flags)
	}
	// Recalculating with AI Energy Score replaces the estimate, and the
	// run's energy with it.
	r := run(t, home, "runs", "recalc", "-family", "aes")
	if r.code != 0 || !strings.Contains(r.stdout, "recalculated the estimates of 1 runs") {
		t.Fatalf("recalc: %d %s %s", r.code, r.stdout, r.stderr)
	}
	back := decode(t, run(t, home, "runs", "show", "-json", rec.ID).stdout)
	if back.Estimates[0].Family != "aes" || back.Energy.TotalWh == nil || *back.Energy.TotalWh == *e.TotalWh || back.Energy.Boundary[:3] != "gpu" {
		t.Errorf("after recalc: estimates %+v energy %+v", back.Estimates, back.Energy)
	}
}

// TestBenchmarksCustomAndCalibrated adds a custom row, makes it current,
// estimates with it, then calibrates a family from stored measured runs of
// the embedded model and estimates with that.
func TestBenchmarksCustomAndCalibrated(t *testing.T) {
	home := t.TempDir()
	r := run(t, home, "benchmarks", "add", "-name", "my-gpu", "-input-wh-per-1k", "0.01", "-output-wh-per-1k", "0.2", "-boundary", "gpu", "-note", "our cluster")
	if r.code != 0 {
		t.Fatalf("add: %s", r.stderr)
	}
	if r := run(t, home, "benchmarks", "add", "-name", "bad", "-input-wh-per-1k", "-1"); r.code != 2 {
		t.Errorf("negative rate accepted: %d %s", r.code, r.stderr)
	}
	est := run(t, home, "estimate", "-json", "-model", "custom/my-gpu", "-input", "1000", "-output", "500", "-family", "custom")
	var ests []lab.Estimate
	if err := json.Unmarshal([]byte(est.stdout), &ests); err != nil || len(ests) != 1 || ests[0].Wh == nil || math.Abs(*ests[0].Wh-(0.01+0.1)) > 1e-6 {
		t.Fatalf("custom estimate %s %s", est.stdout, est.stderr)
	}
	if r := run(t, home, "benchmarks", "use", "nope"); r.code != 2 || !strings.Contains(r.stderr, "unknown estimate family") {
		t.Errorf("use nope: %d %s", r.code, r.stderr)
	}
	// Three measured runs of different lengths, then a calibration.
	for i, n := range []string{"4", "12", "24"} {
		prompt := strings.Repeat("energy ", 5+20*i)
		if r := run(t, home, "run", "-quiet", "-meter", "cpu-model", "-baseline", "0", "-max-tokens", n, prompt); r.code != 0 {
			t.Fatalf("run %d: %s", i, r.stderr)
		}
	}
	if r := run(t, home, "benchmarks", "calibrate", "-model", "builtin/synthetic-tiny"); r.code != 0 || !strings.Contains(r.stdout, "from 3 runs") {
		t.Fatalf("calibrate: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, home, "benchmarks", "use", "calibrated"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r = run(t, home, "run", "-json", "-meter", "cpu-model", "-baseline", "0", "-max-tokens", "8", "hello there")
	rec := decode(t, r.stdout)
	if len(rec.Estimates) != 1 || rec.Estimates[0].Family != "calibrated" || rec.Estimates[0].Wh == nil || rec.Estimates[0].Boundary != "cpu-time" {
		t.Fatalf("estimate with the calibration: %+v", rec.Estimates)
	}
	if rec.Energy.Source != energy.Modelled {
		t.Errorf("measured run's energy changed source: %s", rec.Energy.Source)
	}
	if r := run(t, home, "benchmarks", "calibrate", "-model", "ollama/none"); r.code != 2 || !strings.Contains(r.stderr, "needs at least 3") {
		t.Errorf("calibrate without runs: %d %s", r.code, r.stderr)
	}
}

func TestRunsChartWritesSVG(t *testing.T) {
	home := t.TempDir()
	r := run(t, home, "run", "-json", "-max-tokens", "8", "-baseline", "100ms", "-poll-interval", "20ms", "hello")
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	rec := decode(t, r.stdout)
	out := filepath.Join(home, "breakdown.svg")
	c := run(t, home, "runs", "chart", rec.ID, "-chart", "breakdown", "-o", out)
	if c.code != 0 {
		t.Fatalf("runs chart: exit %d\n%s", c.code, c.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(b, []byte("<svg")) || !bytes.Contains(b, []byte(`class="bar`)) {
		t.Fatalf("chart file: %v\n%.300s", err, b)
	}
	if c := run(t, home, "runs", "chart", rec.ID, "-chart", "pie"); c.code != 2 || !strings.Contains(c.stderr, "want power, breakdown or energy") {
		t.Errorf("unknown chart: exit %d\n%s", c.code, c.stderr)
	}
	// A file that cannot be written leaves nothing behind.
	bad := filepath.Join(home, "missing-dir", "x.svg")
	if c := run(t, home, "runs", "chart", rec.ID, "-o", bad); c.code != 1 {
		t.Errorf("unwritable path: exit %d\n%s", c.code, c.stderr)
	}
	if s := run(t, home, "runs", "-session", "nope"); s.code != 0 || !strings.Contains(s.stdout, "no runs") {
		t.Errorf("runs -session: %d\n%s", s.code, s.stdout)
	}
}

// TestBatchStoppedMidway interrupts a batch: the finished runs stay
// stored, the partial statistics are printed and the experiment is stored.
func TestBatchStoppedMidway(t *testing.T) {
	home := t.TempDir()
	cmd := exec.Command(binary, "batch", "-runs", "40", "-warmup", "0", "-max-tokens", "300", "-baseline", "100ms", "hello")
	cmd.Env = append(cleanEnv(), "HOME="+home)
	var out bytes.Buffer
	cmd.Stdout = &out
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	n := 0
	for lines.Scan() {
		if strings.Contains(lines.Text(), "/40 run") {
			n++
			if n == 3 {
				cmd.Process.Signal(os.Interrupt)
				break
			}
		}
	}
	go io.Copy(io.Discard, stderr)
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v\n%s", err, out.String())
	}
	re := regexp.MustCompile(`(\d+) runs, (\d+) included`)
	m := re.FindStringSubmatch(out.String())
	if m == nil || m[1] == "40" || m[1] == "0" {
		t.Fatalf("no partial statistics:\n%s", out.String())
	}
	id := regexp.MustCompile(`stored as experiment (batch-\S+)`).FindStringSubmatch(out.String())
	if id == nil {
		t.Fatalf("no experiment stored:\n%s", out.String())
	}
	r := run(t, home, "runs", "-json", "-session", id[1], "-limit", "0")
	var runs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || fmt.Sprint(len(runs)) != m[1] {
		t.Errorf("%d runs stored, the statistics counted %s (%v)", len(runs), m[1], err)
	}
}

// TestRunMeteredThroughAnExporter measures a run through a node_exporter-
// style exporter whose RAPL counters are the integral of a constant 30 W,
// computed when scraped: the run's energy is 30 W × its window, to within
// the few milliseconds between a scrape and its timestamp.
func TestRunMeteredThroughAnExporter(t *testing.T) {
	start := time.Now()
	exp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j := 30 * time.Since(start).Seconds()
		fmt.Fprintf(w, "# TYPE node_rapl_package_joules_total counter\nnode_rapl_package_joules_total{index=\"0\"} %.6f\n", 100+0.75*j)
		fmt.Fprintf(w, "# TYPE node_rapl_dram_joules_total counter\nnode_rapl_dram_joules_total{index=\"0\"} %.6f\n", 7+0.25*j)
	}))
	defer exp.Close()
	home := t.TempDir()
	args := []string{"-meter", "prometheus", "-prom-url", exp.URL + "/metrics", "-prom-preset", "node_rapl"}
	m := run(t, home, append([]string{"meters", "-json"}, args[2:]...)...)
	if m.code != 0 || !strings.Contains(m.stdout, `"name": "prometheus"`) {
		t.Fatalf("meters: %d\n%s%s", m.code, m.stdout, m.stderr)
	}
	r := run(t, home, append(append([]string{"run", "-json"}, args...), "-max-tokens", "32", "-ignore-eos", "-baseline", "200ms", "-poll-interval", "50ms", "hello")...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	rec := decode(t, r.stdout)
	if rec.Energy.Meter != "prometheus" || rec.Energy.Source != energy.Measured || len(rec.Energy.Domains) != 2 {
		t.Fatalf("energy %+v", rec.Energy)
	}
	want := 30 * rec.Timing.TotalMs / 1000 / 3600
	if !near(*rec.Energy.TotalWh, want, 0.1) {
		t.Errorf("total %v Wh, want %v Wh (30 W over %.1f ms)", *rec.Energy.TotalWh, want, rec.Timing.TotalMs)
	}
	if b := rec.Energy.Active.Baseline; b == nil || !near(b.Watts, 30, 0.1) {
		t.Errorf("baseline %+v, want about 30 W", b)
	}
	// A wrong preset is refused with the reason, before anything runs.
	bad := run(t, home, "run", "-meter", "prometheus", "-prom-url", exp.URL, "-prom-preset", "dcgm", "hello")
	if bad.code == 0 || !strings.Contains(bad.stderr, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION") {
		t.Errorf("dcgm preset on a RAPL exporter: %d %s", bad.code, bad.stderr)
	}
}
