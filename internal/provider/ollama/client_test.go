package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ollama/ollama/api"

	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/providertest"
)

// fakeModel is the model the fake Ollama serves.
const fakeModel = "llama3.2"

// fakeOllama returns routes that answer like an Ollama server with the
// models of testdata/tags.json, describing llama3.2 from
// testdata/show-llama3.2.json, and chat answered by chat.
func fakeOllama(t *testing.T, chat http.Handler) providertest.Routes {
	t.Helper()
	tags := readTestdata(t, "tags.json")
	show := readTestdata(t, "show-llama3.2.json")
	return providertest.Routes{
		"GET /api/tags": providertest.JSON(http.StatusOK, tags),
		"POST /api/show": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var req api.ShowRequest
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				providertest.JSON(http.StatusBadRequest, `{"error":"bad request"}`).ServeHTTP(w, r)
				return
			}
			if withTag(req.Model) != "llama3.2:latest" {
				providertest.JSON(http.StatusNotFound, `{"error":"model '`+req.Model+`' not found"}`).ServeHTTP(w, r)
				return
			}
			providertest.JSON(http.StatusOK, show).ServeHTTP(w, r)
		}),
		"POST /api/chat": chat,
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newTestClient(t *testing.T, h http.Handler) (*Client, *providertest.Server) {
	t.Helper()
	srv := providertest.NewServer(t, h)
	c, err := New(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func helloRequest() provider.Request {
	return provider.Request{Model: fakeModel, Messages: []provider.Message{{Role: provider.RoleUser, Content: "Say hello."}}}
}

// collect returns a callback that appends chunks to *got.
func collect(got *[]provider.Chunk) func(provider.Chunk) error {
	return func(c provider.Chunk) error {
		*got = append(*got, c)
		return nil
	}
}

func TestStream(t *testing.T) {
	doneUsage := provider.Usage{
		PromptTokens: 26, CompletionTokens: 3, ThinkingTokens: -1, CachedPromptTokens: -1,
		PromptEvalDuration: 130 * time.Millisecond, EvalDuration: 350 * time.Millisecond,
		LoadDuration: 12 * time.Millisecond, TotalDuration: 512 * time.Millisecond, DoneReason: "stop",
	}
	hello := []provider.Chunk{{Content: "Hello"}}
	tests := []struct {
		name       string
		chat       http.Handler
		wantChunks []provider.Chunk
		wantUsage  provider.Usage
		wantErr    []string // substrings the error must contain; nil for success
		wantNot    []string // substrings the error must not contain
		wantIs     error
		wantStatus int // api.StatusError.StatusCode in the error chain; 0 to skip
	}{
		{
			name:       "good stream",
			chat:       providertest.OllamaStream(),
			wantChunks: []provider.Chunk{{Content: "Hello"}, {Content: ", world"}, {Content: "!"}},
			wantUsage:  doneUsage,
		},
		{
			name: "thinking stream",
			chat: providertest.OllamaThinkingStream(),
			wantChunks: []provider.Chunk{
				{Thinking: "Let me think."}, {Thinking: " The user greets me."}, {Content: "Hi"}, {Content: "!"},
			},
			wantUsage: provider.Usage{
				PromptTokens: 18, CompletionTokens: 14, ThinkingTokens: -1, CachedPromptTokens: -1,
				PromptEvalDuration: 80 * time.Millisecond, EvalDuration: 700 * time.Millisecond,
				TotalDuration: 900 * time.Millisecond, DoneReason: "stop",
			},
		},
		{
			name:       "prompt count omitted on a cache hit is unknown, not zero",
			chat:       providertest.OllamaCacheHitStream(),
			wantChunks: hello,
			wantUsage: provider.Usage{
				PromptTokens: -1, CompletionTokens: 1, ThinkingTokens: -1, CachedPromptTokens: -1,
				PromptEvalDuration: time.Microsecond, EvalDuration: 30 * time.Millisecond,
				TotalDuration: 40 * time.Millisecond, DoneReason: "stop",
			},
		},
		{
			name: "blank lines are skipped",
			chat: providertest.NDJSON(`{"message":{"content":"Hi"},"done":false}`, "", "  ",
				`{"done":true,"done_reason":"stop","eval_count":1}`),
			wantChunks: []provider.Chunk{{Content: "Hi"}},
			wantUsage:  provider.Usage{PromptTokens: -1, CompletionTokens: 1, ThinkingTokens: -1, CachedPromptTokens: -1, DoneReason: "stop"},
		},
		{
			name: "lines after done are not read",
			chat: providertest.NDJSON(`{"message":{"content":"Hi"},"done":false}`,
				`{"done":true,"eval_count":1}`, `{"error":"ignored"}`),
			wantChunks: []provider.Chunk{{Content: "Hi"}},
			wantUsage:  provider.Usage{PromptTokens: -1, CompletionTokens: 1, ThinkingTokens: -1, CachedPromptTokens: -1},
		},
		{
			name:       "error in the middle of the stream",
			chat:       providertest.OllamaErrorMidStream(),
			wantChunks: hello,
			wantUsage:  provider.UnknownUsage(),
			wantErr:    []string{"ollama chat llama3.2", "during the stream", providertest.OllamaErrorMidStreamMessage},
			wantStatus: http.StatusOK,
		},
		{
			name:      "HTML error page from a proxy",
			chat:      providertest.HTMLErrorPage(http.StatusBadGateway),
			wantUsage: provider.UnknownUsage(),
			wantErr:   []string{"502 Bad Gateway", `titled "502 Bad Gateway"`, "may not point at Ollama"},
			wantNot:   []string{"<html", "<center>", "nginx/1.24"},
		},
		{
			name: "HTML page with status 200",
			chat: providertest.Script{providertest.Header("Content-Type", "text/html; charset=utf-8"),
				providertest.Write("<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>hi</body></html>")},
			wantUsage: provider.UnknownUsage(),
			wantErr:   []string{"200 OK", `"Welcome to nginx!"`, "may not point at Ollama"},
			wantNot:   []string{"<body>", "DOCTYPE"},
		},
		{
			name:      "HTML error page without a Content-Type",
			chat:      providertest.Script{providertest.Status(http.StatusServiceUnavailable), providertest.Write("\n<html><title>Down for maintenance</title></html>")},
			wantUsage: provider.UnknownUsage(),
			wantErr:   []string{"503 Service Unavailable", "Down for maintenance"},
			wantNot:   []string{"<html"},
		},
		{
			name:       "JSON error: model does not support thinking",
			chat:       providertest.JSON(http.StatusBadRequest, `{"error":"\"llama3.2\" does not support thinking"}`),
			wantUsage:  provider.UnknownUsage(),
			wantErr:    []string{"400 Bad Request", `"llama3.2" does not support thinking`, "run it without thinking"},
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "JSON error: anything else keeps Ollama's message and status",
			chat:       providertest.JSON(http.StatusInternalServerError, `{"error":"model requires more system memory (5.6 GiB) than is available (3.1 GiB)"}`),
			wantUsage:  provider.UnknownUsage(),
			wantErr:    []string{"500 Internal Server Error", "requires more system memory"},
			wantStatus: http.StatusInternalServerError,
		},
		{
			name:      "plain-text 404 from something that is not Ollama",
			chat:      providertest.Script{providertest.Status(http.StatusNotFound), providertest.Write("404 page not found\n")},
			wantUsage: provider.UnknownUsage(),
			wantErr:   []string{"404 Not Found", "404 page not found", "an Ollama server?"},
		},
		{
			name:      "model not found",
			chat:      providertest.JSON(http.StatusNotFound, `{"error":"model 'nosuch' not found"}`),
			wantUsage: provider.UnknownUsage(),
			wantErr:   []string{"unknown model ollama/llama3.2", "llama3.2:latest, qwen3:0.6b", "ollama pull llama3.2"},
			wantIs:    provider.ErrUnknownModel,
		},
		{
			name:       "truncated final chunk, connection cut",
			chat:       providertest.OllamaTruncatedFinal(),
			wantChunks: hello,
			wantUsage:  provider.UnknownUsage(),
			wantErr:    []string{"stream ended before Ollama said it was done"},
		},
		{
			name:       "truncated final chunk, clean end",
			chat:       providertest.OllamaTruncatedFinalCleanEnd(),
			wantChunks: hello,
			wantUsage:  provider.UnknownUsage(),
			wantErr:    []string{"stream ended before Ollama said it was done", "cut off"},
		},
		{
			name:       "stream ends cleanly without done",
			chat:       providertest.OllamaNoDone(),
			wantChunks: []provider.Chunk{{Content: "Hello"}, {Content: ", world"}},
			wantUsage:  provider.UnknownUsage(),
			wantErr:    []string{"stream ended before Ollama said it was done"},
		},
		{
			name:       "connection cut between lines",
			chat:       providertest.OllamaCutNoDone(),
			wantChunks: hello,
			wantUsage:  provider.UnknownUsage(),
			wantErr:    []string{"stream ended before Ollama said it was done"},
		},
		{
			name:      "empty 200 body",
			chat:      providertest.Script{providertest.Status(http.StatusOK)},
			wantUsage: provider.UnknownUsage(),
			wantErr:   []string{"stream ended before Ollama said it was done"},
		},
		{
			name:       "garbage line",
			chat:       providertest.NDJSON(`{"message":{"content":"Hello"},"done":false}`, `data: {"choices":[]}`),
			wantChunks: hello,
			wantUsage:  provider.UnknownUsage(),
			wantErr:    []string{"malformed stream line"},
		},
		{
			name:      "over-long line",
			chat:      providertest.NDJSON(`{"message":{"content":"` + strings.Repeat("x", 5000) + `"}}`),
			wantUsage: provider.UnknownUsage(),
			wantErr:   []string{"longer than 4096 bytes"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestClient(t, fakeOllama(t, tc.chat))
			c.maxLine = 4096
			var got []provider.Chunk
			u, err := c.Stream(context.Background(), helloRequest(), collect(&got))
			checkErr(t, err, tc.wantErr, tc.wantNot)
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v does not match %v", err, tc.wantIs)
			}
			if tc.wantStatus != 0 {
				var se api.StatusError
				if !errors.As(err, &se) || se.StatusCode != tc.wantStatus {
					t.Errorf("error %v: want an api.StatusError with status %d", err, tc.wantStatus)
				}
			}
			if diff := cmp.Diff(tc.wantChunks, got); diff != "" {
				t.Errorf("chunks (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantUsage, u); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
}

// checkErr fails the test unless err is nil when want is nil, or contains
// every string of want and none of not.
func checkErr(t *testing.T, err error, want, not []string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error; want one containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	for _, n := range not {
		if strings.Contains(err.Error(), n) {
			t.Errorf("error %q contains %q", err, n)
		}
	}
}

func TestStreamRequestBody(t *testing.T) {
	temp, topP, seed := 0.7, 0.9, int64(42)
	yes, no := true, false
	tests := []struct {
		name string
		req  provider.Request
		want map[string]any
	}{
		{
			name: "every option set, thinking on",
			req: provider.Request{
				Model: "qwen3:0.6b",
				Messages: []provider.Message{
					{Role: provider.RoleSystem, Content: "Be brief."},
					{Role: provider.RoleUser, Content: "Hi"},
				},
				Options: provider.Options{Temperature: &temp, TopP: &topP, MaxTokens: 128, Seed: &seed, Think: &yes, NumCtx: 8192},
			},
			want: map[string]any{
				"model": "qwen3:0.6b",
				"messages": []any{
					map[string]any{"role": "system", "content": "Be brief."},
					map[string]any{"role": "user", "content": "Hi"},
				},
				"stream": true,
				"think":  true,
				"options": map[string]any{
					"num_predict": 128.0, "temperature": 0.7, "top_p": 0.9, "seed": 42.0, "num_ctx": 8192.0,
				},
			},
		},
		{
			name: "thinking off is sent as false",
			req: provider.Request{
				Model: "qwen3:0.6b", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Hi"}},
				Options: provider.Options{Think: &no},
			},
			want: map[string]any{
				"model":    "qwen3:0.6b",
				"messages": []any{map[string]any{"role": "user", "content": "Hi"}},
				"stream":   true,
				"think":    false,
				"options":  map[string]any{},
			},
		},
		{
			name: "nothing set: no think, no options, zero temperature still sent when set",
			req: provider.Request{
				Model: "llama3.2", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Hi"}},
			},
			want: map[string]any{
				"model":    "llama3.2",
				"messages": []any{map[string]any{"role": "user", "content": "Hi"}},
				"stream":   true,
				"options":  map[string]any{},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, srv := newTestClient(t, fakeOllama(t, providertest.OllamaStream()))
			if _, err := c.Stream(context.Background(), tc.req, func(provider.Chunk) error { return nil }); err != nil {
				t.Fatal(err)
			}
			rr := srv.LastRequest(t, http.MethodPost, "/api/chat")
			if diff := cmp.Diff(tc.want, rr.BodyJSON(t)); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
			if ct := rr.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
	t.Run("zero temperature is sent", func(t *testing.T) {
		c, srv := newTestClient(t, fakeOllama(t, providertest.OllamaStream()))
		zero := 0.0
		req := helloRequest()
		req.Options.Temperature = &zero
		if _, err := c.Stream(context.Background(), req, func(provider.Chunk) error { return nil }); err != nil {
			t.Fatal(err)
		}
		got := srv.LastRequest(t, http.MethodPost, "/api/chat").BodyJSON(t)["options"]
		if diff := cmp.Diff(map[string]any{"temperature": 0.0}, got); diff != "" {
			t.Errorf("options (-want +got):\n%s", diff)
		}
	})
}

func TestStreamCallbackError(t *testing.T) {
	c, _ := newTestClient(t, fakeOllama(t, providertest.OllamaStream()))
	stop := errors.New("stop here")
	calls := 0
	_, err := c.Stream(context.Background(), helloRequest(), func(provider.Chunk) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Stream = %v after %d calls; want the callback's error after 1", err, calls)
	}
}

func TestStreamCancel(t *testing.T) {
	c, srv := newTestClient(t, fakeOllama(t, providertest.OllamaSlowStream()))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []provider.Chunk
	first := make(chan struct{})
	go func() {
		// Cancel once the first chunk has been delivered and the client is
		// blocked reading while the server "generates".
		<-first
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	u, err := c.Stream(ctx, helloRequest(), func(ch provider.Chunk) error {
		if len(got) == 0 {
			close(first)
		}
		got = append(got, ch)
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream = %v; want an error matching context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stream took %v to return after cancel", d)
	}
	if diff := cmp.Diff([]provider.Chunk{{Content: "Hello"}}, got); diff != "" {
		t.Errorf("chunks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(provider.UnknownUsage(), u); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	if !srv.WaitClientGone(5 * time.Second) {
		t.Error("the server did not see the client close the connection; Ollama would keep generating")
	}
}

func TestStreamCallbackErrorClosesConnection(t *testing.T) {
	c, srv := newTestClient(t, fakeOllama(t, providertest.OllamaSlowStream()))
	stop := errors.New("enough")
	_, err := c.Stream(context.Background(), helloRequest(), func(provider.Chunk) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("Stream = %v", err)
	}
	if !srv.WaitClientGone(5 * time.Second) {
		t.Error("the server did not see the client close the connection")
	}
}

func TestStreamRejectsEmptyRequests(t *testing.T) {
	c, srv := newTestClient(t, fakeOllama(t, providertest.OllamaStream()))
	for _, req := range []provider.Request{{Messages: helloRequest().Messages}, {Model: fakeModel}} {
		if _, err := c.Stream(context.Background(), req, func(provider.Chunk) error { return nil }); err == nil {
			t.Errorf("Stream(%+v) succeeded; want an error", req)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent; want none", n)
	}
}

func TestUnreachable(t *testing.T) {
	srv := providertest.NewServer(t, providertest.OllamaStream())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c, err := New(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"Stream", func() error {
			u, err := c.Stream(context.Background(), helloRequest(), func(provider.Chunk) error { return nil })
			if diff := cmp.Diff(provider.UnknownUsage(), u); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
			return err
		}},
		{"Models", func() error { _, err := c.Models(context.Background()); return err }},
		{"Describe", func() error { _, err := c.Describe(context.Background(), fakeModel); return err }},
		{"Prepare", func() error { return c.Prepare(context.Background(), fakeModel, provider.Options{}) }},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, provider.ErrUnavailable) {
				t.Fatalf("error %v does not match provider.ErrUnavailable", err)
			}
			checkErr(t, err, []string{"cannot reach Ollama at " + url, "ollama serve", "OLLAMA_HOST"}, nil)
		})
	}
}

func TestDNSFailureIsUnavailable(t *testing.T) {
	// The transport fails the dial as the resolver would for an unknown
	// host, so that no DNS query leaves the machine.
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "ollama.invalid", IsNotFound: true}}
		},
	}}
	c, err := New("http://ollama.invalid:11434", hc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Models(context.Background())
	if !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("error %v does not match provider.ErrUnavailable", err)
	}
	checkErr(t, err, []string{"cannot reach Ollama at http://ollama.invalid:11434", "no such host"}, nil)
}

func TestModels(t *testing.T) {
	c, _ := newTestClient(t, fakeOllama(t, providertest.OllamaStream()))
	got, err := c.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.ModelInfo{
		{
			Name: "ollama/llama3.2:latest", Provider: "ollama", Model: "llama3.2:latest", Family: "llama",
			ParameterSize: "3.2B", Quantization: "Q4_K_M",
			Digest: "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
		},
		{
			Name: "ollama/qwen3:0.6b", Provider: "ollama", Model: "qwen3:0.6b", Family: "qwen3",
			ParameterSize: "751.63M", Quantization: "Q4_K_M",
			Digest: "7df6b6e09427a769808717c0a93cadc4ae99ed4eb8bf5ca557c90846becea435",
		},
		{
			Name: "ollama/hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q8_0", Provider: "ollama",
			Model: "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q8_0", Family: "llama",
			ParameterSize: "1.2B", Quantization: "Q8_0",
			Digest: "2b3b7c4a9c4e5f8e2c1d6a0b9f7e3d5c1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Models (-want +got):\n%s", diff)
	}
}

func TestModelsErrors(t *testing.T) {
	tests := []struct {
		name    string
		tags    http.Handler
		wantErr []string
		wantNot []string
	}{
		{"HTML page", providertest.HTMLErrorPage(http.StatusBadGateway), []string{"502 Bad Gateway", "may not point at Ollama"}, []string{"<html"}},
		{"HTML with 200", providertest.Script{providertest.Write("<html><title>Router login</title></html>")}, []string{"Router login", "may not point at Ollama"}, []string{"<html"}},
		{"not JSON", providertest.Script{providertest.Write("hello")}, []string{"decode response", "an Ollama server?"}, nil},
		{"JSON error with 200", providertest.JSON(http.StatusOK, `{"error":"boom"}`), []string{"boom"}, nil},
		{"JSON error status", providertest.JSON(http.StatusInternalServerError, `{"error":"disk full"}`), []string{"500 Internal Server Error: disk full"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestClient(t, providertest.Routes{"GET /api/tags": tc.tags})
			_, err := c.Models(context.Background())
			checkErr(t, err, tc.wantErr, tc.wantNot)
		})
	}
}

func TestDescribe(t *testing.T) {
	want := provider.ModelInfo{
		Name: "ollama/llama3.2", Provider: "ollama", Model: "llama3.2", ContextLength: 131072,
		Family: "llama", ParameterSize: "3.2B", Parameters: 3212749888, Quantization: "Q4_K_M",
		Digest: "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
	}
	for _, name := range []string{"llama3.2", "llama3.2:latest"} {
		t.Run(name, func(t *testing.T) {
			c, srv := newTestClient(t, fakeOllama(t, providertest.OllamaStream()))
			got, err := c.Describe(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			w := want
			w.Name, w.Model = "ollama/"+name, name
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("Describe (-want +got):\n%s", diff)
			}
			if m := srv.LastRequest(t, http.MethodPost, "/api/show").BodyJSON(t)["model"]; m != name {
				t.Errorf("show request model = %v, want %q", m, name)
			}
		})
	}
	t.Run("unknown model", func(t *testing.T) {
		c, _ := newTestClient(t, fakeOllama(t, providertest.OllamaStream()))
		_, err := c.Describe(context.Background(), "mistral")
		var ue *provider.UnknownModelError
		if !errors.As(err, &ue) {
			t.Fatalf("Describe = %v; want a *provider.UnknownModelError", err)
		}
		wantUE := &provider.UnknownModelError{Provider: "ollama", Model: "mistral",
			Available: []string{"llama3.2:latest", "qwen3:0.6b", "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q8_0"}}
		if diff := cmp.Diff(wantUE, ue); diff != "" {
			t.Errorf("UnknownModelError (-want +got):\n%s", diff)
		}
		checkErr(t, err, []string{"ollama pull mistral", "model 'mistral' not found"}, nil)
	})
}

func TestWithTag(t *testing.T) {
	tests := map[string]string{
		"llama3.2":                           "llama3.2:latest",
		"llama3.2:1b":                        "llama3.2:1b",
		"hf.co/org/m":                        "hf.co/org/m:latest",
		"hf.co/org/m:Q4_K_M":                 "hf.co/org/m:Q4_K_M",
		"localhost:5000/library/llama3.2":    "localhost:5000/library/llama3.2:latest",
		"localhost:5000/library/llama3.2:1b": "localhost:5000/library/llama3.2:1b",
		"":                                   "",
	}
	for in, want := range tests {
		if got := withTag(in); got != want {
			t.Errorf("withTag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrepare(t *testing.T) {
	t.Run("loads with an empty messages array, not streaming", func(t *testing.T) {
		c, srv := newTestClient(t, fakeOllama(t, providertest.JSON(http.StatusOK,
			`{"model":"llama3.2","created_at":"2025-06-01T12:00:00Z","message":{"role":"assistant","content":""},"done_reason":"load","done":true}`)))
		if err := c.Prepare(context.Background(), fakeModel, provider.Options{}); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"model": "llama3.2", "messages": []any{}, "stream": false, "options": nil}
		if diff := cmp.Diff(want, srv.LastRequest(t, http.MethodPost, "/api/chat").BodyJSON(t)); diff != "" {
			t.Errorf("request body (-want +got):\n%s", diff)
		}
	})
	t.Run("loads with the request's context size", func(t *testing.T) {
		c, srv := newTestClient(t, fakeOllama(t, providertest.JSON(http.StatusOK,
			`{"model":"llama3.2","message":{"role":"assistant","content":""},"done_reason":"load","done":true}`)))
		if err := c.Prepare(context.Background(), fakeModel, provider.Options{NumCtx: 8192, MaxTokens: 50}); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"model": "llama3.2", "messages": []any{}, "stream": false, "options": map[string]any{"num_ctx": float64(8192)}}
		if diff := cmp.Diff(want, srv.LastRequest(t, http.MethodPost, "/api/chat").BodyJSON(t)); diff != "" {
			t.Errorf("request body (-want +got):\n%s", diff)
		}
	})
	t.Run("unknown model", func(t *testing.T) {
		c, _ := newTestClient(t, fakeOllama(t, providertest.JSON(http.StatusNotFound, `{"error":"model 'nosuch' not found"}`)))
		err := c.Prepare(context.Background(), "nosuch", provider.Options{})
		if !errors.Is(err, provider.ErrUnknownModel) {
			t.Fatalf("Prepare = %v; want provider.ErrUnknownModel", err)
		}
	})
	t.Run("answer without done", func(t *testing.T) {
		c, _ := newTestClient(t, fakeOllama(t, providertest.JSON(http.StatusOK, `{"done":false}`)))
		if err := c.Prepare(context.Background(), fakeModel, provider.Options{}); err == nil {
			t.Fatal("Prepare succeeded; want an error")
		}
	})
}

func TestNew(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "http://localhost:11434", want: "http://localhost:11434"},
		{in: "http://localhost:11434/", want: "http://localhost:11434"},
		{in: "", want: DefaultBaseURL},
		{in: "127.0.0.1:11434", want: "http://127.0.0.1:11434"},
		{in: "gpu-box", want: "http://gpu-box:11434"},
		{in: "[::1]", want: "http://[::1]:11434"},
		{in: "gpu-box:8080/ollama", want: "http://gpu-box:8080/ollama"},
		{in: "https://ollama.example.com/proxy/", want: "https://ollama.example.com/proxy"},
		{in: "ftp://x", wantErr: "scheme must be http or https"},
		{in: "http://", wantErr: "has no host"},
		{in: "http://x?y=1", wantErr: "query"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			c, err := New(tc.in, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New(%q) error = %v; want %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.BaseURL() != tc.want {
				t.Errorf("BaseURL() = %q, want %q", c.BaseURL(), tc.want)
			}
		})
	}
}
