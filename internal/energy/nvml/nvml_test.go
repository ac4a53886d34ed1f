package nvml

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/metertest"
	"github.com/llm-energy-lab/energylab/internal/harness"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/providertest"
)

// fakeGPU plays a constant power into an energy counter that the "driver"
// refreshes every period (as NVML's does, tens of milliseconds apart).
type fakeGPU struct {
	name, uuid string
	watts      float64
	period     time.Duration
	start      time.Time
	noCounter  bool // pre-Volta: no energy counter, power only
	mu         sync.Mutex
	powerErr   error
}

func (g *fakeGPU) Name() (string, error) { return g.name, nil }
func (g *fakeGPU) UUID() (string, error) { return g.uuid, nil }

func (g *fakeGPU) TotalEnergy() (uint64, error) {
	if g.noCounter {
		return 0, ErrNotSupported
	}
	el := time.Since(g.start)
	el -= el % g.period // the counter moves once per period
	return uint64(5e6 + g.watts*el.Seconds()*1000), nil
}

func (g *fakeGPU) Power() (uint32, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return uint32(g.watts * 1000), g.powerErr
}

func (g *fakeGPU) PowerLimit() (uint32, error)     { return 700000, nil }
func (g *fakeGPU) Clocks() (uint32, uint32, error) { return 1980, 2619, nil }

type fakeLib struct {
	gpus    []*fakeGPU
	initErr error
	shut    int
}

func (l *fakeLib) Init() error                    { return l.initErr }
func (l *fakeLib) Shutdown() error                { l.shut++; return nil }
func (l *fakeLib) DriverVersion() (string, error) { return "570.86.15", nil }
func (l *fakeLib) DeviceCount() (int, error)      { return len(l.gpus), nil }
func (l *fakeLib) Device(i int) (Device, error)   { return l.gpus[i], nil }

func twoGPUs(period time.Duration) *fakeLib {
	now := time.Now()
	return &fakeLib{gpus: []*fakeGPU{
		{name: "NVIDIA H200", uuid: "GPU-aaaa1111", watts: 300, period: period, start: now},
		{name: "NVIDIA H200", uuid: "GPU-bbbb2222", watts: 100, period: period, start: now},
	}}
}

func sp(s string) *string { return &s }

func TestMeterReadsEveryVisibleGPU(t *testing.T) {
	lib := twoGPUs(20 * time.Millisecond)
	m, err := New(lib, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	info := m.Info()
	if len(info.Domains) != 2 || info.Domains[1].Boundary != energy.BoundaryGPU || !strings.Contains(info.Domains[0].Name, "power limit 700 W") ||
		!strings.Contains(info.Description, "570.86.15") || info.Source != energy.Measured {
		t.Fatalf("info %+v", info)
	}
	if p := info.UpdatePeriod; p < 15*time.Millisecond || p > 30*time.Millisecond {
		t.Errorf("update period detected as %s, the counter moves every 20 ms", p)
	}
	acc := energy.NewAccumulator(info.Domains)
	r0, _ := m.Read(context.Background())
	acc.Add(r0)
	time.Sleep(400 * time.Millisecond)
	r1, err := m.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	acc.Add(r1)
	tot := acc.Totals()
	dt := r1.Time.Sub(r0.Time).Seconds()
	// Each reading can lag its instant by up to one counter period.
	for id, w := range map[string]float64{"gpu0": 300, "gpu1": 100} {
		got, want := tot[id].Joules(), w*dt
		if math.Abs(got-want) > w*0.02+0.01*want {
			t.Errorf("%s: %.2f J over %.3f s, want %.2f J", id, got, dt, want)
		}
	}
	if err := m.Close(); err != nil || lib.shut != 1 {
		t.Errorf("close: %v, shutdowns %d", err, lib.shut)
	}
}

func TestCUDAVisibleDevices(t *testing.T) {
	for _, c := range []struct {
		env  string
		want []string
	}{
		{"1", []string{"gpu1"}},
		{"GPU-bbbb", []string{"gpu1"}},
		{"0, GPU-bbbb2222", []string{"gpu0", "gpu1"}},
		{"7", nil},
		{"", nil},
	} {
		m, err := New(twoGPUs(time.Millisecond), Options{Visible: sp(c.env), ProbeWindow: -1})
		if c.want == nil {
			if !errors.Is(err, energy.ErrUnavailable) || !strings.Contains(err.Error(), "CUDA_VISIBLE_DEVICES") {
				t.Errorf("%q: %v", c.env, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", c.env, err)
		}
		var ids []string
		for _, d := range m.Info().Domains {
			ids = append(ids, d.ID)
		}
		if strings.Join(ids, ",") != strings.Join(c.want, ",") {
			t.Errorf("CUDA_VISIBLE_DEVICES=%q kept %v, want %v", c.env, ids, c.want)
		}
		m.Close()
	}
}

func TestUnavailable(t *testing.T) {
	if _, err := New(&fakeLib{initErr: errors.New("ERROR_LIBRARY_NOT_FOUND")}, Options{}); !errors.Is(err, energy.ErrUnavailable) || !strings.Contains(err.Error(), "libnvidia-ml.so") {
		t.Errorf("no driver: %v", err)
	}
	if _, err := New(&fakeLib{}, Options{}); !errors.Is(err, energy.ErrUnavailable) || !strings.Contains(err.Error(), "no NVIDIA GPU") {
		t.Errorf("no GPU: %v", err)
	}
	// The real binding: no driver on this machine, or no cgo.
	if m, err := New(Open(), Options{ProbeWindow: -1}); err == nil {
		t.Logf("an NVIDIA GPU is present: %+v", m.Info())
		m.Close()
	} else if !errors.Is(err, energy.ErrUnavailable) {
		t.Errorf("real binding without a GPU: %v", err)
	}
}

func TestPowerIntegrationWithoutACounter(t *testing.T) {
	lib := &fakeLib{gpus: []*fakeGPU{{name: "Tesla P100", uuid: "GPU-old", watts: 50, noCounter: true, start: time.Now()}}}
	m, err := New(lib, Options{PowerPoll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	info := m.Info()
	if len(info.Assumptions) == 0 || !strings.Contains(info.Assumptions[0], "integrated") || !strings.Contains(info.Domains[0].Name, "power integrated") {
		t.Errorf("the fallback is not stated: %+v", info)
	}
	r0, _ := m.Read(context.Background())
	time.Sleep(300 * time.Millisecond)
	r1, err := m.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := (r1.Counters[0].Energy - r0.Counters[0].Energy).Joules()
	want := 50 * r1.Time.Sub(r0.Time).Seconds()
	if math.Abs(got-want) > 0.05*want {
		t.Errorf("integrated %.3f J, want %.3f J", got, want)
	}
	lib.gpus[0].mu.Lock()
	lib.gpus[0].powerErr = errors.New("GPU is lost")
	lib.gpus[0].mu.Unlock()
	if _, err := m.Read(context.Background()); err == nil || !strings.Contains(err.Error(), "GPU is lost") {
		t.Errorf("a failing power reading: %v", err)
	}
}

func TestConformance(t *testing.T) {
	metertest.RunConformance(t, func(t *testing.T) energy.Meter {
		m, err := New(twoGPUs(time.Millisecond), Options{ProbeWindow: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	})
}

// TestShortWindowIsFlagged: a counter that moves every 200 ms cannot
// measure a 60 ms run; the meter says so through its update period and the
// run carries the flag.
func TestShortWindowIsFlagged(t *testing.T) {
	m, err := New(twoGPUs(200*time.Millisecond), Options{ProbeWindow: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if p := m.Info().UpdatePeriod; p < 150*time.Millisecond {
		t.Fatalf("update period %s for a counter that did not move within the probe", p)
	}
	p := &providertest.Scripted{Info: provider.ModelInfo{Name: "scripted/m", Provider: "scripted", Model: "m"},
		Chunks: []provider.Chunk{{Content: "a"}, {Content: "b"}}, PrefillDelay: 20 * time.Millisecond, TokenInterval: 20 * time.Millisecond,
		Usage: provider.Usage{PromptTokens: 5, CompletionTokens: 2}}
	res, err := harness.Run(context.Background(), harness.Config{Meter: m, PollInterval: 10 * time.Millisecond}, p,
		provider.Request{Model: "m", Messages: []provider.Message{{Role: "user", Content: "hi"}}})
	if err != nil {
		t.Fatal(err)
	}
	rec := harness.Compute(res, harness.Inputs{Model: p.Info, PUE: 1})
	flagged := false
	for _, f := range rec.Flags {
		flagged = flagged || f.Code == lab.FlagShortWindow
	}
	if !flagged {
		t.Errorf("a %v ms run on a 200 ms counter is not flagged: %+v", rec.Timing.TotalMs, rec.Flags)
	}
}
