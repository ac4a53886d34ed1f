package preset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/labtest"
)

func TestBuiltin(t *testing.T) {
	ps := Builtin()
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
		if p.Source != "builtin" || strings.TrimSpace(p.Content) == "" || Describe(p.Name) == "" {
			t.Errorf("preset %+v: want builtin source, content and a description", p.Name)
		}
	}
	if got := strings.Join(names, ","); got != "agent,minimal,safety" {
		t.Fatalf("builtin presets = %s", got)
	}
	agent, _ := Find("agent", ps)
	if n := strings.Count(agent.Content, `"parameters"`); n != 9 {
		t.Errorf("agent preset has %d tool schemas, want 9", n)
	}
}

func TestLoadFrontierPrompts(t *testing.T) {
	dir := filepath.Join(labtest.SharedData(t), "system_prompts")
	ps, err := Load(os.DirFS(dir), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 4 {
		t.Fatalf("loaded %d presets from %s, want 4", len(ps), dir)
	}
	p, err := Find("Claude_Sonnet-4.5_Sep-29-2025", ps, Builtin())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Content) < 80000 || !strings.HasSuffix(p.Source, ".txt") {
		t.Errorf("Claude prompt: %d bytes from %s", len(p.Content), p.Source)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	t.Run("too large", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "big.txt"), make([]byte, MaxSize+1), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(os.DirFS(dir), dir); err == nil || !strings.Contains(err.Error(), "limit") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not utf-8", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "bin.md"), []byte{0xff, 0xfe, 0x00}, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(os.DirFS(dir), dir); err == nil || !strings.Contains(err.Error(), "UTF-8") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("other files ignored", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "notes.json"), []byte("{}"), 0o600)
		os.WriteFile(filepath.Join(dir, "Mine.MD"), []byte("be terse\n"), 0o600)
		ps, err := Load(os.DirFS(dir), dir)
		if err != nil || len(ps) != 1 || ps[0].Name != "Mine" || ps[0].Content != "be terse" {
			t.Fatalf("got %+v, %v", ps, err)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		if _, err := Load(os.DirFS("/nonexistent-presets"), "/nonexistent-presets"); err == nil {
			t.Fatal("no error for a missing directory")
		}
	})
}

func TestFindUnknownListsAvailable(t *testing.T) {
	_, err := Find("nope", Builtin())
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "minimal") {
		t.Fatalf("err = %v", err)
	}
}
