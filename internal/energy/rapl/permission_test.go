package rapl

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/energy"
	"github.com/llm-energy-lab/energylab/internal/energy/rapl/rapltest"
)

// denyEnergy wraps the real reader and fails every energy_uj read of the
// zones in deny with EACCES, as the kernel does for a non-root reader since
// Linux 5.10. Injecting the error keeps the test meaningful when the tests
// run as root, where chmod 000 does not stop reads.
func denyEnergy(deny *atomic.Bool) readFunc {
	return func(path string, limit int) ([]byte, error) {
		if deny.Load() && filepath.Base(path) == "energy_uj" {
			return nil, &fs.PathError{Op: "open", Path: path, Err: syscall.EACCES}
		}
		return readFileCapped(path, limit)
	}
}

func TestPermissionDenied(t *testing.T) {
	root := t.TempDir()
	rapltest.BuildTree(t, root, rapltest.TwoSocketServer())
	wantFix := []string{
		"root only since Linux 5.10 (CVE-2020-8694)",
		"sudo chmod a+r " + filepath.Join(root, "class", "powercap", "intel-rapl:*", "energy_uj"),
		"systemd-tmpfiles rule `z " + filepath.Join(root, "class", "powercap", "intel-rapl:*", "energy_uj") + " 0444 - - -`",
		"run energylab as root",
		filepath.Join(root, "class", "powercap", "intel-rapl:0", "energy_uj") + ": permission denied",
	}
	check := func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, energy.ErrUnavailable) || !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("error %v does not wrap energy.ErrUnavailable and fs.ErrPermission", err)
		}
		for _, s := range wantFix {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not contain %q", err, s)
			}
		}
	}

	t.Run("at New", func(t *testing.T) {
		var deny atomic.Bool
		deny.Store(true)
		m, err := newMeter(root, Options{}, denyEnergy(&deny))
		if m != nil {
			t.Fatal("New returned a meter whose counters it cannot read")
		}
		check(t, err)
	})

	t.Run("at Read, never a silent zero", func(t *testing.T) {
		var deny atomic.Bool
		m, err := newMeter(root, Options{}, denyEnergy(&deny))
		if err != nil {
			t.Fatal(err)
		}
		deny.Store(true)
		r, err := m.Read(t.Context())
		if len(r.Counters) != 0 {
			t.Errorf("Read returned counters %v along with its error", r.Counters)
		}
		check(t, err)
	})

	t.Run("another file", func(t *testing.T) {
		read := func(path string, limit int) ([]byte, error) {
			if filepath.Base(path) == "max_energy_range_uj" {
				return nil, &fs.PathError{Op: "open", Path: path, Err: syscall.EPERM}
			}
			return readFileCapped(path, limit)
		}
		_, err := newMeter(root, Options{}, read)
		if !errors.Is(err, energy.ErrUnavailable) || !strings.Contains(err.Error(), "run energylab as root") {
			t.Errorf("error %v, want energy.ErrUnavailable with a fix", err)
		}
	})
}
