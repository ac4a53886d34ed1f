package rapl

import (
	"strconv"
	"strings"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

var microjouleCases = []struct {
	name  string
	in    string
	want  energy.Energy
	valid bool
}{
	{"kernel format", "240422366267\n", 240422366267, true},
	{"zero", "0\n", 0, true},
	{"no newline", "15", 15, true},
	{"surrounding space", "  42 \n", 42, true},
	{"max int64", "9223372036854775807\n", 9223372036854775807, true},
	{"beyond int64", "9223372036854775808\n", 0, false},
	{"beyond uint64", "99999999999999999999999\n", 0, false},
	{"empty", "", 0, false},
	{"only newline", "\n", 0, false},
	{"negative", "-1\n", 0, false},
	{"plus sign", "+1\n", 0, false},
	{"fraction", "1.5\n", 0, false},
	{"words", "abc\n", 0, false},
	{"two numbers", "1 2\n", 0, false},
	{"hex", "0x10\n", 0, false},
	{"nul byte", "12\x00\n", 0, false},
}

func TestParseMicrojoules(t *testing.T) {
	for _, tt := range microjouleCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMicrojoules([]byte(tt.in))
			if (err == nil) != tt.valid {
				t.Fatalf("parseMicrojoules(%q) error = %v, want valid=%v", tt.in, err, tt.valid)
			}
			if got != tt.want {
				t.Errorf("parseMicrojoules(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseMicrojoules(f *testing.F) {
	for _, tt := range microjouleCases {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parseMicrojoules(b)
		if err != nil {
			if e != 0 {
				t.Errorf("error %v with a non-zero value %d", err, e)
			}
			return
		}
		if e < 0 {
			t.Fatalf("parseMicrojoules(%q) = %d, negative", b, e)
		}
		// A value that parses round-trips through the kernel's format.
		again, err := parseMicrojoules([]byte(strconv.FormatInt(int64(e), 10) + "\n"))
		if err != nil || again != e {
			t.Errorf("round trip of %d: %d, %v", e, again, err)
		}
	})
}

var nameCases = []struct {
	name, in, want string
	valid          bool
}{
	{"package", "package-0\n", "package-0", true},
	{"die", "package-1-die-1\n", "package-1-die-1", true},
	{"dram", "dram\n", "dram", true},
	{"no newline", "psys", "psys", true},
	{"empty", "", "", false},
	{"blank", " \n", "", false},
	{"inner space", "package 0\n", "", false},
	{"slash", "../x\n", "", false},
	{"control byte", "core\x01\n", "", false},
	{"non-ASCII", "c\xc3\xb6re\n", "", false},
}

func TestParseName(t *testing.T) {
	for _, tt := range nameCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseName([]byte(tt.in))
			if (err == nil) != tt.valid {
				t.Fatalf("parseName(%q) error = %v, want valid=%v", tt.in, err, tt.valid)
			}
			if got != tt.want {
				t.Errorf("parseName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseName(f *testing.F) {
	for _, tt := range nameCases {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseName(b)
		if err != nil {
			return
		}
		if s == "" || strings.ContainsAny(s, " /\n\t") {
			t.Errorf("parseName(%q) = %q, want a non-empty name without spaces or slashes", b, s)
		}
	})
}

var zoneIDCases = []struct {
	in   string
	want zoneID
	ok   bool
}{
	{"intel-rapl:0", zoneID{raw: "intel-rapl:0", control: "intel-rapl", pkg: 0, sub: -1}, true},
	{"intel-rapl:1:2", zoneID{raw: "intel-rapl:1:2", control: "intel-rapl", pkg: 1, sub: 2}, true},
	{"intel-rapl:10", zoneID{raw: "intel-rapl:10", control: "intel-rapl", pkg: 10, sub: -1}, true},
	{"intel-rapl-mmio:0", zoneID{raw: "intel-rapl-mmio:0", control: "intel-rapl-mmio", pkg: 0, sub: -1}, true},
	{"intel-rapl-tpmi:3:0", zoneID{raw: "intel-rapl-tpmi:3:0", control: "intel-rapl-tpmi", pkg: 3, sub: 0}, true},
	{"intel-rapl", zoneID{}, false},
	{"dtpm:0", zoneID{}, false},
	{"intel-rapl:", zoneID{}, false},
	{"intel-rapl:a", zoneID{}, false},
	{"intel-rapl:01", zoneID{}, false},
	{"intel-rapl:+1", zoneID{}, false},
	{"intel-rapl:-1", zoneID{}, false},
	{"intel-rapl:0:0:0", zoneID{}, false},
	{"intel-rapl:99999999", zoneID{}, false},
	{"Intel-RAPL:0", zoneID{}, false},
	{"..:rapl:0", zoneID{}, false},
}

func TestParseZoneID(t *testing.T) {
	for _, tt := range zoneIDCases {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseZoneID(tt.in)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parseZoneID(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParseZoneID(f *testing.F) {
	for _, tt := range zoneIDCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		z, ok := parseZoneID(s)
		if !ok {
			return
		}
		// An accepted ID is canonical: printing it back gives the input.
		back := z.control + ":" + strconv.Itoa(z.pkg)
		if !z.topLevel() {
			back += ":" + strconv.Itoa(z.sub)
		}
		if back != s || z.raw != s || strings.ContainsAny(s, "/.") {
			t.Errorf("parseZoneID(%q) = %+v, which prints back as %q", s, z, back)
		}
	})
}

var packageNameCases = []struct {
	in       string
	pkg, die int
	ok       bool
}{
	{"package-0", 0, 0, true},
	{"package-12", 12, 0, true},
	{"package-1-die-1", 1, 1, true},
	{"package-", 0, 0, false},
	{"package-x", 0, 0, false},
	{"package-0-die-", 0, 0, false},
	{"dram", 0, 0, false},
	{"psys", 0, 0, false},
}

func TestParsePackageName(t *testing.T) {
	for _, tt := range packageNameCases {
		t.Run(tt.in, func(t *testing.T) {
			pkg, die, ok := parsePackageName(tt.in)
			if pkg != tt.pkg || die != tt.die || ok != tt.ok {
				t.Errorf("parsePackageName(%q) = %d, %d, %v; want %d, %d, %v", tt.in, pkg, die, ok, tt.pkg, tt.die, tt.ok)
			}
		})
	}
}

func FuzzParsePackageName(f *testing.F) {
	for _, tt := range packageNameCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pkg, die, ok := parsePackageName(s)
		if !ok {
			return
		}
		back := "package-" + strconv.Itoa(pkg)
		if strings.Contains(s, "-die-") {
			back += "-die-" + strconv.Itoa(die)
		}
		if back != s {
			t.Errorf("parsePackageName(%q) = %d, %d, which prints back as %q", s, pkg, die, back)
		}
	})
}
