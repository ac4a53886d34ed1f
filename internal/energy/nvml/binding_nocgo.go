//go:build !cgo

package nvml

import (
	"errors"
	"fmt"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// Open returns a library that reports NVML unavailable: the binding loads
// libnvidia-ml.so through cgo, and this binary was built without it.
func Open() Library { return nocgo{} }

type nocgo struct{}

var errNoCgo = fmt.Errorf("this energylab was built without cgo (CGO_ENABLED=0), which the NVML binding needs to load libnvidia-ml.so: %w", energy.ErrUnavailable)

func (nocgo) Init() error                    { return errNoCgo }
func (nocgo) Shutdown() error                { return nil }
func (nocgo) DriverVersion() (string, error) { return "", errNoCgo }
func (nocgo) DeviceCount() (int, error)      { return 0, errNoCgo }
func (nocgo) Device(int) (Device, error)     { return nil, errors.Join(errNoCgo) }
