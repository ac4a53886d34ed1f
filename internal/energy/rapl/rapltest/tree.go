package rapltest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/energy"
)

// Zone is one powercap zone of a tree that BuildTree builds.
type Zone struct {
	// ID is the zone directory: "intel-rapl:0" for a top-level zone,
	// "intel-rapl:0:0" for a sub-zone, or another control type such as
	// "intel-rapl-mmio:0".
	ID string
	// Name is written to the zone's name file ("package-0", "dram", "core",
	// "uncore", "psys").
	Name string
	// Energy is the initial energy_uj in microjoules.
	Energy energy.Energy
	// Max is max_energy_range_uj in microjoules: the counter wraps to zero
	// after it.
	Max energy.Energy
}

// Ranges of max_energy_range_uj seen on real hosts: a 32-bit counter in
// units of 61.035 µJ (many servers) and of 15.259 µJ (most client parts).
const (
	ServerMax energy.Energy = 262143328850
	ClientMax energy.Energy = 65532610987
)

var zoneIDPattern = regexp.MustCompile(`^([a-z0-9_-]+):(0|[1-9][0-9]*)(?::(0|[1-9][0-9]*))?$`)

// splitID returns the control type and parent zone ID of id; parent is ""
// for a top-level zone.
func splitID(id string) (control, parent string, err error) {
	m := zoneIDPattern.FindStringSubmatch(id)
	if m == nil {
		return "", "", fmt.Errorf("zone ID %q is not <control>:<n> or <control>:<n>:<m>", id)
	}
	if m[3] != "" {
		parent = m[1] + ":" + m[2]
	}
	return m[1], parent, nil
}

// ZoneDir returns the real directory of zone id under root, where the kernel
// keeps it: devices/virtual/powercap/<control>/<control>:N for a top-level
// zone and .../<control>:N/<control>:N:M for a sub-zone. class/powercap/<id>
// is a symlink to it.
func ZoneDir(root, id string) string {
	control, parent, err := splitID(id)
	if err != nil {
		panic("rapltest: " + err.Error())
	}
	dir := filepath.Join(root, "devices", "virtual", "powercap", control)
	if parent != "" {
		dir = filepath.Join(dir, parent)
	}
	return filepath.Join(dir, id)
}

// BuildTree creates the powercap layout of zones under root:
//
//	class/powercap/<control>  -> ../../devices/virtual/powercap/<control>  (with enabled)
//	class/powercap/<control>:N -> ../../devices/virtual/powercap/<control>/<control>:N
//	class/powercap/<control>:N:M -> ../../devices/virtual/powercap/<control>/<control>:N/<control>:N:M
//
// Each zone directory holds name, energy_uj, max_energy_range_uj and enabled,
// written exactly as given (a Zone with an empty Name gets an empty name
// file). energy_uj is left readable by everyone, as after the chmod a user
// runs on a real host. BuildTree may be called again on the same root to
// add zones.
func BuildTree(t testing.TB, root string, zones []Zone) {
	t.Helper()
	class := filepath.Join(root, "class", "powercap")
	if err := os.MkdirAll(class, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, z := range zones {
		control, parent, err := splitID(z.ID)
		if err != nil {
			t.Fatalf("rapltest: %v", err)
		}
		ctDir := filepath.Join(root, "devices", "virtual", "powercap", control)
		if err := os.MkdirAll(ctDir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(ctDir, "enabled"), "1\n", 0o644)
		symlink(t, filepath.Join("..", "..", "devices", "virtual", "powercap", control), filepath.Join(class, control))

		dir := ZoneDir(root, z.ID)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "name"), z.Name+"\n", 0o444)
		writeFile(t, filepath.Join(dir, "energy_uj"), fmt.Sprintf("%d\n", z.Energy), 0o444)
		writeFile(t, filepath.Join(dir, "max_energy_range_uj"), fmt.Sprintf("%d\n", z.Max), 0o444)
		writeFile(t, filepath.Join(dir, "enabled"), "1\n", 0o644)
		rel := filepath.Join("..", "..", "devices", "virtual", "powercap", control)
		if parent != "" {
			rel = filepath.Join(rel, parent)
		}
		symlink(t, filepath.Join(rel, z.ID), filepath.Join(class, z.ID))
	}
}

func writeFile(t testing.TB, path, content string, mode fs.FileMode) {
	t.Helper()
	// Remove first: the file may be read-only from an earlier call.
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func symlink(t testing.TB, target, link string) {
	t.Helper()
	if got, err := os.Readlink(link); err == nil {
		if got != target {
			t.Fatalf("rapltest: %s already links to %s, not %s", link, got, target)
		}
		return
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// WriteFile replaces one file of zone id (for example energy_uj with "abc"
// or max_energy_range_uj with "0") to make the tree malformed.
func WriteFile(t testing.TB, root, id, file, content string) {
	t.Helper()
	writeFile(t, filepath.Join(ZoneDir(root, id), file), content, 0o444)
}

// RemoveFile deletes one file of zone id (for example its name file).
func RemoveFile(t testing.TB, root, id, file string) {
	t.Helper()
	if err := os.Remove(filepath.Join(ZoneDir(root, id), file)); err != nil {
		t.Fatal(err)
	}
}

// MakeUnreadable sets the mode of one file of zone id to 000, as the kernel
// leaves energy_uj readable by root only, and reports whether that stops
// this process from reading it. It does not when the tests run as root (or
// with CAP_DAC_OVERRIDE): chmod does not stop such a process, and a test that
// needs the permission error must then skip or inject it.
func MakeUnreadable(t testing.TB, root, id, file string) (enforced bool) {
	t.Helper()
	path := filepath.Join(ZoneDir(root, id), file)
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err == nil {
		f.Close()
		return false
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("rapltest: open %s after chmod 000: %v", path, err)
	}
	return true
}
