package ollama

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/providertest"
)

// lineCase is one parseLine table case: the line, and either the chunk text,
// done flag and usage it carries, or the error it must produce.
type lineCase struct {
	name         string
	line         string
	wantContent  string
	wantThinking string
	wantDone     bool
	wantUsage    provider.Usage
	wantErr      string // substring of the error; "" for none
	wantServer   bool   // the error is a *serverError
}

var lineCases = []lineCase{
	{
		name:        "content chunk",
		line:        `{"model":"llama3.2","created_at":"2025-06-01T12:00:00Z","message":{"role":"assistant","content":"Hello"},"done":false}`,
		wantContent: "Hello",
		wantUsage:   provider.UnknownUsage(),
	},
	{
		name:         "thinking chunk",
		line:         `{"model":"qwen3","created_at":"2025-06-01T12:00:00Z","message":{"role":"assistant","content":"","thinking":"Let me think"},"done":false}` + "\n",
		wantThinking: "Let me think",
		wantUsage:    provider.UnknownUsage(),
	},
	{
		name:     "done line with every count",
		line:     providertest.OllamaDoneLine + "\r\n",
		wantDone: true,
		wantUsage: provider.Usage{
			PromptTokens: 26, CompletionTokens: 3, ThinkingTokens: -1, CachedPromptTokens: -1,
			PromptEvalDuration: 130 * time.Millisecond, EvalDuration: 350 * time.Millisecond,
			LoadDuration: 12 * time.Millisecond, TotalDuration: 512 * time.Millisecond, DoneReason: "stop",
		},
	},
	{
		name:     "done line without prompt_eval_count (full prompt-cache hit)",
		line:     `{"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","eval_count":5,"eval_duration":1000}`,
		wantDone: true,
		wantUsage: provider.Usage{
			PromptTokens: -1, CompletionTokens: 5, ThinkingTokens: -1, CachedPromptTokens: -1,
			EvalDuration: time.Microsecond, DoneReason: "stop",
		},
	},
	{
		name:     "done line with zero counts reported",
		line:     `{"done":true,"done_reason":"length","prompt_eval_count":0,"eval_count":0}`,
		wantDone: true,
		wantUsage: provider.Usage{
			PromptTokens: 0, CompletionTokens: 0, ThinkingTokens: -1, CachedPromptTokens: -1, DoneReason: "length",
		},
	},
	{
		name:     "done line with prompt_eval_cached_count (newer Ollama): cached counted apart",
		line:     `{"done":true,"done_reason":"stop","prompt_eval_count":26,"prompt_eval_cached_count":22,"eval_count":7}`,
		wantDone: true,
		wantUsage: provider.Usage{
			PromptTokens: 4, CompletionTokens: 7, ThinkingTokens: -1, CachedPromptTokens: 22, DoneReason: "stop",
		},
	},
	{
		name:     "cached count above the prompt count is not subtracted",
		line:     `{"done":true,"prompt_eval_count":3,"prompt_eval_cached_count":5,"eval_count":1}`,
		wantDone: true,
		wantUsage: provider.Usage{
			PromptTokens: 3, CompletionTokens: 1, ThinkingTokens: -1, CachedPromptTokens: 5,
		},
	},
	{
		name:      "negative counts are treated as unreported",
		line:      `{"done":true,"prompt_eval_count":-3,"eval_count":-1,"eval_duration":-5}`,
		wantDone:  true,
		wantUsage: provider.UnknownUsage(),
	},
	{
		name:       "error line",
		line:       `{"error":"an error was encountered while running the model: unexpected EOF"}`,
		wantErr:    "an error was encountered while running the model",
		wantServer: true,
	},
	{
		name:       "error object from a proxy",
		line:       `{"error":{"message":"upstream timed out","type":"proxy"}}`,
		wantErr:    "upstream timed out",
		wantServer: true,
	},
	{
		name:       "empty error string",
		line:       `{"error":""}`,
		wantErr:    "without a message",
		wantServer: true,
	},
	{
		name:      "error null is no error",
		line:      `{"error":null,"message":{"content":"x"}}`,
		wantUsage: provider.UnknownUsage(), wantContent: "x",
	},
	{name: "truncated JSON", line: providertest.OllamaDoneLine[:60], wantErr: "unexpected end of JSON input"},
	{name: "not an object", line: `["done"]`, wantErr: "not a JSON object"},
	{name: "null", line: `null`, wantErr: "not a JSON object"},
	{name: "HTML", line: `<html><head><title>502 Bad Gateway</title></head>`, wantErr: "not a JSON object"},
	{name: "empty", line: "", wantErr: "not a JSON object"},
	{name: "wrong type for done", line: `{"done":"yes"}`, wantErr: "decode"},
	{name: "two objects on one line", line: `{"done":false}{"done":true}`, wantErr: "invalid character"},
}

func TestParseLine(t *testing.T) {
	for _, tc := range lineCases {
		t.Run(tc.name, func(t *testing.T) {
			l, err := parseLine([]byte(tc.line))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseLine error = %v; want one containing %q", err, tc.wantErr)
				}
				var se *serverError
				if got := errors.As(err, &se); got != tc.wantServer {
					t.Errorf("error is *serverError: %v, want %v", got, tc.wantServer)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseLine: %v", err)
			}
			if l.Message.Content != tc.wantContent || l.Message.Thinking != tc.wantThinking || l.Done != tc.wantDone {
				t.Errorf("content %q thinking %q done %v; want %q %q %v",
					l.Message.Content, l.Message.Thinking, l.Done, tc.wantContent, tc.wantThinking, tc.wantDone)
			}
			if diff := cmp.Diff(tc.wantUsage, l.usage()); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseLine(f *testing.F) {
	for _, tc := range lineCases {
		f.Add([]byte(tc.line))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := parseLine(b)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		u := l.usage()
		for _, n := range []int{u.PromptTokens, u.CompletionTokens, u.ThinkingTokens, u.CachedPromptTokens} {
			if n < -1 {
				t.Fatalf("count %d < -1 in %+v", n, u)
			}
		}
		if u.ThinkingTokens != -1 {
			t.Fatalf("ThinkingTokens = %d; Ollama does not report it", u.ThinkingTokens)
		}
		if u.EvalDuration < 0 || u.PromptEvalDuration < 0 || u.LoadDuration < 0 || u.TotalDuration < 0 {
			t.Fatalf("negative duration in %+v", u)
		}
	})
}
