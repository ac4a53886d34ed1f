// Package labtest holds helpers shared by tests: where the published
// reference data lives. It is imported only from _test files.
package labtest

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedData returns the directory of the published reference data that sits
// beside the repository (../shared/data from the module root), or
// $ENERGYLAB_SHARED_DATA when set. The test fails if it is missing: the
// system prompts and data tables there are part of what the tests check.
func SharedData(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("ENERGYLAB_SHARED_DATA"); d != "" {
		return mustDir(t, d)
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return mustDir(t, filepath.Join(dir, "..", "shared", "data"))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("labtest: no go.mod above the test's directory")
		}
		dir = parent
	}
}

// SystemPrompts returns the paths of the published frontier system prompts
// in the shared data directory.
func SystemPrompts(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(SharedData(t), "system_prompts", "*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("labtest: no system prompts in %s (err %v)", filepath.Join(SharedData(t), "system_prompts"), err)
	}
	return paths
}

func mustDir(t testing.TB, d string) string {
	t.Helper()
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		t.Fatalf("labtest: shared reference data not found at %s: the tests need the published system prompts and data tables beside the repository (set ENERGYLAB_SHARED_DATA to their directory)", d)
	}
	abs, err := filepath.Abs(d)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
