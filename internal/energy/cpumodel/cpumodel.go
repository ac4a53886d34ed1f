package cpumodel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// TargetKind says whose CPU time a Meter models.
type TargetKind int

// Kinds of Target.
const (
	// Self is this process: user plus system time of all its threads, from
	// getrusage(RUSAGE_SELF). It works on every Unix, including macOS.
	Self TargetKind = iota
	// Processes is a process tree (Linux): the processes whose name (comm)
	// is one of Target.Names or whose PID is one of Target.PIDs, plus all
	// their descendants, from <proc>/<pid>/stat utime+stime.
	Processes
	// Machine is every CPU of the host (Linux): busy time from <proc>/stat.
	Machine
)

// String returns the kind's lower-case name.
func (k TargetKind) String() string {
	switch k {
	case Self:
		return "self"
	case Processes:
		return "processes"
	case Machine:
		return "machine"
	default:
		return "TargetKind(" + strconv.Itoa(int(k)) + ")"
	}
}

// Target says whose CPU time to model. The zero value is Self.
type Target struct {
	Kind TargetKind
	// Names are process names matched against comm, the executable name
	// the kernel truncates to 15 bytes; longer names are truncated the same
	// way before comparing ("ollama_llama_server" matches
	// "ollama_llama_se"). Processes only.
	Names []string
	// PIDs are process IDs to include with their descendants. Processes
	// only.
	PIDs []int
}

// Options configures a Meter.
type Options struct {
	// ProcRoot is where procfs is mounted (normally /proc; the caller
	// chooses). Needed for the Processes and Machine targets.
	ProcRoot string
	// Target is whose CPU time is modelled.
	Target Target
	// TDPWatts is the processor's thermal design power in watts, the
	// assumed power of all its CPUs busy at once. It must be positive.
	TDPWatts float64
	// Cores is the number of logical CPUs the TDP is shared between. It
	// must be positive.
	Cores int
}

// userHZ is the unit of the tick counts in /proc (USER_HZ): 100 per second
// on every Linux architecture the lab supports.
const userHZ = 100

// tick is the duration of one USER_HZ clock tick.
const tick = time.Second / userHZ

// source reports a target's cumulative CPU time. Successive values may go
// backwards (a kernel accounting glitch); the Meter keeps only increments.
type source interface {
	cpuTime(ctx context.Context) (time.Duration, error)
}

// Meter models the energy of a target's CPU time as
// CPU time × TDPWatts / Cores. Its one domain ("cpu") counts modelled
// microjoules since the meter was created; the counter never wraps
// (MaxEnergy 0) and never goes backwards. A Meter is safe for concurrent use.
type Meter struct {
	info    energy.Info
	perCore energy.Power
	src     source

	mu    sync.Mutex
	last  time.Duration // the source's latest value
	total time.Duration // CPU time since New, increments only
}

// New returns a meter for opts.Target. It reads the target's CPU time once
// as the zero point. It fails when TDPWatts or Cores is not positive, and
// with an error wrapping energy.ErrUnavailable when the target cannot be
// measured here: no process matches a Processes target, or the target needs
// /proc on a system without it.
func New(opts Options) (*Meter, error) {
	if !(opts.TDPWatts > 0) || math.IsInf(opts.TDPWatts, 0) {
		return nil, fmt.Errorf("cpumodel: TDP must be a positive number of watts, got %v", opts.TDPWatts)
	}
	if opts.Cores <= 0 {
		return nil, fmt.Errorf("cpumodel: cores must be positive, got %d", opts.Cores)
	}
	perCoreW := opts.TDPWatts / float64(opts.Cores)
	m := &Meter{perCore: energy.WattsOf(perCoreW)}
	if m.perCore <= 0 {
		return nil, fmt.Errorf("cpumodel: %v W TDP over %d CPUs is below 1 µW per CPU", opts.TDPWatts, opts.Cores)
	}
	var (
		what   string // "CPU time of ..." for Assumptions
		short  string // for Boundary
		period time.Duration
		unit   time.Duration
		err    error
	)
	t := opts.Target
	switch t.Kind {
	case Self:
		if len(t.Names) > 0 || len(t.PIDs) > 0 {
			return nil, errors.New("cpumodel: the self target takes no names or PIDs")
		}
		m.src, err = newSelfSource()
		what = "CPU time of this process (getrusage RUSAGE_SELF: user+system time of all its threads, in microseconds)"
		short = "this process"
		// getrusage reports microseconds; the scheduler accounts running
		// time at context switches and ticks, so 1 ms is what a reader can
		// rely on.
		period, unit = time.Millisecond, time.Microsecond
	case Processes:
		if len(t.Names) == 0 && len(t.PIDs) == 0 {
			return nil, errors.New("cpumodel: the processes target needs names or PIDs")
		}
		for _, n := range t.Names {
			if n == "" || strings.ContainsAny(n, "\x00\n") {
				return nil, fmt.Errorf("cpumodel: process name %q is not a valid comm", n)
			}
		}
		for _, p := range t.PIDs {
			if p <= 0 {
				return nil, fmt.Errorf("cpumodel: PID %d is not positive", p)
			}
		}
		if opts.ProcRoot == "" {
			return nil, errors.New("cpumodel: the processes target needs ProcRoot")
		}
		m.src, err = newProcessSource(opts.ProcRoot, t.Names, t.PIDs)
		short = describeTree(t.Names, t.PIDs)
		what = "CPU time of " + short + " (" + opts.ProcRoot + "/<pid>/stat utime+stime in USER_HZ=100 ticks); " +
			"a process's CPU time between the last read and its exit is not counted"
		period, unit = tick, tick
	case Machine:
		if len(t.Names) > 0 || len(t.PIDs) > 0 {
			return nil, errors.New("cpumodel: the machine target takes no names or PIDs")
		}
		if opts.ProcRoot == "" {
			return nil, errors.New("cpumodel: the machine target needs ProcRoot")
		}
		m.src, err = newMachineSource(opts.ProcRoot)
		short = "the whole machine"
		what = "busy CPU time of all CPUs of the machine (" + opts.ProcRoot + "/stat user+nice+system+irq+softirq " +
			"in USER_HZ=100 ticks; idle, iowait and steal are not busy)"
		period, unit = tick, tick
	default:
		return nil, fmt.Errorf("cpumodel: unknown target kind %v", t.Kind)
	}
	if err != nil {
		return nil, err
	}
	if m.last, err = m.src.cpuTime(context.Background()); err != nil {
		return nil, err
	}
	tdp, pc := formatWatts(opts.TDPWatts), formatWatts(perCoreW)
	m.info = energy.Info{
		Name:     "cpu-model",
		Source:   energy.Modelled,
		Boundary: "cpu-time of " + short + " (modelled)",
		Domains: []energy.Domain{{
			ID:       "cpu",
			Name:     "cpu-time",
			Boundary: energy.BoundaryCPUTime,
		}},
		Resolution:   max(m.perCore.Over(unit), energy.Microjoule),
		UpdatePeriod: period,
		Assumptions: []string{
			fmt.Sprintf("P = %s W TDP / %d logical CPUs = %s W per busy CPU (%s J per CPU-second)", tdp, opts.Cores, pc, pc),
			"idle CPUs draw nothing in this model; TDP is a design figure, not a measured power, so real power varies with frequency, SMT and load",
			what,
		},
		Description: fmt.Sprintf("modelled, not measured: energy = CPU time of %s × %s W per busy CPU", short, pc),
	}
	return m, nil
}

// describeTree names a process tree in words.
func describeTree(names []string, pids []int) string {
	var parts []string
	if len(names) > 0 {
		parts = append(parts, "the processes named "+strings.Join(names, ", "))
	}
	if len(pids) > 0 {
		s := make([]string, len(pids))
		for i, p := range pids {
			s[i] = strconv.Itoa(p)
		}
		parts = append(parts, "PID "+strings.Join(s, ", "))
	}
	return strings.Join(parts, " and ") + " with their descendants"
}

// formatWatts prints w with at most three decimals and no trailing zeros.
func formatWatts(w float64) string {
	return strconv.FormatFloat(math.Round(w*1000)/1000, 'f', -1, 64)
}

// Info describes the meter and its assumptions; it does no I/O.
func (m *Meter) Info() energy.Info {
	info := m.info
	info.Domains = append([]energy.Domain(nil), m.info.Domains...)
	info.Assumptions = append([]string(nil), m.info.Assumptions...)
	return info
}

// Read returns the modelled energy of the target's CPU time since New, in
// microjoules, as the counter of the "cpu" domain. It never wraps and never
// goes backwards: only increases of the target's CPU time are added. The CPU
// time comes from getrusage(2) for Self, and from the utime and stime fields
// of /proc/<pid>/stat or the cpu line of /proc/stat
// (Documentation/filesystems/proc.rst) for Processes and Machine.
func (m *Meter) Read(ctx context.Context) (energy.Reading, error) {
	if err := ctx.Err(); err != nil {
		return energy.Reading{}, fmt.Errorf("read cpu-model: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, err := m.src.cpuTime(ctx)
	if err != nil {
		return energy.Reading{}, err
	}
	if v > m.last {
		m.total += v - m.last
		m.last = v
	}
	return energy.Reading{
		Time:     time.Now(),
		Counters: []energy.Counter{{Domain: "cpu", Energy: m.perCore.Over(m.total)}},
	}, nil
}

// ticksToDuration converts USER_HZ ticks to a duration, saturating instead
// of overflowing.
func ticksToDuration(t uint64) time.Duration {
	if t > uint64(math.MaxInt64/int64(tick)) {
		return math.MaxInt64
	}
	return time.Duration(t) * tick
}

var _ energy.Meter = (*Meter)(nil)
