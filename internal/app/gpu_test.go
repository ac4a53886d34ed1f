package app

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/nvml"
	"github.com/llm-energy-lab/energylab/internal/lab"
)

// scriptedGPU is one GPU whose energy counter advances at a fixed power.
type scriptedGPU struct {
	watts float64
	start time.Time
}

func (g scriptedGPU) Name() (string, error)           { return "NVIDIA H200", nil }
func (g scriptedGPU) UUID() (string, error)           { return "GPU-test-0001", nil }
func (g scriptedGPU) Power() (uint32, error)          { return uint32(g.watts * 1000), nil }
func (g scriptedGPU) PowerLimit() (uint32, error)     { return 700000, nil }
func (g scriptedGPU) Clocks() (uint32, uint32, error) { return 1980, 2619, nil }
func (g scriptedGPU) TotalEnergy() (uint64, error) {
	return uint64(g.watts * time.Since(g.start).Seconds() * 1000), nil
}

type scriptedNVML struct{ gpu scriptedGPU }

func (l scriptedNVML) Init() error                     { return nil }
func (l scriptedNVML) Shutdown() error                 { return nil }
func (l scriptedNVML) DriverVersion() (string, error)  { return "570.86.15", nil }
func (l scriptedNVML) DeviceCount() (int, error)       { return 1, nil }
func (l scriptedNVML) Device(int) (nvml.Device, error) { return l.gpu, nil }

// withScriptedGPU makes this process's GPU meter a scripted 200 W board.
func withScriptedGPU(t *testing.T, watts float64) {
	old := openNVML
	openNVML = func() (*nvml.Meter, error) {
		return nvml.New(scriptedNVML{scriptedGPU{watts: watts, start: time.Now()}}, nvml.Options{ProbeWindow: 20 * time.Millisecond})
	}
	gpuOnce, gpuM, gpuErr = sync.Once{}, nil, nil
	t.Cleanup(func() {
		if gpuM != nil {
			gpuM.Close()
		}
		openNVML, gpuOnce, gpuM, gpuErr = old, sync.Once{}, nil, nil
	})
}

// TestAutoMetersCPUAndGPU: a local server is metered on the CPU package and
// DRAM (RAPL) and on the GPU (NVML), each domain apart and summed; the
// embedded engine, which runs on the CPU, is not given the GPU.
func TestAutoMetersCPUAndGPU(t *testing.T) {
	withScriptedGPU(t, 200)
	p := &programme{prefillBase: 50 * time.Millisecond, perToken: 0, tokenTime: 10 * time.Millisecond, rng: rand.New(rand.NewPCG(1, 1))}
	srv := p.serve(t)
	home, root := t.TempDir(), poweredTree(t)
	out, errs, code := runMain(t, home, "run", "-json", "-model", "openai/prog", "-openai-base-url", srv.URL+"/v1", "-sysfs", root,
		"-baseline", "0", "-poll-interval", "20ms", "-max-tokens", "10", "hello")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var rec lab.Record
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Energy.Meter != "rapl+nvml" || rec.Energy.Source != energy.Measured || len(rec.Energy.Domains) != 5 || !strings.Contains(rec.Energy.Boundary, "gpu") {
		t.Fatalf("energy %+v", rec.Energy)
	}
	var gpu *lab.DomainEnergy
	for i, d := range rec.Energy.Domains {
		if d.Boundary == energy.BoundaryGPU {
			gpu = &rec.Energy.Domains[i]
		}
	}
	want := 200 * rec.Timing.TotalMs / 1000 / 3600
	if gpu == nil || gpu.TotalWh == nil || math.Abs(*gpu.TotalWh-want) > 0.1*want {
		t.Errorf("GPU domain %+v, want about %.6f Wh", gpu, want)
	}
	// The total is the CPU tree's 30 W plus the GPU's 200 W.
	if total := 230 * rec.Timing.TotalMs / 1000 / 3600; math.Abs(*rec.Energy.TotalWh-total) > 0.1*total {
		t.Errorf("total %.6f Wh, want about %.6f", *rec.Energy.TotalWh, total)
	}
	out, errs, code = runMain(t, home, "run", "-json", "-sysfs", root, "-baseline", "0", "-max-tokens", "4", "-cache-dir", synthCache, "hello")
	if code != 0 {
		t.Fatalf("builtin: exit %d\n%s", code, errs)
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil || rec.Energy.Meter != "rapl" {
		t.Errorf("the embedded engine is metered with %q", rec.Energy.Meter)
	}
	out, errs, code = runMain(t, home, "meters", "-json")
	if code != 0 || !strings.Contains(out, `"name": "nvml"`) || !strings.Contains(out, "NVIDIA H200") {
		t.Errorf("meters: %d %s %s", code, out, errs)
	}
}
