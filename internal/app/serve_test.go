package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/llm-energy-lab/energylab/internal/config"
	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl/rapltest"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/store"
	"github.com/llm-energy-lab/energylab/internal/web"
)

// synthCache is shared by the tests so synthetic models are generated once.
var synthCache = filepath.Join(os.TempDir(), "energylab-app-test-cache")

type webLab struct {
	t   *testing.T
	srv *httptest.Server
	s   *web.Server
	db  *store.DB
	cfg config.Config
}

// startWebLab serves the web lab on loopback over a fresh store, with the
// embedded synthetic model as the default and short baselines.
func startWebLab(t *testing.T, opt web.Options, mod func(*config.Config)) *webLab {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default(func(string) (string, bool) { return "", false })
	cfg.DB = filepath.Join(dir, "lab.db")
	cfg.PresetsDir = filepath.Join(dir, "presets")
	cfg.Builtin.CacheDir = synthCache
	cfg.Builtin.ModelsDir = filepath.Join(dir, "models")
	cfg.Builtin.OllamaModels = filepath.Join(dir, "ollama")
	cfg.Baseline.Window = config.Duration(100 * time.Millisecond)
	cfg.PollInterval = config.Duration(20 * time.Millisecond)
	cfg.Ollama.Host = "http://127.0.0.1:1"
	cfg.Run.MaxTokens = 16
	if mod != nil {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.Context(), cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	env := Env{Stdout: io.Discard, Stderr: io.Discard, LookupEnv: func(string) (string, bool) { return "", false }, HTTP: &http.Client{}}
	if opt.Session == "" {
		opt.Session = "test-session"
	}
	s, _, err := newWebLab(cfg, env, db, opt)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &webLab{t: t, srv: srv, s: s, db: db, cfg: cfg}
}

func (w *webLab) do(method, path string, body any) (int, http.Header, []byte) {
	w.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, w.srv.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}

func (w *webLab) getJSON(path string, want int) map[string]any {
	w.t.Helper()
	code, _, body := w.do("GET", path, nil)
	if code != want {
		w.t.Fatalf("GET %s: %d, want %d\n%s", path, code, want, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		w.t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
	return m
}

func (w *webLab) dial(path string) *wsClient {
	w.t.Helper()
	c, err := dialWS(w.t, "ws"+strings.TrimPrefix(w.srv.URL, "http")+path, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { c.CloseNow() })
	return c
}

// wsClient reads its socket in the background, so that waiting for a
// message with a timeout does not close the socket (a cancelled Read
// context does, in coder/websocket).
type wsClient struct {
	*websocket.Conn
	msgs chan []byte
	err  chan error
}

func dialWS(t *testing.T, url string, opt *websocket.DialOptions) (*wsClient, error) {
	c, _, err := websocket.Dial(t.Context(), url, opt)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(64 << 20)
	k := &wsClient{Conn: c, msgs: make(chan []byte, 4096), err: make(chan error, 1)}
	go func() {
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				k.err <- err
				return
			}
			k.msgs <- b
		}
	}()
	return k, nil
}

func send(t *testing.T, c *wsClient, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := c.Write(context.Background(), websocket.MessageText, b); err != nil {
		t.Error(err)
	}
}

type wsMsg map[string]any

var errTimeout = fmt.Errorf("no message in time")

func readMsg(t *testing.T, c *wsClient, timeout time.Duration) (wsMsg, error) {
	var b []byte
	select {
	case b = <-c.msgs:
	case err := <-c.err:
		c.err <- err
		return nil, err
	case <-time.After(timeout):
		return nil, errTimeout
	}
	var m wsMsg
	if err := json.Unmarshal(b, &m); err != nil {
		t.Errorf("server sent invalid JSON: %v: %s", err, b)
	}
	return m, nil
}

// collect reads until a terminal message (done: true), calling each on
// every message first, and returns them all with the terminal last.
func collect(t *testing.T, c *wsClient, each func(wsMsg)) []wsMsg {
	t.Helper()
	var all []wsMsg
	for {
		m, err := readMsg(t, c, 60*time.Second)
		if err != nil {
			t.Errorf("read after %d messages: %v", len(all), err)
			return append(all, wsMsg{"done": true, "error": err.Error()})
		}
		all = append(all, m)
		if each != nil {
			each(m)
		}
		if m["done"] == true {
			return all
		}
	}
}

// noMore checks that nothing else arrives: exactly one terminal message.
func noMore(t *testing.T, c *wsClient) {
	t.Helper()
	if m, err := readMsg(t, c, 300*time.Millisecond); err == nil {
		t.Fatalf("a message after the terminal one: %v", m)
	}
}

func decodeRecord(t *testing.T, v any) lab.Record {
	t.Helper()
	b, _ := json.Marshal(v)
	var rec lab.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestWebEnergyRunStreamsAndStores(t *testing.T) {
	w := startWebLab(t, web.Options{}, nil)
	c := w.dial("/ws")
	send(t, c, map[string]any{
		"model_name": "builtin/synthetic-tiny", "user_prompt": "Why is the sky blue?", "system_prompt": "Be brief.",
		"conversation_context": "user: hi\nassistant: hello", "injections": []map[string]string{{"description": "policy", "content": "Always cite sources."}},
		"max_tokens": 12, "temp": 0, "seed": 7, "strategy_name": "custom_injection",
	})
	var tokens, text strings.Builder
	var marks []string
	started := false
	msgs := collect(t, c, func(m wsMsg) {
		if tok, ok := m["token"].(string); ok && m["done"] == false {
			tokens.WriteString(".")
			text.WriteString(tok)
			if m["strategy"] != "custom_injection" || m["model"] != "builtin/synthetic-tiny" {
				t.Errorf("token message not labelled: %v", m)
			}
		}
		if mk, ok := m["mark"].(string); ok {
			marks = append(marks, mk)
		}
		if _, ok := m["started"]; ok {
			started = true
		}
	})
	noMore(t, c)
	final := msgs[len(msgs)-1]
	if final["token"] != "[DONE]" || final["error"] != nil {
		t.Fatalf("terminal %v", final)
	}
	if !started || tokens.Len() == 0 {
		t.Errorf("started %v, %d tokens streamed", started, tokens.Len())
	}
	if d := slices.Compare(marks, []string{"start", "first_token", "end"}); d != 0 {
		t.Errorf("marks %v", marks)
	}
	for _, k := range []string{"basic_metrics", "token_metrics", "energy_metrics", "live_power_metrics", "record"} {
		if final[k] == nil {
			t.Errorf("final message lacks %s", k)
		}
	}
	bm := final["basic_metrics"].(map[string]any)
	rec := decodeRecord(t, final["record"])
	if bm["completion_tokens"] != float64(rec.Tokens.Output) || rec.Tokens.Output != 12 {
		t.Errorf("basic_metrics %v, record output %d", bm, rec.Tokens.Output)
	}
	if rec.Response.Text != text.String() {
		t.Errorf("streamed text %q, stored %q", text.String(), rec.Response.Text)
	}
	bd := rec.Tokens.Breakdown
	if bd.Method != "counted" || bd.Injections == 0 || bd.Context == 0 || bd.System == 0 || bd.User == 0 {
		t.Errorf("breakdown %+v", bd)
	}
	// cpu-model is the meter on a host without RAPL; it is labelled modelled.
	lp := final["live_power_metrics"].(map[string]any)
	if rec.Energy.TotalWh == nil || lp["total_wh"] != *rec.Energy.TotalWh || lp["kind"] != string(rec.Energy.Source) {
		t.Errorf("live_power_metrics %v vs record energy %+v", lp, rec.Energy)
	}
	stored, err := w.db.GetRun(t.Context(), rec.ID)
	if err != nil || stored.Session != "test-session" || stored.Request.Injections[0].Content != "Always cite sources." {
		t.Fatalf("stored %+v, %v", stored.Request, err)
	}

	// The stored run is listed, re-opened, charted, summarised, exported
	// and removed through the API.
	list := w.getJSON("/api/runs", 200)
	if list["total"] != float64(1) || list["runs"].([]any)[0].(map[string]any)["id"] != rec.ID {
		t.Errorf("runs %v", list)
	}
	if got := w.getJSON("/api/runs/"+rec.ID, 200); got["id"] != rec.ID {
		t.Errorf("run %v", got["id"])
	}
	for _, ch := range []string{"power.svg", "breakdown.svg", "energy.svg"} {
		code, h, body := w.do("GET", "/api/runs/"+rec.ID+"/charts/"+ch, nil)
		if code != 200 || h.Get("Content-Type") != "image/svg+xml" || !bytes.Contains(body, []byte("<svg")) {
			t.Errorf("%s: %d %s", ch, code, h.Get("Content-Type"))
		}
	}
	if code, _, _ := w.do("GET", "/api/runs/"+rec.ID+"/charts/pie.svg", nil); code != 404 {
		t.Errorf("unknown chart: %d", code)
	}
	sum := w.getJSON("/api/session-summary", 200)
	e := sum["energy"].(map[string]any)
	if sum["total_readings"] != float64(1) || e["total_wh"] != *rec.Energy.TotalWh {
		t.Errorf("summary %v", sum)
	}
	code, h, body := w.do("GET", "/api/export-session?format=csv", nil)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || !bytes.Contains(body, []byte(rec.ID)) {
		t.Errorf("csv export %d %v\n%s", code, h, body)
	}
	code, _, body = w.do("POST", "/api/export-session", map[string]string{"format": "json"})
	var exp struct{ Runs []lab.Record }
	if code != 200 || json.Unmarshal(body, &exp) != nil || len(exp.Runs) != 1 || exp.Runs[0].ID != rec.ID {
		t.Errorf("json export %d\n%s", code, body)
	}
	if code, _, _ := w.do("DELETE", "/api/runs/"+rec.ID, nil); code != 200 {
		t.Errorf("delete: %d", code)
	}
	if code, _, _ := w.do("GET", "/api/runs/"+rec.ID, nil); code != 404 {
		t.Errorf("deleted run: %d", code)
	}
}

func TestWebMeasuredRunOnPowercapTree(t *testing.T) {
	root := t.TempDir()
	zones := rapltest.TwoSocketServer()
	rapltest.BuildTree(t, root, zones)
	const watts = 25
	rapltest.Play(t, root, zones, rapltest.PlayerOptions{Power: watts * energy.Watt,
		Shares: map[string]float64{"intel-rapl:0": 4, "intel-rapl:0:0": 1, "intel-rapl:1": 4, "intel-rapl:1:0": 1}})
	w := startWebLab(t, web.Options{}, func(c *config.Config) { c.SysfsRoot = root })
	c := w.dial("/ws")
	send(t, c, map[string]any{"model_name": "builtin/synthetic-tiny", "user_prompt": "hello", "max_tokens": 200, "temp": 0})
	var power []float64
	msgs := collect(t, c, func(m wsMsg) {
		if p, ok := m["power"].(map[string]any); ok {
			power = append(power, p["watts"].(float64))
		}
	})
	rec := decodeRecord(t, msgs[len(msgs)-1]["record"])
	if rec.Energy.Source != energy.Measured || rec.Energy.Meter != "rapl" {
		t.Fatalf("energy %+v", rec.Energy)
	}
	if len(power) == 0 || len(rec.Power) == 0 {
		t.Fatalf("no live power (%d messages, %d stored points)", len(power), len(rec.Power))
	}
	// Single polls are noisy (the counters advance in steps); their mean
	// is the played power.
	mean := 0.0
	for _, p := range power {
		mean += p / float64(len(power))
	}
	if mean < watts*0.75 || mean > watts*1.25 {
		t.Errorf("live power averages %.1f W over %d polls %v; the tree plays %d W", mean, len(power), power, watts)
	}
}

// slowOpenAI is an OpenAI-compatible server on loopback whose first token
// comes after delay (a long prefill), then one token every 20 ms; with
// failAfter > 0 it breaks the stream after that many tokens.
func slowOpenAI(t *testing.T, delay time.Duration, failAfter int) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"object":"list","data":[{"id":"slow","object":"model","owned_by":"test"}]}`)
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		for i := 0; i < 500; i++ {
			if failAfter > 0 && i == failAfter {
				panic(http.ErrAbortHandler) // the connection drops mid-stream
			}
			fmt.Fprintf(w, "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w%d \"}}]}\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-time.After(20 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestWebCancelMidPrefillAndMidDecode(t *testing.T) {
	slow := slowOpenAI(t, 3*time.Second, 0)
	w := startWebLab(t, web.Options{}, func(c *config.Config) { c.OpenAI.BaseURL = slow.URL + "/v1" })
	for _, tc := range []struct {
		name, model string
		// cancelOn is the message that triggers the cancel.
		cancelOn func(wsMsg) bool
		decoded  bool
	}{
		{"mid-prefill", "openai/slow", func(m wsMsg) bool { return m["mark"] == "start" }, false},
		{"mid-decode", "builtin/synthetic-tiny", func(m wsMsg) bool { return m["done"] == false && m["token"] != nil }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := w.dial("/ws")
			send(t, c, map[string]any{"model_name": tc.model, "user_prompt": "count to a thousand", "max_tokens": 1500, "temp": 0, "ignore_eos": true})
			sent := false
			msgs := collect(t, c, func(m wsMsg) {
				if !sent && tc.cancelOn(m) {
					send(t, c, map[string]string{"command": "cancel"})
					sent = true
				}
			})
			noMore(t, c)
			final := msgs[len(msgs)-1]
			if final["cancelled"] != true || final["token"] != "[CANCELLED]" || final["stored"] != true {
				t.Fatalf("terminal %v", final)
			}
			rec, err := w.db.GetRun(t.Context(), final["run_id"].(string))
			if err != nil || rec.Status != lab.StatusCancelled {
				t.Fatalf("stored %v, %v", rec.Status, err)
			}
			if got := rec.Timing.TTFTMs != nil; got != tc.decoded {
				t.Errorf("first token seen: %v, want %v", got, tc.decoded)
			}
			if tc.decoded && (rec.Tokens.Output == 0 || rec.Tokens.Output >= 1500) {
				t.Errorf("cancelled mid-decode after %d tokens", rec.Tokens.Output)
			}
			// The socket takes another run afterwards.
			send(t, c, map[string]any{"model_name": "builtin/synthetic-tiny", "user_prompt": "again", "max_tokens": 3})
			if m := collect(t, c, nil); m[len(m)-1]["token"] != "[DONE]" {
				t.Errorf("next run: %v", m[len(m)-1])
			}
		})
	}
	// A cancel with nothing running is acknowledged, not a terminal message.
	c := w.dial("/ws")
	send(t, c, map[string]string{"command": "cancel"})
	if m, err := readMsg(t, c, 5*time.Second); err != nil || m["done"] != nil || m["log"] == nil {
		t.Errorf("idle cancel: %v, %v", m, err)
	}
}

func TestWebProviderErrorMidStream(t *testing.T) {
	broken := slowOpenAI(t, 0, 5)
	w := startWebLab(t, web.Options{}, func(c *config.Config) { c.OpenAI.BaseURL = broken.URL + "/v1" })
	c := w.dial("/ws")
	send(t, c, map[string]any{"model_name": "openai/slow", "user_prompt": "hi", "max_tokens": 100})
	n := 0
	msgs := collect(t, c, func(m wsMsg) {
		if m["done"] == false && m["token"] != nil {
			n++
		}
	})
	noMore(t, c)
	final := msgs[len(msgs)-1]
	if final["error"] == nil || final["failed"] != true || final["token"] != nil || n != 5 {
		t.Fatalf("terminal %v after %d tokens", final, n)
	}
	rec, err := w.db.GetRun(t.Context(), final["run_id"].(string))
	if err != nil || rec.Status != lab.StatusFailed || rec.Tokens.Output != 5 {
		t.Fatalf("stored %v with %d tokens, %v", rec.Status, rec.Tokens.Output, err)
	}
}

func TestWebProtocolErrors(t *testing.T) {
	w := startWebLab(t, web.Options{}, nil)
	c := w.dial("/ws")
	big := strings.Repeat("x", web.MaxPrompt+1)
	for _, tc := range []struct {
		name  string
		frame string
		want  string
	}{
		{"malformed", `{"model_name": `, "Invalid JSON"},
		{"not an object", `[1,2]`, "Invalid JSON"},
		{"unknown field", `{"model_name":"builtin/synthetic-tiny","user_prompt":"hi","temperature":0.5}`, "unknown field"},
		{"no model", `{"user_prompt":"hi"}`, "No model selected"},
		{"no provider", `{"model_name":"llama3","user_prompt":"hi"}`, "has no provider"},
		{"legacy local provider", `{"model_name":"llama3","provider":"local","user_prompt":"hi"}`, "ollama"},
		{"empty prompt", `{"model_name":"builtin/synthetic-tiny","user_prompt":"  "}`, "empty"},
		{"unknown model", `{"model_name":"builtin/nope","user_prompt":"hi"}`, "nope"},
		{"bad temperature", `{"model_name":"builtin/synthetic-tiny","user_prompt":"hi","temp":9}`, "temperature"},
		{"unknown family", `{"model_name":"builtin/synthetic-tiny","user_prompt":"hi","energy_benchmark":"conservative_estimate"}`, "unknown estimate family"},
		{"tools", `{"model_name":"builtin/synthetic-tiny","user_prompt":"hi","tool_integration_method":"direct_insertion"}`, "not supported"},
		{"unknown command", `{"command":"pause"}`, "unknown command"},
		{"oversized prompt", `{"model_name":"builtin/synthetic-tiny","user_prompt":"` + big + `"}`, "limit is"},
		{"context overflow", `{"model_name":"builtin/synthetic-tiny","user_prompt":"hi","max_tokens":4000}`, "context"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.Write(context.Background(), websocket.MessageText, []byte(tc.frame)); err != nil {
				t.Fatal(err)
			}
			m, err := readMsg(t, c, 10*time.Second)
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
		t.Errorf("%d runs stored by bad requests", n)
	}
	// A second run on a busy socket is refused; the first one goes on.
	send(t, c, map[string]any{"model_name": "builtin/synthetic-tiny", "user_prompt": "one", "max_tokens": 400, "ignore_eos": true})
	send(t, c, map[string]any{"model_name": "builtin/synthetic-tiny", "user_prompt": "two", "max_tokens": 4})
	var rejected, done int
	for done == 0 {
		m, err := readMsg(t, c, 60*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if m["rejected"] == true {
			rejected++
		} else if m["done"] == true {
			done++
			if m["token"] != "[DONE]" {
				t.Errorf("first run: %v", m)
			}
		}
	}
	if rejected != 1 {
		t.Errorf("%d rejections", rejected)
	}
	// A frame larger than the socket's limit closes it with a reason.
	c2 := w.dial("/ws")
	if err := c2.Write(context.Background(), websocket.MessageText, bytes.Repeat([]byte("x"), web.MaxFrame+10)); err != nil {
		t.Fatal(err)
	}
	_, err := readMsg(t, c2, 5*time.Second)
	if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("oversized frame: %v", err)
	}
}

func TestWebDisconnectCancelsRun(t *testing.T) {
	w := startWebLab(t, web.Options{}, nil)
	c := w.dial("/ws")
	send(t, c, map[string]any{"model_name": "builtin/synthetic-tiny", "user_prompt": "long", "max_tokens": 1800, "temp": 0, "ignore_eos": true})
	for {
		m, err := readMsg(t, c, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if m["done"] == false && m["token"] != nil {
			break
		}
	}
	c.CloseNow()
	deadline := time.Now().Add(10 * time.Second)
	for w.s.Active() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if w.s.Active() != 0 {
		t.Fatal("the run goes on after its client left")
	}
	sums, err := w.db.ListRuns(t.Context(), store.RunFilter{})
	if err != nil || len(sums) != 1 || sums[0].Status != lab.StatusCancelled || sums[0].OutputTokens >= 1800 {
		t.Fatalf("stored %+v, %v", sums, err)
	}
}

func TestWebBehaviourPanes(t *testing.T) {
	w := startWebLab(t, web.Options{}, nil)
	a, b := w.dial("/ws/behaviour"), w.dial("/ws/behaviour")
	send(t, a, map[string]any{"model_name": "builtin/synthetic-tiny", "system": "You are terse.", "user": "hi", "template": "", "max_tokens": 1500, "model_key": "instruct", "pane": "p1", "ignore_eos": true})
	send(t, b, map[string]any{"model_name": "builtin/synthetic-tiny", "system": "", "user": "hi", "max_tokens": 6, "pane": "p2", "measure": false, "ignore_eos": true})
	var wg sync.WaitGroup
	finals := make([]wsMsg, 2)
	for i, c := range []*wsClient{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent := false
			msgs := collect(t, c, func(m wsMsg) {
				if i == 0 && !sent && m["done"] == false && m["token"] != nil {
					send(t, c, map[string]string{"command": "cancel"})
					sent = true
				}
				if m["done"] == false && m["token"] != nil && m["model"] != "instruct" {
					t.Errorf("pane token labelled %v", m["model"])
				}
			})
			finals[i] = msgs[len(msgs)-1]
		}()
	}
	wg.Wait()
	if finals[0]["cancelled"] != true || finals[0]["pane"] != "p1" {
		t.Errorf("pane 1 %v", finals[0])
	}
	f := finals[1]
	if f["token"] != "[DONE]" || f["pane"] != "p2" || f["metrics"] == nil || f["energy"] == nil {
		t.Fatalf("pane 2 %v", f)
	}
	if m := f["metrics"].(map[string]any); m["completion_tokens"] != float64(6) {
		t.Errorf("metrics %v", m)
	}
	// measure: false runs unmetered, with the reason and an estimate slot.
	e := f["energy"].(map[string]any)
	if e["total_wh"] != nil || !strings.Contains(fmt.Sprint(e["absent_reason"]), "none") {
		t.Errorf("unmetered pane energy %v", e)
	}
}

func TestWebEndpoints(t *testing.T) {
	w := startWebLab(t, web.Options{}, nil)
	if h := w.getJSON("/api/health", 200); h["status"] != "ok" || h["session"] != "test-session" {
		t.Errorf("health %v", h)
	} else if p := h["providers"].(map[string]any); p["builtin"].(map[string]any)["status"] != "ok" || p["ollama"].(map[string]any)["status"] != "unavailable" {
		t.Errorf("providers %v", p)
	}
	m := w.getJSON("/api/models?provider=builtin", 200)
	if !slices.Contains(m["models"].([]any), any("builtin/synthetic-tiny")) {
		t.Errorf("models %v", m["models"])
	}
	w.getJSON("/api/models?provider=nope", 400)
	if loc := w.getJSON("/api/models?provider=local", 200); len(loc["providers"].([]any)) != 2 {
		t.Errorf("local providers %v", loc["providers"])
	}
	info := w.getJSON("/api/model-info/builtin/synthetic-tiny", 200)
	if info["context_length"] != float64(2048) || info["synthetic"] != true {
		t.Errorf("model info %v", info)
	}
	if e := w.getJSON("/api/model-info/builtin/nope", 400); e["hint"] == nil || e["error"] == nil {
		t.Errorf("unknown model %v", e)
	}
	if ms := w.getJSON("/api/meters", 200); len(ms["meters"].([]any)) < 2 || ms["auto_note"] == nil {
		t.Errorf("meters %v", ms)
	}
	eb := w.getJSON("/api/energy-benchmarks?model=groq/llama-3.1-8b-instant", 200)
	if len(eb["benchmarks"].([]any)) < 90 || len(eb["families"].([]any)) != 5 || len(eb["matches"].([]any)) != 5 {
		t.Errorf("energy benchmarks: %d rows, %d families", len(eb["benchmarks"].([]any)), len(eb["families"].([]any)))
	}
	if bi := w.getJSON("/api/benchmark-info", 200); bi["co2_info"] == nil || bi["selected"] != "auto" {
		t.Errorf("benchmark info %v", bi["selected"])
	}
	if sp := w.getJSON("/api/system-prompts", 200); len(sp["prompts"].([]any)) < 3 {
		t.Errorf("system prompts %v", sp)
	}
	if em := w.getJSON("/api/emissions", 200); len(em["emissions"].([]any)) != 209 {
		t.Errorf("%d grid factors", len(em["emissions"].([]any)))
	}
	if d := w.getJSON("/api/docs", 200); len(d["docs"].([]any)) < 5 {
		t.Errorf("docs %d", len(d["docs"].([]any)))
	}
	if s := w.getJSON("/api/session-summary", 200); s["total_readings"] != float64(0) || s["total_energy_wh"] != nil {
		t.Errorf("empty summary %v", s)
	}
	w.getJSON("/api/runs?limit=-1", 400)
	w.getJSON("/api/runs/deadbeef00", 404)

	// Estimate families: switch, add a custom row, refuse bad bodies.
	post := func(path string, body any, want int) map[string]any {
		t.Helper()
		code, _, b := w.do("POST", path, body)
		var m map[string]any
		json.Unmarshal(b, &m)
		if code != want {
			t.Fatalf("POST %s: %d, want %d\n%s", path, code, want, b)
		}
		return m
	}
	if r := post("/api/switch-benchmark", map[string]string{"benchmark_name": "jegham"}, 200); r["benchmark_used"] != "jegham" {
		t.Errorf("switch %v", r)
	}
	if bi := w.getJSON("/api/benchmark-info", 200); bi["selected"] != "jegham" {
		t.Errorf("selected after switch %v", bi["selected"])
	}
	post("/api/switch-benchmark", map[string]string{"family": "nvidia_a100"}, 400)
	post("/api/switch-benchmark", `{}`, 400)
	custom := map[string]any{"name": "my laptop", "input_wh_per_1000_tokens": 0.02, "output_wh_per_1000_tokens": 0.3, "boundary": "gpu", "hardware_specs": "RTX 4090"}
	if r := post("/api/add-custom-benchmark", custom, 200); r["success"] != true {
		t.Errorf("add %v", r)
	}
	post("/api/add-custom-benchmark", custom, 409)
	if r := post("/api/add-custom-benchmark", map[string]any{"name": "x", "watt_hours_per_1000_tokens": 1}, 400); !strings.Contains(fmt.Sprint(r["error"]), "ambiguous") {
		t.Errorf("combined figure %v", r)
	}
	post("/api/add-custom-benchmark", map[string]any{"name": "x", "oops": 1}, 400)
	post("/api/add-custom-benchmark", strings.Repeat(" ", web.MaxBody+1), 413)
	if r := post("/api/export-session", map[string]string{"filepath": "/etc/passwd"}, 400); !strings.Contains(fmt.Sprint(r["error"]), "never written") {
		t.Errorf("export to a server path %v", r)
	}
	if code, _, _ := w.do("GET", "/api/export-session?format=xml", nil); code != 400 {
		t.Errorf("xml export %d", code)
	}

	// Pages.
	for _, p := range []string{"/", "/energy", "/comparison", "/behaviour", "/docs"} {
		code, h, body := w.do("GET", p, nil)
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte("energylab")) {
			t.Errorf("%s: %d %s", p, code, h.Get("Content-Type"))
		}
	}
	if _, _, body := w.do("GET", "/docs", nil); !bytes.Contains(body, []byte("<table>")) || !bytes.Contains(body, []byte(`id="methodology"`)) {
		t.Error("/docs does not render the README's methodology and tables")
	}
}

func TestWebTokenAndOrigin(t *testing.T) {
	if err := web.CheckListen("0.0.0.0:8001", ""); err == nil {
		t.Error("a public listen address without a token is accepted")
	}
	if err := web.CheckListen("0.0.0.0:8001", "short"); err == nil {
		t.Error("a short token is accepted")
	}
	for _, a := range []string{"127.0.0.1:8001", "[::1]:8001", "localhost:0"} {
		if err := web.CheckListen(a, ""); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
	const token = "0123456789abcdef0123"
	w := startWebLab(t, web.Options{Token: token}, nil)
	if code, _, _ := w.do("GET", "/api/health", nil); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, _, _ := w.do("GET", "/api/health?token=wrong", nil); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	req, _ := http.NewRequest("GET", w.srv.URL+"/api/health", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("bearer token: %v %v", resp.StatusCode, err)
	}
	// ?token= sets a cookie the pages' requests and sockets then carry.
	resp, err := http.Get(w.srv.URL + "/?token=" + token)
	if err != nil || resp.StatusCode != 200 || len(resp.Cookies()) != 1 || !resp.Cookies()[0].HttpOnly {
		t.Fatalf("page with token: %v %v", resp.StatusCode, err)
	}
	ws := "ws" + strings.TrimPrefix(w.srv.URL, "http") + "/ws"
	if _, _, err := websocket.Dial(t.Context(), ws, nil); err == nil {
		t.Error("socket without a token accepted")
	}
	hdr := http.Header{"Cookie": {resp.Cookies()[0].String()}}
	c, err := dialWS(t, ws, &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		t.Fatalf("socket with the cookie: %v", err)
	}
	c.CloseNow()
	// A page from another origin may not open a socket.
	hdr.Set("Origin", "http://evil.example")
	if _, resp, err := websocket.Dial(t.Context(), ws, &websocket.DialOptions{HTTPHeader: hdr}); err == nil || resp.StatusCode != 403 {
		t.Errorf("cross-origin socket: %v", err)
	}
}

// TestWebLoad holds 50 concurrent energy runs on synthetic-tiny: none may
// fail, every socket gets exactly one terminal message, nothing is left
// running, and the time to first token is reported (measured runs take
// turns on the host, so it includes the queue).
func TestWebLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	w := startWebLab(t, web.Options{}, nil)
	// Warm up: generate the model and the idle baseline once.
	c0 := w.dial("/ws")
	send(t, c0, map[string]any{"model_name": "builtin/synthetic-tiny", "user_prompt": "warm", "max_tokens": 2})
	collect(t, c0, nil)
	c0.CloseNow()
	time.Sleep(100 * time.Millisecond)
	before := runtime.NumGoroutine()

	const n = 50
	ttft := make([]time.Duration, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dialWS(t, "ws"+strings.TrimPrefix(w.srv.URL, "http")+"/ws", nil)
			if err != nil {
				errs <- err
				return
			}
			defer c.CloseNow()
			b, _ := json.Marshal(map[string]any{"model_name": "builtin/synthetic-tiny", "user_prompt": fmt.Sprintf("load %d", i), "max_tokens": 8})
			start := time.Now()
			if err := c.Write(context.Background(), websocket.MessageText, b); err != nil {
				errs <- err
				return
			}
			terminals := 0
			for terminals == 0 {
				m, err := readMsg(t, c, 120*time.Second)
				if err != nil {
					errs <- fmt.Errorf("socket %d: %w", i, err)
					return
				}
				if m["done"] == false && m["token"] != nil && ttft[i] == 0 {
					ttft[i] = time.Since(start)
				}
				if m["done"] == true {
					terminals++
					if m["token"] != "[DONE]" {
						errs <- fmt.Errorf("socket %d: %v", i, m)
					}
				}
			}
			if m, err := readMsg(t, c, 200*time.Millisecond); err == nil {
				errs <- fmt.Errorf("socket %d: message after the terminal: %v", i, m)
			}
			c.Close(websocket.StatusNormalClosure, "")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if k, _ := w.db.CountRuns(t.Context(), store.RunFilter{Status: "ok"}); k != n+1 {
		t.Errorf("%d runs stored ok, want %d", k, n+1)
	}
	sort.Slice(ttft, func(i, j int) bool { return ttft[i] < ttft[j] })
	t.Logf("%d concurrent runs: time to first token p50 %v, p99 %v (queue included: measured runs take turns)", n, ttft[n/2], ttft[n*99/100])
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && (w.s.Active() > 0 || runtime.NumGoroutine() > before+3) {
		time.Sleep(20 * time.Millisecond)
	}
	if w.s.Active() != 0 || runtime.NumGoroutine() > before+3 {
		buf := make([]byte, 1<<20)
		t.Errorf("leak: %d runs active, %d goroutines (before %d)\n%s", w.s.Active(), runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
	}
}

// TestWebMetrics: the lab's own /metrics counts what the served runs
// measured, in joules, with bounded labels.
func TestWebMetrics(t *testing.T) {
	w := startWebLab(t, web.Options{}, nil)
	c := w.dial("/ws")
	send(t, c, map[string]any{"model_name": "builtin/synthetic-tiny", "user_prompt": "hi", "max_tokens": 6, "ignore_eos": true})
	msgs := collect(t, c, nil)
	rec := decodeRecord(t, msgs[len(msgs)-1]["record"])
	code, h, body := w.do("GET", "/metrics", nil)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", code, h.Get("Content-Type"))
	}
	text := string(body)
	for _, want := range []string{
		`energylab_runs_total{provider="builtin",status="ok"} 1`,
		`energylab_tokens_total{kind="output",provider="builtin"} 6`,
		`energylab_meter_available{meter="rapl"} 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The energy series add up to the record's gross energy in joules.
	sum := 0.0
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "energylab_energy_joules_total{") {
			var v float64
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			sum += v
			if !strings.Contains(line, `meter="cpu-model"`) || strings.Contains(line, "synthetic-tiny") {
				t.Errorf("series %s", line)
			}
		}
	}
	if want := *rec.Energy.TotalWh * 3600; math.Abs(sum-want) > 1e-9*want+1e-12 {
		t.Errorf("energy series sum to %v J, the run measured %v J", sum, want)
	}
}
