package builtin

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llm-energy-lab/energylab/internal/engine/tokenizer"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/providertest"
)

const tiny = "synthetic-tiny"

func ptr[T any](v T) *T { return &v }

var question = []provider.Message{
	{Role: provider.RoleSystem, Content: "You are a helpful assistant."},
	{Role: provider.RoleUser, Content: "How much energy does one token take?"},
}

// recorder collects the chunks of a stream.
type recorder struct {
	chunks []provider.Chunk
}

func (r *recorder) fn(c provider.Chunk) error {
	r.chunks = append(r.chunks, c)
	return nil
}

func (r *recorder) text() (content, thinking string) {
	var c, t strings.Builder
	for _, ch := range r.chunks {
		c.WriteString(ch.Content)
		t.WriteString(ch.Thinking)
	}
	return c.String(), t.String()
}

func TestModelsAndDescribe(t *testing.T) {
	ctx := context.Background()
	p := New(Options{})
	if p.Name() != "builtin" {
		t.Errorf("Name = %q", p.Name())
	}
	models, err := p.Models(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range models {
		names = append(names, m.Name)
	}
	if diff := cmp.Diff([]string{"builtin/synthetic-tiny", "builtin/synthetic-qwen3-0.6b"}, names); diff != "" {
		t.Errorf("model names (-want +got):\n%s", diff)
	}
	want := provider.ModelInfo{
		Name: "builtin/synthetic-tiny", Provider: "builtin", Model: "synthetic-tiny", ContextLength: 2048,
		Family: "llama", ParameterSize: "5.2M", Parameters: 5245184, Quantization: "F32", Synthetic: true,
		Note: "synthetic model: random weights from seed 7308890787305581666; its text is meaningless, its compute is real (storage tags: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl, q4_k, q5_k, q6_k, q4_k_m)",
	}
	got, err := p.Describe(ctx, tiny)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(provider.ModelInfo{}, "Digest")); diff != "" {
		t.Errorf("Describe(%s) (-want +got):\n%s", tiny, diff)
	}
	if !strings.HasPrefix(got.Digest, "synth:sha256:") {
		t.Errorf("digest %q", got.Digest)
	}
	if diff := cmp.Diff(models[0], got); diff != "" {
		t.Errorf("Describe and Models disagree (-models +describe):\n%s", diff)
	}
	big, _ := p.Describe(ctx, "synthetic-qwen3-0.6b")
	if big.Parameters != 596049920 || big.ParameterSize != "596M" || big.Family != "qwen3" || big.ContextLength != 40960 || big.Quantization != "Q8_0" {
		t.Errorf("qwen3-0.6b info %+v", big)
	}
	other, _ := New(Options{Seed: 42}).Describe(ctx, tiny)
	if other.Digest == got.Digest || !strings.Contains(other.Note, "seed 42;") {
		t.Errorf("seed 42 gives digest %s and note %q", other.Digest, other.Note)
	}

	_, err = p.Describe(ctx, "nope")
	var unknown *provider.UnknownModelError
	if !errors.As(err, &unknown) || !errors.Is(err, provider.ErrUnknownModel) {
		t.Fatalf("Describe(nope) = %v, want an *UnknownModelError", err)
	}
	if diff := cmp.Diff(&provider.UnknownModelError{Provider: "builtin", Model: "nope", Available: []string{"synthetic-tiny", "synthetic-qwen3-0.6b"}}, unknown); diff != "" {
		t.Errorf("unknown model error (-want +got):\n%s", diff)
	}
	for name, call := range map[string]func() error{
		"Prepare":     func() error { return p.Prepare(ctx, "nope", provider.Options{}) },
		"CountText":   func() error { _, err := p.CountText(ctx, "nope", "x"); return err },
		"CountPrompt": func() error { _, err := p.CountPrompt(ctx, "nope", question, provider.Options{}); return err },
		"Stream": func() error {
			_, err := p.Stream(ctx, provider.Request{Model: "nope", Messages: question}, (&recorder{}).fn)
			return err
		},
	} {
		if err := call(); !errors.Is(err, provider.ErrUnknownModel) {
			t.Errorf("%s of an unknown model = %v", name, err)
		}
	}
}

func TestFormatParameters(t *testing.T) {
	for n, want := range map[int64]string{
		596049920: "596M", 5245184: "5.2M", 1_540_000_000: "1.5B", 999: "999", 12_345: "12.3K", 100_000_000: "100M",
	} {
		if got := FormatParameters(n); got != want {
			t.Errorf("FormatParameters(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCountText(t *testing.T) {
	p := New(Options{})
	tok, _ := tokenizer.NewSynthetic(4096)
	const text = "How much energy does one token take?"
	got, err := p.CountText(context.Background(), tiny, text)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(tok.Encode(text)); got != want {
		t.Errorf("CountText = %d, want %d", got, want)
	}
}

func TestStreamCounts(t *testing.T) {
	ctx := context.Background()
	p := New(Options{Threads: 2})
	for _, c := range []struct {
		name  string
		think bool
		opts  provider.Options
	}{
		{"greedy", false, provider.Options{Temperature: ptr(0.0), MaxTokens: 40}},
		{"sampled", false, provider.Options{Seed: ptr(int64(3)), MaxTokens: 40}},
		{"thinking", true, provider.Options{Temperature: ptr(0.0), MaxTokens: 40, Think: ptr(true)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantPrompt, err := p.CountPrompt(ctx, tiny, question, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			var r recorder
			u, err := p.Stream(ctx, provider.Request{Model: tiny, Messages: question, Options: c.opts}, r.fn)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("usage %+v, %d chunks", u, len(r.chunks))
			if u.PromptTokens != wantPrompt {
				t.Errorf("PromptTokens = %d, CountPrompt = %d", u.PromptTokens, wantPrompt)
			}
			switch u.DoneReason {
			case "length":
				if u.CompletionTokens != c.opts.MaxTokens {
					t.Errorf("done for length after %d tokens, max %d", u.CompletionTokens, c.opts.MaxTokens)
				}
			case "stop":
				if u.CompletionTokens >= c.opts.MaxTokens {
					t.Errorf("stopped after %d tokens, max %d", u.CompletionTokens, c.opts.MaxTokens)
				}
			default:
				t.Errorf("DoneReason %q", u.DoneReason)
			}
			// One chunk per token at most (a token holding the first bytes
			// of a character sends nothing); forced </think>\n\n sends none.
			forced := 0
			if c.think && u.ThinkingTokens > 0 {
				forced = 3
			}
			if len(r.chunks) == 0 || len(r.chunks) > u.CompletionTokens-forced {
				t.Errorf("%d chunks for %d completion tokens", len(r.chunks), u.CompletionTokens)
			}
			if u.CachedPromptTokens != 0 || u.PromptEvalDuration <= 0 || u.EvalDuration <= 0 ||
				u.TotalDuration < u.PromptEvalDuration+u.EvalDuration {
				t.Errorf("usage durations or cache count wrong: %+v", u)
			}
			sawContent := false
			for _, ch := range r.chunks {
				if ch.Content == "" && ch.Thinking == "" {
					t.Error("empty chunk sent")
				}
				if ch.Content != "" {
					sawContent = true
				}
				if ch.Thinking != "" && (!c.think || sawContent) {
					t.Errorf("thinking chunk %q out of place", ch.Thinking)
				}
			}
			if !c.think && u.ThinkingTokens != 0 {
				t.Errorf("ThinkingTokens = %d without thinking", u.ThinkingTokens)
			}
			if c.think {
				// 40 max tokens: a budget of 20 thinking tokens, then the
				// three forced tokens of "</think>\n\n" (unless the model
				// stopped or closed the block itself first).
				if u.DoneReason == "length" && u.ThinkingTokens != 23 {
					t.Errorf("ThinkingTokens = %d, want 20 + 3", u.ThinkingTokens)
				}
				if _, thought := r.text(); thought == "" {
					t.Error("no thinking text")
				}
			}
		})
	}
}

func TestCountPromptThink(t *testing.T) {
	ctx := context.Background()
	p := New(Options{})
	off, _ := p.CountPrompt(ctx, tiny, question, provider.Options{})
	off2, _ := p.CountPrompt(ctx, tiny, question, provider.Options{Think: ptr(false)})
	on, _ := p.CountPrompt(ctx, tiny, question, provider.Options{Think: ptr(true)})
	// Off: "<think>\n\n</think>\n\n" (6 tokens); on: "<think>\n" (2 tokens).
	if off != off2 || off-on != 4 {
		t.Errorf("prompt tokens: think nil %d, false %d, true %d; want nil = false = true + 4", off, off2, on)
	}
}

func TestGreedyDeterministic(t *testing.T) {
	ctx := context.Background()
	req := provider.Request{Model: tiny, Messages: question, Options: provider.Options{Temperature: ptr(0.0), MaxTokens: 30}}
	var want string
	for _, threads := range []int{1, 2, 4} {
		p := New(Options{Threads: threads})
		for run := range 2 {
			var r recorder
			if _, err := p.Stream(ctx, req, r.fn); err != nil {
				t.Fatal(err)
			}
			got, _ := r.text()
			if want == "" {
				want = got
			} else if got != want {
				t.Errorf("threads=%d run %d: %q, first run %q", threads, run, got, want)
			}
		}
	}
}

func TestSeededSampling(t *testing.T) {
	ctx := context.Background()
	p := New(Options{})
	run := func(seed int64) string {
		var r recorder
		req := provider.Request{Model: tiny, Messages: question, Options: provider.Options{Seed: &seed, MaxTokens: 30}}
		if _, err := p.Stream(ctx, req, r.fn); err != nil {
			t.Fatal(err)
		}
		s, _ := r.text()
		return s
	}
	a, b, c := run(1), run(1), run(2)
	if a != b {
		t.Errorf("seed 1 gave %q then %q", a, b)
	}
	if a == c {
		t.Errorf("seeds 1 and 2 both gave %q", a)
	}
}

func TestContextOverflow(t *testing.T) {
	ctx := context.Background()
	p := New(Options{})
	n, _ := p.CountPrompt(ctx, tiny, question, provider.Options{})
	for _, c := range []struct {
		name string
		opts provider.Options
		want string
	}{
		{"model context", provider.Options{MaxTokens: 2048}, "exceeds the context length of 2048 tokens; lower max_tokens to at most " + strconv.Itoa(2048-n)},
		{"num_ctx", provider.Options{MaxTokens: 100, NumCtx: 64}, "exceeds the num_ctx of 64 tokens; lower max_tokens to at most " + strconv.Itoa(64-n)},
		{"prompt alone", provider.Options{MaxTokens: 1, NumCtx: n}, "leaves no room for an answer in the num_ctx of " + strconv.Itoa(n) + " tokens; shorten the prompt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r recorder
			u, err := p.Stream(ctx, provider.Request{Model: tiny, Messages: question, Options: c.opts}, r.fn)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), strconv.Itoa(n)) {
				t.Fatalf("error %v, want one naming %d prompt tokens and containing %q", err, n, c.want)
			}
			if len(r.chunks) != 0 || u.PromptTokens != 0 || u.CompletionTokens != 0 {
				t.Errorf("overflowing request produced %d chunks, usage %+v", len(r.chunks), u)
			}
		})
	}
	var r recorder
	if _, err := p.Stream(ctx, provider.Request{Model: tiny, Messages: question, Options: provider.Options{MaxTokens: -1}}, r.fn); err == nil {
		t.Error("negative max_tokens accepted")
	}
}

func TestCancelDuringDecode(t *testing.T) {
	p := New(Options{})
	if err := p.Prepare(context.Background(), tiny, provider.Options{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelledAt time.Time
	calls := 0
	fn := func(provider.Chunk) error {
		calls++
		if calls == 3 {
			cancel()
			cancelledAt = time.Now()
		}
		return nil
	}
	req := provider.Request{Model: tiny, Messages: question, Options: provider.Options{Temperature: ptr(0.0), MaxTokens: 1000}}
	u, err := p.Stream(ctx, req, fn)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream after cancel = %v, want context.Canceled", err)
	}
	if d := time.Since(cancelledAt); d > 500*time.Millisecond {
		t.Errorf("Stream returned %v after cancel", d)
	}
	if calls != 3 {
		t.Errorf("fn called %d times, want 3 (none after cancel)", calls)
	}
	if u.PromptTokens == 0 || u.CompletionTokens < 3 || u.CompletionTokens >= 1000 {
		t.Errorf("partial usage %+v", u)
	}
}

func TestCancelDuringPrefill(t *testing.T) {
	p := New(Options{})
	if err := p.Prepare(context.Background(), tiny, provider.Options{}); err != nil {
		t.Fatal(err)
	}
	long := []provider.Message{{Role: provider.RoleUser, Content: strings.Repeat("Energy per token depends on the model. ", 120)}}
	n, _ := p.CountPrompt(context.Background(), tiny, long, provider.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelledAt time.Time
	time.AfterFunc(20*time.Millisecond, func() {
		cancelledAt = time.Now()
		cancel()
	})
	var r recorder
	u, err := p.Stream(ctx, provider.Request{Model: tiny, Messages: long, Options: provider.Options{MaxTokens: 10}}, r.fn)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream = %v, want context.Canceled (prompt of %d tokens)", err, n)
	}
	if d := time.Since(cancelledAt); d > 500*time.Millisecond {
		t.Errorf("Stream returned %v after cancel", d)
	}
	t.Logf("cancelled after %d of %d prompt tokens", u.PromptTokens, n)
	if u.PromptTokens >= n || u.CompletionTokens != 0 || len(r.chunks) != 0 {
		t.Errorf("usage %+v and %d chunks after a cancelled prefill of %d tokens", u, len(r.chunks), n)
	}
}

func TestFnErrorStopsStream(t *testing.T) {
	p := New(Options{})
	stop := errors.New("client went away")
	calls := 0
	fn := func(provider.Chunk) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	}
	req := provider.Request{Model: tiny, Messages: question, Options: provider.Options{Temperature: ptr(0.0), MaxTokens: 100}}
	u, err := p.Stream(context.Background(), req, fn)
	if err != stop {
		t.Fatalf("Stream = %v, want fn's error itself", err)
	}
	if calls != 2 {
		t.Errorf("fn called %d times after returning an error", calls)
	}
	if u.CompletionTokens < 2 || u.CompletionTokens >= 100 || u.PromptTokens == 0 {
		t.Errorf("usage %+v", u)
	}
}

func TestLoadDuration(t *testing.T) {
	ctx := context.Background()
	req := provider.Request{Model: tiny, Messages: question, Options: provider.Options{MaxTokens: 2}}
	cold := New(Options{})
	u, err := cold.Stream(ctx, req, (&recorder{}).fn)
	if err != nil {
		t.Fatal(err)
	}
	if u.LoadDuration <= 0 {
		t.Errorf("cold Stream LoadDuration = %v, want > 0", u.LoadDuration)
	}
	u, _ = cold.Stream(ctx, req, (&recorder{}).fn)
	if u.LoadDuration != 0 {
		t.Errorf("second Stream LoadDuration = %v, want 0", u.LoadDuration)
	}
	warm := New(Options{})
	if err := warm.Prepare(ctx, tiny, provider.Options{}); err != nil {
		t.Fatal(err)
	}
	u, _ = warm.Stream(ctx, req, (&recorder{}).fn)
	if u.LoadDuration != 0 {
		t.Errorf("prepared Stream LoadDuration = %v, want 0", u.LoadDuration)
	}
}

func TestTinyIsFast(t *testing.T) {
	// The tiny model must load and answer a 100-token request in well
	// under a second (the bound here leaves room for a loaded CI machine).
	start := time.Now()
	p := New(Options{})
	u, err := p.Stream(context.Background(), provider.Request{Model: tiny, Messages: question,
		Options: provider.Options{Temperature: ptr(0.0), MaxTokens: 100}}, (&recorder{}).fn)
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("load %v, prefill %d tokens in %v, %d tokens in %v, total %v", u.LoadDuration, u.PromptTokens,
		u.PromptEvalDuration, u.CompletionTokens, u.EvalDuration, d)
	if d > 2*time.Second {
		t.Errorf("tiny request took %v", d)
	}
}

func TestConformance(t *testing.T) {
	providertest.RunConformance(t, New(Options{}), tiny)
}

func TestConcurrentStreams(t *testing.T) {
	// Several requests on a model that is not loaded yet: one load, shared
	// weights, a KV cache each; run with -race.
	p := New(Options{Threads: 2})
	req := provider.Request{Model: tiny, Messages: question, Options: provider.Options{Temperature: ptr(0.0), MaxTokens: 12}}
	const n = 4
	texts := make([]string, n)
	errs := make([]error, n)
	done := make(chan int)
	for i := range n {
		go func() {
			var r recorder
			_, errs[i] = p.Stream(context.Background(), req, r.fn)
			texts[i], _ = r.text()
			done <- i
		}()
	}
	for range n {
		<-done
	}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("stream %d: %v", i, errs[i])
		}
		if texts[i] != texts[0] {
			t.Errorf("stream %d gave %q, stream 0 %q", i, texts[i], texts[0])
		}
	}
}

// TestIgnoreEOS finds a sampled request that stops early, then asks for the
// same with IgnoreEOS: it runs to MaxTokens, never emitting a stop token.
func TestIgnoreEOS(t *testing.T) {
	ctx := context.Background()
	p := New(Options{Threads: 2})
	const max = 200
	for seed := int64(1); seed <= 60; seed++ {
		opts := provider.Options{Seed: ptr(seed), Temperature: ptr(1.5), MaxTokens: max}
		u, err := p.Stream(ctx, provider.Request{Model: tiny, Messages: question, Options: opts}, func(provider.Chunk) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if u.DoneReason != "stop" {
			continue
		}
		opts.IgnoreEOS = true
		v, err := p.Stream(ctx, provider.Request{Model: tiny, Messages: question, Options: opts}, func(provider.Chunk) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if v.DoneReason != "length" || v.CompletionTokens != max {
			t.Fatalf("seed %d: without IgnoreEOS stopped after %d tokens; with it: %q after %d", seed, u.CompletionTokens, v.DoneReason, v.CompletionTokens)
		}
		return
	}
	t.Fatal("no seed made the synthetic model stop early: the test cannot check IgnoreEOS")
}
