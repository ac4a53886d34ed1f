package providertest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/llm-energy-lab/energylab/internal/provider"
)

// Scripted is an in-memory provider that plays a fixed stream with fixed
// timing. Hooks let a test drive something else (a power profile) in step
// with the stream's phases. It is safe for one Stream at a time.
type Scripted struct {
	// Info describes the one model the provider serves; Info.Model is its
	// name.
	Info provider.ModelInfo
	// Chunks are delivered in order, one every TokenInterval, the first
	// after PrefillDelay.
	Chunks        []provider.Chunk
	PrefillDelay  time.Duration
	TokenInterval time.Duration
	// Usage is returned when the stream completes.
	Usage provider.Usage
	// FailAfter, when positive, makes the stream fail with Err after that
	// many chunks.
	FailAfter int
	Err       error

	// OnPrefill runs when the request arrives, OnDecode just before the
	// first chunk, OnEnd after the last chunk (or the failure).
	OnPrefill, OnDecode, OnEnd func()

	mu       sync.Mutex
	requests []provider.Request
}

// Name returns the model's provider name, "scripted" by default.
func (s *Scripted) Name() string {
	if s.Info.Provider != "" {
		return s.Info.Provider
	}
	return "scripted"
}

// Models lists the one model.
func (s *Scripted) Models(context.Context) ([]provider.ModelInfo, error) {
	return []provider.ModelInfo{s.Info}, nil
}

// Describe returns Info for its model and an UnknownModelError otherwise.
func (s *Scripted) Describe(_ context.Context, model string) (provider.ModelInfo, error) {
	if model != s.Info.Model {
		return provider.ModelInfo{}, &provider.UnknownModelError{Provider: s.Name(), Model: model, Available: []string{s.Info.Model}}
	}
	return s.Info, nil
}

// Requests returns the requests received so far.
func (s *Scripted) Requests() []provider.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]provider.Request(nil), s.requests...)
}

// Stream plays the script.
func (s *Scripted) Stream(ctx context.Context, req provider.Request, fn func(provider.Chunk) error) (provider.Usage, error) {
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	if _, err := s.Describe(ctx, req.Model); err != nil {
		return provider.UnknownUsage(), err
	}
	call(s.OnPrefill)
	defer call(s.OnEnd)
	partial := provider.UnknownUsage()
	partial.PromptTokens = s.Usage.PromptTokens
	partial.CompletionTokens = 0
	if err := sleep(ctx, s.PrefillDelay); err != nil {
		return partial, fmt.Errorf("scripted prefill: %w", err)
	}
	call(s.OnDecode)
	for i, c := range s.Chunks {
		if s.FailAfter > 0 && i == s.FailAfter {
			return partial, s.Err
		}
		if i > 0 {
			if err := sleep(ctx, s.TokenInterval); err != nil {
				return partial, fmt.Errorf("scripted decode: %w", err)
			}
		}
		if err := fn(c); err != nil {
			return partial, err
		}
		partial.CompletionTokens++
	}
	if err := ctx.Err(); err != nil {
		return partial, fmt.Errorf("scripted stream: %w", err)
	}
	return s.Usage, nil
}

func call(f func()) {
	if f != nil {
		f()
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

var _ provider.Provider = (*Scripted)(nil)
