//go:build integration

package builtin

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/provider"
)

// TestQwen3SizedModel loads synthetic-qwen3-0.6b (Q8_0, 633 MB, generated into
// the cache directory on first use),
// evaluates a ~150-token prompt and decodes 8 tokens, and logs the speeds.
// It needs about 1 GB of memory and some seconds, so it runs only with
// -tags integration:
//
//	go test -tags integration -run Qwen3 -v ./internal/provider/builtin/
func TestQwen3SizedModel(t *testing.T) {
	const name = "synthetic-qwen3-0.6b"
	ctx := context.Background()
	p := New(Options{})
	start := time.Now()
	if err := p.Prepare(ctx, name, provider.Options{}); err != nil {
		t.Fatal(err)
	}
	load := time.Since(start)
	msgs := []provider.Message{{Role: provider.RoleUser, Content: strings.Repeat("Measure the energy of every token the model produces. ", 10)}}
	var r recorder
	u, err := p.Stream(ctx, provider.Request{Model: name, Messages: msgs,
		Options: provider.Options{Temperature: ptr(0.0), MaxTokens: 8}}, r.fn)
	if err != nil {
		t.Fatal(err)
	}
	decodeSteps := u.CompletionTokens - 1 // the first token comes from the prefill's logits
	t.Logf("GOMAXPROCS %d; load (generation or mapping) %v", runtime.GOMAXPROCS(0), load.Round(time.Millisecond))
	t.Logf("prefill: %d tokens in %v = %.1f tokens/s", u.PromptTokens, u.PromptEvalDuration.Round(time.Millisecond),
		float64(u.PromptTokens)/u.PromptEvalDuration.Seconds())
	t.Logf("decode: %d tokens (%d forward passes) in %v = %.2f tokens/s", u.CompletionTokens, decodeSteps,
		u.EvalDuration.Round(time.Millisecond), float64(u.CompletionTokens)/u.EvalDuration.Seconds())
	if u.PromptTokens < 100 || u.CompletionTokens < 1 {
		t.Errorf("usage %+v", u)
	}
}
