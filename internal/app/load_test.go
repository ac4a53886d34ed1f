package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/load"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/builtin"
)

// builtinServer serves the embedded engine over the OpenAI-compatible chat
// API on loopback, one engine thread per request, as a stand-in for a
// vLLM or llama.cpp server with room for parallel requests.
func builtinServer(t *testing.T) *httptest.Server {
	p := builtin.New(builtin.Options{Threads: 1, CacheDir: synthCache + "/synthetic"})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"object":"list","data":[{"id":"synthetic-tiny","object":"model","owned_by":"energylab"}]}`)
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Model     string             `json:"model"`
			Messages  []provider.Message `json:"messages"`
			MaxTokens int                `json:"max_tokens"`
			IgnoreEOS bool               `json:"ignore_eos"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		zero := 0.0
		u, err := p.Stream(r.Context(), provider.Request{Model: body.Model, Messages: body.Messages,
			Options: provider.Options{MaxTokens: body.MaxTokens, IgnoreEOS: body.IgnoreEOS, Temperature: &zero}}, func(c provider.Chunk) error {
			b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": c.Content}}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
			w.(http.Flusher).Flush()
			return nil
		})
		if err != nil {
			return
		}
		fmt.Fprintf(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d}}\n\ndata: [DONE]\n\n",
			u.PromptTokens, u.CompletionTokens, u.PromptTokens+u.CompletionTokens)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestLoadCurve drives the embedded engine, served on loopback, at
// concurrency 1 and 2 (this machine has two cores): the throughput curve
// rises, and every level carries its energy per output token.
func TestLoadCurve(t *testing.T) {
	srv := builtinServer(t)
	home := t.TempDir()
	out, errs, code := runMain(t, home, "load", "-json", "-concurrency", "1,2", "-requests", "6", "-max-tokens", "24",
		"-model", "openai/synthetic-tiny", "-openai-base-url", srv.URL+"/v1", "-meter", "cpu-model", "-chart-dir", home, "Why is the sky blue?")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var res struct {
		ID     string
		Levels []load.Level
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Levels) != 2 {
		t.Fatalf("levels %+v", res.Levels)
	}
	for _, l := range res.Levels {
		if l.Requests != 6 || l.Errors != 0 || l.OutputTokens != 6*24 || l.JPerToken == nil || l.TTFTMs.P99 == nil {
			t.Errorf("level %+v", l)
		}
	}
	// Monotone: two parallel requests on two cores give no less than one
	// (allowing this shared machine's noise).
	if a, b := res.Levels[0].Throughput, res.Levels[1].Throughput; b < 0.95*a {
		t.Errorf("throughput fell from %.1f to %.1f tok/s going from 1 to 2 concurrent requests", a, b)
	}
	t.Logf("throughput %.1f → %.1f tok/s; J/token %.4g → %.4g", res.Levels[0].Throughput, res.Levels[1].Throughput, *res.Levels[0].JPerToken, *res.Levels[1].JPerToken)
	if _, errs, code := runMain(t, home, "report", "-experiment", res.ID, "-o", filepath.Join(home, "load.html")); code != 0 {
		t.Errorf("report of the load curve: %d %s", code, errs)
	} else if b, _ := os.ReadFile(filepath.Join(home, "load.html")); strings.Count(string(b), "<svg") != 2 || !strings.Contains(string(b), "J per output token") {
		t.Errorf("the load report lacks its charts or table")
	}
	for _, f := range []string{"throughput.svg", "energy-per-token.svg"} {
		if b, err := os.ReadFile(filepath.Join(home, f)); err != nil || !strings.HasPrefix(string(b), "<svg") {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, errs, code := runMain(t, home, "load", "-concurrency", "0", "hi"); code != 2 {
		t.Errorf("-concurrency 0: %d %s", code, errs)
	}
}
