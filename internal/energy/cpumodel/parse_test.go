package cpumodel

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// statLine builds a /proc/<pid>/stat line with the given head ("pid (comm)")
// and utime, stime and starttime, the other fields as a real kernel prints
// them.
func statLine(head string, ppid, utime, stime, start string) string {
	return head + " S " + ppid + " 21176 3946 0 -1 4194304 97 0 0 0 " + utime + " " + stime +
		" 0 0 20 0 1 0 " + start + " 3133440 373 18446744073709551615 94162962710528 94162962730409 " +
		"140737315285072 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 94162962746416 94162962748032 94163899973632 " +
		"140737315293888 140737315293908 140737315293908 140737315295211 0\n"
}

var pidStatCases = []struct {
	name  string
	in    string
	want  pidStat
	valid bool
}{
	{"real line", "21178 (cat) R 21176 21176 3946 0 -1 4194304 97 0 0 0 7 3 0 0 20 0 1 0 112132 3133440 373 18446744073709551615 94162962710528 0\n",
		pidStat{PID: 21178, Comm: "cat", PPID: 21176, UTime: 7, STime: 3, StartTime: 112132}, true},
	{"built line", statLine("42 (ollama)", "1", "1500", "250", "999"),
		pidStat{PID: 42, Comm: "ollama", PPID: 1, UTime: 1500, STime: 250, StartTime: 999}, true},
	{"comm with spaces and parentheses", statLine("7 (a) S 1 (b))", "2", "10", "20", "30"),
		pidStat{PID: 7, Comm: "a) S 1 (b)", PPID: 2, UTime: 10, STime: 20, StartTime: 30}, true},
	{"comm in parentheses", statLine("8 ((sd-pam))", "1", "0", "0", "5"),
		pidStat{PID: 8, Comm: "(sd-pam)", PPID: 1, StartTime: 5}, true},
	{"empty comm", statLine("9 ()", "0", "1", "1", "1"),
		pidStat{PID: 9, Comm: "", PPID: 0, UTime: 1, STime: 1, StartTime: 1}, true},
	{"empty", "", pidStat{}, false},
	{"no parentheses", "1 cat R 0 0 0", pidStat{}, false},
	{"parentheses reversed", "1 )cat( R", pidStat{}, false},
	{"no pid", statLine("(cat)", "1", "1", "1", "1"), pidStat{}, false},
	{"zero pid", statLine("0 (cat)", "1", "1", "1", "1"), pidStat{}, false},
	{"negative ppid", statLine("1 (cat)", "-1", "1", "1", "1"), pidStat{}, false},
	{"non-numeric utime", statLine("1 (cat)", "1", "x", "1", "1"), pidStat{}, false},
	{"negative stime", statLine("1 (cat)", "1", "1", "-1", "1"), pidStat{}, false},
	{"huge utime", statLine("1 (cat)", "1", "99999999999999999999", "1", "1"), pidStat{}, false},
	{"truncated", "1 (cat) R 0 1 1 0 -1 0 0 0 0 0 5 5 0 0 20 0 1", pidStat{}, false},
}

func TestParsePIDStat(t *testing.T) {
	for _, tt := range pidStatCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePIDStat([]byte(tt.in))
			if (err == nil) != tt.valid {
				t.Fatalf("parsePIDStat(%q) error = %v, want valid=%v", tt.in, err, tt.valid)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parsePIDStat (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParsePIDStat(f *testing.F) {
	for _, tt := range pidStatCases {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parsePIDStat(b)
		if err != nil {
			return
		}
		if st.PID <= 0 || st.PPID < 0 || st.UTime > maxTicks || st.STime > maxTicks || st.StartTime > maxTicks {
			t.Errorf("parsePIDStat(%q) = %+v, out of range", b, st)
		}
		if strings.Contains(st.Comm, ")") && !strings.Contains(string(b), st.Comm+")") {
			t.Errorf("parsePIDStat(%q): comm %q is not followed by ')'", b, st.Comm)
		}
	})
}

var procStatCases = []struct {
	name  string
	in    string
	want  cpuTimes
	valid bool
}{
	{"real file", "cpu  75561 0 15187 131588 386 0 310 992 0 0\ncpu0 37000 0 7000 65000 200 0 150 500 0 0\nintr 1 2 3\n",
		cpuTimes{User: 75561, System: 15187, Idle: 131588, IOWait: 386, SoftIRQ: 310, Steal: 992}, true},
	{"all columns", "cpu  1 2 3 4 5 6 7 8 9 10\n",
		cpuTimes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, true},
	{"old kernel, four columns", "cpu 10 20 30 40\n", cpuTimes{User: 10, Nice: 20, System: 30, Idle: 40}, true},
	{"future column ignored", "cpu  1 2 3 4 5 6 7 8 9 10 11\n", cpuTimes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, true},
	{"cpu line not first", "intr 5\ncpu  1 1 1 1\n", cpuTimes{User: 1, Nice: 1, System: 1, Idle: 1}, true},
	{"no trailing newline", "cpu  1 2 3 4", cpuTimes{User: 1, Nice: 2, System: 3, Idle: 4}, true},
	{"empty", "", cpuTimes{}, false},
	{"only per-CPU lines", "cpu0 1 2 3 4\n", cpuTimes{}, false},
	{"three columns", "cpu  1 2 3\n", cpuTimes{}, false},
	{"non-numeric", "cpu  1 2 x 4\n", cpuTimes{}, false},
	{"negative", "cpu  1 2 -3 4\n", cpuTimes{}, false},
	{"overflowing", "cpu  1 2 3 18446744073709551615\n", cpuTimes{}, false},
}

func TestParseProcStat(t *testing.T) {
	for _, tt := range procStatCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.in))
			if (err == nil) != tt.valid {
				t.Fatalf("parseProcStat(%q) error = %v, want valid=%v", tt.in, err, tt.valid)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseProcStat (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBusy(t *testing.T) {
	c := cpuTimes{User: 1, Nice: 2, System: 4, Idle: 8, IOWait: 16, IRQ: 32, SoftIRQ: 64, Steal: 128, Guest: 256, GuestNice: 512}
	if got, want := c.busy(), uint64(1+2+4+32+64); got != want {
		t.Errorf("busy = %d, want %d (user+nice+system+irq+softirq)", got, want)
	}
}

func FuzzParseProcStat(f *testing.F) {
	for _, tt := range procStatCases {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseProcStat(b)
		if err != nil {
			return
		}
		// Every column is bounded, so busy cannot overflow.
		if c.busy() < c.User || c.busy() < c.SoftIRQ {
			t.Errorf("parseProcStat(%q) = %+v: busy overflowed", b, c)
		}
	})
}
