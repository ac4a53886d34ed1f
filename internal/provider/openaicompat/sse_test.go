package openaicompat

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/wire"
)

// decodeEvents runs input through readLine and sseDecoder as Stream does,
// with a read buffer of bufSize bytes, and returns the events, the event
// flushed at the end (if any), and the first error other than io.EOF.
func decodeEvents(input []byte, bufSize, max int) (events []sseEvent, tail *sseEvent, err error) {
	br := bufio.NewReaderSize(bytes.NewReader(input), bufSize)
	dec := sseDecoder{max: max}
	for {
		line, rerr := wire.ReadLine(br, max)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return events, nil, rerr
		}
		if len(line) > 0 || rerr == nil {
			ev, ok, derr := dec.line(line)
			if derr != nil {
				return events, nil, derr
			}
			if ok {
				events = append(events, ev)
			}
		}
		if rerr != nil {
			if ev, ok := dec.flush(); ok {
				tail = &ev
			}
			return events, tail, nil
		}
	}
}

var sseCases = []struct {
	name     string
	input    string
	want     []sseEvent
	wantTail *sseEvent
	wantErr  error
}{
	{
		name:  "data events",
		input: "data: {\"a\":1}\n\ndata: [DONE]\n\n",
		want:  []sseEvent{{Data: `{"a":1}`}, {Data: "[DONE]"}},
	},
	{
		name:  "CRLF line ends",
		input: "data: one\r\n\r\ndata: two\r\n\r\n",
		want:  []sseEvent{{Data: "one"}, {Data: "two"}},
	},
	{
		name:  "multi-line data is joined with newlines",
		input: "data: {\"a\":\ndata: 1}\n\n",
		want:  []sseEvent{{Data: "{\"a\":\n1}"}},
	},
	{
		name:  "comments and keep-alives are ignored",
		input: ": OPENROUTER PROCESSING\n\n: ping\ndata: x\n\n",
		want:  []sseEvent{{Data: "x"}},
	},
	{
		name:  "event, id and retry lines",
		input: "event: error\nid: 7\nretry: 1000\ndata: {\"message\":\"boom\"}\n\nevent: message\ndata: y\n\n",
		want:  []sseEvent{{Event: "error", Data: `{"message":"boom"}`}, {Event: "message", Data: "y"}},
	},
	{
		name:  "an event type without data is dropped and reset",
		input: "event: ping\n\ndata: z\n\n",
		want:  []sseEvent{{Data: "z"}},
	},
	{
		name:  "no space after the colon, and only one space removed",
		input: "data:a\n\ndata:  b\n\n",
		want:  []sseEvent{{Data: "a"}, {Data: " b"}},
	},
	{
		name:  "a field without a colon",
		input: "data\n\n",
		want:  []sseEvent{{Data: ""}},
	},
	{
		name:     "last event without its blank line",
		input:    "data: a\n\ndata: {\"b\":2}\n",
		want:     []sseEvent{{Data: "a"}},
		wantTail: &sseEvent{Data: `{"b":2}`},
	},
	{
		name:     "cut in the middle of a line",
		input:    "data: a\n\ndata: {\"choices\":[{\"fin",
		want:     []sseEvent{{Data: "a"}},
		wantTail: &sseEvent{Data: `{"choices":[{"fin`},
	},
	{
		name:    "event over the cap",
		input:   "data: " + strings.Repeat("x", 40) + "\ndata: " + strings.Repeat("y", 40) + "\n\n",
		wantErr: wire.ErrLineTooLong,
	},
	{
		name:    "line over the cap",
		input:   "data: " + strings.Repeat("x", 100) + "\n\n",
		wantErr: wire.ErrLineTooLong,
	},
}

func TestSSEDecoder(t *testing.T) {
	for _, tc := range sseCases {
		t.Run(tc.name, func(t *testing.T) {
			got, tail, err := decodeEvents([]byte(tc.input), 16, 64)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantTail, tail); diff != "" {
				t.Errorf("tail (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzSSE checks that decoding never panics, never returns more data than
// the cap, does not depend on how reads split the input, and that every
// event's data goes through parseChunk without panicking.
func FuzzSSE(f *testing.F) {
	for _, tc := range sseCases {
		f.Add([]byte(tc.input))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		const max = 256
		a, tailA, errA := decodeEvents(input, 16, max)
		b, tailB, errB := decodeEvents(input, 4096, max)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("errors differ with the buffer size: %v vs %v", errA, errB)
		}
		if errA != nil {
			return
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Fatalf("events depend on the read buffer size (-16 +4096):\n%s", diff)
		}
		if diff := cmp.Diff(tailA, tailB); diff != "" {
			t.Fatalf("tail depends on the read buffer size:\n%s", diff)
		}
		for _, ev := range a {
			if len(ev.Data) > max {
				t.Fatalf("event data of %d bytes exceeds the cap %d", len(ev.Data), max)
			}
			if strings.ContainsRune(ev.Event, '\n') {
				t.Fatalf("event type %q contains a newline", ev.Event)
			}
			if c, err := parseChunk([]byte(ev.Data)); err == nil {
				checkChunkUsage(t, c)
			}
		}
	})
}

var chunkCases = []struct {
	name    string
	data    string
	want    chunk
	wantErr string
}{
	{
		name: "content delta",
		data: `{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}`,
		want: chunk{Content: "Hi"},
	},
	{
		name: "null content, reasoning_content",
		data: `{"choices":[{"index":0,"delta":{"content":null,"reasoning_content":"hmm"}}]}`,
		want: chunk{ReasoningContent: "hmm"},
	},
	{
		name: "Groq reasoning",
		data: `{"choices":[{"index":0,"delta":{"reasoning":"so"}}]}`,
		want: chunk{Reasoning: "so"},
	},
	{
		name: "finish reason",
		data: `{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}`,
		want: chunk{FinishReason: "length"},
	},
	{
		name: "only the first choice is read",
		data: `{"choices":[{"index":0,"delta":{"content":"a"}},{"index":1,"delta":{"content":"b"}}]}`,
		want: chunk{Content: "a"},
	},
	{
		name: "usage chunk with empty choices",
		data: `{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}`,
		want: chunk{Usage: &wireUsage{PromptTokens: intp(5), CompletionTokens: intp(2)}},
	},
	{
		name: "usage null",
		data: `{"choices":[{"delta":{"content":"a"}}],"usage":null}`,
		want: chunk{Content: "a"},
	},
	{
		name: "x_groq usage",
		data: `{"choices":[{"delta":{},"finish_reason":"stop"}],"x_groq":{"id":"req","usage":{"prompt_tokens":9,"prompt_time":0.5}}}`,
		want: chunk{FinishReason: "stop", GroqUsage: &wireUsage{PromptTokens: intp(9), PromptTime: floatp(0.5)}},
	},
	{
		name: "x_groq without usage",
		data: `{"choices":[{"delta":{"role":"assistant"}}],"x_groq":{"id":"req"}}`,
		want: chunk{},
	},
	{
		name: "llama.cpp timings",
		data: `{"choices":[{"delta":{},"finish_reason":"stop"}],"timings":{"prompt_n":3,"prompt_ms":1.5,"predicted_n":4,"predicted_ms":8,"cache_n":1}}`,
		want: chunk{FinishReason: "stop", Timings: &wireTimings{PromptN: intp(3), PromptMS: floatp(1.5), PredictedN: intp(4), PredictedMS: floatp(8), CacheN: intp(1)}},
	},
	{
		name: "error object",
		data: `{"error":{"message":"overloaded","type":"server_error"}}`,
		want: chunk{Error: "overloaded"},
	},
	{
		name: "error string",
		data: `{"error":"rate limited"}`,
		want: chunk{Error: "rate limited"},
	},
	{
		name: "error without a message",
		data: `{"error":{"code":500}}`,
		want: chunk{Error: `the server reported an error without a message: {"code":500}`},
	},
	{name: "truncated", data: `{"choices":[{"delta":{"content":"Hi"`, wantErr: "unexpected end of JSON input"},
	{name: "not an object", data: `[1,2]`, wantErr: "not a JSON object"},
	{name: "empty", data: ``, wantErr: "not a JSON object"},
	{name: "wrong type", data: `{"choices":{"delta":1}}`, wantErr: "decode"},
}

func intp(n int) *int           { return &n }
func floatp(f float64) *float64 { return &f }

func TestParseChunk(t *testing.T) {
	for _, tc := range chunkCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseChunk([]byte(tc.data))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("chunk (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseChunk(f *testing.F) {
	for _, tc := range chunkCases {
		f.Add([]byte(tc.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseChunk(data)
		if err != nil {
			return
		}
		checkChunkUsage(t, c)
	})
}

// checkChunkUsage checks the usage one chunk yields is well formed.
func checkChunkUsage(t *testing.T, c chunk) {
	t.Helper()
	var s usageSources
	s.add(c)
	u := s.result()
	for _, n := range []int{u.PromptTokens, u.CompletionTokens, u.ThinkingTokens, u.CachedPromptTokens} {
		if n < -1 {
			t.Fatalf("count %d < -1 in %+v", n, u)
		}
	}
	if u.CompletionTokens >= 0 && u.ThinkingTokens > u.CompletionTokens {
		t.Fatalf("thinking %d > completion %d", u.ThinkingTokens, u.CompletionTokens)
	}
	for _, d := range []time.Duration{u.PromptEvalDuration, u.EvalDuration, u.TotalDuration, u.LoadDuration} {
		if d < 0 || d > 24*time.Hour {
			t.Fatalf("duration %v out of range in %+v", d, u)
		}
	}
}

func TestUsageSources(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   provider.Usage
	}{
		{
			name:   "nothing reported",
			chunks: []string{`{"choices":[{"delta":{"content":"a"}}]}`},
			want:   provider.UnknownUsage(),
		},
		{
			name: "OpenAI usage: cached tokens are counted apart from the evaluated ones",
			chunks: []string{
				`{"choices":[{"delta":{},"finish_reason":"stop"}]}`,
				`{"choices":[],"usage":{"prompt_tokens":100,"completion_tokens":20,"prompt_tokens_details":{"cached_tokens":64},"completion_tokens_details":{"reasoning_tokens":12}}}`,
			},
			want: provider.Usage{PromptTokens: 36, CompletionTokens: 20, ThinkingTokens: 12, CachedPromptTokens: 64, DoneReason: "stop"},
		},
		{
			name:   "usage with zero cached tokens",
			chunks: []string{`{"usage":{"prompt_tokens":10,"completion_tokens":0,"prompt_tokens_details":{"cached_tokens":0}}}`},
			want:   provider.Usage{PromptTokens: 10, CompletionTokens: 0, ThinkingTokens: -1, CachedPromptTokens: 0},
		},
		{
			name:   "cached more than the prompt is not subtracted",
			chunks: []string{`{"usage":{"prompt_tokens":10,"prompt_tokens_details":{"cached_tokens":12}}}`},
			want:   provider.Usage{PromptTokens: 10, CompletionTokens: -1, ThinkingTokens: -1, CachedPromptTokens: 12},
		},
		{
			name: "Groq x_groq.usage with timings in seconds",
			chunks: []string{
				`{"choices":[{"delta":{},"finish_reason":"stop"}],"x_groq":{"usage":{"prompt_tokens":40,"completion_tokens":3,"prompt_time":0.002,"completion_time":0.012,"total_time":0.014}}}`,
			},
			want: provider.Usage{
				PromptTokens: 40, CompletionTokens: 3, ThinkingTokens: -1, CachedPromptTokens: -1,
				PromptEvalDuration: 2 * time.Millisecond, EvalDuration: 12 * time.Millisecond, TotalDuration: 14 * time.Millisecond,
				DoneReason: "stop",
			},
		},
		{
			name: "top-level usage wins over x_groq.usage, which still gives the times",
			chunks: []string{
				`{"x_groq":{"usage":{"prompt_tokens":1,"completion_tokens":1,"total_time":0.5}}}`,
				`{"usage":{"prompt_tokens":40,"completion_tokens":3}}`,
			},
			want: provider.Usage{PromptTokens: 40, CompletionTokens: 3, ThinkingTokens: -1, CachedPromptTokens: -1, TotalDuration: 500 * time.Millisecond},
		},
		{
			name: "llama.cpp timings",
			chunks: []string{
				`{"choices":[{"delta":{},"finish_reason":"stop"}],"timings":{"cache_n":4,"prompt_n":20,"prompt_ms":45.5,"predicted_n":2,"predicted_ms":30}}`,
			},
			want: provider.Usage{
				PromptTokens: 20, CompletionTokens: 2, ThinkingTokens: -1, CachedPromptTokens: 4,
				PromptEvalDuration: 45500 * time.Microsecond, EvalDuration: 30 * time.Millisecond, DoneReason: "stop",
			},
		},
		{
			name: "llama.cpp timings and usage: usage counts, timings durations",
			chunks: []string{
				`{"timings":{"cache_n":4,"prompt_n":20,"prompt_ms":45.5,"predicted_n":2,"predicted_ms":30}}`,
				`{"usage":{"prompt_tokens":24,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":4}}}`,
			},
			want: provider.Usage{
				PromptTokens: 20, CompletionTokens: 2, ThinkingTokens: -1, CachedPromptTokens: 4,
				PromptEvalDuration: 45500 * time.Microsecond, EvalDuration: 30 * time.Millisecond,
			},
		},
		{
			name: "running totals: the latest usage wins",
			chunks: []string{
				`{"usage":{"prompt_tokens":5,"completion_tokens":1}}`,
				`{"usage":{"prompt_tokens":5,"completion_tokens":2}}`,
			},
			want: provider.Usage{PromptTokens: 5, CompletionTokens: 2, ThinkingTokens: -1, CachedPromptTokens: -1},
		},
		{
			name:   "negative, NaN-free nonsense is ignored",
			chunks: []string{`{"usage":{"prompt_tokens":-4,"completion_tokens":2,"completion_tokens_details":{"reasoning_tokens":9},"total_time":-1}}`},
			want:   provider.Usage{PromptTokens: -1, CompletionTokens: 2, ThinkingTokens: -1, CachedPromptTokens: -1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s usageSources
			for _, d := range tc.chunks {
				c, err := parseChunk([]byte(d))
				if err != nil {
					t.Fatal(err)
				}
				s.add(c)
			}
			if diff := cmp.Diff(tc.want, s.result()); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
}

var thinkCases = []struct {
	name         string
	pieces       []string
	wantThinking string
	wantContent  string
}{
	{"no think block", []string{"Hello", ", world"}, "", "Hello, world"},
	{"think block in one piece", []string{"<think>hmm</think>Hi"}, "hmm", "Hi"},
	{"tags split across pieces", []string{"<thi", "nk>Let me", " think.</th", "ink>\n\nHi", "!"}, "Let me think.", "\n\nHi!"},
	{"leading whitespace before the tag", []string{"\n", " <think>", "x</think>y"}, "x", "y"},
	{"leading whitespace kept in plain content", []string{"\n", " Hello"}, "", "\n Hello"},
	{"starts like the tag but is not", []string{"<th", "ought>"}, "", "<thought>"},
	{"a later think tag is content", []string{"Hi <think>x</think>"}, "", "Hi <think>x</think>"},
	{"unterminated think block is thinking", []string{"<think>still going"}, "still going", ""},
	{"close tag prefix inside thinking", []string{"<think>a</t", "b</think>c"}, "a</tb", "c"},
	{"only a partial tag at the end", []string{"<thin"}, "", "<thin"},
	{"empty pieces", []string{"", "<think>", "", "x", "</think>", ""}, "x", ""},
	{"too much leading whitespace", []string{strings.Repeat(" ", 300) + "<think>x</think>"}, "", strings.Repeat(" ", 300) + "<think>x</think>"},
}

func runSplitter(pieces []string) (thinking, content string) {
	var s thinkSplitter
	var th, ct strings.Builder
	for _, p := range pieces {
		a, b := s.feed(p)
		th.WriteString(a)
		ct.WriteString(b)
	}
	a, b := s.flush()
	th.WriteString(a)
	ct.WriteString(b)
	return th.String(), ct.String()
}

func TestThinkSplitter(t *testing.T) {
	for _, tc := range thinkCases {
		t.Run(tc.name, func(t *testing.T) {
			th, ct := runSplitter(tc.pieces)
			if th != tc.wantThinking || ct != tc.wantContent {
				t.Errorf("thinking %q content %q; want %q %q", th, ct, tc.wantThinking, tc.wantContent)
			}
		})
	}
}

// FuzzThinkSplitter checks that the split does not depend on how the
// content is cut into pieces, and that no text is invented.
func FuzzThinkSplitter(f *testing.F) {
	for _, tc := range thinkCases {
		f.Add(strings.Join(tc.pieces, ""), uint8(len(tc.pieces[0])), uint8(3))
	}
	f.Fuzz(func(t *testing.T, s string, cut1, cut2 uint8) {
		th, ct := runSplitter([]string{s})
		i := min(int(cut1), len(s))
		j := min(i+int(cut2), len(s))
		th2, ct2 := runSplitter([]string{s[:i], s[i:j], s[j:]})
		if th != th2 || ct != ct2 {
			t.Fatalf("split at %d,%d changes the result: (%q, %q) vs (%q, %q)", i, j, th, ct, th2, ct2)
		}
		if len(th)+len(ct) > len(s) {
			t.Fatalf("output longer than input: %q + %q from %q", th, ct, s)
		}
		if th == "" && !strings.Contains(s, thinkOpen) && ct != s {
			t.Fatalf("content %q differs from input %q without a think tag", ct, s)
		}
	})
}
