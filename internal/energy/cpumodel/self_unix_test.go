//go:build unix

package cpumodel_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/cpumodel"
)

func TestSelfInfo(t *testing.T) {
	m, err := cpumodel.New(cpumodel.Options{TDPWatts: 65, Cores: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := energy.Info{
		Name:     "cpu-model",
		Source:   energy.Modelled,
		Boundary: "cpu-time of this process (modelled)",
		Domains: []energy.Domain{
			{ID: "cpu", Name: "cpu-time", Boundary: energy.BoundaryCPUTime},
		},
		Resolution:   33, // 32.5 W for 1 µs, rounded
		UpdatePeriod: time.Millisecond,
		Assumptions: []string{
			"P = 65 W TDP / 2 logical CPUs = 32.5 W per busy CPU (32.5 J per CPU-second)",
			"idle CPUs draw nothing in this model; TDP is a design figure, not a measured power, so real power varies with frequency, SMT and load",
			"CPU time of this process (getrusage RUSAGE_SELF: user+system time of all its threads, in microseconds)",
		},
		Description: "modelled, not measured: energy = CPU time of this process × 32.5 W per busy CPU",
	}
	if diff := cmp.Diff(want, m.Info()); diff != "" {
		t.Errorf("Info (-want +got):\n%s", diff)
	}
}

// burn keeps one goroutine busy for d of wall time.
func burn(d time.Duration) {
	x := 1.0
	for end := time.Now().Add(d); time.Now().Before(end); {
		for range 1000 {
			x = x*1.0000001 + 1e-9
		}
	}
	runtime.KeepAlive(x)
}

func TestSelfCountsBurntCPU(t *testing.T) {
	const perCore = 10 * energy.Watt
	m, err := cpumodel.New(cpumodel.Options{TDPWatts: 40, Cores: 4})
	if err != nil {
		t.Fatal(err)
	}
	r0, err := m.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	burn(200 * time.Millisecond)
	wall := time.Since(start)
	r1, err := m.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := r1.Counters[0].Energy - r0.Counters[0].Energy
	// At least a quarter of the wall time on a shared, loaded host; at most
	// every CPU busy for the whole time (the test binary has other
	// goroutines), plus a margin.
	lo := perCore.Over(wall / 4)
	hi := perCore.Over(wall*time.Duration(runtime.NumCPU()) + 50*time.Millisecond)
	if got < lo || got > hi {
		t.Errorf("burning %v of wall time counted %v, want between %v and %v", wall, got, lo, hi)
	}
	t.Logf("burnt %v of wall time: %v modelled at %v per CPU", wall.Round(time.Millisecond), got, perCore)
}
