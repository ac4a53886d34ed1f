//go:build !unix

package cpumodel

import (
	"fmt"
	"runtime"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

func newSelfSource() (source, error) {
	return nil, fmt.Errorf("%w: cpu-model self target: getrusage is not available on %s", energy.ErrUnavailable, runtime.GOOS)
}
