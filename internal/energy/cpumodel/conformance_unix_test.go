//go:build unix

package cpumodel_test

import (
	"testing"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/cpumodel"
	"github.com/llm-energy-lab/energylab/internal/energy/metertest"
)

func TestConformanceSelf(t *testing.T) {
	metertest.RunConformance(t, func(t *testing.T) energy.Meter {
		m, err := cpumodel.New(cpumodel.Options{TDPWatts: 65, Cores: 2})
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
}
