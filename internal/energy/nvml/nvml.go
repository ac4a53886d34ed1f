// Package nvml is the GPU meter: each visible NVIDIA GPU's total energy
// counter (nvmlDeviceGetTotalEnergyConsumption, millijoules since the driver
// loaded) read at the run's snapshots. GPUs without that counter fall back to
// power readings integrated by a background poller, and say so. The NVML
// library is loaded at run time through the official go-nvml binding
// (binding_cgo.go); a build without cgo, or a host without the driver,
// reports the meter unavailable. All logic sits behind the small Library and
// Device interfaces so it is tested without a GPU.
package nvml

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// ErrNotSupported is what a device returns for a query its GPU lacks.
var ErrNotSupported = errors.New("not supported by this GPU")

// Library is the part of NVML the meter uses.
type Library interface {
	Init() error
	Shutdown() error
	DriverVersion() (string, error)
	DeviceCount() (int, error)
	Device(index int) (Device, error)
}

// Device is one GPU.
type Device interface {
	Name() (string, error)
	UUID() (string, error)
	// TotalEnergy is the energy since the driver loaded, in millijoules;
	// ErrNotSupported on GPUs older than Volta.
	TotalEnergy() (uint64, error)
	// Power is the current draw in milliwatts.
	Power() (uint32, error)
	// PowerLimit is the enforced limit in milliwatts.
	PowerLimit() (uint32, error)
	// Clocks are the SM and memory clocks in MHz.
	Clocks() (sm, mem uint32, err error)
}

// Options configure a Meter.
type Options struct {
	// Visible is CUDA_VISIBLE_DEVICES: indices or UUIDs (or UUID prefixes),
	// comma-separated; "" means every GPU, and a set but empty value none.
	Visible *string
	// PowerPoll is the power sampling period for GPUs without the energy
	// counter (default 100 ms).
	PowerPoll time.Duration
	// ProbeWindow bounds how long New watches the counter to find its
	// update period (default 300 ms; 0 keeps the default, negative skips).
	ProbeWindow time.Duration
}

// gpu is one metered device.
type gpu struct {
	dev       Device
	id        string
	integrate bool // power integrated instead of the energy counter
	mu        sync.Mutex
	energyUJ  float64 // integrated energy (integrate only)
	lastAt    time.Time
	lastMW    uint32
	pollErr   error
}

// Meter reads the visible GPUs.
type Meter struct {
	lib  Library
	gpus []*gpu
	info energy.Info
	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
}

// New opens the library, selects the visible GPUs and describes them.
func New(lib Library, o Options) (*Meter, error) {
	if lib == nil {
		return nil, fmt.Errorf("nvml: no library: %w", energy.ErrUnavailable)
	}
	if err := lib.Init(); err != nil {
		if errors.Is(err, energy.ErrUnavailable) {
			return nil, fmt.Errorf("nvml: %w", err)
		}
		return nil, fmt.Errorf("nvml: %v (is the NVIDIA driver installed, and libnvidia-ml.so on the library path?): %w", err, energy.ErrUnavailable)
	}
	m := &Meter{lib: lib, stop: make(chan struct{})}
	fail := func(err error) (*Meter, error) {
		lib.Shutdown()
		return nil, err
	}
	n, err := lib.DeviceCount()
	if err != nil {
		return fail(fmt.Errorf("nvml: count devices: %v: %w", err, energy.ErrUnavailable))
	}
	driver, _ := lib.DriverVersion()
	var doms []energy.Domain
	var notes, assumptions []string
	integrated := false
	for i := range n {
		d, err := lib.Device(i)
		if err != nil {
			return fail(fmt.Errorf("nvml: device %d: %v", i, err))
		}
		uuid, _ := d.UUID()
		if !visible(o.Visible, i, uuid) {
			continue
		}
		name, _ := d.Name()
		g := &gpu{dev: d, id: fmt.Sprintf("gpu%d", i)}
		if _, err := d.TotalEnergy(); errors.Is(err, ErrNotSupported) {
			g.integrate = true
			integrated = true
		} else if err != nil {
			return fail(fmt.Errorf("nvml: %s energy counter: %v", g.id, err))
		}
		desc := name
		if uuid != "" {
			desc += " " + uuid
		}
		if lim, err := d.PowerLimit(); err == nil {
			desc += fmt.Sprintf(", power limit %.0f W", float64(lim)/1000)
		}
		if sm, mem, err := d.Clocks(); err == nil {
			desc += fmt.Sprintf(", clocks SM %d MHz, memory %d MHz", sm, mem)
		}
		if g.integrate {
			desc += ", no energy counter: power integrated"
			notes = append(notes, g.id+" has no energy counter (pre-Volta): its energy is its power integrated")
		}
		doms = append(doms, energy.Domain{ID: g.id, Name: desc, Boundary: energy.BoundaryGPU})
		m.gpus = append(m.gpus, g)
	}
	if len(m.gpus) == 0 {
		why := "no NVIDIA GPU found"
		if o.Visible != nil && n > 0 {
			why = fmt.Sprintf("none of the %d GPUs is in CUDA_VISIBLE_DEVICES=%q", n, *o.Visible)
		}
		return fail(fmt.Errorf("nvml: %s: %w", why, energy.ErrUnavailable))
	}
	poll := o.PowerPoll
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	if integrated {
		assumptions = append(assumptions, fmt.Sprintf("GPUs without an energy counter: power sampled every %s and integrated (trapezoids), so windows shorter than a few samples are coarse", poll))
		m.startPolling(poll)
	}
	m.info = energy.Info{Name: "nvml", Source: energy.Measured,
		Boundary:    fmt.Sprintf("gpu (%d board%s)", len(m.gpus), plural(len(m.gpus))),
		Domains:     doms,
		Excluded:    notes,
		Resolution:  energy.Millijoule,
		Assumptions: assumptions,
		Description: "NVIDIA GPU energy counters (nvmlDeviceGetTotalEnergyConsumption, whole board), driver " + driver}
	if integrated {
		m.info.Resolution = energy.Microjoule
	}
	m.info.UpdatePeriod = m.probe(o.ProbeWindow)
	return m, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// visible applies CUDA_VISIBLE_DEVICES: indices, or UUIDs and UUID prefixes
// ("GPU-8a2f"), comma-separated.
func visible(v *string, index int, uuid string) bool {
	if v == nil {
		return true
	}
	for _, f := range strings.Split(*v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if n, err := strconv.Atoi(f); err == nil {
			if n == index {
				return true
			}
			continue
		}
		if uuid != "" && strings.HasPrefix(uuid, f) {
			return true
		}
	}
	return false
}

// probe watches the first counting GPU's energy counter for up to window
// and returns the typical interval between its changes (the counter's
// update period), or a conservative 100 ms when it does not change.
func (m *Meter) probe(window time.Duration) time.Duration {
	if window < 0 {
		return 100 * time.Millisecond
	}
	if window == 0 {
		window = 300 * time.Millisecond
	}
	var g *gpu
	for _, x := range m.gpus {
		if !x.integrate {
			g = x
			break
		}
	}
	if g == nil {
		return 100 * time.Millisecond // the power poll's period bounds it
	}
	var changes []time.Time
	last, _ := g.dev.TotalEnergy()
	end := time.Now().Add(window)
	for time.Now().Before(end) && len(changes) < 6 {
		time.Sleep(time.Millisecond)
		v, err := g.dev.TotalEnergy()
		if err != nil {
			break
		}
		if v != last {
			changes = append(changes, time.Now())
			last = v
		}
	}
	if len(changes) < 2 {
		return max(window, 100*time.Millisecond)
	}
	gaps := make([]time.Duration, 0, len(changes)-1)
	for i := 1; i < len(changes); i++ {
		gaps = append(gaps, changes[i].Sub(changes[i-1]))
	}
	// The median gap: robust to a late sample.
	for i := range gaps {
		for j := i + 1; j < len(gaps); j++ {
			if gaps[j] < gaps[i] {
				gaps[i], gaps[j] = gaps[j], gaps[i]
			}
		}
	}
	return gaps[len(gaps)/2].Round(time.Millisecond)
}

func (m *Meter) startPolling(period time.Duration) {
	now := time.Now()
	for _, g := range m.gpus {
		if g.integrate {
			if mw, err := g.dev.Power(); err == nil {
				g.lastMW, g.lastAt = mw, now
			}
		}
	}
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				for _, g := range m.gpus {
					if g.integrate {
						g.sample()
					}
				}
			}
		}
	}()
}

// sample integrates power since the last sample (trapezoid).
func (g *gpu) sample() {
	mw, err := g.dev.Power()
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if err != nil {
		g.pollErr = err
		return
	}
	if !g.lastAt.IsZero() {
		dt := now.Sub(g.lastAt).Seconds()
		g.energyUJ += (float64(g.lastMW) + float64(mw)) / 2 * dt * 1000 // mW·s = mJ; ×1000 → µJ
	}
	g.lastMW, g.lastAt, g.pollErr = mw, now, nil
}

// Info describes the meter (a copy).
func (m *Meter) Info() energy.Info {
	i := m.info
	i.Domains = append([]energy.Domain(nil), i.Domains...)
	i.Excluded = append([]string(nil), i.Excluded...)
	i.Assumptions = append([]string(nil), i.Assumptions...)
	return i
}

// Read returns each GPU's cumulative energy.
func (m *Meter) Read(ctx context.Context) (energy.Reading, error) {
	if err := ctx.Err(); err != nil {
		return energy.Reading{}, err
	}
	r := energy.Reading{Time: time.Now(), Counters: make([]energy.Counter, len(m.gpus))}
	for i, g := range m.gpus {
		if g.integrate {
			g.sample() // bring the integral up to now
			g.mu.Lock()
			uj, err := g.energyUJ, g.pollErr
			g.mu.Unlock()
			if err != nil {
				return energy.Reading{}, fmt.Errorf("nvml: %s power: %v", g.id, err)
			}
			r.Counters[i] = energy.Counter{Domain: g.id, Energy: energy.Energy(uj)}
			continue
		}
		mj, err := g.dev.TotalEnergy()
		if err != nil {
			return energy.Reading{}, fmt.Errorf("nvml: %s energy counter: %v", g.id, err)
		}
		r.Counters[i] = energy.Counter{Domain: g.id, Energy: energy.Energy(mj) * energy.Millijoule}
	}
	return r, nil
}

// Close stops the power poller and shuts NVML down.
func (m *Meter) Close() error {
	m.once.Do(func() { close(m.stop) })
	m.done.Wait()
	return m.lib.Shutdown()
}
