//go:build linux

package cpumodel_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/cpumodel"
)

// fakeProc is one process of a fake proc tree.
type fakeProc struct {
	pid, ppid    int
	comm         string
	utime, stime uint64
	start        uint64
}

// writeProc writes <root>/<pid>/stat for p, as the kernel prints it.
func writeProc(t *testing.T, root string, p fakeProc) {
	t.Helper()
	dir := filepath.Join(root, fmt.Sprint(p.pid))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf("%d (%s) S %d %d %d 0 -1 4194560 500 0 0 0 %d %d 0 0 20 0 4 0 %d 1000000 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
		p.pid, p.comm, p.ppid, p.pid, p.pid, p.utime, p.stime, p.start)
	if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(line), 0o444); err != nil {
		t.Fatal(err)
	}
}

func removeProc(t *testing.T, root string, pid int) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(root, fmt.Sprint(pid))); err != nil {
		t.Fatal(err)
	}
}

func writeProcStat(t *testing.T, root, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, "stat"), []byte(content), 0o444); err != nil {
		t.Fatal(err)
	}
}

// perCore is the per-CPU power of the options the fake-tree tests use:
// 100 W / 4 CPUs = 25 W, so one 10 ms tick models 250 mJ.
const perCore = 25 * energy.Watt

var tickEnergy = perCore.Over(10 * time.Millisecond)

func newMeter(t *testing.T, root string, target cpumodel.Target) *cpumodel.Meter {
	t.Helper()
	m, err := cpumodel.New(cpumodel.Options{ProcRoot: root, Target: target, TDPWatts: 100, Cores: 4})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func read(t *testing.T, m *cpumodel.Meter) energy.Energy {
	t.Helper()
	r, err := m.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Counters) != 1 || r.Counters[0].Domain != "cpu" {
		t.Fatalf("counters %+v, want one for domain cpu", r.Counters)
	}
	return r.Counters[0].Energy
}

func TestProcessTree(t *testing.T) {
	root := t.TempDir()
	procs := map[int]fakeProc{
		1:   {pid: 1, ppid: 0, comm: "systemd", utime: 5000, start: 1},
		100: {pid: 100, ppid: 1, comm: "ollama", utime: 900, stime: 100, start: 500},
		101: {pid: 101, ppid: 100, comm: "ollama_llama_se", utime: 40000, stime: 2000, start: 600},
		102: {pid: 102, ppid: 101, comm: "sh", utime: 10, start: 700},
		200: {pid: 200, ppid: 1, comm: "bash", utime: 77, start: 800},
	}
	set := func(changes ...fakeProc) {
		for _, p := range changes {
			procs[p.pid] = p
			writeProc(t, root, p)
		}
	}
	for _, p := range procs {
		writeProc(t, root, p)
	}
	m := newMeter(t, root, cpumodel.Target{Kind: cpumodel.Processes, Names: []string{"ollama"}})
	if got := read(t, m); got != 0 {
		t.Fatalf("counter right after New = %v, want 0 (CPU time before New is not counted)", got)
	}

	steps := []struct {
		name  string
		apply func()
		ticks int64 // cumulative ticks of the tree since New
	}{
		{"tree advances, others ignored", func() {
			p := procs[100]
			p.utime += 10
			q := procs[101]
			q.utime, q.stime = q.utime+15, q.stime+5
			r := procs[102]
			r.stime += 5
			s := procs[200]
			s.utime += 1000
			u := procs[1]
			u.utime += 1000
			set(p, q, r, s, u)
		}, 35},
		{"a child exits, a new one appears", func() {
			removeProc(t, root, 102)
			delete(procs, 102)
			q := procs[101]
			q.utime += 3
			set(q, fakeProc{pid: 103, ppid: 100, comm: "runner", utime: 6, stime: 1, start: 900})
		}, 35 + 3 + 7},
		{"a PID is reused by a new process", func() {
			set(fakeProc{pid: 103, ppid: 101, comm: "runner", utime: 2, start: 950})
		}, 45 + 2},
		{"a counter glitches backwards, then recovers", func() {
			q := procs[101]
			q.utime -= 10
			set(q)
		}, 47},
		{"...and recovers without counting twice", func() {
			q := procs[101]
			q.utime += 12
			set(q)
		}, 47 + 2},
		{"an unrelated process is reparented into nothing", func() {
			s := procs[200]
			s.utime += 50
			set(s)
		}, 49},
		{"every tree process exits", func() {
			for _, pid := range []int{100, 101, 103} {
				removeProc(t, root, pid)
			}
		}, 49},
	}
	prev := energy.Energy(0)
	for _, s := range steps {
		s.apply()
		got := read(t, m)
		if want := energy.Energy(s.ticks) * tickEnergy; got != want {
			t.Errorf("%s: counter %v (%d µJ), want %d ticks = %v", s.name, got, got, s.ticks, want)
		}
		if got < prev {
			t.Errorf("%s: counter went backwards from %v to %v", s.name, prev, got)
		}
		prev = got
	}
}

func TestProcessMatching(t *testing.T) {
	procs := []fakeProc{
		{pid: 1, comm: "systemd", start: 1},
		{pid: 10, ppid: 1, comm: "ollama_llama_se", start: 2}, // "ollama_llama_server", truncated
		{pid: 11, ppid: 1, comm: "my (odd) name", start: 3},
		{pid: 12, ppid: 1, comm: "llama-server", start: 4},
		{pid: 13, ppid: 12, comm: "worker", start: 5},
	}
	tests := []struct {
		name   string
		target cpumodel.Target
		counts int // processes whose CPU time counts
	}{
		{"long name matches the truncated comm", cpumodel.Target{Kind: cpumodel.Processes, Names: []string{"ollama_llama_server"}}, 1},
		{"comm with spaces and parentheses", cpumodel.Target{Kind: cpumodel.Processes, Names: []string{"my (odd) name"}}, 1},
		{"by PID, with descendants", cpumodel.Target{Kind: cpumodel.Processes, PIDs: []int{12}}, 2},
		{"names and PIDs together, a missing PID ignored", cpumodel.Target{Kind: cpumodel.Processes, Names: []string{"worker"}, PIDs: []int{10, 999}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, p := range procs {
				writeProc(t, root, p)
			}
			m := newMeter(t, root, tt.target)
			for _, p := range procs {
				p.utime = 100
				writeProc(t, root, p)
			}
			if got, want := read(t, m), energy.Energy(100*tt.counts)*tickEnergy; got != want {
				t.Errorf("counter %v, want %v (%d processes × 100 ticks)", got, want, tt.counts)
			}
		})
	}
}

func TestProcessErrors(t *testing.T) {
	t.Run("no matching process", func(t *testing.T) {
		root := t.TempDir()
		writeProc(t, root, fakeProc{pid: 1, comm: "systemd"})
		_, err := cpumodel.New(cpumodel.Options{ProcRoot: root, TDPWatts: 65, Cores: 2,
			Target: cpumodel.Target{Kind: cpumodel.Processes, Names: []string{"ollama", "llama-server"}, PIDs: []int{4242}}})
		if !errors.Is(err, energy.ErrUnavailable) {
			t.Fatalf("New: %v, want energy.ErrUnavailable", err)
		}
		for _, s := range []string{"no process named ollama, llama-server or with PID 4242 under " + root, "15 bytes"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not contain %q", err, s)
			}
		}
	})
	t.Run("no proc root", func(t *testing.T) {
		_, err := cpumodel.New(cpumodel.Options{ProcRoot: filepath.Join(t.TempDir(), "missing"), TDPWatts: 65, Cores: 2,
			Target: cpumodel.Target{Kind: cpumodel.Processes, Names: []string{"ollama"}}})
		if !errors.Is(err, energy.ErrUnavailable) {
			t.Errorf("New: %v, want energy.ErrUnavailable", err)
		}
	})
	t.Run("malformed stat", func(t *testing.T) {
		root := t.TempDir()
		writeProc(t, root, fakeProc{pid: 1, comm: "ollama"})
		if err := os.MkdirAll(filepath.Join(root, "2"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "2", "stat"), []byte("2 (x) S 1 2\n"), 0o444); err != nil {
			t.Fatal(err)
		}
		_, err := cpumodel.New(cpumodel.Options{ProcRoot: root, TDPWatts: 65, Cores: 2,
			Target: cpumodel.Target{Kind: cpumodel.Processes, Names: []string{"ollama"}}})
		if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "2", "stat")) {
			t.Errorf("New: %v, want an error naming the malformed file", err)
		}
	})
	t.Run("non-PID entries are ignored", func(t *testing.T) {
		root := t.TempDir()
		writeProc(t, root, fakeProc{pid: 1, comm: "ollama"})
		for _, d := range []string{"self", "01", "sys"} {
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		writeProcStat(t, root, "cpu  1 2 3 4\n")
		newMeter(t, root, cpumodel.Target{Kind: cpumodel.Processes, Names: []string{"ollama"}})
	})
}

func TestMachine(t *testing.T) {
	root := t.TempDir()
	intr := "intr " + strings.Repeat("0 ", 5000) + "\n" // longer than the prefix read
	stat := func(user, system, idle, iowait, steal int) string {
		return fmt.Sprintf("cpu  %d 0 %d %d %d 0 0 %d 0 0\ncpu0 1 0 1 1 0 0 0 0 0 0\n%s", user, system, idle, iowait, steal, intr)
	}
	writeProcStat(t, root, stat(1000, 500, 90000, 300, 10))
	m := newMeter(t, root, cpumodel.Target{Kind: cpumodel.Machine})
	if got := read(t, m); got != 0 {
		t.Fatalf("counter right after New = %v, want 0", got)
	}
	for _, s := range []struct {
		name  string
		stat  string
		ticks int64
	}{
		{"busy time counts, idle, iowait and steal do not", stat(1100, 520, 95000, 900, 500), 120},
		{"a backwards glitch adds nothing", stat(1090, 520, 95000, 900, 500), 120},
		{"recovery counts only the new time", stat(1130, 520, 96000, 900, 500), 150},
	} {
		writeProcStat(t, root, s.stat)
		if got, want := read(t, m), energy.Energy(s.ticks)*tickEnergy; got != want {
			t.Errorf("%s: counter %v, want %d ticks = %v", s.name, got, s.ticks, want)
		}
	}
	info := m.Info()
	if info.Boundary != "cpu-time of the whole machine (modelled)" || info.UpdatePeriod != 10*time.Millisecond || info.Resolution != tickEnergy {
		t.Errorf("Info = %+v", info)
	}

	writeProcStat(t, root, "garbage\n")
	if _, err := m.Read(t.Context()); err == nil || !strings.Contains(err.Error(), filepath.Join(root, "stat")) {
		t.Errorf("Read of a malformed stat: %v, want an error naming it", err)
	}
	_, err := cpumodel.New(cpumodel.Options{ProcRoot: t.TempDir(), TDPWatts: 65, Cores: 2, Target: cpumodel.Target{Kind: cpumodel.Machine}})
	if !errors.Is(err, energy.ErrUnavailable) {
		t.Errorf("New without a stat file: %v, want energy.ErrUnavailable", err)
	}
}

// TestRealProc runs the Linux targets on this host's /proc.
func TestRealProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	for _, target := range []cpumodel.Target{
		{Kind: cpumodel.Machine},
		{Kind: cpumodel.Processes, PIDs: []int{os.Getpid()}},
	} {
		t.Run(target.Kind.String(), func(t *testing.T) {
			m, err := cpumodel.New(cpumodel.Options{ProcRoot: "/proc", Target: target, TDPWatts: 65, Cores: 2})
			if err != nil {
				t.Fatal(err)
			}
			burn(100 * time.Millisecond)
			if got := read(t, m); got <= 0 {
				t.Errorf("counter %v after burning 100 ms of CPU, want it to advance", got)
			}
		})
	}
}
