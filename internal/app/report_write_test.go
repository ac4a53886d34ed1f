package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entries lists dir's names, temporary ones included.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestWriteMarkdownReport checks that a Markdown report and its charts are
// replaced together or not at all: a failed write leaves the previous
// report's charts as they were, and no temporary directory behind.
func TestWriteMarkdownReport(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.md")
	first := map[string][]byte{"r-charts/a.svg": []byte("<svg>a1</svg>"), "r-charts/old.svg": []byte("<svg>old</svg>")}
	if err := writeMarkdownReport(out, "r-charts", []byte("# one\n"), first); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(entries(t, dir), " "); got != "r-charts r.md" {
		t.Fatalf("after the first report: %s", got)
	}
	// A second report replaces the charts directory whole: a chart it no
	// longer has does not linger.
	second := map[string][]byte{"r-charts/a.svg": []byte("<svg>a2</svg>")}
	if err := writeMarkdownReport(out, "r-charts", []byte("# two\n"), second); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(entries(t, filepath.Join(dir, "r-charts")), " "); got != "a.svg" {
		t.Fatalf("charts after the second report: %s", got)
	}
	if b, _ := os.ReadFile(out); string(b) != "# two\n" {
		t.Fatalf("report %q", b)
	}
	// The report cannot be written (a directory is in the way): the second
	// report's charts stay, and nothing else is left.
	blocked := filepath.Join(dir, "b.md")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "b-charts"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "b-charts", "keep.svg"), []byte("<svg>keep</svg>"), 0o644)
	err := writeMarkdownReport(blocked, "b-charts", []byte("# three\n"), map[string][]byte{"b-charts/new.svg": []byte("<svg>new</svg>")})
	if err == nil || !strings.Contains(err.Error(), "b.md") {
		t.Fatalf("writing over a directory: %v", err)
	}
	if got := strings.Join(entries(t, filepath.Join(dir, "b-charts")), " "); got != "keep.svg" {
		t.Fatalf("the previous charts were not restored: %s", got)
	}
	if got := strings.Join(entries(t, dir), " "); got != "b-charts b.md r-charts r.md" {
		t.Fatalf("left behind: %s", got)
	}
	// A chart outside its directory is refused before anything changes.
	if err := writeMarkdownReport(out, "r-charts", []byte("# four\n"), map[string][]byte{"elsewhere.svg": nil}); err == nil {
		t.Fatal("a chart outside r-charts was accepted")
	}
	if b, _ := os.ReadFile(out); string(b) != "# two\n" {
		t.Fatalf("report %q after a refused write", b)
	}
	if got := strings.Join(entries(t, dir), " "); got != "b-charts b.md r-charts r.md" {
		t.Fatalf("left behind after a refused write: %s", got)
	}
}
