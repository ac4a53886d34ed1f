//go:build linux

package cpumodel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// Size caps for the procfs files this package reads. procfs reports a size
// of 0 for them, so the stated size is not used.
const (
	// maxPIDStatFile bounds /proc/<pid>/stat: 52 numbers and a 15-byte
	// comm fit in well under 1 KiB.
	maxPIDStatFile = 4096
	// procStatPrefix is how much of /proc/stat is read: the aggregate cpu
	// line comes first, and the rest (per-CPU lines, an intr line with one
	// number per interrupt) can be megabytes on large hosts.
	procStatPrefix = 4096
	// commLen is TASK_COMM_LEN-1: the kernel keeps the first 15 bytes of an
	// executable's name.
	commLen = 15
)

// procKey identifies a process across PID reuse.
type procKey struct {
	pid   int
	start uint64 // starttime, ticks after boot
}

// processSource sums the CPU time of a process tree. It keeps the last tick
// count of every process it tracks and adds only increments, so processes
// that appear or exit between reads never make the total go backwards. It is
// not safe for concurrent use; the Meter serialises calls.
type processSource struct {
	root  string
	names map[string]bool
	pids  map[int]bool
	last  map[procKey]uint64 // utime+stime at the latest read
	total uint64             // ticks since New
}

func newProcessSource(root string, names []string, pids []int) (source, error) {
	s := &processSource{root: root, names: map[string]bool{}, pids: map[int]bool{}}
	for _, n := range names {
		if len(n) > commLen {
			n = n[:commLen]
		}
		s.names[n] = true
	}
	for _, p := range pids {
		s.pids[p] = true
	}
	n, err := s.sample(context.Background(), true)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		var searched []string
		if len(names) > 0 {
			searched = append(searched, "named "+strings.Join(names, ", "))
		}
		if len(pids) > 0 {
			ps := make([]string, len(pids))
			for i, p := range pids {
				ps[i] = strconv.Itoa(p)
			}
			searched = append(searched, "with PID "+strings.Join(ps, ", "))
		}
		return nil, fmt.Errorf("%w: no process %s under %s (searched the comm field of every <pid>/stat, whose names the kernel truncates to 15 bytes; is the server running, and is procfs mounted with hidepid?)",
			energy.ErrUnavailable, strings.Join(searched, " or "), root)
	}
	return s, nil
}

func (s *processSource) cpuTime(ctx context.Context) (time.Duration, error) {
	if _, err := s.sample(ctx, false); err != nil {
		return 0, err
	}
	return ticksToDuration(s.total), nil
}

// sample scans the process table, finds the tree and adds the CPU time its
// processes used since the previous sample. On the first sample every
// process is a baseline; later, a process seen for the first time started
// after the previous sample (or joined the tree since), and all its CPU time
// counts. It returns the number of processes in the tree.
func (s *processSource) sample(ctx context.Context, first bool) (int, error) {
	procs, err := scanProcs(ctx, s.root)
	if err != nil {
		return 0, err
	}
	children := make(map[int][]int, len(procs))
	var stack []int
	for pid, st := range procs {
		children[st.PPID] = append(children[st.PPID], pid)
		if s.pids[pid] || s.names[st.Comm] {
			stack = append(stack, pid)
		}
	}
	tree := make(map[int]bool, len(stack))
	for len(stack) > 0 {
		pid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if tree[pid] {
			continue
		}
		tree[pid] = true
		stack = append(stack, children[pid]...)
	}
	next := make(map[procKey]uint64, len(tree))
	for pid := range tree {
		st := procs[pid]
		k := procKey{pid: pid, start: st.StartTime}
		ticks := st.UTime + st.STime
		if prev, ok := s.last[k]; ok {
			if ticks > prev {
				s.total += ticks - prev
			} else {
				ticks = prev
			}
		} else if !first {
			s.total += ticks
		}
		next[k] = ticks
	}
	s.last = next
	return len(tree), nil
}

// scanProcs reads <root>/<pid>/stat of every process. Processes that exit
// during the scan, or whose stat this user may not read (hidepid), are left
// out.
func scanProcs(ctx context.Context, root string) (map[int]pidStat, error) {
	d, err := os.Open(root)
	if err != nil {
		return nil, fmt.Errorf("%w: cpu-model: open %s: %w", energy.ErrUnavailable, root, err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("cpu-model: list %s: %w", root, err)
	}
	procs := make(map[int]pidStat, len(names))
	buf := make([]byte, maxPIDStatFile+1)
	for i, name := range names {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("read cpu-model: %w", err)
			}
		}
		pid, err := strconv.Atoi(name)
		if err != nil || pid <= 0 || strconv.Itoa(pid) != name {
			continue
		}
		path := root + string(filepath.Separator) + name + string(filepath.Separator) + "stat"
		b, err := readInto(path, buf)
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ESRCH), errors.Is(err, fs.ErrPermission):
			continue
		case err != nil:
			return nil, fmt.Errorf("cpu-model: %w", err)
		}
		st, err := parsePIDStat(b)
		if err != nil {
			return nil, fmt.Errorf("cpu-model: parse %s: %w", path, err)
		}
		if st.PID != pid {
			return nil, fmt.Errorf("cpu-model: parse %s: it describes PID %d", path, st.PID)
		}
		procs[pid] = st
	}
	return procs, nil
}

// machineSource reads the busy time of all CPUs from <root>/stat.
type machineSource struct{ path string }

func newMachineSource(root string) (source, error) {
	return machineSource{path: filepath.Join(root, "stat")}, nil
}

func (s machineSource) cpuTime(context.Context) (time.Duration, error) {
	b, err := readPrefix(s.path, procStatPrefix)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return 0, fmt.Errorf("%w: cpu-model: %w (is procfs mounted there?)", energy.ErrUnavailable, err)
	}
	if err != nil {
		return 0, fmt.Errorf("cpu-model: %w", err)
	}
	c, err := parseProcStat(b)
	if err != nil {
		return 0, fmt.Errorf("cpu-model: parse %s: %w", s.path, err)
	}
	return ticksToDuration(c.busy()), nil
}

// readInto reads the whole file at path into buf, failing if it holds
// len(buf) bytes or more; the result aliases buf.
func readInto(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, err := io.ReadFull(f, buf)
	switch err {
	case nil:
		return nil, fmt.Errorf("read %s: longer than %d bytes", path, len(buf)-1)
	case io.EOF, io.ErrUnexpectedEOF:
		return buf[:n], nil
	default:
		return nil, err
	}
}

// readPrefix reads the complete lines among the first limit bytes of the
// file at path; it fails if the first line is longer than that.
func readPrefix(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, limit)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	b := buf[:n]
	if n == limit {
		i := bytes.LastIndexByte(b, '\n')
		if i < 0 {
			return nil, fmt.Errorf("read %s: first line longer than %d bytes", path, limit)
		}
		b = b[:i+1]
	}
	return b, nil
}
