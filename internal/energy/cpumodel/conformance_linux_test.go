//go:build linux

package cpumodel_test

import (
	"os"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/cpumodel"
	"github.com/llm-energy-lab/energylab/internal/energy/metertest"
)

// TestConformanceProc runs the conformance suite on the Linux targets,
// reading this host's /proc: the machine, and the test process's own tree.
func TestConformanceProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	for _, target := range []cpumodel.Target{
		{Kind: cpumodel.Machine},
		{Kind: cpumodel.Processes, PIDs: []int{os.Getpid()}},
	} {
		t.Run(target.Kind.String(), func(t *testing.T) {
			metertest.RunConformance(t, func(t *testing.T) energy.Meter {
				m, err := cpumodel.New(cpumodel.Options{ProcRoot: "/proc", Target: target, TDPWatts: 65, Cores: 2})
				if err != nil {
					t.Fatal(err)
				}
				return m
			})
		})
	}
}
