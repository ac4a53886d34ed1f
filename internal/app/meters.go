package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/llm-energy-lab/energylab/internal/config"
	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/cpumodel"
	"github.com/llm-energy-lab/energylab/internal/energy/nvml"
	"github.com/llm-energy-lab/energylab/internal/energy/prom"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl"
)

// meterChoice is the meter a run uses and why.
type meterChoice struct {
	meter energy.Meter
	// note says why this meter (or none) was chosen.
	note string
	// fallback is set when a better meter was wanted but unavailable; it is
	// a warning the user must see.
	fallback string
	// key identifies the measured boundary for baseline reuse.
	key string
}

func cores(cfg config.Config) int {
	if cfg.CPUModel.Cores > 0 {
		return cfg.CPUModel.Cores
	}
	return runtime.NumCPU()
}

func newRAPL(cfg config.Config) (*rapl.Meter, error) {
	return rapl.New(cfg.SysfsRoot, rapl.Options{Domains: cfg.RAPLDomains})
}

func newCPUModel(cfg config.Config, t cpumodel.Target) (*cpumodel.Meter, error) {
	return cpumodel.New(cpumodel.Options{ProcRoot: cfg.ProcRoot, Target: t, TDPWatts: cfg.CPUModel.TDPWatts, Cores: cores(cfg)})
}

// chooseMeter picks the meter for a run on b. RAPL is preferred; where this
// host has none, the modelled cpu-model meter is used and the record says
// so. An explicitly requested meter that cannot be read is an error, as is
// a powercap tree the user pointed at (--sysfs) that is broken.
func chooseMeter(cfg config.Config, b *backend) (meterChoice, error) {
	if cfg.Meter == "prometheus" {
		// An exporter on the host that serves the model: the one meter
		// that can see a remote server's hardware.
		m, err := prom.New(context.Background(), prom.Options{URL: cfg.Prometheus.URL, Preset: cfg.Prometheus.Preset, Selector: cfg.Prometheus.Selector})
		if err != nil {
			return meterChoice{}, hinted{err, "energylab meters -meter prometheus -prom-url ... -prom-preset ... (checks the exporter)"}
		}
		return meterChoice{meter: m, note: "prometheus requested: " + m.Info().Boundary, key: key(m.Info())}, nil
	}
	if cfg.Meter == "promql" {
		m, err := prom.NewQuery(context.Background(), prom.QueryOptions{Server: cfg.Prometheus.Server, Preset: cfg.Prometheus.Preset, Selector: cfg.Prometheus.Selector})
		if err != nil {
			return meterChoice{}, hinted{err, "check the server URL, the preset and the selector against the server's /graph page"}
		}
		return meterChoice{meter: m, note: "promql requested: " + m.Info().Boundary, key: key(m.Info())}, nil
	}
	if !b.local {
		return meterChoice{note: fmt.Sprintf("%s runs on another machine (%s): this host's meters cannot see its hardware", b.p.Name(), b.endpoint)}, nil
	}
	switch cfg.Meter {
	case "none":
		return meterChoice{note: "metering disabled (--meter none)"}, nil
	case "nvml":
		g, err := gpuMeter()
		if err != nil {
			return meterChoice{}, hinted{err, "energylab meters (lists what this host can measure)"}
		}
		return meterChoice{meter: g, note: "nvml requested: " + g.Info().Boundary, key: key(g.Info())}, nil
	case "rapl":
		m, err := newRAPL(cfg)
		if err != nil {
			return meterChoice{}, hinted{fmt.Errorf("rapl meter: %w", err), "energylab meters (lists what this host can measure)"}
		}
		return meterChoice{meter: m, note: "rapl requested", key: key(m.Info())}, nil
	case "cpu-model":
		return cpuModelChoice(cfg, b, "cpu-model requested")
	}
	m, err := newRAPL(cfg)
	if err == nil {
		return withGPU(b, meterChoice{meter: m, note: "rapl: hardware energy counters found", key: key(m.Info())}), nil
	}
	if errors.Is(err, rapl.ErrMalformed) || (cfg.SysfsRoot != "/sys" && !isAbsent(err)) {
		return meterChoice{}, hinted{fmt.Errorf("rapl meter: %w", err), "fix the powercap tree, or choose another meter with --meter cpu-model"}
	}
	c, cerr := cpuModelChoice(cfg, b, "")
	if cerr != nil {
		return meterChoice{}, fmt.Errorf("no meter available: rapl: %v; cpu-model: %w", err, cerr)
	}
	if isAbsent(err) {
		c.note = "no RAPL counters on this host (" + err.Error() + "): energy is modelled from CPU time"
	} else {
		c.fallback = "RAPL is present but cannot be read, so energy is modelled instead of measured: " + err.Error()
		c.note = c.fallback
	}
	return withGPU(b, c), nil
}

// The GPU meter is opened once per process: NVML's initialisation and the
// probe of its counter's update period are not repeated per run.
var (
	gpuOnce  sync.Once
	gpuM     *nvml.Meter
	gpuErr   error
	openNVML = func() (*nvml.Meter, error) {
		o := nvml.Options{}
		if v, ok := os.LookupEnv("CUDA_VISIBLE_DEVICES"); ok {
			o.Visible = &v
		}
		return nvml.New(nvml.Open(), o)
	}
)

func gpuMeter() (*nvml.Meter, error) {
	gpuOnce.Do(func() { gpuM, gpuErr = openNVML() })
	return gpuM, gpuErr
}

// withGPU adds the GPUs to auto's choice for a local server that may use
// them (Ollama, vLLM, llama.cpp); the embedded engine runs on the CPU only.
func withGPU(b *backend, c meterChoice) meterChoice {
	if b.p.Name() == "builtin" || c.meter == nil {
		return c
	}
	g, err := gpuMeter()
	if err != nil {
		return c
	}
	m, err := energy.Combine(c.meter, g)
	if err != nil {
		return c
	}
	c.meter, c.key = m, key(m.Info())
	c.note += "; plus the GPUs (nvml): " + g.Info().Boundary
	return c
}

// isAbsent reports whether a rapl error means the host has no RAPL at all
// (as opposed to RAPL it cannot read).
func isAbsent(err error) bool {
	return errors.Is(err, rapl.ErrNoZones)
}

func cpuModelChoice(cfg config.Config, b *backend, why string) (meterChoice, error) {
	m, err := newCPUModel(cfg, b.target)
	desc := b.targetDesc
	if err != nil && b.target.Kind == cpumodel.Processes {
		// The server's processes were not found (another user's, or a
		// container): model the whole machine instead and say so.
		m, err = newCPUModel(cfg, cpumodel.Target{Kind: cpumodel.Machine})
		desc = "the whole machine (" + b.targetDesc + " was not found)"
	}
	if err != nil {
		return meterChoice{}, hinted{fmt.Errorf("cpu-model meter: %w", err), "energylab meters"}
	}
	note := why
	if note == "" {
		note = "modelled from CPU time"
	}
	return meterChoice{meter: m, note: note + "; CPU time of " + desc, key: key(m.Info()) + "|" + desc}, nil
}

// key identifies what a meter measures, for baseline reuse.
func key(info energy.Info) string {
	k := info.Name + "|" + info.Boundary
	for _, d := range info.Domains {
		k += "|" + d.ID
	}
	for _, a := range info.Assumptions {
		k += "|" + a
	}
	return k
}
