package rapltest_test

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl/rapltest"
)

// TestAccumulatorRecoversPlayedEnergy plays an idle, a busy and a medium
// phase into a two-socket tree in which the package-0 counter starts 3 J
// before its wrap and the dram counter of socket 0 has a 40 J range and
// starts 1 J before it (both wrap once), reads it through rapl.Meter every
// 2 ms, and checks that energy.Accumulator recovers the energy played, in
// total and per zone, within 1%.
//
// The ranges are large enough that a reader stalled for seconds on a loaded
// host still sees every wrap (energy.SafeInterval of 40 J at the dram's
// 6.5 W peak is 6 s); a shorter range would make the test flaky there, not
// the code wrong.
func TestAccumulatorRecoversPlayedEnergy(t *testing.T) {
	root := t.TempDir()
	zones := rapltest.TwoSocketServer()
	zones[0].Energy = zones[0].Max - 3*energy.Joule
	zones[1].Energy, zones[1].Max = 39*energy.Joule, 40*energy.Joule
	rapltest.BuildTree(t, root, zones)
	p := rapltest.Play(t, root, zones, rapltest.PlayerOptions{
		Power: 20 * energy.Watt,
		Shares: map[string]float64{
			"intel-rapl:0": 0.4, "intel-rapl:0:0": 0.1,
			"intel-rapl:1": 0.4, "intel-rapl:1:0": 0.1,
		},
	})
	m, err := rapl.New(root, rapl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	acc := energy.NewAccumulator(m.Info().Domains)
	var maxGap time.Duration
	read := func() {
		t.Helper()
		r, err := m.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if last := acc.LastTime(); !last.IsZero() {
			maxGap = max(maxGap, r.Time.Sub(last))
		}
		acc.Add(r)
	}

	from := p.Pause() // the first reading reflects exactly this instant
	read()
	p.Resume()
	for _, phase := range []struct {
		power energy.Power
		d     time.Duration
	}{
		{20 * energy.Watt, 200 * time.Millisecond},
		{65 * energy.Watt, 300 * time.Millisecond},
		{45 * energy.Watt, 200 * time.Millisecond},
	} {
		end := p.SetPower(phase.power).Add(phase.d)
		for time.Now().Before(end) {
			time.Sleep(2 * time.Millisecond)
			read()
		}
	}
	to := p.Pause()
	read()
	p.Resume()

	totals := acc.Totals()
	var measured energy.Energy
	for _, id := range []string{"intel-rapl:0", "intel-rapl:0:0", "intel-rapl:1", "intel-rapl:1:0"} {
		truth := p.TruthZone(id, from, to)
		measured += totals[id]
		if !within(totals[id], truth, 0.01) {
			t.Errorf("%s: accumulated %v, played %v", id, totals[id], truth)
		}
	}
	truth := p.Truth(from, to)
	if !within(measured, truth, 0.01) {
		t.Errorf("total: accumulated %v, played %v", measured, truth)
	}
	if acc.Wraps() != 2 {
		t.Errorf("saw %d wraps, want 2 (package-0 and its dram)", acc.Wraps())
	}
	if acc.Resets() != 0 {
		t.Errorf("saw %d counter resets, want none", acc.Resets())
	}
	t.Logf("played %v over %v, accumulated %v, %d wraps, longest gap between reads %v",
		truth, to.Sub(from).Round(time.Millisecond), measured, acc.Wraps(), maxGap.Round(time.Millisecond))
}

func within(got, want energy.Energy, rel float64) bool {
	return math.Abs(float64(got-want)) <= rel*math.Abs(float64(want))
}

func TestTruthIntegratesTheProfile(t *testing.T) {
	root := t.TempDir()
	zones := []rapltest.Zone{{ID: "intel-rapl:0", Name: "package-0", Max: rapltest.ServerMax}}
	rapltest.BuildTree(t, root, zones)
	p := rapltest.Play(t, root, zones, rapltest.PlayerOptions{
		Power:  10 * energy.Watt,
		Shares: map[string]float64{"intel-rapl:0": 1},
		Period: time.Hour, // only Pause writes
	})
	a := p.SetPower(30 * energy.Watt)
	time.Sleep(5 * time.Millisecond)
	b := p.SetPower(0)
	time.Sleep(2 * time.Millisecond)
	c := p.SetPower(20 * energy.Watt)
	time.Sleep(3 * time.Millisecond)
	d := time.Now()

	want := (30 * energy.Watt).Over(b.Sub(a)) + (20 * energy.Watt).Over(d.Sub(c))
	if got := p.Truth(a, d); absDiff(got, want) > 2 {
		t.Errorf("Truth over three segments = %d µJ, want %d", got, want)
	}
	if got := p.Truth(b, c); got != 0 {
		t.Errorf("Truth over the zero-power segment = %d µJ, want 0", got)
	}
	mid := a.Add(b.Sub(a) / 2)
	if sum, whole := p.Truth(a, mid)+p.Truth(mid, d), p.Truth(a, d); absDiff(sum, whole) > 1 {
		t.Errorf("Truth is not additive: %d + ... = %d, whole %d", p.Truth(a, mid), sum, whole)
	}
	if got := p.Truth(a.Add(-time.Hour), a.Add(-time.Minute)); got != 0 {
		t.Errorf("Truth before play = %d, want 0", got)
	}
	if got, want := p.TruthZones(a, d)["intel-rapl:0"], p.Truth(a, d); got != want {
		t.Errorf("the only zone got %d µJ of %d", got, want)
	}
	at, power := p.Switches()
	if len(at) != 4 || power[1] != 30*energy.Watt || !at[1].Equal(a) {
		t.Errorf("Switches = %v, %v", at, power)
	}
}

func absDiff(a, b energy.Energy) energy.Energy {
	if a > b {
		return a - b
	}
	return b - a
}

// TestPlayerWrapsLikeTheKernel checks that a counter runs from 0 to Max
// inclusive: modulo Max+1.
func TestPlayerWrapsLikeTheKernel(t *testing.T) {
	root := t.TempDir()
	zones := []rapltest.Zone{{ID: "intel-rapl:0", Name: "package-0", Energy: 999_000, Max: 1_000_000}}
	rapltest.BuildTree(t, root, zones)
	p := rapltest.Play(t, root, zones, rapltest.PlayerOptions{
		Power:  100 * energy.Watt, // 1 J, one whole range, per 10 ms
		Shares: map[string]float64{"intel-rapl:0": 1},
		Period: time.Hour,
	})
	path := filepath.Join(rapltest.ZoneDir(root, "intel-rapl:0"), "energy_uj")
	start, _ := p.Switches()
	for range 20 {
		at := p.Pause()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		played := int64(math.Floor(float64(100*energy.Watt) * at.Sub(start[0]).Seconds()))
		if want := (999_000 + played) % 1_000_001; got != want {
			t.Errorf("energy_uj = %d after %d µJ played, want %d", got, played, want)
		}
		if got < 0 || got > 1_000_000 {
			t.Errorf("energy_uj = %d, outside 0..max", got)
		}
		p.Resume()
		time.Sleep(time.Millisecond)
	}
}

func TestBuildTreeLayout(t *testing.T) {
	root := t.TempDir()
	rapltest.BuildTree(t, root, rapltest.ClientLaptop())
	links := map[string]string{
		"intel-rapl":        "../../devices/virtual/powercap/intel-rapl",
		"intel-rapl:0":      "../../devices/virtual/powercap/intel-rapl/intel-rapl:0",
		"intel-rapl:0:2":    "../../devices/virtual/powercap/intel-rapl/intel-rapl:0/intel-rapl:0:2",
		"intel-rapl:1":      "../../devices/virtual/powercap/intel-rapl/intel-rapl:1",
		"intel-rapl-mmio:0": "../../devices/virtual/powercap/intel-rapl-mmio/intel-rapl-mmio:0",
	}
	for name, want := range links {
		got, err := os.Readlink(filepath.Join(root, "class", "powercap", name))
		if err != nil || got != want {
			t.Errorf("class/powercap/%s -> %q, %v; want -> %q", name, got, err, want)
		}
	}
	for _, f := range []string{
		"class/powercap/intel-rapl/enabled",
		"class/powercap/intel-rapl:0:2/name",
		"class/powercap/intel-rapl:0:2/energy_uj",
		"class/powercap/intel-rapl:0:2/max_energy_range_uj",
		"class/powercap/intel-rapl:0:2/enabled",
		"devices/virtual/powercap/intel-rapl/intel-rapl:0/intel-rapl:0:2/name",
	} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Error(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "class/powercap/intel-rapl:0:2/name"))
	if err != nil || string(b) != "dram\n" {
		t.Errorf("name = %q, %v", b, err)
	}
}

func TestMaxStalenessSeesAPause(t *testing.T) {
	root := t.TempDir()
	zones := rapltest.TwoSocketServer()
	rapltest.BuildTree(t, root, zones)
	p := rapltest.Play(t, root, zones, rapltest.PlayerOptions{Power: 10 * energy.Watt, Shares: map[string]float64{"intel-rapl:0": 1}})
	start := time.Now()
	time.Sleep(30 * time.Millisecond)
	p.Pause()
	time.Sleep(120 * time.Millisecond)
	p.Resume()
	time.Sleep(30 * time.Millisecond)
	if got := p.MaxStaleness(start, time.Now()); got < 120*time.Millisecond || got > 2*time.Second {
		t.Errorf("MaxStaleness over a 120 ms pause = %s", got)
	}
}
