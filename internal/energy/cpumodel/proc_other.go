//go:build !linux

package cpumodel

import (
	"fmt"
	"runtime"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

func newProcessSource(root string, names []string, pids []int) (source, error) {
	return nil, fmt.Errorf("%w: cpu-model processes target needs Linux /proc, not %s; use the self target", energy.ErrUnavailable, runtime.GOOS)
}

func newMachineSource(root string) (source, error) {
	return nil, fmt.Errorf("%w: cpu-model machine target needs Linux /proc, not %s; use the self target", energy.ErrUnavailable, runtime.GOOS)
}
