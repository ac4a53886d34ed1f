package providertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/provider"
)

// Limits RunConformance holds a provider to.
const (
	// conformanceCallLimit bounds one whole call (Describe, Models, Stream).
	conformanceCallLimit = 60 * time.Second
	// conformanceCancelLimit bounds how long Stream may run on after its
	// context is cancelled.
	conformanceCancelLimit = 5 * time.Second
)

// UnknownModelName is the model RunConformance asks Describe about to check
// that an unknown model is reported as one. No provider should serve it.
const UnknownModelName = "energylab-conformance-no-such-model"

// errConformanceStop is what the conformance callback returns to stop a stream.
var errConformanceStop = errors.New("providertest: the callback asked to stop")

// RunConformance checks the contract every provider.Provider must meet, with
// model a model p serves:
//
//   - Describe(model) succeeds and names the model "<Name()>/<model>", with
//     Provider equal to Name();
//   - Models succeeds and names every entry consistently;
//   - Stream calls fn at least once with non-empty Content and returns a
//     Usage whose counts are -1 (unreported) or non-negative, with
//     CompletionTokens positive or -1, never 0;
//   - a non-nil error from fn stops the stream: fn is not called again and
//     Stream returns that error (errors.Is);
//   - a context cancelled during the stream, or before it, makes Stream
//     return within five seconds with an error that matches
//     context.Canceled;
//   - Describe of an unknown model returns an error matching
//     provider.ErrUnknownModel that is a *provider.UnknownModelError.
//
// Each check is a subtest. The stream asks for at most 16 tokens at
// temperature 0.
func RunConformance(t *testing.T, p provider.Provider, model string) {
	t.Helper()
	name := p.Name()
	if name == "" {
		t.Fatal("Name() is empty")
	}

	t.Run("describe", func(t *testing.T) {
		var info provider.ModelInfo
		var err error
		within(t, conformanceCallLimit, "Describe", func() { info, err = p.Describe(context.Background(), model) })
		if err != nil {
			t.Fatalf("Describe(%q): %v", model, err)
		}
		if info.Provider != name {
			t.Errorf("Describe(%q).Provider = %q, want %q", model, info.Provider, name)
		}
		if want := name + "/" + model; info.Name != want {
			t.Errorf("Describe(%q).Name = %q, want %q", model, info.Name, want)
		}
		if info.Model != model {
			t.Errorf("Describe(%q).Model = %q, want %q", model, info.Model, model)
		}
		if info.ContextLength < 0 {
			t.Errorf("Describe(%q).ContextLength = %d, want >= 0", model, info.ContextLength)
		}
	})

	t.Run("models", func(t *testing.T) {
		var infos []provider.ModelInfo
		var err error
		within(t, conformanceCallLimit, "Models", func() { infos, err = p.Models(context.Background()) })
		if err != nil {
			t.Fatalf("Models: %v", err)
		}
		for _, m := range infos {
			if m.Provider != name || m.Name != name+"/"+m.Model || m.Model == "" {
				t.Errorf("Models entry %+v: want Provider %q and Name %q+\"/\"+Model", m, name, name)
			}
		}
	})

	t.Run("stream", func(t *testing.T) {
		var content, calls int
		var u provider.Usage
		var err error
		within(t, conformanceCallLimit, "Stream", func() {
			u, err = p.Stream(context.Background(), conformanceRequest(model), func(c provider.Chunk) error {
				calls++
				content += len(c.Content)
				if c.Content == "" && c.Thinking == "" {
					t.Errorf("fn called with an empty chunk (chunk #%d)", calls)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatalf("Stream: %v", err)
		}
		if content == 0 {
			t.Errorf("Stream called fn %d times but never with answer text", calls)
		}
		checkUsage(t, u)
		if u.CompletionTokens == 0 {
			t.Errorf("Usage.CompletionTokens = 0 after a non-empty answer; want a count, or -1 when the provider does not report it")
		}
	})

	t.Run("callback error stops the stream", func(t *testing.T) {
		var calls int
		var err error
		within(t, conformanceCallLimit, "Stream", func() {
			_, err = p.Stream(context.Background(), conformanceRequest(model), func(provider.Chunk) error {
				calls++
				return errConformanceStop
			})
		})
		if !errors.Is(err, errConformanceStop) {
			t.Fatalf("Stream returned %v; want the callback's error", err)
		}
		if calls != 1 {
			t.Errorf("fn was called %d times after returning an error; want 1", calls)
		}
	})

	t.Run("cancel during the stream", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var cancelledAt time.Time
		var u provider.Usage
		var err error
		within(t, conformanceCallLimit, "Stream", func() {
			u, err = p.Stream(ctx, conformanceRequest(model), func(provider.Chunk) error {
				if cancelledAt.IsZero() {
					cancelledAt = time.Now()
					cancel()
				}
				return nil
			})
		})
		if cancelledAt.IsZero() {
			t.Fatalf("fn was never called (err %v)", err)
		}
		if d := time.Since(cancelledAt); d > conformanceCancelLimit {
			t.Errorf("Stream returned %v after its context was cancelled; want within %v", d, conformanceCancelLimit)
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Stream returned %v after cancel; want an error matching context.Canceled", err)
		}
		checkUsage(t, u)
	})

	t.Run("cancelled before the stream", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var calls int
		var err error
		within(t, conformanceCancelLimit, "Stream", func() {
			_, err = p.Stream(ctx, conformanceRequest(model), func(provider.Chunk) error {
				calls++
				return nil
			})
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Stream with a cancelled context returned %v; want an error matching context.Canceled", err)
		}
		if calls != 0 {
			t.Errorf("fn was called %d times with a cancelled context; want 0", calls)
		}
	})

	t.Run("unknown model", func(t *testing.T) {
		var err error
		within(t, conformanceCallLimit, "Describe", func() { _, err = p.Describe(context.Background(), UnknownModelName) })
		if !errors.Is(err, provider.ErrUnknownModel) {
			t.Fatalf("Describe(%q) returned %v; want an error matching provider.ErrUnknownModel", UnknownModelName, err)
		}
		var ue *provider.UnknownModelError
		if !errors.As(err, &ue) {
			t.Fatalf("Describe(%q) returned %T; want a *provider.UnknownModelError", UnknownModelName, err)
		}
		if ue.Model != UnknownModelName || ue.Provider != name {
			t.Errorf("UnknownModelError{Provider: %q, Model: %q}; want %q and %q", ue.Provider, ue.Model, name, UnknownModelName)
		}
	})
}

func conformanceRequest(model string) provider.Request {
	zero := 0.0
	return provider.Request{
		Model:    model,
		Messages: []provider.Message{{Role: provider.RoleUser, Content: "Say hello."}},
		Options:  provider.Options{MaxTokens: 16, Temperature: &zero},
	}
}

// checkUsage fails the test when a count is below -1, the marker for
// "unreported".
func checkUsage(t *testing.T, u provider.Usage) {
	t.Helper()
	for _, c := range []struct {
		name string
		n    int
	}{
		{"PromptTokens", u.PromptTokens},
		{"CompletionTokens", u.CompletionTokens},
		{"ThinkingTokens", u.ThinkingTokens},
		{"CachedPromptTokens", u.CachedPromptTokens},
	} {
		if c.n < -1 {
			t.Errorf("Usage.%s = %d; want a count >= 0, or -1 when unreported", c.name, c.n)
		}
	}
	if u.ThinkingTokens > 0 && u.CompletionTokens >= 0 && u.ThinkingTokens > u.CompletionTokens {
		t.Errorf("Usage.ThinkingTokens = %d exceeds CompletionTokens = %d; thinking is part of the completion", u.ThinkingTokens, u.CompletionTokens)
	}
}

// within runs f and fails the test when it does not return within d. The
// goroutine running f is left behind in that case; the test has failed.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Fatalf("%s did not return within %v", what, d)
	}
}
