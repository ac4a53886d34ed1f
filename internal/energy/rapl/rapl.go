package rapl

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// Domain selections accepted by Options.Domains.
const (
	// PackageDRAM counts every package-N zone plus its dram sub-zone. The
	// core and uncore sub-zones are inside the package and are not added;
	// psys contains the packages and is not added either. On AMD hosts,
	// which have no dram zone, it counts the packages alone.
	PackageDRAM = "package+dram"
	// Psys counts the platform zone alone (Intel Skylake and later client
	// parts); everything else is inside it.
	Psys = "psys"
)

// Options configures a Meter.
type Options struct {
	// Domains selects the zones to count: PackageDRAM (the default when
	// empty) or Psys.
	Domains string
}

// ErrMalformed marks a powercap tree that does not have the layout of
// Documentation/power/powercap/powercap.rst: a zone without a name file, a
// non-numeric energy_uj, a missing or zero max_energy_range_uj, or no zone of
// the kind requested. Errors that wrap it name the file.
var ErrMalformed = errors.New("malformed powercap tree")

// ErrNoZones marks a host without RAPL: no powercap RAPL zones at all (a
// virtual machine, a non-Linux system, or the intel_rapl_msr module not
// loaded). Errors that wrap it also wrap energy.ErrUnavailable. Callers use
// it to tell a host that lacks RAPL from one whose RAPL cannot be read.
var ErrNoZones = errors.New("no RAPL zones")

// controlMSR is the control type of the MSR-based RAPL driver
// (intel_rapl_msr), which AMD hosts use as well.
const controlMSR = "intel-rapl"

// Meter reads RAPL energy counters from the powercap sysfs tree
// (Documentation/power/powercap/powercap.rst). Each counter is the raw
// energy_uj of one zone in microjoules; it wraps to zero after the zone's
// max_energy_range_uj (Domain.MaxEnergy). The zones' enabled files switch
// power limiting, not counting, and are not consulted. A Meter holds no
// mutable state after New and is safe for concurrent use.
type Meter struct {
	root  string
	info  energy.Info
	zones []zone // the counted zones, in info.Domains order
	read  readFunc
}

// zone is one powercap zone directory found under class/powercap.
type zone struct {
	id   zoneID
	dir  string // <root>/class/powercap/<id>
	name string
	max  energy.Energy // max_energy_range_uj; read for counted zones only
}

// New discovers the RAPL zones under sysfsRoot/class/powercap and returns a
// meter for the zones opts selects. sysfsRoot is where sysfs is mounted
// (normally /sys; the caller chooses). New reads every counted zone's
// max_energy_range_uj and energy_uj once, so that a malformed or unreadable
// tree is reported here and not at the first Read.
//
// The error wraps energy.ErrUnavailable when the host has no RAPL zones or
// energy_uj is not readable by this process (root-only since Linux 5.10),
// and ErrMalformed when the tree is inconsistent.
func New(sysfsRoot string, opts Options) (*Meter, error) {
	return newMeter(sysfsRoot, opts, readFileCapped)
}

func newMeter(root string, opts Options, read readFunc) (*Meter, error) {
	mode := opts.Domains
	if mode == "" {
		mode = PackageDRAM
	}
	if mode != PackageDRAM && mode != Psys {
		return nil, fmt.Errorf("rapl: unknown domain selection %q (want %q or %q)", opts.Domains, PackageDRAM, Psys)
	}
	m := &Meter{root: root, read: read}
	all, err := m.discover()
	if err != nil {
		return nil, err
	}
	counted, excluded, err := classify(all, mode)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, m.classDir(), err)
	}
	for i := range counted {
		z := &counted[i]
		path := filepath.Join(z.dir, "max_energy_range_uj")
		b, err := m.read(path, maxNumberFile)
		if err != nil {
			return nil, m.readError(*z, path, err, true)
		}
		max, err := parseMicrojoules(b)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, path, err)
		}
		if max == 0 {
			return nil, fmt.Errorf("%w: %s: range is 0, a counter without a range cannot be unwrapped", ErrMalformed, path)
		}
		z.max = max
		if _, err := m.readEnergy(*z, true); err != nil {
			return nil, err
		}
	}
	m.zones = counted
	m.info = buildInfo(mode, counted, excluded)
	return m, nil
}

func (m *Meter) classDir() string { return filepath.Join(m.root, "class", "powercap") }

// discover lists the RAPL zone entries of class/powercap (symlinks to
// devices/virtual/powercap/<control>/...) and reads their names.
func (m *Meter) discover() ([]zone, error) {
	dir := m.classDir()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: list %s: %w", energy.ErrUnavailable, dir, err)
	}
	var zones []zone
	for _, e := range entries {
		id, ok := parseZoneID(e.Name())
		if !ok {
			continue
		}
		z := zone{id: id, dir: filepath.Join(dir, e.Name())}
		path := filepath.Join(z.dir, "name")
		b, err := m.read(path, maxNameFile)
		if err != nil {
			return nil, m.readError(z, path, err, true)
		}
		if z.name, err = parseName(b); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, path, err)
		}
		zones = append(zones, z)
	}
	if len(zones) == 0 {
		return nil, fmt.Errorf("%w: %w under %s: this host has no RAPL (virtual machine, or the intel_rapl_msr module is not loaded)", energy.ErrUnavailable, ErrNoZones, dir)
	}
	sortZones(zones)
	return zones, nil
}

// sortZones orders zones by control type (the MSR driver first), top-level
// index and sub-zone index, numerically, with each package before its
// sub-zones: intel-rapl:0, intel-rapl:0:0, intel-rapl:1, ..., intel-rapl:10.
func sortZones(zones []zone) {
	rank := func(c string) int {
		if c == controlMSR {
			return 0
		}
		return 1
	}
	sort.Slice(zones, func(i, j int) bool {
		a, b := zones[i].id, zones[j].id
		if ra, rb := rank(a.control), rank(b.control); ra != rb {
			return ra < rb
		}
		if a.control != b.control {
			return a.control < b.control
		}
		if a.pkg != b.pkg {
			return a.pkg < b.pkg
		}
		return a.sub < b.sub
	})
}

// classify decides which zones to count so that no energy is counted twice.
// zones must be sorted. It is pure: it reads no files.
//
// With PackageDRAM it counts the top-level package-N zones and the dram
// sub-zones of counted packages; core and uncore are inside the package,
// psys contains the packages, and a package that a second control type
// (intel-rapl-mmio) exposes again duplicates the MSR one. With Psys it
// counts the psys zones alone. Every zone not counted is listed in excluded
// with the reason.
func classify(zones []zone, mode string) (counted []zone, excluded []string, err error) {
	msr := map[string]string{} // top-level name -> zone ID in the MSR control type
	for _, z := range zones {
		if z.id.topLevel() && z.id.control == controlMSR {
			if _, dup := msr[z.name]; !dup {
				msr[z.name] = z.id.raw
			}
		}
	}
	byID := map[string]zone{}
	why := map[string]string{} // zone ID -> reason it is excluded
	exclude := func(z zone, reason string) {
		why[z.id.raw] = reason
		excluded = append(excluded, fmt.Sprintf("%s (%s): %s", z.id.raw, z.name, reason))
	}
	for _, z := range zones {
		byID[z.id.raw] = z
	}
	for _, z := range zones {
		if z.id.topLevel() {
			if other, dup := msr[z.name]; dup && z.id.control != controlMSR {
				exclude(z, fmt.Sprintf("duplicates %s (%s) of the MSR driver, which is read instead", other, z.name))
				continue
			}
			_, _, isPkg := parsePackageName(z.name)
			switch {
			case mode == Psys && z.name == "psys":
				counted = append(counted, z)
			case mode == Psys:
				exclude(z, "inside psys, which alone is counted")
			case isPkg:
				counted = append(counted, z)
			case z.name == "psys":
				exclude(z, `platform zone containing the packages; adding it would double count (select "psys" to count it alone)`)
			default:
				exclude(z, "unknown top-level zone; not counted")
			}
			continue
		}
		parent, ok := byID[z.id.parent()]
		switch {
		case mode == Psys:
			exclude(z, "inside a package, inside psys, which alone is counted")
		case !ok:
			exclude(z, fmt.Sprintf("its parent zone %s is missing", z.id.parent()))
		case why[parent.id.raw] != "":
			exclude(z, fmt.Sprintf("inside %s (%s), which is not counted", parent.id.raw, parent.name))
		case z.name == "dram":
			counted = append(counted, z)
		case z.name == "core" || z.name == "uncore":
			exclude(z, fmt.Sprintf("inside %s (%s), which is counted", parent.id.raw, parent.name))
		default:
			exclude(z, fmt.Sprintf("unknown sub-zone of %s (%s); not counted", parent.id.raw, parent.name))
		}
	}
	if len(counted) == 0 {
		var found []string
		for _, z := range zones {
			found = append(found, z.id.raw+"="+z.name)
		}
		want := "package-N"
		if mode == Psys {
			want = "psys"
		}
		return nil, nil, fmt.Errorf("no %s zone (found %s)", want, strings.Join(found, ", "))
	}
	return counted, excluded, nil
}

// buildInfo describes the counted zones.
func buildInfo(mode string, counted []zone, excluded []string) energy.Info {
	info := energy.Info{
		Name:         "rapl",
		Source:       energy.Measured,
		Excluded:     excluded,
		Resolution:   1 * energy.Microjoule,
		UpdatePeriod: time.Millisecond,
		Description: "RAPL energy counters read from Linux powercap sysfs (energy_uj, microjoules); " +
			"the hardware counts in units of about 15.3 µJ (2^-16 J; 61 µJ on some servers), " +
			"updates about every 1 ms, and wraps at max_energy_range_uj",
	}
	sockets := map[int]bool{}
	packages, dram := 0, false
	for _, z := range counted {
		d := energy.Domain{ID: z.id.raw, Name: z.name, MaxEnergy: z.max}
		switch {
		case z.name == "psys":
			d.Boundary = energy.BoundaryPlatform
		case z.name == "dram":
			d.Boundary = energy.BoundaryDRAM
			dram = true
		default:
			d.Boundary = energy.BoundaryCPUPackage
			pkg, _, _ := parsePackageName(z.name)
			sockets[pkg] = true
			packages++
		}
		info.Domains = append(info.Domains, d)
	}
	if mode == Psys {
		info.Boundary = "platform (psys)"
		return info
	}
	info.Boundary = "cpu-package"
	if dram {
		info.Boundary += "+dram"
	} else {
		info.Description += "; no dram zone (AMD, or a BIOS that does not expose it): memory energy is not included"
	}
	info.Boundary += " (" + plural(len(sockets), "socket")
	if packages > len(sockets) {
		info.Boundary += ", " + plural(packages, "die")
	}
	info.Boundary += ")"
	return info
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// Info describes the counted domains; it does no I/O. Each domain's
// MaxEnergy is its max_energy_range_uj: its counter wraps to zero after it.
func (m *Meter) Info() energy.Info {
	info := m.info
	info.Domains = append([]energy.Domain(nil), m.info.Domains...)
	info.Excluded = append([]string(nil), m.info.Excluded...)
	return info
}

// Read returns the raw energy_uj of every counted zone, in microjoules, in
// the order of Info().Domains (Documentation/power/powercap/powercap.rst).
// The values wrap at each domain's MaxEnergy; Read does not unwrap them
// (energy.Delta does). The reading's time is the midpoint of the reads. A
// zone that has become unreadable or has disappeared is an error wrapping
// energy.ErrUnavailable, never a zero.
func (m *Meter) Read(ctx context.Context) (energy.Reading, error) {
	counters := make([]energy.Counter, len(m.zones))
	start := time.Now()
	for i, z := range m.zones {
		if err := ctx.Err(); err != nil {
			return energy.Reading{}, fmt.Errorf("read rapl: %w", err)
		}
		e, err := m.readEnergy(z, false)
		if err != nil {
			return energy.Reading{}, err
		}
		counters[i] = energy.Counter{Domain: z.id.raw, Energy: e}
	}
	end := time.Now()
	return energy.Reading{Time: start.Add(end.Sub(start) / 2), Counters: counters}, nil
}

// readEnergy reads and parses one zone's energy_uj.
func (m *Meter) readEnergy(z zone, opening bool) (energy.Energy, error) {
	path := filepath.Join(z.dir, "energy_uj")
	b, err := m.read(path, maxNumberFile)
	if err != nil {
		return 0, m.readError(z, path, err, opening)
	}
	e, err := parseMicrojoules(b)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %w", ErrMalformed, path, err)
	}
	return e, nil
}

// readError maps a failed read of one of z's files to an error a caller can
// act on: a permission error wraps energy.ErrUnavailable and carries the
// fix; a missing file is ErrMalformed while opening and ErrUnavailable once
// running (the driver was unloaded).
func (m *Meter) readError(z zone, path string, err error, opening bool) error {
	switch {
	case errors.Is(err, fs.ErrPermission) && filepath.Base(path) == "energy_uj":
		glob := filepath.Join(m.classDir(), z.id.control+":*", "energy_uj")
		return fmt.Errorf("%w: %s (%s): %w; energy_uj is readable by root only since Linux 5.10 (CVE-2020-8694): "+
			"to allow reading until reboot run `sudo chmod a+r %s`, to keep it add the systemd-tmpfiles rule `z %s 0444 - - -` "+
			"(or an equivalent udev rule), or run energylab as root",
			energy.ErrUnavailable, z.id.raw, z.name, err, glob, glob)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: %s: %w; make the powercap tree readable or run energylab as root", energy.ErrUnavailable, z.id.raw, err)
	case errors.Is(err, errTooLong):
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	case errors.Is(err, fs.ErrNotExist) && !opening:
		return fmt.Errorf("%w: %s (%s) disappeared: %w (was the RAPL driver unloaded?)", energy.ErrUnavailable, z.id.raw, z.name, err)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s: %w", ErrMalformed, z.id.raw, err)
	default:
		return fmt.Errorf("read %s: %w", z.id.raw, err)
	}
}

var _ energy.Meter = (*Meter)(nil)
