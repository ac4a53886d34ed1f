package rapl_test

import (
	"testing"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/metertest"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl/rapltest"
)

// TestConformance runs the meter conformance suite on a two-socket tree
// while a player draws 50 W into it. The dram zone of socket 0 is given a
// 50 mJ range, which its 5 W share covers every 10 ms, so the suite's
// consecutive reads see it wrap.
func TestConformance(t *testing.T) {
	metertest.RunConformance(t, func(t *testing.T) energy.Meter {
		root := t.TempDir()
		zones := rapltest.TwoSocketServer()
		zones[1].Energy, zones[1].Max = 0, 50*energy.Millijoule
		rapltest.BuildTree(t, root, zones)
		rapltest.Play(t, root, zones, rapltest.PlayerOptions{
			Power: 50 * energy.Watt,
			Shares: map[string]float64{
				"intel-rapl:0": 0.4, "intel-rapl:0:0": 0.1,
				"intel-rapl:1": 0.4, "intel-rapl:1:0": 0.1,
			},
		})
		m, err := rapl.New(root, rapl.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
}

// TestConformancePsys runs the suite on the psys zone of a laptop tree.
func TestConformancePsys(t *testing.T) {
	metertest.RunConformance(t, func(t *testing.T) energy.Meter {
		root := t.TempDir()
		zones := rapltest.ClientLaptop()
		rapltest.BuildTree(t, root, zones)
		rapltest.Play(t, root, zones, rapltest.PlayerOptions{
			Power:  15 * energy.Watt,
			Shares: map[string]float64{"intel-rapl:1": 1},
		})
		m, err := rapl.New(root, rapl.Options{Domains: rapl.Psys})
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
}
