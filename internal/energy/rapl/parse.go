package rapl

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// The parsers below are pure: they take the bytes a size-capped read
// returned and never touch the file system, so that they can be table-tested
// and fuzzed.

// parseMicrojoules parses the contents of an energy_uj or
// max_energy_range_uj file: one unsigned decimal number of microjoules,
// printed by the kernel with "%llu\n". Surrounding white space is ignored;
// anything else (a sign, a fraction, an empty file, a value beyond the range
// of energy.Energy) is an error.
func parseMicrojoules(b []byte) (energy.Energy, error) {
	s := bytes.TrimSpace(b)
	if len(s) == 0 {
		return 0, errors.New("empty, want a decimal number of microjoules")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not an unsigned decimal number of microjoules", clip(s))
		}
	}
	v, err := strconv.ParseUint(string(s), 10, 64)
	if err != nil || v > math.MaxInt64 {
		return 0, fmt.Errorf("%q is out of range for a microjoule counter", clip(s))
	}
	return energy.Energy(v), nil
}

// parseName parses a zone's name file ("package-0", "dram", "core",
// "uncore", "psys", "package-0-die-1"). Surrounding white space is ignored;
// the name must be non-empty printable ASCII without spaces or slashes.
func parseName(b []byte) (string, error) {
	s := bytes.TrimSpace(b)
	if len(s) == 0 {
		return "", errors.New("empty zone name")
	}
	for _, c := range s {
		if c <= ' ' || c > '~' || c == '/' {
			return "", fmt.Errorf("zone name %q contains a character outside printable ASCII", clip(s))
		}
	}
	return string(s), nil
}

// zoneID is the parsed name of a powercap zone directory:
// "<control>:<pkg>" for a top-level zone and "<control>:<pkg>:<sub>" for a
// sub-zone, e.g. "intel-rapl:0", "intel-rapl:0:2", "intel-rapl-mmio:0".
type zoneID struct {
	raw     string // the directory name, used as energy.Domain.ID
	control string // the control type, e.g. "intel-rapl"
	pkg     int    // index of the top-level zone
	sub     int    // index of the sub-zone, -1 for a top-level zone
}

// topLevel reports whether z is a zone directly under its control type.
func (z zoneID) topLevel() bool { return z.sub < 0 }

// parent returns the directory name of the top-level zone that contains z.
func (z zoneID) parent() string { return z.control + ":" + strconv.Itoa(z.pkg) }

// maxZoneIndex bounds the indices parseZoneID accepts; the kernel numbers
// zones with small integers.
const maxZoneIndex = 1 << 20

// parseZoneID parses a directory name under class/powercap. It accepts only
// RAPL zones: the control type must contain "rapl" ("intel-rapl",
// "intel-rapl-mmio", "intel-rapl-tpmi") and the indices must be canonical
// unsigned decimals. Control type directories themselves ("intel-rapl") and
// other powercap drivers ("dtpm") are rejected with ok=false.
func parseZoneID(s string) (zoneID, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 2 && len(parts) != 3 {
		return zoneID{}, false
	}
	control := parts[0]
	if !strings.Contains(control, "rapl") {
		return zoneID{}, false
	}
	for _, c := range control {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return zoneID{}, false
		}
	}
	pkg, ok := parseIndex(parts[1])
	if !ok {
		return zoneID{}, false
	}
	sub := -1
	if len(parts) == 3 {
		if sub, ok = parseIndex(parts[2]); !ok {
			return zoneID{}, false
		}
	}
	return zoneID{raw: s, control: control, pkg: pkg, sub: sub}, true
}

// parseIndex parses a canonical unsigned decimal ("0", "12"; not "", "+1",
// "01").
func parseIndex(s string) (int, bool) {
	if s == "" || len(s) > 7 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n > maxZoneIndex {
		return 0, false
	}
	return n, true
}

// parsePackageName parses the name the kernel gives a package zone:
// "package-N", or "package-N-die-M" on parts with more than one die per
// package (drivers/powercap/intel_rapl_common.c). It returns the package and
// die indices (die is 0 when the name has none).
func parsePackageName(name string) (pkg, die int, ok bool) {
	rest, found := strings.CutPrefix(name, "package-")
	if !found {
		return 0, 0, false
	}
	p, d, hasDie := strings.Cut(rest, "-die-")
	if pkg, ok = parseIndex(p); !ok {
		return 0, 0, false
	}
	if !hasDie {
		return pkg, 0, true
	}
	if die, ok = parseIndex(d); !ok {
		return 0, 0, false
	}
	return pkg, die, true
}

// clip shortens b for an error message.
func clip(b []byte) string {
	const n = 32
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
