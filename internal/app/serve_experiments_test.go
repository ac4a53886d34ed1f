package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/config"
	"github.com/llm-energy-lab/energylab/internal/experiment"
	"github.com/llm-energy-lab/energylab/internal/store"
	"github.com/llm-energy-lab/energylab/internal/web"
)

// decodeAs re-decodes a message's field into v.
func decodeAs(t *testing.T, from any, v any) {
	t.Helper()
	b, _ := json.Marshal(from)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
}

// experimentMsgs splits an experiment socket's messages.
type experimentMsgs struct {
	started  wsMsg
	progress []wsMsg
	final    wsMsg
}

func runExperiment(t *testing.T, c *wsClient, payload map[string]any, each func(wsMsg)) experimentMsgs {
	t.Helper()
	send(t, c, payload)
	var out experimentMsgs
	for out.final == nil {
		// A refused second payload (rejected) is not this experiment's end.
		msgs := collect(t, c, func(m wsMsg) {
			if s, ok := m["started"].(map[string]any); ok {
				out.started = s
			}
			if p, ok := m["progress"].(map[string]any); ok {
				out.progress = append(out.progress, p)
			}
			if each != nil {
				each(m)
			}
		})
		if last := msgs[len(msgs)-1]; last["rejected"] != true {
			out.final = last
		}
	}
	noMore(t, c)
	return out
}

func TestWebExperimentBatch(t *testing.T) {
	w := startWebLab(t, web.Options{}, nil)
	c := w.dial("/ws/experiment")
	// include_flagged: a loaded machine may flag an idle sample; the
	// counts below are the batch's (exclusions are tested in experiment).
	got := runExperiment(t, c, map[string]any{"kind": "batch", "runs": 3, "warmup": 1, "cooldown_ms": 5, "seed": 42, "include_flagged": true,
		"model_name": "builtin/synthetic-tiny", "user_prompt": "Why is the sky blue?", "system_prompt": "Be brief.", "max_tokens": 8, "temp": 0}, nil)
	f := got.final
	if f["done"] != true || f["error"] != nil || f["stopped"] != false || f["cancelled"] != nil || f["stored"] != true || f["kind"] != "batch" || f["seed"] != float64(42) {
		t.Fatalf("terminal %v", f)
	}
	id, _ := f["experiment_id"].(string)
	if !strings.HasPrefix(id, "batch-") || got.started["experiment_id"] != id || got.started["total"] != float64(4) || got.started["model"] != "builtin/synthetic-tiny" {
		t.Errorf("started %v, id %q", got.started, id)
	}
	// Progress after every trial, the warm-up first.
	if len(got.progress) != 4 {
		t.Fatalf("%d progress messages, want 4", len(got.progress))
	}
	for i, p := range got.progress {
		last, _ := p["last"].(map[string]any)
		if p["done"] != float64(i+1) || p["total"] != float64(4) || p["warmup"] != (i == 0) || last == nil || last["status"] != "ok" || last["total_wh"] == nil || last["kind"] != "modelled" {
			t.Errorf("progress %d: %v", i, p)
		}
		if _, ok := p["eta_s"].(float64); !ok {
			t.Errorf("progress %d has no ETA: %v", i, p)
		}
	}
	var res experiment.BatchResult
	decodeAs(t, f["result"], &res)
	s := res.Stats
	if res.ID != id || res.Stopped || len(res.Outcomes) != 4 || s.Runs != 3 || s.Included != 3 || s.TotalWh.N != 3 || s.OutputTokens.Mean != 8 || s.RatioWhPer1kOutput == nil {
		t.Errorf("result %+v", res)
	}
	// Every trial is a stored run in the experiment's session, the
	// experiment is stored, listed and read back.
	if n, _ := w.db.CountRuns(t.Context(), store.RunFilter{Session: id}); n != 4 {
		t.Errorf("%d runs stored in session %s, want 4", n, id)
	}
	if n, _ := w.db.CountRuns(t.Context(), store.RunFilter{Session: "test-session"}); n != 0 {
		t.Errorf("%d experiment runs in the server's session", n)
	}
	if e, err := w.db.GetExperiment(t.Context(), id); err != nil || e.Kind != "batch" {
		t.Errorf("stored experiment %v %v", e.Kind, err)
	}
	list := w.getJSON("/api/experiments", 200)
	es := list["experiments"].([]any)
	if len(es) != 1 || es[0].(map[string]any)["id"] != id || es[0].(map[string]any)["kind"] != "batch" || !strings.Contains(fmt.Sprint(es[0].(map[string]any)["summary"]), "3 runs") {
		t.Errorf("list %v", list)
	}
	one := w.getJSON("/api/experiments/"+id, 200)
	var stored experiment.BatchResult
	decodeAs(t, one["result"], &stored)
	if one["kind"] != "batch" || stored.ID != id || stored.Stats.Runs != 3 {
		t.Errorf("GET experiment %v", one["kind"])
	}
	if e := w.getJSON("/api/experiments/batch-nope", 404); e["hint"] == nil {
		t.Errorf("unknown experiment %v", e)
	}
	w.getJSON("/api/experiments?limit=0", 400)
}

func TestWebExperimentCancelAndDisconnect(t *testing.T) {
	w := startWebLab(t, web.Options{}, nil)
	c := w.dial("/ws/experiment")
	payload := map[string]any{"kind": "batch", "runs": 200, "warmup": 0, "model_name": "builtin/synthetic-tiny", "user_prompt": "count", "max_tokens": 16}
	rejected, cancelled := 0, false
	got := runExperiment(t, c, payload, func(m wsMsg) {
		if m["rejected"] == true {
			rejected++
		}
		if p, ok := m["progress"].(map[string]any); ok && p["done"] == float64(2) && !cancelled {
			// One experiment per socket: a second is refused, the first goes on.
			send(t, c, payload)
			send(t, c, map[string]string{"command": "cancel"})
			cancelled = true
		}
	})
	f := got.final
	if f["cancelled"] != true || f["stopped"] != true || f["stored"] != true || f["rejected"] != nil || rejected != 1 {
		t.Fatalf("terminal %v (%d rejected)", f, rejected)
	}
	var res experiment.BatchResult
	decodeAs(t, f["result"], &res)
	n, _ := w.db.CountRuns(t.Context(), store.RunFilter{Session: res.ID})
	if !res.Stopped || len(res.Outcomes) < 2 || len(res.Outcomes) >= 200 || n != len(res.Outcomes) || res.Stats.Runs != len(res.Outcomes) {
		t.Errorf("stopped %v after %d runs (stats over %d, %d stored)", res.Stopped, len(res.Outcomes), res.Stats.Runs, n)
	}
	var stored experiment.BatchResult
	decodeAs(t, w.getJSON("/api/experiments/"+res.ID, 200)["result"], &stored)
	if !stored.Stopped || len(stored.Outcomes) != len(res.Outcomes) {
		t.Errorf("stored experiment: stopped %v, %d runs", stored.Stopped, len(stored.Outcomes))
	}

	// A client that leaves stops its experiment, which is stored.
	c2 := w.dial("/ws/experiment")
	send(t, c2, payload)
	for {
		m, err := readMsg(t, c2, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if m["progress"] != nil {
			break
		}
	}
	c2.CloseNow()
	deadline := time.Now().Add(10 * time.Second)
	for w.s.Active() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if w.s.Active() != 0 {
		t.Fatal("the experiment goes on after its client left")
	}
	es, err := w.db.ListExperiments(t.Context(), 0)
	if err != nil || len(es) != 2 {
		t.Fatalf("%d experiments stored, %v", len(es), err)
	}
	e, _ := w.db.GetExperiment(t.Context(), es[0].ID)
	var left experiment.BatchResult
	json.Unmarshal(e.Result, &left)
	if !left.Stopped || len(left.Outcomes) == 0 || len(left.Outcomes) >= 200 {
		t.Errorf("the left experiment: stopped %v after %d runs", left.Stopped, len(left.Outcomes))
	}
}

func TestWebExperimentAblate(t *testing.T) {
	w := startWebLab(t, web.Options{}, nil)
	c := w.dial("/ws/experiment")
	got := runExperiment(t, c, map[string]any{"kind": "ablate", "runs": 2, "warmup": 0, "include_flagged": true, "model_name": "builtin/synthetic-tiny",
		"user_prompt": "What is the capital of France?", "system_prompt": "You are a careful assistant.",
		"injections": []map[string]string{{"description": "policy", "content": "Always cite your sources and answer in full sentences."}},
		"max_tokens": 8}, nil)
	f := got.final
	if f["done"] != true || f["error"] != nil || f["kind"] != "ablate" || len(got.progress) != 4 {
		t.Fatalf("terminal %v after %d progress messages", f, len(got.progress))
	}
	if arms := fmt.Sprint(got.started["arms"]); arms != "[bare middleware]" {
		t.Errorf("started arms %s", arms)
	}
	var res experiment.AblationResult
	decodeAs(t, f["result"], &res)
	if len(res.Arms) != 2 || res.Arms[0].Name != "bare" || res.Arms[1].Name != "middleware" || res.Arms[1].ExtraInputTokens <= 0 ||
		res.Arms[1].Stats.Included != 2 || res.Arms[1].Verdict == "" || !strings.Contains(res.Arms[1].Describe, "1 injection") {
		t.Errorf("arms %+v", res.Arms)
	}
	if n, _ := w.db.CountRuns(t.Context(), store.RunFilter{Session: res.ID}); n != 4 {
		t.Errorf("%d runs stored, want 4", n)
	}
	// The bare runs carry no middleware; the others carry the arm's.
	sums, _ := w.db.ListRuns(t.Context(), store.RunFilter{Session: res.ID})
	bare, with := 0, 0
	for _, s := range sums {
		rec, _ := w.db.GetRun(t.Context(), s.ID)
		if len(rec.Request.Injections) == 0 && !strings.Contains(rec.Request.System, "careful") {
			bare++
		} else if len(rec.Request.Injections) == 1 {
			with++
		}
	}
	if bare != 2 || with != 2 {
		t.Errorf("%d bare and %d middleware runs", bare, with)
	}
	// The web lab serves the study's report and charts, as the CLI writes them.
	code, h, body := w.do("GET", "/api/experiments/"+res.ID+"/charts/overhead.svg", nil)
	if code != 200 || h.Get("Content-Type") != "image/svg+xml" || !bytes.Contains(body, []byte(`data-category="middleware"`)) {
		t.Errorf("overhead chart: %d %s", code, h.Get("Content-Type"))
	}
	// Error bars need an interval (two included runs per arm; a loaded
	// machine may flag one).
	if ov := res.Arms[1].Overhead; !math.IsNaN(ov.Low) && !bytes.Contains(body, []byte(`class="errorbar`)) {
		t.Errorf("the overhead chart lacks the interval %+v", ov)
	}
	if code, _, body := w.do("GET", "/api/experiments/"+res.ID+"/charts/pie.svg", nil); code != 404 || !bytes.Contains(body, []byte("overhead.svg")) {
		t.Errorf("unknown chart: %d %s", code, body)
	}
	code, h, body = w.do("GET", "/api/experiments/"+res.ID+"/report", nil)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || bytes.Count(body, []byte("<svg")) != 2 {
		t.Errorf("report: %d %v, %d charts", code, h, bytes.Count(body, []byte("<svg")))
	}
	if code, _, _ := w.do("GET", "/api/experiments/nope/report", nil); code != 404 {
		t.Errorf("report of an unknown experiment: %d", code)
	}
	if code, _, _ := w.do("GET", "/api/session-report", nil); code != 400 {
		t.Errorf("report of an empty session: %d", code)
	}
}

func TestWebExperimentRefusals(t *testing.T) {
	w := startWebLab(t, web.Options{}, nil)
	c := w.dial("/ws/experiment")
	base := `"model_name":"builtin/synthetic-tiny","user_prompt":"hi"`
	for _, tc := range []struct{ name, frame, want string }{
		{"no kind", `{` + base + `}`, `"kind"`},
		{"bad kind", `{"kind":"sweep",` + base + `}`, "unknown experiment kind"},
		{"runs 0", `{"kind":"batch","runs":0,` + base + `}`, "runs 0"},
		{"too many runs", `{"kind":"batch","runs":1001,` + base + `}`, "runs 1001"},
		{"warmup", `{"kind":"batch","warmup":21,` + base + `}`, "warmup 21"},
		{"cooldown", `{"kind":"batch","cooldown_ms":-1,` + base + `}`, "cooldown_ms"},
		{"unknown field", `{"kind":"batch","repeats":3,` + base + `}`, "unknown field"},
		{"no model", `{"kind":"batch","user_prompt":"hi"}`, "No model selected"},
		{"unknown model", `{"kind":"batch","model_name":"builtin/nope","user_prompt":"hi"}`, "nope"},
		{"context overflow", `{"kind":"batch",` + base + `,"max_tokens":4000}`, "context"},
		{"arms in a batch", `{"kind":"batch",` + base + `,"arms":[{"system_prompt":"x"}]}`, "overhead study"},
		{"study without middleware", `{"kind":"ablate",` + base + `}`, "none is given"},
		{"middleware twice", `{"kind":"ablate",` + base + `,"system_prompt":"s","arms":[{"system_prompt":"x"}]}`, "not both"},
		{"empty arm", `{"kind":"ablate",` + base + `,"arms":[{"name":"a"}]}`, "no middleware"},
		{"arm named bare", `{"kind":"ablate",` + base + `,"arms":[{"name":"bare","system_prompt":"x"}]}`, "taken"},
		{"oversized arm", `{"kind":"ablate",` + base + `,"arms":[{"system_prompt":"` + strings.Repeat("x", web.MaxPrompt) + `"}]}`, "arm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			send(t, c, json.RawMessage(tc.frame))
			m, err := readMsg(t, c, 20*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if m["done"] != true || !strings.Contains(fmt.Sprint(m["error"]), tc.want) {
				t.Errorf("got %v, want an error containing %q", m, tc.want)
			}
			noMore(t, c)
		})
	}
	if n, _ := w.db.CountRuns(t.Context(), store.RunFilter{}); n != 0 {
		t.Errorf("%d runs stored by refused experiments", n)
	}
	if es, _ := w.db.ListExperiments(t.Context(), 0); len(es) != 0 {
		t.Errorf("%d experiments stored by refused requests", len(es))
	}
}

// TestWebRAPLCalibrate calibrates a programmed server measured on a
// powercap tree playing 30 W: the fitted Wh per input and output token are
// the programmed ones. (The designed set on synthetic-tiny takes 18 s under
// the race detector, mostly its 1,100-token prefills.)
func TestWebRAPLCalibrate(t *testing.T) {
	p := &programme{prefillBase: 20 * time.Millisecond, perToken: 150 * time.Microsecond, tokenTime: 2 * time.Millisecond, jitter: 0.02, rng: rand.New(rand.NewPCG(5, 6))}
	srv, root := p.serve(t), poweredTree(t)
	w := startWebLab(t, web.Options{}, func(c *config.Config) {
		c.OpenAI.BaseURL, c.SysfsRoot, c.Meter = srv.URL+"/v1", root, "rapl"
	})
	post := func(body any, want int) map[string]any {
		t.Helper()
		code, _, b := w.do("POST", "/api/rapl-calibrate", body)
		var m map[string]any
		json.Unmarshal(b, &m)
		if code != want {
			t.Fatalf("POST %v: %d, want %d\n%s", body, code, want, b)
		}
		return m
	}
	for _, tc := range []struct {
		body any
		want string
	}{
		{map[string]any{"model_name": "builtin/nope"}, "nope"},
		{map[string]any{"model_name": "llama3"}, "has no provider"},
		{map[string]any{"model_name": "openai/prog", "runs": 11}, "runs 11"},
		{map[string]any{"model_name": "openai/prog", "repeats": 1}, "unknown field"},
		{map[string]any{"model_name": "groq/llama-3.1-8b-instant"}, "groq"},
	} {
		if m := post(tc.body, 400); !strings.Contains(fmt.Sprint(m["error"]), tc.want) || m["hint"] == nil {
			t.Errorf("%v: %v", tc.body, m)
		}
	}
	m := post(map[string]any{"model_name": "openai/prog", "runs": 1}, 200)
	bench, _ := m["benchmark"].(map[string]any)
	id, _ := m["experiment_id"].(string)
	if m["success"] != true || m["runs"] != float64(9) || bench == nil || bench["family"] != "calibrated" || bench["runs"] != float64(9) ||
		bench["boundary"] != "cpu-dram" || bench["prefill_r2"] == nil || !strings.HasPrefix(id, "calibrate-") {
		t.Fatalf("calibration %v", m)
	}
	// 30 W × the programmed time per token, in Wh per 1,000 tokens.
	for _, c := range []struct {
		field string
		d     time.Duration
	}{{"input_wh_per_1000_tokens", p.perToken}, {"output_wh_per_1000_tokens", p.tokenTime}} {
		want := 30 * c.d.Seconds() / 3600 * 1000
		got, _ := bench[c.field].(float64)
		t.Logf("%s %.5g, programmed %.5g (R² prefill %.3f, decode %.3f)", c.field, got, want, bench["prefill_r2"], bench["decode_r2"])
		if math.Abs(got-want)/want > 0.2 {
			t.Errorf("%s %.5g, programmed %.5g", c.field, got, want)
		}
	}
	rows, err := w.db.Benchmarks(t.Context(), "calibrated")
	if err != nil || len(rows) != 1 || rows[0].Name != bench["name"] {
		t.Errorf("stored rows %+v, %v", rows, err)
	}
	if e, err := w.db.GetExperiment(t.Context(), id); err != nil || e.Kind != "calibrate" {
		t.Errorf("stored experiment %v %v", e.Kind, err)
	}
	if n, _ := w.db.CountRuns(t.Context(), store.RunFilter{Session: id}); n != 9 {
		t.Errorf("%d runs stored, want 9", n)
	}
}
