package openaicompat

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/providertest"
)

// fakeModel is a model the fake servers list.
const fakeModel = "llama-3.1-8b-instant"

// fakeAPI returns routes that answer like an OpenAI-compatible server under
// /v1 listing testdata/models-groq.json, with chat answered by chat.
func fakeAPI(t *testing.T, chat http.Handler) providertest.Routes {
	t.Helper()
	return providertest.Routes{
		"GET /v1/models":            providertest.JSON(http.StatusOK, readTestdata(t, "models-groq.json")),
		"POST /v1/chat/completions": chat,
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

func newTestClient(t *testing.T, h http.Handler, cfg Config) (*Client, *providertest.Server) {
	t.Helper()
	srv := providertest.NewServer(t, h)
	if cfg.Name == "" {
		cfg.Name = "groq"
	}
	cfg.BaseURL = srv.URL + "/v1"
	cfg.HTTP = srv.Client()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func helloRequest() provider.Request {
	return provider.Request{Model: fakeModel, Messages: []provider.Message{{Role: provider.RoleUser, Content: "Say hello."}}}
}

func collect(got *[]provider.Chunk) func(provider.Chunk) error {
	return func(c provider.Chunk) error {
		*got = append(*got, c)
		return nil
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

func TestStream(t *testing.T) {
	helloWorld := []provider.Chunk{{Content: "Hello"}, {Content: ", world"}, {Content: "!"}}
	hello := []provider.Chunk{{Content: "Hello"}}
	unknown := provider.UnknownUsage()
	tests := []struct {
		name       string
		chat       http.Handler
		cfg        Config
		wantChunks []provider.Chunk
		wantUsage  provider.Usage
		wantErr    []string
		wantNot    []string
		wantIs     error
		wantStatus int // StatusError.StatusCode in the chain; 0 to skip
	}{
		{
			name:       "good stream with a usage chunk",
			chat:       providertest.OpenAIStream(),
			wantChunks: helloWorld,
			wantUsage:  provider.Usage{PromptTokens: 20, CompletionTokens: 3, ThinkingTokens: 0, CachedPromptTokens: 6, DoneReason: "stop"},
		},
		{
			name:       "Groq: usage only in x_groq.usage",
			chat:       providertest.GroqStream(),
			wantChunks: helloWorld,
			wantUsage: provider.Usage{
				PromptTokens: 40, CompletionTokens: 3, ThinkingTokens: -1, CachedPromptTokens: -1,
				PromptEvalDuration: 2 * time.Millisecond, EvalDuration: 12 * time.Millisecond, TotalDuration: 14 * time.Millisecond,
				DoneReason: "stop",
			},
		},
		{
			name:       "llama.cpp server timings",
			chat:       providertest.LlamaCppStream(),
			wantChunks: []provider.Chunk{{Content: "Hel"}, {Content: "lo"}},
			wantUsage: provider.Usage{
				PromptTokens: 20, CompletionTokens: 2, ThinkingTokens: -1, CachedPromptTokens: 4,
				PromptEvalDuration: 45500 * time.Microsecond, EvalDuration: 30 * time.Millisecond, DoneReason: "stop",
			},
		},
		{
			name:       "reasoning_content deltas (vLLM, DeepSeek)",
			chat:       providertest.OpenAIReasoningStream(),
			wantChunks: []provider.Chunk{{Thinking: "Let me"}, {Thinking: " think."}, {Content: "Hi"}, {Content: "!"}},
			wantUsage:  provider.Usage{PromptTokens: 18, CompletionTokens: 14, ThinkingTokens: 10, CachedPromptTokens: -1, DoneReason: "stop"},
		},
		{
			name: "reasoning deltas (Groq, OpenRouter)",
			chat: providertest.SSE(
				`{"choices":[{"index":0,"delta":{"role":"assistant","reasoning":"Hmm,"}}]}`,
				`{"choices":[{"index":0,"delta":{"reasoning":" a greeting."}}]}`,
				`{"choices":[{"index":0,"delta":{"content":"Hello"}}]}`,
				`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"x_groq":{"usage":{"prompt_tokens":9,"completion_tokens":8}}}`,
				"[DONE]"),
			wantChunks: []provider.Chunk{{Thinking: "Hmm,"}, {Thinking: " a greeting."}, {Content: "Hello"}},
			wantUsage:  provider.Usage{PromptTokens: 9, CompletionTokens: 8, ThinkingTokens: -1, CachedPromptTokens: -1, DoneReason: "stop"},
		},
		{
			name:       "<think> tags in the content",
			chat:       providertest.ThinkTagStream(),
			wantChunks: []provider.Chunk{{Thinking: "Let me"}, {Thinking: " think."}, {Content: "\n\nHi"}, {Content: "!"}},
			wantUsage:  provider.Usage{PromptTokens: 12, CompletionTokens: 9, ThinkingTokens: -1, CachedPromptTokens: -1, DoneReason: "stop"},
		},
		{
			name: "comments, event lines and multi-line data",
			chat: providertest.Script{
				providertest.Header("Content-Type", "text/event-stream; charset=utf-8"),
				providertest.Comment("OPENROUTER PROCESSING"),
				providertest.NamedEvent("message", `{"choices":[{"index":0,"delta":{"content":"A"}}]}`),
				providertest.Write("data: {\"choices\":[{\"index\":0,\n" + `data: "delta":{"content":"B"},"finish_reason":"stop"}]}` + "\r\n\r\n"),
				providertest.Event("[DONE]"),
			},
			wantChunks: []provider.Chunk{{Content: "A"}, {Content: "B"}},
			wantUsage:  provider.Usage{PromptTokens: -1, CompletionTokens: -1, ThinkingTokens: -1, CachedPromptTokens: -1, DoneReason: "stop"},
		},
		{
			name: "event stream with a JSON Content-Type",
			chat: providertest.Script{
				providertest.Header("Content-Type", "application/json"),
				providertest.Event(`{"choices":[{"index":0,"delta":{"content":"A"},"finish_reason":"stop"}]}`),
				providertest.Event("[DONE]"),
			},
			wantChunks: []provider.Chunk{{Content: "A"}},
			wantUsage:  provider.Usage{PromptTokens: -1, CompletionTokens: -1, ThinkingTokens: -1, CachedPromptTokens: -1, DoneReason: "stop"},
		},
		{
			name:       "finish_reason without [DONE] is complete",
			chat:       providertest.OpenAIFinishNoDone(),
			wantChunks: hello,
			wantUsage:  provider.Usage{PromptTokens: -1, CompletionTokens: -1, ThinkingTokens: -1, CachedPromptTokens: -1, DoneReason: "length"},
		},
		{
			name:       "last event without its blank line",
			chat:       providertest.SSE(`{"choices":[{"index":0,"delta":{"content":"Hello"}}]}`).Then(providertest.Write(`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n")),
			wantChunks: hello,
			wantUsage:  provider.Usage{PromptTokens: -1, CompletionTokens: -1, ThinkingTokens: -1, CachedPromptTokens: -1, DoneReason: "stop"},
		},
		{
			name:       "[DONE] without a finish_reason is complete",
			chat:       providertest.SSE(`{"choices":[{"index":0,"delta":{"content":"Hello"}}]}`, "[DONE]"),
			wantChunks: hello,
			wantUsage:  unknown,
		},
		{
			name:       "events after [DONE] are not read",
			chat:       providertest.SSE(`{"choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":"stop"}]}`, "[DONE]", `{"error":"ignored"}`),
			wantChunks: hello,
			wantUsage:  provider.Usage{PromptTokens: -1, CompletionTokens: -1, ThinkingTokens: -1, CachedPromptTokens: -1, DoneReason: "stop"},
		},
		{
			name:       "error in the middle of the stream",
			chat:       providertest.OpenAIErrorMidStream(),
			wantChunks: hello,
			wantUsage:  unknown,
			wantErr:    []string{"groq chat " + fakeModel, "during the stream", providertest.OpenAIErrorMidStreamMessage},
		},
		{
			name:       "error event in the middle of the stream",
			chat:       providertest.SSE(`{"choices":[{"index":0,"delta":{"content":"Hello"}}]}`).Then(providertest.NamedEvent("error", `{"message":"Overloaded"}`)),
			wantChunks: hello,
			wantUsage:  unknown,
			wantErr:    []string{"during the stream", "Overloaded"},
		},
		{
			name:       "usage reported before an error is returned with it",
			chat:       providertest.SSE(`{"choices":[{"index":0,"delta":{"content":"Hello"}}],"usage":{"prompt_tokens":7,"completion_tokens":1}}`, `{"error":{"message":"boom"}}`),
			wantChunks: hello,
			wantUsage:  provider.Usage{PromptTokens: 7, CompletionTokens: 1, ThinkingTokens: -1, CachedPromptTokens: -1},
			wantErr:    []string{"boom"},
		},
		{
			name:       "HTML error page from a proxy",
			chat:       providertest.HTMLErrorPage(http.StatusBadGateway),
			wantUsage:  unknown,
			wantErr:    []string{"502 Bad Gateway", `titled "502 Bad Gateway"`, "may not be an OpenAI-compatible API base URL"},
			wantNot:    []string{"<html", "<center>", "nginx/1.24"},
			wantStatus: 0,
		},
		{
			name:      "HTML page with status 200",
			chat:      providertest.Script{providertest.Header("Content-Type", "text/html"), providertest.Write("<!doctype html><html><head><title>Open WebUI</title></head></html>")},
			wantUsage: unknown,
			wantErr:   []string{"200 OK", "Open WebUI"},
			wantNot:   []string{"doctype"},
		},
		{
			name:      "a JSON answer instead of a stream",
			chat:      providertest.JSON(http.StatusOK, `{"id":"x","object":"chat.completion","choices":[{"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}]}`),
			wantUsage: unknown,
			wantErr:   []string{"one JSON object", "instead of an event stream", "stream: true"},
		},
		{
			name:      "a JSON error with status 200",
			chat:      providertest.JSON(http.StatusOK, `{"error":{"message":"model is loading","type":"server_error"}}`),
			wantUsage: unknown,
			wantErr:   []string{"model is loading"},
		},
		{
			name:      "plain text with status 200",
			chat:      providertest.Script{providertest.Header("Content-Type", "text/plain"), providertest.Write("hello there")},
			wantUsage: unknown,
			wantErr:   []string{`Content-Type "text/plain"`, "not text/event-stream", "hello there"},
		},
		{
			name:      "empty 200 body",
			chat:      providertest.Script{providertest.Header("Content-Type", "application/json"), providertest.Status(http.StatusOK)},
			wantUsage: unknown,
			wantErr:   []string{"empty body"},
		},
		{
			name:       "401 with a key set",
			chat:       providertest.JSON(http.StatusUnauthorized, `{"error":{"message":"Invalid API Key","type":"invalid_request_error","code":"invalid_api_key"}}`),
			cfg:        Config{APIKey: "gsk_wrong", KeyEnv: "GROQ_API_KEY"},
			wantUsage:  unknown,
			wantErr:    []string{"401 Unauthorized: Invalid API Key", "the server rejected the API key: set GROQ_API_KEY"},
			wantNot:    []string{"gsk_wrong"},
			wantStatus: http.StatusUnauthorized,
		},
		{
			name:       "401 without a key",
			chat:       providertest.JSON(http.StatusUnauthorized, `{"error":{"message":"You didn't provide an API key.","type":"invalid_request_error"}}`),
			cfg:        Config{Name: "openai", KeyEnv: "OPENAI_API_KEY"},
			wantUsage:  unknown,
			wantErr:    []string{"openai chat", "none is set", "set OPENAI_API_KEY"},
			wantStatus: http.StatusUnauthorized,
		},
		{
			name:       "403 without KeyEnv",
			chat:       providertest.JSON(http.StatusForbidden, `{"error":{"message":"Forbidden"}}`),
			cfg:        Config{APIKey: "k"},
			wantUsage:  unknown,
			wantErr:    []string{"403 Forbidden", "rejected the API key", "set the API key for groq in the configuration"},
			wantStatus: http.StatusForbidden,
		},
		{
			name:      "404 model not found",
			chat:      providertest.JSON(http.StatusNotFound, `{"error":{"message":"The model `+"`nosuch`"+` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`),
			wantUsage: unknown,
			wantErr:   []string{"unknown model groq/" + fakeModel, "llama-3.3-70b-versatile", "does not exist"},
			wantIs:    provider.ErrUnknownModel,
		},
		{
			name:       "vLLM error body",
			chat:       providertest.JSON(http.StatusBadRequest, `{"object":"error","message":"This model's maximum context length is 2048 tokens.","type":"BadRequestError","param":null,"code":400}`),
			wantUsage:  unknown,
			wantErr:    []string{"400 Bad Request: This model's maximum context length is 2048 tokens."},
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "FastAPI detail",
			chat:       providertest.JSON(http.StatusUnprocessableEntity, `{"detail":"messages: field required"}`),
			wantUsage:  unknown,
			wantErr:    []string{"422 Unprocessable Entity: messages: field required"},
			wantStatus: http.StatusUnprocessableEntity,
		},
		{
			name: "429 with Retry-After",
			chat: providertest.Script{
				providertest.Header("Content-Type", "application/json"), providertest.Header("Retry-After", "7"),
				providertest.Status(http.StatusTooManyRequests),
				providertest.Write(`{"error":{"message":"Rate limit reached","type":"tokens","code":"rate_limit_exceeded"}}`),
			},
			wantUsage:  unknown,
			wantErr:    []string{"429 Too Many Requests: Rate limit reached", "rate limiting", "Retry-After: 7"},
			wantStatus: http.StatusTooManyRequests,
		},
		{
			name:       "plain-text 404 from the wrong path",
			chat:       providertest.Script{providertest.Status(http.StatusNotFound), providertest.Write("404 page not found")},
			wantUsage:  unknown,
			wantErr:    []string{"404 Not Found: 404 page not found", "including /v1"},
			wantStatus: http.StatusNotFound,
		},
		{
			name:       "truncated final chunk, connection cut",
			chat:       providertest.OpenAITruncatedFinal(),
			wantChunks: hello,
			wantUsage:  unknown,
			wantErr:    []string{"stream ended before the server said it was done", "cut off"},
		},
		{
			name:       "truncated final chunk, clean end",
			chat:       providertest.SSE(`{"choices":[{"index":0,"delta":{"content":"Hello"}}]}`).Then(providertest.Write(`data: {"choices":[{"index":0,"delta":{},"fin`)),
			wantChunks: hello,
			wantUsage:  unknown,
			wantErr:    []string{"stream ended before the server said it was done", "cut off"},
		},
		{
			name:       "stream ends without finish_reason or [DONE]",
			chat:       providertest.OpenAINoFinish(),
			wantChunks: []provider.Chunk{{Content: "Hello"}, {Content: ", world"}},
			wantUsage:  unknown,
			wantErr:    []string{"stream ended before the server said it was done", "no finish_reason and no [DONE]"},
		},
		{
			name:       "connection cut between events",
			chat:       providertest.SSE(`{"choices":[{"index":0,"delta":{"content":"Hello"}}]}`).Then(providertest.CloseConnection()),
			wantChunks: hello,
			wantUsage:  unknown,
			wantErr:    []string{"stream ended before the server said it was done", "unexpected EOF"},
		},
		{
			name:       "connection cut after finish_reason is complete",
			chat:       providertest.SSE(`{"choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":"stop"}]}`).Then(providertest.CloseConnection()),
			wantChunks: hello,
			wantUsage:  provider.Usage{PromptTokens: -1, CompletionTokens: -1, ThinkingTokens: -1, CachedPromptTokens: -1, DoneReason: "stop"},
		},
		{
			name:       "malformed event",
			chat:       providertest.SSE(`{"choices":[{"index":0,"delta":{"content":"Hello"}}]}`, `{"model":"llama3.2","message":`, "[DONE]"),
			wantChunks: hello,
			wantUsage:  unknown,
			wantErr:    []string{"malformed event"},
		},
		{
			name:      "over-long line",
			chat:      providertest.SSE(`{"choices":[{"index":0,"delta":{"content":"` + strings.Repeat("x", 5000) + `"}}]}`),
			wantUsage: unknown,
			wantErr:   []string{"longer than 4096 bytes"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestClient(t, fakeAPI(t, tc.chat), tc.cfg)
			c.maxLine = 4096
			var got []provider.Chunk
			u, err := c.Stream(context.Background(), helloRequest(), collect(&got))
			checkErr(t, err, tc.wantErr, tc.wantNot)
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v does not match %v", err, tc.wantIs)
			}
			if tc.wantStatus != 0 {
				var se *StatusError
				if !errors.As(err, &se) || se.StatusCode != tc.wantStatus {
					t.Errorf("error %v: want a *StatusError with status %d", err, tc.wantStatus)
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

func TestStreamRequest(t *testing.T) {
	temp, topP, seed := 0.0, 0.95, int64(7)
	yes := true
	tests := []struct {
		name string
		req  provider.Request
		want map[string]any
	}{
		{
			name: "every option set",
			req: provider.Request{
				Model: fakeModel,
				Messages: []provider.Message{
					{Role: provider.RoleSystem, Content: "Be brief."},
					{Role: provider.RoleUser, Content: "Hi"},
				},
				Options: provider.Options{Temperature: &temp, TopP: &topP, MaxTokens: 64, Seed: &seed, Think: &yes, NumCtx: 4096, IgnoreEOS: true},
			},
			want: map[string]any{
				"model": fakeModel,
				"messages": []any{
					map[string]any{"role": "system", "content": "Be brief."},
					map[string]any{"role": "user", "content": "Hi"},
				},
				"stream":         true,
				"stream_options": map[string]any{"include_usage": true},
				"max_tokens":     64.0,
				"temperature":    0.0,
				"top_p":          0.95,
				"seed":           7.0,
				"ignore_eos":     true,
			},
		},
		{
			name: "nothing set",
			req:  helloRequest(),
			want: map[string]any{
				"model":          fakeModel,
				"messages":       []any{map[string]any{"role": "user", "content": "Say hello."}},
				"stream":         true,
				"stream_options": map[string]any{"include_usage": true},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, srv := newTestClient(t, fakeAPI(t, providertest.OpenAIStream()), Config{APIKey: "gsk_test"})
			if _, err := c.Stream(context.Background(), tc.req, func(provider.Chunk) error { return nil }); err != nil {
				t.Fatal(err)
			}
			rr := srv.LastRequest(t, http.MethodPost, "/v1/chat/completions")
			if diff := cmp.Diff(tc.want, rr.BodyJSON(t)); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
			wantHeaders := map[string]string{"Authorization": "Bearer gsk_test", "Content-Type": "application/json", "Accept": "text/event-stream"}
			for k, v := range wantHeaders {
				if got := rr.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
	t.Run("no Authorization header without a key", func(t *testing.T) {
		c, srv := newTestClient(t, fakeAPI(t, providertest.OpenAIStream()), Config{Name: "vllm"})
		if _, err := c.Models(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := srv.LastRequest(t, http.MethodGet, "/v1/models").Header.Get("Authorization"); got != "" {
			t.Errorf("Authorization = %q, want none", got)
		}
	})
}

func TestStreamCallbackError(t *testing.T) {
	c, srv := newTestClient(t, fakeAPI(t, providertest.OpenAISlowStream()), Config{})
	stop := errors.New("stop here")
	calls := 0
	_, err := c.Stream(context.Background(), helloRequest(), func(provider.Chunk) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Stream = %v after %d calls; want the callback's error after 1", err, calls)
	}
	if !srv.WaitClientGone(5 * time.Second) {
		t.Error("the server did not see the client close the connection")
	}
}

func TestStreamCancel(t *testing.T) {
	c, srv := newTestClient(t, fakeAPI(t, providertest.OpenAISlowStream()), Config{})
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
		t.Error("the server did not see the client close the connection; it would keep generating")
	}
}

func TestStreamRejectsEmptyRequests(t *testing.T) {
	c, srv := newTestClient(t, fakeAPI(t, providertest.OpenAIStream()), Config{})
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
	srv := providertest.NewServer(t, providertest.OpenAIStream())
	base := srv.URL + "/v1"
	srv.Close()
	for _, remote := range []bool{false, true} {
		c, err := New(Config{Name: "vllm", BaseURL: base, Remote: remote})
		if err != nil {
			t.Fatal(err)
		}
		u, err := c.Stream(context.Background(), helloRequest(), func(provider.Chunk) error { return nil })
		if !errors.Is(err, provider.ErrUnavailable) {
			t.Fatalf("Stream = %v; want provider.ErrUnavailable", err)
		}
		hint := "that the server is running"
		if remote {
			hint = "the network connection"
		}
		checkErr(t, err, []string{"cannot reach vllm at " + base, hint, "connection refused"}, nil)
		if diff := cmp.Diff(provider.UnknownUsage(), u); diff != "" {
			t.Errorf("usage (-want +got):\n%s", diff)
		}
		if _, err := c.Models(context.Background()); !errors.Is(err, provider.ErrUnavailable) {
			t.Errorf("Models = %v; want provider.ErrUnavailable", err)
		}
	}
}

func TestDNSFailureIsUnavailable(t *testing.T) {
	// The transport fails the dial as the resolver would for an unknown
	// host, so that no DNS query leaves the machine.
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "api.groq.invalid", IsNotFound: true}}
		},
	}}
	c, err := New(Config{Name: "groq", BaseURL: "https://api.groq.invalid/openai/v1", Remote: true, HTTP: hc})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Describe(context.Background(), fakeModel)
	if !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("Describe = %v; want provider.ErrUnavailable", err)
	}
	checkErr(t, err, []string{"cannot reach groq at https://api.groq.invalid/openai/v1", "no such host"}, nil)
}

func TestModels(t *testing.T) {
	tests := []struct {
		name string
		file string
		cfg  Config
		want []provider.ModelInfo
	}{
		{
			name: "Groq context_window",
			file: "models-groq.json",
			cfg:  Config{Name: "groq", Remote: true},
			want: []provider.ModelInfo{
				{Name: "groq/llama-3.1-8b-instant", Provider: "groq", Model: "llama-3.1-8b-instant", ContextLength: 131072, Remote: true},
				{Name: "groq/llama-3.3-70b-versatile", Provider: "groq", Model: "llama-3.3-70b-versatile", ContextLength: 131072, Remote: true},
				{Name: "groq/whisper-large-v3", Provider: "groq", Model: "whisper-large-v3", ContextLength: 448, Remote: true},
			},
		},
		{
			name: "vLLM max_model_len",
			file: "models-vllm.json",
			cfg:  Config{Name: "vllm"},
			want: []provider.ModelInfo{
				{Name: "vllm/meta-llama/Llama-3.1-8B-Instruct", Provider: "vllm", Model: "meta-llama/Llama-3.1-8B-Instruct", ContextLength: 8192},
			},
		},
		{
			name: "llama.cpp meta",
			file: "models-llamacpp.json",
			cfg:  Config{Name: "llamacpp"},
			want: []provider.ModelInfo{
				{Name: "llamacpp/Llama-3.2-1B-Instruct-Q8_0.gguf", Provider: "llamacpp", Model: "Llama-3.2-1B-Instruct-Q8_0.gguf", ContextLength: 131072, Parameters: 1235814432},
			},
		},
		{
			name: "OpenAI: no context length",
			file: "models-openai.json",
			cfg:  Config{Name: "openai", Remote: true},
			want: []provider.ModelInfo{
				{Name: "openai/gpt-4o-mini", Provider: "openai", Model: "gpt-4o-mini", Remote: true},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestClient(t, providertest.Routes{"GET /v1/models": providertest.JSON(http.StatusOK, readTestdata(t, tc.file))}, tc.cfg)
			got, err := c.Models(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Models (-want +got):\n%s", diff)
			}
		})
	}
}

func TestModelsErrors(t *testing.T) {
	tests := []struct {
		name    string
		h       http.Handler
		cfg     Config
		wantErr []string
		wantNot []string
	}{
		{"HTML page", providertest.HTMLErrorPage(http.StatusServiceUnavailable), Config{}, []string{"503 Service Unavailable", "may not be an OpenAI-compatible API base URL"}, []string{"<html"}},
		{"HTML with 200", providertest.Script{providertest.Write("<html><title>Grafana</title></html>")}, Config{}, []string{"Grafana"}, []string{"<html"}},
		{"not JSON", providertest.Script{providertest.Write("hello")}, Config{}, []string{"decode model list", "ending in /v1"}, nil},
		{"no data array", providertest.JSON(http.StatusOK, `{"models":[]}`), Config{}, []string{`no "data" array`}, nil},
		{"JSON error with 200", providertest.JSON(http.StatusOK, `{"error":{"message":"boom"}}`), Config{}, []string{"boom"}, nil},
		{"401", providertest.JSON(http.StatusUnauthorized, `{"error":{"message":"Invalid API Key"}}`), Config{APIKey: "x", KeyEnv: "GROQ_API_KEY"}, []string{"Invalid API Key", "set GROQ_API_KEY"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestClient(t, providertest.Routes{"GET /v1/models": tc.h}, tc.cfg)
			_, err := c.Models(context.Background())
			checkErr(t, err, tc.wantErr, tc.wantNot)
		})
	}
}

func TestDescribe(t *testing.T) {
	c, _ := newTestClient(t, fakeAPI(t, providertest.OpenAIStream()), Config{Name: "groq", Remote: true})
	got, err := c.Describe(context.Background(), "llama-3.3-70b-versatile")
	if err != nil {
		t.Fatal(err)
	}
	want := provider.ModelInfo{Name: "groq/llama-3.3-70b-versatile", Provider: "groq", Model: "llama-3.3-70b-versatile", ContextLength: 131072, Remote: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Describe (-want +got):\n%s", diff)
	}

	_, err = c.Describe(context.Background(), "gpt-5")
	var ue *provider.UnknownModelError
	if !errors.As(err, &ue) {
		t.Fatalf("Describe(gpt-5) = %v; want a *provider.UnknownModelError", err)
	}
	wantUE := &provider.UnknownModelError{Provider: "groq", Model: "gpt-5",
		Available: []string{"llama-3.1-8b-instant", "llama-3.3-70b-versatile", "whisper-large-v3"}}
	if diff := cmp.Diff(wantUE, ue); diff != "" {
		t.Errorf("UnknownModelError (-want +got):\n%s", diff)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		want    string
		wantErr string
	}{
		{"Groq", Config{Name: "groq", BaseURL: "https://api.groq.com/openai/v1"}, "https://api.groq.com/openai/v1", ""},
		{"trailing slash", Config{Name: "vllm", BaseURL: "http://localhost:8000/v1/"}, "http://localhost:8000/v1", ""},
		{"no name", Config{BaseURL: "http://x/v1"}, "", "must be non-empty"},
		{"slash in name", Config{Name: "a/b", BaseURL: "http://x/v1"}, "", "contain no slash"},
		{"no scheme", Config{Name: "x", BaseURL: "localhost:8000/v1"}, "", "must start with http:// or https://"},
		{"empty", Config{Name: "x"}, "", "must start with http"},
		{"no host", Config{Name: "x", BaseURL: "http:///v1"}, "", "has no host"},
		{"query", Config{Name: "x", BaseURL: "http://x/v1?k=1"}, "", "query"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.base != tc.want || c.Name() != tc.cfg.Name {
				t.Errorf("base %q name %q; want %q %q", c.base, c.Name(), tc.want, tc.cfg.Name)
			}
		})
	}
}
