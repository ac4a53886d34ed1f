package cpumodel

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// maxTicks bounds every tick count the parsers accept, so that sums of a few
// of them cannot overflow. 2^56 ticks of 10 ms is over 22 million CPU-years.
const maxTicks = 1 << 56

// pidStat holds the fields of /proc/<pid>/stat this package uses
// (Documentation/filesystems/proc.rst, table 1-4).
type pidStat struct {
	PID  int
	Comm string // the executable name, truncated by the kernel to 15 bytes
	PPID int
	// UTime and STime are the user and system CPU time of all the
	// process's threads, in clock ticks (USER_HZ, 100 per second).
	UTime, STime uint64
	// StartTime is when the process started, in clock ticks after boot;
	// with PID it identifies a process across PID reuse.
	StartTime uint64
}

// parsePIDStat parses the contents of /proc/<pid>/stat:
//
//	pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt
//	majflt cmajflt utime stime cutime cstime priority nice num_threads
//	itrealvalue starttime ...
//
// comm may itself contain spaces and parentheses ("(sd-pam)", "a) b"), so
// the fields after it are found from the last ')'.
func parsePIDStat(b []byte) (pidStat, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return pidStat{}, errors.New("no (comm) field")
	}
	var st pidStat
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil || pid <= 0 {
		return pidStat{}, fmt.Errorf("pid %q is not a positive number", clip(b[:open]))
	}
	st.PID = pid
	st.Comm = string(b[open+1 : end])
	f := bytes.Fields(b[end+1:])
	// f[0] is field 3 (state); field n is f[n-3].
	const need = 22 - 3 + 1
	if len(f) < need {
		return pidStat{}, fmt.Errorf("%d fields after comm, want at least %d", len(f), need)
	}
	ppid, err := strconv.Atoi(string(f[4-3]))
	if err != nil || ppid < 0 {
		return pidStat{}, fmt.Errorf("ppid %q is not a number", clip(f[4-3]))
	}
	st.PPID = ppid
	for _, x := range []struct {
		field int
		name  string
		dst   *uint64
	}{{14, "utime", &st.UTime}, {15, "stime", &st.STime}, {22, "starttime", &st.StartTime}} {
		if *x.dst, err = parseTicks(f[x.field-3]); err != nil {
			return pidStat{}, fmt.Errorf("%s: %w", x.name, err)
		}
	}
	return st, nil
}

// cpuTimes are the aggregate CPU times of the first line of /proc/stat, in
// clock ticks (USER_HZ) summed over all CPUs (Documentation/filesystems/
// proc.rst, section 1.7). Kernels older than 2.6.33 print fewer columns;
// missing ones are zero.
type cpuTimes struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal, Guest, GuestNice uint64
}

// busy returns the time the CPUs spent working for this machine: user, nice,
// system, irq and softirq. Idle and iowait are not work; steal is time the
// hypervisor ran something else; guest and guest_nice are already included
// in user and nice.
func (c cpuTimes) busy() uint64 { return c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ }

// parseProcStat parses the aggregate "cpu" line of /proc/stat:
//
//	cpu  user nice system idle iowait irq softirq steal guest guest_nice
//
// b may hold the whole file or only its beginning; the line must be complete.
// At least the first four columns are required; columns beyond the ten known
// ones are ignored.
func parseProcStat(b []byte) (cpuTimes, error) {
	var line []byte
	for len(b) > 0 {
		l, rest, _ := bytes.Cut(b, []byte("\n"))
		if bytes.HasPrefix(l, []byte("cpu ")) {
			line = l
			break
		}
		b = rest
	}
	if line == nil {
		return cpuTimes{}, errors.New(`no aggregate "cpu" line`)
	}
	f := bytes.Fields(line)[1:]
	if len(f) < 4 {
		return cpuTimes{}, fmt.Errorf("cpu line has %d columns, want at least 4", len(f))
	}
	var c cpuTimes
	dst := []*uint64{&c.User, &c.Nice, &c.System, &c.Idle, &c.IOWait, &c.IRQ, &c.SoftIRQ, &c.Steal, &c.Guest, &c.GuestNice}
	for i := 0; i < len(f) && i < len(dst); i++ {
		v, err := parseTicks(f[i])
		if err != nil {
			return cpuTimes{}, fmt.Errorf("cpu column %d: %w", i+1, err)
		}
		*dst[i] = v
	}
	return c, nil
}

// parseTicks parses an unsigned decimal tick count up to maxTicks.
func parseTicks(b []byte) (uint64, error) {
	if len(b) == 0 || b[0] == '+' || b[0] == '-' {
		return 0, fmt.Errorf("%q is not an unsigned number", clip(b))
	}
	v, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil || v > maxTicks {
		return 0, fmt.Errorf("%q is not an unsigned number of ticks", clip(b))
	}
	return v, nil
}

// clip shortens b for an error message.
func clip(b []byte) string {
	const n = 32
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
