//go:build linux

package cpumodel_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/energy/cpumodel"
)

// BenchmarkRead measures one snapshot of each target: getrusage for self,
// /proc/stat for the machine, and a scan of every /proc/<pid>/stat for a
// process tree (on this host's /proc, and on a fake one of 500 processes).
func BenchmarkRead(b *testing.B) {
	fake := b.TempDir()
	for pid := 1; pid <= 500; pid++ {
		dir := fmt.Sprintf("%s/%d", fake, pid)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		line := fmt.Sprintf("%d (proc%d) S %d 1 1 0 -1 0 0 0 0 0 %d 3 0 0 20 0 1 0 %d 1 1 1 1 1 0\n", pid, pid, pid/2, pid, pid)
		if err := os.WriteFile(dir+"/stat", []byte(line), 0o444); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name string
		opts cpumodel.Options
	}{
		{"self", cpumodel.Options{}},
		{"machine", cpumodel.Options{ProcRoot: "/proc", Target: cpumodel.Target{Kind: cpumodel.Machine}}},
		{"processes-host-proc", cpumodel.Options{ProcRoot: "/proc", Target: cpumodel.Target{Kind: cpumodel.Processes, PIDs: []int{os.Getpid()}}}},
		{"processes-500", cpumodel.Options{ProcRoot: fake, Target: cpumodel.Target{Kind: cpumodel.Processes, Names: []string{"proc2"}}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.opts.TDPWatts, bc.opts.Cores = 65, 2
			m, err := cpumodel.New(bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Read(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
