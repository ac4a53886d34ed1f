// Package load drives a model server at increasing concurrency and reports,
// at each level, throughput, time to first token and inter-token latency
// percentiles, and — with a meter — the energy per output token and per
// request over the level's window: the view ML.ENERGY takes, in which
// batching lowers the energy of each token.
package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/sampler"
	"github.com/llm-energy-lab/energylab/internal/stats"
)

// Config says how hard and how long to drive the server.
type Config struct {
	// Levels are the concurrencies, e.g. 1, 2, 4, 8.
	Levels []int
	// Requests, when positive, is the number of requests per level;
	// otherwise each level runs for Duration.
	Requests int
	Duration time.Duration
	// Meter, when set, measures each level's window.
	Meter        energy.Meter
	PollInterval time.Duration
	// Progress is called after each request.
	Progress func(level, done int)
}

// Percentiles of a latency, in milliseconds; absent (nil) without samples.
type Percentiles struct {
	P50 *float64 `json:"p50"`
	P95 *float64 `json:"p95"`
	P99 *float64 `json:"p99"`
}

// Level is the result of one concurrency.
type Level struct {
	Concurrency  int     `json:"concurrency"`
	Requests     int     `json:"requests"`
	Errors       int     `json:"errors"`
	FirstError   string  `json:"first_error,omitempty"`
	InputTokens  int     `json:"input_tokens"`
	OutputTokens int     `json:"output_tokens"`
	WallS        float64 `json:"wall_s"`
	// Throughput is output tokens per second over the level's window.
	Throughput  float64     `json:"output_tokens_per_s"`
	RequestsPS  float64     `json:"requests_per_s"`
	TTFTMs      Percentiles `json:"ttft_ms"`
	ITLMs       Percentiles `json:"itl_ms"`
	EnergyJ     *float64    `json:"energy_j"`
	MeanPowerW  *float64    `json:"mean_power_w"`
	JPerToken   *float64    `json:"j_per_output_token"`
	JPerRequest *float64    `json:"j_per_request"`
	// EnergyNote says what the energy covers, or why it is absent.
	EnergyNote string `json:"energy_note"`
}

// Run drives p with req at each level in turn.
func Run(ctx context.Context, p provider.Provider, req provider.Request, cfg Config) ([]Level, error) {
	if len(cfg.Levels) == 0 {
		return nil, errors.New("load: no concurrency levels")
	}
	if cfg.Requests <= 0 && cfg.Duration <= 0 {
		return nil, errors.New("load: give a request count or a duration per level")
	}
	var out []Level
	for _, c := range cfg.Levels {
		if c < 1 {
			return out, fmt.Errorf("load: concurrency %d: want at least 1", c)
		}
		l, err := level(ctx, p, req, c, cfg)
		if err != nil {
			return out, err
		}
		out = append(out, l)
		if ctx.Err() != nil {
			return out, nil
		}
	}
	return out, nil
}

type sample struct {
	ttft    time.Duration
	itls    []time.Duration
	in, out int
	err     error
}

func level(ctx context.Context, p provider.Provider, req provider.Request, c int, cfg Config) (Level, error) {
	l := Level{Concurrency: c}
	var smp *sampler.Sampler
	var s0 sampler.Snapshot
	if cfg.Meter != nil {
		smp = sampler.New(cfg.Meter, cfg.PollInterval)
		var err error
		if s0, err = smp.Start(ctx); err != nil {
			return l, fmt.Errorf("load: read the meter: %w", err)
		}
	}
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var (
		mu      sync.Mutex
		samples []sample
		claimed int
		wg      sync.WaitGroup
	)
	claim := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil {
			return false
		}
		if cfg.Requests > 0 {
			if claimed >= cfg.Requests {
				return false
			}
		} else if !time.Now().Before(deadline) {
			return false
		}
		claimed++
		return true
	}
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for claim() {
				s := one(ctx, p, req)
				mu.Lock()
				samples = append(samples, s)
				n := len(samples)
				mu.Unlock()
				if cfg.Progress != nil {
					cfg.Progress(c, n)
				}
			}
		}()
	}
	wg.Wait()
	end := time.Now()
	l.WallS = end.Sub(start).Seconds()
	var ttft, itl []float64
	for _, s := range samples {
		l.Requests++
		if s.err != nil {
			l.Errors++
			if l.FirstError == "" {
				l.FirstError = s.err.Error()
			}
			continue
		}
		l.InputTokens += s.in
		l.OutputTokens += s.out
		ttft = append(ttft, ms(s.ttft))
		for _, d := range s.itls {
			itl = append(itl, ms(d))
		}
	}
	l.Throughput = float64(l.OutputTokens) / l.WallS
	l.RequestsPS = float64(l.Requests-l.Errors) / l.WallS
	l.TTFTMs, l.ITLMs = percentiles(ttft), percentiles(itl)
	if smp == nil {
		l.EnergyNote = "not metered"
		return l, nil
	}
	s1, err := smp.Mark(context.WithoutCancel(ctx), "end")
	tl := smp.Stop()
	if err != nil {
		l.EnergyNote = "the meter could not be read at the end: " + err.Error()
		return l, nil
	}
	e := (s1.Total() - s0.Total()).Joules()
	w := s1.Time.Sub(s0.Time).Seconds()
	info := cfg.Meter.Info()
	l.EnergyNote = fmt.Sprintf("%s (%s), gross over the level's %.1f s window", info.Name, info.Boundary, w)
	if tl.Resets > 0 {
		l.EnergyNote = fmt.Sprintf("absent: a counter went backwards %d times during the level", tl.Resets)
		return l, nil
	}
	l.EnergyJ = &e
	pw := e / w
	l.MeanPowerW = &pw
	if l.OutputTokens > 0 {
		v := e / float64(l.OutputTokens)
		l.JPerToken = &v
	}
	if ok := l.Requests - l.Errors; ok > 0 {
		v := e / float64(ok)
		l.JPerRequest = &v
	}
	return l, nil
}

// one sends one request and times it.
func one(ctx context.Context, p provider.Provider, req provider.Request) sample {
	var s sample
	t0 := time.Now()
	var last time.Time
	chunks := 0
	u, err := p.Stream(ctx, req, func(c provider.Chunk) error {
		if c.Content == "" && c.Thinking == "" {
			return nil
		}
		now := time.Now()
		if last.IsZero() {
			s.ttft = now.Sub(t0)
		} else {
			s.itls = append(s.itls, now.Sub(last))
		}
		last = now
		chunks++
		return nil
	})
	if err != nil {
		s.err = err
		return s
	}
	s.in, s.out = u.PromptTokens, u.CompletionTokens
	if s.out <= 0 {
		s.out = chunks
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func percentiles(xs []float64) Percentiles {
	if len(xs) == 0 {
		return Percentiles{}
	}
	sort.Float64s(xs)
	at := func(q float64) *float64 {
		v := stats.Percentile(xs, q)
		if math.IsNaN(v) {
			return nil
		}
		return &v
	}
	return Percentiles{P50: at(0.5), P95: at(0.95), P99: at(0.99)}
}
