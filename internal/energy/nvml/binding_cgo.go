//go:build cgo

package nvml

import (
	"fmt"

	gonvml "github.com/NVIDIA/go-nvml/pkg/nvml"
)

// Open returns NVML through the official binding, which loads
// libnvidia-ml.so when Init is called.
func Open() Library { return library{} }

type library struct{}

func errOf(r gonvml.Return) error {
	switch r {
	case gonvml.SUCCESS:
		return nil
	case gonvml.ERROR_NOT_SUPPORTED:
		return ErrNotSupported
	}
	return fmt.Errorf("%s", gonvml.ErrorString(r))
}

func (library) Init() error     { return errOf(gonvml.Init()) }
func (library) Shutdown() error { return errOf(gonvml.Shutdown()) }

func (library) DriverVersion() (string, error) {
	v, r := gonvml.SystemGetDriverVersion()
	return v, errOf(r)
}

func (library) DeviceCount() (int, error) {
	n, r := gonvml.DeviceGetCount()
	return n, errOf(r)
}

func (library) Device(i int) (Device, error) {
	d, r := gonvml.DeviceGetHandleByIndex(i)
	if err := errOf(r); err != nil {
		return nil, err
	}
	return device{d}, nil
}

type device struct{ d gonvml.Device }

func (x device) Name() (string, error) {
	v, r := x.d.GetName()
	return v, errOf(r)
}

func (x device) UUID() (string, error) {
	v, r := x.d.GetUUID()
	return v, errOf(r)
}

func (x device) TotalEnergy() (uint64, error) {
	v, r := x.d.GetTotalEnergyConsumption()
	return v, errOf(r)
}

func (x device) Power() (uint32, error) {
	v, r := x.d.GetPowerUsage()
	return v, errOf(r)
}

func (x device) PowerLimit() (uint32, error) {
	v, r := x.d.GetEnforcedPowerLimit()
	return v, errOf(r)
}

func (x device) Clocks() (uint32, uint32, error) {
	sm, r := x.d.GetClockInfo(gonvml.CLOCK_SM)
	if err := errOf(r); err != nil {
		return 0, 0, err
	}
	mem, r := x.d.GetClockInfo(gonvml.CLOCK_MEM)
	return sm, mem, errOf(r)
}
