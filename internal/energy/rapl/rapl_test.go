package rapl_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl/rapltest"
)

func TestNewDiscoversZones(t *testing.T) {
	pkg := func(id, name string, max energy.Energy) energy.Domain {
		return energy.Domain{ID: id, Name: name, Boundary: energy.BoundaryCPUPackage, MaxEnergy: max}
	}
	dram := func(id string, max energy.Energy) energy.Domain {
		return energy.Domain{ID: id, Name: "dram", Boundary: energy.BoundaryDRAM, MaxEnergy: max}
	}
	tests := []struct {
		name     string
		zones    []rapltest.Zone
		opts     rapl.Options
		boundary string
		domains  []energy.Domain
		excluded []string
	}{
		{
			name:     "two-socket server counts both packages and both drams",
			zones:    rapltest.TwoSocketServer(),
			boundary: "cpu-package+dram (2 sockets)",
			domains: []energy.Domain{
				pkg("intel-rapl:0", "package-0", rapltest.ServerMax), dram("intel-rapl:0:0", rapltest.ServerMax),
				pkg("intel-rapl:1", "package-1", rapltest.ServerMax), dram("intel-rapl:1:0", rapltest.ServerMax),
			},
		},
		{
			name:     "laptop counts package and dram, not core, uncore, psys or the MMIO duplicate",
			zones:    rapltest.ClientLaptop(),
			boundary: "cpu-package+dram (1 socket)",
			domains:  []energy.Domain{pkg("intel-rapl:0", "package-0", rapltest.ClientMax), dram("intel-rapl:0:2", rapltest.ClientMax)},
			excluded: []string{
				"intel-rapl:0:0 (core): inside intel-rapl:0 (package-0), which is counted",
				"intel-rapl:0:1 (uncore): inside intel-rapl:0 (package-0), which is counted",
				`intel-rapl:1 (psys): platform zone containing the packages; adding it would double count (select "psys" to count it alone)`,
				"intel-rapl-mmio:0 (package-0): duplicates intel-rapl:0 (package-0) of the MSR driver, which is read instead",
			},
		},
		{
			name:     "laptop with psys selected counts psys alone",
			zones:    rapltest.ClientLaptop(),
			opts:     rapl.Options{Domains: rapl.Psys},
			boundary: "platform (psys)",
			domains:  []energy.Domain{{ID: "intel-rapl:1", Name: "psys", Boundary: energy.BoundaryPlatform, MaxEnergy: rapltest.ClientMax}},
			excluded: []string{
				"intel-rapl:0 (package-0): inside psys, which alone is counted",
				"intel-rapl:0:0 (core): inside a package, inside psys, which alone is counted",
				"intel-rapl:0:1 (uncore): inside a package, inside psys, which alone is counted",
				"intel-rapl:0:2 (dram): inside a package, inside psys, which alone is counted",
				"intel-rapl-mmio:0 (package-0): duplicates intel-rapl:0 (package-0) of the MSR driver, which is read instead",
			},
		},
		{
			name:     "AMD has a package and no dram",
			zones:    rapltest.AMDDesktop(),
			boundary: "cpu-package (1 socket)",
			domains:  []energy.Domain{pkg("intel-rapl:0", "package-0", rapltest.ClientMax)},
			excluded: []string{"intel-rapl:0:0 (core): inside intel-rapl:0 (package-0), which is counted"},
		},
		{
			name: "MMIO package is counted when the MSR driver is absent",
			zones: []rapltest.Zone{
				{ID: "intel-rapl-mmio:0", Name: "package-0", Energy: 1, Max: rapltest.ClientMax},
			},
			boundary: "cpu-package (1 socket)",
			domains:  []energy.Domain{pkg("intel-rapl-mmio:0", "package-0", rapltest.ClientMax)},
		},
		{
			name: "two dies of one package",
			zones: []rapltest.Zone{
				{ID: "intel-rapl:0", Name: "package-0-die-0", Max: 100},
				{ID: "intel-rapl:1", Name: "package-0-die-1", Max: 100},
			},
			boundary: "cpu-package (1 socket, 2 dies)",
			domains:  []energy.Domain{pkg("intel-rapl:0", "package-0-die-0", 100), pkg("intel-rapl:1", "package-0-die-1", 100)},
		},
		{
			name: "zones sort numerically and keep their directory as ID",
			zones: []rapltest.Zone{
				{ID: "intel-rapl:10", Name: "package-10", Max: 100},
				{ID: "intel-rapl:2", Name: "package-2", Max: 100},
				{ID: "intel-rapl:2:0", Name: "dram", Max: 100},
				{ID: "intel-rapl:10:0", Name: "dram", Max: 100},
			},
			boundary: "cpu-package+dram (2 sockets)",
			domains: []energy.Domain{
				pkg("intel-rapl:2", "package-2", 100), dram("intel-rapl:2:0", 100),
				pkg("intel-rapl:10", "package-10", 100), dram("intel-rapl:10:0", 100),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			rapltest.BuildTree(t, root, tt.zones)
			m, err := rapl.New(root, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			want := energy.Info{
				Name:         "rapl",
				Source:       energy.Measured,
				Boundary:     tt.boundary,
				Domains:      tt.domains,
				Excluded:     tt.excluded,
				Resolution:   energy.Microjoule,
				UpdatePeriod: time.Millisecond,
			}
			got := m.Info()
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(energy.Info{}, "Description")); diff != "" {
				t.Errorf("Info (-want +got):\n%s", diff)
			}
			if !strings.Contains(got.Description, "15.3 µJ") {
				t.Errorf("Description %q does not mention the 15.3 µJ hardware unit", got.Description)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, root string)
		opts  rapl.Options
		is    error    // the error must wrap this (nil: neither sentinel)
		msg   []string // and contain these, with <root> replaced
	}{
		{
			name:  "no powercap directory",
			setup: func(*testing.T, string) {},
			is:    rapl.ErrNoZones,
			msg:   []string{"no RAPL zones under <root>/class/powercap", "virtual machine", "intel_rapl_msr"},
		},
		{
			name: "powercap without RAPL",
			setup: func(t *testing.T, root string) {
				rapltest.BuildTree(t, root, []rapltest.Zone{{ID: "dtpm:0", Name: "soc", Max: 1}})
			},
			is:  rapl.ErrNoZones,
			msg: []string{"no RAPL zones"},
		},
		{
			name: "non-numeric energy_uj",
			setup: func(t *testing.T, root string) {
				rapltest.BuildTree(t, root, rapltest.TwoSocketServer())
				rapltest.WriteFile(t, root, "intel-rapl:1", "energy_uj", "abc\n")
			},
			is:  rapl.ErrMalformed,
			msg: []string{"<root>/class/powercap/intel-rapl:1/energy_uj", `"abc"`},
		},
		{
			name: "oversized energy_uj",
			setup: func(t *testing.T, root string) {
				rapltest.BuildTree(t, root, rapltest.TwoSocketServer())
				rapltest.WriteFile(t, root, "intel-rapl:0:0", "energy_uj", strings.Repeat("1", 100))
			},
			is:  rapl.ErrMalformed,
			msg: []string{"intel-rapl:0:0/energy_uj", "more than 32 bytes"},
		},
		{
			name: "missing max_energy_range_uj",
			setup: func(t *testing.T, root string) {
				rapltest.BuildTree(t, root, rapltest.TwoSocketServer())
				rapltest.RemoveFile(t, root, "intel-rapl:0:0", "max_energy_range_uj")
			},
			is:  rapl.ErrMalformed,
			msg: []string{"<root>/class/powercap/intel-rapl:0:0/max_energy_range_uj"},
		},
		{
			name: "zero max_energy_range_uj",
			setup: func(t *testing.T, root string) {
				rapltest.BuildTree(t, root, rapltest.TwoSocketServer())
				rapltest.WriteFile(t, root, "intel-rapl:1", "max_energy_range_uj", "0\n")
			},
			is:  rapl.ErrMalformed,
			msg: []string{"<root>/class/powercap/intel-rapl:1/max_energy_range_uj", "range is 0"},
		},
		{
			name: "package zone without a name file",
			setup: func(t *testing.T, root string) {
				rapltest.BuildTree(t, root, rapltest.TwoSocketServer())
				rapltest.RemoveFile(t, root, "intel-rapl:1", "name")
			},
			is:  rapl.ErrMalformed,
			msg: []string{"<root>/class/powercap/intel-rapl:1/name"},
		},
		{
			name: "empty name",
			setup: func(t *testing.T, root string) {
				rapltest.BuildTree(t, root, []rapltest.Zone{{ID: "intel-rapl:0", Name: "", Max: 1}})
			},
			is:  rapl.ErrMalformed,
			msg: []string{"<root>/class/powercap/intel-rapl:0/name", "empty zone name"},
		},
		{
			name: "psys requested but absent",
			setup: func(t *testing.T, root string) {
				rapltest.BuildTree(t, root, rapltest.TwoSocketServer())
			},
			opts: rapl.Options{Domains: rapl.Psys},
			is:   rapl.ErrMalformed,
			msg:  []string{"no psys zone", "intel-rapl:0=package-0"},
		},
		{
			name: "only psys and package+dram requested",
			setup: func(t *testing.T, root string) {
				rapltest.BuildTree(t, root, []rapltest.Zone{{ID: "intel-rapl:0", Name: "psys", Max: 1}})
			},
			is:  rapl.ErrMalformed,
			msg: []string{"no package-N zone"},
		},
		{
			name: "unknown domain selection",
			setup: func(t *testing.T, root string) {
				rapltest.BuildTree(t, root, rapltest.TwoSocketServer())
			},
			opts: rapl.Options{Domains: "everything"},
			msg:  []string{`unknown domain selection "everything"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.setup(t, root)
			m, err := rapl.New(root, tt.opts)
			if err == nil {
				t.Fatalf("New succeeded with %+v, want an error", m.Info())
			}
			for _, sentinel := range []error{energy.ErrUnavailable, rapl.ErrMalformed, rapl.ErrNoZones} {
				want := sentinel == tt.is || (sentinel == energy.ErrUnavailable && tt.is == rapl.ErrNoZones)
				if got := errors.Is(err, sentinel); got != want {
					t.Errorf("errors.Is(%q, %v) = %v, want %v", err, sentinel, got, want)
				}
			}
			for _, s := range tt.msg {
				s = strings.ReplaceAll(s, "<root>", root)
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestNewIgnoresExcludedZoneCounters(t *testing.T) {
	root := t.TempDir()
	rapltest.BuildTree(t, root, rapltest.ClientLaptop())
	// Excluded zones are never read: a broken core counter is not an error.
	rapltest.WriteFile(t, root, "intel-rapl:0:0", "energy_uj", "garbage\n")
	rapltest.RemoveFile(t, root, "intel-rapl:1", "max_energy_range_uj")
	if _, err := rapl.New(root, rapl.Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestPermissionDeniedChmod makes energy_uj root-only, as Linux 5.10 and
// later do, and checks that New reports it as unavailable with the fix. A
// process running as root (or with CAP_DAC_OVERRIDE) reads the file
// regardless of its mode, so there the test skips; TestPermissionDenied in
// permission_test.go injects the error instead and always runs.
func TestPermissionDeniedChmod(t *testing.T) {
	root := t.TempDir()
	rapltest.BuildTree(t, root, rapltest.TwoSocketServer())
	if !rapltest.MakeUnreadable(t, root, "intel-rapl:1", "energy_uj") {
		t.Skip("chmod 000 does not stop this process (root or CAP_DAC_OVERRIDE); TestPermissionDenied covers the mapping")
	}
	_, err := rapl.New(root, rapl.Options{})
	if !errors.Is(err, energy.ErrUnavailable) || !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("New: %v, want an error wrapping energy.ErrUnavailable and fs.ErrPermission", err)
	}
	want := "sudo chmod a+r " + filepath.Join(root, "class", "powercap", "intel-rapl:*", "energy_uj")
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not carry the fix %q", err, want)
	}
}

func TestReadReturnsRawCountersInInfoOrder(t *testing.T) {
	root := t.TempDir()
	rapltest.BuildTree(t, root, rapltest.TwoSocketServer())
	m, err := rapl.New(root, rapl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{
		"intel-rapl:0":   "100\n",
		"intel-rapl:0:0": "262143328850\n", // at its max: raw, not unwrapped
		"intel-rapl:1":   "5\n",
		"intel-rapl:1:0": "0\n",
	}
	for id, v := range values {
		rapltest.WriteFile(t, root, id, "energy_uj", v)
	}
	before := time.Now()
	r, err := m.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []energy.Counter{
		{Domain: "intel-rapl:0", Energy: 100},
		{Domain: "intel-rapl:0:0", Energy: 262143328850},
		{Domain: "intel-rapl:1", Energy: 5},
		{Domain: "intel-rapl:1:0", Energy: 0},
	}
	if diff := cmp.Diff(want, r.Counters); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
	if r.Time.Before(before) || r.Time.After(time.Now()) {
		t.Errorf("reading time %v is outside the read", r.Time)
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name      string
		breakTree func(t *testing.T, root string)
		is        error
		msg       string
	}{
		{"zone disappeared", func(t *testing.T, root string) {
			rapltest.RemoveFile(t, root, "intel-rapl:1:0", "energy_uj")
		}, energy.ErrUnavailable, "intel-rapl:1:0 (dram) disappeared"},
		{"counter turned to garbage", func(t *testing.T, root string) {
			rapltest.WriteFile(t, root, "intel-rapl:1", "energy_uj", "-3\n")
		}, rapl.ErrMalformed, "intel-rapl:1/energy_uj"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			rapltest.BuildTree(t, root, rapltest.TwoSocketServer())
			m, err := rapl.New(root, rapl.Options{})
			if err != nil {
				t.Fatal(err)
			}
			tt.breakTree(t, root)
			_, err = m.Read(t.Context())
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Read: %v, want an error wrapping %v containing %q", err, tt.is, tt.msg)
			}
		})
	}
}

func TestReadCancelled(t *testing.T) {
	root := t.TempDir()
	rapltest.BuildTree(t, root, rapltest.TwoSocketServer())
	m, err := rapl.New(root, rapl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := m.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestInfoReturnsACopy(t *testing.T) {
	root := t.TempDir()
	rapltest.BuildTree(t, root, rapltest.ClientLaptop())
	m, err := rapl.New(root, rapl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	info := m.Info()
	info.Domains[0].ID = "changed"
	info.Excluded[0] = "changed"
	if diff := cmp.Diff(m.Info(), m.Info()); diff != "" || m.Info().Domains[0].ID == "changed" || m.Info().Excluded[0] == "changed" {
		t.Error("changing what Info returned changed the meter")
	}
}
