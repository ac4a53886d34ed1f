package harness_test

import (
	"context"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/cpumodel"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl/rapltest"
	"github.com/llm-energy-lab/energylab/internal/harness"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/builtin"
	"github.com/llm-energy-lab/energylab/internal/sampler"
)

func tinyRequest() provider.Request {
	temp := 0.0
	return provider.Request{Model: "synthetic-tiny", Messages: []provider.Message{{Role: "user", Content: "Why is the sky blue?"}},
		Options: provider.Options{MaxTokens: 64, Temperature: &temp}}
}

func raplMeter(b *testing.B) energy.Meter {
	root := b.TempDir()
	zones := rapltest.TwoSocketServer()
	rapltest.BuildTree(b, root, zones)
	rapltest.Play(b, root, zones, rapltest.PlayerOptions{Power: 50 * energy.Watt, Period: 5 * time.Millisecond,
		Shares: map[string]float64{"intel-rapl:0": 4, "intel-rapl:0:0": 1, "intel-rapl:1": 4, "intel-rapl:1:0": 1}})
	m, err := rapl.New(root, rapl.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func cpuMeter(b *testing.B) energy.Meter {
	m, err := cpumodel.New(cpumodel.Options{TDPWatts: 65, Cores: 2})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkHarnessOverhead runs the same greedy 64-token request on the
// builtin synthetic-tiny model bare (provider.Stream alone) and measured
// (harness.Run: three snapshots, background polling every 250 ms, the
// per-chunk bookkeeping; no idle baseline, which is idle time, not
// overhead), interleaved in one loop in alternating order so that both see
// the same machine.
// It reports measured/bare as overhead-ratio.
func BenchmarkHarnessOverhead(b *testing.B) {
	for _, mc := range []struct {
		name  string
		meter func(*testing.B) energy.Meter
	}{{"rapl", raplMeter}, {"cpu-model", cpuMeter}} {
		b.Run(mc.name, func(b *testing.B) {
			p := builtin.New(builtin.Options{})
			ctx := context.Background()
			req := tinyRequest()
			if err := p.Prepare(ctx, req.Model, req.Options); err != nil {
				b.Fatal(err)
			}
			cfg := harness.Config{Meter: mc.meter(b), PollInterval: harness.DefaultPollInterval}
			var bare, measured time.Duration
			b.ResetTimer()
			runBare := func() {
				t0 := time.Now()
				if _, err := p.Stream(ctx, req, func(provider.Chunk) error { return nil }); err != nil {
					b.Fatal(err)
				}
				bare += time.Since(t0)
			}
			runMeasured := func() {
				t0 := time.Now()
				res, err := harness.Run(ctx, cfg, p, req)
				if err != nil || res.Err != nil {
					b.Fatal(err, res.Err)
				}
				measured += time.Since(t0)
			}
			for i := 0; i < b.N; i++ {
				// Alternate the order so neither side always runs second.
				if i%2 == 0 {
					runBare()
					runMeasured()
				} else {
					runMeasured()
					runBare()
				}
			}
			b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns/run")
			b.ReportMetric(float64(measured.Nanoseconds())/float64(b.N), "measured-ns/run")
			b.ReportMetric(float64(measured)/float64(bare), "overhead-ratio")
		})
	}
}

// BenchmarkSnapshot is the cost of one marked snapshot through the sampler
// (meter read plus wrap unfolding), the operation done at request start,
// first token and end.
func BenchmarkSnapshot(b *testing.B) {
	for _, mc := range []struct {
		name  string
		meter func(*testing.B) energy.Meter
	}{{"rapl-2-sockets", raplMeter}, {"cpu-model-self", cpuMeter}} {
		b.Run(mc.name, func(b *testing.B) {
			s := sampler.New(mc.meter(b), 0)
			ctx := context.Background()
			if _, err := s.Start(ctx); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Mark(ctx, "x"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
