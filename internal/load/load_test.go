package load

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/provider"
)

// sleepy answers every request after a fixed prefill, then one token every
// tick: a server with room for every concurrent request, so throughput
// grows with concurrency.
type sleepy struct {
	prefill, tick time.Duration
	tokens        int
	fail          atomic.Int32
}

func (s *sleepy) Name() string                                         { return "sleepy" }
func (s *sleepy) Models(context.Context) ([]provider.ModelInfo, error) { return nil, nil }
func (s *sleepy) Describe(context.Context, string) (provider.ModelInfo, error) {
	return provider.ModelInfo{}, nil
}
func (s *sleepy) Stream(ctx context.Context, _ provider.Request, fn func(provider.Chunk) error) (provider.Usage, error) {
	if s.fail.Add(-1) >= 0 {
		return provider.Usage{}, errors.New("overloaded")
	}
	time.Sleep(s.prefill)
	for range s.tokens {
		if err := fn(provider.Chunk{Content: "x"}); err != nil {
			return provider.Usage{}, err
		}
		time.Sleep(s.tick)
	}
	return provider.Usage{PromptTokens: 10, CompletionTokens: s.tokens}, nil
}

// constMeter is 50 W, read exactly.
type constMeter struct{ start time.Time }

func (m constMeter) Info() energy.Info {
	return energy.Info{Name: "const", Source: energy.Measured, Boundary: "test", Domains: []energy.Domain{{ID: "d"}}, UpdatePeriod: time.Millisecond}
}
func (m constMeter) Read(context.Context) (energy.Reading, error) {
	now := time.Now()
	return energy.Reading{Time: now, Counters: []energy.Counter{{Domain: "d", Energy: energy.Energy(50 * now.Sub(m.start).Seconds() * 1e6)}}}, nil
}

func TestThroughputAndEnergyPerToken(t *testing.T) {
	p := &sleepy{prefill: 20 * time.Millisecond, tick: 2 * time.Millisecond, tokens: 10}
	p.fail.Store(1)
	levels, err := Run(context.Background(), p, provider.Request{Model: "m"}, Config{Levels: []int{1, 2, 4}, Requests: 12,
		Meter: constMeter{start: time.Now()}, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(levels) != 3 || levels[0].Requests != 12 || levels[0].Errors != 1 || levels[0].FirstError != "overloaded" || levels[0].OutputTokens != 110 {
		t.Fatalf("levels %+v", levels)
	}
	for i := 1; i < len(levels); i++ {
		if levels[i].Throughput < 1.3*levels[i-1].Throughput {
			t.Errorf("throughput at %d (%.0f tok/s) is not above %d's (%.0f)", levels[i].Concurrency, levels[i].Throughput, levels[i-1].Concurrency, levels[i-1].Throughput)
		}
		// At constant power, more tokens per second means fewer joules each.
		if *levels[i].JPerToken >= *levels[i-1].JPerToken {
			t.Errorf("J/token did not fall with concurrency: %v then %v", *levels[i-1].JPerToken, *levels[i].JPerToken)
		}
	}
	l := levels[2]
	if l.MeanPowerW == nil || *l.MeanPowerW < 49 || *l.MeanPowerW > 51 || l.TTFTMs.P50 == nil || *l.TTFTMs.P50 < 19 || l.ITLMs.P99 == nil {
		t.Errorf("level 4: %+v", l)
	}
	// Unmetered, by duration.
	levels, err = Run(context.Background(), p, provider.Request{}, Config{Levels: []int{2}, Duration: 150 * time.Millisecond})
	if err != nil || levels[0].EnergyJ != nil || levels[0].EnergyNote != "not metered" || levels[0].Requests < 4 {
		t.Errorf("%v %+v", err, levels)
	}
	if _, err := Run(context.Background(), p, provider.Request{}, Config{Levels: []int{0}, Requests: 1}); err == nil {
		t.Error("concurrency 0 accepted")
	}
}
